// Tests of the choose_layout pass (channel-blocked values between Halide
// groups): which values it blocks and which stay row-major, and that
// compiled models with blocked values give the reference interpreter's
// results, with the pass on and off, at 1 and 2 threads.
#include <unistd.h>

#include <cmath>
#include <filesystem>
#include <random>
#include <sstream>

#include <catch2/catch.hpp>

#include "backends/halide/halide_backend.h"
#include "compiler/compile.h"
#include "compiler/passes/choose_layout.h"
#include "ir/builder.h"
#include "ir/interpreter.h"
#include "ir/schedule.h"

using namespace loom;

namespace {

Tensor random_tensor(uint32_t seed, const Shape& s, float scale = 1.f) {
  std::mt19937 rng(seed);
  std::uniform_real_distribution<float> d(-scale, scale);
  std::vector<float> v(static_cast<size_t>(shape_numel(s)));
  for (float& x : v)
    x = d(rng);
  return Tensor::from_vector<float>(s, v);
}

// conv kxk (pad k/2) with bias; weights scaled so values stay O(1).
Val conv(GraphBuilder& b, Val x, int64_t cin, int64_t cout, int64_t k, int64_t stride,
         uint32_t seed, const std::string& name) {
  const float scale = 1.f / std::sqrt(static_cast<float>(cin * k * k));
  const int64_t p = k / 2;
  return b.conv(x, b.constant(name + "_w", random_tensor(seed, {cout, cin, k, k}, scale)),
                b.constant(name + "_b", random_tensor(seed + 1, {cout}, 0.1f)),
                {.strides = {stride, stride}, .pads = {p, p, p, p}}, name);
}

// A ResNet-like stack: stem conv + ReLU, a basic block (conv ReLU conv +
// residual Add, ReLU), a downsampling block whose 1x1/s2 projection is a
// group of its own read by the residual Add of the 3x3/s2 conv group, that
// group's GlobalAveragePool, Flatten, Gemm. `c` channels.
Graph resnet_like(int64_t c) {
  GraphBuilder b("resnet_like");
  Val x = b.input("x", DType::f32, {1, 3, 12, 12});
  Val x0 = b.relu(conv(b, x, 3, c, 3, 1, 10, "stem"), "x0");
  Val y = b.relu(conv(b, x0, c, c, 3, 1, 20, "b1c1"), "y");
  Val z = b.relu(b.add(conv(b, y, c, c, 3, 1, 30, "b1c2"), x0, "b1add"), "z");
  Val d = conv(b, z, c, 2 * c, 1, 2, 40, "proj");
  Val e = b.relu(conv(b, z, c, 2 * c, 3, 2, 50, "b2c1"), "e");
  Val f = b.relu(b.add(conv(b, e, 2 * c, 2 * c, 3, 1, 60, "b2c2"), d, "b2add"), "f");
  Val p = b.global_average_pool(f, "gap");
  Val fl = b.flatten(p, 1, "flat");
  b.output(b.gemm(fl, b.constant("fc_w", random_tensor(70, {2 * c, 5}, 0.2f)),
                  b.constant("fc_b", random_tensor(71, {5}, 0.1f)), {}, "fc"),
           "logits");
  return b.build();
}

// A CRNN-like stack: conv ReLU pool 2x2, conv ReLU, conv ReLU pool (2,1),
// squeeze the height, time-major, LSTM, classifier.
Graph crnn_like(int64_t c) {
  GraphBuilder b("crnn_like");
  Val x = b.input("image", DType::f32, {1, 1, 8, 10});
  Val a = b.max_pool(b.relu(conv(b, x, 1, c, 3, 1, 10, "c1"), "r1"),
                     {.kernel_shape = {2, 2}, .strides = {2, 2}}, "p1");  // [1,c,4,5]
  Val m = b.relu(conv(b, a, c, c, 3, 1, 20, "c2"), "r2");
  Val q = b.max_pool(b.relu(conv(b, m, c, c, 3, 1, 30, "c3"), "r3"),
                     {.kernel_shape = {2, 1}, .strides = {2, 1}}, "p3");      // [1,c,2,5]
  Val q2 = b.max_pool(q, {.kernel_shape = {2, 1}, .strides = {2, 1}}, "p4");  // [1,c,1,5]
  Val s = b.transpose(b.squeeze(q2, {2}, "sq"), {.perm = {2, 0, 1}}, "tm");   // [5,1,c]
  RecurrentInputs l;
  l.x = s;
  l.w = b.constant("lw", random_tensor(80, {1, 16, c}, 0.2f));
  l.r = b.constant("lr", random_tensor(81, {1, 16, 4}, 0.2f));
  RecurrentOutputs lo = b.lstm(l, {.hidden_size = 4}, {}, "lstm");  // [5,1,1,4]
  Val y = b.reshape(lo.y, {.shape = {5, 4}}, "rs");
  b.output(b.gemm(y, b.constant("ow", random_tensor(82, {4, 3}, 0.5f)), {}, {}, "cls"), "out");
  return b.build();
}

// The layout chosen for the value named `name` (its producing group's
// output entry), checked against every reading group's input entry.
int layout_of(const Graph& g, const Partition& part, const std::string& name) {
  int found = -1;
  for (const KernelGroup& gr : part.groups)
    for (size_t i = 0; i < gr.outputs.size(); ++i)
      if (g.value(gr.outputs[i]).name == name) found = gr.output_blocks.at(i);
  REQUIRE(found >= 0);
  for (const KernelGroup& gr : part.groups)
    for (size_t i = 0; i < gr.inputs.size(); ++i)
      if (g.value(gr.inputs[i]).name == name) CHECK(gr.input_blocks.at(i) == found);
  return found;
}

Partition layouts(const Graph& model, int block, Graph& after) {
  after = run_pipeline(model, {});
  Partition part = partition_graph(after);
  choose_layout(after, part, block);
  return part;
}

double max_rel_diff(const Tensor& a, const Tensor& b) {
  REQUIRE(a.shape() == b.shape());
  double worst = 0;
  for (int64_t i = 0; i < a.numel(); ++i) {
    const double x = a.data<float>()[i], y = b.data<float>()[i];
    worst = std::max(worst, std::fabs(x - y) / (1.0 + std::fabs(y)));
  }
  return worst;
}

void check_model(const Graph& g, const Tensor& input) {
  const std::vector<Tensor> want = Interpreter(g).run({input});
  for (int threads : {1, 2}) {
    std::vector<Tensor> got[2];
    for (bool blocked : {true, false}) {
      CompileOptions o;
      o.threads = threads;
      o.blocked_layout = blocked;
      got[blocked] = compile(g, o).run({input});
      REQUIRE(got[blocked].size() == want.size());
      for (size_t i = 0; i < want.size(); ++i) {
        INFO("threads " << threads << " blocked " << blocked << " output " << i);
        CHECK(max_rel_diff(got[blocked][i], want[i]) < 1e-4);
      }
    }
    for (size_t i = 0; i < want.size(); ++i)
      CHECK(max_rel_diff(got[1][i], got[0][i]) < 1e-5);
  }
}

}  // namespace

