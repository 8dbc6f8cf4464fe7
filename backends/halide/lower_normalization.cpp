// Lowering of normalization: BatchNormalization (inference form). With
// constant scale, bias, mean and variance it folds them into one per-channel
// multiply and add; otherwise it reads them as Funcs. InstanceNormalization
// and LayerNormalization compute a mean and a variance Func over the
// normalized dims, then one pointwise Func; LRN sums squares over a window
// of channels.
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

namespace {

// The index of a statistic over trailing dims from a full index (the
// leading `kept` dims).
std::vector<H::Expr> leading(const std::vector<H::Expr>& i, size_t kept) {
  return {i.begin(), i.begin() + static_cast<long>(kept)};
}

}  // namespace

// Mean and variance over dims [first, rank) of `x`, as two Window Funcs of
// shape xs[0:first]; returns their indices.
std::pair<int, int> Lowering::moments(const Node& n, int x, const Shape& xs, size_t first) {
  std::vector<H::Range> ranges;
  int64_t count = 1;
  for (size_t d = xs.size(); d-- > first;) {
    ranges.emplace_back(0, static_cast<int>(xs[d]));
    count *= xs[d];
  }
  const Shape stat(xs.begin(), xs.begin() + static_cast<long>(first));
  H::RDom r(ranges, unique(base(n) + "_r"));
  auto full = [&](const std::vector<H::Expr>& i) {
    std::vector<H::Expr> xi = i;
    for (size_t d = first; d < xs.size(); ++d)
      xi.push_back(r[static_cast<int>(xs.size() - 1 - d)]);
    return xi;
  };
  const float inv = 1.f / static_cast<float>(count);
  int mean = def(base(n) + "_mean", FuncRole::Window, stat, {x},
                 [&](const std::vector<H::Expr>& i) { return H::sum(at(x, full(i))) * inv; });
  H::RDom r2(ranges, unique(base(n) + "_r"));
  auto full2 = [&](const std::vector<H::Expr>& i) {
    std::vector<H::Expr> xi = i;
    for (size_t d = first; d < xs.size(); ++d)
      xi.push_back(r2[static_cast<int>(xs.size() - 1 - d)]);
    return xi;
  };
  int var =
      def(base(n) + "_var", FuncRole::Window, stat, {x, mean}, [&](const std::vector<H::Expr>& i) {
        H::Expr dev = at(x, full2(i)) - at(mean, i);
        return H::sum(dev * dev) * inv;
      });
  return {mean, var};
}

void Lowering::lower_instance_norm(const Node& n) {
  const float eps = n.attr<BatchNormAttrs>().epsilon;
  const Shape& xs = shape_of(n.inputs[0]);
  int x = value_func(n.inputs[0], &n);
  int scale = value_func(n.inputs[1], &n), bias = value_func(n.inputs[2], &n);
  auto [mean, var] = moments(n, x, xs, 2);
  set_out(n, def(base(n), FuncRole::Pointwise, xs, {x, mean, var, scale, bias},
                 [&](const std::vector<H::Expr>& i) {
                   const std::vector<H::Expr> s = leading(i, 2);
                   return (at(x, i) - at(mean, s)) *
                              (at(scale, {i[1]}) / H::sqrt(at(var, s) + eps)) +
                          at(bias, {i[1]});
                 }));
}

void Lowering::lower_layer_norm(const Node& n) {
  const LayerNormAttrs& a = n.attr<LayerNormAttrs>();
  const Shape& xs = shape_of(n.inputs[0]);
  const size_t first =
      static_cast<size_t>(a.axis < 0 ? a.axis + static_cast<int64_t>(xs.size()) : a.axis);
  int x = value_func(n.inputs[0], &n);
  int scale = value_func(n.inputs[1], &n);
  int bias = n.inputs.size() > 2 && n.inputs[2] != kNoValue ? value_func(n.inputs[2], &n) : -1;
  auto [mean, var] = moments(n, x, xs, first);
  const Shape norm(xs.begin() + static_cast<long>(first), xs.end());
  std::vector<int> producers{x, mean, var, scale};
  if (bias >= 0) producers.push_back(bias);
  // Scale and bias broadcast (numpy-style) to the normalized dims.
  auto param = [&](int f, ValueId id, const std::vector<H::Expr>& i) {
    const Shape& ps = shape_of(id);
    std::vector<H::Expr> pi;
    for (size_t d = 0; d < ps.size(); ++d) {
      const size_t xd = xs.size() - ps.size() + d;
      pi.push_back(ps[d] == 1 && xs[xd] != 1 ? H::Expr(0) : i[xd]);
    }
    return at(f, pi);
  };
  set_out(n, def(base(n), FuncRole::Pointwise, xs, producers, [&](const std::vector<H::Expr>& i) {
            const std::vector<H::Expr> s = leading(i, first);
            H::Expr y = (at(x, i) - at(mean, s)) / H::sqrt(at(var, s) + a.epsilon) *
                        param(scale, n.inputs[1], i);
            if (bias >= 0) y = y + param(bias, n.inputs[2], i);
            return y;
          }));
  // Mean and InvStdDev have the input's rank with the normalized dims 1.
  for (size_t k = 1; k < n.outputs.size(); ++k) {
    if (!n.has_output(k)) continue;
    const int src = k == 1 ? mean : var;
    const bool inv = k == 2;
    vals_[static_cast<size_t>(n.outputs[k])] =
        def(base(n) + (inv ? "_inv_std" : "_mean_out"), FuncRole::Pointwise, shape_of(n.outputs[k]),
            {src}, [&](const std::vector<H::Expr>& i) {
              H::Expr v = at(src, leading(i, first));
              return inv ? 1.f / H::sqrt(v + a.epsilon) : v;
            });
  }
}

void Lowering::lower_lrn(const Node& n) {
  const LrnAttrs& a = n.attr<LrnAttrs>();
  const Shape& xs = shape_of(n.inputs[0]);
  const int c = static_cast<int>(xs[1]);
  const int lo = static_cast<int>((a.size - 1) / 2);
  int x = value_func(n.inputs[0], &n);
  H::RDom r(0, static_cast<int>(a.size), unique(base(n) + "_r"));
  int sq = def(base(n) + "_sq", FuncRole::Window, xs, {x}, [&](const std::vector<H::Expr>& i) {
    std::vector<H::Expr> xi = i;
    H::Expr ch = i[1] - lo + r;
    xi[1] = H::clamp(ch, 0, c - 1);
    H::Expr v = at(x, xi);
    return H::sum(H::select(ch >= 0 && ch < c, v * v, 0.f));
  });
  const float k = a.alpha / static_cast<float>(a.size);
  set_out(n, def(base(n), FuncRole::Pointwise, xs, {x, sq}, [&](const std::vector<H::Expr>& i) {
            return at(x, i) / H::pow(a.bias + k * at(sq, i), a.beta);
          }));
}

}  // namespace loom::halide_detail
