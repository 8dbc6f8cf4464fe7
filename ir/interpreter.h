// The reference interpreter: runs a graph with naive, obviously-correct loops
// for every op. It is the numerical oracle every backend is checked against,
// so it favours clarity and accuracy (reductions accumulate in double) over
// speed.
#pragma once

#include <map>
#include <string>
#include <vector>

#include "ir/graph.h"

namespace loom {

class Interpreter {
 public:
  // Copies the graph and infers its shapes (throws on an invalid graph).
  explicit Interpreter(Graph graph);

  const Graph& graph() const { return graph_; }

  // Inputs in graph-input order; outputs in graph-output order. Throws
  // InputError naming the input when a count, dtype or shape does not match.
  std::vector<Tensor> run(const std::vector<Tensor>& inputs) const;
  // Inputs by name; returns outputs by name.
  std::map<std::string, Tensor> run_named(const std::map<std::string, Tensor>& inputs) const;

 private:
  Graph graph_;
};

// Evaluates a single node on concrete inputs (null for absent optional ones);
// returns one tensor per output slot. Used by constant folding.
std::vector<Tensor> evaluate_node(const Graph& graph, const Node& node,
                                  const std::vector<const Tensor*>& inputs);

// Checks one run-time input against its declared type; InputError otherwise.
void check_input(const Graph& graph, ValueId input, const Tensor& tensor);

}  // namespace loom
