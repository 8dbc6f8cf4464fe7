// Graph-editing helpers shared by the passes.
#include "compiler/passes/graph_edit.h"

namespace loom {

void replace_uses(Graph& graph, ValueId from, ValueId to) {
  for (Node& n : graph.nodes)
    for (ValueId& in : n.inputs)
      if (in == from) in = to;
}

void remove_nodes(Graph& graph, const std::vector<bool>& remove) {
  std::vector<Node> kept;
  kept.reserve(graph.nodes.size());
  for (size_t i = 0; i < graph.nodes.size(); ++i)
    if (i >= remove.size() || !remove[i]) kept.push_back(std::move(graph.nodes[i]));
  graph.nodes = std::move(kept);
}

void compact_values(Graph& graph) {
  std::vector<bool> used(graph.values.size(), false);
  auto mark = [&](ValueId id) {
    if (id != kNoValue) used[static_cast<size_t>(id)] = true;
  };
  for (ValueId id : graph.inputs)
    mark(id);
  for (ValueId id : graph.outputs)
    mark(id);
  for (const Node& n : graph.nodes) {
    for (ValueId id : n.inputs)
      mark(id);
    for (ValueId id : n.outputs)
      mark(id);
  }
  std::vector<ValueId> remap(graph.values.size(), kNoValue);
  std::vector<Value> kept;
  for (size_t i = 0; i < graph.values.size(); ++i)
    if (used[i]) {
      remap[i] = static_cast<ValueId>(kept.size());
      kept.push_back(std::move(graph.values[i]));
    }
  graph.values = std::move(kept);
  auto fix = [&](ValueId& id) {
    if (id != kNoValue) id = remap[static_cast<size_t>(id)];
  };
  for (ValueId& id : graph.inputs)
    fix(id);
  for (ValueId& id : graph.outputs)
    fix(id);
  for (Node& n : graph.nodes) {
    for (ValueId& id : n.inputs)
      fix(id);
    for (ValueId& id : n.outputs)
      fix(id);
  }
}

}  // namespace loom
