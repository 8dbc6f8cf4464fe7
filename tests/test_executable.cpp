// Tests of the runtime Executable (buffer plan, aliases, input checks) and
// of compile() end to end on recurrent + data-movement graphs.
#include <random>

#include "compiler/backend_registry.h"
#include "compiler/compile.h"
#include "ir/builder.h"
#include "ir/interpreter.h"
#include "runtime/copy_kernel.h"
#include "runtime/executable.h"
#include "tests/test_util.h"

using namespace loom;
using loom::test::f32;
using test::random_f32;

namespace {

// out = in * factor + offset, elementwise f32.
class AffineKernel final : public Kernel {
 public:
  AffineKernel(float factor, float offset) : factor_(factor), offset_(offset) {}
  std::string name() const override { return "affine"; }
  void run(std::span<const TensorRef> in, std::span<const TensorRef> out) override {
    for (int64_t i = 0; i < out[0].numel(); ++i)
      out[0].as<float>()[i] = in[0].as<float>()[i] * factor_ + offset_;
  }

 private:
  float factor_, offset_;
};

// out = a + b
class AddKernel final : public Kernel {
 public:
  std::string name() const override { return "add"; }
  void run(std::span<const TensorRef> in, std::span<const TensorRef> out) override {
    for (int64_t i = 0; i < out[0].numel(); ++i)
      out[0].as<float>()[i] = in[0].as<float>()[i] + in[1].as<float>()[i];
  }
};

ExecutablePlan::Step step(std::unique_ptr<Kernel> k, std::vector<int> in, std::vector<int> out) {
  ExecutablePlan::Step s;
  s.kernel = std::move(k);
  s.inputs = std::move(in);
  s.outputs = std::move(out);
  return s;
}

}  // namespace

TEST_CASE("Executable reuses intermediate buffers by liveness", "[executable]") {
  // x -> t1 -> t2 -> t3 -> t4 -> y, each 1024 floats: at most two
  // intermediates are alive at once, so the arena holds two buffers.
  ExecutablePlan plan;
  const TensorType t{DType::f32, {1024}};
  for (const char* n : {"x", "t1", "t2", "t3", "t4", "y"})
    plan.slots.push_back({n, t, {}});
  plan.inputs = {0};
  plan.outputs = {5};
  for (int i = 0; i < 5; ++i)
    plan.steps.push_back(step(std::make_unique<AffineKernel>(2.f, 1.f), {i}, {i + 1}));
  Executable exe(std::move(plan));
  CHECK(exe.buffer_stats().intermediate_values == 4);
  CHECK(exe.buffer_stats().unshared_bytes == 4 * 4096);
  CHECK(exe.buffer_stats().arena_bytes == 2 * 4096);
  const auto& off = exe.arena_offsets();
  CHECK(off[0] == -1);  // input
  CHECK(off[5] == -1);  // output: a fresh tensor
  CHECK(off[1] != off[2]);
  CHECK(off[1] == off[3]);
  CHECK(off[2] == off[4]);

  std::vector<float> xs(1024);
  for (int i = 0; i < 1024; ++i)
    xs[static_cast<size_t>(i)] = static_cast<float>(i % 7) - 3.f;
  auto out = exe.run({Tensor::from_vector<float>({1024}, xs)});
  REQUIRE(out.size() == 1);
  for (int i = 0; i < 1024; ++i) {
    double v = xs[static_cast<size_t>(i)];
    for (int k = 0; k < 5; ++k)
      v = v * 2 + 1;
    CHECK(out[0].data<float>()[i] == Approx(v));
  }
  // Outputs are fresh each run: the first result is not overwritten.
  auto again = exe.run({Tensor::from_vector<float>({1024}, std::vector<float>(1024, 0.f))});
  CHECK(again[0].data<float>()[0] == 31.f);
  CHECK(out[0].data<float>()[0] == Approx((((-3 * 2 + 1) * 2 + 1) * 2 + 1) * 2 * 2 + 3));
}

