// The pass manager and the default pass pipeline (the one list of passes in
// order).
#include "compiler/pass_manager.h"

#include <iostream>

#include <fmt/format.h>

#include "compiler/passes/passes.h"
#include "ir/shape_inference.h"
#include "ir/text_format.h"

namespace loom {

std::vector<Pass> default_pipeline() {
  // Dead code first so folding never evaluates nodes nobody reads; folding
  // before BatchNorm folding so BN parameters computed by constant
  // subgraphs are constants by then; a final clean-up drops the weights and
  // nodes the folds left behind.
  return {
      {"eliminate_dead_code", [](Graph& g) { eliminate_dead_code(g); }},
      {"fold_constants", [](Graph& g) { fold_constants(g); }},
      {"fold_batchnorm", [](Graph& g) { fold_batchnorm(g); }},
      {"cleanup", [](Graph& g) { eliminate_dead_code(g); }},
  };
}

std::vector<std::string> known_pass_names() {
  std::vector<std::string> names;
  for (const Pass& p : default_pipeline())
    names.push_back(p.name);
  names.push_back("partition");
  names.push_back("choose_layout");
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

void run_passes(Graph& graph, const std::vector<Pass>& passes, const PassOptions& options) {
  std::ostream& out = options.print_stream ? *options.print_stream : std::cerr;
  for (const Pass& pass : passes) {
    pass.run(graph);
    if (options.verify_each) {
      try {
        infer_shapes(graph);
      } catch (const Error& e) {
        throw InternalError(
            fmt::format("pass '{}' left an invalid graph: {}", pass.name, e.what()));
      }
    }
    if (options.print_after_all || options.print_after.count(pass.name))
      out << "// ---- IR after " << pass.name << " ----\n" << print_graph(graph) << std::flush;
  }
}

}  // namespace loom
