// Lowering of elementwise ops: the binary arithmetic ops with ONNX
// broadcasting (Add, Sub, Mul, Div), the unary activations (Relu,
// LeakyRelu, Sigmoid, Tanh, Clip, Elu), and Softmax / LogSoftmax as a max
// and a sum reduction followed by a pointwise Func.
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
              default:
                return x / y;
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
              default: {
                const ClipAttrs& c = n.attr<ClipAttrs>();
                H::Expr v = x;
                if (!std::isinf(c.min) || c.min > 0) v = H::max(v, c.min);
                if (!std::isinf(c.max) || c.max < 0) v = H::min(v, c.max);
                return v;
              }
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
