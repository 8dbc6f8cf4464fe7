// The pass manager: runs named passes in order over a CompileState (the graph,
// then its partition into kernel groups), optionally printing the IR after
// chosen passes and re-verifying (verifier + shape inference) between graph
// passes. The list of passes and their order lives in one place,
// default_pipeline() in pass_manager.cpp, partition and layout included, so
// the compiler's lowering reads top to bottom like a table of contents.
#pragma once

#include <functional>
#include <iosfwd>
#include <optional>
#include <set>
#include <string>
#include <vector>

#include "compiler/passes/partition.h"
#include "ir/graph.h"

namespace loom {

// What the "choose_layout" pass may do. The default keeps every value
// row-major.
struct LayoutOptions {
  // Values between Halide groups may be stored channel-blocked (compile():
  // CompileOptions::blocked_layout, a schedule the blocked layouts are known
  // to, and LOOM_BLOCKED_LAYOUT != 0).
  bool blocked = false;
  // The target whose f32 vector lanes are the channel block; asked only of
  // models with Halide groups.
  std::string target = "host";
  // When set, vetoes blocked outputs of a group (see choose_layout.h).
  std::function<bool(const KernelGroup&)> may_block;
};

// What the pipeline works on. Graph passes rewrite `graph`; the "partition"
// pass sets `partition`, and the passes after it refine the partition and
// leave the graph alone (the partition indexes its nodes).
struct CompileState {
  Graph graph;
  std::optional<Partition> partition;
  LayoutOptions layout;
};

struct Pass {
  // A graph-to-graph pass.
  Pass(std::string name, std::function<void(Graph&)> graph_pass);
  // A pass over the whole state (the partition and what refines it).
  Pass(std::string name, std::function<void(CompileState&)> run);

  std::string name;  // what --print-after=NAME matches
  std::function<void(CompileState&)> run;
};

struct PassOptions {
  // Names of passes of default_pipeline() to print the IR after (the
  // partition, once there is one).
  std::set<std::string> print_after;
  bool print_after_all = false;
  // Verify and re-infer shapes after every graph pass; a pass that breaks
  // the graph is named in the error (an InternalError: passes must keep
  // graphs valid).
  bool verify_each = false;
  std::ostream* print_stream = nullptr;  // null: std::cerr
};

// Every pass compile() runs, in order, from the imported graph to the
// partition into kernel groups with their value layouts.
std::vector<Pass> default_pipeline();
// Names of the passes of default_pipeline(), for validating --print-after.
std::vector<std::string> known_pass_names();
// UsageError naming the unknown pass and listing the known ones.
void check_pass_names(const std::set<std::string>& names);

// Runs `passes` in order; `before`, when set, is called before each one
// (compile() reports its progress stages through it).
void run_passes(CompileState& state, const std::vector<Pass>& passes, const PassOptions& options,
                const std::function<void(const Pass&)>& before = {});
// The same on a graph alone (every value row-major).
void run_passes(Graph& graph, const std::vector<Pass>& passes, const PassOptions& options);

}  // namespace loom
