// Executable: a compiled model, ready to run. It holds the kernels in
// execution order and a buffer plan: every intermediate value gets a slice
// of one arena allocated once at construction, and values whose lifetimes do
// not overlap share memory. Alias steps (reshape-like views) cost nothing:
// their output is the same memory as their input, with another type.
//
// The Executable is built by compiler/compile.h; it depends only on kernels
// (runtime/kernel.h) and plain IR data, never on LLVM, Halide or the compiler.
#pragma once

#include <memory>
#include <string>
#include <vector>

#include "runtime/kernel.h"

namespace loom {

class ThreadTeam;

// What an Executable is built from. Slots are the values the steps exchange
// (in practice one per value of the compiled graph that crosses a kernel boundary).
struct ExecutablePlan {
  struct Slot {
    std::string name;
    TensorType type;
    Tensor constant{};  // defined: a constant (weights a step or output reads)
  };
  struct Step {
    std::unique_ptr<Kernel> kernel;  // null: an alias step
    std::vector<int> inputs;         // slot indices
    std::vector<int> outputs;
  };
  // Kept alive as long as the kernels (e.g. a thread team they share);
  // declared first so it is destroyed after every kernel.
  std::vector<std::shared_ptr<void>> resources;
  std::vector<Slot> slots;
  std::vector<int> inputs;   // slots bound to run()'s inputs, in order
  std::vector<int> outputs;  // slots returned by run(), in order
  std::vector<Step> steps;   // in execution order
  // Slots stored inside another slot's memory: `slot` is the bytes
  // [byte_offset, byte_offset + its size) of `parent`, so the step that
  // produces it writes that part of `parent` directly (a Concat along the
  // outermost non-unit axis costs nothing: each producer writes its slice
  // of the concatenated buffer). Both must be intermediate values.
  struct Placement {
    int slot;
    int parent;
    int64_t byte_offset;
  };
  std::vector<Placement> placements;
};

// Per-step timing from Executable::profile (steps in execution order).
struct StepProfile {
  std::string name;  // as step_names()
  double median_ms = 0, min_ms = 0;
};
struct RunProfile {
  std::vector<StepProfile> steps;
  // Whole runs, timed around the same profiled runs (so they include the
  // small cost of reading the clock between steps).
  double median_ms = 0, min_ms = 0;
  int iters = 0;
};

struct BufferPlanStats {
  int64_t intermediate_values = 0;  // slots that live in the arena
  int64_t arena_bytes = 0;          // after reuse
  int64_t unshared_bytes = 0;       // what one buffer per value would take
};

class Executable {
 public:
  explicit Executable(ExecutablePlan plan);
  ~Executable();
  Executable(Executable&&) noexcept;
  Executable& operator=(Executable&&) noexcept;

  // Inputs in order; InputError naming the input when a count, dtype or shape
  // does not match. Outputs are fresh tensors, owned by the caller.
  std::vector<Tensor> run(const std::vector<Tensor>& inputs);

  const std::vector<std::string>& input_names() const { return input_names_; }
  const std::vector<std::string>& output_names() const { return output_names_; }
  std::vector<TensorType> input_types() const;
  std::vector<TensorType> output_types() const;
  const BufferPlanStats& buffer_stats() const { return stats_; }
  // The arena offset of each slot (-1: not in the arena), for tests.
  const std::vector<int64_t>& arena_offsets() const { return offsets_; }
  // Kernel names in execution order ("alias" for views).
  std::vector<std::string> step_names() const;
  // Runs the model `iters` times (>= 1; InputError otherwise, or on bad
  // inputs as run()) timing each step; run() itself never reads the clock.
  RunProfile profile(const std::vector<Tensor>& inputs, int iters);

 private:
  // step_ms: null, or one entry per step receiving its wall time.
  std::vector<Tensor> run_impl(const std::vector<Tensor>& inputs, double* step_ms);

  ExecutablePlan plan_;
  std::vector<int> alias_root_;    // slot -> slot whose memory it views
  std::vector<int64_t> offsets_;   // slot -> arena byte offset or -1
  std::shared_ptr<Buffer> arena_;  // 64-byte aligned
  BufferPlanStats stats_;
  std::vector<std::string> input_names_, output_names_;
};

}  // namespace loom