TEST_CASE("Executable keeps a value alive until its last reader, views share memory",
          "[executable]") {
  // x -> a; a -> (view) av; av -> b; (a, b) -> y: a must survive b's step,
  // and the alias av takes no arena space.
  ExecutablePlan plan;
  const TensorType t{DType::f32, {2, 2}}, flat{DType::f32, {4}};
  plan.slots = {{"x", t, {}}, {"a", t, {}}, {"av", flat, {}}, {"b", flat, {}}, {"y", t, {}}};
  plan.inputs = {0};
  plan.outputs = {4};
  plan.steps.push_back(step(std::make_unique<AffineKernel>(1.f, 1.f), {0}, {1}));
  plan.steps.push_back(step(nullptr, {1}, {2}));
  plan.steps.push_back(step(std::make_unique<AffineKernel>(10.f, 0.f), {2}, {3}));
  plan.steps.push_back(step(std::make_unique<AddKernel>(), {1, 3}, {4}));
  Executable exe(std::move(plan));
  CHECK(exe.buffer_stats().intermediate_values == 2);
  CHECK(exe.arena_offsets()[2] == exe.arena_offsets()[1]);
  CHECK(exe.arena_offsets()[3] != exe.arena_offsets()[1]);
  auto out = exe.run({f32({2, 2}, {1, 2, 3, 4})});
  // a = x + 1; b = 10 a; y = a + b = 11 (x + 1)
  test::check_values(out[0], {2, 2}, {22, 33, 44, 55});
  CHECK(exe.step_names() == std::vector<std::string>{"affine", "alias", "affine", "add"});
}

TEST_CASE("Executable places slots inside another slot, views of them follow", "[executable]") {
  // x -> a (2 floats), x -> b (2 floats) written straight into cat (4
  // floats) at byte offsets 0 and 8; av views a; y = cat + cat viewed.
  ExecutablePlan plan;
  const TensorType two{DType::f32, {2}}, four{DType::f32, {4}};
  plan.slots = {{"x", two, {}}, {"a", two, {}}, {"av", two, {}},
                {"b", two, {}}, {"cat", four, {}}, {"y", two, {}}};
  plan.inputs = {0};
  plan.outputs = {5};
  plan.steps.push_back(step(std::make_unique<AffineKernel>(1.f, 1.f), {0}, {1}));
  plan.steps.push_back(step(nullptr, {1}, {2}));  // av: a view of a
  plan.steps.push_back(step(std::make_unique<AffineKernel>(10.f, 0.f), {0}, {3}));
  plan.steps.push_back(step(std::make_unique<AddKernel>(), {2, 3}, {5}));
  plan.placements = {{1, 4, 0}, {3, 4, 8}};
  Executable exe(std::move(plan));
  const auto& off = exe.arena_offsets();
  CHECK(off[1] == off[4]);
  CHECK(off[2] == off[4]);
  CHECK(off[3] == off[4] + 8);
  CHECK(exe.buffer_stats().intermediate_values == 1);
  auto out = exe.run({f32({2}, {1, 2})});
  test::check_values(out[0], {2}, {12, 23});  // (x + 1) + 10 x

  // A placement that does not fit, or of a graph input, is refused.
  auto bad = [&](ExecutablePlan::Placement p) {
    ExecutablePlan q;
    q.slots = {{"x", two, {}}, {"a", two, {}}, {"cat", four, {}}, {"y", four, {}}};
    q.inputs = {0};
    q.outputs = {3};
    q.steps.push_back(step(std::make_unique<AffineKernel>(1.f, 0.f), {0}, {1}));
    q.placements = {p};
    return test::error_of<InternalError>([&] { Executable e(std::move(q)); });
  };
  CHECK(bad({1, 2, 12}).find("cannot be placed in 'cat' at byte 12") != std::string::npos);
  CHECK(bad({0, 2, 0}).find("'x' cannot be placed") != std::string::npos);
}

