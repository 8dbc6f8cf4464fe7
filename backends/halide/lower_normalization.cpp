// Lowering of normalization: BatchNormalization (inference form). With
// constant scale, bias, mean and variance it folds them into one per-channel
// multiply and add; otherwise it reads them as Funcs.
#include "backends/halide/lowering.h"

#include <cmath>
#include <cstdint>
#include <vector>

namespace loom::halide_detail {

void Lowering::lower_batch_norm(const Node& n) {
  const float eps = n.attr<BatchNormAttrs>().epsilon;
  const Shape& ys = shape_of(n.outputs[0]);
  int x = value_func(n.inputs[0], &n);
  bool all_const = true;
  for (size_t i = 1; i < 5; ++i)
    all_const = all_const && g_.is_constant(n.inputs[i]);
  if (all_const) {
    const int64_t c = ys[1];
    H::Buffer<float> mul(std::vector<int>{static_cast<int>(c)}, unique(base(n) + "_mul"));
    H::Buffer<float> add(std::vector<int>{static_cast<int>(c)}, unique(base(n) + "_add"));
    auto get = [&](size_t i, int64_t ch) {
      return g_.value(n.inputs[i]).constant->get_as_double(ch);
    };
    for (int64_t ch = 0; ch < c; ++ch) {
      const double m = get(1, ch) / std::sqrt(get(4, ch) + static_cast<double>(eps));
      mul(static_cast<int>(ch)) = static_cast<float>(m);
      add(static_cast<int>(ch)) = static_cast<float>(get(2, ch) - get(3, ch) * m);
    }
    buffers_.push_back(mul);
    buffers_.push_back(add);
    set_out(n, def(base(n), FuncRole::Pointwise, ys, {x}, [&](const std::vector<H::Expr>& i) {
              return at(x, i) * mul(i[1]) + add(i[1]);
            }));
    return;
  }
  std::vector<int> p{x};
  for (size_t i = 1; i < 5; ++i)
    p.push_back(value_func(n.inputs[i], &n));
  set_out(n, def(base(n), FuncRole::Pointwise, ys, p, [&](const std::vector<H::Expr>& i) {
            std::vector<H::Expr> c{i[1]};
            return (at(x, i) - at(p[3], c)) * (at(p[1], c) / H::sqrt(at(p[4], c) + eps)) +
                   at(p[2], c);
          }));
}

}  // namespace loom::halide_detail
