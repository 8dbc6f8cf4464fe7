// Shape inference: sets the type of every node output from its inputs and
// attributes, checking along the way that shapes, dtypes and attribute values
// fit together (ShapeError naming node, op, tensor, expected vs actual).
// Runs verify() first. Idempotent: recomputes every non-input, non-constant type.
#pragma once

#include <optional>
#include <vector>

#include "ir/graph.h"

namespace loom {

void infer_shapes(Graph& graph);

// Output types of one node given its input types (absent optional inputs as
// nullopt). Exposed for passes that build nodes.
std::vector<TensorType> infer_node_types(const Graph& graph, const Node& node,
                                         const std::vector<std::optional<TensorType>>& input_types);

}  // namespace loom
