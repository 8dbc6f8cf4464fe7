// fold_batchnorm: folds an inference BatchNormalization into the Conv or Gemm
// that produces its input, so the normalization costs nothing at run time:
//
//   y = (conv(x, W) + b - mean) * s + beta,   s = scale / sqrt(var + eps)
//     = conv(x, W * s[oc]) + ((b - mean) * s + beta)
//
// and likewise for the output columns of a Gemm (B scaled per column, C
// replaced by the folded bias, beta set to 1).
//
// Applies when: the producer's output feeds only the BatchNormalization (not
// a graph output), the BN has a single output, every BN parameter and the
// producer's weight (and bias, if any) are f32 constants of the expected
// shapes. Gemm's C must be absent, a scalar, [N] or [1,N].
//
// Rounding: s and the new weights and biases are computed in double from the
// f32 parameters and rounded once to f32, so each folded weight is within
// half an ulp of the exact product; the result differs from running the two
// ops in f32 only by the reassociation (a few ulps of the output).
//
// Before and after: a verified, shape-inferred graph; after, each folded BN is
// gone and its output value is produced by the (rewritten) Conv/Gemm. The old
// weights are left for eliminate_dead_code (another node may share them).
#include <cmath>

#include "compiler/passes/graph_edit.h"
#include "compiler/passes/passes.h"

