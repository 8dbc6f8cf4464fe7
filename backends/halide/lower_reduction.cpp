// Lowering of the reductions ReduceMean ... ReduceSumSquare: one Window
// Func over the kept dims whose value is an inline Halide reduction over an
// RDom of the reduced dims (LogSumExp first takes the max, so exp() cannot
// overflow). keepdims only changes how the output indexes the input.
// ArgMax / ArgMin give int64 positions.
#include <fmt/format.h>

#include "backends/halide/lowering.h"

namespace loom::halide_detail {

void Lowering::lower_reduce(const Node& n) {
  const ReduceAttrs& a = n.attr<ReduceAttrs>();
  const Shape& xs = shape_of(n.inputs[0]);
  const Shape& ys = shape_of(n.outputs[0]);
  const int64_t rank = static_cast<int64_t>(xs.size());
  int x = value_func(n.inputs[0], &n);
  std::vector<bool> reduced(xs.size(), a.axes.empty() && !a.noop_with_empty_axes);
  for (int64_t axis : a.axes)
    reduced[static_cast<size_t>(axis < 0 ? axis + rank : axis)] = true;
  std::vector<H::Range> ranges;
  int64_t count = 1;
  for (size_t d = xs.size(); d-- > 0;)
    if (reduced[d]) {
      ranges.emplace_back(0, static_cast<int>(xs[d]));
      count *= xs[d];
    }
  if (ranges.empty()) {  // noop_with_empty_axes: an identity
    set_out(n, def(base(n), FuncRole::Pointwise, ys, {x},
                   [&](const std::vector<H::Expr>& i) { return at(x, i); }));
    return;
  }
  H::RDom r(ranges, unique(base(n) + "_r"));
  // The input index of output index `i` with the reduced dims on the RDom.
  auto input_index = [&](const std::vector<H::Expr>& i) {
    std::vector<H::Expr> xi;
    size_t out_d = 0;
    int rv = static_cast<int>(ranges.size());
    for (size_t d = 0; d < xs.size(); ++d) {
      if (reduced[d]) {
        xi.push_back(r[--rv]);
        if (a.keepdims) ++out_d;
      } else {
        xi.push_back(i[out_d++]);
      }
    }
    return xi;
  };
  int mx = -1;
  if (n.op == OpKind::ReduceLogSumExp)
    mx = def(base(n) + "_max", FuncRole::Window, ys, {x},
             [&](const std::vector<H::Expr>& i) { return H::maximum(at(x, input_index(i))); });
  std::vector<int> producers{x};
  if (mx >= 0) producers.push_back(mx);
  set_out(n, def(base(n), FuncRole::Window, ys, producers, [&](const std::vector<H::Expr>& i) {
            H::Expr v = at(x, input_index(i));
            switch (n.op) {
              case OpKind::ReduceMean:
                return H::sum(v) / static_cast<float>(count);
              case OpKind::ReduceMax:
                return H::maximum(v);
              case OpKind::ReduceMin:
                return H::minimum(v);
              case OpKind::ReduceProd:
                return H::product(v);
              case OpKind::ReduceL1:
                return H::sum(H::abs(v));
              case OpKind::ReduceL2:
                return H::sqrt(H::sum(v * v));
              case OpKind::ReduceLogSum:
                return H::log(H::sum(v));
              case OpKind::ReduceSumSquare:
                return H::sum(v * v);
              case OpKind::ReduceLogSumExp: {
                H::Expr m = at(mx, i);
                // An all -inf slice has max -inf; shift by 0 there instead.
                H::Expr shift = H::select(H::is_finite(m), m, H::cast(m.type(), 0));
                return H::log(H::sum(H::exp(v - shift))) + shift;
              }
              default:
                return H::sum(v);
            }
          }));
}

// ArgMax / ArgMin: Halide's argmax/argmin over an RDom of the axis keep the
// first extreme they meet; select_last_index walks the axis backwards.
void Lowering::lower_arg_reduce(const Node& n) {
  const ArgReduceAttrs& a = n.attr<ArgReduceAttrs>();
  const Shape& xs = shape_of(n.inputs[0]);
  const Shape& ys = shape_of(n.outputs[0]);
  const int64_t rank = static_cast<int64_t>(xs.size());
  const size_t axis = static_cast<size_t>(a.axis < 0 ? a.axis + rank : a.axis);
  const int len = static_cast<int>(xs[axis]);
  int x = value_func(n.inputs[0], &n);
  H::RDom r(0, len, unique(base(n) + "_r"));
  H::Expr pos = a.select_last_index ? H::Expr(len - 1 - r.x) : H::Expr(r.x);
  set_out(n, def(base(n), FuncRole::Window, ys, {x}, [&](const std::vector<H::Expr>& i) {
            std::vector<H::Expr> xi;
            size_t out_d = 0;
            for (size_t d = 0; d < xs.size(); ++d) {
              if (d == axis) {
                xi.push_back(pos);
                if (a.keepdims) ++out_d;
              } else {
                xi.push_back(i[out_d++]);
              }
            }
            H::Tuple best =
                n.op == OpKind::ArgMax ? H::argmax(r, at(x, xi)) : H::argmin(r, at(x, xi));
            H::Expr k = best[0];
            if (a.select_last_index) k = len - 1 - k;
            return H::cast(H::Int(64), k);
          }));
}

}  // namespace loom::halide_detail
