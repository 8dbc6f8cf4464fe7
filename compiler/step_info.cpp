// Per-step descriptions for profiles: op summaries and FLOP counts of the
// kernel groups compile() builds, in the same order.
#include "compiler/step_info.h"

#include <fmt/format.h>

#include "compiler/passes/partition.h"
#include "ir/geometry.h"

namespace loom {

namespace {

std::string dims(const std::vector<int64_t>& v) {
  return fmt::format("{}", fmt::join(v, "x"));
}

bool uniform(const std::vector<int64_t>& v, int64_t x) {
  for (int64_t e : v)
    if (e != x) return false;
  return true;
}

std::vector<int64_t> spatial(const Shape& s) {
  return s.size() > 2 ? std::vector<int64_t>(s.begin() + 2, s.end()) : std::vector<int64_t>{};
}

// Shape of an input/output, empty when the graph has no type for it.
Shape shape_or_empty(const Graph& g, ValueId id) {
  if (id == kNoValue || !g.value(id).type) return {};
  return g.type_of(id).shape;
}

}  // namespace

int64_t node_flops(const Graph& g, const Node& n) {
  if (n.outputs.empty() || n.outputs[0] == kNoValue || !g.value(n.outputs[0]).type) return 0;
  const int64_t out = shape_numel(g.type_of(n.outputs[0]).shape);
  switch (n.op) {
    case OpKind::Conv: {
      const Shape ws = shape_or_empty(g, n.inputs[1]);
      if (ws.size() < 2) return 0;
      // Every output element is a dot product of Cin/group * taps weights.
      return 2 * out * shape_numel({ws.begin() + 1, ws.end()});
    }
    case OpKind::Gemm: {
      const Shape as = shape_or_empty(g, n.inputs[0]);
      if (as.size() != 2) return 0;
      return 2 * out * (n.attr<GemmAttrs>().trans_a ? as[0] : as[1]);
    }
    case OpKind::MatMul: {
      const Shape as = shape_or_empty(g, n.inputs[0]);
      if (as.empty()) return 0;
      return 2 * out * as.back();
    }
    case OpKind::MaxPool:
    case OpKind::AveragePool: {
      int64_t taps = 1;
      for (int64_t k : n.attr<PoolAttrs>().kernel_shape)
        taps *= k;
      return out * taps;
    }
    case OpKind::GlobalAveragePool:
    case OpKind::GlobalMaxPool:
      return shape_numel(shape_or_empty(g, n.inputs[0]));
    case OpKind::BatchNormalization:
      return out;
    case OpKind::RNN:
    case OpKind::GRU:
    case OpKind::LSTM: {
      // The input projection (rows x gates·H x input) and the recurrent
      // matvecs (rows x gates·H x H) per direction; the gate math is small.
      const Shape xs = shape_or_empty(g, n.inputs[0]), ws = shape_or_empty(g, n.inputs[1]);
      if (xs.size() != 3 || ws.size() != 3) return 0;
      const int64_t rows = xs[0] * xs[1], hidden = n.attr<RecurrentAttrs>().hidden_size;
      return 2 * rows * ws[0] * ws[1] * (ws[2] + hidden);
    }
    default:
      return is_elementwise(n.op) ? out : 0;
  }
}

std::string node_summary(const Graph& g, const Node& n) {
  const std::string op(op_name(n.op));
  if (n.outputs.empty() || n.inputs.empty()) return op;
  const Shape xs = shape_or_empty(g, n.inputs[0]);
  const Shape ys = shape_or_empty(g, n.outputs[0]);
  switch (n.op) {
    case OpKind::Conv: {
      const ConvAttrs& a = n.attr<ConvAttrs>();
      const Shape ws = shape_or_empty(g, n.inputs[1]);
      if (xs.size() < 3 || ws.size() != xs.size() || ys.size() != xs.size()) return op;
      std::string err;
      auto geo = resolve_conv_geometry(a, spatial(xs), spatial(ws), err);
      if (!geo) return op;
      std::string s = fmt::format("Conv {}", dims(geo->kernel));
      if (!uniform(geo->strides, 1)) s += "/s" + dims(geo->strides);
      if (!uniform(geo->dilations, 1)) s += "/d" + dims(geo->dilations);
      if (a.group > 1) s += fmt::format("/g{}", a.group);
      return s + fmt::format(" {}->{} {}->{}", xs[1], ys[1], dims(spatial(xs)), dims(spatial(ys)));
    }
    case OpKind::MaxPool:
    case OpKind::AveragePool: {
      const PoolAttrs& a = n.attr<PoolAttrs>();
      std::string s = fmt::format("{} {}", op, dims(a.kernel_shape));
      if (!a.strides.empty() && !uniform(a.strides, 1)) s += "/s" + dims(a.strides);
      if (xs.size() < 3) return s;
      return s + fmt::format(" {} {}->{}", xs[1], dims(spatial(xs)), dims(spatial(ys)));
    }
    case OpKind::GlobalAveragePool:
    case OpKind::GlobalMaxPool:
      if (xs.size() < 3) return op;
      return fmt::format("{} {} {}", op, xs[1], dims(spatial(xs)));
    case OpKind::Gemm:
    case OpKind::MatMul:
      return fmt::format("{} {}->{}", op, dims(xs), dims(ys));
    case OpKind::RNN:
    case OpKind::GRU:
    case OpKind::LSTM: {
      const RecurrentAttrs& a = n.attr<RecurrentAttrs>();
      if (xs.size() != 3) return op;
      const bool batch_first = a.layout == 1;
      return fmt::format("{} {} h{} T{} B{} I{}", op, enum_name(a.direction), a.hidden_size,
                         batch_first ? xs[1] : xs[0], batch_first ? xs[0] : xs[1], xs[2]);
    }
    default:
      return op;
  }
}

std::vector<StepInfo> describe_steps(const Graph& graph, const CompileOptions& options) {
  CompileOptions quiet = options;
  quiet.passes.print_after.clear();
  quiet.passes.print_after_all = false;
  const Graph g = run_pipeline(graph, quiet);
  const Partition part = partition_graph(g);
  std::vector<StepInfo> steps;
  for (const KernelGroup& gr : part.groups) {
    StepInfo s;
    if (gr.backend == GroupBackend::Alias) {
      s.kernel = "alias";
      s.summary = std::string(op_name(g.nodes[gr.nodes.front()].op));
      steps.push_back(std::move(s));
      continue;
    }
    s.kernel = gr.describe(g);
    // The anchor (first node) names the step; fused followers are appended
    // by op name only ("+Add +Relu").
    for (size_t i = 0; i < gr.nodes.size(); ++i) {
      const Node& n = g.nodes[gr.nodes[i]];
      s.summary += i == 0 ? node_summary(g, n) : " +" + std::string(op_name(n.op));
      s.flops += node_flops(g, n);
      s.fma_bound |= n.op == OpKind::Conv || n.op == OpKind::Gemm || n.op == OpKind::MatMul ||
                     n.op == OpKind::RNN || n.op == OpKind::GRU || n.op == OpKind::LSTM;
    }
    steps.push_back(std::move(s));
  }
  return steps;
}

}  // namespace loom