TEST_CASE("choose_layout: ResNet-like values between conv groups are blocked", "[layout]") {
  Graph g;
  const Partition part = layouts(resnet_like(32), 16, g);
  // Conv group outputs read by convs and residual Adds of other groups.
  CHECK(layout_of(g, part, "x0") == 16);
  CHECK(layout_of(g, part, "y") == 16);
  CHECK(layout_of(g, part, "z") == 16);
  CHECK(layout_of(g, part, "proj") == 16);
  CHECK(layout_of(g, part, "e") == 16);
  // A pool's output read by a Flatten (an alias view), the model output.
  CHECK(layout_of(g, part, "gap") == 0);
  CHECK(layout_of(g, part, "logits") == 0);
  // Inputs stay row-major.
  for (const KernelGroup& gr : part.groups)
    for (size_t i = 0; i < gr.inputs.size(); ++i)
      if (g.value(gr.inputs[i]).name == "x") CHECK(gr.input_blocks.at(i) == 0);
  // The printed partition shows the decisions.
  const std::string printed = part.print(g);
  CHECK(printed.find("%x0: f32[1,32,12,12] @NCHW16c") != std::string::npos);
  CHECK(printed.find("@NCHW16c") != std::string::npos);

  // Block 0 (the pass off) and a block that does not divide the channels.
  Graph g0;
  for (int block : {0, 24}) {
    const Partition p0 = layouts(resnet_like(32), block, g0);
    for (const KernelGroup& gr : p0.groups) {
      for (int b : gr.input_blocks)
        CHECK(b == 0);
      for (int b : gr.output_blocks)
        CHECK(b == 0);
    }
  }
}

