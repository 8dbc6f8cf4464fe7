// compile(): the driver from a Graph to a runnable Executable.
//
//   graph ─► pass pipeline (pass_manager.h default_pipeline: graph passes
//            ─► partition ─► choose_layout, row-major or channel-blocked
//            values between Halide groups) ─► one Kernel per group via the
//            backend registry ─► Executable
//
// Nothing falls back to the reference interpreter: a group no registered
// backend can generate is an UnsupportedError naming its nodes. compile()
// registers the built-in backends (register_builtin_backends()) first.
#pragma once

#include <functional>
#include <string>

#include "compiler/pass_manager.h"
#include "compiler/passes/partition.h"
#include "ir/schedule.h"
#include "runtime/executable.h"

namespace loom {

class CompileCache;

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
  // How Halide groups are scheduled: "default" (the heuristic scheduler),
  // "mullapudi2016", "adams2019", "li2018" (Halide's autoschedulers), or a
  // FILE.json model schedule (as saved from `schedules_used`, e.g. by
  // `loomc --dump-schedule`), applied per group by name; a group the file
  // has no entry for gets the default schedule and a warning. Anything
  // else is a UsageError.
  std::string schedule = "default";
  // Out: when set, receives the schedule applied to every Halide group.
  ModelSchedule* schedules_used = nullptr;
  // Non-fatal notes (a schedule file missing a group); null: printed to stderr.
  std::function<void(const std::string&)> warning;
  std::string dump_llvm_dir;  // when set, generated LLVM IR and assembly go here
  // print_after / print_after_all (the names of default_pipeline()'s passes,
  // "partition" and "choose_layout" included), verify_each, and the stream
  // they print to.
  PassOptions passes;
  // Called as kernels are built ("kernel": `done` finished, `group` starting)
  // and once at each stage; calls never overlap but may come from the
  // compile threads.
  std::function<void(const CompileProgress&)> progress;
  // Threads that build kernels (different groups concurrently): 0 is one per
  // core (at most 8), 1 builds on the calling thread only.
  int compile_threads = 0;
  // When set, backends load compiled code from it and store what they build
  // (runtime/compile_cache.h); it must outlive compile().
  CompileCache* cache = nullptr;
  // Values passed between Halide groups may be stored channel-blocked when
  // that pays (compiler/passes/choose_layout.cpp); only with the "default"
  // schedule. False, or the environment variable LOOM_BLOCKED_LAYOUT=0:
  // every value row-major.
  bool blocked_layout = true;
};

// UsageError naming the target and listing the valid ones.
void check_target(const std::string& target);
// UsageError unless `schedule` is one of the values CompileOptions::schedule accepts.
void check_schedule(const std::string& schedule);

// The graph after the pass pipeline (exposed for tests and `loomc ir`); its
// layouts are left row-major.
Graph run_pipeline(const Graph& graph, const CompileOptions& options);

Executable compile(const Graph& graph, const CompileOptions& options = {});

}  // namespace loom
