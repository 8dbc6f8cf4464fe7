// The factory for Halide kernel groups (conv/pool/dense/elementwise/...):
// maps the driver's BackendOptions onto HalideGroupOptions, picks the
// group's schedule (a named producer, or the group's entry of a loaded JSON
// model schedule), passes the compile cache on and records the schedule
// actually applied.
#include <algorithm>
#include <thread>

#include <fmt/format.h>

#include "backends/halide/halide_runtime_kernel.h"
#include "compiler/backend_registry.h"

namespace loom {

std::unique_ptr<Kernel> make_halide_kernel(const Graph& subgraph, const BackendOptions& options) {
  HalideGroupOptions ho;
  ho.target = options.target;
  ho.threads = options.threads > 0
                   ? options.threads
                   : std::max(1, static_cast<int>(std::thread::hardware_concurrency()));
  if (options.schedule_file) {
    auto it = options.schedule_file->find(subgraph.name);
    if (it != options.schedule_file->end()) {
      ho.schedule = it->second;
    } else {
      const std::string m = fmt::format(
          "schedule file '{}' has no schedule for group '{}'; using the default schedule",
          options.schedule, subgraph.name);
      if (options.warning) options.warning(m);
    }
  } else {
    ho.schedule_source = options.schedule;
  }
  // The backend keys its entries itself, by the group's own schedule rather
  // than the whole schedule file, so editing one group's entry in a file
  // does not invalidate the others.
  ho.cache = options.cache;
  ho.input_blocks = options.input_blocks;
  ho.output_blocks = options.output_blocks;
  std::unique_ptr<HalideRuntimeKernel> k = make_halide_runtime_kernel(subgraph, ho);
  if (options.schedules_used) (*options.schedules_used)[subgraph.name] = k->schedule();
  return k;
}

}  // namespace loom
