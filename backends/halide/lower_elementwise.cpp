// Lowering of elementwise ops: the binary arithmetic ops with ONNX
// broadcasting (Add, Sub, Mul, Div, PRelu, Pow), variadic Min/Max/Sum/Mean,
// the unary activations and math functions (Relu ... Erf), and Softmax /
// LogSoftmax as a max and a sum reduction followed by a pointwise Func.
#include "backends/halide/lowering.h"

#include <cmath>
#include <cstdint>
#include <string>
#include <vector>

#include <fmt/format.h>

namespace loom::halide_detail {

namespace {

std::vector<H::Expr> broadcast_index(const Shape& in, const Shape& out,
                                     const std::vector<H::Expr>& idx) {
  std::vector<H::Expr> r;
  for (size_t d = 0; d < in.size(); ++d) {
    const size_t od = out.size() - in.size() + d;
    r.push_back(in[d] == 1 && out[od] != 1 ? H::Expr(0) : idx[od]);
  }
  return r;
}

// erf(x) by Abramowitz and Stegun 7.1.26 (absolute error below 1.5e-7),
// odd-symmetric; Halide has no erf of its own.
H::Expr erf_approx(H::Expr x) {
  H::Expr a = H::abs(x);
  H::Expr t = 1.f / (1.f + 0.3275911f * a);
  H::Expr poly =
      t * (0.254829592f +
           t * (-0.284496736f + t * (1.421413741f + t * (-1.453152027f + t * 1.061405429f))));
  H::Expr y = 1.f - poly * H::exp(-a * a);
  return H::select(x < 0.f, -y, y);
}

// Clip of an integer value: bounds rounded inward and saturated to the
// type's range; NaN and infinite bounds do not clip (as the reference).
H::Expr clip_integer(H::Expr x, const ClipAttrs& c) {
  const H::Type t = x.type();
  const double tmin = t.is_uint() ? 0.0 : -std::ldexp(1.0, t.bits() - 1);
  const double tmax =
      t.is_uint() ? std::ldexp(1.0, t.bits()) - 1 : std::ldexp(1.0, t.bits() - 1) - 1;
  H::Expr v = x;
  if (!std::isnan(c.min) && c.min > tmin)
    v = H::max(v, H::cast(t, H::Expr(static_cast<int64_t>(std::ceil(static_cast<double>(c.min))))));
  if (!std::isnan(c.max) && c.max < tmax)
    v = H::min(v,
               H::cast(t, H::Expr(static_cast<int64_t>(std::floor(static_cast<double>(c.max))))));
  return v;
}

// Integer Div and Mod with ONNX semantics on Halide's Euclidean / and %:
// Div truncates toward zero; Mod takes the divisor's sign (fmod = 0) or the
// dividend's (fmod = 1). A zero divisor fails the pipeline's requirement,
// which the kernel reports as an InputError, as the reference does.
H::Expr nonzero_divisor(H::Expr y, H::Expr value) {
  return H::require(y != H::cast(y.type(), 0), value, "integer division by zero");
}

H::Expr integer_div(H::Expr x, H::Expr y) {
  H::Expr q = x / y;
  if (x.type().is_int()) {
    H::Expr r = x % y;
    const H::Expr one = H::cast(x.type(), 1);
    q = H::select(x < H::cast(x.type(), 0) && r != H::cast(x.type(), 0),
                  q + H::select(y > H::cast(y.type(), 0), one, -one), q);
  }
  return nonzero_divisor(y, q);
}

H::Expr integer_mod(H::Expr x, H::Expr y, bool fmod) {
  H::Expr r = x % y;  // in [0, |y|)
  if (x.type().is_int()) {
    const H::Expr zero = H::cast(x.type(), 0);
    const H::Expr negative = fmod ? x < zero : y < zero;
    r = H::select(negative && r != zero, r - H::abs(y), r);
  }
  return nonzero_divisor(y, r);
}

// The activations and math functions added with the op-coverage work.
H::Expr unary_math(const Node& n, H::Expr x) {
  switch (n.op) {
    case OpKind::Neg:
      return -x;
    case OpKind::Abs:
      return H::cast(x.type(), H::abs(x));  // Halide's abs of an int is unsigned
    case OpKind::Exp:
      return H::exp(x);
    case OpKind::Log:
      return H::log(x);
    case OpKind::Sqrt:
      return H::sqrt(x);
    case OpKind::Reciprocal:
      return 1.f / x;
    case OpKind::Floor:
      return H::floor(x);
    case OpKind::Ceil:
      return H::ceil(x);
    case OpKind::Erf:
      return erf_approx(x);
    case OpKind::Softplus:
      // log(1 + e^x) = max(x, 0) + log(1 + e^-|x|), which cannot overflow.
      return H::max(x, 0.f) + H::log(1.f + H::exp(-H::abs(x)));
    case OpKind::Softsign:
      return x / (1.f + H::abs(x));
    case OpKind::HardSigmoid: {
      const auto& a = n.attr<AlphaBetaAttrs>();
      return H::clamp(a.alpha * x + a.beta, 0.f, 1.f);
    }
    case OpKind::HardSwish:
      return x * H::clamp(x * (1.f / 6.f) + 0.5f, 0.f, 1.f);
    case OpKind::Selu: {
      const auto& a = n.attr<SeluAttrs>();
      return H::select(x > 0.f, a.gamma * x, (a.gamma * a.alpha) * (H::exp(x) - 1.f));
    }
    case OpKind::Celu: {
      const float alpha = n.attr<AlphaAttrs>().alpha;
      return H::max(x, 0.f) + H::min(0.f, alpha * (H::exp(x / alpha) - 1.f));
    }
    case OpKind::ThresholdedRelu:
      return H::select(x > n.attr<AlphaAttrs>().alpha, x, 0.f);
    default:
      return x;
  }
}

}  // namespace

void Lowering::lower_binary(const Node& n) {
  const Shape& ys = shape_of(n.outputs[0]);
  int a = value_func(n.inputs[0], &n), b = value_func(n.inputs[1], &n);
  const Shape &as = shape_of(n.inputs[0]), &bs = shape_of(n.inputs[1]);
  set_out(n, def(base(n), FuncRole::Pointwise, ys, {a, b}, [&](const std::vector<H::Expr>& i) {
            H::Expr x = at(a, broadcast_index(as, ys, i));
            H::Expr y = at(b, broadcast_index(bs, ys, i));
            switch (n.op) {
              case OpKind::Add:
                return x + y;
              case OpKind::Sub:
                return x - y;
              case OpKind::Mul:
                return x * y;
              case OpKind::PRelu:
                return H::select(x < 0.f, y * x, x);
              case OpKind::Mod:
                if (x.type().is_float()) return x - y * H::trunc(x / y);  // fmod
                return integer_mod(x, y, n.attr<ModAttrs>().fmod);
              default:
                if (x.type().is_float()) return x / y;
                return integer_div(x, y);
            }
          }));
}

void Lowering::lower_unary(const Node& n) {
  const Shape& ys = shape_of(n.outputs[0]);
  int a = value_func(n.inputs[0], &n);
  set_out(n, def(base(n), FuncRole::Pointwise, ys, {a}, [&](const std::vector<H::Expr>& i) {
            H::Expr x = at(a, i);
            switch (n.op) {
              case OpKind::Relu:
                return H::select(x < 0.f, 0.f, x);
              case OpKind::LeakyRelu:
                return H::select(x < 0.f, n.attr<AlphaAttrs>().alpha * x, x);
              case OpKind::Sigmoid: {
                // Two branches so exp() only sees non-positive arguments.
                H::Expr e = H::exp(-H::abs(x));
                return H::select(x >= 0.f, 1.f / (1.f + e), e / (1.f + e));
              }
              case OpKind::Tanh:
                return H::tanh(x);
              case OpKind::Elu:
                return H::select(x < 0.f, n.attr<AlphaAttrs>().alpha * (H::exp(x) - 1.f), x);
              case OpKind::Clip: {
                const ClipAttrs& c = n.attr<ClipAttrs>();
                if (x.type().is_int() || x.type().is_uint()) return clip_integer(x, c);
                H::Expr v = x;
                if (!std::isinf(c.min) || c.min > 0) v = H::max(v, c.min);
                if (!std::isinf(c.max) || c.max < 0) v = H::min(v, c.max);
                return v;
              }
              default:
                return unary_math(n, x);
            }
          }));
}

void Lowering::lower_variadic(const Node& n) {
  const Shape& ys = shape_of(n.outputs[0]);
  std::vector<int> ins;
  for (ValueId id : n.inputs)
    ins.push_back(value_func(id, &n));
  set_out(n, def(base(n), FuncRole::Pointwise, ys, ins, [&](const std::vector<H::Expr>& i) {
            H::Expr acc;
            for (size_t k = 0; k < ins.size(); ++k) {
              H::Expr v = at(ins[k], broadcast_index(shape_of(n.inputs[k]), ys, i));
              if (k == 0) {
                acc = v;
              } else if (n.op == OpKind::Min) {
                acc = H::min(acc, v);
              } else if (n.op == OpKind::Max) {
                acc = H::max(acc, v);
              } else {
                acc = acc + v;
              }
            }
            if (n.op == OpKind::Mean) acc = acc / static_cast<float>(ins.size());
            return acc;
          }));
}

// Pow with a constant scalar exponent becomes multiplies or a sqrt where it
// can (x^2 in hand-written norms); otherwise Halide's pow.
void Lowering::lower_pow(const Node& n) {
  const Shape& ys = shape_of(n.outputs[0]);
  int a = value_func(n.inputs[0], &n);
  const Shape& as = shape_of(n.inputs[0]);
  const Value& ev = g_.value(n.inputs[1]);
  const bool float_base = g_.type_of(n.inputs[0]).dtype == DType::f32;
  if (float_base && ev.constant && ev.constant->numel() == 1) {
    const double e = ev.constant->get_as_double(0);
    set_out(n, def(base(n), FuncRole::Pointwise, ys, {a}, [&](const std::vector<H::Expr>& i) {
              H::Expr x = at(a, broadcast_index(as, ys, i));
              if (e == 1) return x;
              if (e == 2) return x * x;
              if (e == 3) return x * x * x;
              if (e == 0.5) return H::sqrt(x);
              if (e == -1) return 1.f / x;
              return H::pow(x, static_cast<float>(e));
            }));
    return;
  }
  int b = value_func(n.inputs[1], &n);
  const Shape& bs = shape_of(n.inputs[1]);
  const bool all_f32 = float_base && g_.type_of(n.inputs[1]).dtype == DType::f32;
  set_out(n, def(base(n), FuncRole::Pointwise, ys, {a, b}, [&](const std::vector<H::Expr>& i) {
            H::Expr x = at(a, broadcast_index(as, ys, i));
            H::Expr y = at(b, broadcast_index(bs, ys, i));
            if (all_f32) return H::pow(x, y);
            // Mixed and integer types: in f64 (exact for integer results up
            // to 2^53), then the base's type, as the reference does.
            return H::cast(x.type(), H::pow(H::cast(H::Float(64), x), H::cast(H::Float(64), y)));
          }));
}

void Lowering::lower_compare(const Node& n) {
  const Shape& ys = shape_of(n.outputs[0]);
  std::vector<int> ins;
  for (ValueId id : n.inputs)
    ins.push_back(value_func(id, &n));
  set_out(n, def(base(n), FuncRole::Pointwise, ys, ins, [&](const std::vector<H::Expr>& i) {
            std::vector<H::Expr> v;
            for (size_t k = 0; k < ins.size(); ++k)
              v.push_back(at(ins[k], broadcast_index(shape_of(n.inputs[k]), ys, i)));
            switch (n.op) {
              case OpKind::Not:
                return !v[0];
              case OpKind::Where:
                return H::select(v[0], v[1], v[2]);
              case OpKind::Equal:
                return v[0] == v[1];
              case OpKind::Less:
                return v[0] < v[1];
              case OpKind::Greater:
                return v[0] > v[1];
              case OpKind::LessOrEqual:
                return v[0] <= v[1];
              default:
                return v[0] >= v[1];
            }
          }));
}

void Lowering::lower_softmax(const Node& n) {
  const SoftmaxAttrs& a = n.attr<SoftmaxAttrs>();
  const Shape& ys = shape_of(n.outputs[0]);
  const int64_t rank = static_cast<int64_t>(ys.size());
  const int64_t axis = a.axis < 0 ? a.axis + rank : a.axis;
  if (axis < 0 || axis >= rank)
    throw ShapeError(fmt::format("attribute axis = {} out of range for rank {}", a.axis, rank),
                     g_.site(n));
  std::vector<size_t> reduced, kept;
  for (size_t d = 0; d < ys.size(); ++d) {
    const bool red =
        static_cast<int64_t>(d) == axis || (a.coerce_2d && static_cast<int64_t>(d) > axis);
    (red ? reduced : kept).push_back(d);
  }
  int x = value_func(n.inputs[0], &n);
  std::vector<H::Range> ranges;
  for (auto it = reduced.rbegin(); it != reduced.rend(); ++it)
    ranges.emplace_back(0, static_cast<int>(ys[*it]));
  H::RDom r(ranges, unique(base(n) + "_r"));
  Shape kept_shape;
  for (size_t d : kept)
    kept_shape.push_back(ys[d]);
  // Index of the full tensor from kept vars (named after their own axes) and the rdom.
  auto full_index = [&](bool with_rdom) {
    std::vector<H::Expr> idx(ys.size());
    for (size_t d : kept)
      idx[d] = H::Var(var_name(d));
    for (size_t i = 0; i < reduced.size(); ++i)
      idx[reduced[i]] = with_rdom ? H::Expr(r[static_cast<int>(reduced.size() - 1 - i)])
                                  : H::Expr(H::Var(var_name(reduced[i])));
    return idx;
  };
  std::vector<H::Var> kv;
  for (auto it = kept.rbegin(); it != kept.rend(); ++it)
    kv.emplace_back(var_name(*it));
  std::vector<H::Expr> kept_args;
  for (auto it = kept.rbegin(); it != kept.rend(); ++it)
    kept_args.push_back(H::Var(var_name(*it)));
  const std::string mx_name = unique(base(n) + "_max");
  H::Func mx(mx_name);
  mx(kv) = H::maximum(at(x, full_index(true)));
  const std::string sm_name = unique(base(n) + "_sum");
  H::Func sm(sm_name);
  sm(kv) = H::sum(H::exp(at(x, full_index(true)) - mx(kept_args)));
  auto reg = [&](H::Func f, const std::string& name, std::vector<int> prods) {
    int i = add_func(f, name, FuncRole::Reduction, kept_shape, prods);
    FuncInfo& fi = info_.funcs[static_cast<size_t>(i)];
    fi.vars.clear();
    for (auto it = kept.rbegin(); it != kept.rend(); ++it)
      fi.vars.push_back(var_name(*it));
    return i;
  };
  int mi = reg(mx, mx_name, {x});
  int si = reg(sm, sm_name, {x, mi});
  const bool log = n.op == OpKind::LogSoftmax;
  set_out(n, def(base(n), FuncRole::Pointwise, ys, {x, mi, si}, [&](const std::vector<H::Expr>&) {
            H::Expr shifted = at(x, full_index(false)) - mx(kept_args);
            return log ? shifted - H::log(sm(kept_args)) : H::exp(shifted) / sm(kept_args);
          }));
}

}  // namespace loom::halide_detail
