// Shape inference and reference evaluation of the data-movement ops: Flatten,
// Reshape, Squeeze, Unsqueeze (views of the same bytes), Transpose, Concat,
// Slice, Gather and Expand (byte copies), Shape (the input's dims as int64)
// and Constant. Only Gather looks at element values (its indices), so all of
// them work for every data dtype.
#include <algorithm>
#include <cstdint>
#include <cstring>
#include <limits>

#include <fmt/format.h>
#include <fmt/ranges.h>

#include "ir/ops/op_context.h"

namespace loom {

namespace {

std::string list_str(const std::vector<int64_t>& v) {
  return fmt::format("[{}]", fmt::join(v, ","));
}

// Copies the elements of an output of `out_shape` from `src`, where output
// index (i0, i1, ...) reads src element `offset + sum(i_d * strides[d])`.
// Transpose and Slice are both such strided gathers. Elements are moved as
// unsigned words of the dtype's size, so the dtype itself never matters.
template <class W>
void gather_words(const std::byte* in, std::byte* out, const Shape& out_shape,
                  const std::vector<int64_t>& strides, int64_t offset, int64_t n) {
  const W* src = reinterpret_cast<const W*>(in);
  W* dst = reinterpret_cast<W*>(out);
  const size_t rank = out_shape.size();
  std::vector<int64_t> idx(rank, 0);
  int64_t pos = offset;
  for (int64_t i = 0; i < n; ++i) {
    dst[i] = src[pos];
    for (size_t d = rank; d-- > 0;) {
      if (++idx[d] < out_shape[d]) {
        pos += strides[d];
        break;
      }
      pos -= strides[d] * (out_shape[d] - 1);
      idx[d] = 0;
    }
  }
}

Tensor gather_strided(const Tensor& src, const Shape& out_shape,
                      const std::vector<int64_t>& strides, int64_t offset) {
  Tensor out(src.dtype(), out_shape);
  const int64_t n = out.numel();
  if (n == 0) return out;
  switch (dtype_size(src.dtype())) {
    case 1:
      gather_words<uint8_t>(src.raw(), out.raw(), out_shape, strides, offset, n);
      break;
    case 2:
      gather_words<uint16_t>(src.raw(), out.raw(), out_shape, strides, offset, n);
      break;
    case 4:
      gather_words<uint32_t>(src.raw(), out.raw(), out_shape, strides, offset, n);
      break;
    case 8:
      gather_words<uint64_t>(src.raw(), out.raw(), out_shape, strides, offset, n);
      break;
    default:
      throw InternalError(fmt::format("no strided copy for dtype {}", dtype_name(src.dtype())));
  }
  return out;
}

// Normalizes a list of axes against `rank`, rejecting duplicates.
std::vector<int64_t> normalize_axes(const OpContext& ctx, const std::vector<int64_t>& axes,
                                    int64_t rank, const char* attr_name) {
  std::vector<int64_t> out;
  for (int64_t a : axes) {
    const int64_t n = ctx.normalize_axis(a, rank, attr_name);
    if (std::find(out.begin(), out.end(), n) != out.end())
      ctx.fail(fmt::format("attribute {} = {} names axis {} more than once (rank {})", attr_name,
                           list_str(axes), n, rank));
    out.push_back(n);
  }
  return out;
}

// What Slice reads along one axis: `count` elements from `start` in steps of `step`.
struct SliceRange {
  int64_t start = 0;
  int64_t step = 1;
  int64_t count = 0;
};

SliceRange resolve_slice(int64_t start, int64_t end, int64_t step, int64_t dim) {
  // A step longer than the dimension takes at most the first element, so
  // capping it keeps the arithmetic below free of overflow (even for INT64_MIN).
  const int64_t cap = dim + 1;
  step = step > 0 ? std::min(step, cap) : std::max(step, -cap);
  if (start < 0) start = start < -dim ? -1 : start + dim;  // -1: below the range either way
  if (end < 0) end = end < -dim ? -1 : end + dim;
  SliceRange r;
  r.step = step;
  if (step > 0) {
    start = std::min(std::max(start, int64_t{0}), dim);
    end = std::min(std::max(end, int64_t{0}), dim);
    r.count = end > start ? (end - start + step - 1) / step : 0;
  } else {
    start = std::min(std::max(start, int64_t{0}), dim - 1);
    end = std::min(std::max(end, int64_t{-1}), dim - 1);
    r.count = start > end ? (start - end - step - 1) / -step : 0;
  }
  r.start = start;
  return r;
}

// Per-axis ranges of a Slice node (every axis, unsliced ones full).
std::vector<SliceRange> slice_ranges(const OpContext& ctx) {
  const SliceAttrs& a = ctx.attrs<SliceAttrs>();
  const Shape& shape = ctx.in(0).shape;
  const int64_t rank = ctx.in(0).rank();
  const size_t n = a.starts.size();
  if (a.ends.size() != n)
    ctx.fail(fmt::format("attribute ends has {} values but starts has {}; they must match",
                         a.ends.size(), n));
  if (!a.axes.empty() && a.axes.size() != n)
    ctx.fail(fmt::format("attribute axes has {} values but starts has {}; they must match",
                         a.axes.size(), n));
  if (!a.steps.empty() && a.steps.size() != n)
    ctx.fail(fmt::format("attribute steps has {} values but starts has {}; they must match",
                         a.steps.size(), n));
  if (a.axes.empty() && static_cast<int64_t>(n) > rank)
    ctx.fail(fmt::format("attribute starts has {} values but input {} has rank {}", n,
                         shape_str(shape), rank));
  std::vector<int64_t> axes;
  if (a.axes.empty()) {
    for (size_t i = 0; i < n; ++i)
      axes.push_back(static_cast<int64_t>(i));
  } else {
    axes = normalize_axes(ctx, a.axes, rank, "axes");
  }
  std::vector<SliceRange> ranges(static_cast<size_t>(rank));
  for (size_t d = 0; d < ranges.size(); ++d)
    ranges[d] = {0, 1, shape[d]};
  for (size_t i = 0; i < n; ++i) {
    const int64_t step = a.steps.empty() ? 1 : a.steps[i];
    if (step == 0)
      ctx.fail(
          fmt::format("attribute steps = {} has a 0 step for axis {}", list_str(a.steps), axes[i]));
    const size_t ax = static_cast<size_t>(axes[i]);
    ranges[ax] = resolve_slice(a.starts[i], a.ends[i], step, shape[ax]);
  }
  return ranges;
}

// Checked product of dims; ShapeError when it does not fit in int64.
int64_t checked_product(const OpContext& ctx, const std::vector<int64_t>& dims) {
  int64_t p = 1;
  for (int64_t d : dims)
    if (__builtin_mul_overflow(p, d, &p))
      ctx.fail(fmt::format("shape {} has more elements than fit in int64", list_str(dims)));
  return p;
}

}  // namespace

// ---- Flatten --------------------------------------------------------------------

std::vector<TensorType> infer_Flatten(const OpContext& ctx) {
  const TensorType& x = ctx.in(0);
  const int64_t rank = x.rank();
  int64_t axis = ctx.attrs<AxisAttrs>().axis;
  // Flatten's axis may equal the rank (everything goes into the first dim).
  if (axis < -rank || axis > rank)
    ctx.fail(fmt::format("attribute axis = {} is out of range for rank {} (expected {}..{})", axis,
                         rank, -rank, rank));
  if (axis < 0) axis += rank;
  int64_t rows = 1, cols = 1;
  for (int64_t d = 0; d < rank; ++d)
    (d < axis ? rows : cols) *= x.shape[static_cast<size_t>(d)];
  return {TensorType{x.dtype, {rows, cols}}};
}

std::vector<Tensor> eval_Flatten(const OpContext&, const std::vector<const Tensor*>& inputs,
                                 const std::vector<TensorType>& output_types) {
  return {inputs[0]->reshaped(output_types[0].shape)};
}

// ---- Reshape --------------------------------------------------------------------

std::vector<TensorType> infer_Reshape(const OpContext& ctx) {
  const TensorType& x = ctx.in(0);
  const ReshapeAttrs& a = ctx.attrs<ReshapeAttrs>();
  const std::string target = list_str(a.shape);
  int64_t infer_at = -1;
  bool has_zero = false;
  for (size_t i = 0; i < a.shape.size(); ++i) {
    const int64_t v = a.shape[i];
    if (v < -1)
      ctx.fail(fmt::format("attribute shape = {} has {} at position {} (expected -1, 0 or a size)",
                           target, v, i));
    if (v == 0) has_zero = true;
    if (v == -1) {
      if (infer_at >= 0)
        ctx.fail(fmt::format("attribute shape = {} has more than one -1 (positions {} and {})",
                             target, infer_at, i));
      infer_at = static_cast<int64_t>(i);
    }
  }
  if (a.allow_zero && has_zero && infer_at >= 0)
    ctx.fail(
        fmt::format("attribute shape = {} has both 0 and -1 while allow_zero is set; the -1 "
                    "cannot be inferred",
                    target));
  Shape out(a.shape.begin(), a.shape.end());
  for (size_t i = 0; i < out.size(); ++i) {
    if (out[i] != 0 || a.allow_zero) continue;
    if (i >= x.shape.size())
      ctx.fail(
          fmt::format("attribute shape = {} copies dimension {} (a 0) but input {} has only {} "
                      "dimensions",
                      target, i, shape_str(x.shape), x.shape.size()));
    out[i] = x.shape[i];
  }
  const int64_t numel = x.numel();
  if (infer_at >= 0) {
    std::vector<int64_t> known = out;
    known.erase(known.begin() + infer_at);
    const int64_t rest = checked_product(ctx, known);
    if (rest == 0)
      ctx.fail(
          fmt::format("cannot infer the -1 in attribute shape = {} for input {}: the other "
                      "dimensions multiply to 0, so any size would fit",
                      target, shape_str(x.shape)));
    if (numel % rest != 0)
      ctx.fail(
          fmt::format("cannot reshape input {} ({} elements) to {}: the other dimensions "
                      "multiply to {}, which does not divide {}",
                      shape_str(x.shape), numel, target, rest, numel));
    out[static_cast<size_t>(infer_at)] = numel / rest;
  } else if (checked_product(ctx, out) != numel) {
    ctx.fail(fmt::format("cannot reshape input {} ({} elements) to {} ({} elements)",
                         shape_str(x.shape), numel, shape_str(out), shape_numel(out)));
  }
  return {TensorType{x.dtype, out}};
}

std::vector<Tensor> eval_Reshape(const OpContext&, const std::vector<const Tensor*>& inputs,
                                 const std::vector<TensorType>& output_types) {
  return {inputs[0]->reshaped(output_types[0].shape)};
}

// ---- Transpose --------------------------------------------------------------------

namespace {
std::vector<int64_t> resolve_perm(const OpContext& ctx) {
  const std::vector<int64_t>& perm = ctx.attrs<TransposeAttrs>().perm;
  const int64_t rank = ctx.in(0).rank();
  if (perm.empty()) {
    std::vector<int64_t> rev;
    for (int64_t d = rank - 1; d >= 0; --d)
      rev.push_back(d);
    return rev;
  }
  if (static_cast<int64_t>(perm.size()) != rank)
    ctx.fail(fmt::format("attribute perm = {} has {} entries but input {} has rank {}",
                         list_str(perm), perm.size(), shape_str(ctx.in(0).shape), rank));
  std::vector<bool> seen(static_cast<size_t>(rank), false);
  for (int64_t p : perm) {
    if (p < 0 || p >= rank || seen[static_cast<size_t>(p)])
      ctx.fail(fmt::format("attribute perm = {} is not a permutation of 0..{}", list_str(perm),
                           rank - 1));
    seen[static_cast<size_t>(p)] = true;
  }
  return perm;
}
}  // namespace

std::vector<TensorType> infer_Transpose(const OpContext& ctx) {
  const std::vector<int64_t> perm = resolve_perm(ctx);
  Shape out;
  for (int64_t p : perm)
    out.push_back(ctx.in(0).shape[static_cast<size_t>(p)]);
  return {TensorType{ctx.in(0).dtype, out}};
}

std::vector<Tensor> eval_Transpose(const OpContext& ctx, const std::vector<const Tensor*>& inputs,
                                   const std::vector<TensorType>& output_types) {
  const std::vector<int64_t> perm = resolve_perm(ctx);
  const std::vector<int64_t> in_strides = shape_strides(inputs[0]->shape());
  std::vector<int64_t> strides;
  for (int64_t p : perm)
    strides.push_back(in_strides[static_cast<size_t>(p)]);
  return {gather_strided(*inputs[0], output_types[0].shape, strides, 0)};
}

// ---- Squeeze / Unsqueeze --------------------------------------------------------------

std::vector<TensorType> infer_Squeeze(const OpContext& ctx) {
  const TensorType& x = ctx.in(0);
  const std::vector<int64_t>& axes = ctx.attrs<AxesAttrs>().axes;
  std::vector<bool> drop(x.shape.size(), false);
  if (axes.empty()) {
    for (size_t d = 0; d < x.shape.size(); ++d)
      drop[d] = x.shape[d] == 1;
  } else {
    for (int64_t a : normalize_axes(ctx, axes, x.rank(), "axes")) {
      if (x.shape[static_cast<size_t>(a)] != 1)
        ctx.fail_input(0, fmt::format("cannot squeeze axis {} of input {}: its size is {}, "
                                      "expected 1",
                                      a, shape_str(x.shape), x.shape[static_cast<size_t>(a)]));
      drop[static_cast<size_t>(a)] = true;
    }
  }
  Shape out;
  for (size_t d = 0; d < x.shape.size(); ++d)
    if (!drop[d]) out.push_back(x.shape[d]);
  return {TensorType{x.dtype, out}};
}

std::vector<Tensor> eval_Squeeze(const OpContext&, const std::vector<const Tensor*>& inputs,
                                 const std::vector<TensorType>& output_types) {
  return {inputs[0]->reshaped(output_types[0].shape)};
}

std::vector<TensorType> infer_Unsqueeze(const OpContext& ctx) {
  const TensorType& x = ctx.in(0);
  const std::vector<int64_t>& axes = ctx.attrs<AxesAttrs>().axes;
  // Axes index the output, whose rank counts the inserted dimensions.
  const int64_t out_rank = x.rank() + static_cast<int64_t>(axes.size());
  std::vector<bool> insert(static_cast<size_t>(out_rank), false);
  for (int64_t a : normalize_axes(ctx, axes, out_rank, "axes"))
    insert[static_cast<size_t>(a)] = true;
  Shape out;
  size_t next = 0;
  for (size_t d = 0; d < insert.size(); ++d)
    out.push_back(insert[d] ? 1 : x.shape[next++]);
  return {TensorType{x.dtype, out}};
}

std::vector<Tensor> eval_Unsqueeze(const OpContext&, const std::vector<const Tensor*>& inputs,
                                   const std::vector<TensorType>& output_types) {
  return {inputs[0]->reshaped(output_types[0].shape)};
}

// ---- Concat ---------------------------------------------------------------------------

std::vector<TensorType> infer_Concat(const OpContext& ctx) {
  const TensorType& first = ctx.in(0);
  ctx.expect_min_rank(0, 1);
  const int64_t axis = ctx.normalize_axis(ctx.attrs<AxisAttrs>().axis, first.rank(), "axis");
  Shape out = first.shape;
  out[static_cast<size_t>(axis)] = 0;
  for (size_t i = 0; i < ctx.num_inputs(); ++i) {
    const TensorType& t = ctx.in(i);
    ctx.expect_same_dtype(i, 0);
    bool fits = t.rank() == first.rank();
    for (size_t d = 0; fits && d < t.shape.size(); ++d)
      fits = d == static_cast<size_t>(axis) || t.shape[d] == first.shape[d];
    if (!fits)
      ctx.fail_input(i, fmt::format("input {} has shape {} but input 0 has shape {}; they must "
                                    "match in every dimension except axis {}",
                                    i, shape_str(t.shape), shape_str(first.shape), axis));
    out[static_cast<size_t>(axis)] += t.shape[static_cast<size_t>(axis)];
  }
  return {TensorType{first.dtype, out}};
}

std::vector<Tensor> eval_Concat(const OpContext& ctx, const std::vector<const Tensor*>& inputs,
                                const std::vector<TensorType>& output_types) {
  const Shape& out_shape = output_types[0].shape;
  const int64_t axis = ctx.normalize_axis(ctx.attrs<AxisAttrs>().axis,
                                          static_cast<int64_t>(out_shape.size()), "axis");
  Tensor out(output_types[0]);
  const size_t esize = dtype_size(out.dtype());
  int64_t outer = 1, inner = 1;
  for (int64_t d = 0; d < static_cast<int64_t>(out_shape.size()); ++d) {
    if (d < axis) outer *= out_shape[static_cast<size_t>(d)];
    if (d > axis) inner *= out_shape[static_cast<size_t>(d)];
  }
  // The output is, for each outer index, the inputs' [axis, inner] blocks in order.
  std::byte* dst = out.raw();
  for (int64_t o = 0; o < outer; ++o) {
    for (const Tensor* t : inputs) {
      const size_t block =
          static_cast<size_t>(t->shape()[static_cast<size_t>(axis)] * inner) * esize;
      if (block == 0) continue;
      std::memcpy(dst, t->raw() + static_cast<size_t>(o) * block, block);
      dst += block;
    }
  }
  return {out};
}

// ---- Slice ------------------------------------------------------------------------------

std::vector<TensorType> infer_Slice(const OpContext& ctx) {
  Shape out;
  for (const SliceRange& r : slice_ranges(ctx))
    out.push_back(r.count);
  return {TensorType{ctx.in(0).dtype, out}};
}

std::vector<Tensor> eval_Slice(const OpContext& ctx, const std::vector<const Tensor*>& inputs,
                               const std::vector<TensorType>& output_types) {
  const std::vector<SliceRange> ranges = slice_ranges(ctx);
  const std::vector<int64_t> in_strides = shape_strides(inputs[0]->shape());
  std::vector<int64_t> strides;
  int64_t offset = 0;
  for (size_t d = 0; d < ranges.size(); ++d) {
    // An empty range reads nothing, and its start may be one past the end.
    if (ranges[d].count == 0) return {Tensor(output_types[0])};
    offset += ranges[d].start * in_strides[d];
    strides.push_back(ranges[d].step * in_strides[d]);
  }
  return {gather_strided(*inputs[0], output_types[0].shape, strides, offset)};
}

// ---- Shape ------------------------------------------------------------------------------

std::vector<int64_t> shape_op_dims(const ShapeAttrs& attrs, const Shape& input) {
  const auto rank = static_cast<int64_t>(input.size());
  // Negative values count from the end; then both ends are clamped to
  // [0, rank], so any start/end pair is valid and start >= end is empty.
  auto clamp = [rank](int64_t v) {
    if (v < 0) v += rank;  // no overflow: v < 0 and rank >= 0
    return std::min(std::max(v, int64_t{0}), rank);
  };
  const int64_t start = clamp(attrs.start);
  const int64_t end = clamp(attrs.end);
  if (start >= end) return {};
  return {input.begin() + start, input.begin() + end};
}

std::vector<TensorType> infer_Shape(const OpContext& ctx) {
  const auto n =
      static_cast<int64_t>(shape_op_dims(ctx.attrs<ShapeAttrs>(), ctx.in(0).shape).size());
  return {TensorType{DType::i64, {n}}};
}

std::vector<Tensor> eval_Shape(const OpContext& ctx, const std::vector<const Tensor*>& inputs,
                               const std::vector<TensorType>&) {
  const std::vector<int64_t> dims = shape_op_dims(ctx.attrs<ShapeAttrs>(), inputs[0]->shape());
  return {Tensor::from_vector<int64_t>({static_cast<int64_t>(dims.size())}, dims)};
}

// ---- Gather -----------------------------------------------------------------------------

namespace {
// The data rank, normalized axis and indices dtype of a Gather node, checked.
int64_t gather_axis(const OpContext& ctx) {
  ctx.expect_min_rank(0, 1);
  ctx.expect_dtype(1, {DType::i64, DType::i32});
  return ctx.normalize_axis(ctx.attrs<AxisAttrs>().axis, ctx.in(0).rank(), "axis");
}
}  // namespace

std::vector<TensorType> infer_Gather(const OpContext& ctx) {
  const int64_t axis = gather_axis(ctx);
  const Shape& data = ctx.in(0).shape;
  const Shape& indices = ctx.in(1).shape;
  // data dims before axis, then the indices' dims, then data dims after axis.
  Shape out(data.begin(), data.begin() + axis);
  out.insert(out.end(), indices.begin(), indices.end());
  out.insert(out.end(), data.begin() + axis + 1, data.end());
  checked_product(ctx, out);
  return {TensorType{ctx.in(0).dtype, out}};
}

std::vector<Tensor> eval_Gather(const OpContext& ctx, const std::vector<const Tensor*>& inputs,
                                const std::vector<TensorType>& output_types) {
  const int64_t axis = gather_axis(ctx);
  const Tensor& data = *inputs[0];
  const Tensor& indices = *inputs[1];
  const Shape& shape = data.shape();
  const int64_t dim = shape[static_cast<size_t>(axis)];
  // Every index is checked before anything is read, so a bad one is an
  // error naming it and never an out-of-bounds read.
  std::vector<int64_t> idx(static_cast<size_t>(indices.numel()));
  for (size_t k = 0; k < idx.size(); ++k) {
    const auto i = static_cast<int64_t>(k);
    const int64_t v = indices.dtype() == DType::i32 ? int64_t{indices.data<int32_t>()[k]}
                                                    : indices.data<int64_t>()[k];
    if (v < -dim || v >= dim)
      ctx.fail_input(
          1, fmt::format("index {} (element {} of indices {}) is out of range for axis "
                         "{} of data {}: expected {}..{}",
                         v, i, shape_str(indices.shape()), axis, shape_str(shape), -dim, dim - 1));
    idx[k] = v < 0 ? v + dim : v;
  }
  int64_t outer = 1, inner = 1;
  for (int64_t d = 0; d < static_cast<int64_t>(shape.size()); ++d) {
    if (d < axis) outer *= shape[static_cast<size_t>(d)];
    if (d > axis) inner *= shape[static_cast<size_t>(d)];
  }
  Tensor out(output_types[0]);
  const size_t block = static_cast<size_t>(inner) * dtype_size(data.dtype());
  if (block == 0 || idx.empty() || outer == 0) return {out};
  const std::byte* src = data.raw();
  std::byte* dst = out.raw();
  for (int64_t o = 0; o < outer; ++o) {
    const std::byte* slab = src + static_cast<size_t>(o * dim) * block;
    for (int64_t i : idx) {
      std::memcpy(dst, slab + static_cast<size_t>(i) * block, block);
      dst += block;
    }
  }
  return {out};
}

// ---- Expand -----------------------------------------------------------------------------

std::vector<TensorType> infer_Expand(const OpContext& ctx) {
  const TensorType& x = ctx.in(0);
  const std::vector<int64_t>& target = ctx.attrs<ExpandAttrs>().shape;
  for (size_t i = 0; i < target.size(); ++i)
    if (target[i] < 0)
      ctx.fail(fmt::format("attribute shape = {} has {} at position {} (expected a size >= 0)",
                           list_str(target), target[i], i));
  std::optional<Shape> out = broadcast_shapes(x.shape, target);
  if (!out)
    ctx.fail_input(0, fmt::format("input {} does not broadcast with attribute shape = {}: each "
                                  "pair of dimensions (aligned at the end) must be equal or "
                                  "one of them 1",
                                  shape_str(x.shape), list_str(target)));
  std::vector<int64_t> sized = *out;
  sized.push_back(static_cast<int64_t>(dtype_size(x.dtype)));
  checked_product(ctx, sized);
  return {TensorType{x.dtype, *out}};
}

std::vector<Tensor> eval_Expand(const OpContext&, const std::vector<const Tensor*>& inputs,
                                const std::vector<TensorType>& output_types) {
  const Shape& in_shape = inputs[0]->shape();
  const Shape& out_shape = output_types[0].shape;
  const std::vector<int64_t> in_strides = shape_strides(in_shape);
  // Output dim d reads input dim d - lead (the shapes align at the end);
  // broadcast dims (size 1 or missing in the input) repeat with stride 0.
  const size_t lead = out_shape.size() - in_shape.size();
  std::vector<int64_t> strides(out_shape.size(), 0);
  for (size_t d = lead; d < out_shape.size(); ++d)
    if (in_shape[d - lead] != 1) strides[d] = in_strides[d - lead];
  return {gather_strided(*inputs[0], out_shape, strides, 0)};
}

// ---- Constant ----------------------------------------------------------------------------

std::vector<TensorType> infer_Constant(const OpContext& ctx) {
  const Tensor& value = ctx.attrs<ConstantAttrs>().value;
  if (!value.defined()) ctx.fail("attribute value is missing (Constant needs a tensor)");
  return {value.type()};
}

std::vector<Tensor> eval_Constant(const OpContext& ctx, const std::vector<const Tensor*>&,
                                  const std::vector<TensorType>&) {
  return {ctx.attrs<ConstantAttrs>().value};
}

}  // namespace loom