TEST_CASE("choose_layout: values a consumer cannot take blocked stay row-major", "[layout]") {
  GraphBuilder b("mixed");
  Val x = b.input("x", DType::f32, {1, 16, 6, 6});
  Val a = b.relu(conv(b, x, 16, 32, 3, 1, 1, "a"), "ra");  // read by a Flatten
  Val c = b.relu(conv(b, x, 16, 18, 3, 1, 2, "c"), "rc");  // 18 channels
  Val d = b.relu(conv(b, x, 16, 32, 3, 1, 3, "d"), "rd");  // also a model output
  Val e = b.relu(conv(b, x, 16, 32, 3, 1, 4, "e"), "re");  // read by conv: blocked
  Val t = b.transpose(conv(b, x, 16, 32, 1, 1, 5, "t"), {.perm = {0, 1, 3, 2}}, "tr");
  b.output(b.flatten(a, 1, "fa"), "o1");
  b.output(b.relu(conv(b, c, 18, 16, 3, 1, 6, "c2"), "rc2"), "o2");
  b.output(d, "o3");
  b.output(b.relu(conv(b, d, 32, 16, 3, 1, 7, "d2"), "rd2"), "o4");
  b.output(b.relu(conv(b, e, 32, 16, 3, 1, 8, "e2"), "re2"), "o5");
  b.output(t, "o6");
  Graph model = b.build();
  Graph g;
  const Partition part = layouts(model, 16, g);
  CHECK(layout_of(g, part, "ra") == 0);  // Flatten (alias view)
  CHECK(layout_of(g, part, "rc") == 0);  // 18 % 16 != 0
  CHECK(layout_of(g, part, "o3") == 0);  // a model output
  CHECK(layout_of(g, part, "re") == 16);
  CHECK(layout_of(g, part, "t") == 0);  // a Transpose (movement kernel)
  // With 2 channels per block the 18-channel value is blocked too.
  const Partition p2 = layouts(model, 2, g);
  CHECK(layout_of(g, p2, "rc") == 2);
  CHECK(layout_of(g, p2, "ra") == 0);

  // And the compiled model matches the reference with the pass on and off.
  check_model(model, random_tensor(9, {1, 16, 6, 6}));
}

TEST_CASE("choose_layout: a ResNet-like block compiles to the reference results", "[layout]") {
  const Graph g = resnet_like(32);
  check_model(g, random_tensor(5, {1, 3, 12, 12}));
  // --print-after=choose_layout shows the decisions.
  std::ostringstream out;
  CompileOptions o;
  o.passes.print_after = {"choose_layout"};
  o.passes.print_stream = &out;
  compile(g, o);
  const int lanes = halide_target_vector_lanes("host");
  CHECK(out.str().find("after choose_layout") != std::string::npos);
  CHECK(out.str().find(fmt::format("%y: f32[1,32,12,12] @NCHW{}c", lanes)) != std::string::npos);
}

TEST_CASE("choose_layout: a CRNN-like stack compiles to the reference results", "[layout]") {
  const Graph model = crnn_like(32);
  Graph g;
  const Partition part = layouts(model, 16, g);
  CHECK(layout_of(g, part, "r2") == 16);  // conv group read by a conv group
  CHECK(layout_of(g, part, "p1") == 16);  // conv + 2x2/s2 pool read by a conv group
  check_model(model, random_tensor(6, {1, 1, 8, 10}));
}

