// Shape inference and reference evaluation of the elementwise ops: binary
// arithmetic with numpy broadcasting (Add, Sub, Mul, Div, Pow, PRelu),
// variadic Min/Max/Sum/Mean, comparisons (bool outputs), Not and Where,
// activations and math functions (Relu ... Erf), Softmax / LogSoftmax in both
// the opset-13 and the older coerce-to-2D semantics, and the pass-through ops
// Identity and Dropout (inference mode).
#include <algorithm>
#include <cmath>
#include <cstring>
#include <limits>
#include <type_traits>

#include <fmt/format.h>

#include "ir/ops/op_context.h"

namespace loom {

namespace {

// Checks input i's dtype. Dtypes the op is meant for in ONNX but that Loom
// does not compute (f16, bf16, narrow integers) are UnsupportedError; dtypes
// the op cannot take at all (bool into Add, integers into Sigmoid) are
// ShapeError, like any other type mismatch.
void check_dtype(const OpContext& ctx, size_t i, std::initializer_list<DType> implemented,
                 bool onnx_allows_integers) {
  const DType t = ctx.in(i).dtype;
  if (std::find(implemented.begin(), implemented.end(), t) != implemented.end()) return;
  const bool valid_onnx = is_float(t) || (onnx_allows_integers && is_integer(t));
  if (!valid_onnx) ctx.expect_dtype(i, implemented);
  std::string names;
  for (DType a : implemented)
    names += fmt::format("{}{}", names.empty() ? "" : ", ", dtype_name(a));
  ctx.unsupported(fmt::format("input {} ('{}') has dtype {}; {} is implemented for {} only", i,
                              ctx.input_name(i), dtype_name(t), op_name(ctx.op()), names));
}

// Calls f with a value of the C++ type of an arithmetic dtype.
template <class F>
Tensor dispatch_arith(const OpContext& ctx, DType t, F&& f) {
  switch (t) {
    case DType::f32:
      return f(float{});
    case DType::f64:
      return f(double{});
    case DType::i32:
      return f(int32_t{});
    case DType::i64:
      return f(int64_t{});
    case DType::i8:
      return f(int8_t{});
    case DType::u8:
      return f(uint8_t{});
    default:
      break;
  }
  ctx.unsupported(fmt::format("no evaluation for dtype {}", dtype_name(t)));
}

template <class F>
Tensor dispatch_float(const OpContext& ctx, DType t, F&& f) {
  switch (t) {
    case DType::f32:
      return f(float{});
    case DType::f64:
      return f(double{});
    default:
      break;
  }
  ctx.unsupported(fmt::format("no evaluation for dtype {}", dtype_name(t)));
}

// ---- binary arithmetic --------------------------------------------------------

std::vector<TensorType> infer_binary(const OpContext& ctx) {
  check_dtype(ctx, 0, {DType::f32, DType::f64, DType::i32, DType::i64, DType::i8, DType::u8}, true);
  ctx.expect_same_dtype(1, 0);
  const Shape& a = ctx.in(0).shape;
  const Shape& b = ctx.in(1).shape;
  std::optional<Shape> out = broadcast_shapes(a, b);
  if (!out) {
    // Name the first (right-aligned) dimension pair that conflicts.
    const size_t rank = std::max(a.size(), b.size());
    std::string where;
    for (size_t k = 0; k < rank; ++k) {
      const int64_t da = k < a.size() ? a[a.size() - 1 - k] : 1;
      const int64_t db = k < b.size() ? b[b.size() - 1 - k] : 1;
      if (da != db && da != 1 && db != 1) {
        where = fmt::format(" (dimension {} from the end is {} vs {})", k + 1, da, db);
        break;
      }
    }
    ctx.fail(fmt::format("input shapes {} ('{}') and {} ('{}') do not broadcast{}", shape_str(a),
                         ctx.input_name(0), shape_str(b), ctx.input_name(1), where));
  }
  return {TensorType{ctx.in(0).dtype, *out}};
}

// Element strides of `shape` seen through an output of rank `rank`: leading
// missing dimensions and dimensions of size 1 get stride 0, so one index walk
// over the output reads the broadcast operand.
std::vector<int64_t> broadcast_strides(const Shape& shape, size_t rank) {
  std::vector<int64_t> dense = shape_strides(shape);
  std::vector<int64_t> out(rank, 0);
  const size_t lead = rank - shape.size();
  for (size_t i = 0; i < shape.size(); ++i)
    out[lead + i] = shape[i] == 1 ? 0 : dense[i];
  return out;
}

template <class T, class F>
Tensor broadcast_apply(const Tensor& a, const Tensor& b, const Shape& out_shape, F f) {
  Tensor out(DTypeOf<T>::value, out_shape);
  const int64_t n = out.numel();
  if (n == 0) return out;
  const size_t rank = out_shape.size();
  const std::vector<int64_t> sa = broadcast_strides(a.shape(), rank);
  const std::vector<int64_t> sb = broadcast_strides(b.shape(), rank);
  const T* pa = a.data<T>();
  const T* pb = b.data<T>();
  T* po = out.data<T>();
  std::vector<int64_t> idx(rank, 0);
  int64_t oa = 0, ob = 0;
  for (int64_t i = 0; i < n; ++i) {
    po[i] = f(pa[oa], pb[ob]);
    // Odometer step over the output index, moving both operand offsets along.
    for (size_t d = rank; d-- > 0;) {
      if (++idx[d] < out_shape[d]) {
        oa += sa[d];
        ob += sb[d];
        break;
      }
      oa -= sa[d] * (out_shape[d] - 1);
      ob -= sb[d] * (out_shape[d] - 1);
      idx[d] = 0;
    }
  }
  return out;
}

// Signed integer overflow is undefined in C++; the arithmetic wraps in
// two's complement instead, as every backend's integer code does.
template <class T>
T wrap(std::make_unsigned_t<T> v) {
  return static_cast<T>(v);
}
template <class T>
using U = std::make_unsigned_t<T>;

enum class BinOp { Add, Sub, Mul, Div };

template <BinOp OP, class T>
T binop(T x, T y) {
  if constexpr (std::is_floating_point_v<T>) {
    if constexpr (OP == BinOp::Add) return x + y;
    if constexpr (OP == BinOp::Sub) return x - y;
    if constexpr (OP == BinOp::Mul) return x * y;
    if constexpr (OP == BinOp::Div) return x / y;
  } else {
    // i8 and u8 operands promote to int, so the result is reduced modulo 2^bits
    // (the cast to U<T>) before it is reinterpreted as T.
    if constexpr (OP == BinOp::Add)
      return wrap<T>(static_cast<U<T>>(static_cast<U<T>>(x) + static_cast<U<T>>(y)));
    if constexpr (OP == BinOp::Sub)
      return wrap<T>(static_cast<U<T>>(static_cast<U<T>>(x) - static_cast<U<T>>(y)));
    if constexpr (OP == BinOp::Mul)
      return wrap<T>(static_cast<U<T>>(static_cast<U<T>>(x) * static_cast<U<T>>(y)));
    if constexpr (OP == BinOp::Div) {
      // y == 0 was rejected before the loop; MIN / -1 overflows, so negate by wrapping.
      if constexpr (std::is_signed_v<T>)
        if (y == -1) return wrap<T>(static_cast<U<T>>(U<T>{0} - static_cast<U<T>>(x)));
      return static_cast<T>(x / y);  // truncates toward zero, as ONNX wants
    }
  }
}

template <BinOp OP>
std::vector<Tensor> eval_binary(const OpContext& ctx, const std::vector<const Tensor*>& inputs,
                                const std::vector<TensorType>& output_types) {
  const Tensor& a = *inputs[0];
  const Tensor& b = *inputs[1];
  const Shape& out_shape = output_types[0].shape;
  return {dispatch_arith(ctx, a.dtype(), [&](auto tag) {
    using T = decltype(tag);
    if constexpr (OP == BinOp::Div && std::is_integral_v<T>) {
      if (shape_numel(out_shape) > 0) {
        auto values = b.values<T>();
        for (size_t i = 0; i < values.size(); ++i) {
          if (values[i] != 0) continue;
          ErrorSite site = ctx.graph().site(ctx.node());
          site.tensor = ctx.input_name(1);
          throw InputError(fmt::format("integer division by zero: divisor {} element {} is 0",
                                       type_str(b.type()), i),
                           site);
        }
      }
    }
    return broadcast_apply<T>(a, b, out_shape, [](T x, T y) { return binop<OP, T>(x, y); });
  })};
}

// ---- unary ------------------------------------------------------------------

template <class T, class F>
Tensor map_unary(const Tensor& x, F f) {
  Tensor out(x.dtype(), x.shape());
  const T* px = x.data<T>();
  T* po = out.data<T>();
  const int64_t n = x.numel();
  for (int64_t i = 0; i < n; ++i)
    po[i] = f(px[i]);
  return out;
}

std::vector<TensorType> infer_float_unary(const OpContext& ctx) {
  check_dtype(ctx, 0, {DType::f32, DType::f64}, false);
  return {ctx.in(0)};
}

std::vector<TensorType> infer_arith_unary(const OpContext& ctx) {
  check_dtype(ctx, 0, {DType::f32, DType::f64, DType::i32, DType::i64, DType::i8, DType::u8}, true);
  return {ctx.in(0)};
}

// An integer-typed clip bound: rounded inward (a bound of 1.5 admits 2, not 1),
// saturated to T's range; NaN and infinite bounds do not clip.
template <class T>
T int_bound(double v, bool is_min) {
  constexpr T lo = std::numeric_limits<T>::lowest();
  constexpr T hi = std::numeric_limits<T>::max();
  if (std::isnan(v)) return is_min ? lo : hi;
  v = is_min ? std::ceil(v) : std::floor(v);
  if (v <= static_cast<double>(lo)) return lo;
  if (v >= static_cast<double>(hi)) return hi;  // 2^63 as double: saturate before converting
  return static_cast<T>(v);
}

// ---- softmax ----------------------------------------------------------------

std::vector<TensorType> infer_softmax(const OpContext& ctx) {
  check_dtype(ctx, 0, {DType::f32, DType::f64}, false);
  ctx.normalize_axis(ctx.attrs<SoftmaxAttrs>().axis, ctx.in(0).rank(), "axis");
  return {ctx.in(0)};
}

// Normalizes groups of `n` elements spaced `inner` apart; the layout is
// [outer, n, inner]. opset 13 uses n = dims[axis]; the coerced-2D semantics
// use n = prod(dims[axis:]) with inner = 1.
template <bool LOG>
std::vector<Tensor> eval_softmax(const OpContext& ctx, const std::vector<const Tensor*>& inputs) {
  const Tensor& x = *inputs[0];
  const SoftmaxAttrs& attrs = ctx.attrs<SoftmaxAttrs>();
  const Shape& shape = x.shape();
  const int64_t axis = ctx.normalize_axis(attrs.axis, x.rank(), "axis");
  int64_t outer = 1, n = 1, inner = 1;
  for (int64_t d = 0; d < x.rank(); ++d) {
    const int64_t dim = shape[static_cast<size_t>(d)];
    if (d < axis) {
      outer *= dim;
    } else if (d == axis || attrs.coerce_2d) {
      n *= dim;
    } else {
      inner *= dim;
    }
  }
  return {dispatch_float(ctx, x.dtype(), [&](auto tag) {
    using T = decltype(tag);
    Tensor out(x.dtype(), shape);
    const T* px = x.data<T>();
    T* po = out.data<T>();
    for (int64_t o = 0; o < outer; ++o) {
      for (int64_t in = 0; in < inner; ++in) {
        const int64_t base = o * n * inner + in;
        if (n == 0) continue;
        // Subtracting the max keeps exp() from overflowing; sums run in double.
        double mx = -std::numeric_limits<double>::infinity();
        for (int64_t k = 0; k < n; ++k)
          mx = std::max(mx, static_cast<double>(px[base + k * inner]));
        double sum = 0;
        for (int64_t k = 0; k < n; ++k)
          sum += std::exp(static_cast<double>(px[base + k * inner]) - mx);
        const double log_sum = std::log(sum);
        for (int64_t k = 0; k < n; ++k) {
          const double shifted = static_cast<double>(px[base + k * inner]) - mx;
          po[base + k * inner] = static_cast<T>(LOG ? shifted - log_sum : std::exp(shifted) / sum);
        }
      }
    }
    return out;
  })};
}

}  // namespace

// ---- Add / Sub / Mul / Div ----------------------------------------------------

std::vector<TensorType> infer_Add(const OpContext& ctx) {
  return infer_binary(ctx);
}
std::vector<TensorType> infer_Sub(const OpContext& ctx) {
  return infer_binary(ctx);
}
std::vector<TensorType> infer_Mul(const OpContext& ctx) {
  return infer_binary(ctx);
}
std::vector<TensorType> infer_Div(const OpContext& ctx) {
  return infer_binary(ctx);
}

std::vector<Tensor> eval_Add(const OpContext& ctx, const std::vector<const Tensor*>& inputs,
                             const std::vector<TensorType>& output_types) {
  return eval_binary<BinOp::Add>(ctx, inputs, output_types);
}
std::vector<Tensor> eval_Sub(const OpContext& ctx, const std::vector<const Tensor*>& inputs,
                             const std::vector<TensorType>& output_types) {
  return eval_binary<BinOp::Sub>(ctx, inputs, output_types);
}
std::vector<Tensor> eval_Mul(const OpContext& ctx, const std::vector<const Tensor*>& inputs,
                             const std::vector<TensorType>& output_types) {
  return eval_binary<BinOp::Mul>(ctx, inputs, output_types);
}
std::vector<Tensor> eval_Div(const OpContext& ctx, const std::vector<const Tensor*>& inputs,
                             const std::vector<TensorType>& output_types) {
  return eval_binary<BinOp::Div>(ctx, inputs, output_types);
}

// ---- activations --------------------------------------------------------------

std::vector<TensorType> infer_Relu(const OpContext& ctx) {
  // ONNX Relu takes signed types only.
  check_dtype(ctx, 0, {DType::f32, DType::f64, DType::i32, DType::i64, DType::i8}, false);
  return {ctx.in(0)};
}
std::vector<Tensor> eval_Relu(const OpContext& ctx, const std::vector<const Tensor*>& inputs,
                              const std::vector<TensorType>&) {
  const Tensor& x = *inputs[0];
  return {dispatch_arith(ctx, x.dtype(), [&](auto tag) {
    using T = decltype(tag);
    if constexpr (std::is_unsigned_v<T>) {
      return map_unary<T>(x, [](T v) { return v; });  // not reached: inference rejects u8
    } else {
      // `v > 0 ? v : 0` would turn NaN into 0; keep NaN as NaN.
      return map_unary<T>(x, [](T v) { return v < T(0) ? T(0) : v; });
    }
  })};
}

std::vector<TensorType> infer_LeakyRelu(const OpContext& ctx) {
  return infer_float_unary(ctx);
}
std::vector<Tensor> eval_LeakyRelu(const OpContext& ctx, const std::vector<const Tensor*>& inputs,
                                   const std::vector<TensorType>&) {
  const Tensor& x = *inputs[0];
  const double alpha = ctx.attrs<AlphaAttrs>().alpha;
  return {dispatch_float(ctx, x.dtype(), [&](auto tag) {
    using T = decltype(tag);
    return map_unary<T>(x, [&](T v) { return v < T(0) ? static_cast<T>(alpha * v) : v; });
  })};
}

std::vector<TensorType> infer_Sigmoid(const OpContext& ctx) {
  return infer_float_unary(ctx);
}
std::vector<Tensor> eval_Sigmoid(const OpContext& ctx, const std::vector<const Tensor*>& inputs,
                                 const std::vector<TensorType>&) {
  const Tensor& x = *inputs[0];
  return {dispatch_float(ctx, x.dtype(), [&](auto tag) {
    using T = decltype(tag);
    return map_unary<T>(x, [](T v) {
      const double d = v;
      // Two branches so exp() only ever sees a non-positive argument.
      if (d >= 0) return static_cast<T>(1.0 / (1.0 + std::exp(-d)));
      const double e = std::exp(d);
      return static_cast<T>(e / (1.0 + e));
    });
  })};
}

std::vector<TensorType> infer_Tanh(const OpContext& ctx) {
  return infer_float_unary(ctx);
}
std::vector<Tensor> eval_Tanh(const OpContext& ctx, const std::vector<const Tensor*>& inputs,
                              const std::vector<TensorType>&) {
  const Tensor& x = *inputs[0];
  return {dispatch_float(ctx, x.dtype(), [&](auto tag) {
    using T = decltype(tag);
    return map_unary<T>(x, [](T v) { return static_cast<T>(std::tanh(static_cast<double>(v))); });
  })};
}

std::vector<TensorType> infer_Elu(const OpContext& ctx) {
  return infer_float_unary(ctx);
}
std::vector<Tensor> eval_Elu(const OpContext& ctx, const std::vector<const Tensor*>& inputs,
                             const std::vector<TensorType>&) {
  const Tensor& x = *inputs[0];
  const double alpha = ctx.attrs<AlphaAttrs>().alpha;
  return {dispatch_float(ctx, x.dtype(), [&](auto tag) {
    using T = decltype(tag);
    return map_unary<T>(x, [&](T v) {
      return v < T(0) ? static_cast<T>(alpha * std::expm1(static_cast<double>(v))) : v;
    });
  })};
}

std::vector<TensorType> infer_Clip(const OpContext& ctx) {
  return infer_arith_unary(ctx);
}
std::vector<Tensor> eval_Clip(const OpContext& ctx, const std::vector<const Tensor*>& inputs,
                              const std::vector<TensorType>&) {
  const Tensor& x = *inputs[0];
  const ClipAttrs& attrs = ctx.attrs<ClipAttrs>();
  return {dispatch_arith(ctx, x.dtype(), [&](auto tag) {
    using T = decltype(tag);
    T lo, hi;
    if constexpr (std::is_floating_point_v<T>) {
      lo = static_cast<T>(attrs.min);
      hi = static_cast<T>(attrs.max);
    } else {
      lo = int_bound<T>(attrs.min, true);
      hi = int_bound<T>(attrs.max, false);
    }
    // Applying max last makes min > max give max everywhere, as the spec says.
    return map_unary<T>(x, [&](T v) {
      if (v < lo) v = lo;
      if (v > hi) v = hi;
      return v;
    });
  })};
}

// ---- Softmax / LogSoftmax -------------------------------------------------------

std::vector<TensorType> infer_Softmax(const OpContext& ctx) {
  return infer_softmax(ctx);
}
std::vector<Tensor> eval_Softmax(const OpContext& ctx, const std::vector<const Tensor*>& inputs,
                                 const std::vector<TensorType>&) {
  return eval_softmax<false>(ctx, inputs);
}

std::vector<TensorType> infer_LogSoftmax(const OpContext& ctx) {
  return infer_softmax(ctx);
}
std::vector<Tensor> eval_LogSoftmax(const OpContext& ctx, const std::vector<const Tensor*>& inputs,
                                    const std::vector<TensorType>&) {
  return eval_softmax<true>(ctx, inputs);
}

// ---- Identity / Dropout ----------------------------------------------------------

std::vector<TensorType> infer_Identity(const OpContext& ctx) {
  return {ctx.in(0)};
}
std::vector<Tensor> eval_Identity(const OpContext&, const std::vector<const Tensor*>& inputs,
                                  const std::vector<TensorType>&) {
  // Tensors are immutable by convention, so the output shares the input's storage.
  return {*inputs[0]};
}

std::vector<TensorType> infer_Dropout(const OpContext& ctx) {
  const float ratio = ctx.attrs<DropoutAttrs>().ratio;
  if (!(ratio >= 0.f && ratio < 1.f))
    ctx.fail(fmt::format("attribute ratio = {} is out of range (expected 0 <= ratio < 1)", ratio));
  std::vector<TensorType> out{ctx.in(0)};
  if (ctx.num_outputs() > 1) out.push_back(TensorType{DType::boolean, ctx.in(0).shape});
  return out;
}
std::vector<Tensor> eval_Dropout(const OpContext& ctx, const std::vector<const Tensor*>& inputs,
                                 const std::vector<TensorType>& output_types) {
  // Inference mode: nothing is dropped and nothing is rescaled.
  std::vector<Tensor> out{*inputs[0]};
  if (ctx.num_outputs() > 1) {
    Tensor mask(DType::boolean, output_types[1].shape);
    if (mask.nbytes() > 0) std::memset(mask.raw(), 1, mask.nbytes());
    out.push_back(std::move(mask));
  }
  return out;
}

// ---- unary math and activations (float) ------------------------------------------

namespace {

// The function of a float unary op, in double.
double unary_math(const OpContext& ctx, double x) {
  switch (ctx.op()) {
    case OpKind::Exp:
      return std::exp(x);
    case OpKind::Log:
      return std::log(x);
    case OpKind::Sqrt:
      return std::sqrt(x);
    case OpKind::Reciprocal:
      return 1.0 / x;
    case OpKind::Floor:
      return std::floor(x);
    case OpKind::Ceil:
      return std::ceil(x);
    case OpKind::Erf:
      return std::erf(x);
    case OpKind::Softplus:
      // log(1 + e^x) without overflow for large x.
      return x > 0 ? x + std::log1p(std::exp(-x)) : std::log1p(std::exp(x));
    case OpKind::Softsign:
      return x / (1.0 + std::fabs(x));
    case OpKind::HardSigmoid: {
      const auto& a = ctx.attrs<AlphaBetaAttrs>();
      return std::max(0.0, std::min(1.0, double{a.alpha} * x + double{a.beta}));
    }
    case OpKind::HardSwish:
      return x * std::max(0.0, std::min(1.0, x / 6.0 + 0.5));
    case OpKind::Selu: {
      const auto& a = ctx.attrs<SeluAttrs>();
      return x > 0 ? double{a.gamma} * x : double{a.gamma} * double{a.alpha} * std::expm1(x);
    }
    case OpKind::Celu: {
      const double alpha = ctx.attrs<AlphaAttrs>().alpha;
      return std::max(0.0, x) + std::min(0.0, alpha * std::expm1(x / alpha));
    }
    case OpKind::ThresholdedRelu:
      return x > double{ctx.attrs<AlphaAttrs>().alpha} ? x : 0.0;
    default:
      break;
  }
  ctx.unsupported("no reference evaluation for this op");
}

std::vector<Tensor> eval_float_unary(const OpContext& ctx,
                                     const std::vector<const Tensor*>& inputs) {
  const Tensor& x = *inputs[0];
  return {dispatch_float(ctx, x.dtype(), [&](auto tag) {
    using T = decltype(tag);
    return map_unary<T>(x, [&](T v) { return static_cast<T>(unary_math(ctx, v)); });
  })};
}

// Neg and Abs take signed integers too; integer negation wraps.
template <bool NEG>
std::vector<Tensor> eval_sign_unary(const OpContext& ctx,
                                    const std::vector<const Tensor*>& inputs) {
  const Tensor& x = *inputs[0];
  return {dispatch_arith(ctx, x.dtype(), [&](auto tag) {
    using T = decltype(tag);
    return map_unary<T>(x, [](T v) {
      if constexpr (std::is_floating_point_v<T>) {
        return NEG ? -v : std::fabs(v);
      } else if constexpr (std::is_unsigned_v<T>) {
        return NEG ? static_cast<T>(T(0) - v) : v;
      } else {
        const T neg = wrap<T>(static_cast<U<T>>(U<T>{0} - static_cast<U<T>>(v)));
        return NEG ? neg : (v < 0 ? neg : v);
      }
    });
  })};
}

// The result dtype and shape of a numpy broadcast over every input.
std::vector<TensorType> infer_variadic(const OpContext& ctx, bool integers) {
  if (integers)
    check_dtype(ctx, 0, {DType::f32, DType::f64, DType::i32, DType::i64, DType::i8, DType::u8},
                true);
  else
    check_dtype(ctx, 0, {DType::f32, DType::f64}, false);
  Shape out = ctx.in(0).shape;
  for (size_t i = 1; i < ctx.num_inputs(); ++i) {
    ctx.expect_same_dtype(i, 0);
    auto b = broadcast_shapes(out, ctx.in(i).shape);
    if (!b)
      ctx.fail_input(i, fmt::format("input {} shape {} does not broadcast with {}", i,
                                    shape_str(ctx.in(i).shape), shape_str(out)));
    out = *b;
  }
  return {TensorType{ctx.in(0).dtype, out}};
}

template <class T>
T variadic_step(OpKind op, T acc, T v) {
  switch (op) {
    case OpKind::Min:
      if constexpr (std::is_floating_point_v<T>)
        if (std::isnan(acc) || std::isnan(v)) return std::numeric_limits<T>::quiet_NaN();
      return v < acc ? v : acc;
    case OpKind::Max:
      if constexpr (std::is_floating_point_v<T>)
        if (std::isnan(acc) || std::isnan(v)) return std::numeric_limits<T>::quiet_NaN();
      return v > acc ? v : acc;
    default:
      if constexpr (std::is_floating_point_v<T>)
        return acc + v;
      else
        return wrap<T>(static_cast<U<T>>(static_cast<U<T>>(acc) + static_cast<U<T>>(v)));
  }
}

std::vector<Tensor> eval_variadic(const OpContext& ctx, const std::vector<const Tensor*>& inputs,
                                  const std::vector<TensorType>& output_types) {
  const Shape& out_shape = output_types[0].shape;
  const OpKind op = ctx.op();
  return {dispatch_arith(ctx, inputs[0]->dtype(), [&](auto tag) {
    using T = decltype(tag);
    // Broadcast the first input to the output shape, then fold in the rest.
    Tensor acc = broadcast_apply<T>(*inputs[0], *inputs[0], out_shape, [](T x, T) { return x; });
    for (size_t i = 1; i < inputs.size(); ++i)
      acc = broadcast_apply<T>(acc, *inputs[i], out_shape,
                               [op](T x, T y) { return variadic_step<T>(op, x, y); });
    if constexpr (std::is_floating_point_v<T>) {
      if (op == OpKind::Mean) {
        T* p = acc.data<T>();
        for (int64_t k = 0; k < acc.numel(); ++k)
          p[k] = static_cast<T>(p[k] / static_cast<T>(inputs.size()));
      }
    }
    return acc;
  })};
}

template <class T>
bool compare(OpKind op, T a, T b) {
  switch (op) {
    case OpKind::Equal:
      return a == b;
    case OpKind::Less:
      return a < b;
    case OpKind::Greater:
      return a > b;
    case OpKind::LessOrEqual:
      return a <= b;
    default:
      return a >= b;
  }
}

std::vector<TensorType> infer_compare(const OpContext& ctx) {
  const DType t = ctx.in(0).dtype;
  if (!(t == DType::boolean && ctx.op() == OpKind::Equal))
    check_dtype(ctx, 0, {DType::f32, DType::f64, DType::i32, DType::i64, DType::i8, DType::u8},
                true);
  ctx.expect_same_dtype(1, 0);
  auto out = broadcast_shapes(ctx.in(0).shape, ctx.in(1).shape);
  if (!out)
    ctx.fail(fmt::format("input shapes {} and {} do not broadcast", shape_str(ctx.in(0).shape),
                         shape_str(ctx.in(1).shape)));
  return {TensorType{DType::boolean, *out}};
}

// Walks the broadcast output and calls f(out_index, a_offset, b_offset).
template <class F>
void broadcast_walk(const Shape& a, const Shape& b, const Shape& out, F f) {
  const size_t rank = out.size();
  const std::vector<int64_t> sa = broadcast_strides(a, rank);
  const std::vector<int64_t> sb = broadcast_strides(b, rank);
  const int64_t n = shape_numel(out);
  std::vector<int64_t> idx(rank, 0);
  int64_t oa = 0, ob = 0;
  for (int64_t i = 0; i < n; ++i) {
    f(i, oa, ob);
    for (size_t d = rank; d-- > 0;) {
      if (++idx[d] < out[d]) {
        oa += sa[d];
        ob += sb[d];
        break;
      }
      oa -= sa[d] * (out[d] - 1);
      ob -= sb[d] * (out[d] - 1);
      idx[d] = 0;
    }
  }
}

std::vector<Tensor> eval_compare(const OpContext& ctx, const std::vector<const Tensor*>& inputs,
                                 const std::vector<TensorType>& output_types) {
  const Tensor& a = *inputs[0];
  const Tensor& b = *inputs[1];
  Tensor out(DType::boolean, output_types[0].shape);
  bool* po = out.data<bool>();
  if (a.dtype() == DType::boolean) {
    const bool* pa = a.data<bool>();
    const bool* pb = b.data<bool>();
    broadcast_walk(a.shape(), b.shape(), out.shape(),
                   [&](int64_t i, int64_t x, int64_t y) { po[i] = pa[x] == pb[y]; });
    return {out};
  }
  dispatch_arith(ctx, a.dtype(), [&](auto tag) {
    using T = decltype(tag);
    const T* pa = a.data<T>();
    const T* pb = b.data<T>();
    const OpKind op = ctx.op();
    broadcast_walk(a.shape(), b.shape(), out.shape(),
                   [&](int64_t i, int64_t x, int64_t y) { po[i] = compare<T>(op, pa[x], pb[y]); });
    return Tensor{};
  });
  return {out};
}

}  // namespace

#define LOOM_FLOAT_UNARY(name)                                                                \
  std::vector<TensorType> infer_##name(const OpContext& ctx) {                                \
    return infer_float_unary(ctx);                                                            \
  }                                                                                           \
  std::vector<Tensor> eval_##name(const OpContext& ctx, const std::vector<const Tensor*>& in, \
                                  const std::vector<TensorType>&) {                           \
    return eval_float_unary(ctx, in);                                                         \
  }
