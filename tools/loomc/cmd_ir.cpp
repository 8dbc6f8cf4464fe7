// loomc ir MODEL: prints the graph IR of a model after verification and
// shape inference.
#include <fmt/format.h>

#include "compiler/load_model.h"
#include "ir/text_format.h"
#include "tools/loomc/cli.h"

namespace loomc {

static int run_ir(Args& args) {
  loom::LoadOptions load;
  for (const std::string& spec : args.take_all("--shape")) {
    auto eq = spec.find('=');
    if (eq == std::string::npos)
      throw loom::UsageError(fmt::format("--shape '{}': expected NAME=1x3x224x224", spec));
    load.input_shapes[spec.substr(0, eq)] = loom::parse_shape_spec(spec.substr(eq + 1), "--shape");
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
          "usage: loomc ir MODEL [--shape NAME=DIMS]... [-o OUT.loom] [--no-weight-summaries]\n\n"
          "Loads MODEL (ONNX or Loom text IR), verifies it, infers shapes and prints\n"
          "the graph in Loom's text format. With -o, writes the text to OUT.loom and\n"
          "the weights to OUT.loom.weights so `loomc ir OUT.loom` reads it back.\n"
          "--shape pins a symbolic input dimension, e.g. --shape input=1x3x224x224.\n",
          run_ir};
}

}  // namespace loomc
