// Lowering of convolution and pooling: Conv (an accumulator over input
// channels and kernel taps, with constant weights repacked in blocks of
// output channels), MaxPool / AveragePool (inline window reductions with
// per-position AveragePool divisors), GlobalAveragePool / GlobalMaxPool, and
// the zero / -inf boundary wrapper that padded windows read through.
#include "backends/halide/lowering.h"

#include <cstdint>
#include <limits>
#include <map>
#include <string>
#include <vector>

#include <fmt/format.h>

namespace loom::halide_detail {

// A padded view of `src` (spatial dims from ONNX axis 2 on): reads outside
// [0, in) give `fill`. Returns src itself when no access can leave the input.
int Lowering::boundary(const Node& n, int src, const Shape& shape, const WindowGeometry& geo,
                       float fill) {
  bool needed = false;
  for (size_t d = 0; d < geo.rank(); ++d) {
    const int64_t lo = -geo.pads_begin[d];
    const int64_t hi = (geo.output[d] - 1) * geo.strides[d] - geo.pads_begin[d] +
                       (geo.kernel[d] - 1) * geo.dilations[d];
    if (lo < 0 || hi >= geo.input[d]) needed = true;
  }
  if (!needed) return src;
  return def(base(n) + "_pad", FuncRole::Boundary, shape, {src},
             [&](const std::vector<H::Expr>& idx) {
               std::vector<H::Expr> clamped = idx;
               H::Expr inside = H::Internal::const_true();
               for (size_t d = 2; d < shape.size(); ++d) {
                 const int ext = static_cast<int>(shape[d]);
                 inside = inside && idx[d] >= 0 && idx[d] < ext;
                 clamped[d] = H::clamp(idx[d], 0, ext - 1);
               }
               return H::select(inside, at(src, clamped), H::Expr(fill));
             });
}

void Lowering::lower_conv(const Node& n) {
  const ConvAttrs& a = n.attr<ConvAttrs>();
  const Shape& xs = shape_of(n.inputs[0]);
  const Shape& ws = shape_of(n.inputs[1]);
  const Shape& ys = shape_of(n.outputs[0]);
  std::string err;
  auto geo = resolve_conv_geometry(a, {xs.begin() + 2, xs.end()}, {ws.begin() + 2, ws.end()}, err);
  if (!geo) throw ShapeError(err, g_.site(n));
  const size_t sr = geo->rank();
  const int64_t m = ws[0], cg = ws[1], mg = m / a.group;
  int x = value_func(n.inputs[0], &n);
  int xp = boundary(n, x, xs, *geo, 0.f);
  std::vector<int> producers{xp};

  // Weights: packed [m innermost, ci, taps...] when constant, in blocks
  // of `mb` output channels: [m % mb, ci, taps..., m / mb]. A register
  // tile of output channels then reads one contiguous stream over the
  // whole reduction; unblocked, each ci step jumps by m floats, and at
  // 512 channels those 2 KiB strides map the tile's weights onto 1/32 of
  // the L2 sets, which thrash (7x7x512 convs ran at half speed).
  std::function<H::Expr(H::Expr, H::Expr, const std::vector<H::Expr>&)> weight;
  if (g_.is_constant(n.inputs[1])) {
    const Tensor& w = *g_.value(n.inputs[1]).constant;
    const int64_t mb = m % 32 == 0 ? 32 : m % 16 == 0 ? 16 : m;
    std::vector<int> sizes{static_cast<int>(mb), static_cast<int>(cg)};
    for (size_t d = 0; d < sr; ++d)
      sizes.push_back(static_cast<int>(ws[2 + d]));
    sizes.push_back(static_cast<int>(m / mb));
    H::Buffer<float> wb(sizes, unique(base(n) + "_wpack"));
    const float* wd = w.data<float>();
    const int64_t taps = shape_numel({ws.begin() + 2, ws.end()});
    float* out = wb.data();
    // wb index: m%mb + mb*(ci + Cg*(tap0 + K0*(tap1 ... + Kr*(m/mb)))) with
    // tap0 the first spatial dim.
    std::vector<int64_t> kdims(ws.begin() + 2, ws.end());
    for (int64_t oc = 0; oc < m; ++oc)
      for (int64_t ic = 0; ic < cg; ++ic)
        for (int64_t t = 0; t < taps; ++t) {
          // t is row-major over kdims; convert to wb's order (first spatial dim fastest).
          int64_t rest = t, packed = 0, mul = 1;
          std::vector<int64_t> k(sr);
          for (size_t d = sr; d-- > 0;) {
            k[d] = rest % kdims[d];
            rest /= kdims[d];
          }
          for (size_t d = 0; d < sr; ++d) {
            packed += k[d] * mul;
            mul *= kdims[d];
          }
          out[oc % mb + mb * (ic + cg * (packed + taps * (oc / mb)))] =
              wd[(oc * cg + ic) * taps + t];
        }
    buffers_.push_back(wb);
    const int mbi = static_cast<int>(mb);
    const bool blocked = mb < m;
    weight = [wb, mbi, blocked](H::Expr mo, H::Expr ci, const std::vector<H::Expr>& k) {
      std::vector<H::Expr> args{blocked ? mo % mbi : mo, ci};
      args.insert(args.end(), k.begin(), k.end());
      args.push_back(blocked ? mo / mbi : H::Expr(0));
      return H::Expr(wb(args));
    };
  } else {
    int wf = value_func(n.inputs[1], &n);
    producers.push_back(wf);
    weight = [this, wf](H::Expr mo, H::Expr ci, const std::vector<H::Expr>& k) {
      std::vector<H::Expr> idx{mo, ci};
      idx.insert(idx.end(), k.begin(), k.end());
      return at(wf, idx);
    };
  }
  int bias = -1;
  if (n.has_input(2)) {
    bias = value_func(n.inputs[2], &n);
    producers.push_back(bias);
  }

  // Reduction: taps of the last spatial dim innermost, input channels outermost.
  std::vector<H::Range> ranges;
  for (size_t d = sr; d-- > 0;)
    ranges.emplace_back(0, static_cast<int>(geo->kernel[d]));
  ranges.emplace_back(0, static_cast<int>(cg));
  H::RDom r(ranges, unique(base(n) + "_r"));
  std::vector<H::Expr> taps(sr);
  std::map<std::string, H::RVar> labels;
  std::vector<std::string> rnames;
  for (size_t d = sr; d-- > 0;) {
    const size_t ri = sr - 1 - d;
    taps[d] = r[static_cast<int>(ri)];
    labels.emplace("r" + std::to_string(d), r[static_cast<int>(ri)]);
    rnames.push_back("r" + std::to_string(d));
  }
  H::Expr rc = r[static_cast<int>(sr)];
  labels.emplace("rc", r[static_cast<int>(sr)]);
  rnames.push_back("rc");

  const std::string acc_name = unique(base(n) + "_acc");
  H::Func acc(acc_name);
  std::vector<H::Var> hv = halide_vars(ys.size());
  std::vector<H::Expr> idx = onnx_index(ys.size());
  acc(hv) = bias >= 0 ? at(bias, {idx[1]}) : H::Expr(0.f);
  H::Expr cin = a.group > 1 ? (idx[1] / static_cast<int>(mg)) * static_cast<int>(cg) + rc : rc;
  std::vector<H::Expr> xi{idx[0], cin};
  for (size_t d = 0; d < sr; ++d)
    xi.push_back(idx[2 + d] * static_cast<int>(geo->strides[d]) -
                 static_cast<int>(geo->pads_begin[d]) +
                 taps[d] * static_cast<int>(geo->dilations[d]));
  acc(hv) += weight(idx[1], rc, taps) * at(xp, xi);
  int ai = add_func(acc, acc_name, FuncRole::Accumulator, ys, producers);
  FuncInfo& af = info_.funcs[static_cast<size_t>(ai)];
  af.acc = AccKind::Conv;
  af.depthwise = cg == 1 && a.group > 1;
  af.rvars = rnames;
  af.channel_var = static_cast<int>(ys.size()) - 2;
  af.pixel_var = 0;
  rvars_[acc_name] = labels;

  int v = def(base(n), FuncRole::AccValue, ys, {ai},
              [&](const std::vector<H::Expr>& i) { return at(ai, i); });
  FuncInfo& vf = info_.funcs[static_cast<size_t>(v)];
  vf.value_of = ai;
  vf.acc = AccKind::Conv;
  vf.channel_var = af.channel_var;
  vf.pixel_var = 0;
  set_out(n, v);
}

void Lowering::lower_pool(const Node& n) {
  const PoolAttrs& a = n.attr<PoolAttrs>();
  const Shape& xs = shape_of(n.inputs[0]);
  const Shape& ys = shape_of(n.outputs[0]);
  std::string err;
  auto geo = resolve_pool_geometry(a, {xs.begin() + 2, xs.end()}, err);
  if (!geo) throw ShapeError(err, g_.site(n));
  const bool is_max = n.op == OpKind::MaxPool;
  const size_t sr = geo->rank();
  int x = value_func(n.inputs[0], &n);
  int xp = boundary(n, x, xs, *geo, is_max ? -std::numeric_limits<float>::infinity() : 0.f);
  std::vector<H::Range> ranges;
  for (size_t d = sr; d-- > 0;)
    ranges.emplace_back(0, static_cast<int>(geo->kernel[d]));
  H::RDom r(ranges, unique(base(n) + "_r"));
  // Divisor of AveragePool per output position: product over dims of the
  // taps that land inside the input (or inside input + pads).
  std::vector<H::Buffer<float>> counts;
  if (!is_max) {
    for (size_t d = 0; d < sr; ++d) {
      H::Buffer<float> c(std::vector<int>{static_cast<int>(geo->output[d])},
                         unique(base(n) + "_count"));
      for (int64_t o = 0; o < geo->output[d]; ++o) {
        int64_t k = 0;
        for (int64_t j = 0; j < geo->kernel[d]; ++j) {
          int64_t p = geo->input_pos(d, o, j);
          const int64_t lo = a.count_include_pad ? -geo->pads_begin[d] : 0;
          const int64_t hi = a.count_include_pad ? geo->input[d] + geo->pads_end[d] : geo->input[d];
          if (p >= lo && p < hi) ++k;
        }
        c(static_cast<int>(o)) = static_cast<float>(k);
      }
      counts.push_back(c);
      buffers_.push_back(c);
    }
  }
  int f = def(base(n), FuncRole::Window, ys, {xp}, [&](const std::vector<H::Expr>& idx) {
    std::vector<H::Expr> xi{idx[0], idx[1]};
    for (size_t d = 0; d < sr; ++d)
      xi.push_back(idx[2 + d] * static_cast<int>(geo->strides[d]) -
                   static_cast<int>(geo->pads_begin[d]) +
                   r[static_cast<int>(sr - 1 - d)] * static_cast<int>(geo->dilations[d]));
    if (is_max) return H::maximum(at(xp, xi));
    H::Expr div = H::Expr(1.f);
    for (size_t d = 0; d < sr; ++d)
      div = div * counts[d](idx[2 + d]);
    return H::sum(at(xp, xi)) / div;
  });
  // Whether output row i's window shares input rows with row i + 1
  // (first spatial dim): then rows cannot be computed independently
  // without recomputing the shared ones.
  info_.funcs[static_cast<size_t>(f)].rows_overlap =
      sr == 0 || geo->strides[0] < (geo->kernel[0] - 1) * geo->dilations[0] + 1;
  set_out(n, f);
}

void Lowering::lower_global_pool(const Node& n) {
  const Shape& xs = shape_of(n.inputs[0]);
  const Shape& ys = shape_of(n.outputs[0]);
  int x = value_func(n.inputs[0], &n);
  std::vector<H::Range> ranges;
  int64_t size = 1;
  for (size_t d = xs.size(); d-- > 2;) {
    ranges.emplace_back(0, static_cast<int>(xs[d]));
    size *= xs[d];
  }
  H::RDom r(ranges, unique(base(n) + "_r"));
  const bool is_max = n.op == OpKind::GlobalMaxPool;
  if (xs.size() == 4 && info_.funcs[static_cast<size_t>(x)].role == FuncRole::Input) {
    // Read from memory: an accumulator per channel, so the schedule can run
    // the plane inside vectors of channels (an inline sum cannot be).
    const std::string acc_name = unique(base(n) + "_acc");
    H::Func acc(acc_name);
    std::vector<H::Var> hv = halide_vars(4);
    std::vector<H::Expr> idx = onnx_index(4);
    acc(hv) = is_max ? H::Expr(-std::numeric_limits<float>::infinity()) : H::Expr(0.f);
    const H::Expr v = at(x, {idx[0], idx[1], r[1], r[0]});
    acc(hv) = is_max ? H::max(acc(hv), v) : acc(hv) + v;
    const int ai = add_func(acc, acc_name, FuncRole::Accumulator, ys, {x});
    FuncInfo& af = info_.funcs[static_cast<size_t>(ai)];
    af.acc = AccKind::Dense;
    af.rvars = {"rx", "ry"};
    af.channel_var = 2;
    rvars_[acc_name] = {{"rx", r[0]}, {"ry", r[1]}};
    const int out = def(base(n), FuncRole::AccValue, ys, {ai}, [&](const std::vector<H::Expr>& i) {
      return is_max ? at(ai, i) : at(ai, i) / static_cast<float>(size);
    });
    FuncInfo& vf = info_.funcs[static_cast<size_t>(out)];
    vf.value_of = ai;
    vf.acc = AccKind::Dense;
    vf.channel_var = 2;
    set_out(n, out);
    return;
  }
  int f = def(base(n), FuncRole::Window, ys, {x}, [&](const std::vector<H::Expr>& idx) {
    std::vector<H::Expr> xi{idx[0], idx[1]};
    for (size_t d = 2; d < xs.size(); ++d)
      xi.push_back(r[static_cast<int>(xs.size() - 1 - d)]);
    if (is_max) return H::maximum(at(x, xi));
    return H::sum(at(x, xi)) / static_cast<float>(size);
  });
  set_out(n, f);
}

void Lowering::lower_global_lp_pool(const Node& n) {
  const Shape& xs = shape_of(n.inputs[0]);
  const Shape& ys = shape_of(n.outputs[0]);
  const float p = static_cast<float>(n.attr<LpAttrs>().p);
  int x = value_func(n.inputs[0], &n);
  std::vector<H::Range> ranges;
  for (size_t d = xs.size(); d-- > 2;)
    ranges.emplace_back(0, static_cast<int>(xs[d]));
  H::RDom r(ranges, unique(base(n) + "_r"));
  set_out(n, def(base(n), FuncRole::Window, ys, {x}, [&](const std::vector<H::Expr>& idx) {
            std::vector<H::Expr> xi{idx[0], idx[1]};
            for (size_t d = 2; d < xs.size(); ++d)
              xi.push_back(r[static_cast<int>(xs.size() - 1 - d)]);
            H::Expr v = at(x, xi);
            if (p == 2.f) return H::sqrt(H::sum(v * v));
            if (p == 1.f) return H::sum(H::abs(v));
            return H::pow(H::sum(H::pow(H::abs(v), p)), 1.f / p);
          }));
}

}  // namespace loom::halide_detail
