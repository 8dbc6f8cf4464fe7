// The textual IR: a readable, diffable form of a Graph that round-trips
// exactly. Weights are never inlined (except tiny i64 tensors such as shapes);
// each constant is referenced by its content hash and summarized in a
// comment. The weights themselves live in a sidecar binary file (see
// save_text / load_text) or in a WeightStore held in memory.
//
//   graph crnn(%image: f32[1,1,32,128]) -> (%logits) {
//     const %w1: f32[32,1,3,3] = weights @3f2a9c0d1e4b5a67   # min -0.41 max 0.39
//     %conv_0: f32[1,32,32,128] = Conv(%image, %w1, %b1) {pads=[1,1,1,1]}
//     ...
//   }
#pragma once

#include <cstdint>
#include <map>
#include <string>
#include <string_view>

#include "ir/graph.h"

namespace loom {

// Tensors by content hash, to resolve "@hash" references when parsing.
class WeightStore {
 public:
  void add(const Tensor& t) { by_hash_[t.hash()] = t; }
  void add_all(const Graph& g);  // every constant and Constant-node value of g
  const Tensor* find(uint64_t hash) const;
  size_t size() const { return by_hash_.size(); }
  const std::map<uint64_t, Tensor>& all() const { return by_hash_; }

 private:
  std::map<uint64_t, Tensor> by_hash_;
};

struct PrintOptions {
  bool weight_summaries = true;  // "# min .. max .." comments after constants
  bool types = true;             // ": f32[...]" on node outputs (when inferred)
};

std::string print_graph(const Graph& graph, const PrintOptions& options = {});

// Parses text produced by print_graph. References to weights not found in
// `weights` raise ParseError naming the constant. ParseErrors carry the line
// and column ("<source>:12:7: ...").
Graph parse_graph(std::string_view text, const WeightStore& weights,
                  const std::string& source_name = "<text>");

// Writes `path` (text) and `path + ".weights"` (binary blob of all weights).
void save_text(const Graph& graph, const std::string& path);
// Reads a file written by save_text (the ".weights" sidecar if present).
Graph load_text(const std::string& path);

// The weight sidecar on its own: write / read every tensor of a store.
void save_weights(const WeightStore& weights, const std::string& path);
WeightStore load_weights(const std::string& path);

}  // namespace loom
