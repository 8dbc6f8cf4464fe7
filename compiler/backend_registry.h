// The backend registry: for each kind of kernel group (see
// compiler/passes/partition.h), the factory that turns the group, extracted
// as a standalone Graph, into a runtime Kernel. The recurrent (LLVM) and
// data-movement factories are built in; the Halide backend registers itself
// by calling register_kernel_factory(GroupBackend::Halide, ...) before
// compile() runs (e.g. from an explicit init function its library exports).
// compile() never substitutes the reference interpreter for a missing
// factory: it raises UnsupportedError naming the group.
#pragma once

#include <functional>
#include <memory>
#include <string>

#include "compiler/passes/partition.h"
#include "runtime/kernel.h"

namespace loom {

class ThreadTeam;

// What every factory is told about the compilation.
struct BackendOptions {
  std::string target = "host";  // host, x86-64-avx512, x86-64-avx2, x86-64 (already validated)
  int threads = 1;
  std::string schedule = "default";
  std::string dump_dir;        // write generated code here when set
  ThreadTeam* team = nullptr;  // shared by the kernels of one Executable (may be null)
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

// The built-in factories (also registered by default).
std::unique_ptr<Kernel> make_recurrent_kernel(const Graph& subgraph, const BackendOptions& options);
std::unique_ptr<Kernel> make_movement_kernel(const Graph& subgraph, const BackendOptions& options);

}  // namespace loom
