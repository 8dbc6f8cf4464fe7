// End-to-end tests of `loomc ir`: runs the built loomc binary on .loom files
// written by save_text and checks its output text and exit status.
#include <sys/wait.h>

#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <random>
#include <string>

#include <fmt/format.h>
#include <catch2/catch.hpp>

#include "ir/text_format.h"

using namespace loom;

namespace {

namespace fs = std::filesystem;

struct RunResult {
  int status = -1;
  std::string out;
  std::string err;
};

std::string slurp(const fs::path& p) {
  std::ifstream in(p, std::ios::binary);
  return {std::istreambuf_iterator<char>(in), std::istreambuf_iterator<char>()};
}

// Runs loomc with `args` (already shell-quoted), capturing stdout and stderr.
RunResult run_loomc(const fs::path& dir, const std::string& args) {
  fs::path out = dir / "stdout.txt";
  fs::path err = dir / "stderr.txt";
  std::string cmd =
      fmt::format("'{}' {} > '{}' 2> '{}'", LOOM_LOOMC_PATH, args, out.string(), err.string());
  int raw = std::system(cmd.c_str());
  RunResult r;
  r.status = WIFEXITED(raw) ? WEXITSTATUS(raw) : -1;
  r.out = slurp(out);
  r.err = slurp(err);
  return r;
}

// image [1,1,4,4] -> Conv(2 filters, 3x3, pad 1) -> Relu.
Graph conv_relu(Tensor& w) {
  Graph g;
  g.name = "demo";
  ValueId x = g.add_value("image", TensorType{DType::f32, {1, 1, 4, 4}});
  g.inputs = {x};
  w = Tensor(DType::f32, {2, 1, 3, 3});
  for (int i = 0; i < 18; ++i)
    w.data<float>()[i] = 0.125f * static_cast<float>(i - 9);
  ValueId wv = g.add_constant("conv1.w", w);
  ValueId b = g.add_constant("conv1.b", Tensor::from_vector<float>({2}, {0.5f, -0.5f}));
  g.add_node("conv1", OpKind::Conv, ConvAttrs{.pads = {1, 1, 1, 1}}, {x, wv, b}, {"conv1"});
  g.add_node("relu", OpKind::Relu, NoAttrs{}, {g.nodes[0].outputs[0]}, {"out"});
  g.outputs = {g.nodes[1].outputs[0]};
  return g;
}

fs::path make_dir() {
  fs::path dir =
      fs::temp_directory_path() / ("loom_loomc_ir_test_" + std::to_string(std::random_device{}()));
  fs::create_directories(dir);
  return dir;
}

std::string q(const fs::path& p) {
  return "'" + p.string() + "'";
}

}  // namespace

TEST_CASE("loomc ir prints a saved .loom file with inferred types", "[text][loomc]") {
  fs::path dir = make_dir();
  Tensor w;
  Graph g = conv_relu(w);
  fs::path model = dir / "demo.loom";
  save_text(g, model.string());

  // Types below are computed by hand: 3x3 kernel, pad 1, stride 1 keeps 4x4.
  const std::string expected = fmt::format(
      "graph demo(%image: f32[1,1,4,4]) -> (%out) {{\n"
      "  const %conv1.w: f32[2,1,3,3] = @{}  # min -1.125 max 1 mean -0.0625\n"
      "  const %conv1.b: f32[2] = [0.5, -0.5]\n"
      "  %conv1: f32[1,2,4,4] = Conv(%image, %conv1.w, %conv1.b) {{pads=[1,1,1,1]}}\n"
      "  %out: f32[1,2,4,4] = Relu(%conv1) \"relu\"\n"
      "}}\n",
      hash_hex(w.hash()));
  RunResult r = run_loomc(dir, "ir " + q(model));
  INFO(r.err);
  CHECK(r.status == 0);
  CHECK(r.out == expected);
  CHECK(r.err.empty());

  // --no-weight-summaries drops the comments only.
  RunResult bare = run_loomc(dir, "ir " + q(model) + " --no-weight-summaries");
  CHECK(bare.status == 0);
  CHECK(bare.out.find('#') == std::string::npos);
  CHECK(bare.out.find(fmt::format("= @{}\n", hash_hex(w.hash()))) != std::string::npos);

  // -o re-saves text and weights; reading the copy prints the same text.
  fs::path copy = dir / "copy.loom";
  RunResult saved = run_loomc(dir, "ir " + q(model) + " -o " + q(copy));
  CHECK(saved.status == 0);
  CHECK(saved.out.find("wrote " + copy.string()) != std::string::npos);
  REQUIRE(fs::exists(copy));
  REQUIRE(fs::exists(copy.string() + ".weights"));
  CHECK(slurp(copy) == expected);
  Graph back = load_text(copy.string());
  REQUIRE(back.nodes.size() == 2);
  CHECK(back.values[static_cast<size_t>(back.nodes[1].outputs[0])].type ==
        TensorType{DType::f32, {1, 2, 4, 4}});
  RunResult again = run_loomc(dir, "ir " + q(copy));
  CHECK(again.status == 0);
  CHECK(again.out == expected);

  // --shape pins an input shape before inference: 6x6 stays 6x6.
  RunResult pinned = run_loomc(dir, "ir " + q(model) + " --shape image=1x1x6x6");
  CHECK(pinned.status == 0);
  CHECK(pinned.out.find("%out: f32[1,2,6,6] = Relu(%conv1)") != std::string::npos);
  fs::remove_all(dir);
}

TEST_CASE("loomc ir rejects garbage files with status 2 and a message", "[text][loomc]") {
  fs::path dir = make_dir();
  fs::path garbage = dir / "garbage.loom";
  {
    std::ofstream out(garbage);
    out << "this is not\na loom graph\n";
  }
  RunResult r = run_loomc(dir, "ir " + q(garbage));
  CHECK(r.status == 2);
  CHECK(r.out.empty());
  CHECK(r.err.find("parse error") != std::string::npos);
  CHECK(r.err.find(garbage.string() + ":1:1: expected 'graph', found 'this'") != std::string::npos);

  // A valid text with a corrupted sidecar.
  Tensor w;
  fs::path model = dir / "demo.loom";
  save_text(conv_relu(w), model.string());
  {
    std::ofstream out(model.string() + ".weights", std::ios::binary | std::ios::trunc);
    out << "LOOMWGTS\x01";
  }
  RunResult side = run_loomc(dir, "ir " + q(model));
  CHECK(side.status == 2);
  CHECK(side.err.find("weights file") != std::string::npos);
  CHECK(side.err.find("truncated") != std::string::npos);

  // The sidecar missing altogether: the reference names the constant.
  fs::remove(model.string() + ".weights");
  RunResult missing = run_loomc(dir, "ir " + q(model));
  CHECK(missing.status == 2);
  CHECK(missing.err.find("constant '%conv1.w'") != std::string::npos);
  fs::remove_all(dir);
}
