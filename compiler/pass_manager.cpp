// The pass manager and the default pass pipeline (the one list of passes in
// order).
#include "compiler/pass_manager.h"

#include <algorithm>
#include <iostream>
#include <utility>

#include <fmt/format.h>

#include "backends/halide/halide_backend.h"
#include "compiler/passes/choose_layout.h"
#include "compiler/passes/passes.h"
#include "ir/shape_inference.h"
#include "ir/text_format.h"

namespace loom {

namespace {

void choose_layout_pass(CompileState& s) {
  // The target's lanes are asked only of models with Halide groups (a
  // recurrent-only model never resolves a Halide target).
  const Partition& part = *s.partition;
  const bool blocked = s.layout.blocked && std::any_of(part.groups.begin(), part.groups.end(),
                                                       [](const KernelGroup& k) {
                                                         return k.backend == GroupBackend::Halide;
                                                       });
  choose_layout(s.graph, *s.partition, blocked ? halide_target_vector_lanes(s.layout.target) : 0,
                s.layout.may_block);
}

}  // namespace

Pass::Pass(std::string name, std::function<void(Graph&)> graph_pass)
    : name(std::move(name)),
      run([graph_pass = std::move(graph_pass)](CompileState& s) { graph_pass(s.graph); }) {}

Pass::Pass(std::string name, std::function<void(CompileState&)> run)
    : name(std::move(name)), run(std::move(run)) {}

std::vector<Pass> default_pipeline() {
  // Dead code first so folding never evaluates nodes nobody reads; Einsum
  // becomes MatMul and friends before folding (constant operands fold); folding
  // before BatchNorm folding so BN parameters computed by constant
  // subgraphs are constants by then; a final clean-up drops the weights and
  // nodes the folds left behind. Then the graph is fixed: it is cut into
  // kernel groups, and the layout of the values passed between Halide
  // groups is chosen.
  return {
      {"eliminate_dead_code", [](Graph& g) { eliminate_dead_code(g); }},
      {"lower_einsum", [](Graph& g) { lower_einsum(g); }},
      {"fold_constants", [](Graph& g) { fold_constants(g); }},
      {"fold_batchnorm", [](Graph& g) { fold_batchnorm(g); }},
      {"cleanup", [](Graph& g) { eliminate_dead_code(g); }},
      {"partition", [](CompileState& s) { s.partition = partition_graph(s.graph); }},
      {"choose_layout", choose_layout_pass},
  };
}

std::vector<std::string> known_pass_names() {
  std::vector<std::string> names;
  for (const Pass& p : default_pipeline())
    names.push_back(p.name);
  return names;
}

void check_pass_names(const std::set<std::string>& names) {
  const std::vector<std::string> known = known_pass_names();
  for (const std::string& n : names) {
    bool found = false;
    for (const std::string& k : known)
      found |= k == n;
    if (!found)
      throw UsageError(
          fmt::format("--print-after: unknown pass '{}' (passes: {})", n, fmt::join(known, ", ")));
  }
}

void run_passes(CompileState& state, const std::vector<Pass>& passes, const PassOptions& options,
                const std::function<void(const Pass&)>& before) {
  std::ostream& out = options.print_stream ? *options.print_stream : std::cerr;
  for (const Pass& pass : passes) {
    if (before) before(pass);
    pass.run(state);
    // Once there is a partition the graph no longer changes: what is
    // verified is the graph, what is printed is the partition.
    if (options.verify_each && !state.partition) {
      try {
        infer_shapes(state.graph);
      } catch (const Error& e) {
        throw InternalError(
            fmt::format("pass '{}' left an invalid graph: {}", pass.name, e.what()));
      }
    }
    if (options.print_after_all || options.print_after.count(pass.name)) {
      if (state.partition)
        out << "// ---- after " << pass.name << " ----\n"
            << state.partition->print(state.graph) << std::flush;
      else
        out << "// ---- IR after " << pass.name << " ----\n"
            << print_graph(state.graph) << std::flush;
    }
  }
}

void run_passes(Graph& graph, const std::vector<Pass>& passes, const PassOptions& options) {
  CompileState state{std::move(graph), std::nullopt, {}};
  try {
    run_passes(state, passes, options);
  } catch (...) {
    graph = std::move(state.graph);
    throw;
  }
  graph = std::move(state.graph);
}

}  // namespace loom
