// Lowering of ops that move or view data without arithmetic: Reshape,
// Flatten, Squeeze and Unsqueeze (index remapping), Transpose, Concat,
// Slice, Constant (the tensor becomes a buffer) and Identity / Dropout (the
// input's Func itself).
#include "backends/halide/lowering.h"

#include <algorithm>
#include <cstdint>
#include <utility>
#include <vector>

namespace loom::halide_detail {

namespace {

struct SliceRange {
  int64_t start = 0, step = 1;
};

SliceRange resolve_slice(int64_t start, int64_t end, int64_t step, int64_t dim) {
  const int64_t cap = dim + 1;
  step = step > 0 ? std::min(step, cap) : std::max(step, -cap);
  (void)end;  // the count is the output's extent, taken from shape inference
  if (start < 0) start = start < -dim ? -1 : start + dim;
  if (step > 0)
    start = std::min(std::max(start, int64_t{0}), dim);
  else
    start = std::min(std::max(start, int64_t{0}), dim - 1);
  return {start, step};
}

}  // namespace

void Lowering::lower_reshape(const Node& n) {
  const Shape& xs = shape_of(n.inputs[0]);
  const Shape& ys = shape_of(n.outputs[0]);
  int x = value_func(n.inputs[0], &n);
  set_out(n, def(base(n), FuncRole::Pointwise, ys, {x}, [&](const std::vector<H::Expr>& i) {
            // Dims of size 1 carry index 0; if the remaining dims agree the
            // view maps dim to dim, else through the flat index.
            std::vector<size_t> xd, yd;
            for (size_t d = 0; d < xs.size(); ++d)
              if (xs[d] != 1) xd.push_back(d);
            for (size_t d = 0; d < ys.size(); ++d)
              if (ys[d] != 1) yd.push_back(d);
            std::vector<H::Expr> xi(xs.size(), H::Expr(0));
            bool same = xd.size() == yd.size();
            for (size_t k = 0; same && k < xd.size(); ++k)
              same = xs[xd[k]] == ys[yd[k]];
            if (same) {
              for (size_t k = 0; k < xd.size(); ++k)
                xi[xd[k]] = i[yd[k]];
              return at(x, xi);
            }
            H::Expr flat = H::Expr(0);
            for (size_t d = 0; d < ys.size(); ++d)
              flat = flat * static_cast<int>(ys[d]) + i[d];
            for (size_t d = xs.size(); d-- > 0;) {
              xi[d] = flat % static_cast<int>(xs[d]);
              flat = flat / static_cast<int>(xs[d]);
            }
            return at(x, xi);
          }));
}

void Lowering::lower_transpose(const Node& n) {
  const Shape& xs = shape_of(n.inputs[0]);
  const Shape& ys = shape_of(n.outputs[0]);
  std::vector<int64_t> perm = n.attr<TransposeAttrs>().perm;
  if (perm.empty())
    for (size_t d = xs.size(); d-- > 0;)
      perm.push_back(static_cast<int64_t>(d));
  int x = value_func(n.inputs[0], &n);
  set_out(n, def(base(n), FuncRole::Pointwise, ys, {x}, [&](const std::vector<H::Expr>& i) {
            std::vector<H::Expr> xi(xs.size());
            for (size_t k = 0; k < perm.size(); ++k)
              xi[static_cast<size_t>(perm[k])] = i[k];
            return at(x, xi);
          }));
}

void Lowering::lower_concat(const Node& n) {
  const Shape& ys = shape_of(n.outputs[0]);
  const int64_t rank = static_cast<int64_t>(ys.size());
  int64_t axis = n.attr<AxisAttrs>().axis;
  if (axis < 0) axis += rank;
  std::vector<int> ins;
  for (ValueId id : n.inputs)
    ins.push_back(value_func(id, &n));
  set_out(n, def(base(n), FuncRole::Pointwise, ys, ins, [&](const std::vector<H::Expr>& i) {
            H::Expr result;
            int64_t off = 0;
            const size_t ax = static_cast<size_t>(axis);
            std::vector<std::pair<H::Expr, H::Expr>> parts;
            for (size_t k = 0; k < ins.size(); ++k) {
              const int64_t len = shape_of(n.inputs[k])[ax];
              if (len == 0) continue;
              std::vector<H::Expr> xi = i;
              xi[ax] = H::clamp(i[ax] - static_cast<int>(off), 0, static_cast<int>(len - 1));
              parts.emplace_back(i[ax] < static_cast<int>(off + len), at(ins[k], xi));
              off += len;
            }
            result = parts.back().second;
            for (size_t k = parts.size() - 1; k-- > 0;)
              result = H::select(parts[k].first, parts[k].second, result);
            return result;
          }));
}

void Lowering::lower_slice(const Node& n) {
  const SliceAttrs& a = n.attr<SliceAttrs>();
  const Shape& xs = shape_of(n.inputs[0]);
  const Shape& ys = shape_of(n.outputs[0]);
  const int64_t rank = static_cast<int64_t>(xs.size());
  std::vector<SliceRange> ranges(xs.size());
  for (size_t i = 0; i < a.starts.size(); ++i) {
    int64_t ax = a.axes.empty() ? static_cast<int64_t>(i) : a.axes[i];
    if (ax < 0) ax += rank;
    const int64_t step = a.steps.empty() ? 1 : a.steps[i];
    ranges[static_cast<size_t>(ax)] =
        resolve_slice(a.starts[i], a.ends[i], step, xs[static_cast<size_t>(ax)]);
  }
  int x = value_func(n.inputs[0], &n);
  set_out(
      n, def(base(n), FuncRole::Pointwise, ys, {x}, [&](const std::vector<H::Expr>& i) {
        std::vector<H::Expr> xi;
        for (size_t d = 0; d < xs.size(); ++d)
          xi.push_back(static_cast<int>(ranges[d].start) + i[d] * static_cast<int>(ranges[d].step));
        return at(x, xi);
      }));
}

void Lowering::lower_constant(const Node& n) {
  const Tensor& t = n.attr<ConstantAttrs>().value;
  Value& v = const_cast<Graph&>(g_).value(n.outputs[0]);
  v.constant = t;
  set_out(n, value_func(n.outputs[0], &n));
}

void Lowering::lower_identity(const Node& n) {
  set_out(n, value_func(n.inputs[0], &n));
  // Dropout's mask in inference: every element kept.
  if (n.op == OpKind::Dropout && n.has_output(1))
    vals_[static_cast<size_t>(n.outputs[1])] =
        def(base(n) + "_mask", FuncRole::Pointwise, shape_of(n.outputs[1]), {},
            [](const std::vector<H::Expr>&) { return H::Internal::const_true(); });
}

}  // namespace loom::halide_detail
