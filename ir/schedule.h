// Schedules as data (ARCHITECTURE.md, principle 3).
//
// A GroupSchedule says how the loops of one kernel group are laid out: for
// each function (stage producer) of the group's pipeline, where it is
// computed and stored (inline, at the root, or inside a loop of a consumer),
// and, for each of its stages (the pure definition and each update), an
// ordered list of loop directives (split, reorder, vectorize, parallel,
// unroll, fuse). The vocabulary mirrors Halide's scheduling primitives but
// holds no Halide type: the default heuristic scheduler produces these
// values, the Halide backend applies them, and they print, save to JSON,
// load and compare like any other value.
//
// Var names: the backend names the pure loop of ONNX axis k of a function
// "d<k>" and the reduction loops "r<k>" (kernel taps) / "rc" (reduced input
// channels) / "rk" (dot-product length); splits introduce new names chosen
// by the schedule. Reorder lists loops innermost first, as Halide does.
//
// A group scheduled by one of Halide's autoschedulers is recorded with
// `autoscheduler` set (e.g. "Adams2019") and the autoscheduler's C++ text in
// `autoscheduler_source`; applying such a value re-runs that autoscheduler
// (deterministic for a given pipeline, target and machine parameters).
#pragma once

#include <cstdint>
#include <map>
#include <string>
#include <vector>

namespace loom {

class Json;

enum class TailStrategy : uint8_t { Auto, GuardWithIf, ShiftInwards, RoundUp };

struct LoopDirective {
  enum class Kind : uint8_t { Split, Reorder, Vectorize, Parallel, Unroll, Fuse };
  Kind kind = Kind::Split;
  // Split: {old, outer, inner}; Fuse: {inner, outer, fused}; Reorder: loops
  // innermost first; Vectorize / Parallel / Unroll: {loop}.
  std::vector<std::string> vars;
  // Split: the inner extent; Vectorize / Unroll / Parallel: an optional
  // split factor applied first (0: use the loop as it is).
  int64_t factor = 0;
  TailStrategy tail = TailStrategy::Auto;
  friend bool operator==(const LoopDirective&, const LoopDirective&) = default;
};

struct StageSchedule {
  int update = -1;  // -1: the pure definition; k >= 0: update definition k
  std::vector<LoopDirective> directives;
  friend bool operator==(const StageSchedule&, const StageSchedule&) = default;
};

// Where a function's values are computed or stored.
struct LoopLevel {
  enum class Kind : uint8_t { Inline, Root, At };
  Kind kind = Kind::Inline;
  std::string func;  // At: the consumer function
  std::string var;   // At: the consumer's loop
  friend bool operator==(const LoopLevel&, const LoopLevel&) = default;
};

struct FuncSchedule {
  std::string func;
  LoopLevel compute;                       // outputs are always computed at the root
  LoopLevel store;                         // Inline here means "same as compute"
  std::vector<std::string> storage_order;  // empty: the natural order (innermost first)
  std::vector<StageSchedule> stages;
  friend bool operator==(const FuncSchedule&, const FuncSchedule&) = default;
};

struct GroupSchedule {
  std::string group;
  std::string producer;       // "default", "json", "Mullapudi2016", ...: informational
  std::string target;         // the target it was made for: informational
  std::string autoscheduler;  // non-empty: re-run this Halide autoscheduler
  std::string autoscheduler_source;
  std::vector<FuncSchedule> funcs;

  FuncSchedule* find(const std::string& func);
  const FuncSchedule* find(const std::string& func) const;
  friend bool operator==(const GroupSchedule&, const GroupSchedule&) = default;
};

// Group name -> schedule; one JSON file per model.
using ModelSchedule = std::map<std::string, GroupSchedule>;

// Human-readable, Halide-like text ("conv.update(0).split(d3, d3o, d3i, 16)").
std::string to_string(const GroupSchedule& s);

Json schedule_to_json(const GroupSchedule& s);
// ParseError naming the group and field on a malformed value.
GroupSchedule schedule_from_json(const Json& j);

std::string save_schedule_json(const GroupSchedule& s);
GroupSchedule load_schedule_json(const std::string& text);
std::string save_model_schedule_json(const ModelSchedule& s);
ModelSchedule load_model_schedule_json(const std::string& text);
// File variants: IOError when the file cannot be read or written.
void save_model_schedule_file(const ModelSchedule& s, const std::string& path);
ModelSchedule load_model_schedule_file(const std::string& path);

}  // namespace loom
