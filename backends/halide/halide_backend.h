// The Halide backend: turns one kernel group (a small standalone Graph whose
// inputs are the group's run-time inputs, whose constants are its weights
// and whose outputs are the group's outputs) into ONE Halide pipeline,
// specialized to its shapes with the weights baked in as constant data,
// compiled ahead of time to an object (backends/halide/halide_aot.h) that is
// cached on disk and loaded into the process, and run many times.
//
// Scheduling goes through ir/schedule.h values: the default heuristic
// (backends/halide/default_schedule.cpp) produces a GroupSchedule that is
// applied by the same code that applies one loaded from JSON. Halide's
// autoschedulers (Mullapudi2016, Adams2019, Li2018, loaded as plugins) are
// the other producers; their result is recorded as a GroupSchedule that
// names the autoscheduler and carries its C++ text.
//
// Only f32 tensors are computed here; other dtypes raise UnsupportedError
// naming the node. This header holds no Halide type.
#pragma once

#include <memory>
#include <optional>
#include <string>
#include <vector>

#include "ir/graph.h"
#include "ir/schedule.h"

namespace loom {

class CompileCache;

struct HalideGroupOptions {
  // "host" (the machine's own features), "x86-64-avx512" (Skylake-AVX512
  // feature set), "x86-64-avx2" (AVX2 + FMA + F16C), "x86-64" (SSE4.1).
  // Unknown names, and targets the host cannot run, raise UsageError.
  std::string target = "host";
  // 1: no parallel loops. More: parallel loops on the thread pool of the
  // Halide runtime the group is loaded with, which has exactly `threads`
  // threads (one runtime per target and thread count, shared by groups).
  int threads = 1;
  // "default", "mullapudi2016", "adams2019", "li2018"; ignored when
  // `schedule` is given.
  std::string schedule_source = "default";
  std::optional<GroupSchedule> schedule;
  // When set, the group's object code and the schedule applied are loaded
  // from this cache if present (no lowering, scheduling or code generation)
  // and stored after a compile. The key is built from the group's graph
  // (weights by content hash), target, threads, schedule and Loom build.
  CompileCache* cache = nullptr;
  // Layout of each group input / output, in order: 0 (or absent) is the
  // ONNX row-major layout; c > 0 is channel-blocked NCHW[c] (rank 4, C a
  // multiple of c): element (n, ch, h, w) at [n][ch / c][h][w][ch % c].
  // Part of the cache key. Outputs that are blocked are written as whole
  // vectors of c channels by the default schedule.
  std::vector<int> input_blocks, output_blocks;
};

class HalideKernel {
 public:
  virtual ~HalideKernel() = default;
  // Inputs in group-input order, outputs in group-output order; outputs
  // must be allocated with the group's output types. InputError on a
  // count, dtype or shape mismatch.
  virtual void run(const std::vector<const Tensor*>& inputs,
                   const std::vector<Tensor*>& outputs) const = 0;
  // The same on memory the caller owns (e.g. an Executable's arena): dense
  // data of exactly the group's input and output types, row-major or
  // channel-blocked as HalideGroupOptions::input_blocks / output_blocks
  // said (run() takes the same bytes in Tensors), which the caller
  // guarantees; only the counts are checked.
  virtual void run_raw(const std::vector<const void*>& inputs,
                       const std::vector<void*>& outputs) const = 0;
  // Allocates the outputs and runs.
  std::vector<Tensor> operator()(const std::vector<Tensor>& inputs) const;
  // The schedule actually applied (for --dump-schedule).
  virtual const GroupSchedule& schedule() const = 0;
  virtual const Graph& group() const = 0;
  // Halide's loop-nest description of the compiled pipeline (debugging aid).
  virtual std::string loop_nest() const = 0;
  // True when the code was loaded from HalideGroupOptions::cache.
  virtual bool from_cache() const = 0;
};

std::unique_ptr<HalideKernel> compile_halide_group(const Graph& group,
                                                   const HalideGroupOptions& options = {});

// The default heuristic schedule of a group for a target, without compiling.
// Every node of `group` the Halide backend cannot lower, with the reason
// (cheap: nothing is lowered or compiled), so compile() can report all of a
// model's gaps at once.
std::vector<Problem> halide_group_problems(const Graph& group);

GroupSchedule default_halide_schedule(const Graph& group, const HalideGroupOptions& options = {});

// Vector width in f32 lanes of a target name (16, 8 or 4); UsageError if unknown.
int halide_target_vector_lanes(const std::string& target);

}  // namespace loom
