// Lowering of padding and resampling: Pad (constant, reflect, edge, wrap;
// negative pads crop) as an index mapping; Resize as the separable tap
// tables of ir/geometry.h held in constant buffers, summed over the taps of
// every resized dim (taps that are always zero and identity dims are
// dropped at compile time); ConvTranspose in gather form: each output reads
// the input positions whose scatter would reach it, one RDom over input
// channels of the group and kernel taps.
#include <fmt/format.h>

#include "backends/halide/lowering.h"

namespace loom::halide_detail {

void Lowering::lower_pad(const Node& n) {
  const PadAttrs& a = n.attr<PadAttrs>();
  const Shape& xs = shape_of(n.inputs[0]);
  const Shape& ys = shape_of(n.outputs[0]);
  const size_t rank = xs.size();
  int x = value_func(n.inputs[0], &n);
  set_out(n, def(base(n), FuncRole::Pointwise, ys, {x}, [&](const std::vector<H::Expr>& i) {
            std::vector<H::Expr> src;
            H::Expr inside = H::Internal::const_true();
            for (size_t d = 0; d < rank; ++d) {
              const int in = static_cast<int>(xs[d]);
              H::Expr p = i[d] - static_cast<int>(a.pads[d]);
              const bool may_leave = a.pads[d] > 0 || a.pads[d + rank] > 0;
              if (!may_leave || in == 0) {
                src.push_back(p);
                continue;
              }
              switch (a.mode) {
                case PadMode::Constant:
                  inside = inside && p >= 0 && p < in;
                  src.push_back(H::clamp(p, 0, in - 1));
                  break;
                case PadMode::Edge:
                  src.push_back(H::clamp(p, 0, in - 1));
                  break;
                case PadMode::Wrap:
                  src.push_back(p % in);  // Halide's % is Euclidean: never negative
                  break;
                case PadMode::Reflect: {
                  if (in == 1) {
                    src.push_back(H::Expr(0));
                    break;
                  }
                  const int period = 2 * (in - 1);
                  H::Expr q = p % period;
                  // The clamp changes nothing; it tells bounds inference the range.
                  src.push_back(H::clamp(H::select(q < in, q, period - q), 0, in - 1));
                  break;
                }
              }
            }
            H::Expr v = at(x, src);
            // The fill in the input's type (integer Pad truncates it, as the reference does).
            if (a.mode == PadMode::Constant) v = H::select(inside, v, H::cast(v.type(), a.value));
            return v;
          }));
}

void Lowering::lower_resize(const Node& n) {
  const ResizeAttrs& a = n.attr<ResizeAttrs>();
  const Shape& xs = shape_of(n.inputs[0]);
  const Shape& ys = shape_of(n.outputs[0]);
  const size_t rank = xs.size();
  int x = value_func(n.inputs[0], &n);
  const std::vector<ResizeAxis> axes = resize_axes(a, xs, ys);
  // Per dim: the taps kept (some tap columns are zero everywhere, e.g. the
  // second linear tap of a dim that is not resized) and whether the dim is
  // an identity (one tap reading position o with weight 1).
  struct DimTaps {
    std::vector<int> taps;
    bool identity = true;
    bool any_outside = false;
    H::Buffer<int32_t> index;
    H::Buffer<float> weight;
    H::Buffer<float> outside;
  };
  std::vector<DimTaps> dims(rank);
  for (size_t d = 0; d < rank; ++d) {
    const ResizeAxis& ax = axes[d];
    DimTaps& dt = dims[d];
    const int out = static_cast<int>(ys[d]);
    for (int t = 0; t < ax.taps; ++t) {
      bool used = false;
      for (int o = 0; o < out; ++o)
        used = used || ax.weight[static_cast<size_t>(o * ax.taps + t)] != 0.0;
      if (used) dt.taps.push_back(t);
    }
    if (dt.taps.empty()) dt.taps.push_back(0);
    for (int o = 0; o < out; ++o) {
      dt.any_outside = dt.any_outside || ax.outside[static_cast<size_t>(o)];
      const size_t k = static_cast<size_t>(o * ax.taps + dt.taps[0]);
      dt.identity = dt.identity && dt.taps.size() == 1 && ax.index[k] == o && ax.weight[k] == 1.0;
    }
    if (dt.identity && !dt.any_outside) continue;
    const int nt = static_cast<int>(dt.taps.size());
    dt.index = H::Buffer<int32_t>(std::vector<int>{nt, std::max(out, 1)},
                                  unique(fmt::format("{}_idx{}", base(n), d)));
    dt.weight = H::Buffer<float>(std::vector<int>{nt, std::max(out, 1)},
                                 unique(fmt::format("{}_wt{}", base(n), d)));
    dt.outside = H::Buffer<float>(std::vector<int>{std::max(out, 1)},
                                  unique(fmt::format("{}_out{}", base(n), d)));
    for (int o = 0; o < out; ++o) {
      for (int t = 0; t < nt; ++t) {
        const size_t k = static_cast<size_t>(o * ax.taps + dt.taps[static_cast<size_t>(t)]);
        dt.index(t, o) = static_cast<int32_t>(ax.index[k]);
        dt.weight(t, o) = static_cast<float>(ax.weight[k]);
      }
      dt.outside(o) = ax.outside[static_cast<size_t>(o)] ? 1.f : 0.f;
    }
    index_buffers_.push_back(dt.index);
    buffers_.push_back(dt.weight);
    buffers_.push_back(dt.outside);
  }
  set_out(n, def(base(n), FuncRole::Window, ys, {x}, [&](const std::vector<H::Expr>& i) {
            // Sum over every combination of one kept tap per dim.
            H::Expr sum;
            std::vector<size_t> t(rank, 0);
            while (true) {
              H::Expr w = 1.f;
              std::vector<H::Expr> src;
              for (size_t d = 0; d < rank; ++d) {
                const DimTaps& dt = dims[d];
                if (dt.identity && !dt.any_outside) {
                  src.push_back(i[d]);
                  continue;
                }
                const int tap = static_cast<int>(t[d]);
                // Table entries are already in range; the clamp says so to bounds inference.
                src.push_back(H::clamp(dt.index(tap, i[d]), 0, static_cast<int>(xs[d]) - 1));
                if (!(dt.taps.size() == 1 && a.mode == ResizeMode::Nearest))
                  w = w * dt.weight(tap, i[d]);
              }
              H::Expr term = w * at(x, src);
              sum = sum.defined() ? sum + term : term;
              size_t d = rank;
              while (d-- > 0) {
                if (++t[d] < dims[d].taps.size() && !(dims[d].identity && !dims[d].any_outside))
                  break;
                t[d] = 0;
              }
              if (d == static_cast<size_t>(-1)) break;
            }
            H::Expr outside = H::Internal::const_false();
            for (size_t d = 0; d < rank; ++d)
              if (dims[d].any_outside) outside = outside || dims[d].outside(i[d]) != 0.f;
            return H::select(outside, a.extrapolation_value, sum);
          }));
}

void Lowering::lower_conv_transpose(const Node& n) {
  const ConvTransposeAttrs& a = n.attr<ConvTransposeAttrs>();
  const Shape& xs = shape_of(n.inputs[0]);
  const Shape& ws = shape_of(n.inputs[1]);
  const Shape& ys = shape_of(n.outputs[0]);
  std::string err;
  auto geo = resolve_conv_transpose_geometry(a, {xs.begin() + 2, xs.end()},
                                             {ws.begin() + 2, ws.end()}, err);
  if (!geo) throw ShapeError(err, g_.site(n));
  const WindowGeometry& g = *geo;
  const size_t sr = g.rank();
  const int cg = static_cast<int>(xs[1] / a.group), mg = static_cast<int>(ws[1]);
  int x = value_func(n.inputs[0], &n);
  int w = value_func(n.inputs[1], &n);
  std::vector<int> producers{x, w};
  int b = -1;
  if (n.inputs.size() > 2 && n.inputs[2] != kNoValue) {
    b = value_func(n.inputs[2], &n);
    producers.push_back(b);
  }
  // RDom innermost first: kernel taps (last spatial dim first), then channels.
  std::vector<H::Range> ranges;
  for (size_t d = sr; d-- > 0;)
    ranges.emplace_back(0, static_cast<int>(g.kernel[d]));
  ranges.emplace_back(0, cg);
  H::RDom r(ranges, unique(base(n) + "_r"));
  set_out(n, def(base(n), FuncRole::Window, ys, producers, [&](const std::vector<H::Expr>& i) {
            H::Expr m = i[1];
            H::Expr grp = m / mg;
            H::Expr c = grp * cg + r[static_cast<int>(sr)];
            std::vector<H::Expr> xi{i[0], c}, wi{c, m % mg};
            H::Expr valid = H::Internal::const_true();
            for (size_t d = 0; d < sr; ++d) {
              H::Expr k = r[static_cast<int>(sr - 1 - d)];
              // Output o comes from input (o + pad - k * dilation) / stride when that divides.
              H::Expr num = i[2 + d] + static_cast<int>(g.pads_begin[d]) -
                            k * static_cast<int>(g.dilations[d]);
              const int s = static_cast<int>(g.strides[d]);
              H::Expr pos = num / s;  // Euclidean division
              valid = valid && num >= 0 && pos < static_cast<int>(g.input[d]);
              if (s > 1) valid = valid && (num % s) == 0;
              xi.push_back(H::clamp(pos, 0, static_cast<int>(g.input[d]) - 1));
              wi.push_back(k);
            }
            H::Expr acc = H::sum(H::select(valid, at(x, xi) * at(w, wi), 0.f));
            if (b >= 0) acc = acc + at(b, {m});
            return acc;
          }));
}

}  // namespace loom::halide_detail
