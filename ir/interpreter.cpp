#include "ir/interpreter.h"

#include <fmt/format.h>

#include "ir/ops/op_table.h"
#include "ir/shape_inference.h"

namespace loom {

Interpreter::Interpreter(Graph graph) : graph_(std::move(graph)) {
  infer_shapes(graph_);
}

void check_input(const Graph& graph, ValueId input, const Tensor& tensor) {
  const Value& v = graph.value(input);
  const TensorType& want = graph.type_of(input);
  if (!tensor.defined()) throw InputError("no data given for this input", graph.site(input));
  if (tensor.dtype() != want.dtype || tensor.shape() != want.shape)
    throw InputError(fmt::format("expected {}, got {}", type_str(want), type_str(tensor.type())),
                     ErrorSite{{}, {}, v.name});
}

std::vector<Tensor> evaluate_node(const Graph& graph, const Node& node,
                                  const std::vector<const Tensor*>& inputs) {
  std::vector<std::optional<TensorType>> in_types;
  for (const Tensor* t : inputs) {
    if (t) {
      in_types.emplace_back(t->type());
    } else {
      in_types.emplace_back(std::nullopt);
    }
  }
  OpContext ctx(graph, node, in_types);
  std::vector<TensorType> out_types = infer_fn(node.op)(ctx);
  std::vector<Tensor> out = eval_fn(node.op)(ctx, inputs, out_types);
  if (out.size() != node.outputs.size())
    throw InternalError(fmt::format("evaluation returned {} tensors for {} outputs", out.size(),
                                    node.outputs.size()),
                        graph.site(node));
  for (size_t i = 0; i < out.size(); ++i) {
    if (!node.has_output(i)) continue;
    if (!out[i].defined() || out[i].type() != out_types[i])
      throw InternalError(fmt::format("output {} evaluated to {} but inference says {}", i,
                                      out[i].defined() ? type_str(out[i].type()) : "nothing",
                                      type_str(out_types[i])),
                          graph.site(node));
  }
  return out;
}

std::vector<Tensor> Interpreter::run(const std::vector<Tensor>& inputs) const {
  if (inputs.size() != graph_.inputs.size())
    throw InputError(fmt::format("graph '{}' takes {} inputs, {} given", graph_.name,
                                 graph_.inputs.size(), inputs.size()));
  std::vector<Tensor> env(graph_.values.size());
  for (size_t i = 0; i < graph_.values.size(); ++i)
    if (graph_.values[i].constant) env[i] = *graph_.values[i].constant;
  for (size_t i = 0; i < inputs.size(); ++i) {
    check_input(graph_, graph_.inputs[i], inputs[i]);
    env[static_cast<size_t>(graph_.inputs[i])] = inputs[i];
  }
  // Free each intermediate after its last use so big models fit in memory.
  std::vector<int64_t> remaining = graph_.use_counts();
  for (const Node& node : graph_.nodes) {
    std::vector<const Tensor*> args;
    for (ValueId in : node.inputs)
      args.push_back(in == kNoValue ? nullptr : &env[static_cast<size_t>(in)]);
    std::vector<Tensor> out = evaluate_node(graph_, node, args);
    for (ValueId in : node.inputs)
      if (in != kNoValue && !graph_.values[static_cast<size_t>(in)].constant &&
          --remaining[static_cast<size_t>(in)] == 0)
        env[static_cast<size_t>(in)] = Tensor();
    for (size_t i = 0; i < node.outputs.size(); ++i)
      if (node.outputs[i] != kNoValue)
        env[static_cast<size_t>(node.outputs[i])] = std::move(out[i]);
  }
  std::vector<Tensor> result;
  for (ValueId out : graph_.outputs)
    result.push_back(env[static_cast<size_t>(out)]);
  return result;
}

std::map<std::string, Tensor> Interpreter::run_named(
    const std::map<std::string, Tensor>& inputs) const {
  std::vector<Tensor> ordered;
  for (ValueId in : graph_.inputs) {
    auto it = inputs.find(graph_.value(in).name);
    if (it == inputs.end()) throw InputError("input not given", graph_.site(in));
    ordered.push_back(it->second);
  }
  for (const auto& [name, t] : inputs) {
    bool known = false;
    for (ValueId in : graph_.inputs)
      known = known || graph_.value(in).name == name;
    if (!known)
      throw InputError(fmt::format("graph '{}' has no input named '{}'", graph_.name, name));
  }
  std::vector<Tensor> outs = run(ordered);
  std::map<std::string, Tensor> named;
  for (size_t i = 0; i < outs.size(); ++i)
    named[graph_.value(graph_.outputs[i]).name] = outs[i];
  return named;
}

}  // namespace loom