LOOM_FLOAT_UNARY(Exp)
LOOM_FLOAT_UNARY(Log)
LOOM_FLOAT_UNARY(Sqrt)
LOOM_FLOAT_UNARY(Reciprocal)
LOOM_FLOAT_UNARY(Floor)
LOOM_FLOAT_UNARY(Ceil)
LOOM_FLOAT_UNARY(Erf)
LOOM_FLOAT_UNARY(Softplus)
LOOM_FLOAT_UNARY(Softsign)
LOOM_FLOAT_UNARY(HardSigmoid)
LOOM_FLOAT_UNARY(HardSwish)
LOOM_FLOAT_UNARY(Selu)
LOOM_FLOAT_UNARY(Celu)
LOOM_FLOAT_UNARY(ThresholdedRelu)
#undef LOOM_FLOAT_UNARY

std::vector<TensorType> infer_Neg(const OpContext& ctx) {
  check_dtype(ctx, 0, {DType::f32, DType::f64, DType::i32, DType::i64, DType::i8}, false);
  return {ctx.in(0)};
}
std::vector<Tensor> eval_Neg(const OpContext& ctx, const std::vector<const Tensor*>& inputs,
                             const std::vector<TensorType>&) {
  return eval_sign_unary<true>(ctx, inputs);
}
std::vector<TensorType> infer_Abs(const OpContext& ctx) {
  return infer_arith_unary(ctx);
}
std::vector<Tensor> eval_Abs(const OpContext& ctx, const std::vector<const Tensor*>& inputs,
                             const std::vector<TensorType>&) {
  return eval_sign_unary<false>(ctx, inputs);
}

