// What each step of a compiled model computes, for per-layer profiles:
// the kernel group's nodes, a one-line op summary and its FLOP count.
// describe_steps() runs the same pass pipeline and partition as compile(),
// so its entries line up one to one with Executable::step_names().
#pragma once

#include <cstdint>
#include <string>
#include <vector>

#include "compiler/compile.h"
#include "ir/graph.h"

namespace loom {

struct StepInfo {
  std::string kernel;   // "conv1 (Conv) + relu1 (Relu)", or "alias"
  std::string summary;  // e.g. "Conv 3x3/s2 64->128 56x56->28x28 +Relu"
  // Floating-point operations of one run: a multiply-add counts 2 (conv,
  // Gemm, MatMul: 2 * MACs; the bias is not counted); pools count one per
  // window element read, elementwise ops one per output element.
  int64_t flops = 0;
  // Whether the step is dominated by multiply-adds (conv, Gemm, MatMul), so
  // that a fraction of the FMA peak means something.
  bool fma_bound = false;
};

// FLOPs of one node of a shape-inferred graph, as StepInfo::flops counts them.
int64_t node_flops(const Graph& g, const Node& n);
// A short description of one node ("Conv 7x7/s2 3->64 224x224->112x112").
std::string node_summary(const Graph& g, const Node& n);

std::vector<StepInfo> describe_steps(const Graph& graph, const CompileOptions& options = {});

}  // namespace loom
