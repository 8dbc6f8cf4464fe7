// The Halide backend as the runtime sees it: a runtime Kernel (runtime/kernel.h)
// wrapping one compiled HalideKernel, so that an Executable can run Halide
// groups on its arena without copies. The schedule the group was compiled
// with stays available for --dump-schedule.
#pragma once

#include <memory>

#include "backends/halide/halide_backend.h"
#include "runtime/kernel.h"

namespace loom {

class HalideRuntimeKernel : public Kernel {
 public:
  // `name`: for messages and profiles ("conv1 (Conv) + relu1 (Relu)").
  HalideRuntimeKernel(std::unique_ptr<HalideKernel> kernel, std::string name);
  std::string name() const override { return name_; }
  void run(std::span<const TensorRef> inputs, std::span<const TensorRef> outputs) override;
  const GroupSchedule& schedule() const { return kernel_->schedule(); }

 private:
  std::unique_ptr<HalideKernel> kernel_;
  std::string name_;
  std::vector<const void*> in_;
  std::vector<void*> out_;
};

// Compiles `group` (a kernel group extracted as a standalone graph) and wraps it.
std::unique_ptr<HalideRuntimeKernel> make_halide_runtime_kernel(const Graph& group,
                                                                const HalideGroupOptions& options);

}  // namespace loom