// ---- Pow, PRelu --------------------------------------------------------------------

std::vector<TensorType> infer_Pow(const OpContext& ctx) {
  check_dtype(ctx, 0, {DType::f32, DType::f64, DType::i32, DType::i64}, true);
  const DType e = ctx.in(1).dtype;
  if (!(is_float(e) || is_integer(e)))
    ctx.fail_input(1, fmt::format("exponent has dtype {}, expected a number", dtype_name(e)));
  auto out = broadcast_shapes(ctx.in(0).shape, ctx.in(1).shape);
  if (!out)
    ctx.fail(fmt::format("input shapes {} and {} do not broadcast", shape_str(ctx.in(0).shape),
                         shape_str(ctx.in(1).shape)));
  return {TensorType{ctx.in(0).dtype, *out}};
}
// Computed in double and converted to the base's dtype (integer powers of
// integers are exact up to 2^53).
std::vector<Tensor> eval_Pow(const OpContext&, const std::vector<const Tensor*>& inputs,
                             const std::vector<TensorType>& output_types) {
  const Tensor a = inputs[0]->cast(DType::f64);
  const Tensor e = inputs[1]->cast(DType::f64);
  const double* pa = a.data<double>();
  const double* pe = e.data<double>();
  Tensor out(DType::f64, output_types[0].shape);
  double* po = out.data<double>();
  broadcast_walk(a.shape(), e.shape(), out.shape(),
                 [&](int64_t i, int64_t x, int64_t y) { po[i] = std::pow(pa[x], pe[y]); });
  return {out.cast(output_types[0].dtype)};
}

