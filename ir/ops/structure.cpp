// Shape inference and reference evaluation of the structural ops that move or
// create elements without arithmetic: Pad (constant, reflect, edge, wrap;
// negative pads crop), Cast, ConstantOfShape, Split, Tile, Range,
// DepthToSpace (DCR and CRD), SpaceToDepth and ScatterND. They work on any
// dtype by copying whole elements, except Cast and Range, which convert
// values, and ScatterND's reductions.
#include <algorithm>
#include <cmath>
#include <cstring>
#include <functional>

#include <fmt/format.h>

#include "ir/ops/op_context.h"

namespace loom {

namespace {

// Fills `out` element by element: src(out_index) gives the input's flat
// element offset, or -1 for "leave as filled" (Pad's constant).
void copy_by_index(const Tensor& in, Tensor& out,
                   const std::function<int64_t(const std::vector<int64_t>&)>& src) {
  const size_t es = dtype_size(in.dtype());
  const Shape& shape = out.shape();
  const int64_t n = out.numel();
  std::vector<int64_t> idx(shape.size(), 0);
  const std::byte* pi = in.raw();
  std::byte* po = out.raw();
  for (int64_t i = 0; i < n; ++i) {
    const int64_t s = src(idx);
    if (s >= 0) std::memcpy(po + static_cast<size_t>(i) * es, pi + static_cast<size_t>(s) * es, es);
    for (size_t d = shape.size(); d-- > 0;) {
      if (++idx[d] < shape[d]) break;
      idx[d] = 0;
    }
  }
}

int64_t flat(const std::vector<int64_t>& idx, const std::vector<int64_t>& strides) {
  int64_t o = 0;
  for (size_t d = 0; d < idx.size(); ++d)
    o += idx[d] * strides[d];
  return o;
}

// Maps a padded coordinate back into [0, n) for the non-constant modes; -1
// for constant mode outside the input.
int64_t pad_source(PadMode mode, int64_t p, int64_t n) {
  if (p >= 0 && p < n) return p;
  switch (mode) {
    case PadMode::Constant:
      return -1;
    case PadMode::Edge:
      return p < 0 ? 0 : n - 1;
    case PadMode::Wrap:
      return ((p % n) + n) % n;
    case PadMode::Reflect: {
      if (n == 1) return 0;
      const int64_t period = 2 * (n - 1);
      int64_t q = ((p % period) + period) % period;
      return q < n ? q : period - q;
    }
  }
  return -1;
}

std::vector<int64_t> split_sizes(const OpContext& ctx, const SplitAttrs& a, int64_t dim,
                                 size_t outputs) {
  if (!a.split.empty()) {
    if (a.split.size() != outputs)
      ctx.fail(
          fmt::format("attribute split has {} entries for {} outputs", a.split.size(), outputs));
    int64_t total = 0;
    for (int64_t s : a.split) {
      if (s < 0) ctx.fail(fmt::format("attribute split has a negative size {}", s));
      total += s;
    }
    if (total != dim)
      ctx.fail(fmt::format("attribute split sums to {}, but the axis has size {}", total, dim));
    return a.split;
  }
  const int64_t n = static_cast<int64_t>(outputs);
  const int64_t part = (dim + n - 1) / n;
  std::vector<int64_t> sizes;
  int64_t left = dim;
  for (int64_t i = 0; i < n; ++i) {
    sizes.push_back(std::min(part, left));
    left -= sizes.back();
  }
  if (part * (n - 1) >= dim && n > 1)
    ctx.fail(fmt::format("axis of size {} cannot be split into {} non-empty parts", dim, n));
  return sizes;
}

double scalar_input(const OpContext& ctx, size_t i) {
  const ValueId id = ctx.node().inputs[i];
  if (!ctx.graph().is_constant(id))
    ctx.unsupported(
        fmt::format("input {} ('{}') must be a constant: the output's shape depends "
                    "on its value",
                    i, ctx.input_name(i)));
  const Tensor& t = *ctx.graph().value(id).constant;
  if (t.numel() != 1)
    ctx.fail_input(i, fmt::format("expected a scalar, got shape {}", shape_str(t.shape())));
  return t.get_as_double(0);
}

int64_t range_count(const OpContext& ctx) {
  const double start = scalar_input(ctx, 0), limit = scalar_input(ctx, 1),
               delta = scalar_input(ctx, 2);
  if (delta == 0) ctx.fail("delta is 0");
  return std::max<int64_t>(0, static_cast<int64_t>(std::ceil((limit - start) / delta)));
}

}  // namespace

// ---- Pad ------------------------------------------------------------------------

std::vector<TensorType> infer_Pad(const OpContext& ctx) {
  const auto& a = ctx.attrs<PadAttrs>();
  const Shape& in = ctx.in(0).shape;
  if (a.pads.size() != 2 * in.size())
    ctx.fail(fmt::format("attribute pads has {} entries, expected {} (2 * rank)", a.pads.size(),
                         2 * in.size()));
  Shape out = in;
  for (size_t d = 0; d < in.size(); ++d) {
    out[d] = in[d] + a.pads[d] + a.pads[d + in.size()];
    if (out[d] < 0)
      ctx.fail(fmt::format("pads crop axis {} (size {}) to a negative size {}", d, in[d], out[d]));
    const bool pads_outside = a.pads[d] > 0 || a.pads[d + in.size()] > 0;
    if (a.mode != PadMode::Constant && pads_outside && in[d] == 0)
      ctx.fail(fmt::format("{} padding of axis {} which has size 0", enum_name(a.mode), d));
  }
  return {TensorType{ctx.in(0).dtype, out}};
}

std::vector<Tensor> eval_Pad(const OpContext& ctx, const std::vector<const Tensor*>& inputs,
                             const std::vector<TensorType>& output_types) {
  const Tensor& x = *inputs[0];
  const auto& a = ctx.attrs<PadAttrs>();
  Tensor out(output_types[0]);
  if (a.mode == PadMode::Constant && a.value != 0.f && out.numel() > 0) {
    Tensor fill = Tensor::scalar<double>(a.value).cast(x.dtype());
    const size_t es = dtype_size(x.dtype());
    for (int64_t i = 0; i < out.numel(); ++i)
      std::memcpy(out.raw() + static_cast<size_t>(i) * es, fill.raw(), es);
  }
  const size_t rank = x.shape().size();
  const std::vector<int64_t> strides = shape_strides(x.shape());
  copy_by_index(x, out, [&](const std::vector<int64_t>& idx) {
    int64_t o = 0;
    for (size_t d = 0; d < rank; ++d) {
      const int64_t s = pad_source(a.mode, idx[d] - a.pads[d], x.shape()[d]);
      if (s < 0) return int64_t{-1};
      o += s * strides[d];
    }
    return o;
  });
  return {out};
}

// ---- Cast -----------------------------------------------------------------------

std::vector<TensorType> infer_Cast(const OpContext& ctx) {
  const DType to = ctx.attrs<CastAttrs>().to;
  for (DType t : {ctx.in(0).dtype, to})
    if (t == DType::f16 || t == DType::bf16)
      ctx.unsupported(fmt::format("cast {} -> {}: {} is not computed", dtype_name(ctx.in(0).dtype),
                                  dtype_name(to), dtype_name(t)));
  return {TensorType{to, ctx.in(0).shape}};
}
std::vector<Tensor> eval_Cast(const OpContext& ctx, const std::vector<const Tensor*>& inputs,
                              const std::vector<TensorType>&) {
  return {inputs[0]->cast(ctx.attrs<CastAttrs>().to)};
}

// ---- ConstantOfShape ------------------------------------------------------------

std::vector<TensorType> infer_ConstantOfShape(const OpContext& ctx) {
  const auto& a = ctx.attrs<ConstantOfShapeAttrs>();
  for (int64_t d : a.shape)
    if (d < 0) ctx.fail(fmt::format("attribute shape {} has a negative dim", shape_str(a.shape)));
  if (a.value.defined() && a.value.numel() != 1)
    ctx.fail(fmt::format("attribute value has {} elements, expected 1", a.value.numel()));
  return {TensorType{a.value.defined() ? a.value.dtype() : DType::f32, a.shape}};
}
std::vector<Tensor> eval_ConstantOfShape(const OpContext& ctx, const std::vector<const Tensor*>&,
                                         const std::vector<TensorType>& output_types) {
  const auto& a = ctx.attrs<ConstantOfShapeAttrs>();
  Tensor out(output_types[0]);
  if (a.value.defined()) {
    const size_t es = dtype_size(a.value.dtype());
    for (int64_t i = 0; i < out.numel(); ++i)
      std::memcpy(out.raw() + static_cast<size_t>(i) * es, a.value.raw(), es);
  }
  return {out};
}

// ---- Split ----------------------------------------------------------------------

std::vector<TensorType> infer_Split(const OpContext& ctx) {
  const auto& a = ctx.attrs<SplitAttrs>();
  const Shape& in = ctx.in(0).shape;
  const int64_t axis = ctx.normalize_axis(a.axis, ctx.in(0).rank(), "axis");
  const auto sizes = split_sizes(ctx, a, in[static_cast<size_t>(axis)], ctx.num_outputs());
  std::vector<TensorType> out;
  for (int64_t s : sizes) {
    Shape sh = in;
    sh[static_cast<size_t>(axis)] = s;
    out.push_back(TensorType{ctx.in(0).dtype, sh});
  }
  return out;
}
std::vector<Tensor> eval_Split(const OpContext& ctx, const std::vector<const Tensor*>& inputs,
                               const std::vector<TensorType>& output_types) {
  const Tensor& x = *inputs[0];
  const int64_t axis = ctx.normalize_axis(ctx.attrs<SplitAttrs>().axis, x.rank(), "axis");
  const std::vector<int64_t> strides = shape_strides(x.shape());
  std::vector<Tensor> outs;
  int64_t begin = 0;
  for (const TensorType& t : output_types) {
    Tensor o(t);
    copy_by_index(x, o, [&](const std::vector<int64_t>& idx) {
      return flat(idx, strides) + begin * strides[static_cast<size_t>(axis)];
    });
    begin += t.shape[static_cast<size_t>(axis)];
    outs.push_back(std::move(o));
  }
  return outs;
}

// ---- Tile -----------------------------------------------------------------------

std::vector<TensorType> infer_Tile(const OpContext& ctx) {
  const auto& r = ctx.attrs<TileAttrs>().repeats;
  const Shape& in = ctx.in(0).shape;
  if (r.size() != in.size())
    ctx.fail(fmt::format("repeats has {} entries for an input of rank {}", r.size(), in.size()));
  Shape out = in;
  for (size_t d = 0; d < in.size(); ++d) {
    if (r[d] < 0) ctx.fail(fmt::format("repeats[{}] = {} is negative", d, r[d]));
    out[d] = in[d] * r[d];
  }
  return {TensorType{ctx.in(0).dtype, out}};
}
std::vector<Tensor> eval_Tile(const OpContext&, const std::vector<const Tensor*>& inputs,
                              const std::vector<TensorType>& output_types) {
  const Tensor& x = *inputs[0];
  Tensor out(output_types[0]);
  const std::vector<int64_t> strides = shape_strides(x.shape());
  copy_by_index(x, out, [&](const std::vector<int64_t>& idx) {
    int64_t o = 0;
    for (size_t d = 0; d < idx.size(); ++d)
      o += (idx[d] % x.shape()[d]) * strides[d];
    return o;
  });
  return {out};
}

// ---- Range ----------------------------------------------------------------------

std::vector<TensorType> infer_Range(const OpContext& ctx) {
  const DType t = ctx.in(0).dtype;
  ctx.expect_dtype(0, {DType::f32, DType::f64, DType::i32, DType::i64});
  ctx.expect_same_dtype(1, 0);
  ctx.expect_same_dtype(2, 0);
  return {TensorType{t, {range_count(ctx)}}};
}
std::vector<Tensor> eval_Range(const OpContext& ctx, const std::vector<const Tensor*>& inputs,
                               const std::vector<TensorType>& output_types) {
  const int64_t n = output_types[0].shape[0];
  const DType t = output_types[0].dtype;
  if (t == DType::i32 || t == DType::i64) {
    const int64_t start = inputs[0]->get_as_int(0), delta = inputs[2]->get_as_int(0);
    std::vector<int64_t> v(static_cast<size_t>(n));
    for (int64_t i = 0; i < n; ++i)
      v[static_cast<size_t>(i)] = start + i * delta;
    return {Tensor::from_vector<int64_t>({n}, v).cast(t)};
  }
  (void)ctx;
  const double start = inputs[0]->get_as_double(0), delta = inputs[2]->get_as_double(0);
  std::vector<double> v(static_cast<size_t>(n));
  // The spec adds delta step by step in the input's precision.
  if (t == DType::f32) {
    float acc = static_cast<float>(start);
    for (int64_t i = 0; i < n; ++i, acc += static_cast<float>(delta))
      v[static_cast<size_t>(i)] = acc;
  } else {
    double acc = start;
    for (int64_t i = 0; i < n; ++i, acc += delta)
      v[static_cast<size_t>(i)] = acc;
  }
  return {Tensor::from_vector<double>({n}, v).cast(t)};
}

// ---- DepthToSpace / SpaceToDepth --------------------------------------------------

std::vector<TensorType> infer_DepthToSpace(const OpContext& ctx) {
  ctx.expect_rank(0, 4);
  const int64_t b = ctx.attrs<BlockAttrs>().blocksize;
  const Shape& in = ctx.in(0).shape;
  if (b <= 0) ctx.fail(fmt::format("blocksize is {}, expected > 0", b));
  if (in[1] % (b * b) != 0)
    ctx.fail(fmt::format("{} channels do not divide by blocksize^2 = {}", in[1], b * b));
  return {TensorType{ctx.in(0).dtype, {in[0], in[1] / (b * b), in[2] * b, in[3] * b}}};
}
std::vector<Tensor> eval_DepthToSpace(const OpContext& ctx,
                                      const std::vector<const Tensor*>& inputs,
                                      const std::vector<TensorType>& output_types) {
  const Tensor& x = *inputs[0];
  const auto& a = ctx.attrs<BlockAttrs>();
  const int64_t b = a.blocksize;
  const int64_t oc = output_types[0].shape[1];
  const std::vector<int64_t> s = shape_strides(x.shape());
  Tensor out(output_types[0]);
  copy_by_index(x, out, [&](const std::vector<int64_t>& i) {
    const int64_t bh = i[2] % b, bw = i[3] % b;
    // DCR: channel = (bh * b + bw) * oc + c; CRD: channel = c * b * b + bh * b + bw.
    const int64_t c =
        a.mode == DepthToSpaceMode::DCR ? (bh * b + bw) * oc + i[1] : i[1] * b * b + bh * b + bw;
    return i[0] * s[0] + c * s[1] + (i[2] / b) * s[2] + (i[3] / b) * s[3];
  });
  return {out};
}

std::vector<TensorType> infer_SpaceToDepth(const OpContext& ctx) {
  ctx.expect_rank(0, 4);
  const int64_t b = ctx.attrs<BlockAttrs>().blocksize;
  const Shape& in = ctx.in(0).shape;
  if (b <= 0) ctx.fail(fmt::format("blocksize is {}, expected > 0", b));
  if (in[2] % b != 0 || in[3] % b != 0)
    ctx.fail(fmt::format("spatial size {}x{} does not divide by blocksize {}", in[2], in[3], b));
  return {TensorType{ctx.in(0).dtype, {in[0], in[1] * b * b, in[2] / b, in[3] / b}}};
}
std::vector<Tensor> eval_SpaceToDepth(const OpContext& ctx,
                                      const std::vector<const Tensor*>& inputs,
                                      const std::vector<TensorType>& output_types) {
  const Tensor& x = *inputs[0];
  const int64_t b = ctx.attrs<BlockAttrs>().blocksize;
  const int64_t ic = x.shape()[1];
  const std::vector<int64_t> s = shape_strides(x.shape());
  Tensor out(output_types[0]);
  copy_by_index(x, out, [&](const std::vector<int64_t>& i) {
    const int64_t block = i[1] / ic, c = i[1] % ic;
    const int64_t bh = block / b, bw = block % b;
    return i[0] * s[0] + c * s[1] + (i[2] * b + bh) * s[2] + (i[3] * b + bw) * s[3];
  });
  return {out};
}

// ---- ScatterND ------------------------------------------------------------------

std::vector<TensorType> infer_ScatterND(const OpContext& ctx) {
  const Shape& data = ctx.in(0).shape;
  const Shape& idx = ctx.in(1).shape;
  const Shape& upd = ctx.in(2).shape;
  ctx.expect_dtype(1, {DType::i64});
  ctx.expect_same_dtype(2, 0);
  if (idx.empty()) ctx.fail_input(1, "indices must have rank >= 1");
  const int64_t k = idx.back();
  if (k < 1 || k > static_cast<int64_t>(data.size()))
    ctx.fail_input(1,
                   fmt::format("the last dim of indices is {}, expected 1 to {}", k, data.size()));
  Shape want(idx.begin(), idx.end() - 1);
  want.insert(want.end(), data.begin() + k, data.end());
  if (upd != want)
    ctx.fail_input(
        2, fmt::format("updates have shape {}, expected {}", shape_str(upd), shape_str(want)));
  const ScatterReduction r = ctx.attrs<ScatterAttrs>().reduction;
  if (r != ScatterReduction::None && ctx.in(0).dtype == DType::boolean)
    ctx.fail(fmt::format("reduction {} on bool data", enum_name(r)));
  return {ctx.in(0)};
}

std::vector<Tensor> eval_ScatterND(const OpContext& ctx, const std::vector<const Tensor*>& inputs,
                                   const std::vector<TensorType>& output_types) {
  const Tensor& data = *inputs[0];
  const Tensor& idx = *inputs[1];
  const ScatterReduction red = ctx.attrs<ScatterAttrs>().reduction;
  Tensor out = data.clone();
  const Shape& ds = data.shape();
  const int64_t k = idx.shape().back();
  const int64_t count = k ? idx.numel() / k : 0;
  int64_t slice = 1;
  for (size_t d = static_cast<size_t>(k); d < ds.size(); ++d)
    slice *= ds[d];
  const std::vector<int64_t> strides = shape_strides(ds);
  const size_t es = dtype_size(data.dtype());
  const Tensor upd = red == ScatterReduction::None ? *inputs[2] : inputs[2]->cast(DType::f64);
  Tensor acc = red == ScatterReduction::None ? Tensor{} : out.cast(DType::f64);
  for (int64_t i = 0; i < count; ++i) {
    int64_t off = 0;
    for (int64_t j = 0; j < k; ++j) {
      int64_t v = idx.data<int64_t>()[i * k + j];
      const int64_t dim = ds[static_cast<size_t>(j)];
      if (v < -dim || v >= dim) {
        ErrorSite site = ctx.graph().site(ctx.node());
        site.tensor = ctx.input_name(1);
        throw InputError(fmt::format("index {} is out of range for dim {} of size {}", v, j, dim),
                         site);
      }
      off += (v < 0 ? v + dim : v) * strides[static_cast<size_t>(j)];
    }
    if (red == ScatterReduction::None) {
      std::memcpy(out.raw() + static_cast<size_t>(off) * es,
                  upd.raw() + static_cast<size_t>(i * slice) * es, static_cast<size_t>(slice) * es);
      continue;
    }
    double* pa = acc.data<double>() + off;
    const double* pu = upd.data<double>() + i * slice;
    for (int64_t e = 0; e < slice; ++e) {
      switch (red) {
        case ScatterReduction::Add:
          pa[e] += pu[e];
          break;
        case ScatterReduction::Mul:
          pa[e] *= pu[e];
          break;
        case ScatterReduction::Max:
          pa[e] = std::max(pa[e], pu[e]);
          break;
        default:
          pa[e] = std::min(pa[e], pu[e]);
          break;
      }
    }
  }
  if (red != ScatterReduction::None) return {acc.cast(output_types[0].dtype)};
  return {out};
}

}  // namespace loom
