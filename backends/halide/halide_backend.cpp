// Lowering of a kernel group to one Halide pipeline, schedule application,
// autoscheduler hooks, targets, and the kernel: the pipeline compiled ahead
// of time to a cached object and loaded into the process (halide_aot.h).
//
// Layout: a value of ONNX shape [s0, ..., s{r-1}] is a Halide Func whose
// pure vars are named d0..d{r-1} after the ONNX axes and passed innermost
// first (d{r-1} is Halide's dimension 0), so its dense storage is ONNX
// row-major and run-time tensors are passed without copies. Weights are
// copied once into Halide buffers; conv and dense weights are repacked with
// the output channel / column innermost so that vectors of output channels
// load contiguously.
#include "backends/halide/halide_backend.h"

#include <Halide.h>

#include <cctype>
#include <cmath>
#include <cstdlib>
#include <cstring>
#include <functional>
#include <map>
#include <mutex>
#include <set>
#include <sstream>

#include <fmt/format.h>
#include <fmt/ranges.h>

#include "backends/halide/halide_aot.h"
#include "backends/halide/halide_target.h"
#include "backends/halide/pipeline_info.h"
#include "ir/geometry.h"
#include "ir/shape_inference.h"
#include "ir/text_format.h"
#include "runtime/compile_cache.h"

namespace loom {

namespace H = Halide;
using halide_detail::AccKind;
using halide_detail::FuncInfo;
using halide_detail::FuncRole;
using halide_detail::PipelineInfo;

std::vector<Tensor> HalideKernel::operator()(const std::vector<Tensor>& inputs) const {
  std::vector<Tensor> outs;
  for (ValueId id : group().outputs)
    outs.emplace_back(group().type_of(id));
  std::vector<const Tensor*> in;
  for (const Tensor& t : inputs)
    in.push_back(&t);
  std::vector<Tensor*> out;
  for (Tensor& t : outs)
    out.push_back(&t);
  run(in, out);
  return outs;
}

namespace {

using halide_detail::resolve_target;
using TargetChoice = halide_detail::ResolvedTarget;

// ---- lowering -----------------------------------------------------------------

std::string sanitize(const std::string& s) {
  std::string out;
  for (char c : s)
    out += (std::isalnum(static_cast<unsigned char>(c)) ? c : '_');
  if (out.empty() || std::isdigit(static_cast<unsigned char>(out[0]))) out = "v_" + out;
  return out;
}

std::string var_name(size_t onnx_axis) {
  return "d" + std::to_string(onnx_axis);
}

std::vector<H::Var> halide_vars(size_t rank) {
  std::vector<H::Var> v;
  for (size_t i = 0; i < rank; ++i)
    v.emplace_back(var_name(rank - 1 - i));
  return v;
}

std::vector<H::Expr> onnx_index(size_t rank) {
  std::vector<H::Expr> idx;
  for (size_t k = 0; k < rank; ++k)
    idx.push_back(H::Var(var_name(k)));
  return idx;
}

std::vector<H::Expr> reversed(const std::vector<H::Expr>& v) {
  return {v.rbegin(), v.rend()};
}

std::vector<int> reversed_sizes(const Shape& s) {
  std::vector<int> out;
  for (auto it = s.rbegin(); it != s.rend(); ++it)
    out.push_back(static_cast<int>(*it));
  return out;
}

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

class Lowering {
 public:
  explicit Lowering(const Graph& g, std::vector<int> in_blocks = {},
                    std::vector<int> out_blocks = {})
      : g_(g),
        vals_(g.values.size(), -1),
        in_blocks_(std::move(in_blocks)),
        out_blocks_(std::move(out_blocks)) {
    info_.group = g.name;
  }

  void lower() {
    for (size_t k = 0; k < g_.inputs.size(); ++k) {
      const ValueId id = g_.inputs[k];
      const Value& v = g_.value(id);
      const TensorType& t = g_.type_of(id);
      if (t.dtype != DType::f32)
        throw UnsupportedError(
            fmt::format("group input has dtype {}; the Halide backend computes f32 only",
                        dtype_name(t.dtype)),
            g_.site(id));
      const int cb = block_of(in_blocks_, k, t.shape, id);
      // Blocked: a 5-D buffer (c % cb, w, h, c / cb, n), innermost first.
      H::ImageParam p(H::Float(32), static_cast<int>(t.rank()) + (cb ? 1 : 0),
                      unique("in_" + sanitize(v.name)));
      params_.push_back(p);
      vals_[static_cast<size_t>(id)] =
          def("in_" + sanitize(v.name), FuncRole::Input, t.shape, {},
              [&](const std::vector<H::Expr>& idx) {
                if (!cb) return H::Expr(p(reversed(idx)));
                return H::Expr(p(idx[1] % cb, idx[3], idx[2], idx[1] / cb, idx[0]));
              });
      info_.funcs[static_cast<size_t>(vals_[static_cast<size_t>(id)])].blocked_input = cb > 0;
    }
    for (const Node& n : g_.nodes)
      lower_node(n);
    for (size_t k = 0; k < g_.outputs.size(); ++k) {
      const ValueId id = g_.outputs[k];
      int src = value_func(id, nullptr);
      const Shape& shape = g_.type_of(id).shape;
      const int cb = block_of(out_blocks_, k, shape, id);
      int f = -1;
      if (cb) {
        // (d1l, d3, d2, d1b, d0) innermost first: channel d1 = d1b * cb + d1l.
        const std::string name = unique(sanitize(g_.value(id).name) + "_out");
        H::Func o(name);
        H::Var ci("d1l"), w("d3"), h("d2"), co("d1b"), n("d0");
        o(ci, w, h, co, n) = at(src, {n, co * cb + ci, h, w});
        f = add_func(o, name, FuncRole::Pointwise, shape, {src});
        FuncInfo& fi = info_.funcs[static_cast<size_t>(f)];
        fi.vars = {"d1l", "d3", "d2", "d1b", "d0"};
        fi.extents = {cb, shape[3], shape[2], shape[1] / cb, shape[0]};
        fi.block = cb;
      } else {
        f = def(sanitize(g_.value(id).name) + "_out", FuncRole::Pointwise, shape, {src},
                [&](const std::vector<H::Expr>& idx) { return at(src, idx); });
      }
      info_.funcs[static_cast<size_t>(f)].is_output = true;
      outputs_.push_back(funcs_[static_cast<size_t>(f)]);
      output_index_.push_back(f);
    }
  }

