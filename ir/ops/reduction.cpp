// Shape inference and reference evaluation of the reductions: ReduceMean,
// ReduceMax, ReduceMin, ReduceSum, ReduceProd, ReduceL1, ReduceL2,
// ReduceLogSum, ReduceLogSumExp, ReduceSumSquare (axes as an attribute;
// the frontend folds opset-13/18 axes inputs), and ArgMax / ArgMin.
//
// Reductions accumulate in double; an empty reduction gives the op's
// identity (0 for sums, 1 for products, -inf / +inf for max / min, as the
// ONNX reference does).
#include <algorithm>
#include <cmath>
#include <limits>

#include <fmt/format.h>

#include "ir/ops/op_context.h"

namespace loom {

namespace {

// Which input dims are reduced, after the axes rules (negative axes,
// duplicates rejected, empty = all unless noop_with_empty_axes).
std::vector<bool> reduced_dims(const OpContext& ctx, const ReduceAttrs& a, int64_t rank) {
  std::vector<bool> reduced(static_cast<size_t>(rank), a.axes.empty() && !a.noop_with_empty_axes);
  for (int64_t axis : a.axes) {
    const int64_t d = ctx.normalize_axis(axis, rank, "axes");
    if (reduced[static_cast<size_t>(d)])
      ctx.fail(fmt::format("attribute axes names axis {} twice", d));
    reduced[static_cast<size_t>(d)] = true;
  }
  return reduced;
}

Shape reduced_shape(const Shape& in, const std::vector<bool>& reduced, bool keepdims) {
  Shape out;
  for (size_t d = 0; d < in.size(); ++d) {
    if (!reduced[d])
      out.push_back(in[d]);
    else if (keepdims)
      out.push_back(1);
  }
  return out;
}

// Output offset of every input element (row-major), for a reduction over
// `reduced` dims.
std::vector<int64_t> output_offsets(const Shape& in, const std::vector<bool>& reduced) {
  Shape kept = in;
  for (size_t d = 0; d < in.size(); ++d)
    if (reduced[d]) kept[d] = 1;
  const std::vector<int64_t> ostr = shape_strides(kept);
  const int64_t n = shape_numel(in);
  std::vector<int64_t> offs(static_cast<size_t>(n));
  std::vector<int64_t> idx(in.size(), 0);
  int64_t o = 0;
  for (int64_t i = 0; i < n; ++i) {
    offs[static_cast<size_t>(i)] = o;
    for (size_t d = in.size(); d-- > 0;) {
      if (++idx[d] < in[d]) {
        if (!reduced[d]) o += ostr[d];
        break;
      }
      if (!reduced[d]) o -= ostr[d] * (in[d] - 1);
      idx[d] = 0;
    }
  }
  return offs;
}

double reduce_identity(OpKind op) {
  switch (op) {
    case OpKind::ReduceMax:
      return -std::numeric_limits<double>::infinity();
    case OpKind::ReduceMin:
      return std::numeric_limits<double>::infinity();
    case OpKind::ReduceProd:
      return 1.0;
    case OpKind::ReduceLogSumExp:
      return -std::numeric_limits<double>::infinity();
    default:
      return 0.0;
  }
}

std::vector<TensorType> infer_reduce(const OpContext& ctx) {
  const DType t = ctx.in(0).dtype;
  if (!(is_float(t) || is_integer(t)))
    ctx.fail_input(0, fmt::format("input has dtype {}, expected a number", dtype_name(t)));
  if (t == DType::f16 || t == DType::bf16)
    ctx.unsupported(
        fmt::format("input has dtype {}; reductions compute f32, f64 and integers", dtype_name(t)));
  const auto& a = ctx.attrs<ReduceAttrs>();
  const auto reduced = reduced_dims(ctx, a, ctx.in(0).rank());
  return {TensorType{t, reduced_shape(ctx.in(0).shape, reduced, a.keepdims)}};
}

std::vector<Tensor> eval_reduce(const OpContext& ctx, const std::vector<const Tensor*>& inputs,
                                const std::vector<TensorType>& output_types) {
  const Tensor x = inputs[0]->cast(DType::f64);
  const auto& a = ctx.attrs<ReduceAttrs>();
  const auto reduced = reduced_dims(ctx, a, x.rank());
  const OpKind op = ctx.op();
  const int64_t out_n = output_types[0].numel();
  std::vector<double> acc(static_cast<size_t>(out_n), reduce_identity(op));
  std::vector<int64_t> count(static_cast<size_t>(out_n), 0);
  // LogSumExp subtracts each output's max first, so exp() cannot overflow.
  std::vector<double> shift(static_cast<size_t>(out_n), 0.0);
  const std::vector<int64_t> offs = output_offsets(x.shape(), reduced);
  const double* px = x.data<double>();
  if (op == OpKind::ReduceLogSumExp) {
    std::vector<double> mx(static_cast<size_t>(out_n), -std::numeric_limits<double>::infinity());
    for (size_t i = 0; i < offs.size(); ++i)
      mx[static_cast<size_t>(offs[i])] = std::max(mx[static_cast<size_t>(offs[i])], px[i]);
    for (size_t o = 0; o < mx.size(); ++o)
      shift[o] = std::isfinite(mx[o]) ? mx[o] : 0.0;
    std::fill(acc.begin(), acc.end(), 0.0);
  }
  for (size_t i = 0; i < offs.size(); ++i) {
    const size_t o = static_cast<size_t>(offs[i]);
    const double v = px[i];
    double& r = acc[o];
    ++count[o];
    switch (op) {
      case OpKind::ReduceMax:
        r = std::isnan(v) || std::isnan(r) ? std::numeric_limits<double>::quiet_NaN()
                                           : std::max(r, v);
        break;
      case OpKind::ReduceMin:
        r = std::isnan(v) || std::isnan(r) ? std::numeric_limits<double>::quiet_NaN()
                                           : std::min(r, v);
        break;
      case OpKind::ReduceProd:
        r *= v;
        break;
      case OpKind::ReduceL1:
        r += std::fabs(v);
        break;
      case OpKind::ReduceL2:
      case OpKind::ReduceSumSquare:
        r += v * v;
        break;
      case OpKind::ReduceLogSumExp:
        r += std::exp(v - shift[o]);
        break;
      default:  // Sum, Mean, LogSum
        r += v;
        break;
    }
  }
  for (size_t o = 0; o < acc.size(); ++o) {
    switch (op) {
      case OpKind::ReduceMean:
        acc[o] = count[o] ? acc[o] / static_cast<double>(count[o])
                          : std::numeric_limits<double>::quiet_NaN();
        break;
      case OpKind::ReduceL2:
        acc[o] = std::sqrt(acc[o]);
        break;
      case OpKind::ReduceLogSum:
        acc[o] = std::log(acc[o]);
        break;
      case OpKind::ReduceLogSumExp:
        acc[o] = std::log(acc[o]) + shift[o];
        break;
      default:
        break;
    }
  }
  return {Tensor::from_vector<double>(output_types[0].shape, acc).cast(output_types[0].dtype)};
}

std::vector<TensorType> infer_arg(const OpContext& ctx) {
  const DType t = ctx.in(0).dtype;
  if (!(is_float(t) || is_integer(t)))
    ctx.fail_input(0, fmt::format("input has dtype {}, expected a number", dtype_name(t)));
  const auto& a = ctx.attrs<ArgReduceAttrs>();
  const int64_t axis = ctx.normalize_axis(a.axis, ctx.in(0).rank(), "axis");
  std::vector<bool> reduced(static_cast<size_t>(ctx.in(0).rank()), false);
  reduced[static_cast<size_t>(axis)] = true;
  if (ctx.in(0).shape[static_cast<size_t>(axis)] == 0)
    ctx.fail(fmt::format("axis {} has size 0: no element to select", axis));
  return {TensorType{DType::i64, reduced_shape(ctx.in(0).shape, reduced, a.keepdims)}};
}

std::vector<Tensor> eval_arg(const OpContext& ctx, const std::vector<const Tensor*>& inputs,
                             const std::vector<TensorType>& output_types) {
  const Tensor x = inputs[0]->cast(DType::f64);
  const auto& a = ctx.attrs<ArgReduceAttrs>();
  const int64_t axis = ctx.normalize_axis(a.axis, x.rank(), "axis");
  const bool is_max = ctx.op() == OpKind::ArgMax;
  int64_t outer = 1, inner = 1;
  const int64_t n = x.shape()[static_cast<size_t>(axis)];
  for (int64_t d = 0; d < axis; ++d)
    outer *= x.shape()[static_cast<size_t>(d)];
  for (int64_t d = axis + 1; d < x.rank(); ++d)
    inner *= x.shape()[static_cast<size_t>(d)];
  Tensor out(DType::i64, output_types[0].shape);
  int64_t* po = out.data<int64_t>();
  const double* px = x.data<double>();
  for (int64_t o = 0; o < outer; ++o)
    for (int64_t i = 0; i < inner; ++i) {
      int64_t best = 0;
      double bv = px[o * n * inner + i];
      for (int64_t k = 1; k < n; ++k) {
        const double v = px[(o * n + k) * inner + i];
        const bool better = is_max ? (v > bv || (a.select_last_index && v == bv))
                                   : (v < bv || (a.select_last_index && v == bv));
        if (better) {
          bv = v;
          best = k;
        }
      }
      po[o * inner + i] = best;
    }
  return {out};
}

}  // namespace

#define LOOM_REDUCE(name)                                                                     \
  std::vector<TensorType> infer_##name(const OpContext& ctx) {                                \
    return infer_reduce(ctx);                                                                 \
  }                                                                                           \
  std::vector<Tensor> eval_##name(const OpContext& ctx, const std::vector<const Tensor*>& in, \
                                  const std::vector<TensorType>& types) {                     \
    return eval_reduce(ctx, in, types);                                                       \
  }
LOOM_REDUCE(ReduceMean)
LOOM_REDUCE(ReduceMax)
LOOM_REDUCE(ReduceMin)
LOOM_REDUCE(ReduceSum)
LOOM_REDUCE(ReduceProd)
LOOM_REDUCE(ReduceL1)
LOOM_REDUCE(ReduceL2)
LOOM_REDUCE(ReduceLogSum)
LOOM_REDUCE(ReduceLogSumExp)
LOOM_REDUCE(ReduceSumSquare)
#undef LOOM_REDUCE

std::vector<TensorType> infer_ArgMax(const OpContext& ctx) {
  return infer_arg(ctx);
}
std::vector<TensorType> infer_ArgMin(const OpContext& ctx) {
  return infer_arg(ctx);
}
std::vector<Tensor> eval_ArgMax(const OpContext& ctx, const std::vector<const Tensor*>& inputs,
                                const std::vector<TensorType>& output_types) {
  return eval_arg(ctx, inputs, output_types);
}
std::vector<Tensor> eval_ArgMin(const OpContext& ctx, const std::vector<const Tensor*>& inputs,
                                const std::vector<TensorType>& output_types) {
  return eval_arg(ctx, inputs, output_types);
}

}  // namespace loom
