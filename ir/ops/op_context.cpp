#include "ir/ops/op_context.h"

#include <algorithm>

#include <fmt/format.h>
#include <fmt/ranges.h>

namespace loom {

const TensorType& OpContext::in(size_t i) const {
  if (!has_input(i)) fail(fmt::format("required input {} is missing", i));
  return *input_types_[i];
}

std::string OpContext::input_name(size_t i) const {
  if (i < node_.inputs.size() && node_.inputs[i] != kNoValue)
    return graph_.value(node_.inputs[i]).name;
  return fmt::format("<input {}>", i);
}

std::string OpContext::output_name(size_t i) const {
  if (i < node_.outputs.size() && node_.outputs[i] != kNoValue)
    return graph_.value(node_.outputs[i]).name;
  return fmt::format("<output {}>", i);
}

void OpContext::fail(const std::string& message) const {
  throw ShapeError(message, graph_.site(node_));
}

void OpContext::fail_input(size_t i, const std::string& message) const {
  ErrorSite s = graph_.site(node_);
  s.tensor = input_name(i);
  throw ShapeError(message, s);
}

void OpContext::unsupported(const std::string& message) const {
  throw UnsupportedError(message, graph_.site(node_));
}

void OpContext::expect_dtype(size_t i, std::initializer_list<DType> allowed) const {
  DType t = in(i).dtype;
  if (std::find(allowed.begin(), allowed.end(), t) != allowed.end()) return;
  std::vector<std::string_view> names;
  for (DType a : allowed)
    names.push_back(dtype_name(a));
  fail_input(i, fmt::format("input {} has dtype {}, expected {}", i, dtype_name(t),
                            fmt::join(names, " or ")));
}

void OpContext::expect_float(size_t i) const {
  DType t = in(i).dtype;
  if (t == DType::f16 || t == DType::bf16)
    unsupported(fmt::format("input {} ('{}') has dtype {}; only f32 and f64 are implemented", i,
                            input_name(i), dtype_name(t)));
  expect_dtype(i, {DType::f32, DType::f64});
}

void OpContext::expect_rank(size_t i, int64_t rank) const {
  const TensorType& t = in(i);
  if (t.rank() != rank)
    fail_input(i, fmt::format("input {} has rank {} ({}), expected rank {}", i, t.rank(),
                              shape_str(t.shape), rank));
}

void OpContext::expect_min_rank(size_t i, int64_t rank) const {
  const TensorType& t = in(i);
  if (t.rank() < rank)
    fail_input(i, fmt::format("input {} has rank {} ({}), expected at least rank {}", i, t.rank(),
                              shape_str(t.shape), rank));
}

void OpContext::expect_same_dtype(size_t i, size_t j) const {
  if (in(i).dtype != in(j).dtype)
    fail_input(i, fmt::format("input {} has dtype {} but input {} has dtype {}; they must match", i,
                              dtype_name(in(i).dtype), j, dtype_name(in(j).dtype)));
}

int64_t OpContext::normalize_axis(int64_t axis, int64_t rank, const char* attr_name) const {
  if (axis < -rank || axis >= std::max<int64_t>(rank, 1) || (rank == 0 && axis != 0 && axis != -1))
    fail(fmt::format("attribute {} = {} is out of range for rank {} (expected {}..{})", attr_name,
                     axis, rank, -rank, rank - 1));
  return axis < 0 ? axis + rank : axis;
}

std::optional<Shape> broadcast_shapes(const Shape& a, const Shape& b) {
  const size_t rank = std::max(a.size(), b.size());
  Shape out(rank);
  for (size_t i = 0; i < rank; ++i) {
    int64_t da = i < rank - a.size() ? 1 : a[i - (rank - a.size())];
    int64_t db = i < rank - b.size() ? 1 : b[i - (rank - b.size())];
    if (da != db && da != 1 && db != 1) return std::nullopt;
    out[i] = da == 1 ? db : da;
  }
  return out;
}

}  // namespace loom
