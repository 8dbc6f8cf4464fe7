// The backend registry: for each kind of kernel group (see
// compiler/passes/partition.h), the factory that turns the group, extracted
// as a standalone Graph, into a runtime Kernel. The recurrent (LLVM) and
// data-movement factories are built in; the Halide factory is registered by
// register_builtin_backends(), which compile() calls (explicitly, since a
// static initializer in a static library may be dropped by the linker).
// compile() never substitutes the reference interpreter for a missing
// factory: it raises UnsupportedError naming the group.
#pragma once

#include <functional>
#include <memory>
#include <string>
#include <vector>

#include "compiler/passes/partition.h"
#include "ir/schedule.h"
#include "runtime/kernel.h"

namespace loom {

class ThreadTeam;
class CompileCache;

// What every factory is told about the compilation.
struct BackendOptions {
  std::string target = "host";  // host, x86-64-avx512, x86-64-avx2, x86-64 (already validated)
  int threads = 1;
  std::string schedule = "default";
  std::string dump_dir;        // write generated code here when set
  ThreadTeam* team = nullptr;  // shared by the kernels of one Executable (may be null)
  // Set when `schedule` names a JSON model schedule: its contents, by group
  // name (a group without an entry gets the default schedule and a warning).
  std::shared_ptr<const ModelSchedule> schedule_file;
  // When set, factories that schedule their groups record the schedule
  // they applied here, by group name.
  ModelSchedule* schedules_used = nullptr;
  std::function<void(const std::string&)> warning;  // may be null
  // Null: no caching. Otherwise each backend keys its artifacts by what they
  // depend on (the group's graph with weight hashes, target, host CPU,
  // threads, schedule, Loom build): see halide_backend.cpp and codegen.cpp.
  CompileCache* cache = nullptr;
  // This group's input / output layouts (KernelGroup::input_blocks,
  // output_blocks: 0 row-major, c channel-blocked); empty: all row-major.
  // Only the Halide factory accepts nonzero entries.
  std::vector<int> input_blocks, output_blocks;
};

// `subgraph`: the group as KernelGroup::extract makes it. Inputs and outputs
// of the returned kernel are the subgraph's, in order.
using KernelFactory =
    std::function<std::unique_ptr<Kernel>(const Graph& subgraph, const BackendOptions& options)>;

// Replaces any factory registered for `backend`; an empty function unregisters.
void register_kernel_factory(GroupBackend backend, KernelFactory factory);
// Null when none is registered. The returned factory stays valid even if
// another thread re-registers meanwhile.
std::shared_ptr<const KernelFactory> find_kernel_factory(GroupBackend backend);

// Registers the Halide factory unless one is registered already; the first
// call only (later calls keep whatever the caller registered or removed).
// compile() calls it; thread-safe.
void register_builtin_backends();

// The built-in factories (the first two are registered from the start).
std::unique_ptr<Kernel> make_recurrent_kernel(const Graph& subgraph, const BackendOptions& options);
std::unique_ptr<Kernel> make_movement_kernel(const Graph& subgraph, const BackendOptions& options);
std::unique_ptr<Kernel> make_halide_kernel(const Graph& subgraph, const BackendOptions& options);
// What make_halide_kernel cannot compile in `subgraph`, node by node, found
// without lowering anything (backends/halide/halide_backend.h).
std::vector<Problem> halide_group_problems(const Graph& subgraph);

}  // namespace loom
