// Partitioning: the graph's nodes grouped into kernel groups, each tagged
// with the backend that generates its code. This is the hand-off from the
// graph passes to the backends: a group is extracted as a small standalone
// Graph (its constants included) and compiled on its own.
#pragma once

#include <string>
#include <vector>

#include "ir/graph.h"

namespace loom {

enum class GroupBackend {
  Recurrent,  // one RNN/GRU/LSTM node: backends/llvm compile_recurrent
  Halide,     // conv/gemm/matmul + bias + activation (+ pool), elementwise chains, the rest
  Alias,      // a pure view (Reshape, Flatten, Squeeze, Unsqueeze, Identity, Dropout)
  Movement,   // Transpose, Slice, Concat: strided copies (runtime/copy_kernel.h)
};

std::string_view group_backend_name(GroupBackend b);

struct KernelGroup {
  int id = 0;
  GroupBackend backend = GroupBackend::Halide;
  std::vector<size_t> nodes;     // indices into the parent graph's nodes, in order
  std::vector<ValueId> inputs;   // non-constant parent values the group reads
  std::vector<ValueId> outputs;  // parent values the group defines that are read elsewhere
  // Storage layout of each input / output (same order): 0 is the ONNX
  // row-major layout, c > 0 channel-blocked NCHW[c] (a rank-4 value stored
  // as [n][c / cb][h][w][c % cb]). Empty: all row-major. Set by
  // choose_layout (compiler/passes/choose_layout.h); only Halide groups
  // ever get a nonzero entry.
  std::vector<int> input_blocks, output_blocks;

  // "conv1 (Conv) + relu1 (Relu)": for messages.
  std::string describe(const Graph& parent) const;
  // The group as a standalone graph: inputs and outputs as above (same names,
  // same order), the constants it reads copied in (storage shared), shapes
  // inferred.
  Graph extract(const Graph& parent) const;
};

struct Partition {
  std::vector<KernelGroup> groups;  // in an order that respects data dependences
  std::string print(const Graph& parent) const;
};

// Groups a verified, shape-inferred graph. Every node lands in exactly one group.
Partition partition_graph(const Graph& graph);

}  // namespace loom
