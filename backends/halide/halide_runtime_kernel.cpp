// The runtime Kernel adapter of the Halide backend (no Halide headers here:
// it only forwards memory views to HalideKernel::run_raw).
#include "backends/halide/halide_runtime_kernel.h"

#include <fmt/format.h>

namespace loom {

namespace {

// The group's nodes, as KernelGroup::describe prints them.
std::string describe(const Graph& g) {
  std::string s;
  for (const Node& n : g.nodes)
    s += fmt::format("{}{} ({})", s.empty() ? "" : " + ", n.name, op_name(n.op));
  return s.empty() ? g.name : s;
}

}  // namespace

HalideRuntimeKernel::HalideRuntimeKernel(std::unique_ptr<HalideKernel> kernel, std::string name)
    : kernel_(std::move(kernel)), name_(std::move(name)) {}

void HalideRuntimeKernel::run(std::span<const TensorRef> inputs,
                              std::span<const TensorRef> outputs) {
  // The Executable guarantees the types.
  in_.clear();
  out_.clear();
  for (const TensorRef& t : inputs)
    in_.push_back(t.data);
  for (const TensorRef& t : outputs)
    out_.push_back(t.data);
  kernel_->run_raw(in_, out_);
}

std::unique_ptr<HalideRuntimeKernel> make_halide_runtime_kernel(const Graph& group,
                                                                const HalideGroupOptions& options) {
  std::unique_ptr<HalideKernel> k = compile_halide_group(group, options);
  return std::make_unique<HalideRuntimeKernel>(std::move(k), describe(group));
}

}  // namespace loom
