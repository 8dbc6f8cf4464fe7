// Kernel: one compiled kernel group, as the runtime sees it. A kernel reads
// its inputs and writes its outputs through TensorRefs, views of memory the
// Executable owns (arena buffers planned at compile time, the caller's input
// tensors, fresh output tensors). Backends implement Kernel; the runtime
// knows nothing of how the code was generated.
#pragma once

#include <cstddef>
#include <span>
#include <string>

#include "ir/tensor.h"

namespace loom {

// A typed view of contiguous row-major memory; does not own it.
struct TensorRef {
  TensorType type;
  std::byte* data = nullptr;

  int64_t numel() const { return type.numel(); }
  size_t nbytes() const { return static_cast<size_t>(numel()) * dtype_size(type.dtype); }
  template <class T>
  T* as() const {
    return reinterpret_cast<T*>(data);
  }
};

class Kernel {
 public:
  virtual ~Kernel() = default;
  // For messages and profiles: the group's nodes, e.g. "conv1 (Conv) + relu1 (Relu)".
  virtual std::string name() const = 0;
  // Inputs and outputs in the order of the kernel group's inputs and outputs,
  // with exactly the types the group was compiled for (the Executable
  // guarantees it). Outputs never overlap inputs. One run at a time.
  virtual void run(std::span<const TensorRef> inputs, std::span<const TensorRef> outputs) = 0;
};

}  // namespace loom
