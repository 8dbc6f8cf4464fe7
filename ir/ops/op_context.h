// What an op's shape-inference and evaluation functions see: the node, its
// input types, and helpers that raise typed errors naming the node, op and
// tensor. Internal to ir/; each op family implements its functions in one
// file under ir/ops/ and they are dispatched from ir/ops/op_table.cpp.
#pragma once

#include <initializer_list>
#include <optional>
#include <string>
#include <vector>

#include "ir/graph.h"

namespace loom {

class OpContext {
 public:
  OpContext(const Graph& graph, const Node& node,
            std::vector<std::optional<TensorType>> input_types)
      : graph_(graph), node_(node), input_types_(std::move(input_types)) {}

  const Graph& graph() const { return graph_; }
  const Node& node() const { return node_; }
  OpKind op() const { return node_.op; }
  template <class A>
  const A& attrs() const {
    return node_.attr<A>();
  }

  size_t num_inputs() const { return input_types_.size(); }
  size_t num_outputs() const { return node_.outputs.size(); }
  bool has_input(size_t i) const { return i < input_types_.size() && input_types_[i].has_value(); }
  // Type of input i; ShapeError naming the node if it is absent.
  const TensorType& in(size_t i) const;
  std::string input_name(size_t i) const;
  std::string output_name(size_t i) const;

  // ShapeError at this node (and the named input tensor).
  [[noreturn]] void fail(const std::string& message) const;
  [[noreturn]] void fail_input(size_t i, const std::string& message) const;
  // UnsupportedError at this node: valid ONNX that Loom does not implement.
  [[noreturn]] void unsupported(const std::string& message) const;

  void expect_dtype(size_t i, std::initializer_list<DType> allowed) const;
  // f32 or f64. f16/bf16 are valid ONNX that Loom does not compute yet
  // (UnsupportedError); anything else is a ShapeError.
  void expect_float(size_t i) const;
  void expect_rank(size_t i, int64_t rank) const;
  void expect_min_rank(size_t i, int64_t rank) const;
  // Same dtype as input j.
  void expect_same_dtype(size_t i, size_t j) const;
  // Maps a possibly negative axis into [0, rank); ShapeError naming `attr_name` otherwise.
  int64_t normalize_axis(int64_t axis, int64_t rank, const char* attr_name) const;

 private:
  const Graph& graph_;
  const Node& node_;
  std::vector<std::optional<TensorType>> input_types_;
};

// Numpy-style broadcast of two shapes; nullopt if they do not broadcast.
std::optional<Shape> broadcast_shapes(const Shape& a, const Shape& b);

// Per-op functions. Inference returns one type per output slot (absent
// optional outputs included). Evaluation returns one tensor per output slot
// (an absent slot may be left undefined); `inputs[i]` is null for an absent
// optional input and `output_types` are the inferred types.
using InferFn = std::vector<TensorType> (*)(const OpContext&);
using EvalFn = std::vector<Tensor> (*)(const OpContext&, const std::vector<const Tensor*>& inputs,
                                       const std::vector<TensorType>& output_types);

#define LOOM_X(name)                                                                              \
  std::vector<TensorType> infer_##name(const OpContext& ctx);                                     \
  std::vector<Tensor> eval_##name(const OpContext& ctx, const std::vector<const Tensor*>& inputs, \
                                  const std::vector<TensorType>& output_types);
LOOM_OP_LIST(LOOM_X)
#undef LOOM_X

}  // namespace loom
