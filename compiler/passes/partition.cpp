// partition: fuses nodes into kernel groups and picks each group's backend.
//
// Rules, applied greedily in node order:
//  - RNN/GRU/LSTM: a group of its own for the LLVM recurrent backend (the
//    step loop is generated for exactly one layer).
//  - Reshape, Flatten, Squeeze, Unsqueeze, Identity and Dropout without a
//    used mask: an Alias group, a view of its input's buffer (no kernel).
//  - Transpose, Slice, Concat, Split, Expand, Tile, DepthToSpace,
//    SpaceToDepth, Gather, ScatterND and Cast: a Movement group (strided
//    copies, the bounds-checked run-time gather or scatter, or the dtype
//    conversion), on any dtype.
//  - Shape, ConstantOfShape, Range: no backend generates code for them, so
//    they must have been folded (fold_constants folds Shape always, the
//    others when their inputs are constants); one left here is an
//    UnsupportedError naming the node.
//  - Everything else is Halide's. A Conv, Gemm or MatMul opens a group; an
//    elementwise op (bias Add, activation, ...) joins the group whose last
//    node produced one of its inputs when that value has no other reader
//    and its other inputs come from earlier groups, or when it reads values
//    of the group that only elementwise nodes joining it read (the two
//    reads of x in SiLU's x*sigmoid(x)); a pool joins a
//    group whose anchor is a Conv (it pays: the conv's output never goes to
//    memory) unless the group already ends in a pool; other ops open their
//    own group, which following elementwise ops can join the same way.
//
// Why: each group becomes one generated loop nest, so intermediate values
// inside a group stay in registers or cache.
//
// Before: a verified, shape-inferred graph. After: the graph is unchanged; the
// Partition lists groups whose order respects data dependences (a group only
// reads values defined by earlier groups, graph inputs or constants).
#include "compiler/passes/partition.h"

#include <algorithm>

#include <fmt/format.h>

#include "ir/shape_inference.h"