namespace loom {

namespace {

const Tensor* f32_constant(const Graph& g, ValueId id, int64_t numel) {
  if (!g.is_constant(id)) return nullptr;
  const Tensor& t = *g.value(id).constant;
  if (t.dtype() != DType::f32 || (numel >= 0 && t.numel() != numel)) return nullptr;
  return &t;
}

// Per-channel factor s and shift (beta - mean * s), in double.
struct BnFold {
  std::vector<double> scale, shift;
};

std::optional<BnFold> bn_fold(const Graph& g, const Node& bn, int64_t channels) {
  BnFold f;
  const Tensor* p[4];
  for (int i = 0; i < 4; ++i) {
    p[i] = f32_constant(g, bn.inputs[static_cast<size_t>(i) + 1], channels);
    if (!p[i]) return std::nullopt;
  }
  const double eps = bn.attr<BatchNormAttrs>().epsilon;
  for (int64_t c = 0; c < channels; ++c) {
    double s = p[0]->data<float>()[c] / std::sqrt(double(p[3]->data<float>()[c]) + eps);
    f.scale.push_back(s);
    f.shift.push_back(double(p[1]->data<float>()[c]) - double(p[2]->data<float>()[c]) * s);
  }
  return f;
}

bool fold_into_conv(Graph& g, Node& conv, const BnFold& f) {
  const Tensor* w = f32_constant(g, conv.inputs[1], -1);
  if (!w || w->rank() < 1) return false;
  const int64_t oc = w->shape()[0];
  if (static_cast<int64_t>(f.scale.size()) != oc) return false;
  const Tensor* b = conv.has_input(2) ? f32_constant(g, conv.inputs[2], oc) : nullptr;
  if (conv.has_input(2) && !b) return false;
  Tensor nw(DType::f32, w->shape());
  const int64_t per = oc ? w->numel() / oc : 0;
  for (int64_t o = 0; o < oc; ++o)
    for (int64_t k = 0; k < per; ++k)
      nw.data<float>()[o * per + k] = float(double(w->data<float>()[o * per + k]) * f.scale[o]);
  Tensor nb(DType::f32, {oc});
  for (int64_t o = 0; o < oc; ++o)
    nb.data<float>()[o] = float((b ? double(b->data<float>()[o]) : 0.0) * f.scale[o] + f.shift[o]);
  ValueId wid = g.add_constant(g.unique_value_name(conv.name + "_bn_w"), nw);
  ValueId bid = g.add_constant(g.unique_value_name(conv.name + "_bn_b"), nb);
  conv.inputs.resize(3, kNoValue);
  conv.inputs[1] = wid;
  conv.inputs[2] = bid;
  return true;
}

bool fold_into_gemm(Graph& g, Node& gemm, const BnFold& f) {
  GemmAttrs& a = gemm.attr<GemmAttrs>();
  const Tensor* bmat = f32_constant(g, gemm.inputs[1], -1);
  if (!bmat || bmat->rank() != 2) return false;
  const int64_t n = a.trans_b ? bmat->shape()[0] : bmat->shape()[1];
  const int64_t k = a.trans_b ? bmat->shape()[1] : bmat->shape()[0];
  if (static_cast<int64_t>(f.scale.size()) != n) return false;
  const Tensor* c = nullptr;
  if (gemm.has_input(2)) {
    c = f32_constant(g, gemm.inputs[2], -1);
    if (!c) return false;
    const Shape& cs = c->shape();
    bool ok = c->numel() == 1 || cs == Shape{n} || cs == Shape{1, n};
    if (!ok) return false;
  }
  Tensor nbm(DType::f32, bmat->shape());
  for (int64_t j = 0; j < n; ++j)
    for (int64_t r = 0; r < k; ++r) {
      const int64_t idx = a.trans_b ? j * k + r : r * n + j;
      nbm.data<float>()[idx] = float(double(bmat->data<float>()[idx]) * f.scale[j]);
    }
  Tensor nc(DType::f32, {n});
  for (int64_t j = 0; j < n; ++j) {
    double cj = c ? double(c->data<float>()[c->numel() == 1 ? 0 : j]) * a.beta : 0.0;
    nc.data<float>()[j] = float(cj * f.scale[j] + f.shift[j]);
  }
  ValueId bid = g.add_constant(g.unique_value_name(gemm.name + "_bn_b"), nbm);
  ValueId cid = g.add_constant(g.unique_value_name(gemm.name + "_bn_c"), nc);
  gemm.inputs.resize(3, kNoValue);
  gemm.inputs[1] = bid;
  gemm.inputs[2] = cid;
  a.beta = 1.f;
  return true;
}

}  // namespace

void fold_batchnorm(Graph& graph) {
  std::vector<int64_t> producers = graph.producers();
  std::vector<int64_t> uses = graph.use_counts();
  std::vector<bool> remove(graph.nodes.size(), false);
  for (size_t i = 0; i < graph.nodes.size(); ++i) {
    Node& bn = graph.nodes[i];
    if (bn.op != OpKind::BatchNormalization || bn.inputs.size() != 5) continue;
    int present_outputs = 0;
    for (ValueId o : bn.outputs)
      present_outputs += o != kNoValue;
    if (present_outputs != 1 || !bn.has_output(0)) continue;
    const ValueId x = bn.inputs[0];
    if (x == kNoValue || uses[static_cast<size_t>(x)] != 1) continue;
    const int64_t p = producers[static_cast<size_t>(x)];
    if (p < 0) continue;
    Node& prod = graph.nodes[static_cast<size_t>(p)];
    if (prod.outputs.empty() || prod.outputs[0] != x) continue;
    const TensorType& xt = graph.type_of(x);
    if (xt.dtype != DType::f32 || xt.rank() < 2) continue;
    std::optional<BnFold> f = bn_fold(graph, bn, xt.shape[1]);
    if (!f) continue;
    bool folded = false;
    if (prod.op == OpKind::Conv && prod.inputs.size() >= 2)
      folded = fold_into_conv(graph, prod, *f);
    else if (prod.op == OpKind::Gemm && xt.rank() == 2)
      folded = fold_into_gemm(graph, prod, *f);
    if (!folded) continue;
    // The producer now computes the BN's output value directly; the old
    // intermediate value is left without a producer or a use.
    prod.outputs[0] = bn.outputs[0];
    remove[i] = true;
  }
  remove_nodes(graph, remove);
  compact_values(graph);
}

}  // namespace loom
