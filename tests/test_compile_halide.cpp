// compile() with the Halide backend registered by register_builtin_backends():
// CNN and CNN+RNN graphs compiled end to end and checked against the
// reference interpreter; schedule choices (named producers, a saved JSON
// model schedule, a file missing a group) and the recorded schedules.
#include <cmath>
#include <filesystem>
#include <random>

#include <unistd.h>

#include <catch2/catch.hpp>

#include "compiler/backend_registry.h"
#include "compiler/compile.h"
#include "ir/builder.h"
#include "ir/interpreter.h"
#include "test_util.h"

using namespace loom;
using test::max_abs_diff;
using test::random_f32;

namespace {

// conv 3x3 + bias + ReLU, 2x2 max-pool, flatten, Gemm, softmax: several Halide groups.
Graph small_cnn() {
  GraphBuilder b("cnn");
  Val x = b.input("x", DType::f32, {2, 3, 8, 8});
  Val c = b.conv(x, b.constant("w", random_f32({4, 3, 3, 3}, 1)),
                 b.constant("bias", random_f32({4}, 2)), {.pads = {1, 1, 1, 1}}, "conv");
  Val p = b.max_pool(b.relu(c, "relu"), {.kernel_shape = {2, 2}, .strides = {2, 2}}, "pool");
  Val f = b.flatten(p, 1, "flat");
  Val d = b.gemm(f, b.constant("fc_w", random_f32({64, 5}, 3)),
                 b.constant("fc_b", random_f32({5}, 4)), {}, "fc");
  b.output(b.softmax(d, {.axis = 1}, "softmax"), "probs");
  return b.build();
}

// conv + ReLU -> squeeze height -> time-major -> LSTM -> log-softmax classifier.
Graph small_crnn() {
  GraphBuilder b("crnn");
  Val x = b.input("image", DType::f32, {1, 1, 4, 6});
  Val c = b.relu(b.conv(x, b.constant("cw", random_f32({5, 1, 4, 3}, 5)),
                        b.constant("cb", random_f32({5}, 6)), {.pads = {0, 1, 0, 1}}, "conv"),
                 "relu");                                                   // [1,5,1,6]
  Val s = b.transpose(b.squeeze(c, {2}, "sq"), {.perm = {2, 0, 1}}, "tm");  // [6,1,5]
  RecurrentInputs l;
  l.x = s;
  l.w = b.constant("lw", random_f32({1, 12, 5}, 7));
  l.r = b.constant("lr", random_f32({1, 12, 3}, 8));
  RecurrentOutputs lo = b.lstm(l, {.hidden_size = 3}, {}, "lstm");  // Y [6,1,1,3]
  Val y = b.reshape(lo.y, {.shape = {6, 3}}, "rs");
  Val logits = b.gemm(y, b.constant("ow", random_f32({3, 4}, 9)), {}, {}, "cls");
  b.output(b.log_softmax(logits, {.axis = 1}, "lsm"), "out");
  return b.build();
}

void check_against_reference(const Graph& g, const std::vector<Tensor>& inputs,
                             const CompileOptions& o) {
  std::vector<Tensor> want = Interpreter(g).run(inputs);
  std::vector<Tensor> got = compile(g, o).run(inputs);
  REQUIRE(got.size() == want.size());
  for (size_t i = 0; i < got.size(); ++i)
    CHECK(max_abs_diff(got[i], want[i]) < 1e-4);
}

}  // namespace

TEST_CASE("compile: a CNN through the Halide backend matches the reference", "[compile_halide]") {
  Graph g = small_cnn();
  Tensor x = random_f32({2, 3, 8, 8}, 10);
  ModelSchedule used;
  CompileOptions o;
  o.schedules_used = &used;
  Executable exe = compile(g, o);
  // The kernels are the Halide adapters, named after their groups' nodes.
  bool has_conv = false;
  for (const std::string& s : exe.step_names())
    has_conv |= s.find("conv (Conv)") != std::string::npos;
  CHECK(has_conv);
  std::vector<Tensor> got = exe.run({x});
  std::vector<Tensor> want = Interpreter(g).run({x});
  REQUIRE(got.size() == 1);
  CHECK(max_abs_diff(got[0], want[0]) < 1e-5);
  // Softmax rows sum to one: checks the numbers independently of the oracle.
  for (int r = 0; r < 2; ++r) {
    double sum = 0;
    for (int c = 0; c < 5; ++c)
      sum += got[0].get_as_double(r * 5 + c);
    CHECK(sum == Approx(1.0).epsilon(1e-5));
  }
  REQUIRE(!used.empty());
  for (const auto& [name, s] : used) {
    CHECK(name.rfind("cnn_group", 0) == 0);
    CHECK(s.group == name);
    CHECK(s.producer == "default");
  }
}