namespace loom {

namespace {

bool is_pool(OpKind op) {
  return op == OpKind::MaxPool || op == OpKind::AveragePool || op == OpKind::GlobalAveragePool ||
         op == OpKind::GlobalMaxPool;
}

GroupBackend backend_of(const Graph& g, const Node& n, const std::vector<int64_t>& uses) {
  switch (n.op) {
    case OpKind::RNN:
    case OpKind::GRU:
    case OpKind::LSTM:
      return GroupBackend::Recurrent;
    case OpKind::Reshape:
    case OpKind::Flatten:
    case OpKind::Squeeze:
    case OpKind::Unsqueeze:
    case OpKind::Identity:
      return GroupBackend::Alias;
    case OpKind::Dropout:
      return n.has_output(1) && uses[static_cast<size_t>(n.outputs[1])] > 0 ? GroupBackend::Halide
                                                                            : GroupBackend::Alias;
    case OpKind::Transpose:
    case OpKind::Slice:
    case OpKind::Concat:
    case OpKind::Split:
    case OpKind::Expand:
    case OpKind::Tile:
    case OpKind::DepthToSpace:
    case OpKind::SpaceToDepth:
    case OpKind::Gather:
    case OpKind::ScatterND:
    case OpKind::Cast:
      return GroupBackend::Movement;
    case OpKind::Shape:
    case OpKind::ConstantOfShape:
    case OpKind::Range: {
      std::string why = "its output is too large to fold into a constant";
      for (size_t i = 0; i < n.inputs.size(); ++i)
        if (n.inputs[i] != kNoValue && !g.is_constant(n.inputs[i])) {
          why =
              fmt::format("input {} ('{}') is computed at run time", i, g.value(n.inputs[i]).name);
          break;
        }
      throw UnsupportedError(
          fmt::format("{} is not implemented by the compiled engine: no backend generates code "
                      "for it, so it compiles only when fold_constants turns it into a constant, "
                      "and here {} (the reference engine runs it)",
                      op_name(n.op), why),
          g.site(n));
    }
    default:
      return GroupBackend::Halide;
  }
}

}  // namespace

std::string_view group_backend_name(GroupBackend b) {
  switch (b) {
    case GroupBackend::Recurrent:
      return "llvm-recurrent";
    case GroupBackend::Halide:
      return "halide";
    case GroupBackend::Alias:
      return "alias";
    case GroupBackend::Movement:
      return "movement";
  }
  return "?";
}

std::string KernelGroup::describe(const Graph& parent) const {
  std::string s;
  for (size_t i = 0; i < nodes.size(); ++i) {
    const Node& n = parent.nodes[nodes[i]];
    s += fmt::format("{}{} ({})", i ? " + " : "", n.name, op_name(n.op));
  }
  return s;
}

Graph KernelGroup::extract(const Graph& parent) const {
  Graph g;
  g.name = fmt::format("{}_group{}", parent.name, id);
  std::vector<ValueId> map(parent.values.size(), kNoValue);
  auto import = [&](ValueId id) -> ValueId {
    if (id == kNoValue) return kNoValue;
    ValueId& m = map[static_cast<size_t>(id)];
    if (m != kNoValue) return m;
    const Value& v = parent.value(id);
    m = v.constant ? g.add_constant(v.name, *v.constant) : g.add_value(v.name, v.type);
    return m;
  };
  for (ValueId in : inputs)
    g.inputs.push_back(import(in));
  for (size_t ni : nodes) {
    Node n = parent.nodes[ni];
    for (ValueId& in : n.inputs)
      in = import(in);
    for (ValueId& out : n.outputs)
      out = import(out);
    g.nodes.push_back(std::move(n));
  }
  for (ValueId out : outputs)
    g.outputs.push_back(import(out));
  infer_shapes(g);
  return g;
}

std::string Partition::print(const Graph& parent) const {
  auto names = [&](const std::vector<ValueId>& ids, const std::vector<int>& blocks) {
    std::string s;
    for (size_t i = 0; i < ids.size(); ++i) {
      s += fmt::format("{}%{}: {}", i ? ", " : "", parent.value(ids[i]).name,
                       parent.value(ids[i]).type ? type_str(*parent.value(ids[i]).type) : "?");
      if (i < blocks.size() && blocks[i] > 0) s += fmt::format(" @NCHW{}c", blocks[i]);
    }
    return s;
  };
  std::string s = fmt::format("partition {} ({} groups) {{\n", parent.name, groups.size());
  for (const KernelGroup& gr : groups) {
    s += fmt::format("  group {} [{}] ({}) -> ({})\n", gr.id, group_backend_name(gr.backend),
                     names(gr.inputs, gr.input_blocks), names(gr.outputs, gr.output_blocks));
    for (size_t ni : gr.nodes)
      s += fmt::format("    {} = {}\n", parent.nodes[ni].name, op_name(parent.nodes[ni].op));
  }
  return s + "}\n";
}

Partition partition_graph(const Graph& graph) {
  const std::vector<int64_t> uses = graph.use_counts();
  const std::vector<int64_t> producer = graph.producers();
  std::vector<int> group_of_value(graph.values.size(), -1);
  std::vector<int> group_of_node(graph.nodes.size(), -1);
  Partition part;

  std::vector<std::vector<size_t>> readers(graph.values.size());
  for (size_t i = 0; i < graph.nodes.size(); ++i)
    for (ValueId in : graph.nodes[i].inputs)
      if (in != kNoValue) readers[static_cast<size_t>(in)].push_back(i);

  // Whether value v, computed in group g, is read only by elementwise nodes
  // that can run at the end of g: those already in g, node `joining` (index
  // i), and later elementwise nodes whose inputs come from g, from earlier
  // groups, or from elementwise nodes between i and them (which can join g
  // the same way). This is the inside of an activation that reads its input
  // twice: SiLU x*sigmoid(x), GELU x*0.5*(1+erf(x/sqrt 2)), HardSwish written
  // as x*hardsigmoid(x).
  auto epilogue_internal = [&](ValueId v, int g, size_t i) {
    for (size_t r : readers[static_cast<size_t>(v)]) {
      if (r == i || group_of_node[r] == g) continue;
      const Node& rn = graph.nodes[r];
      if (r < i || !is_elementwise(rn.op) || backend_of(graph, rn, uses) != GroupBackend::Halide)
        return false;
      for (ValueId in : rn.inputs) {
        if (in == kNoValue || graph.is_constant(in)) continue;
        const int gi = group_of_value[static_cast<size_t>(in)];
        if (gi >= 0 && gi <= g) continue;
        const int64_t p = producer[static_cast<size_t>(in)];
        if (gi < 0 && p > static_cast<int64_t>(i) && static_cast<size_t>(p) < r &&
            is_elementwise(graph.nodes[static_cast<size_t>(p)].op))
          continue;
        if (static_cast<size_t>(p) == i) continue;
        return false;
      }
    }
    return true;
  };

  // Whether node n (index i) may join group g through its input `x` (Halide
  // only), so that running n at the end of g breaks no dependence and g
  // still writes one value: x is the single-use output of g's last node, or
  // (elementwise n) a value of g whose readers all join g too; n's other
  // inputs come from earlier groups, or from g under the same condition.
  auto can_join = [&](const Node& n, size_t i, ValueId x, const KernelGroup& g) {
    if (group_of_value[static_cast<size_t>(x)] != g.id) return false;
    const Node& tail = graph.nodes[g.nodes.back()];
    const bool from_tail =
        !tail.outputs.empty() && tail.outputs[0] == x && uses[static_cast<size_t>(x)] == 1;
    if (is_pool(n.op)) {
      if (!from_tail || x != n.inputs[0]) return false;
      for (ValueId in : n.inputs)
        if (in != kNoValue && in != x && !graph.is_constant(in) &&
            group_of_value[static_cast<size_t>(in)] >= g.id)
          return false;
      const OpKind anchor = graph.nodes[g.nodes.front()].op;
      return anchor == OpKind::Conv && !is_pool(tail.op);
    }
    if (!is_elementwise(n.op)) return false;
    for (ValueId in : n.inputs) {
      if (in == kNoValue || graph.is_constant(in)) continue;
      const int gi = group_of_value[static_cast<size_t>(in)];
      if (gi < g.id) continue;
      if (gi > g.id) return false;
      const bool tail_single_use =
          !tail.outputs.empty() && tail.outputs[0] == in && uses[static_cast<size_t>(in)] == 1;
      if (!tail_single_use && !epilogue_internal(in, g.id, i)) return false;
    }
    return true;
  };

  std::vector<Problem> problems;  // every node no backend can take, reported at once
  for (size_t i = 0; i < graph.nodes.size(); ++i) {
    const Node& n = graph.nodes[i];
    GroupBackend backend = GroupBackend::Movement;
    try {
      backend = backend_of(graph, n, uses);
    } catch (const UnsupportedError& e) {
      problems.push_back({e.site(), e.detail()});
    }
    int target = -1;
    if (backend == GroupBackend::Halide) {
      for (ValueId x : n.inputs) {
        if (x == kNoValue || graph.is_constant(x)) continue;
        int gi = group_of_value[static_cast<size_t>(x)];
        if (gi >= 0 && part.groups[static_cast<size_t>(gi)].backend == GroupBackend::Halide &&
            can_join(n, i, x, part.groups[static_cast<size_t>(gi)])) {
          target = gi;
          break;
        }
      }
    }
    if (target < 0) {
      KernelGroup g;
      g.id = static_cast<int>(part.groups.size());
      g.backend = backend;
      part.groups.push_back(std::move(g));
      target = static_cast<int>(part.groups.size()) - 1;
    }
    part.groups[static_cast<size_t>(target)].nodes.push_back(i);
    group_of_node[i] = target;
    for (ValueId o : n.outputs)
      if (o != kNoValue) group_of_value[static_cast<size_t>(o)] = target;
  }
  if (!problems.empty()) throw_unsupported(problems, "no backend can compile");

  // Inputs and outputs of each group, in first-use / definition order.
  std::vector<bool> is_graph_output(graph.values.size(), false);
  for (ValueId o : graph.outputs)
    is_graph_output[static_cast<size_t>(o)] = true;
  std::vector<std::vector<int>> reader_groups(graph.values.size());
  for (size_t i = 0; i < graph.nodes.size(); ++i)
    for (ValueId in : graph.nodes[i].inputs)
      if (in != kNoValue) reader_groups[static_cast<size_t>(in)].push_back(group_of_node[i]);
  for (KernelGroup& g : part.groups) {
    for (size_t ni : g.nodes) {
      for (ValueId in : graph.nodes[ni].inputs) {
        if (in == kNoValue || graph.is_constant(in)) continue;
        if (group_of_value[static_cast<size_t>(in)] == g.id) continue;
        if (std::find(g.inputs.begin(), g.inputs.end(), in) == g.inputs.end())
          g.inputs.push_back(in);
      }
      for (ValueId o : graph.nodes[ni].outputs) {
        if (o == kNoValue) continue;
        // A value nobody reads is still an output: the kernel writes it.
        bool outside = is_graph_output[static_cast<size_t>(o)] ||
                       reader_groups[static_cast<size_t>(o)].empty();
        for (int r : reader_groups[static_cast<size_t>(o)])
          outside |= r != g.id;
        if (outside) g.outputs.push_back(o);
      }
    }
  }
  return part;
}

}  // namespace loom
