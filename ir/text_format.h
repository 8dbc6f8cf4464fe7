// The textual IR: a readable, diffable form of a Graph that round-trips
// exactly (print -> parse -> print is byte-identical, and the parsed graph is
// graphs_equal to the original). Weights are never inlined, except tiny
// tensors (<= 8 elements, any dtype) written as exact literals; each larger
// constant is referenced by its content hash and summarized in a comment. The
// weights themselves live in a sidecar binary file (see save_text /
// load_text) or in a WeightStore held in memory.
//
//   graph crnn(%image: f32[1,1,32,128]) -> (%logits) {
//     const %w1: f32[32,1,3,3] = @3f2a9c0d1e4b5a67  # min -0.41 max 0.39 mean 0.01
//     const %shape: i64[3] = [0, 0, -1]
//     %conv_0: f32[1,32,32,128] = Conv(%image, %w1, %b1) {pads=[1,1,1,1]} "conv1"
//     %y, _, %y_c = LSTM(%x, %w, %r, %b) {hidden_size=48, direction=bidirectional}
//     %"/fc/MatMul_output_0" = MatMul(%y, %"onnx::MatMul_200")
//   }
//
// - Value names follow '%'; names other than [A-Za-z0-9_.]+ are quoted with
//   C-style escapes (\" \\ \n \t \xHH). '_' is an absent input or output;
//   every input and output slot is written, so arities round-trip.
// - A node's name follows its attributes as a string; it is left out when it
//   equals the name of the node's first present output (what the parser assumes).
// - Attributes are the fields of the op's attribute struct (ir/ops.h) that
//   differ from default_attrs(op): integers, floats (shortest round-trip
//   form; inf, -inf, nan, nan(0xBITS) for other NaNs), true/false, lists
//   [1,2], enum names (SAME_UPPER, bidirectional, Tanh), `none` for an empty
//   optional, and tensors as TYPE followed by @hash or [literal].
// - Output types (": f32[...]") are optional; the parser does not infer
//   shapes (load_model does).
// - '#' starts a comment that runs to the end of the line.
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

// Writes `path` (text) and `path + ".weights"` (binary, every weight not
// inlined in the text; written even when empty so no stale sidecar remains).
void save_text(const Graph& graph, const std::string& path);
// Reads a file written by save_text (the ".weights" sidecar if present).
Graph load_text(const std::string& path);

// The weight sidecar on its own: write / read every tensor of a store.
// Layout (little-endian): "LOOMWGTS", u32 version (1), u64 count, then per
// tensor u64 hash, u32 dtype, u32 rank, i64 dims[rank], u64 byte count, raw
// bytes. load_weights validates every field and each tensor's hash: a
// truncated or corrupted file is a ParseError naming the file.
void save_weights(const WeightStore& weights, const std::string& path);
WeightStore load_weights(const std::string& path);

}  // namespace loom
