// The shared pieces of op conversion (import_context.h): the attribute
// reader, which remembers what was read so that unknown attributes are
// reported rather than dropped, and the helpers that read constant inputs
// and common attributes.
#include "compiler/frontend/onnx/import_context.h"

#include <fmt/format.h>

namespace loom::onnx_frontend {

namespace {

std::string attr_type_name(int t) {
  using A = onnx::AttributeProto;
  if (A::AttributeType_IsValid(t)) return A::AttributeType_Name(static_cast<A::AttributeType>(t));
  return fmt::format("type {}", t);
}

}  // namespace

AttrReader::AttrReader(const onnx::NodeProto& node, ErrorSite site)
    : node_(node), site_(std::move(site)) {
  for (const auto& a : node.attribute()) {
    if (a.name().empty()) throw ParseError("an attribute has an empty name", site_);
    if (!by_name_.emplace(a.name(), &a).second)
      throw ParseError(fmt::format("attribute '{}' is given twice", a.name()), site_);
  }
}

std::vector<std::string> AttrReader::unread() const {
  std::vector<std::string> names;
  for (const auto& a : node_.attribute())
    if (!read_.count(a.name())) names.push_back(a.name());
  return names;
}

const onnx::AttributeProto* AttrReader::get(const std::string& name,
                                            onnx::AttributeProto::AttributeType want) {
  auto it = by_name_.find(name);
  if (it == by_name_.end()) return nullptr;
  read_.insert(name);
  const onnx::AttributeProto* a = it->second;
  if (a->type() == want) return a;
  // Models from before IR version 2 may leave the type unset; accept the
  // value if the matching field is the one filled in.
  if (a->type() == onnx::AttributeProto::UNDEFINED) {
    using A = onnx::AttributeProto;
    bool ok = (want == A::INT && a->has_i()) || (want == A::FLOAT && a->has_f()) ||
              (want == A::STRING && a->has_s()) || (want == A::TENSOR && a->has_t()) ||
              (want == A::INTS && a->ints_size() > 0) ||
              (want == A::FLOATS && a->floats_size() > 0) ||
              (want == A::STRINGS && a->strings_size() > 0);
    if (ok) return a;
  }
  throw ParseError(fmt::format("attribute '{}' is {}, expected {}", name, attr_type_name(a->type()),
                               attr_type_name(want)),
                   site_);
}

int ImportContext::present_outputs() const {
  int n = 0;
  for (const auto& o : node.output())
    n += !o.empty();
  return n;
}

std::vector<int64_t> to_ints(const Tensor& t, const ErrorSite& site, const char* role) {
  if (!is_integer(t.dtype()))
    throw ShapeError(
        fmt::format("the {} input must be an integer tensor, got {}", role, type_str(t.type())),
        site);
  if (t.rank() > 1)
    throw ShapeError(
        fmt::format("the {} input must be a 1-D tensor, got {}", role, type_str(t.type())), site);
  std::vector<int64_t> v;
  for (int64_t i = 0; i < t.numel(); ++i)
    v.push_back(t.get_as_int(i));
  return v;
}

double to_scalar(const Tensor& t, const ErrorSite& site, const char* role) {
  if (t.numel() != 1 || t.dtype() == DType::f16 || t.dtype() == DType::bf16)
    throw ShapeError(
        fmt::format("the {} input must be a single number, got {}", role, type_str(t.type())),
        site);
  return t.dtype() == DType::boolean ? (t.data<bool>()[0] ? 1.0 : 0.0) : t.get_as_double(0);
}

AutoPad read_auto_pad(AttrReader& a) {
  auto s = a.get_string("auto_pad");
  if (!s) return AutoPad::NotSet;
  auto v = parse_enum<AutoPad>(*s);
  if (!v)
    throw UnsupportedError(
        fmt::format("auto_pad '{}' is not one of NOTSET, SAME_UPPER, SAME_LOWER, VALID", *s));
  return *v;
}

namespace {

template <class T>
std::vector<T> expand_axes_impl(const std::vector<T>& per_axis, const std::vector<int64_t>& axes,
                                size_t rank, T fill, const ErrorSite& site, const char* what) {
  if (axes.empty()) return per_axis;
  if (per_axis.size() != axes.size())
    throw ShapeError(
        fmt::format("{} has {} values for {} axes", what, per_axis.size(), axes.size()), site);
  std::vector<T> out(rank, fill);
  for (size_t k = 0; k < axes.size(); ++k) {
    const int64_t ax = axes[k] < 0 ? axes[k] + static_cast<int64_t>(rank) : axes[k];
    if (ax < 0 || ax >= static_cast<int64_t>(rank))
      throw ShapeError(fmt::format("axes value {} is out of range for rank {}", axes[k], rank),
                       site);
    out[static_cast<size_t>(ax)] = per_axis[k];
  }
  return out;
}

}  // namespace

std::vector<int64_t> expand_axes(const std::vector<int64_t>& per_axis,
                                 const std::vector<int64_t>& axes, size_t rank, int64_t fill,
                                 const ErrorSite& site, const char* what) {
  return expand_axes_impl(per_axis, axes, rank, fill, site, what);
}
std::vector<float> expand_axes(const std::vector<float>& per_axis, const std::vector<int64_t>& axes,
                               size_t rank, float fill, const ErrorSite& site, const char* what) {
  return expand_axes_impl(per_axis, axes, rank, fill, site, what);
}

}  // namespace loom::onnx_frontend