std::vector<TensorType> infer_PRelu(const OpContext& ctx) {
  check_dtype(ctx, 0, {DType::f32, DType::f64}, true);
  ctx.expect_same_dtype(1, 0);
  // The slope broadcasts to X (unidirectionally).
  auto out = broadcast_shapes(ctx.in(0).shape, ctx.in(1).shape);
  if (!out || *out != ctx.in(0).shape)
    ctx.fail_input(1, fmt::format("slope shape {} does not broadcast to the input shape {}",
                                  shape_str(ctx.in(1).shape), shape_str(ctx.in(0).shape)));
  return {ctx.in(0)};
}
std::vector<Tensor> eval_PRelu(const OpContext& ctx, const std::vector<const Tensor*>& inputs,
                               const std::vector<TensorType>& output_types) {
  return {dispatch_float(ctx, inputs[0]->dtype(), [&](auto tag) {
    using T = decltype(tag);
    return broadcast_apply<T>(*inputs[0], *inputs[1], output_types[0].shape,
                              [](T x, T slope) { return x < T(0) ? slope * x : x; });
  })};
}

// ---- Min / Max / Sum / Mean ----------------------------------------------------------

std::vector<TensorType> infer_Min(const OpContext& ctx) {
  return infer_variadic(ctx, true);
}
std::vector<TensorType> infer_Max(const OpContext& ctx) {
  return infer_variadic(ctx, true);
}
std::vector<TensorType> infer_Sum(const OpContext& ctx) {
  return infer_variadic(ctx, false);
}
std::vector<TensorType> infer_Mean(const OpContext& ctx) {
  return infer_variadic(ctx, false);
}
std::vector<Tensor> eval_Min(const OpContext& ctx, const std::vector<const Tensor*>& inputs,
                             const std::vector<TensorType>& output_types) {
  return eval_variadic(ctx, inputs, output_types);
}
std::vector<Tensor> eval_Max(const OpContext& ctx, const std::vector<const Tensor*>& inputs,
                             const std::vector<TensorType>& output_types) {
  return eval_variadic(ctx, inputs, output_types);
}
std::vector<Tensor> eval_Sum(const OpContext& ctx, const std::vector<const Tensor*>& inputs,
                             const std::vector<TensorType>& output_types) {
  return eval_variadic(ctx, inputs, output_types);
}
std::vector<Tensor> eval_Mean(const OpContext& ctx, const std::vector<const Tensor*>& inputs,
                              const std::vector<TensorType>& output_types) {
  return eval_variadic(ctx, inputs, output_types);
}

