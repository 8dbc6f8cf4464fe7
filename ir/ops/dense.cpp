// Shape inference and reference evaluation of the dense ops: Gemm, MatMul
// (numpy matmul semantics), Einsum and BatchNormalization (inference form),
// with ONNX semantics. Floating-point sums accumulate in double.
#include <algorithm>
#include <cmath>
#include <cstdint>
#include <type_traits>

#include <fmt/format.h>

#include "ir/einsum.h"
#include "ir/ops/op_context.h"

namespace loom {

namespace {

template <class F>
auto dispatch_float(DType t, F&& f) {
  if (t == DType::f64) return f.template operator()<double>();
  return f.template operator()<float>();
}

// ---- Gemm -------------------------------------------------------------------

struct GemmShape {
  int64_t m, k, n;
};

GemmShape gemm_shape(const OpContext& ctx) {
  const GemmAttrs& a = ctx.attrs<GemmAttrs>();
  ctx.expect_float(0);
  ctx.expect_same_dtype(1, 0);
  ctx.expect_rank(0, 2);
  ctx.expect_rank(1, 2);
  const Shape& as = ctx.in(0).shape;
  const Shape& bs = ctx.in(1).shape;
  const int64_t m = a.trans_a ? as[1] : as[0];
  const int64_t k = a.trans_a ? as[0] : as[1];
  const int64_t kb = a.trans_b ? bs[1] : bs[0];
  const int64_t n = a.trans_b ? bs[0] : bs[1];
  if (k != kb)
    ctx.fail_input(
        1, fmt::format("B has shape {} (trans_b = {}) giving an inner dim of {}, "
                       "expected {} to match A's shape {} (trans_a = {})",
                       shape_str(bs), a.trans_b ? 1 : 0, kb, k, shape_str(as), a.trans_a ? 1 : 0));
  if (ctx.has_input(2)) {
    ctx.expect_same_dtype(2, 0);
    const Shape& cs = ctx.in(2).shape;
    const Shape target{m, n};
    bool ok = cs.size() <= 2;
    for (size_t i = 0; ok && i < cs.size(); ++i) {
      int64_t want = target[2 - cs.size() + i];
      ok = cs[i] == want || cs[i] == 1;
    }
    if (!ok)
      ctx.fail_input(2, fmt::format("C has shape {}, expected a shape broadcastable to [{},{}]",
                                    shape_str(cs), m, n));
  }
  return {m, k, n};
}

template <class T>
Tensor gemm_eval(const GemmAttrs& a, const GemmShape& s, const Tensor& at, const Tensor& bt,
                 const Tensor* ct, const TensorType& out_type) {
  Tensor y(out_type);
  const T* ad = at.data<T>();
  const T* bd = bt.data<T>();
  T* yd = y.data<T>();
  // C broadcast: a dim of 1 (or a missing leading dim) repeats.
  int64_t c_row_stride = 0, c_col_stride = 0;
  const T* cd = nullptr;
  if (ct) {
    cd = ct->data<T>();
    const Shape& cs = ct->shape();
    const int64_t rows = cs.size() == 2 ? cs[0] : 1;
    const int64_t cols = cs.empty() ? 1 : cs.back();
    c_col_stride = cols == 1 ? 0 : 1;
    c_row_stride = rows == 1 ? 0 : cols;
  }
  for (int64_t i = 0; i < s.m; ++i) {
    for (int64_t j = 0; j < s.n; ++j) {
      double acc = 0.0;
      for (int64_t k = 0; k < s.k; ++k) {
        const T av = a.trans_a ? ad[k * s.m + i] : ad[i * s.k + k];
        const T bv = a.trans_b ? bd[j * s.k + k] : bd[k * s.n + j];
        acc += static_cast<double>(av) * static_cast<double>(bv);
      }
      double v = static_cast<double>(a.alpha) * acc;
      if (cd)
        v += static_cast<double>(a.beta) *
             static_cast<double>(cd[i * c_row_stride + j * c_col_stride]);
      yd[i * s.n + j] = static_cast<T>(v);
    }
  }
  return y;
}

// ---- MatMul -----------------------------------------------------------------

struct MatMulShape {
  Shape batch;             // broadcast batch dims of the output
  Shape a_batch, b_batch;  // each operand's batch dims, left-padded with 1 to batch's rank
  int64_t m, k, n;
  Shape out;
};

MatMulShape matmul_shape(const OpContext& ctx) {
  DType t = ctx.in(0).dtype;
  if (t == DType::f16 || t == DType::bf16)
    ctx.unsupported(
        fmt::format("input 0 has dtype {}; MatMul is implemented for f32, f64, i32 "
                    "and i64",
                    dtype_name(t)));
  ctx.expect_dtype(0, {DType::f32, DType::f64, DType::i32, DType::i64});
  ctx.expect_same_dtype(1, 0);
  ctx.expect_min_rank(0, 1);
  ctx.expect_min_rank(1, 1);
  const Shape& as = ctx.in(0).shape;
  const Shape& bs = ctx.in(1).shape;
  // 1-D operands become matrices ([K] -> [1,K] on the left, [K,1] on the right)
  // and the added dim is dropped from the result.
  Shape a2 = as.size() == 1 ? Shape{1, as[0]} : as;
  Shape b2 = bs.size() == 1 ? Shape{bs[0], 1} : bs;
  MatMulShape s;
  s.m = a2[a2.size() - 2];
  s.k = a2.back();
  s.n = b2.back();
  const int64_t kb = b2[b2.size() - 2];
  if (s.k != kb)
    ctx.fail_input(1, fmt::format("B has shape {} with inner dim {}, expected {} to match A's "
                                  "shape {}",
                                  shape_str(bs), kb, s.k, shape_str(as)));
  Shape ab(a2.begin(), a2.end() - 2), bb(b2.begin(), b2.end() - 2);
  auto batch = broadcast_shapes(ab, bb);
  if (!batch)
    ctx.fail_input(1, fmt::format("batch dims {} of B (shape {}) do not broadcast with batch dims "
                                  "{} of A (shape {})",
                                  shape_str(bb), shape_str(bs), shape_str(ab), shape_str(as)));
  s.batch = *batch;
  s.a_batch = Shape(s.batch.size() - ab.size(), 1);
  s.a_batch.insert(s.a_batch.end(), ab.begin(), ab.end());
  s.b_batch = Shape(s.batch.size() - bb.size(), 1);
  s.b_batch.insert(s.b_batch.end(), bb.begin(), bb.end());
  s.out = s.batch;
  if (as.size() > 1) s.out.push_back(s.m);
  if (bs.size() > 1) s.out.push_back(s.n);
  return s;
}

template <class T>
Tensor matmul_eval(const MatMulShape& s, const Tensor& at, const Tensor& bt,
                   const TensorType& out_type) {
  Tensor y(out_type);
  const T* ad = at.data<T>();
  const T* bd = bt.data<T>();
  T* yd = y.data<T>();
  const int64_t batch = shape_numel(s.batch);
  const size_t rank = s.batch.size();
  const int64_t a_mat = s.m * s.k, b_mat = s.k * s.n, y_mat = s.m * s.n;
  // Element strides (in matrices) of each operand's batch dims; 0 where broadcast.
  std::vector<int64_t> a_stride(rank, 0), b_stride(rank, 0);
  for (int64_t d = static_cast<int64_t>(rank) - 1, sa = 1, sb = 1; d >= 0; --d) {
    a_stride[d] = s.a_batch[d] == 1 ? 0 : sa;
    b_stride[d] = s.b_batch[d] == 1 ? 0 : sb;
    sa *= s.a_batch[d];
    sb *= s.b_batch[d];
  }
  for (int64_t bi = 0; bi < batch; ++bi) {
    int64_t a_off = 0, b_off = 0, rest = bi;
    for (size_t d = rank; d-- > 0;) {
      const int64_t idx = rest % s.batch[d];
      rest /= s.batch[d];
      a_off += idx * a_stride[d];
      b_off += idx * b_stride[d];
    }
    const T* am = ad + a_off * a_mat;
    const T* bm = bd + b_off * b_mat;
    T* ym = yd + bi * y_mat;
    for (int64_t i = 0; i < s.m; ++i) {
      for (int64_t j = 0; j < s.n; ++j) {
        if constexpr (std::is_floating_point_v<T>) {
          double acc = 0.0;
          for (int64_t k = 0; k < s.k; ++k)
            acc += static_cast<double>(am[i * s.k + k]) * static_cast<double>(bm[k * s.n + j]);
          ym[i * s.n + j] = static_cast<T>(acc);
        } else {
          // Unsigned arithmetic wraps on overflow instead of being undefined.
          uint64_t acc = 0;
          for (int64_t k = 0; k < s.k; ++k)
            acc += static_cast<uint64_t>(static_cast<int64_t>(am[i * s.k + k])) *
                   static_cast<uint64_t>(static_cast<int64_t>(bm[k * s.n + j]));
          ym[i * s.n + j] = static_cast<T>(static_cast<int64_t>(acc));
        }
      }
    }
  }
  return y;
}

// ---- Einsum -------------------------------------------------------------------

EinsumSpec einsum_spec(const OpContext& ctx) {
  DType t = ctx.in(0).dtype;
  if (t == DType::f16 || t == DType::bf16)
    ctx.unsupported(
        fmt::format("input 0 has dtype {}; Einsum is implemented for f32, f64, i32 "
                    "and i64",
                    dtype_name(t)));
  ctx.expect_dtype(0, {DType::f32, DType::f64, DType::i32, DType::i64});
  std::vector<Shape> shapes;
  for (size_t i = 0; i < ctx.num_inputs(); ++i) {
    ctx.expect_same_dtype(i, 0);
    shapes.push_back(ctx.in(i).shape);
  }
  EinsumSpec spec;
  std::string error;
  if (!bind_einsum(ctx.attrs<EinsumAttrs>().equation, shapes, spec, error)) ctx.fail(error);
  return spec;
}

// Every label's index runs over its extent: the output's labels in the outer
// loops, the summed ones inside; each operand is read through per-label
// strides (repeated labels add theirs, broadcast axes have none).
template <class T, class Acc>
Tensor einsum_eval(const EinsumSpec& s, const std::vector<const Tensor*>& inputs,
                   const TensorType& out_type) {
  std::vector<int> loops = s.output;
  for (const auto& labels : s.operands)
    for (int l : labels)
      if (std::find(loops.begin(), loops.end(), l) == loops.end()) loops.push_back(l);
  const size_t n_out = s.output.size();
  std::vector<int64_t> extent;
  for (int l : loops)
    extent.push_back(s.label_size[static_cast<size_t>(l)]);
  std::vector<std::vector<int64_t>> stride(inputs.size(), std::vector<int64_t>(loops.size(), 0));
  for (size_t i = 0; i < inputs.size(); ++i) {
    const Shape& shape = inputs[i]->shape();
    int64_t step = 1;
    for (size_t axis = shape.size(); axis-- > 0;) {
      const size_t loop = static_cast<size_t>(
          std::find(loops.begin(), loops.end(), s.operands[i][axis]) - loops.begin());
      if (shape[axis] != 1 || extent[loop] == 1) stride[i][loop] += step;
      step *= shape[axis];
    }
  }
  Tensor y(out_type);
  T* yd = y.data<T>();
  std::vector<int64_t> idx(loops.size(), 0);
  // Odometer over loops [from, to); false once it wraps around.
  auto advance = [&](size_t from, size_t to) {
    for (size_t k = to; k-- > from;) {
      if (++idx[k] < extent[k]) return true;
      idx[k] = 0;
    }
    return false;
  };
  const int64_t total = y.numel();
  for (int64_t o = 0; o < total; ++o) {
    Acc acc = 0;
    bool empty_sum = false;
    for (size_t k = n_out; k < loops.size(); ++k)
      empty_sum |= extent[k] == 0;
    if (!empty_sum) do {
        Acc prod = 1;
        for (size_t i = 0; i < inputs.size(); ++i) {
          int64_t off = 0;
          for (size_t k = 0; k < loops.size(); ++k)
            off += idx[k] * stride[i][k];
          prod *= static_cast<Acc>(inputs[i]->data<T>()[off]);
        }
        acc += prod;
      } while (advance(n_out, loops.size()));
    yd[o] = static_cast<T>(acc);
    advance(0, n_out);  // row-major, as y is laid out
  }
  return y;
}

// ---- BatchNormalization -------------------------------------------------------

void batch_norm_check(const OpContext& ctx) {
  ctx.expect_float(0);
  ctx.expect_min_rank(0, 2);
  const Shape& x = ctx.in(0).shape;
  static const char* const kNames[] = {"X", "scale", "B", "input_mean", "input_var"};
  for (size_t i = 1; i < 5; ++i) {
    ctx.expect_float(i);
    if (ctx.in(i).shape != Shape{x[1]})
      ctx.fail_input(i, fmt::format("{} has shape {}, expected [{}] (the channel dim of X, shape "
                                    "{})",
                                    kNames[i], shape_str(ctx.in(i).shape), x[1], shape_str(x)));
  }
}

template <class T>
Tensor batch_norm_eval(const BatchNormAttrs& a, const std::vector<const Tensor*>& in,
                       const TensorType& out_type) {
  Tensor y(out_type);
  const Tensor& x = *in[0];
  const int64_t n = x.shape()[0], c = x.shape()[1];
  const int64_t inner = n * c == 0 ? 0 : x.numel() / (n * c);
  const T* xd = x.data<T>();
  T* yd = y.data<T>();
  for (int64_t ch = 0; ch < c; ++ch) {
    const double scale = in[1]->get_as_double(ch), bias = in[2]->get_as_double(ch);
    const double mean = in[3]->get_as_double(ch), var = in[4]->get_as_double(ch);
    const double mul = scale / std::sqrt(var + static_cast<double>(a.epsilon));
    for (int64_t b = 0; b < n; ++b) {
      const int64_t base = (b * c + ch) * inner;
      for (int64_t i = 0; i < inner; ++i)
        yd[base + i] = static_cast<T>((static_cast<double>(xd[base + i]) - mean) * mul + bias);
    }
  }
  return y;
}

}  // namespace

// ---- Gemm -------------------------------------------------------------------

std::vector<TensorType> infer_Gemm(const OpContext& ctx) {
  GemmShape s = gemm_shape(ctx);
  return {TensorType{ctx.in(0).dtype, {s.m, s.n}}};
}

std::vector<Tensor> eval_Gemm(const OpContext& ctx, const std::vector<const Tensor*>& inputs,
                              const std::vector<TensorType>& output_types) {
  GemmShape s = gemm_shape(ctx);
  const Tensor* c = inputs.size() > 2 ? inputs[2] : nullptr;
  return {dispatch_float(ctx.in(0).dtype, [&]<class T>() {
    return gemm_eval<T>(ctx.attrs<GemmAttrs>(), s, *inputs[0], *inputs[1], c, output_types[0]);
  })};
}

// ---- MatMul -----------------------------------------------------------------

std::vector<TensorType> infer_MatMul(const OpContext& ctx) {
  MatMulShape s = matmul_shape(ctx);
  return {TensorType{ctx.in(0).dtype, s.out}};
}

std::vector<Tensor> eval_MatMul(const OpContext& ctx, const std::vector<const Tensor*>& inputs,
                                const std::vector<TensorType>& output_types) {
  MatMulShape s = matmul_shape(ctx);
  const Tensor& a = *inputs[0];
  const Tensor& b = *inputs[1];
  switch (ctx.in(0).dtype) {
    case DType::f64:
      return {matmul_eval<double>(s, a, b, output_types[0])};
    case DType::i32:
      return {matmul_eval<int32_t>(s, a, b, output_types[0])};
    case DType::i64:
      return {matmul_eval<int64_t>(s, a, b, output_types[0])};
    default:
      return {matmul_eval<float>(s, a, b, output_types[0])};
  }
}

// ---- Einsum -------------------------------------------------------------------

std::vector<TensorType> infer_Einsum(const OpContext& ctx) {
  return {TensorType{ctx.in(0).dtype, einsum_output_shape(einsum_spec(ctx))}};
}

std::vector<Tensor> eval_Einsum(const OpContext& ctx, const std::vector<const Tensor*>& inputs,
                                const std::vector<TensorType>& output_types) {
  const EinsumSpec s = einsum_spec(ctx);
  switch (ctx.in(0).dtype) {
    case DType::f64:
      return {einsum_eval<double, double>(s, inputs, output_types[0])};
    case DType::i32:
      return {einsum_eval<int32_t, int64_t>(s, inputs, output_types[0])};
    case DType::i64:
      return {einsum_eval<int64_t, int64_t>(s, inputs, output_types[0])};
    default:
      return {einsum_eval<float, double>(s, inputs, output_types[0])};
  }
}

// ---- BatchNormalization -------------------------------------------------------

std::vector<TensorType> infer_BatchNormalization(const OpContext& ctx) {
  batch_norm_check(ctx);
  return {ctx.in(0)};
}

std::vector<Tensor> eval_BatchNormalization(const OpContext& ctx,
                                            const std::vector<const Tensor*>& inputs,
                                            const std::vector<TensorType>& output_types) {
  batch_norm_check(ctx);
  return {dispatch_float(ctx.in(0).dtype, [&]<class T>() {
    return batch_norm_eval<T>(ctx.attrs<BatchNormAttrs>(), inputs, output_types[0]);
  })};
}

}  // namespace loom