TEST_CASE("choose_layout: pooled conv outputs are blocked only for non-overlapping pools",
          "[layout]") {
  for (bool overlapping : {false, true}) {
    GraphBuilder b("pooled");
    Val x = b.input("image", DType::f32, {1, 3, 13, 11});
    const PoolAttrs pool =
        overlapping ? PoolAttrs{.kernel_shape = {3, 3}, .strides = {2, 2}, .pads = {1, 1, 1, 1}}
                    : PoolAttrs{.kernel_shape = {2, 2}, .strides = {2, 2}};
    Val p = b.max_pool(b.relu(conv(b, x, 3, 32, 3, 1, 40, "c1"), "r1"), pool, "p1");
    b.output(b.relu(conv(b, p, 32, 16, 3, 1, 41, "c2"), "r2"), "y");
    const Graph model = b.build();
    Graph g;
    const Partition part = layouts(model, 16, g);
    INFO("overlapping " << overlapping);
    CHECK(layout_of(g, part, "p1") == (overlapping ? 0 : 16));
    check_model(model, random_tensor(7, {1, 3, 13, 11}));
  }
}

TEST_CASE("choose_layout: schedule files saved with and without blocked outputs", "[layout]") {
  const Graph g = resnet_like(32);
  const Tensor x = random_tensor(7, {1, 3, 12, 12});
  const std::vector<Tensor> want = Interpreter(g).run({x});
  const auto dir = std::filesystem::temp_directory_path() /
                   fmt::format("loom_layout_test_{}", static_cast<long>(::getpid()));
  std::filesystem::create_directories(dir);
  for (bool saved_blocked : {true, false}) {
    INFO("saved blocked " << saved_blocked);
    ModelSchedule used;
    CompileOptions save;
    save.blocked_layout = saved_blocked;
    save.schedules_used = &used;
    compile(g, save);
    const std::string path = (dir / fmt::format("s{}.json", saved_blocked)).string();
    save_model_schedule_file(used, path);
    // Loaded with the pass on: the layouts follow what the file schedules.
    std::ostringstream out;
    CompileOptions load;
    load.schedule = path;
    load.passes.print_after = {"choose_layout"};
    load.passes.print_stream = &out;
    const std::vector<Tensor> got = compile(g, load).run({x});
    CHECK((out.str().find("@NCHW") != std::string::npos) == saved_blocked);
    REQUIRE(got.size() == 1);
    CHECK(max_rel_diff(got[0], want[0]) < 1e-4);
  }
  std::filesystem::remove_all(dir);
}

namespace {

// Values in [0.5, 1.5): BatchNormalization scales and variances.
Tensor positive(uint32_t seed, int64_t n) {
  Tensor t = random_tensor(seed, {n}, 0.5f);
  for (int64_t i = 0; i < n; ++i)
    t.data<float>()[i] += 1.f;
  return t;
}

}  // namespace

TEST_CASE("layout: a BatchNormalization group feeding a conv writes blocked (DenseNet)",
          "[layout]") {
  // concat -> BN -> ReLU -> 1x1 conv, DenseNet's pre-activation: the BN
  // group's output is what the conv reads channel after channel.
  GraphBuilder b("dense_layer");
  Val x = b.input("x", DType::f32, {1, 16, 10, 10});
  Val c1 = b.conv(x, b.constant("w1", random_tensor(1, {16, 16, 3, 3})), {}, {.pads = {1, 1, 1, 1}},
                  "c1");
  Val cat = b.concat(std::vector<Val>{x, c1}, 1, "cat");
  Val bn = b.op(OpKind::BatchNormalization,
                {cat, b.constant("s", positive(2, 32)), b.constant("bb", random_tensor(3, {32})),
                 b.constant("m", random_tensor(4, {32})), b.constant("v", positive(5, 32))},
                BatchNormAttrs{}, 1, "bn")[0];
  Val r = b.relu(bn, "relu");
  b.output(b.conv(r, b.constant("w2", random_tensor(6, {32, 32, 1, 1})), {}, {}, "c2"), "y");
  const Graph g = b.build();
  Graph after;
  const Partition part = layouts(g, 16, after);
  CHECK(layout_of(after, part, "relu") == 16);
  check_model(g, random_tensor(7, {1, 16, 10, 10}));
}