TEST_CASE("compile: a CNN+RNN model mixes Halide and recurrent kernels", "[compile_halide]") {
  Graph g = small_crnn();
  Tensor x = random_f32({1, 1, 4, 6}, 11);
  CompileOptions o;
  check_against_reference(g, {x}, o);
  o.threads = 2;
  check_against_reference(g, {x}, o);
}

TEST_CASE("compile: schedule choices and a saved model schedule", "[compile_halide]") {
  Graph g = small_cnn();
  Tensor x = random_f32({2, 3, 8, 8}, 12);
  std::vector<Tensor> want = Interpreter(g).run({x});
  CompileOptions o;
  o.schedule = "mullapudi2016";
  ModelSchedule used;
  o.schedules_used = &used;
  CHECK(max_abs_diff(compile(g, o).run({x})[0], want[0]) < 1e-5);
  for (const auto& [name, s] : used)
    CHECK(s.autoscheduler == "Mullapudi2016");

  // The default schedule saved and loaded back reproduces the same schedules.
  const auto dir = std::filesystem::temp_directory_path() /
                   ("loom_compile_halide_" + std::to_string(::getpid()));
  std::filesystem::create_directories(dir);
  const std::string file = (dir / "cnn.json").string();
  ModelSchedule defaults;
  o.schedule = "default";
  o.schedules_used = &defaults;
  compile(g, o);
  save_model_schedule_file(defaults, file);
  ModelSchedule reloaded;
  o.schedule = file;
  o.schedules_used = &reloaded;
  std::vector<std::string> warnings;
  o.warning = [&](const std::string& m) { warnings.push_back(m); };
  CHECK(max_abs_diff(compile(g, o).run({x})[0], want[0]) < 1e-5);
  CHECK(warnings.empty());
  REQUIRE(reloaded.size() == defaults.size());
  for (const auto& [name, s] : defaults) {
    REQUIRE(reloaded.count(name));
    CHECK(reloaded.at(name).funcs == s.funcs);
  }

  // A group missing from the file: default schedule, and a warning naming it.
  ModelSchedule partial = defaults;
  const std::string dropped = partial.begin()->first;
  partial.erase(partial.begin());
  save_model_schedule_file(partial, file);
  reloaded.clear();
  CHECK(max_abs_diff(compile(g, o).run({x})[0], want[0]) < 1e-5);
  REQUIRE(warnings.size() == 1);
  CHECK(warnings[0].find(dropped) != std::string::npos);
  CHECK(reloaded.at(dropped).funcs == defaults.at(dropped).funcs);

  // A missing file is an IOError; an unknown schedule name a UsageError.
  o.schedule = (dir / "absent.json").string();
  test::error_of<IOError>([&] { compile(g, o); });
  o.schedule = "fastest";
  std::string m = test::error_of<UsageError>([&] { compile(g, o); });
  CHECK(m.find("fastest") != std::string::npos);
  std::filesystem::remove_all(dir);
}

TEST_CASE("compile: without a Halide factory the group is unsupported, never interpreted",
          "[compile_halide]") {
  GraphBuilder b("m");
  Val x = b.input("x", DType::f32, {2});
  b.output(b.relu(x, "my_relu"), "y");
  Graph g = b.build();
  register_builtin_backends();
  auto saved = find_kernel_factory(GroupBackend::Halide);
  REQUIRE(saved);
  register_kernel_factory(GroupBackend::Halide, {});
  std::string m = test::error_of<UnsupportedError>([&] { compile(g); });
  CHECK(m.find("my_relu (Relu)") != std::string::npos);
  register_kernel_factory(GroupBackend::Halide, *saved);
  std::vector<Tensor> y = compile(g).run({test::f32({2}, {-1.5f, 2.5f})});
  test::check_values(y[0], {2}, {0.0, 2.5});
}