TEST_CASE("Executable input errors name the input, expected and actual", "[executable]") {
  ExecutablePlan plan;
  plan.slots = {{"image", {DType::f32, {1, 3}}, {}}, {"y", {DType::f32, {1, 3}}, {}}};
  plan.inputs = {0};
  plan.outputs = {1};
  plan.steps.push_back(step(std::make_unique<AffineKernel>(1.f, 0.f), {0}, {1}));
  Executable exe(std::move(plan));
  std::string m = test::error_of<InputError>([&] { exe.run({f32({1, 4}, {1, 2, 3, 4})}); });
  CHECK(m.find("image") != std::string::npos);
  CHECK(m.find("f32[1,3]") != std::string::npos);
  CHECK(m.find("f32[1,4]") != std::string::npos);
  m = test::error_of<InputError>([&] {
    exe.run({Tensor::from_vector<int32_t>({1, 3}, {1, 2, 3})});
  });
  CHECK(m.find("i32[1,3]") != std::string::npos);
  m = test::error_of<InputError>([&] { exe.run({}); });
  CHECK(m.find("1 inputs") != std::string::npos);
  CHECK(m.find("image") != std::string::npos);
}

TEST_CASE("copy kernel: transpose and reversed slice", "[executable]") {
  // [2,3] transposed to [3,2].
  Tensor in = f32({2, 3}, {1, 2, 3, 4, 5, 6});
  Tensor out(DType::f32, {3, 2});
  auto k = make_copy_kernel("t", 4, {{0, {}, 0, 0, {3, 2}, {1, 3}, {2, 1}}});
  std::vector<TensorRef> ins = {{in.type(), in.raw()}}, outs = {{out.type(), out.raw()}};
  k->run(ins, outs);
  test::check_values(out, {3, 2}, {1, 4, 2, 5, 3, 6});
  // Row 1 backwards: 6 5 4.
  Tensor rev(DType::f32, {3});
  auto k2 = make_copy_kernel("s", 4, {{0, {}, 5, 0, {3}, {-1}, {1}}});
  outs = {{rev.type(), rev.raw()}};
  k2->run(ins, outs);
  test::check_values(rev, {3}, {6, 5, 4});
}

TEST_CASE("compile: unknown target, missing Halide backend", "[compile]") {
  GraphBuilder b("m");
  Val x = b.input("x", DType::f32, {2});
  b.output(b.relu(x, "my_relu"), "y");
  Graph g = b.build();
  CompileOptions o;
  o.target = "arm64";
  std::string m = test::error_of<UsageError>([&] { compile(g, o); });
  CHECK(m.find("arm64") != std::string::npos);
  if (!find_kernel_factory(GroupBackend::Halide)) {
    m = test::error_of<UnsupportedError>([&] { compile(g); });
    CHECK(m.find("my_relu (Relu)") != std::string::npos);
    CHECK(m.find("halide") != std::string::npos);
  }
}

