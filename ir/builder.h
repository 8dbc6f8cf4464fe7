// GraphBuilder: the C++ way to write a model. Each op is a method taking the
// op's inputs and its attribute struct, so call sites read like
//
//   GraphBuilder b("crnn");
//   Val x = b.input("image", DType::f32, {1, 1, 32, 128});
//   Val y = b.conv(x, b.constant("w1", w1), b.constant("b1", b1),
//                  {.pads = {1, 1, 1, 1}});
//   y = b.max_pool(b.relu(y), {.kernel_shape = {2, 2}, .strides = {2, 2}});
//   b.output(y, "features");
//   Graph g = b.build();  // verified, shapes inferred
//
// Ops are added in call order, which is a topological order by construction.
// Shape errors surface as soon as the offending op is added, naming it.
#pragma once

#include <string>
#include <vector>

#include "ir/graph.h"

namespace loom {

// A handle to a value of the graph being built. A default Val is "absent"
// (for optional inputs).
struct Val {
  ValueId id = kNoValue;
  explicit operator bool() const { return id != kNoValue; }
};

// Inputs of RNN / GRU / LSTM, ONNX order. Leave optional ones absent.
struct RecurrentInputs {
  Val x{}, w{}, r{};
  Val b{};
  Val sequence_lens{};
  Val initial_h{};
  Val initial_c{};  // LSTM only
  Val p{};          // LSTM only (peepholes)
};

struct RecurrentOutputs {
  Val y{};    // [seq, dirs, batch, hidden] (layout 0)
  Val y_h{};  // [dirs, batch, hidden]
  Val y_c{};  // LSTM only
};

// Which recurrent outputs to create (all by default).
struct RecurrentOutputSelection {
  bool y = true;
  bool y_h = true;
  bool y_c = true;
};

class GraphBuilder {
 public:
  explicit GraphBuilder(std::string graph_name = "model");

  Val input(const std::string& name, DType dtype, Shape shape);
  Val constant(const std::string& name, Tensor value);
  // Marks a value as a graph output, renaming it to `name` when given.
  void output(Val v, const std::string& name = "");

  // Any op, generically. `name` empty: a name is generated from the op.
  std::vector<Val> op(OpKind kind, std::vector<Val> inputs, Attrs attrs, int num_outputs = 1,
                      const std::string& name = "");

  Val conv(Val x, Val w, Val bias = {}, ConvAttrs attrs = {}, const std::string& name = "");
  Val max_pool(Val x, PoolAttrs attrs, const std::string& name = "");
  Val average_pool(Val x, PoolAttrs attrs, const std::string& name = "");
  Val global_average_pool(Val x, const std::string& name = "");
  Val global_max_pool(Val x, const std::string& name = "");
  Val gemm(Val a, Val b, Val c = {}, GemmAttrs attrs = {}, const std::string& name = "");
  Val matmul(Val a, Val b, const std::string& name = "");
  Val batch_norm(Val x, Val scale, Val bias, Val mean, Val var, BatchNormAttrs attrs = {},
                 const std::string& name = "");
  Val add(Val a, Val b, const std::string& name = "");
  Val sub(Val a, Val b, const std::string& name = "");
  Val mul(Val a, Val b, const std::string& name = "");
  Val div(Val a, Val b, const std::string& name = "");
  Val relu(Val x, const std::string& name = "");
  Val leaky_relu(Val x, float alpha = 0.01f, const std::string& name = "");
  Val sigmoid(Val x, const std::string& name = "");
  Val tanh(Val x, const std::string& name = "");
  Val clip(Val x, ClipAttrs attrs, const std::string& name = "");
  Val elu(Val x, float alpha = 1.f, const std::string& name = "");
  Val softmax(Val x, SoftmaxAttrs attrs = {}, const std::string& name = "");
  Val log_softmax(Val x, SoftmaxAttrs attrs = {}, const std::string& name = "");
  Val flatten(Val x, int64_t axis = 1, const std::string& name = "");
  Val reshape(Val x, ReshapeAttrs attrs, const std::string& name = "");
  Val transpose(Val x, TransposeAttrs attrs = {}, const std::string& name = "");
  Val squeeze(Val x, std::vector<int64_t> axes = {}, const std::string& name = "");
  Val unsqueeze(Val x, std::vector<int64_t> axes, const std::string& name = "");
  Val concat(std::vector<Val> xs, int64_t axis, const std::string& name = "");
  Val slice(Val x, SliceAttrs attrs, const std::string& name = "");
  Val identity(Val x, const std::string& name = "");
  Val dropout(Val x, float ratio = 0.5f, const std::string& name = "");
  Val shape(Val x, ShapeAttrs attrs = {}, const std::string& name = "");
  Val gather(Val data, Val indices, int64_t axis = 0, const std::string& name = "");
  Val expand(Val x, std::vector<int64_t> shape, const std::string& name = "");

  RecurrentOutputs rnn(RecurrentInputs in, RecurrentAttrs attrs, RecurrentOutputSelection sel = {},
                       const std::string& name = "");
  RecurrentOutputs gru(RecurrentInputs in, RecurrentAttrs attrs, RecurrentOutputSelection sel = {},
                       const std::string& name = "");
  RecurrentOutputs lstm(RecurrentInputs in, RecurrentAttrs attrs, RecurrentOutputSelection sel = {},
                        const std::string& name = "");

  const TensorType& type(Val v) const { return graph_.type_of(v.id); }
  const Graph& graph() const { return graph_; }

  // Verifies, infers shapes and hands the graph over.
  Graph build();

 private:
  std::vector<Val> add_node(OpKind kind, std::vector<Val> inputs, Attrs attrs,
                            const std::vector<bool>& present_outputs, const std::string& name);
  RecurrentOutputs recurrent(OpKind kind, RecurrentInputs in, RecurrentAttrs attrs,
                             RecurrentOutputSelection sel, const std::string& name);

  Graph graph_;
  int next_id_ = 0;
};

}  // namespace loom