  PipelineInfo info_;
  std::vector<H::Func> funcs_;
  std::map<std::string, std::map<std::string, H::RVar>> rvars_;  // func -> label -> rvar
  std::vector<H::ImageParam> params_;
  std::vector<H::Func> outputs_;
  std::vector<int> output_index_;
  std::vector<H::Buffer<float>> buffers_;  // keeps constants alive with the pipeline

 private:
  using Body = std::function<H::Expr(const std::vector<H::Expr>&)>;

  std::string unique(const std::string& base) {
    std::string name = base;
    for (int i = 1; names_.count(name); ++i)
      name = base + "_" + std::to_string(i);
    names_.insert(name);
    return name;
  }

  // `name` is ours: Halide may decorate f.name() to keep it process-unique.
  int add_func(H::Func f, const std::string& name, FuncRole role, const Shape& shape,
               const std::vector<int>& producers) {
    FuncInfo fi;
    fi.name = name;
    fi.role = role;
    for (size_t i = 0; i < shape.size(); ++i) {
      fi.vars.push_back(var_name(shape.size() - 1 - i));
      fi.extents.push_back(shape[shape.size() - 1 - i]);
    }
    const int index = static_cast<int>(funcs_.size());
    for (int p : producers) {
      auto& cs = info_.funcs[static_cast<size_t>(p)].consumers;
      if (std::find(cs.begin(), cs.end(), index) == cs.end()) cs.push_back(index);
    }
    info_.funcs.push_back(std::move(fi));
    funcs_.push_back(f);
    return index;
  }

  int def(const std::string& base, FuncRole role, const Shape& shape,
          const std::vector<int>& producers, const Body& body) {
    const std::string name = unique(base);
    H::Func f(name);
    f(halide_vars(shape.size())) = body(onnx_index(shape.size()));
    return add_func(f, name, role, shape, producers);
  }

  H::Expr at(int f, const std::vector<H::Expr>& idx) const {
    return funcs_[static_cast<size_t>(f)](reversed(idx));
  }

  const Shape& shape_of(ValueId id) const { return g_.type_of(id).shape; }

  int value_func(ValueId id, const Node* user) {
    if (vals_[static_cast<size_t>(id)] >= 0) return vals_[static_cast<size_t>(id)];
    const Value& v = g_.value(id);
    if (!v.constant)
      throw InternalError(fmt::format("value '{}' has no definition in the group", v.name));
    const Tensor& t = *v.constant;
    if (t.dtype() != DType::f32)
      throw UnsupportedError(
          fmt::format("constant '{}' has dtype {}; the Halide backend computes f32 only", v.name,
                      dtype_name(t.dtype())),
          user ? g_.site(*user) : g_.site(id));
    H::Buffer<float> b(reversed_sizes(t.shape()), unique("c_" + sanitize(v.name)));
    if (t.numel()) std::memcpy(b.data(), t.data<float>(), t.nbytes());
    buffers_.push_back(b);
    int f = def("w_" + sanitize(v.name), FuncRole::Input, t.shape(), {},
                [&](const std::vector<H::Expr>& idx) { return H::Expr(b(reversed(idx))); });
    vals_[static_cast<size_t>(id)] = f;
    return f;
  }

  void check_f32(const Node& n) {
    for (ValueId id : n.inputs)
      if (id != kNoValue && g_.type_of(id).dtype != DType::f32)
        throw UnsupportedError(fmt::format("input '{}' has dtype {}; the Halide backend computes "
                                           "f32 only",
                                           g_.value(id).name, dtype_name(g_.type_of(id).dtype)),
                               g_.site(n));
    for (ValueId id : n.outputs)
      if (id != kNoValue && g_.type_of(id).dtype != DType::f32)
        throw UnsupportedError(fmt::format("output '{}' has dtype {}; the Halide backend computes "
                                           "f32 only",
                                           g_.value(id).name, dtype_name(g_.type_of(id).dtype)),
                               g_.site(n));
  }

  void set_out(const Node& n, int f) { vals_[static_cast<size_t>(n.outputs[0])] = f; }
  std::string base(const Node& n) const { return sanitize(n.name); }

