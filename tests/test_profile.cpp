// Tests of per-step profiling (Executable::profile) and of the per-step
// descriptions and FLOP counts behind `loomc bench --per-layer`.
#include <random>

#include <catch2/catch.hpp>

#include "compiler/compile.h"
#include "compiler/step_info.h"
#include "ir/builder.h"
#include "ir/shape_inference.h"
#include "runtime/executable.h"
#include "test_util.h"

using namespace loom;
using test::random_f32;

namespace {

// conv 3x3/s2 (4->8, 10x10->5x5) + ReLU, maxpool 2x2 (5x5->2x2), flatten
// (an alias step), Gemm 32->3.
Graph small_cnn() {
  GraphBuilder b("small_cnn");
  Val x = b.input("x", DType::f32, {1, 4, 10, 10});
  Val w = b.constant("w", random_f32({8, 4, 3, 3}, 2));
  Val bias = b.constant("b", random_f32({8}, 3));
  Val y = b.relu(b.conv(x, w, bias, {.strides = {2, 2}, .pads = {1, 1, 1, 1}}, "conv"), "relu");
  Val p = b.max_pool(y, {.kernel_shape = {2, 2}, .strides = {2, 2}}, "pool");
  Val f = b.flatten(p, 1, "flat");
  Val fc = b.gemm(f, b.constant("fw", random_f32({32, 3}, 4)), {}, {}, "fc");
  b.output(fc, "y");
  return b.build();
}

}  // namespace

TEST_CASE("profile: one timing per step, names as step_names, within the whole run", "[profile]") {
  Graph g = small_cnn();
  Executable exe = compile(g);
  const std::vector<Tensor> in{random_f32({1, 4, 10, 10}, 7)};
  const RunProfile p = exe.profile(in, 5);
  const std::vector<std::string> names = exe.step_names();
  REQUIRE(p.iters == 5);
  REQUIRE(p.steps.size() == names.size());
  REQUIRE(names.size() >= 3);
  bool saw_alias = false;
  double sum_min = 0;
  for (size_t i = 0; i < names.size(); ++i) {
    CHECK(p.steps[i].name == names[i]);
    CHECK(p.steps[i].min_ms >= 0);
    CHECK(p.steps[i].min_ms <= p.steps[i].median_ms);
    sum_min += p.steps[i].min_ms;
    saw_alias |= names[i] == "alias";
  }
  CHECK(saw_alias);
  // Each run's steps lie inside that run's wall time, so the sum of the
  // per-step minima cannot exceed the fastest whole run.
  CHECK(sum_min <= p.min_ms + 1e-9);
  CHECK(p.min_ms <= p.median_ms);
  // Profiling computes the same outputs as run().
  CHECK(exe.run(in)[0].data<float>()[0] == exe.run(in)[0].data<float>()[0]);
  CHECK_THROWS_AS(exe.profile(in, 0), InputError);
}

TEST_CASE("profile: FLOP counts and summaries of known layers", "[profile]") {
  Graph g = small_cnn();
  infer_shapes(g);
  const Node& conv = g.nodes[0];
  REQUIRE(conv.op == OpKind::Conv);
  // 2 * (8 channels * 5 * 5 outputs) * (4 input channels * 3 * 3 taps).
  CHECK(node_flops(g, conv) == 2 * 8 * 25 * 36);
  CHECK(node_summary(g, conv) == "Conv 3x3/s2x2 4->8 10x10->5x5");

  // Grouped and 1x1 convs.
  GraphBuilder b("g");
  Val x = b.input("x", DType::f32, {2, 6, 7, 7});
  Val y = b.conv(x, b.constant("w", random_f32({4, 3, 3, 3}, 1)), {},
                 {.pads = {1, 1, 1, 1}, .group = 2}, "gconv");
  b.output(b.conv(y, b.constant("w1", random_f32({16, 4, 1, 1}, 1)), {}, {}, "pw"), "z");
  Graph g2 = b.build();
  infer_shapes(g2);
  // batch 2 * 4 out channels * 49 pixels * (3 channels per group * 9 taps) * 2
  CHECK(node_flops(g2, g2.nodes[0]) == 2 * 2 * 4 * 49 * 27);
  CHECK(node_summary(g2, g2.nodes[0]) == "Conv 3x3/g2 6->4 7x7->7x7");
  CHECK(node_flops(g2, g2.nodes[1]) == 2 * 2 * 16 * 49 * 4);

  const std::vector<StepInfo> steps = describe_steps(small_cnn());
  Executable exe = compile(small_cnn());
  const std::vector<std::string> names = exe.step_names();
  REQUIRE(steps.size() == names.size());
  for (size_t i = 0; i < steps.size(); ++i)
    CHECK(steps[i].kernel == names[i]);
  // The conv group fuses ReLU (one op per output) and the pool (4 reads per output).
  CHECK(steps[0].summary == "Conv 3x3/s2x2 4->8 10x10->5x5 +Relu +MaxPool");
  CHECK(steps[0].flops == 2 * 8 * 25 * 36 + 8 * 25 + 8 * 4 * 4);
  CHECK(steps[0].fma_bound);
  const StepInfo& fc = steps.back();
  CHECK(fc.summary == "Gemm 1x32->1x3");
  CHECK(fc.flops == 2 * 3 * 32);
}

TEST_CASE("profile: FLOP counts and summaries of recurrent layers", "[profile]") {
  GraphBuilder b("rec");
  Val x = b.input("x", DType::f32, {6, 2, 5});  // T=6, B=2, I=5
  RecurrentInputs l;
  l.x = x;
  l.w = b.constant("w", random_f32({2, 28, 5}, 1));  // bidirectional, 4 gates x H=7
  l.r = b.constant("r", random_f32({2, 28, 7}, 2));
  RecurrentOutputs o =
      b.lstm(l, {.hidden_size = 7, .direction = Direction::Bidirectional}, {}, "lstm");
  b.output(o.y, "y");
  RecurrentInputs gi;
  gi.x = b.input("xb", DType::f32, {3, 4, 5});  // batch-first: B=3, T=4, I=5
  gi.w = b.constant("gw", random_f32({1, 9, 5}, 3));
  gi.r = b.constant("gr", random_f32({1, 9, 3}, 4));
  b.output(b.gru(gi, {.hidden_size = 3, .layout = 1}, {}, "gru").y, "gy");
  Graph g = b.build();
  infer_shapes(g);
  // rows (T·B) x directions x gates·H x (input + hidden), two FLOPs per FMA.
  CHECK(node_flops(g, g.nodes[0]) == 2 * 12 * 2 * 28 * (5 + 7));
  CHECK(node_summary(g, g.nodes[0]) == "LSTM bidirectional h7 T6 B2 I5");
  CHECK(node_flops(g, g.nodes[1]) == 2 * 12 * 1 * 9 * (5 + 3));
  CHECK(node_summary(g, g.nodes[1]) == "GRU forward h3 T4 B3 I5");
}
