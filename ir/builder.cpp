#include "ir/builder.h"

#include <cctype>

#include <fmt/format.h>

#include "ir/op_signature.h"
#include "ir/shape_inference.h"
#include "ir/verifier.h"

namespace loom {

GraphBuilder::GraphBuilder(std::string graph_name) {
  graph_.name = std::move(graph_name);
}

Val GraphBuilder::input(const std::string& name, DType dtype, Shape shape) {
  if (graph_.find_value(name))
    throw VerifyError("value name is already used", ErrorSite{{}, {}, name});
  ValueId id = graph_.add_value(name, TensorType{dtype, std::move(shape)});
  graph_.inputs.push_back(id);
  return Val{id};
}

Val GraphBuilder::constant(const std::string& name, Tensor value) {
  if (graph_.find_value(name))
    throw VerifyError("value name is already used", ErrorSite{{}, {}, name});
  if (!value.defined()) throw VerifyError("constant has no data", ErrorSite{{}, {}, name});
  return Val{graph_.add_constant(name, std::move(value))};
}

void GraphBuilder::output(Val v, const std::string& name) {
  if (!v) throw VerifyError("graph output is an absent value");
  if (!name.empty() && graph_.value(v.id).name != name) {
    if (graph_.find_value(name))
      throw VerifyError("value name is already used", ErrorSite{{}, {}, name});
    graph_.value(v.id).name = name;
  }
  graph_.outputs.push_back(v.id);
}

static std::string snake_case(std::string_view op) {
  std::string s;
  for (size_t i = 0; i < op.size(); ++i) {
    char c = op[i];
    bool upper = std::isupper(static_cast<unsigned char>(c));
    bool prev_lower = i > 0 && std::islower(static_cast<unsigned char>(op[i - 1]));
    if (upper && prev_lower) s += '_';
    s += static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
  }
  return s;
}

std::vector<Val> GraphBuilder::op(OpKind kind, std::vector<Val> inputs, Attrs attrs,
                                  int num_outputs, const std::string& name) {
  return add_node(kind, std::move(inputs), std::move(attrs),
                  std::vector<bool>(static_cast<size_t>(num_outputs), true), name);
}

std::vector<Val> GraphBuilder::add_node(OpKind kind, std::vector<Val> inputs, Attrs attrs,
                                        const std::vector<bool>& present, const std::string& name) {
  const size_t num_outputs = present.size();
  std::string node_name = name.empty() ? fmt::format("{}_{}", snake_case(op_name(kind)), next_id_++)
                                       : graph_.unique_node_name(name);
  // Trailing absent inputs are dropped, as ONNX does.
  while (!inputs.empty() && !inputs.back())
    inputs.pop_back();
  std::vector<ValueId> ids;
  for (Val v : inputs)
    ids.push_back(v.id);
  std::vector<std::string> out_names;
  for (size_t i = 0; i < num_outputs; ++i)
    out_names.push_back(
        !present[i] ? std::string()
                    : graph_.unique_value_name(
                          num_outputs == 1 ? node_name : fmt::format("{}_{}", node_name, i)));
  size_t index = graph_.add_node(node_name, kind, std::move(attrs), std::move(ids), out_names);
  const Node& node = graph_.nodes[index];

  // Check and type the new node right away, so errors point at this call.
  std::vector<std::optional<TensorType>> in_types;
  for (ValueId in : node.inputs) {
    if (in == kNoValue) {
      in_types.emplace_back(std::nullopt);
      continue;
    }
    if (in < 0 || static_cast<size_t>(in) >= graph_.values.size() || !graph_.value(in).type)
      throw VerifyError("input is not a value of this builder", graph_.site(node));
    in_types.emplace_back(graph_.value(in).type);
  }
  OpSignature sig = op_signature(kind);
  if (static_cast<int>(node.inputs.size()) < sig.min_inputs ||
      static_cast<int>(node.inputs.size()) > sig.max_inputs)
    throw VerifyError(fmt::format("given {} inputs, expected {} to {}", node.inputs.size(),
                                  sig.min_inputs, sig.max_inputs),
                      graph_.site(node));
  if (node.attrs.index() != default_attrs(kind).index())
    throw VerifyError("attributes are of the wrong kind for this op", graph_.site(node));
  std::vector<TensorType> types = infer_node_types(graph_, node, in_types);
  std::vector<Val> outs;
  for (size_t i = 0; i < node.outputs.size(); ++i) {
    if (node.outputs[i] != kNoValue) graph_.value(node.outputs[i]).type = types[i];
    outs.push_back(Val{node.outputs[i]});
  }
  return outs;
}

#define LOOM_UNARY(method, Kind)                             \
  Val GraphBuilder::method(Val x, const std::string& name) { \
    return op(OpKind::Kind, {x}, NoAttrs{}, 1, name)[0];     \
  }
LOOM_UNARY(global_average_pool, GlobalAveragePool)
LOOM_UNARY(global_max_pool, GlobalMaxPool)
LOOM_UNARY(relu, Relu)
LOOM_UNARY(sigmoid, Sigmoid)
LOOM_UNARY(tanh, Tanh)
LOOM_UNARY(identity, Identity)
#undef LOOM_UNARY

#define LOOM_BINARY(method, Kind)                                   \
  Val GraphBuilder::method(Val a, Val b, const std::string& name) { \
    return op(OpKind::Kind, {a, b}, NoAttrs{}, 1, name)[0];         \
  }
LOOM_BINARY(matmul, MatMul)
LOOM_BINARY(add, Add)
LOOM_BINARY(sub, Sub)
LOOM_BINARY(mul, Mul)
LOOM_BINARY(div, Div)
#undef LOOM_BINARY

Val GraphBuilder::conv(Val x, Val w, Val bias, ConvAttrs attrs, const std::string& name) {
  return op(OpKind::Conv, {x, w, bias}, std::move(attrs), 1, name)[0];
}
Val GraphBuilder::max_pool(Val x, PoolAttrs attrs, const std::string& name) {
  return op(OpKind::MaxPool, {x}, std::move(attrs), 1, name)[0];
}
Val GraphBuilder::average_pool(Val x, PoolAttrs attrs, const std::string& name) {
  return op(OpKind::AveragePool, {x}, std::move(attrs), 1, name)[0];
}
Val GraphBuilder::gemm(Val a, Val b, Val c, GemmAttrs attrs, const std::string& name) {
  return op(OpKind::Gemm, {a, b, c}, attrs, 1, name)[0];
}
Val GraphBuilder::batch_norm(Val x, Val scale, Val bias, Val mean, Val var, BatchNormAttrs attrs,
                             const std::string& name) {
  return op(OpKind::BatchNormalization, {x, scale, bias, mean, var}, attrs, 1, name)[0];
}
Val GraphBuilder::leaky_relu(Val x, float alpha, const std::string& name) {
  return op(OpKind::LeakyRelu, {x}, AlphaAttrs{.alpha = alpha}, 1, name)[0];
}
Val GraphBuilder::clip(Val x, ClipAttrs attrs, const std::string& name) {
  return op(OpKind::Clip, {x}, attrs, 1, name)[0];
}
Val GraphBuilder::elu(Val x, float alpha, const std::string& name) {
  return op(OpKind::Elu, {x}, AlphaAttrs{.alpha = alpha}, 1, name)[0];
}
Val GraphBuilder::softmax(Val x, SoftmaxAttrs attrs, const std::string& name) {
  return op(OpKind::Softmax, {x}, attrs, 1, name)[0];
}
Val GraphBuilder::log_softmax(Val x, SoftmaxAttrs attrs, const std::string& name) {
  return op(OpKind::LogSoftmax, {x}, attrs, 1, name)[0];
}
Val GraphBuilder::flatten(Val x, int64_t axis, const std::string& name) {
  return op(OpKind::Flatten, {x}, AxisAttrs{.axis = axis}, 1, name)[0];
}
Val GraphBuilder::reshape(Val x, ReshapeAttrs attrs, const std::string& name) {
  return op(OpKind::Reshape, {x}, std::move(attrs), 1, name)[0];
}
Val GraphBuilder::transpose(Val x, TransposeAttrs attrs, const std::string& name) {
  return op(OpKind::Transpose, {x}, std::move(attrs), 1, name)[0];
}
Val GraphBuilder::squeeze(Val x, std::vector<int64_t> axes, const std::string& name) {
  return op(OpKind::Squeeze, {x}, AxesAttrs{.axes = std::move(axes)}, 1, name)[0];
}
Val GraphBuilder::unsqueeze(Val x, std::vector<int64_t> axes, const std::string& name) {
  return op(OpKind::Unsqueeze, {x}, AxesAttrs{.axes = std::move(axes)}, 1, name)[0];
}
Val GraphBuilder::concat(std::vector<Val> xs, int64_t axis, const std::string& name) {
  for (Val v : xs)
    if (!v) throw VerifyError("Concat input is an absent value");
  return op(OpKind::Concat, std::move(xs), AxisAttrs{.axis = axis}, 1, name)[0];
}
Val GraphBuilder::slice(Val x, SliceAttrs attrs, const std::string& name) {
  return op(OpKind::Slice, {x}, std::move(attrs), 1, name)[0];
}
Val GraphBuilder::dropout(Val x, float ratio, const std::string& name) {
  return op(OpKind::Dropout, {x}, DropoutAttrs{.ratio = ratio}, 1, name)[0];
}
Val GraphBuilder::shape(Val x, ShapeAttrs attrs, const std::string& name) {
  return op(OpKind::Shape, {x}, attrs, 1, name)[0];
}
Val GraphBuilder::gather(Val data, Val indices, int64_t axis, const std::string& name) {
  return op(OpKind::Gather, {data, indices}, AxisAttrs{.axis = axis}, 1, name)[0];
}
Val GraphBuilder::expand(Val x, std::vector<int64_t> shape, const std::string& name) {
  return op(OpKind::Expand, {x}, ExpandAttrs{.shape = std::move(shape)}, 1, name)[0];
}

RecurrentOutputs GraphBuilder::recurrent(OpKind kind, RecurrentInputs in, RecurrentAttrs attrs,
                                         RecurrentOutputSelection sel, const std::string& name) {
  std::vector<Val> inputs{in.x, in.w, in.r, in.b, in.sequence_lens, in.initial_h};
  if (kind == OpKind::LSTM) {
    inputs.push_back(in.initial_c);
    inputs.push_back(in.p);
  } else if (in.initial_c || in.p) {
    throw VerifyError(fmt::format("{} takes no initial_c or peephole input", op_name(kind)));
  }
  const int slots = kind == OpKind::LSTM ? 3 : 2;
  std::vector<bool> present{sel.y, sel.y_h};
  if (slots == 3) present.push_back(sel.y_c);
  std::vector<Val> outs = add_node(kind, std::move(inputs), std::move(attrs), present, name);
  RecurrentOutputs result;
  result.y = outs[0];
  result.y_h = outs[1];
  if (slots == 3) result.y_c = outs[2];
  return result;
}

RecurrentOutputs GraphBuilder::rnn(RecurrentInputs in, RecurrentAttrs attrs,
                                   RecurrentOutputSelection sel, const std::string& name) {
  return recurrent(OpKind::RNN, in, std::move(attrs), sel, name);
}
RecurrentOutputs GraphBuilder::gru(RecurrentInputs in, RecurrentAttrs attrs,
                                   RecurrentOutputSelection sel, const std::string& name) {
  return recurrent(OpKind::GRU, in, std::move(attrs), sel, name);
}
RecurrentOutputs GraphBuilder::lstm(RecurrentInputs in, RecurrentAttrs attrs,
                                    RecurrentOutputSelection sel, const std::string& name) {
  return recurrent(OpKind::LSTM, in, std::move(attrs), sel, name);
}

Graph GraphBuilder::build() {
  infer_shapes(graph_);
  return std::move(graph_);
}

}  // namespace loom
