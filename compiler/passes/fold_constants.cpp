// fold_constants: replaces every node whose present inputs are all constants
// (including Constant nodes, which have none) by the constants it computes,
// evaluated with the reference interpreter (ir/interpreter.h evaluate_node),
// so backends never generate code for work that is known at compile time
// (shape arithmetic left by exporters, weight transposes, Constant nodes).
// A Shape node folds whatever its input: every shape is static, so its
// output depends on the input's type alone.
//
// Before: a verified, shape-inferred graph. After: the same, with no node
// whose inputs are all constants except those whose outputs exceed
// `max_elements` elements (kFoldConstantsMaxElements, 4M, i.e. 16 MiB of
// f32): folding those would store a large tensor in the model that a kernel
// can compute from smaller weights at run time, e.g. an Expand or Tile of a
// bias. Folded outputs keep their value ids and names, so graph outputs and
// later nodes are untouched; the folded nodes are removed (their input
// constants may become unused; eliminate_dead_code drops them).
#include "compiler/passes/graph_edit.h"
#include "compiler/passes/passes.h"
#include "ir/interpreter.h"

namespace loom {

void fold_constants(Graph& graph, int64_t max_elements) {
  std::vector<bool> remove(graph.nodes.size(), false);
  for (size_t i = 0; i < graph.nodes.size(); ++i) {
    const Node& node = graph.nodes[i];
    if (node.op == OpKind::Shape && node.has_input(0) && node.has_output(0) &&
        graph.value(node.inputs[0]).type) {
      const std::vector<int64_t> dims =
          shape_op_dims(node.attr<ShapeAttrs>(), graph.value(node.inputs[0]).type->shape);
      Value& v = graph.value(node.outputs[0]);
      v.constant = Tensor::from_vector<int64_t>({static_cast<int64_t>(dims.size())}, dims);
      v.type = v.constant->type();
      remove[i] = true;
      continue;
    }
    bool foldable = true;
    std::vector<const Tensor*> args;
    for (ValueId in : node.inputs) {
      if (in == kNoValue) {
        args.push_back(nullptr);
      } else if (graph.is_constant(in)) {
        args.push_back(&*graph.value(in).constant);
      } else {
        foldable = false;
        break;
      }
    }
    for (ValueId out : node.outputs) {
      if (!foldable || out == kNoValue) continue;
      const Value& v = graph.value(out);
      // Untyped outputs mean shapes were not inferred; leave them alone.
      foldable = v.type && v.type->numel() <= max_elements;
    }
    if (!foldable) continue;
    std::vector<Tensor> results = evaluate_node(graph, node, args);
    for (size_t k = 0; k < node.outputs.size() && k < results.size(); ++k) {
      ValueId out = node.outputs[k];
      if (out == kNoValue) continue;
      Value& v = graph.value(out);
      v.type = results[k].type();
      v.constant = results[k];
    }
    remove[i] = true;
  }
  remove_nodes(graph, remove);
}

}  // namespace loom
