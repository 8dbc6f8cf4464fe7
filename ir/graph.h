// The graph IR: values (typed, optionally constant) and nodes in topological
// order. Nodes refer to values by index; an absent optional input or output
// is kNoValue. Constants (weights) are values that carry a Tensor; the tensor
// shares its storage, so copying a Graph does not copy weights.
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <unordered_map>
#include <vector>

#include "ir/ops.h"
#include "ir/tensor.h"

namespace loom {

using ValueId = int32_t;
inline constexpr ValueId kNoValue = -1;

struct Value {
  std::string name;
  std::optional<TensorType> type;  // set for inputs and constants; inferred for the rest
  std::optional<Tensor> constant;  // weights / initializers
};

struct Node {
  std::string name;
  OpKind op = OpKind::Identity;
  Attrs attrs;
  std::vector<ValueId> inputs;   // kNoValue for an absent optional input
  std::vector<ValueId> outputs;  // kNoValue for an absent optional output

  // Typed attribute access; throws InternalError if the node holds another kind.
  template <class A>
  const A& attr() const {
    if (auto* a = std::get_if<A>(&attrs)) return *a;
    throw_attr_mismatch();
  }
  template <class A>
  A& attr() {
    if (auto* a = std::get_if<A>(&attrs)) return *a;
    throw_attr_mismatch();
  }
  bool has_input(size_t i) const { return i < inputs.size() && inputs[i] != kNoValue; }
  bool has_output(size_t i) const { return i < outputs.size() && outputs[i] != kNoValue; }

 private:
  [[noreturn]] void throw_attr_mismatch() const;
};

class Graph {
 public:
  std::string name = "model";
  std::vector<Value> values;
  std::vector<Node> nodes;  // topological order
  std::vector<ValueId> inputs;
  std::vector<ValueId> outputs;

  ValueId add_value(std::string name, std::optional<TensorType> type = std::nullopt);
  ValueId add_constant(std::string name, Tensor value);
  // Appends a node; creates its output values (named by `output_names`, an empty
  // name meaning "absent") and returns the node's index.
  size_t add_node(std::string name, OpKind op, Attrs attrs, std::vector<ValueId> inputs,
                  const std::vector<std::string>& output_names);

  const Value& value(ValueId id) const;
  Value& value(ValueId id);
  const TensorType& type_of(ValueId id) const;  // throws if not yet inferred
  bool is_constant(ValueId id) const { return id != kNoValue && value(id).constant.has_value(); }

  std::optional<ValueId> find_value(const std::string& name) const;
  // A name not yet used by any value, derived from `base`.
  std::string unique_value_name(const std::string& base) const;
  std::string unique_node_name(const std::string& base) const;

  // Index of the node that produces each value (-1: input, constant or unused).
  std::vector<int64_t> producers() const;
  // Number of node inputs plus graph outputs that read each value.
  std::vector<int64_t> use_counts() const;

  // Site for error messages about a node / value.
  ErrorSite site(const Node& node) const;
  ErrorSite site(ValueId value) const;
};

// Structural equality: same names, ops, attributes, connections, types and
// constant contents. Used by round-trip tests and caching.
bool graphs_equal(const Graph& a, const Graph& b, std::string* first_difference = nullptr);

}  // namespace loom
