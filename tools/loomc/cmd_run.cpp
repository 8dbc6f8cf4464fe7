// loomc run MODEL: compiles a model with the compiled engine, runs it once on
// deterministic random inputs (or given .pb files) and prints a summary of
// each output with the compile and run times.
#include <chrono>
#include <cmath>
#include <map>
#include <random>

#include <fmt/format.h>

#include "compiler/compile.h"
#include "compiler/frontend/onnx/tensor_io.h"
#include "compiler/load_model.h"
#include "tools/loomc/cli.h"

namespace loomc {

namespace {

int run_run(Args& args) {
  loom::LoadOptions load;
  take_input_shapes(args, load);
  std::map<std::string, loom::Tensor> given;
  for (const std::string& s : args.take_all("--input")) {
    auto eq = s.find('=');
    if (eq == std::string::npos)
      throw loom::UsageError(fmt::format("--input '{}': expected NAME=FILE.pb", s));
    given[s.substr(0, eq)] = loom::read_tensor_pb(s.substr(eq + 1)).tensor;
  }
  loom::CompileOptions options = compile_options(args);
  ScheduleDump dump(args, options);
  auto pos = args.positional();
  if (pos.size() != 1) throw loom::UsageError("loomc run needs exactly one MODEL");
  loom::Graph graph = loom::load_model(pos[0], load);

  using clock = std::chrono::steady_clock;
  auto t0 = clock::now();
  loom::Executable exe = loom::compile(graph, options);
  auto t1 = clock::now();
  dump.save();
  std::vector<loom::Tensor> inputs;
  const auto types = exe.input_types();
  for (size_t i = 0; i < types.size(); ++i) {
    auto it = given.find(exe.input_names()[i]);
    inputs.push_back(it != given.end() ? it->second
                                       : random_input(types[i], static_cast<uint32_t>(i + 1)));
    if (it != given.end()) given.erase(it);
  }
  if (!given.empty())
    throw loom::UsageError(
        fmt::format("--input '{}': the model has no such input", given.begin()->first));
  auto t2 = clock::now();
  std::vector<loom::Tensor> outputs = exe.run(inputs);
  auto t3 = clock::now();
  for (size_t i = 0; i < outputs.size(); ++i) {
    const loom::Tensor& t = outputs[i];
    double lo = INFINITY, hi = -INFINITY, sum = 0;
    for (int64_t k = 0; k < t.numel(); ++k) {
      double v = t.get_as_double(k);
      lo = std::min(lo, v);
      hi = std::max(hi, v);
      sum += v;
    }
    fmt::print("{}: {}", exe.output_names()[i], loom::type_str(t.type()));
    if (t.numel())
      fmt::print("  min {:.6g} max {:.6g} mean {:.6g}", lo, hi, sum / double(t.numel()));
    fmt::print("\n");
  }
  auto ms = [](auto a, auto b) { return std::chrono::duration<double, std::milli>(b - a).count(); };
  fmt::print("compile {:.1f} ms, run {:.3f} ms\n", ms(t0, t1), ms(t2, t3));
  return 0;
}

}  // namespace

Command run_command() {
  return {"run", "compile a model and run it once on random or given inputs",
          "usage: loomc run MODEL [--input NAME=FILE.pb]... [--shape NAME=DIMS]...\n"
          "                 [compile options]\n\n"
          "Compiles MODEL (.onnx or .loom) with the compiled engine and runs it once.\n"
          "Inputs not given with --input are deterministic random values (uniform in\n"
          "[-1, 1) for f32, zeros otherwise). Prints each output's type, min, max and\n"
          "mean, and the compile and run times. Compile options:\n" +
              compile_options_help(),
          run_run};
}

}  // namespace loomc
