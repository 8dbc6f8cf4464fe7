// Tests of the conv-specific parts of the Halide lowering and default
// schedule: output-channel-blocked weight packing (block sizes 32, 16 and
// unblocked), channel-vector tiles on wide maps and at stride 2, conv values
// stored channels innermost for the pools of their group, and the fused
// (channel blocks x rows) parallel loop, conv rows computed inside the row
// loop of a pool (sliding when windows overlap); all checked against the reference
// interpreter at 1 and 2 threads.
#include <cmath>
#include <random>

#include <catch2/catch.hpp>

#include "backends/halide/halide_backend.h"
#include "ir/builder.h"
#include "ir/interpreter.h"
#include "ir/schedule.h"

using namespace loom;

namespace {

Tensor random_tensor(std::mt19937& rng, const Shape& s) {
  std::uniform_real_distribution<float> d(-1.f, 1.f);
  std::vector<float> v(static_cast<size_t>(shape_numel(s)));
  for (float& x : v)
    x = d(rng);
  return Tensor::from_vector<float>(s, v);
}

// Max relative difference of the Halide group against the interpreter.
double max_rel_error(const Graph& g, int threads, uint32_t seed) {
  std::mt19937 rng(seed);
  std::vector<Tensor> inputs;
  for (ValueId id : g.inputs)
    inputs.push_back(random_tensor(rng, g.type_of(id).shape));
  HalideGroupOptions o;
  o.threads = threads;
  auto kernel = compile_halide_group(g, o);
  const std::vector<Tensor> got = (*kernel)(inputs);
  const std::vector<Tensor> want = Interpreter(g).run(inputs);
  REQUIRE(got.size() == want.size());
  double worst = 0;
  for (size_t k = 0; k < got.size(); ++k) {
    REQUIRE(got[k].shape() == want[k].shape());
    for (int64_t i = 0; i < got[k].numel(); ++i) {
      const double a = got[k].data<float>()[i], b = want[k].data<float>()[i];
      worst = std::max(worst, std::fabs(a - b) / (1.0 + std::fabs(b)));
    }
  }
  return worst;
}

Graph conv_relu(int64_t cin, int64_t cout, int64_t hw, int64_t stride, int64_t k, int64_t group,
                uint32_t seed) {
  std::mt19937 rng(seed);
  GraphBuilder b("conv_relu");
  Val x = b.input("x", DType::f32, {1, cin, hw, hw});
  Val w = b.constant("w", random_tensor(rng, {cout, cin / group, k, k}));
  Val bias = b.constant("b", random_tensor(rng, {cout}));
  const int64_t p = k / 2;
  b.output(b.relu(b.conv(x, w, bias,
                         {.strides = {stride, stride}, .pads = {p, p, p, p}, .group = group})),
           "y");
  return b.build();
}

const FuncSchedule* find_func(const GroupSchedule& s, const std::string& name) {
  for (const FuncSchedule& f : s.funcs)
    if (f.func == name) return &f;
  return nullptr;
}

}  // namespace

TEST_CASE("conv schedule: blocked weight packing for 64, 48 and 24 output channels",
          "[halide][convsched]") {
  // 64: blocks of 32; 48: blocks of 16; 24: unblocked. Wide maps (40x40)
  // and stride 2 take channel-vector tiles; 2 threads take the fused
  // channel-block x row parallel loop.
  for (int threads : {1, 2}) {
    for (int64_t cout : {64, 48, 24}) {
      INFO("cout " << cout << " threads " << threads);
      CHECK(max_rel_error(conv_relu(5, cout, 40, 1, 3, 1, 1), threads, 2) < 1e-4);
      CHECK(max_rel_error(conv_relu(8, cout, 23, 2, 3, 1, 3), threads, 4) < 1e-4);
    }
    CHECK(max_rel_error(conv_relu(16, 64, 9, 2, 1, 1, 5), threads, 6) < 1e-4);
    CHECK(max_rel_error(conv_relu(8, 64, 12, 1, 3, 2, 7), threads, 8) < 1e-4);
  }
}

