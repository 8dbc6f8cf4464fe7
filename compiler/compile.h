// compile(): the driver from a Graph to a runnable Executable.
//
//   graph ─► pass pipeline (pass_manager.h default_pipeline) ─► partition
//         ─► one Kernel per group via the backend registry ─► Executable
//
// Nothing falls back to the reference interpreter: a group no registered
// backend can generate is an UnsupportedError naming its nodes.
#pragma once

#include <functional>
#include <string>

#include "compiler/pass_manager.h"
#include "compiler/passes/partition.h"
#include "runtime/executable.h"

namespace loom {

struct CompileProgress {
  std::string stage;  // "passes", "partition", "kernel", "done"
  int done = 0;       // kernels built so far
  int total = 0;      // kernels to build
  std::string group;  // the group being built ("conv1 (Conv) + relu1 (Relu)")
};

struct CompileOptions {
  // host, x86-64-avx512, x86-64-avx2 or x86-64; anything else is a UsageError.
  std::string target = "host";
  int threads = 1;  // <= 0: one per core
  std::string schedule = "default";
  std::string dump_llvm_dir;  // when set, generated LLVM IR and assembly go here
  // print_after / print_after_all (the pass names of default_pipeline() plus
  // "partition"), verify_each, and the stream they print to.
  PassOptions passes;
  std::function<void(const CompileProgress&)> progress;
};

// UsageError naming the target and listing the valid ones.
void check_target(const std::string& target);

// The graph after the pass pipeline (exposed for tests and `loomc ir`).
Graph run_pipeline(const Graph& graph, const CompileOptions& options);

Executable compile(const Graph& graph, const CompileOptions& options = {});

}  // namespace loom