// ---- comparisons, Not, Where --------------------------------------------------------

#define LOOM_COMPARE(name)                                                                    \
  std::vector<TensorType> infer_##name(const OpContext& ctx) {                                \
    return infer_compare(ctx);                                                                \
  }                                                                                           \
  std::vector<Tensor> eval_##name(const OpContext& ctx, const std::vector<const Tensor*>& in, \
                                  const std::vector<TensorType>& types) {                     \
    return eval_compare(ctx, in, types);                                                      \
  }
LOOM_COMPARE(Equal)
LOOM_COMPARE(Less)
LOOM_COMPARE(Greater)
LOOM_COMPARE(LessOrEqual)
LOOM_COMPARE(GreaterOrEqual)
#undef LOOM_COMPARE

std::vector<TensorType> infer_Not(const OpContext& ctx) {
  ctx.expect_dtype(0, {DType::boolean});
  return {ctx.in(0)};
}
std::vector<Tensor> eval_Not(const OpContext&, const std::vector<const Tensor*>& inputs,
                             const std::vector<TensorType>&) {
  return {map_unary<bool>(*inputs[0], [](bool v) { return !v; })};
}

std::vector<TensorType> infer_Where(const OpContext& ctx) {
  ctx.expect_dtype(0, {DType::boolean});
  ctx.expect_same_dtype(2, 1);
  auto out = broadcast_shapes(ctx.in(0).shape, ctx.in(1).shape);
  if (out) out = broadcast_shapes(*out, ctx.in(2).shape);
  if (!out)
    ctx.fail(fmt::format("condition {}, X {} and Y {} do not broadcast", shape_str(ctx.in(0).shape),
                         shape_str(ctx.in(1).shape), shape_str(ctx.in(2).shape)));
  return {TensorType{ctx.in(1).dtype, *out}};
}
std::vector<Tensor> eval_Where(const OpContext&, const std::vector<const Tensor*>& inputs,
                               const std::vector<TensorType>& output_types) {
  const Shape& shape = output_types[0].shape;
  const size_t es = dtype_size(output_types[0].dtype);
  Tensor out(output_types[0]);
  const size_t rank = shape.size();
  const std::vector<int64_t> sc = broadcast_strides(inputs[0]->shape(), rank);
  const std::vector<int64_t> sx = broadcast_strides(inputs[1]->shape(), rank);
  const std::vector<int64_t> sy = broadcast_strides(inputs[2]->shape(), rank);
  const bool* pc = inputs[0]->data<bool>();
  const std::byte* px = inputs[1]->raw();
  const std::byte* py = inputs[2]->raw();
  std::byte* po = out.raw();
  std::vector<int64_t> idx(rank, 0);
  for (int64_t i = 0; i < out.numel(); ++i) {
    int64_t oc = 0, ox = 0, oy = 0;
    for (size_t d = 0; d < rank; ++d) {
      oc += idx[d] * sc[d];
      ox += idx[d] * sx[d];
      oy += idx[d] * sy[d];
    }
    const std::byte* src =
        pc[oc] ? px + static_cast<size_t>(ox) * es : py + static_cast<size_t>(oy) * es;
    std::memcpy(po + static_cast<size_t>(i) * es, src, es);
    for (size_t d = rank; d-- > 0;) {
      if (++idx[d] < shape[d]) break;
      idx[d] = 0;
    }
  }
  return {out};
}

