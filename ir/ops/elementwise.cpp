// Shape inference and reference evaluation of the elementwise ops: binary
// arithmetic with numpy broadcasting (Add, Sub, Mul, Div), activations (Relu,
// LeakyRelu, Sigmoid, Tanh, Elu, Clip), Softmax / LogSoftmax in both the
// opset-13 and the older coerce-to-2D semantics, and the pass-through ops
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

}  // namespace loom
