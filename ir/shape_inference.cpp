#include "ir/shape_inference.h"

#include <fmt/format.h>

#include "ir/ops/op_table.h"
#include "ir/verifier.h"

namespace loom {

std::vector<TensorType> infer_node_types(
    const Graph& graph, const Node& node,
    const std::vector<std::optional<TensorType>>& input_types) {
  OpContext ctx(graph, node, input_types);
  std::vector<TensorType> out = infer_fn(node.op)(ctx);
  if (out.size() != node.outputs.size())
    throw InternalError(fmt::format("shape inference of {} returned {} types for {} outputs",
                                    op_name(node.op), out.size(), node.outputs.size()),
                        graph.site(node));
  return out;
}

void infer_shapes(Graph& graph) {
  verify(graph);
  for (const Node& node : graph.nodes) {
    std::vector<std::optional<TensorType>> in_types;
    for (ValueId in : node.inputs) {
      if (in == kNoValue) {
        in_types.emplace_back(std::nullopt);
      } else {
        in_types.emplace_back(graph.type_of(in));
      }
    }
    std::vector<TensorType> out = infer_node_types(graph, node, in_types);
    for (size_t i = 0; i < node.outputs.size(); ++i)
      if (node.outputs[i] != kNoValue) graph.value(node.outputs[i]).type = out[i];
  }
}

}  // namespace loom