  void lower_node(const Node& n) {
    check_f32(n);
    for (size_t i = 1; i < n.outputs.size(); ++i)
      if (n.has_output(i))
        throw UnsupportedError(fmt::format("output {} ('{}') of {} is not implemented by the "
                                           "Halide backend",
                                           i, g_.value(n.outputs[i]).name, op_name(n.op)),
                               g_.site(n));
    switch (n.op) {
      case OpKind::Conv:
        return lower_conv(n);
      case OpKind::MaxPool:
      case OpKind::AveragePool:
        return lower_pool(n);
      case OpKind::GlobalAveragePool:
      case OpKind::GlobalMaxPool:
        return lower_global_pool(n);
      case OpKind::Gemm:
        return lower_gemm(n);
      case OpKind::MatMul:
        return lower_matmul(n);
      case OpKind::BatchNormalization:
        return lower_batch_norm(n);
      case OpKind::Add:
      case OpKind::Sub:
      case OpKind::Mul:
      case OpKind::Div:
        return lower_binary(n);
      case OpKind::Relu:
      case OpKind::LeakyRelu:
      case OpKind::Sigmoid:
      case OpKind::Tanh:
      case OpKind::Clip:
      case OpKind::Elu:
        return lower_unary(n);
      case OpKind::Softmax:
      case OpKind::LogSoftmax:
        return lower_softmax(n);
      case OpKind::Identity:
      case OpKind::Dropout:
        return set_out(n, value_func(n.inputs[0], &n));
      case OpKind::Flatten:
      case OpKind::Reshape:
      case OpKind::Squeeze:
      case OpKind::Unsqueeze:
        return lower_reshape(n);
      case OpKind::Transpose:
        return lower_transpose(n);
      case OpKind::Concat:
        return lower_concat(n);
      case OpKind::Slice:
        return lower_slice(n);
      case OpKind::Constant: {
        const Tensor& t = n.attr<ConstantAttrs>().value;
        Value& v = const_cast<Graph&>(g_).value(n.outputs[0]);
        v.constant = t;
        return set_out(n, value_func(n.outputs[0], &n));
      }
      default:
        throw UnsupportedError(
            fmt::format("op {} is not implemented by the Halide backend", op_name(n.op)),
            g_.site(n));
    }
  }

