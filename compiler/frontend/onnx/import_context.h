// What a converter of one ONNX op family needs from the importer: the
// attribute reader, the node being converted with its opset, access to the
// model's constant inputs, and the Converted record it fills in. Internal to
// compiler/frontend/onnx (it exposes protobuf types).
//
// onnx_importer.cpp's Importer::convert() checks a node's attributes against
// their opsets, hands the node to its family (import_conv_pool.cpp,
// import_dense.cpp, import_elementwise.cpp, import_normalization.cpp,
// import_structure.cpp, import_recurrent.cpp) and reports the attributes
// nobody read. A new op with attributes is one more case in its family's
// convert_* function.
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <unordered_map>
#include <unordered_set>
#include <vector>

#include "compiler/frontend/onnx/onnx_proto.h"
#include "ir/error.h"
#include "ir/graph.h"

namespace loom::onnx_frontend {

// Reads a node's attributes by name and type, remembering which were read so
// that attributes Loom does not know are reported rather than silently dropped.
class AttrReader {
 public:
  AttrReader(const onnx::NodeProto& node, ErrorSite site);

  bool has(const std::string& name) const { return by_name_.count(name) != 0; }
  void ignore(const std::string& name) { read_.insert(name); }

  std::optional<int64_t> get_int(const std::string& name) {
    const auto* a = get(name, onnx::AttributeProto::INT);
    return a ? std::optional<int64_t>(a->i()) : std::nullopt;
  }
  std::optional<float> get_float(const std::string& name) {
    const auto* a = get(name, onnx::AttributeProto::FLOAT);
    return a ? std::optional<float>(a->f()) : std::nullopt;
  }
  std::optional<std::string> get_string(const std::string& name) {
    const auto* a = get(name, onnx::AttributeProto::STRING);
    return a ? std::optional<std::string>(a->s()) : std::nullopt;
  }
  std::optional<std::vector<int64_t>> get_ints(const std::string& name) {
    const auto* a = get(name, onnx::AttributeProto::INTS);
    if (!a) return std::nullopt;
    return std::vector<int64_t>(a->ints().begin(), a->ints().end());
  }
  std::optional<std::vector<float>> get_floats(const std::string& name) {
    const auto* a = get(name, onnx::AttributeProto::FLOATS);
    if (!a) return std::nullopt;
    return std::vector<float>(a->floats().begin(), a->floats().end());
  }
  std::optional<std::vector<std::string>> get_strings(const std::string& name) {
    const auto* a = get(name, onnx::AttributeProto::STRINGS);
    if (!a) return std::nullopt;
    return std::vector<std::string>(a->strings().begin(), a->strings().end());
  }
  const onnx::TensorProto* get_tensor(const std::string& name) {
    const auto* a = get(name, onnx::AttributeProto::TENSOR);
    return a ? &a->t() : nullptr;
  }
  bool get_bool(const std::string& name, bool fallback) {
    auto v = get_int(name);
    if (!v) return fallback;
    if (*v != 0 && *v != 1)
      throw ParseError(fmt::format("attribute '{}' is {}, expected 0 or 1", name, *v), site_);
    return *v == 1;
  }

  // The attributes nobody asked for.
  std::vector<std::string> unread() const;

 private:
  // The attribute if present (marking it read); ParseError if its type is not `want`.
  const onnx::AttributeProto* get(const std::string& name,
                                  onnx::AttributeProto::AttributeType want);

  const onnx::NodeProto& node_;
  ErrorSite site_;
  std::unordered_map<std::string, const onnx::AttributeProto*> by_name_;
  std::unordered_set<std::string> read_;
};

// Rules of opsets before 7 that need the types of a node's inputs, so they
// are applied while the node is built rather than when its attributes are read.
enum class LegacyRule : uint8_t {
  None,
  SameShape,         // Add/Sub/Mul/Div without broadcast: both inputs have one shape
  Broadcast,         // Add/Sub/Mul/Div with broadcast = 1 (axis in legacy_axis)
  GemmExactC,        // Gemm without broadcast: C is exactly [M, N]
  BatchNormPerValue  // BatchNormalization with spatial = 0
};

// One ONNX node translated to Loom terms.
struct Converted {
  OpKind op = OpKind::Identity;
  Attrs attrs;
  std::vector<std::string> inputs;  // tensor inputs in Loom's order; "" absent
  std::optional<Tensor> constant;   // the value of a Constant node
  LegacyRule legacy = LegacyRule::None;
  std::optional<int64_t> legacy_axis;  // LegacyRule::Broadcast: where B lines up with A
};

// The model's constants as a converter sees them (the Importer implements it).
class ConstantInputs {
 public:
  // The value of input `i` when it must be a constant; null when absent.
  virtual const Tensor* constant_input(const onnx::NodeProto& node, size_t i, const ErrorSite& site,
                                       const char* role, bool required) = 0;
  // The value of input `i` if it happens to be constant; null otherwise.
  virtual const Tensor* maybe_constant_input(const onnx::NodeProto& node, size_t i) = 0;
  // The type of input `i` (ParseError naming it when it is undefined).
  virtual TensorType input_type(const onnx::NodeProto& node, size_t i, const ErrorSite& site) = 0;

 protected:
  ~ConstantInputs() = default;
};

// One node being converted.
struct ImportContext {
  const onnx::NodeProto& node;
  const ErrorSite& site;
  AttrReader& attrs;
  int64_t opset;                // the model's default-domain opset
  const std::string& base_dir;  // where external tensor data is looked up
  ConstantInputs& constants;

  const Tensor* constant_input(size_t i, const char* role, bool required) const {
    return constants.constant_input(node, i, site, role, required);
  }
  const Tensor* maybe_constant_input(size_t i) const {
    return constants.maybe_constant_input(node, i);
  }
  TensorType input_type(size_t i) const { return constants.input_type(node, i, site); }
  // How many outputs the node names (an empty name is an absent output).
  int present_outputs() const;
};

// Constant inputs read as attribute values.
std::vector<int64_t> to_ints(const Tensor& t, const ErrorSite& site, const char* role);
double to_scalar(const Tensor& t, const ErrorSite& site, const char* role);
// The auto_pad attribute of Conv and the pools.
AutoPad read_auto_pad(AttrReader& a);
// Spreads opset-18 per-axis values (`per_axis[k]` for axis axes[k], negative
// axes counting from the end) over all `rank` dims, `fill` elsewhere; empty
// axes: per_axis as is.
std::vector<int64_t> expand_axes(const std::vector<int64_t>& per_axis,
                                 const std::vector<int64_t>& axes, size_t rank, int64_t fill,
                                 const ErrorSite& site, const char* what);
std::vector<float> expand_axes(const std::vector<float>& per_axis, const std::vector<int64_t>& axes,
                               size_t rank, float fill, const ErrorSite& site, const char* what);

// The op families: each sets c.attrs (and adjusts c.inputs, c.legacy,
// c.constant) for the ops it knows and returns false for any other op.
bool convert_conv_pool(ImportContext& ctx, OpKind op, Converted& c);
bool convert_dense(ImportContext& ctx, OpKind op, Converted& c);
bool convert_elementwise(ImportContext& ctx, OpKind op, Converted& c);
bool convert_normalization(ImportContext& ctx, OpKind op, Converted& c);
bool convert_structure(ImportContext& ctx, OpKind op, Converted& c);
bool convert_recurrent(ImportContext& ctx, OpKind op, Converted& c);
bool convert_reduction(ImportContext& ctx, OpKind op, Converted& c);
bool convert_resampling(ImportContext& ctx, OpKind op, Converted& c);

}  // namespace loom::onnx_frontend
