// Structural checks on a graph: every value referenced exists and is defined
// before use (topological order), names are unique, each node has the arity
// and attribute kind of its op, graph inputs are typed, outputs are produced.
// Failures are VerifyErrors naming the node, op and tensor.
#pragma once

#include "ir/graph.h"

namespace loom {

void verify(const Graph& graph);

}  // namespace loom