  // A padded view of `src` (spatial dims from ONNX axis 2 on): reads outside
  // [0, in) give `fill`. Returns src itself when no access can leave the input.
  int boundary(const Node& n, int src, const Shape& shape, const WindowGeometry& geo, float fill) {
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

  std::string window_error;

  void lower_conv(const Node& n) {
    const ConvAttrs& a = n.attr<ConvAttrs>();
    const Shape& xs = shape_of(n.inputs[0]);
    const Shape& ws = shape_of(n.inputs[1]);
    const Shape& ys = shape_of(n.outputs[0]);
    std::string err;
    auto geo =
        resolve_conv_geometry(a, {xs.begin() + 2, xs.end()}, {ws.begin() + 2, ws.end()}, err);
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

  void lower_pool(const Node& n) {
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
            const int64_t hi =
                a.count_include_pad ? geo->input[d] + geo->pads_end[d] : geo->input[d];
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

  void lower_global_pool(const Node& n) {
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
    int f = def(base(n), FuncRole::Window, ys, {x}, [&](const std::vector<H::Expr>& idx) {
      std::vector<H::Expr> xi{idx[0], idx[1]};
      for (size_t d = 2; d < xs.size(); ++d)
        xi.push_back(r[static_cast<int>(xs.size() - 1 - d)]);
      if (is_max) return H::maximum(at(x, xi));
      return H::sum(at(x, xi)) / static_cast<float>(size);
    });
    set_out(n, f);
  }

  // Operand accessor of a matrix product: B(k, j) reads a constant through a
  // buffer packed with j innermost.
  std::function<H::Expr(H::Expr, H::Expr)> matrix_rhs(const Node& n, ValueId id, bool trans,
                                                      std::vector<int>& producers) {
    const Shape& s = shape_of(id);
    if (g_.is_constant(id) && s.size() == 2) {
      const Tensor& t = *g_.value(id).constant;
      const int64_t k = trans ? s[1] : s[0], cols = trans ? s[0] : s[1];
      H::Buffer<float> b(std::vector<int>{static_cast<int>(cols), static_cast<int>(k)},
                         unique(base(n) + "_bpack"));
      const float* d = t.data<float>();
      for (int64_t kk = 0; kk < k; ++kk)
        for (int64_t j = 0; j < cols; ++j)
          b(static_cast<int>(j), static_cast<int>(kk)) = trans ? d[j * k + kk] : d[kk * cols + j];
      buffers_.push_back(b);
      return [b](H::Expr kk, H::Expr j) { return H::Expr(b(j, kk)); };
    }
    int f = value_func(id, &n);
    producers.push_back(f);
    return [this, f, trans](H::Expr kk, H::Expr j) {
      return trans ? at(f, {j, kk}) : at(f, {kk, j});
    };
  }

  void finish_accumulator(const Node& n, H::Func acc, const std::string& acc_name, const Shape& ys,
                          const std::vector<int>& producers, const std::string& rk, H::RVar rv,
                          int channel_var, int pixel_var, const Body& epilogue) {
    int ai = add_func(acc, acc_name, FuncRole::Accumulator, ys, producers);
    FuncInfo& af = info_.funcs[static_cast<size_t>(ai)];
    af.acc = AccKind::Dense;
    af.rvars = {rk};
    af.channel_var = channel_var;
    af.pixel_var = pixel_var;
    rvars_[acc_name] = {{rk, rv}};
    std::vector<int> vp{ai};
    int v = def(base(n), FuncRole::AccValue, ys, vp,
                [&](const std::vector<H::Expr>& i) { return epilogue ? epilogue(i) : at(ai, i); });
    FuncInfo& vf = info_.funcs[static_cast<size_t>(v)];
    vf.value_of = ai;
    vf.acc = AccKind::Dense;
    vf.channel_var = channel_var;
    vf.pixel_var = pixel_var;
    set_out(n, v);
    last_acc_ = ai;
  }
  int last_acc_ = -1;

  void lower_gemm(const Node& n) {
    const GemmAttrs& a = n.attr<GemmAttrs>();
    const Shape& as = shape_of(n.inputs[0]);
    const Shape& ys = shape_of(n.outputs[0]);
    const int64_t k = a.trans_a ? as[0] : as[1];
    std::vector<int> producers;
    int af = value_func(n.inputs[0], &n);
    producers.push_back(af);
    auto rhs = matrix_rhs(n, n.inputs[1], a.trans_b, producers);
    H::RDom r(0, static_cast<int>(k), unique(base(n) + "_r"));
    const std::string acc_name = unique(base(n) + "_acc");
    H::Func acc(acc_name);
    std::vector<H::Var> hv = halide_vars(2);
    std::vector<H::Expr> idx = onnx_index(2);
    acc(hv) = 0.f;
    H::Expr lhs = a.trans_a ? at(af, {r.x, idx[0]}) : at(af, {idx[0], r.x});
    acc(hv) += lhs * rhs(r.x, idx[1]);
    int cf = -1;
    Shape cs;
    if (n.has_input(2)) {
      cf = value_func(n.inputs[2], &n);
      cs = shape_of(n.inputs[2]);
    }
    const float alpha = a.alpha, beta = a.beta;
    // The epilogue reads the accumulator registered just below (index = size).
    const int acc_index = static_cast<int>(funcs_.size());
    Body epi = [this, acc_index, cf, cs, alpha, beta](const std::vector<H::Expr>& i) {
      H::Expr v = at(acc_index, i);
      if (alpha != 1.f) v = alpha * v;
      if (cf >= 0) {
        std::vector<H::Expr> ci;
        for (size_t d = 0; d < cs.size(); ++d) {
          const size_t od = 2 - cs.size() + d;
          ci.push_back(cs[d] == 1 ? H::Expr(0) : i[od]);
        }
        H::Expr c = at(cf, ci);
        v = v + (beta == 1.f ? c : beta * c);
      }
      return v;
    };
    finish_accumulator(n, acc, acc_name, ys, producers, "rk", r.x, 0, 1, epi);
    if (cf >= 0) {
      auto& cs2 = info_.funcs[static_cast<size_t>(cf)].consumers;
      cs2.push_back(static_cast<int>(funcs_.size()) - 1);
    }
  }

  void lower_matmul(const Node& n) {
    const Shape& as = shape_of(n.inputs[0]);
    const Shape& bs = shape_of(n.inputs[1]);
    const Shape& ys = shape_of(n.outputs[0]);
    const bool a1 = as.size() == 1, b1 = bs.size() == 1;
    const int64_t k = as.back();
    const size_t yr = ys.size();
    // Output layout: batch..., [m if A is not 1-D], [n if B is not 1-D].
    const size_t nb = yr - (a1 ? 0 : 1) - (b1 ? 0 : 1);
    std::vector<int> producers;
    int af = value_func(n.inputs[0], &n);
    producers.push_back(af);
    std::function<H::Expr(H::Expr, H::Expr)> rhs2;
    int bf = -1;
    if (!b1 && bs.size() == 2) {
      rhs2 = matrix_rhs(n, n.inputs[1], false, producers);
    } else {
      bf = value_func(n.inputs[1], &n);
      producers.push_back(bf);
    }
    H::RDom r(0, static_cast<int>(k), unique(base(n) + "_r"));
    const std::string acc_name = unique(base(n) + "_acc");
    H::Func acc(acc_name);
    std::vector<H::Var> hv = halide_vars(yr);
    std::vector<H::Expr> idx = onnx_index(yr);
    auto batch_index = [&](const Shape& s, size_t mat_dims) {
      // The operand's batch dims, right-aligned with the output's batch dims.
      std::vector<H::Expr> bi;
      const size_t ob = s.size() - mat_dims;
      for (size_t d = 0; d < ob; ++d) {
        const size_t od = nb - ob + d;
        bi.push_back(s[d] == 1 ? H::Expr(0) : idx[od]);
      }
      return bi;
    };
    H::Expr i_row = a1 ? H::Expr(0) : idx[nb];
    H::Expr j_col = b1 ? H::Expr(0) : idx[yr - 1];
    std::vector<H::Expr> ai = a1 ? std::vector<H::Expr>{} : batch_index(as, 2);
    if (!a1) ai.push_back(i_row);
    ai.push_back(r.x);
    H::Expr rhs;
    if (rhs2) {
      rhs = rhs2(r.x, j_col);
    } else {
      std::vector<H::Expr> bi = b1 ? std::vector<H::Expr>{} : batch_index(bs, 2);
      bi.push_back(r.x);
      if (!b1) bi.push_back(j_col);
      rhs = at(bf, bi);
    }
    acc(hv) = 0.f;
    acc(hv) += at(af, ai) * rhs;
    const int channel = b1 ? -1 : 0;
    const int pixel = (a1 || yr < 2) ? -1 : 1;
    finish_accumulator(n, acc, acc_name, ys, producers, "rk", r.x, channel, pixel, nullptr);
  }

  void lower_batch_norm(const Node& n) {
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

  std::vector<H::Expr> broadcast_index(const Shape& in, const Shape& out,
                                       const std::vector<H::Expr>& idx) {
    std::vector<H::Expr> r;
    for (size_t d = 0; d < in.size(); ++d) {
      const size_t od = out.size() - in.size() + d;
      r.push_back(in[d] == 1 && out[od] != 1 ? H::Expr(0) : idx[od]);
    }
    return r;
  }

  void lower_binary(const Node& n) {
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

  void lower_unary(const Node& n) {
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

  void lower_softmax(const Node& n) {
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

  void lower_reshape(const Node& n) {
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

  void lower_transpose(const Node& n) {
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

  void lower_concat(const Node& n) {
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

  void lower_slice(const Node& n) {
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
    set_out(n, def(base(n), FuncRole::Pointwise, ys, {x}, [&](const std::vector<H::Expr>& i) {
              std::vector<H::Expr> xi;
              for (size_t d = 0; d < xs.size(); ++d)
                xi.push_back(static_cast<int>(ranges[d].start) +
                             i[d] * static_cast<int>(ranges[d].step));
              return at(x, xi);
            }));
  }

  // The channel block of input/output k (0: row-major), checked.
  int block_of(const std::vector<int>& blocks, size_t k, const Shape& s, ValueId id) const {
    const int cb = k < blocks.size() ? blocks[k] : 0;
    if (cb == 0) return 0;
    if (cb < 0 || s.size() != 4 || s[1] % cb != 0)
      throw InternalError(
          fmt::format("group '{}': value '{}' of shape {} cannot be stored in "
                      "channel blocks of {}",
                      g_.name, g_.value(id).name, shape_str(s), cb));
    return cb;
  }

  const Graph& g_;
  std::vector<int> vals_;
  std::vector<int> in_blocks_, out_blocks_;
  std::set<std::string> names_;
};

// ---- schedule application -------------------------------------------------------

H::TailStrategy tail_of(TailStrategy t) {
  switch (t) {
    case TailStrategy::GuardWithIf:
      return H::TailStrategy::GuardWithIf;
    case TailStrategy::ShiftInwards:
      return H::TailStrategy::ShiftInwards;
    case TailStrategy::RoundUp:
      return H::TailStrategy::RoundUp;
    default:
      return H::TailStrategy::Auto;
  }
}

class Applier {
 public:
  Applier(Lowering& l, const GroupSchedule& s) : l_(l), s_(s) {}

  void apply() {
    for (const FuncSchedule& fs : s_.funcs) {
      int fi = find(fs.func);
      H::Func f = l_.funcs_[static_cast<size_t>(fi)];
      level(f, fs.compute, fs.func, false);
      if (fs.store.kind != LoopLevel::Kind::Inline) level(f, fs.store, fs.func, true);
      if (!fs.storage_order.empty()) {
        std::vector<H::Var> vs;
        for (const std::string& v : fs.storage_order)
          vs.emplace_back(v);
        guard(fs.func, "storage_order", [&] { f.reorder_storage(vs); });
      }
      for (const StageSchedule& st : fs.stages) {
        if (st.update >= f.num_update_definitions())
          fail(fs.func, fmt::format("stage update({}) does not exist ({} update stages)", st.update,
                                    f.num_update_definitions()));
        H::Stage stage = st.update < 0 ? H::Stage(f) : f.update(st.update);
        for (const LoopDirective& d : st.directives)
          guard(fs.func, "directive", [&] { directive(fs.func, stage, d); });
      }
    }
    // Output extents are compile-time constants: bounding them lets Halide
    // drop tail clamps and prove the alignment of tiles (e.g. that a block
    // of 32 channels starts at a multiple of 32, so blocked weight indices
    // stay dense vector loads).
    for (size_t i = 0; i < l_.outputs_.size(); ++i) {
      H::Func& o = l_.outputs_[i];
      o.compute_root();
      const FuncInfo& fi = l_.info_.funcs[static_cast<size_t>(l_.output_index_[i])];
      for (size_t d = 0; d < fi.vars.size(); ++d)
        o.bound(H::Var(fi.vars[d]), 0, static_cast<int>(fi.extents[d]));
    }
  }

 private:
  [[noreturn]] void fail(const std::string& func, const std::string& what) const {
    throw UsageError(
        fmt::format("schedule of group '{}': function '{}': {}", s_.group, func, what));
  }
  template <class F>
  void guard(const std::string& func, const char* what, F&& f) {
    try {
      f();
    } catch (const H::Error& e) {
      fail(func, fmt::format("{} rejected by Halide: {}", what, e.what()));
    }
  }
  int find(const std::string& name) const {
    for (size_t i = 0; i < l_.info_.funcs.size(); ++i)
      if (l_.info_.funcs[i].name == name) return static_cast<int>(i);
    std::vector<std::string> names;
    for (const FuncInfo& f : l_.info_.funcs)
      names.push_back(f.name);
    throw UsageError(
        fmt::format("schedule of group '{}': function '{}' is not in the pipeline "
                    "(functions: {})",
                    s_.group, name, fmt::join(names, ", ")));
  }
  H::VarOrRVar var(const std::string& func, const std::string& name) {
    auto& m = l_.rvars_[func];
    auto it = m.find(name);
    if (it != m.end()) return it->second;
    return H::Var(name);
  }
  bool is_rvar(const std::string& func, const std::string& name) {
    return l_.rvars_[func].count(name) > 0;
  }
  void level(H::Func& f, const LoopLevel& lv, const std::string& fname, bool store) {
    switch (lv.kind) {
      case LoopLevel::Kind::Inline:
        return;
      case LoopLevel::Kind::Root:
        guard(fname, "compute_root", [&] { store ? f.store_root() : f.compute_root(); });
        return;
      case LoopLevel::Kind::At: {
        H::Func host = l_.funcs_[static_cast<size_t>(find(lv.func))];
        H::VarOrRVar v = var(lv.func, lv.var);
        guard(fname, "compute_at", [&] {
          H::LoopLevel ll = v.is_rvar ? H::LoopLevel(host, v.rvar) : H::LoopLevel(host, v.var);
          store ? f.store_at(ll) : f.compute_at(ll);
        });
        return;
      }
    }
  }
  void directive(const std::string& func, H::Stage& st, const LoopDirective& d) {
    using K = LoopDirective::Kind;
    switch (d.kind) {
      case K::Split: {
        const bool r = is_rvar(func, d.vars[0]);
        H::VarOrRVar old = var(func, d.vars[0]);
        H::VarOrRVar outer = r ? H::VarOrRVar(H::RVar(d.vars[1])) : H::VarOrRVar(H::Var(d.vars[1]));
        H::VarOrRVar inner = r ? H::VarOrRVar(H::RVar(d.vars[2])) : H::VarOrRVar(H::Var(d.vars[2]));
        if (r) {
          l_.rvars_[func].emplace(d.vars[1], outer.rvar);
          l_.rvars_[func].emplace(d.vars[2], inner.rvar);
        }
        st.split(old, outer, inner, static_cast<int>(d.factor), tail_of(d.tail));
        return;
      }
      case K::Fuse: {
        const bool r = is_rvar(func, d.vars[0]) || is_rvar(func, d.vars[1]);
        H::VarOrRVar fused = r ? H::VarOrRVar(H::RVar(d.vars[2])) : H::VarOrRVar(H::Var(d.vars[2]));
        if (r) l_.rvars_[func].emplace(d.vars[2], fused.rvar);
        st.fuse(var(func, d.vars[0]), var(func, d.vars[1]), fused);
        return;
      }
      case K::Reorder: {
        std::vector<H::VarOrRVar> vs;
        for (const std::string& v : d.vars)
          vs.push_back(var(func, v));
        st.reorder(vs);
        return;
      }
      case K::Vectorize:
        if (d.factor)
          st.vectorize(var(func, d.vars[0]), static_cast<int>(d.factor), tail_of(d.tail));
        else
          st.vectorize(var(func, d.vars[0]));
        return;
      case K::Parallel:
        if (d.factor)
          st.parallel(var(func, d.vars[0]), static_cast<int>(d.factor), tail_of(d.tail));
        else
          st.parallel(var(func, d.vars[0]));
        return;
      case K::Unroll:
        if (d.factor)
          st.unroll(var(func, d.vars[0]), static_cast<int>(d.factor), tail_of(d.tail));
        else
          st.unroll(var(func, d.vars[0]));
        return;
    }
  }

  Lowering& l_;
  const GroupSchedule& s_;
};

// ---- autoschedulers -------------------------------------------------------------

std::string autoscheduler_name(const std::string& source) {
  if (source == "mullapudi2016") return "Mullapudi2016";
  if (source == "adams2019") return "Adams2019";
  if (source == "li2018") return "Li2018";
  return "";
}

void load_autoscheduler(const std::string& name) {
  static std::mutex mu;
  static std::set<std::string> loaded;
  std::lock_guard<std::mutex> lock(mu);
  if (loaded.count(name)) return;
  std::string lower = name;
  for (char& c : lower)
    c = static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
  const std::string path = "/usr/lib/x86_64-linux-gnu/halide14/libautoschedule_" + lower + ".so";
  try {
    H::load_plugin(path);
  } catch (const H::Error& e) {
    throw UsageError(
        fmt::format("cannot load Halide autoscheduler {} from {}: {}", name, path, e.what()));
  }
  loaded.insert(name);
}

H::Region region_of(const Shape& s) {
  H::Region r;
  for (auto it = s.rbegin(); it != s.rend(); ++it)
    r.emplace_back(0, static_cast<int>(*it));
  return r;
}

std::string run_autoscheduler(Lowering& l, const Graph& g, const std::string& name,
                              const H::Target& target, int threads) {
  load_autoscheduler(name);
  for (size_t i = 0; i < l.params_.size(); ++i)
    l.params_[i].set_estimates(region_of(g.type_of(g.inputs[i]).shape));
  for (size_t i = 0; i < l.outputs_.size(); ++i)
    l.outputs_[i].set_estimates(region_of(g.type_of(g.outputs[i]).shape));
  H::Pipeline p(l.outputs_);
  try {
    H::AutoSchedulerResults res =
        p.auto_schedule(name, target, H::MachineParams(threads, 32 * 1024 * 1024, 40));
    return res.schedule_source;
  } catch (const H::Error& e) {
    throw UsageError(
        fmt::format("group '{}': Halide autoscheduler {} failed: {}", g.name, name, e.what()));
  }
}

// ---- the kernel -----------------------------------------------------------------

// The group's code, loaded from an object (backends/halide/halide_aot.h):
// run_raw wraps the caller's memory in halide_buffer_t descriptors and calls
// the pipeline's _argv entry point, which is reentrant, so no lock is held.
class HalideKernelImpl : public HalideKernel {
 public:
  HalideKernelImpl(Graph g, GroupSchedule s, std::shared_ptr<halide_aot::LoadedObject> code,
                   const std::string& fn_name, bool from_cache, const std::vector<int>& in_blocks,
                   const std::vector<int>& out_blocks)
      : graph_(std::move(g)),
        schedule_(std::move(s)),
        code_(std::move(code)),
        fn_(code_->argv_function(fn_name)),
        from_cache_(from_cache) {
    for (size_t k = 0; k < graph_.inputs.size(); ++k)
      dims_.push_back(dense_dims(graph_.type_of(graph_.inputs[k]).shape, block(in_blocks, k)));
    for (size_t k = 0; k < graph_.outputs.size(); ++k)
      dims_.push_back(dense_dims(graph_.type_of(graph_.outputs[k]).shape, block(out_blocks, k)));
  }

  void run(const std::vector<const Tensor*>& inputs,
           const std::vector<Tensor*>& outputs) const override {
    if (inputs.size() != graph_.inputs.size())
      throw InputError(fmt::format("group '{}' takes {} inputs, got {}", graph_.name,
                                   graph_.inputs.size(), inputs.size()));
    if (outputs.size() != graph_.outputs.size())
      throw InputError(fmt::format("group '{}' has {} outputs, got {} output tensors", graph_.name,
                                   graph_.outputs.size(), outputs.size()));
    std::vector<const float*> in;
    for (size_t i = 0; i < inputs.size(); ++i) {
      const TensorType& want = graph_.type_of(graph_.inputs[i]);
      if (!inputs[i] || inputs[i]->type() != want)
        throw InputError(fmt::format("group '{}' input '{}': expected {}, got {}", graph_.name,
                                     graph_.value(graph_.inputs[i]).name, type_str(want),
                                     inputs[i] ? type_str(inputs[i]->type()) : "null"),
                         graph_.site(graph_.inputs[i]));
      in.push_back(inputs[i]->data<float>());
    }
    std::vector<float*> out;
    for (size_t i = 0; i < outputs.size(); ++i) {
      const TensorType& want = graph_.type_of(graph_.outputs[i]);
      if (!outputs[i] || outputs[i]->type() != want)
        throw InputError(fmt::format("group '{}' output '{}': expected {}, got {}", graph_.name,
                                     graph_.value(graph_.outputs[i]).name, type_str(want),
                                     outputs[i] ? type_str(outputs[i]->type()) : "null"),
                         graph_.site(graph_.outputs[i]));
      out.push_back(outputs[i]->data<float>());
    }
    run_raw(in, out);
  }
  void run_raw(const std::vector<const float*>& inputs,
               const std::vector<float*>& outputs) const override {
    if (inputs.size() != graph_.inputs.size() || outputs.size() != graph_.outputs.size())
      throw InternalError(fmt::format("group '{}' takes {} inputs and {} outputs, got {} and {}",
                                      graph_.name, graph_.inputs.size(), graph_.outputs.size(),
                                      inputs.size(), outputs.size()));
    const size_t n = dims_.size();
    // Descriptors on the stack for the usual small counts: no allocation per run.
    constexpr size_t kInline = 8;
    halide_buffer_t inline_bufs[kInline];
    void* inline_argv[kInline];
    std::vector<halide_buffer_t> heap_bufs;
    std::vector<void*> heap_argv;
    halide_buffer_t* bufs = inline_bufs;
    void** argv = inline_argv;
    if (n > kInline) {
      heap_bufs.resize(n);
      heap_argv.resize(n);
      bufs = heap_bufs.data();
      argv = heap_argv.data();
    }
    for (size_t i = 0; i < n; ++i) {
      const void* host = i < inputs.size() ? static_cast<const void*>(inputs[i])
                                           : static_cast<const void*>(outputs[i - inputs.size()]);
      halide_buffer_t& b = bufs[i];
      b = halide_buffer_t{};
      b.host = static_cast<uint8_t*>(const_cast<void*>(host));
      b.type = halide_type_t(halide_type_float, 32);
      b.dimensions = static_cast<int32_t>(dims_[i].size());
      // Pipelines only read the shape of buffers that have a host pointer.
      b.dim = const_cast<halide_dimension_t*>(dims_[i].data());
      argv[i] = &b;
    }
    code_->call(fn_, argv);
  }
  const GroupSchedule& schedule() const override { return schedule_; }
  const Graph& group() const override { return graph_; }
  std::string loop_nest() const override {
    // Halide prints loop nests to stdout only; describe the schedule instead.
    return to_string(schedule_);
  }
  bool from_cache() const override { return from_cache_; }

 private:
  // Halide dimension 0 is the innermost ONNX axis (see the layout note above).
  // Channel-blocked (cb > 0, rank 4): the 5-D (c % cb, w, h, c / cb, n).
  static std::vector<halide_dimension_t> dense_dims(const Shape& onnx, int cb) {
    Shape s = onnx;
    if (cb > 0) s = {onnx[0], onnx[1] / cb, onnx[2], onnx[3], cb};
    std::vector<halide_dimension_t> d;
    int32_t stride = 1;
    for (auto it = s.rbegin(); it != s.rend(); ++it) {
      d.emplace_back(0, static_cast<int32_t>(*it), stride);
      stride *= static_cast<int32_t>(*it);
    }
    return d;
  }

  static int block(const std::vector<int>& b, size_t k) { return k < b.size() ? b[k] : 0; }

  Graph graph_;
  GroupSchedule schedule_;
  std::shared_ptr<halide_aot::LoadedObject> code_;
  halide_aot::LoadedObject::ArgvFn fn_;
  bool from_cache_;
  std::vector<std::vector<halide_dimension_t>> dims_;
};

void prepare_group(Graph& g) {
  infer_shapes(g);
  for (const Node& n : g.nodes)
    if (n.op == OpKind::RNN || n.op == OpKind::LSTM || n.op == OpKind::GRU)
      throw UnsupportedError(
          fmt::format("op {} is not implemented by the Halide backend (recurrent layers go to "
                      "the LLVM backend)",
                      op_name(n.op)),
          g.site(n));
}

}  // namespace

int halide_target_vector_lanes(const std::string& target) {
  return resolve_target(target).lanes;
}

GroupSchedule default_halide_schedule(const Graph& group, const HalideGroupOptions& options) {
  TargetChoice t = resolve_target(options.target);
  Graph g = group;
  prepare_group(g);
  Lowering l(g, options.input_blocks, options.output_blocks);
  l.lower();
  return halide_detail::make_default_schedule(l.info_, t.lanes, std::max(1, options.threads),
                                              options.target);
}

namespace {

// What a group's compiled object depends on besides the Loom build and the
// Halide target (which halide_aot::cached_object adds): the graph with its
// weights by content hash, the schedule requested and the thread count.
std::string group_cache_key(const Graph& g, const HalideGroupOptions& options, int threads) {
  PrintOptions po;
  po.weight_summaries = false;
  std::string key = fmt::format("loom halide group v1\nhalide 14\ntarget {}\nthreads {}\n",
                                options.target, threads);
  if (options.target == "host") key += "host " + compile_cache_host_id() + "\n";
  if (options.schedule)
    key += "schedule json\n" + save_schedule_json(*options.schedule) + "\n";
  else
    key += "schedule source " + options.schedule_source + "\n";
  const auto blocked = [](const std::vector<int>& b) {
    return std::any_of(b.begin(), b.end(), [](int c) { return c != 0; });
  };
  if (blocked(options.input_blocks) || blocked(options.output_blocks))
    key += fmt::format("input blocks {}\noutput blocks {}\n", fmt::join(options.input_blocks, " "),
                       fmt::join(options.output_blocks, " "));
  return key + print_graph(g, po);
}

// A cache entry holds the schedule applied (needed for --dump-schedule
// without re-running an autoscheduler) and the object:
// "loom-halide-group 1\n" <json bytes> "\n" json object.
constexpr std::string_view kEntryMagic = "loom-halide-group 1\n";

std::string pack_entry(const GroupSchedule& s, const std::string& object) {
  const std::string json = save_schedule_json(s);
  return fmt::format("{}{}\n{}{}", kEntryMagic, json.size(), json, object);
}

// Nullopt when the entry is not in this format (then it is recompiled).
std::optional<std::pair<GroupSchedule, std::string_view>> unpack_entry(std::string_view e) {
  if (!e.starts_with(kEntryMagic)) return std::nullopt;
  e.remove_prefix(kEntryMagic.size());
  const size_t nl = e.find('\n');
  if (nl == std::string_view::npos || nl == 0 || nl > 12) return std::nullopt;
  size_t len = 0;
  for (char c : e.substr(0, nl)) {
    if (c < '0' || c > '9') return std::nullopt;
    len = len * 10 + static_cast<size_t>(c - '0');
  }
  e.remove_prefix(nl + 1);
  if (len > e.size()) return std::nullopt;
  try {
    return std::pair{load_schedule_json(std::string(e.substr(0, len))), e.substr(len)};
  } catch (const Error&) {
    return std::nullopt;
  }
}

// Lowers, schedules and compiles the group: the slow path, skipped on a hit.
std::string build_group(const Graph& g, const HalideGroupOptions& options, const TargetChoice& t,
                        int threads, const std::string& fn_name) {
  Lowering l(g, options.input_blocks, options.output_blocks);
  try {
    l.lower();
  } catch (const H::Error& e) {
    throw InternalError(fmt::format("group '{}': Halide lowering failed: {}", g.name, e.what()));
  }
  GroupSchedule sched;
  std::string as_name;
  if (options.schedule) {
    sched = *options.schedule;
    as_name = sched.autoscheduler;
  } else if (options.schedule_source == "default") {
    sched = halide_detail::make_default_schedule(l.info_, t.lanes, threads, options.target);
  } else {
    as_name = autoscheduler_name(options.schedule_source);
    if (as_name.empty())
      throw UsageError(
          fmt::format("unknown schedule source '{}', expected default, "
                      "mullapudi2016, adams2019 or li2018",
                      options.schedule_source));
  }
  sched.group = g.name;
  if (!as_name.empty()) {
    // The autoscheduler plugins keep global state: one search at a time.
    static std::mutex autoscheduler_mu;
    std::string src;
    {
      std::lock_guard lock(autoscheduler_mu);
      src = run_autoscheduler(l, g, as_name, t.target, threads);
    }
    if (!options.schedule) {
      sched.producer = as_name;
      sched.target = options.target;
      sched.autoscheduler = as_name;
      sched.autoscheduler_source = src;
    }
  } else {
    Applier(l, sched).apply();
  }
  std::vector<H::Argument> args;
  for (const H::ImageParam& p : l.params_)
    args.emplace_back(p);
  const std::string object =
      halide_aot::compile_pipeline_object(H::Pipeline(l.outputs_), args, fn_name, t.target);
  return pack_entry(sched, object);
}

}  // namespace

std::unique_ptr<HalideKernel> compile_halide_group(const Graph& group,
                                                   const HalideGroupOptions& options) {
  TargetChoice t = resolve_target(options.target);
  const int threads = std::max(1, options.threads);
  if (!options.schedule && options.schedule_source != "default" &&
      autoscheduler_name(options.schedule_source).empty())
    throw UsageError(fmt::format(
        "unknown schedule source '{}', expected default, mullapudi2016, adams2019 or li2018",
        options.schedule_source));
  Graph g = group;
  prepare_group(g);
  const std::string fn_name = "loom_" + sanitize(g.name);
  halide_aot::prepare_runtime(t.target, options.cache);
  auto build = [&] { return build_group(g, options, t, threads, fn_name); };
  halide_aot::CachedObject entry;
  std::optional<std::pair<GroupSchedule, std::string_view>> parts;
  if (options.cache) {
    entry = halide_aot::cached_object(options.cache, group_cache_key(g, options, threads), t.target,
                                      build);
    parts = unpack_entry(entry.object);
  }
  if (!parts) {
    entry = {build(), false};
    parts = unpack_entry(entry.object);
    if (!parts) throw InternalError(fmt::format("group '{}': bad compiled entry", g.name));
  }
  auto code = halide_aot::load_object(halide_aot::runtime_for(t.target, threads, options.cache),
                                      parts->second, fmt::format("Halide group '{}'", g.name));
  return std::make_unique<HalideKernelImpl>(std::move(g), std::move(parts->first), std::move(code),
                                            fn_name, entry.from_cache, options.input_blocks,
                                            options.output_blocks);
}

}  // namespace loom