TEST_CASE("conv schedule: conv values feeding pools are stored channels innermost",
          "[halide][convsched]") {
  std::mt19937 rng(11);
  // conv 7x7/s2 + ReLU + MaxPool 3x3/s2 pad 1 (the ResNet stem, smaller).
  GraphBuilder b("stem");
  Val x = b.input("x", DType::f32, {1, 3, 30, 30});
  Val c = b.conv(x, b.constant("w", random_tensor(rng, {32, 3, 7, 7})), {},
                 {.strides = {2, 2}, .pads = {3, 3, 3, 3}}, "conv");
  b.output(b.max_pool(b.relu(c, "relu"),
                      {.kernel_shape = {3, 3}, .strides = {2, 2}, .pads = {1, 1, 1, 1}}, "pool"),
           "y");
  Graph stem = b.build();
  // Overlapping pool windows: the conv rows slide along the pool's row
  // loop (one serial chunk of rows per thread), stored channels innermost.
  for (int threads : {1, 2}) {
    HalideGroupOptions o;
    o.threads = threads;
    const GroupSchedule s = default_halide_schedule(stem, o);
    const FuncSchedule* conv = find_func(s, "conv");
    REQUIRE(conv);
    CHECK(conv->compute.kind == LoopLevel::Kind::At);
    CHECK(conv->compute.var == (threads == 1 ? "d2" : "d2i"));
    CHECK(conv->store.kind == (threads == 1 ? LoopLevel::Kind::Root : LoopLevel::Kind::At));
    REQUIRE(!conv->storage_order.empty());
    CHECK(conv->storage_order.front() == "d1");
    CHECK(max_rel_error(stem, threads, 12) < 1e-4);
  }

  // conv + residual Add + ReLU + GlobalAveragePool (the last ResNet group).
  GraphBuilder b2("tail");
  Val x2 = b2.input("x", DType::f32, {1, 32, 7, 7});
  Val r2 = b2.input("res", DType::f32, {1, 32, 7, 7});
  Val c2 = b2.conv(x2, b2.constant("w", random_tensor(rng, {32, 32, 3, 3})),
                   b2.constant("b", random_tensor(rng, {32})), {.pads = {1, 1, 1, 1}}, "conv");
  b2.output(b2.global_average_pool(b2.relu(b2.add(c2, r2, "add"), "relu"), "gap"), "y");
  Graph tail = b2.build();
  // A global pool has one row: the conv stays at the root (and parallel).
  for (int threads : {1, 2}) {
    HalideGroupOptions o;
    o.threads = threads;
    const GroupSchedule s2 = default_halide_schedule(tail, o);
    const FuncSchedule* conv2 = find_func(s2, "conv");
    REQUIRE(conv2);
    CHECK(conv2->compute.kind == LoopLevel::Kind::Root);
    REQUIRE(!conv2->storage_order.empty());
    CHECK(conv2->storage_order.front() == "d1");
    CHECK(max_rel_error(tail, threads, 13) < 1e-4);
  }

  // Non-overlapping pool windows (2x2/s2, CRNN-style): the conv rows are
  // computed inside the pool's row loop, no sliding needed.
  GraphBuilder b3("crnn_block");
  Val x3 = b3.input("x", DType::f32, {1, 8, 12, 20});
  Val c3 = b3.conv(x3, b3.constant("w", random_tensor(rng, {32, 8, 3, 3})),
                   b3.constant("b", random_tensor(rng, {32})), {.pads = {1, 1, 1, 1}}, "conv");
  b3.output(b3.max_pool(b3.relu(c3, "relu"), {.kernel_shape = {2, 2}, .strides = {2, 2}}, "pool"),
            "y");
  Graph block = b3.build();
  for (int threads : {1, 2}) {
    HalideGroupOptions o;
    o.threads = threads;
    const GroupSchedule s4 = default_halide_schedule(block, o);
    const FuncSchedule* conv4 = find_func(s4, "conv");
    REQUIRE(conv4);
    CHECK(conv4->compute.kind == LoopLevel::Kind::At);
    CHECK(conv4->compute.var == "d2");
    CHECK(max_rel_error(block, threads, 15) < 1e-4);
  }

  // A conv whose value is a group output keeps the ONNX layout.
  const GroupSchedule s3 = default_halide_schedule(conv_relu(8, 32, 16, 1, 3, 1, 14));
  for (const FuncSchedule& f : s3.funcs)
    if (f.compute.kind == LoopLevel::Kind::Root) CHECK(f.storage_order.empty());
}

TEST_CASE("dense schedule: a batched MatMul with one row per batch entry tiles the batch loop",
          "[halide][convsched]") {
  // [T,1,K] x [K,N] + bias, the per-time-step classifier of a CRNN: its rows
  // are the T loop, which the tile must take (odd T, N and K for the tails).
  std::mt19937 rng(21);
  GraphBuilder b("classifier");
  Val x = b.input("x", DType::f32, {13, 1, 45});
  Val y = b.add(b.matmul(x, b.constant("w", random_tensor(rng, {45, 37})), "fc"),
                b.constant("bias", random_tensor(rng, {37})), "fc_add");
  b.output(y, "y");
  Graph g = b.build();
  for (int threads : {1, 2}) {
    HalideGroupOptions o;
    o.threads = threads;
    const GroupSchedule s = default_halide_schedule(g, o);
    bool tiles_rows = false;
    for (const FuncSchedule& f : s.funcs)
      for (const StageSchedule& st : f.stages)
        for (const LoopDirective& d : st.directives)
          tiles_rows |= d.kind == LoopDirective::Kind::Split && !d.vars.empty() &&
                        d.vars[0] == "d0" && d.factor > 1;
    INFO("threads " << threads);
    CHECK(tiles_rows);
    CHECK(max_rel_error(g, threads, 22) < 1e-4);
  }
}
