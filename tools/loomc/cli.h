// Small shared pieces of the loomc command line: argument access and the
// table of subcommands. Each subcommand lives in its own cmd_*.cpp file.
#pragma once

#include <cstdint>
#include <functional>
#include <optional>
#include <string>
#include <vector>

#include "ir/schedule.h"

namespace loom {
struct CompileOptions;
}

#include "compiler/load_model.h"

namespace loomc {

// Arguments after the subcommand name. Options are "--name value" or
// "--name=value"; everything else is positional.
class Args {
 public:
  Args(std::string command, std::vector<std::string> raw);

  const std::string& command() const { return command_; }
  // Removes and returns the value of --name (last one wins); nullopt if absent.
  std::optional<std::string> take(const std::string& name);
  // Every value of a repeatable option.
  std::vector<std::string> take_all(const std::string& name);
  // Removes --name if present (a flag without value).
  bool flag(const std::string& name);
  // The positional arguments; throws UsageError for unknown options left over.
  std::vector<std::string> positional();

 private:
  std::string command_;
  std::vector<std::string> raw_;
};

struct Command {
  std::string name;
  std::string synopsis;  // one line for `loomc --help`
  std::string help;      // full text for `loomc help NAME`
  std::function<int(Args&)> run;
};

const std::vector<Command>& commands();

// The options of every command that compiles (--target, --threads,
// --schedule, --dump-llvm DIR, --print-after PASS[,PASS], --print-after-all,
// --compile-threads N, --cache-dir DIR, --no-cache, --quiet), taken from `args`;
// and their help text. Unless --quiet, a
// progress line is drawn on stderr while kernels compile if it is a terminal.
loom::CompileOptions compile_options(Args& args);
std::string compile_options_help();

// --dump-schedule FILE.json: collects the schedule of every Halide group the
// command compiles (all models of the command in one file; a group name seen
// twice keeps the last) and saves it with save().
class ScheduleDump {
 public:
  // Takes --dump-schedule from `args` and points options.schedules_used here.
  ScheduleDump(Args& args, loom::CompileOptions& options);
  ScheduleDump(const ScheduleDump&) = delete;
  ScheduleDump& operator=(const ScheduleDump&) = delete;
  // Writes the file (IOError when it cannot); nothing without --dump-schedule.
  void save() const;

 private:
  std::optional<std::string> path_;
  loom::ModelSchedule schedules_;
};

// Takes every --shape NAME=DIMS from `args` into options.input_shapes.
void take_input_shapes(Args& args, loom::LoadOptions& options);

// Deterministic stand-in data for an input: uniform in [-1, 1) for f32,
// zeros for other dtypes; the same seed gives the same tensor.
loom::Tensor random_input(const loom::TensorType& type, uint32_t seed);

// Registered by each cmd_*.cpp.
Command ir_command();
Command check_command();
Command run_command();
Command bench_command();

}  // namespace loomc
