// eliminate_dead_code: removes nodes none of whose outputs is read (by a live
// node or a graph output), values nothing refers to (unused weights among
// them), and forwards Identity and inference Dropout (output = input) so
// their readers read the input directly. Unused optional outputs of
// recurrent nodes and Dropout's mask are marked absent, so backends do not
// compute them.
//
// Why: exporters leave Identity chains and unused initializers, and the
// folding passes orphan the weights and nodes they replace.
//
// Before: a verified graph. After: the same graph outputs computed by a
// subset of the nodes, in the same order; every remaining value is referenced.
// An Identity/Dropout whose output is a graph output is kept (forwarding it
// would rename the output); the partitioner makes it a no-cost alias.
#include "compiler/passes/graph_edit.h"
#include "compiler/passes/passes.h"

namespace loom {

void eliminate_dead_code(Graph& graph) {
  std::vector<bool> is_output(graph.values.size(), false);
  for (ValueId o : graph.outputs)
    is_output[static_cast<size_t>(o)] = true;

  std::vector<int64_t> uses = graph.use_counts();
  std::vector<bool> remove(graph.nodes.size(), false);
  for (size_t i = 0; i < graph.nodes.size(); ++i) {
    Node& n = graph.nodes[i];
    const bool passthrough =
        n.op == OpKind::Identity ||
        (n.op == OpKind::Dropout && (!n.has_output(1) || uses[n.outputs[1]] == 0));
    if (!passthrough || !n.has_input(0) || !n.has_output(0)) continue;
    if (is_output[static_cast<size_t>(n.outputs[0])]) continue;
    replace_uses(graph, n.outputs[0], n.inputs[0]);
    remove[i] = true;
  }
  remove_nodes(graph, remove);

  // Liveness, backwards from the graph outputs.
  std::vector<bool> live(graph.values.size(), false);
  for (ValueId o : graph.outputs)
    live[static_cast<size_t>(o)] = true;
  remove.assign(graph.nodes.size(), false);
  for (size_t i = graph.nodes.size(); i-- > 0;) {
    Node& n = graph.nodes[i];
    bool any = false;
    for (ValueId o : n.outputs)
      any |= o != kNoValue && live[static_cast<size_t>(o)];
    if (!any) {
      remove[i] = true;
      continue;
    }
    const bool optional_outputs = n.op == OpKind::RNN || n.op == OpKind::GRU ||
                                  n.op == OpKind::LSTM || n.op == OpKind::Dropout;
    if (optional_outputs)
      for (size_t k = n.op == OpKind::Dropout ? 1 : 0; k < n.outputs.size(); ++k)
        if (n.outputs[k] != kNoValue && !live[static_cast<size_t>(n.outputs[k])])
          n.outputs[k] = kNoValue;
    for (ValueId in : n.inputs)
      if (in != kNoValue) live[static_cast<size_t>(in)] = true;
  }
  remove_nodes(graph, remove);
  compact_values(graph);
}

}  // namespace loom
