// The pass manager: runs named graph-to-graph passes in order, optionally
// printing the IR after chosen passes and re-verifying (verifier + shape
// inference) between passes. The list of passes and their order lives in one
// place, default_pipeline() in pass_manager.cpp, so the compiler's lowering
// reads top to bottom like a table of contents.
#pragma once

#include <functional>
#include <iosfwd>
#include <set>
#include <string>
#include <vector>

#include "ir/graph.h"

namespace loom {

struct Pass {
  std::string name;  // what --print-after=NAME matches
  std::function<void(Graph&)> run;
};

struct PassOptions {
  // Pass names, plus "partition" and "choose_layout" (handled by compile()).
  std::set<std::string> print_after;
  bool print_after_all = false;
  // Verify and re-infer shapes after every pass; a pass that breaks the graph
  // is named in the error (an InternalError: passes must keep graphs valid).
  bool verify_each = false;
  std::ostream* print_stream = nullptr;  // null: std::cerr
};

// The graph passes compile() runs, in order.
std::vector<Pass> default_pipeline();
// Names of every pass in default_pipeline() plus the "partition" and
// "choose_layout" steps, for validating --print-after.
std::vector<std::string> known_pass_names();
// UsageError naming the unknown pass and listing the known ones.
void check_pass_names(const std::set<std::string>& names);

void run_passes(Graph& graph, const std::vector<Pass>& passes, const PassOptions& options);

}  // namespace loom
