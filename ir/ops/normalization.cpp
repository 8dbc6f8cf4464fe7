// Shape inference and reference evaluation of the normalizations that work
// on statistics of the input itself: LRN (across channels),
// InstanceNormalization (per sample and channel over the spatial dims) and
// LayerNormalization (over dims [axis, rank), with the optional Mean and
// InvStdDev outputs). BatchNormalization, whose statistics are constants,
// lives with the dense ops. Statistics are computed in double.
#include <cmath>

#include <fmt/format.h>

#include "ir/ops/op_context.h"

namespace loom {

// ---- LRN ------------------------------------------------------------------------

std::vector<TensorType> infer_LRN(const OpContext& ctx) {
  ctx.expect_float(0);
  ctx.expect_min_rank(0, 3);
  const auto& a = ctx.attrs<LrnAttrs>();
  if (a.size <= 0) ctx.fail(fmt::format("attribute size is {}, expected > 0", a.size));
  return {ctx.in(0)};
}

std::vector<Tensor> eval_LRN(const OpContext& ctx, const std::vector<const Tensor*>& inputs,
                             const std::vector<TensorType>& output_types) {
  const auto& a = ctx.attrs<LrnAttrs>();
  const Tensor x = inputs[0]->cast(DType::f64);
  const Shape& s = x.shape();
  const int64_t n = s[0], c = s[1];
  int64_t inner = 1;
  for (size_t d = 2; d < s.size(); ++d)
    inner *= s[d];
  const double* px = x.data<double>();
  std::vector<double> out(static_cast<size_t>(x.numel()));
  // Channels [c - floor((size-1)/2), c + ceil((size-1)/2)].
  const int64_t lo = (a.size - 1) / 2, hi = a.size - 1 - lo;
  for (int64_t b = 0; b < n; ++b)
    for (int64_t ch = 0; ch < c; ++ch)
      for (int64_t i = 0; i < inner; ++i) {
        double sq = 0;
        for (int64_t k = std::max<int64_t>(0, ch - lo); k <= std::min(c - 1, ch + hi); ++k) {
          const double v = px[(b * c + k) * inner + i];
          sq += v * v;
        }
        const int64_t at = (b * c + ch) * inner + i;
        out[static_cast<size_t>(at)] =
            px[at] /
            std::pow(double{a.bias} + double{a.alpha} / double(a.size) * sq, double{a.beta});
      }
  return {Tensor::from_vector<double>(s, out).cast(output_types[0].dtype)};
}

// ---- InstanceNormalization -------------------------------------------------------

std::vector<TensorType> infer_InstanceNormalization(const OpContext& ctx) {
  ctx.expect_float(0);
  ctx.expect_min_rank(0, 3);
  const int64_t c = ctx.in(0).shape[1];
  for (size_t i : {size_t{1}, size_t{2}}) {
    ctx.expect_same_dtype(i, 0);
    if (ctx.in(i).shape != Shape{c})
      ctx.fail_input(i, fmt::format("shape {}, expected [{}] (one per channel)",
                                    shape_str(ctx.in(i).shape), c));
  }
  return {ctx.in(0)};
}

std::vector<Tensor> eval_InstanceNormalization(const OpContext& ctx,
                                               const std::vector<const Tensor*>& inputs,
                                               const std::vector<TensorType>& output_types) {
  const double eps = ctx.attrs<BatchNormAttrs>().epsilon;
  const Tensor x = inputs[0]->cast(DType::f64);
  const Tensor scale = inputs[1]->cast(DType::f64), bias = inputs[2]->cast(DType::f64);
  const Shape& s = x.shape();
  int64_t inner = 1;
  for (size_t d = 2; d < s.size(); ++d)
    inner *= s[d];
  const double* px = x.data<double>();
  std::vector<double> out(static_cast<size_t>(x.numel()));
  for (int64_t b = 0; b < s[0]; ++b)
    for (int64_t ch = 0; ch < s[1]; ++ch) {
      const int64_t base = (b * s[1] + ch) * inner;
      double mean = 0, var = 0;
      for (int64_t i = 0; i < inner; ++i)
        mean += px[base + i];
      mean /= static_cast<double>(inner);
      for (int64_t i = 0; i < inner; ++i)
        var += (px[base + i] - mean) * (px[base + i] - mean);
      var /= static_cast<double>(inner);
      const double k = scale.data<double>()[ch] / std::sqrt(var + eps);
      for (int64_t i = 0; i < inner; ++i)
        out[static_cast<size_t>(base + i)] = (px[base + i] - mean) * k + bias.data<double>()[ch];
    }
  return {Tensor::from_vector<double>(s, out).cast(output_types[0].dtype)};
}

// ---- LayerNormalization -------------------------------------------------------------

std::vector<TensorType> infer_LayerNormalization(const OpContext& ctx) {
  ctx.expect_float(0);
  const auto& a = ctx.attrs<LayerNormAttrs>();
  const Shape& in = ctx.in(0).shape;
  const int64_t axis = ctx.normalize_axis(a.axis, ctx.in(0).rank(), "axis");
  const Shape norm(in.begin() + axis, in.end());
  for (size_t i = 1; i < 3; ++i) {
    if (!ctx.has_input(i)) continue;
    ctx.expect_same_dtype(i, 0);
    auto b = broadcast_shapes(norm, ctx.in(i).shape);
    if (!b || *b != norm)
      ctx.fail_input(i, fmt::format("shape {} does not broadcast to the normalized shape {}",
                                    shape_str(ctx.in(i).shape), shape_str(norm)));
  }
  Shape stat = in;
  for (size_t d = static_cast<size_t>(axis); d < stat.size(); ++d)
    stat[d] = 1;
  std::vector<TensorType> out{ctx.in(0)};
  for (size_t k = 1; k < ctx.num_outputs(); ++k)
    out.push_back(TensorType{ctx.in(0).dtype, stat});
  return out;
}

std::vector<Tensor> eval_LayerNormalization(const OpContext& ctx,
                                            const std::vector<const Tensor*>& inputs,
                                            const std::vector<TensorType>& output_types) {
  const auto& a = ctx.attrs<LayerNormAttrs>();
  const Tensor x = inputs[0]->cast(DType::f64);
  const Shape& s = x.shape();
  const int64_t axis = ctx.normalize_axis(a.axis, x.rank(), "axis");
  int64_t outer = 1, inner = 1;
  for (int64_t d = 0; d < x.rank(); ++d)
    (d < axis ? outer : inner) *= s[static_cast<size_t>(d)];
  const Shape norm(s.begin() + axis, s.end());
  // Scale and bias broadcast to the normalized shape, flattened.
  auto expand = [&](size_t i, double fallback) {
    std::vector<double> v(static_cast<size_t>(inner), fallback);
    if (i >= inputs.size() || !inputs[i]) return v;
    const Tensor t = inputs[i]->cast(DType::f64);
    const Shape& ts = t.shape();
    const std::vector<int64_t> tst = shape_strides(ts);
    std::vector<int64_t> idx(norm.size(), 0);
    for (int64_t k = 0; k < inner; ++k) {
      int64_t o = 0;
      const size_t lead = norm.size() - ts.size();
      for (size_t d = 0; d < ts.size(); ++d)
        o += (ts[d] == 1 ? 0 : idx[lead + d]) * tst[d];
      v[static_cast<size_t>(k)] = t.data<double>()[o];
      for (size_t d = norm.size(); d-- > 0;) {
        if (++idx[d] < norm[d]) break;
        idx[d] = 0;
      }
    }
    return v;
  };
  const std::vector<double> scale = expand(1, 1.0), bias = expand(2, 0.0);
  const double* px = x.data<double>();
  std::vector<double> y(static_cast<size_t>(x.numel())), mean_out, inv_out;
  for (int64_t o = 0; o < outer; ++o) {
    double mean = 0, var = 0;
    for (int64_t i = 0; i < inner; ++i)
      mean += px[o * inner + i];
    mean /= static_cast<double>(inner);
    for (int64_t i = 0; i < inner; ++i)
      var += (px[o * inner + i] - mean) * (px[o * inner + i] - mean);
    var /= static_cast<double>(inner);
    const double inv = 1.0 / std::sqrt(var + double{a.epsilon});
    for (int64_t i = 0; i < inner; ++i)
      y[static_cast<size_t>(o * inner + i)] =
          (px[o * inner + i] - mean) * inv * scale[static_cast<size_t>(i)] +
          bias[static_cast<size_t>(i)];
    mean_out.push_back(mean);
    inv_out.push_back(inv);
  }
  std::vector<Tensor> out{Tensor::from_vector<double>(s, y).cast(output_types[0].dtype)};
  if (output_types.size() > 1)
    out.push_back(
        Tensor::from_vector<double>(output_types[1].shape, mean_out).cast(output_types[1].dtype));
  if (output_types.size() > 2)
    out.push_back(
        Tensor::from_vector<double>(output_types[2].shape, inv_out).cast(output_types[2].dtype));
  return out;
}

}  // namespace loom