// ---- Mod ------------------------------------------------------------------------------

std::vector<TensorType> infer_Mod(const OpContext& ctx) {
  std::vector<TensorType> t = infer_binary(ctx);
  if (is_float(ctx.in(0).dtype) && !ctx.attrs<ModAttrs>().fmod)
    ctx.fail("fmod = 0 on floating-point inputs (the spec requires fmod = 1 for them)");
  return t;
}
std::vector<Tensor> eval_Mod(const OpContext& ctx, const std::vector<const Tensor*>& inputs,
                             const std::vector<TensorType>& output_types) {
  const Tensor& a = *inputs[0];
  const Tensor& b = *inputs[1];
  const bool fmod = ctx.attrs<ModAttrs>().fmod;
  return {dispatch_arith(ctx, a.dtype(), [&](auto tag) {
    using T = decltype(tag);
    if constexpr (std::is_integral_v<T>) {
      for (T v : b.values<T>())
        if (v == 0) {
          ErrorSite site = ctx.graph().site(ctx.node());
          site.tensor = ctx.input_name(1);
          throw InputError("integer modulo by zero", site);
        }
    }
    return broadcast_apply<T>(a, b, output_types[0].shape, [fmod](T x, T y) -> T {
      if constexpr (std::is_floating_point_v<T>) {
        return static_cast<T>(std::fmod(x, y));
      } else {
        // Computed in int64 so that MIN % -1 cannot trap.
        const int64_t r = static_cast<int64_t>(x) % static_cast<int64_t>(y);
        if (fmod || r == 0 || ((r < 0) == (y < 0))) return static_cast<T>(r);
        return static_cast<T>(r + static_cast<int64_t>(y));
      }
    });
  })};
}

}  // namespace loom