TEST_CASE("compile: a stacked LSTM with views and data movement matches the reference",
          "[compile]") {
  // x [T=5, B=2, I=3] -> LSTM (H=4, bidirectional) Y [5,2,2,4] -> Transpose
  // [5,2,2,4] -> Reshape [5,2,8] -> GRU (H=3) -> Y_h; Slice of Y_h; Concat.
  GraphBuilder b("stack");
  Val x = b.input("x", DType::f32, {5, 2, 3});
  Val h0 = b.input("h0", DType::f32, {2, 2, 4});
  RecurrentInputs l;
  l.x = x;
  l.w = b.constant("lw", random_f32({2, 16, 3}, 1));
  l.r = b.constant("lr", random_f32({2, 16, 4}, 2));
  l.b = b.constant("lb", random_f32({2, 32}, 3));
  l.initial_h = h0;
  RecurrentOutputs lo =
      b.lstm(l, {.hidden_size = 4, .direction = Direction::Bidirectional}, {}, "lstm");
  Val t = b.transpose(lo.y, {.perm = {0, 2, 1, 3}}, "tr");
  Val r = b.reshape(t, {.shape = {5, 2, 8}}, "rs");
  RecurrentInputs gi;
  gi.x = r;
  gi.w = b.constant("gw", random_f32({1, 9, 8}, 4));
  gi.r = b.constant("gr", random_f32({1, 9, 3}, 5));
  RecurrentOutputs go = b.gru(gi, {.hidden_size = 3, .linear_before_reset = true}, {}, "gru");
  Val s = b.slice(go.y, {.starts = {4, 0}, .ends = {-100, 100}, .axes = {0, 3}, .steps = {-2, 1}},
                  "sl");
  Val cat = b.concat({go.y_h, b.squeeze(s, {1}, "sq")}, 0, "cat");
  b.output(cat, "out");
  b.output(lo.y_c, "c");
  b.output(b.identity(lo.y_h, "hid"), "h");
  Graph g = b.build();

  CompileOptions o;
  o.passes.verify_each = true;
  std::vector<CompileProgress> progress;
  o.progress = [&](const CompileProgress& p) { progress.push_back(p); };
  Executable exe = compile(g, o);
  CHECK(exe.input_names() == std::vector<std::string>{"x", "h0"});
  CHECK(exe.output_names() == std::vector<std::string>{"out", "c", "h"});
  REQUIRE(!progress.empty());
  CHECK(progress.back().stage == "done");
  CHECK(progress.back().done == progress.back().total);
  CHECK(progress.back().total == 5);  // lstm, transpose, gru, slice, concat

  Interpreter ref(g);
  for (uint32_t seed : {10u, 20u}) {
    std::vector<Tensor> in = {random_f32({5, 2, 3}, seed), random_f32({2, 2, 4}, seed + 1)};
    auto want = ref.run(in);
    auto got = exe.run(in);
    REQUIRE(got.size() == want.size());
    for (size_t i = 0; i < got.size(); ++i) {
      REQUIRE(got[i].type() == want[i].type());
      for (int64_t k = 0; k < got[i].numel(); ++k) {
        INFO("output " << i << " element " << k);
        CHECK(got[i].data<float>()[k] ==
              Approx(want[i].data<float>()[k]).epsilon(1e-4).margin(1e-5));
      }
    }
  }
}

TEST_CASE("compile: constant initial states, all-zero (treated as absent) and not", "[compile]") {
  // Exporters write a zero initial state as an initializer; the compiled
  // kernel then starts from its own zero state (and skips step 0's matvec),
  // while a nonzero constant state must still be read.
  for (bool zero : {true, false}) {
    GraphBuilder b("const_state");
    Val x = b.input("x", DType::f32, {4, 3, 5});
    RecurrentInputs l;
    l.x = x;
    l.w = b.constant("w", random_f32({2, 24, 5}, 1));
    l.r = b.constant("r", random_f32({2, 24, 6}, 2));
    l.b = b.constant("b", random_f32({2, 48}, 3));
    Tensor h0 = zero ? Tensor(DType::f32, {2, 3, 6}) : random_f32({2, 3, 6}, 4);
    Tensor c0 = zero ? Tensor(DType::f32, {2, 3, 6}) : random_f32({2, 3, 6}, 5);
    l.initial_h = b.constant("h0", h0);
    l.initial_c = b.constant("c0", c0);
    RecurrentOutputs lo =
        b.lstm(l, {.hidden_size = 6, .direction = Direction::Bidirectional}, {}, "lstm");
    b.output(lo.y, "y");
    b.output(lo.y_h, "y_h");
    b.output(lo.y_c, "y_c");
    Graph g = b.build();
    Executable exe = compile(g, CompileOptions{});
    Interpreter ref(g);
    const std::vector<Tensor> in = {random_f32({4, 3, 5}, 6)};
    const auto want = ref.run(in);
    const auto got = exe.run(in);
    REQUIRE(got.size() == 3);
    INFO("zero state " << zero);
    for (size_t i = 0; i < got.size(); ++i)
      CHECK(test::max_abs_diff(got[i], want[i]) <= 2e-5);
  }
}
