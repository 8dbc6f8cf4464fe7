// loomc ir MODEL: prints the graph IR of a model after verification and
// shape inference.
#include <fmt/format.h>

#include "compiler/frontend/onnx/tensor_io.h"
#include "compiler/load_model.h"
#include "ir/text_format.h"
#include "tools/loomc/cli.h"

namespace loomc {

static int run_ir(Args& args) {
  loom::LoadOptions load;
  take_input_shapes(args, load);
  for (const std::string& spec : args.take_all("--value")) {
    auto eq = spec.find('=');
    if (eq == std::string::npos || eq == 0 || eq + 1 == spec.size())
      throw loom::UsageError(fmt::format("--value '{}': expected NAME=FILE.pb", spec));
    std::string name = spec.substr(0, eq);
    if (load.known_input_values.count(name))
      throw loom::UsageError(fmt::format("--value: '{}' is given more than once", name));
    load.known_input_values[name] = loom::read_tensor_pb(spec.substr(eq + 1)).tensor;
  }
  auto out = args.take("-o");
  bool no_summaries = args.flag("--no-weight-summaries");
  auto files = args.positional();
  if (files.size() != 1) throw loom::UsageError("loomc ir takes exactly one model file");
  loom::Graph g = loom::load_model(files[0], load);
  if (out) {
    loom::save_text(g, *out);
    fmt::print("wrote {} (+ {}.weights)\n", *out, *out);
    return 0;
  }
  fmt::print("{}", loom::print_graph(g, {.weight_summaries = !no_summaries}));
  return 0;
}

Command ir_command() {
  return {"ir", "print the IR of a model (.onnx or .loom)",
          "usage: loomc ir MODEL [--shape NAME=DIMS]... [--value NAME=FILE.pb]... [-o OUT.loom]\n"
          "                [--no-weight-summaries]\n\n"
          "Loads MODEL (ONNX or Loom text IR), verifies it, infers shapes and prints\n"
          "the graph in Loom's text format. With -o, writes the text to OUT.loom and\n"
          "the weights to OUT.loom.weights so `loomc ir OUT.loom` reads it back.\n"
          "--shape pins a symbolic input dimension, e.g. --shape input=1x3x224x224.\n"
          "--value pins the value of an ONNX graph input from a TensorProto file, e.g.\n"
          "--value shape=test_data_set_0/input_1.pb, so that inputs Loom needs as\n"
          "constants (Reshape's shape, Slice's starts, ...) are known; a pinned input\n"
          "stops being an input of the printed graph. Repeat it for several inputs.\n",
          run_ir};
}

}  // namespace loomc
