// Small graph-editing helpers shared by the passes: rewiring uses of a value,
// dropping nodes, and compacting the value table after nodes are gone.
#pragma once

#include <vector>

#include "ir/graph.h"

namespace loom {

// Every node input that reads `from` reads `to` instead (graph outputs untouched).
void replace_uses(Graph& graph, ValueId from, ValueId to);
// Removes the nodes whose flag is set, keeping the order of the others.
void remove_nodes(Graph& graph, const std::vector<bool>& remove);
// Drops values that no node, graph input or graph output refers to, and
// renumbers the rest (order kept).
void compact_values(Graph& graph);

}  // namespace loom
