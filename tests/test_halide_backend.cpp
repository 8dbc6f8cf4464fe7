// Halide backend: every op and fused combinations against the reference
// interpreter, a randomized differential test of conv/pool/dense/activation
// chains, every schedule source and the SSE/AVX2 targets on one conv group,
// and schedule values (JSON round trip, typed errors). [halide]
#include <cmath>
#include <random>

#include <catch2/catch.hpp>

#include "backends/halide/halide_backend.h"
#include "ir/builder.h"
#include "ir/interpreter.h"
#include "ir/json.h"
#include "ir/schedule.h"
#include "test_util.h"

using namespace loom;

namespace {

Tensor random_tensor(std::mt19937& rng, const Shape& s, float lo = -1.f, float hi = 1.f) {
  std::uniform_real_distribution<float> d(lo, hi);
  std::vector<float> v(static_cast<size_t>(shape_numel(s)));
  for (float& x : v)
    x = d(rng);
  return Tensor::from_vector<float>(s, v);
}

// Compiles the group, runs it and the interpreter on the same random inputs
// and compares every output element.
void check_against_reference(const Graph& g, const HalideGroupOptions& opt, uint32_t seed,
                             double tol = 1e-4) {
  std::mt19937 rng(seed);
  std::vector<Tensor> inputs;
  for (ValueId id : g.inputs)
    inputs.push_back(random_tensor(rng, g.type_of(id).shape));
  auto kernel = compile_halide_group(g, opt);
  std::vector<Tensor> got = (*kernel)(inputs);
  std::vector<Tensor> want = Interpreter(g).run(inputs);
  REQUIRE(got.size() == want.size());
  for (size_t o = 0; o < got.size(); ++o) {
    INFO("group " << g.name << " output " << g.value(g.outputs[o]).name);
    REQUIRE(got[o].shape() == want[o].shape());
    const float* a = got[o].data<float>();
    const float* b = want[o].data<float>();
    int64_t bad = 0;
    for (int64_t i = 0; i < got[o].numel(); ++i) {
      const double diff = std::fabs(double(a[i]) - double(b[i]));
      if (!(diff <= tol * (1.0 + std::fabs(double(b[i]))))) {
        if (bad++ < 5)
          UNSCOPED_INFO("element " << i << ": halide " << a[i] << " reference " << b[i]);
      }
    }
    CHECK(bad == 0);
  }
}

Val weight(GraphBuilder& b, std::mt19937& rng, const std::string& name, const Shape& s) {
  return b.constant(name, random_tensor(rng, s));
}

HalideGroupOptions default_options() {
  HalideGroupOptions o;
  o.threads = 1;
  return o;
}

}  // namespace

TEST_CASE("Halide backend: a tiny conv gives hand-computed values", "[halide]") {
  GraphBuilder b("tiny");
  Val x = b.input("x", DType::f32, {1, 1, 3, 3});
  // 2x2 kernel of ones, bias 10, no padding: each output is 10 + sum of a 2x2 window.
  Val w = b.constant("w", Tensor::from_vector<float>({1, 1, 2, 2}, {1, 1, 1, 1}));
  Val bias = b.constant("b", Tensor::from_vector<float>({1}, {10}));
  b.output(b.relu(b.conv(x, w, bias)), "y");
  Graph g = b.build();
  auto k = compile_halide_group(g, default_options());
  auto out = (*k)({test::f32({1, 1, 3, 3}, {1, 2, 3, 4, 5, 6, 7, 8, 9})});
  test::check_values(out[0], {1, 1, 2, 2}, {22, 26, 34, 38});
  CHECK(k->schedule().producer == "default");
  CHECK(!k->schedule().funcs.empty());
}

TEST_CASE("Halide backend: elementwise, batchnorm and softmax ops", "[halide]") {
  std::mt19937 rng(1);
  GraphBuilder b("elementwise");
  Val x = b.input("x", DType::f32, {2, 3, 4, 5});
  Val y = b.input("y", DType::f32, {3, 1, 5});
  b.output(b.add(x, y), "add");
  b.output(b.sub(y, x), "sub");
  b.output(b.mul(x, b.constant("k", Tensor::scalar<float>(2.5f))), "mul");
  Val denom = b.constant("d", random_tensor(rng, {5}, 0.5f, 2.f));
  b.output(b.div(x, denom), "div");
  b.output(b.relu(x), "relu");
  b.output(b.leaky_relu(x, 0.2f), "leaky");
  b.output(b.sigmoid(b.mul(x, b.constant("big", Tensor::scalar<float>(30.f)))), "sigmoid");
  b.output(b.tanh(x), "tanh");
  b.output(b.clip(x, {.min = -0.3f, .max = 0.4f}), "clip");
  b.output(b.clip(x, {.min = 0.1f}), "clip_min");
  b.output(b.elu(x, 0.7f), "elu");
  b.output(
      b.batch_norm(x, weight(b, rng, "s", {3}), weight(b, rng, "bb", {3}), weight(b, rng, "m", {3}),
                   b.constant("v", random_tensor(rng, {3}, 0.1f, 2.f)), {.epsilon = 1e-3f}),
      "bn");
  b.output(b.softmax(x, {.axis = 1}), "softmax1");
  b.output(b.log_softmax(x, {.axis = -1}), "logsoftmax");
  b.output(b.softmax(x, {.axis = 2, .coerce_2d = true}), "softmax_2d");
  check_against_reference(b.build(), default_options(), 11);
}

TEST_CASE("Halide backend: view and data-movement ops", "[halide]") {
  GraphBuilder b("views");
  Val x = b.input("x", DType::f32, {2, 3, 4, 5});
  Val z = b.input("z", DType::f32, {2, 2, 4, 5});
  b.output(b.transpose(x, {.perm = {0, 2, 3, 1}}), "transpose");
  b.output(b.transpose(x), "transpose_rev");
  b.output(b.concat({x, z, x}, 1), "concat");
  b.output(b.slice(x, {.starts = {1, -1}, .ends = {3, 0}, .axes = {1, 3}, .steps = {1, -2}}),
           "slice");
  b.output(b.flatten(x, 2), "flatten");
  b.output(b.reshape(x, {.shape = {6, -1, 2}}), "reshape");
  Val u = b.unsqueeze(x, {0, 3});
  b.output(u, "unsqueeze");
  b.output(b.squeeze(u, {0}), "squeeze");
  b.output(b.relu(b.dropout(b.identity(x))), "identity_dropout");
  check_against_reference(b.build(), default_options(), 12);
}

TEST_CASE("Halide backend: conv variants", "[halide]") {
  std::mt19937 rng(2);
  GraphBuilder b("convs");
  Val x = b.input("x", DType::f32, {2, 4, 9, 11});
  b.output(b.conv(x, weight(b, rng, "w1", {6, 4, 3, 3}), weight(b, rng, "b1", {6}),
                  {.strides = {2, 1}, .pads = {1, 0, 2, 1}, .dilations = {1, 2}}),
           "strided_dilated");
  b.output(b.conv(x, weight(b, rng, "w2", {6, 2, 3, 2}), {}, {.pads = {1, 1, 1, 1}, .group = 2}),
           "grouped");
  b.output(b.conv(x, weight(b, rng, "w3", {4, 1, 3, 3}), weight(b, rng, "b3", {4}),
                  {.pads = {1, 1, 1, 1}, .group = 4}),
           "depthwise");
  b.output(b.conv(x, weight(b, rng, "w4", {20, 4, 1, 1})), "pointwise");
  b.output(b.conv(x, weight(b, rng, "w5", {3, 4, 3, 3}), {}, {.auto_pad = AutoPad::SameUpper}),
           "same_upper");
  check_against_reference(b.build(), default_options(), 13);

  GraphBuilder b1("conv1d");
  Val s = b1.input("s", DType::f32, {1, 3, 17});
  b1.output(b1.conv(s, weight(b1, rng, "w", {5, 3, 4}), weight(b1, rng, "b", {5}),
                    {.strides = {2}, .pads = {2, 1}, .dilations = {2}}),
            "y");
  check_against_reference(b1.build(), default_options(), 14);
}

TEST_CASE("Halide backend: pools", "[halide]") {
  GraphBuilder b("pools");
  Val x = b.input("x", DType::f32, {1, 3, 7, 8});
  b.output(
      b.max_pool(
          x, {.kernel_shape = {3, 3}, .strides = {2, 2}, .pads = {1, 1, 1, 1}, .ceil_mode = true}),
      "max_ceil");
  b.output(b.max_pool(x, {.kernel_shape = {2, 3}, .strides = {1, 2}, .dilations = {2, 1}}),
           "max_dilated");
  b.output(b.average_pool(x, {.kernel_shape = {3, 3},
                              .strides = {2, 2},
                              .pads = {1, 1, 1, 1},
                              .count_include_pad = true}),
           "avg_incl");
  b.output(
      b.average_pool(
          x, {.kernel_shape = {3, 2}, .strides = {2, 2}, .pads = {1, 0, 1, 1}, .ceil_mode = true}),
      "avg_excl_ceil");
  b.output(b.global_average_pool(x), "gap");
  b.output(b.global_max_pool(x), "gmp");
  check_against_reference(b.build(), default_options(), 15);
}

TEST_CASE("Halide backend: dense ops", "[halide]") {
  std::mt19937 rng(3);
  GraphBuilder b("dense");
  Val a = b.input("a", DType::f32, {5, 7});
  Val at = b.input("at", DType::f32, {7, 5});
  b.output(b.gemm(a, weight(b, rng, "w", {7, 20}), weight(b, rng, "c", {20}),
                  {.alpha = 0.5f, .beta = 2.f}),
           "gemm");
  b.output(b.gemm(at, weight(b, rng, "wt", {3, 7}), weight(b, rng, "c2", {5, 1}),
                  {.trans_a = true, .trans_b = true}),
           "gemm_trans");
  b.output(b.relu(b.gemm(a, b.input("rb", DType::f32, {7, 4}))), "gemm_runtime_b");
  Val ba = b.input("ba", DType::f32, {2, 1, 3, 7});
  b.output(b.matmul(ba, b.input("bb", DType::f32, {4, 7, 6})), "matmul_batched");
  b.output(b.matmul(a, weight(b, rng, "v", {7})), "matmul_vec");
  b.output(b.matmul(b.input("row", DType::f32, {7}), weight(b, rng, "m", {7, 9})), "matmul_row");
  b.output(b.matmul(a, weight(b, rng, "wm", {7, 33})), "matmul_const");
  check_against_reference(b.build(), default_options(), 16);
}

TEST_CASE("Halide backend: fused groups", "[halide]") {
  std::mt19937 rng(4);
  {
    GraphBuilder b("conv_add_relu_pool");
    Val x = b.input("x", DType::f32, {1, 8, 20, 20});
    Val c = b.conv(x, weight(b, rng, "w", {16, 8, 3, 3}), weight(b, rng, "b", {16}),
                   {.pads = {1, 1, 1, 1}});
    Val r = b.relu(b.add(c, b.input("skip", DType::f32, {1, 16, 20, 20})));
    b.output(b.max_pool(r, {.kernel_shape = {2, 2}, .strides = {2, 2}}), "y");
    check_against_reference(b.build(), default_options(), 21);
  }
  {
    GraphBuilder b("gemm_relu");
    Val x = b.input("x", DType::f32, {3, 40});
    b.output(b.relu(b.gemm(x, weight(b, rng, "w", {40, 50}), weight(b, rng, "b", {50}))), "y");
    check_against_reference(b.build(), default_options(), 22);
  }
  {
    // Small map, many channels: the channel-vectorized tile, two threads.
    GraphBuilder b("small_map");
    Val x = b.input("x", DType::f32, {1, 40, 5, 5});
    b.output(b.relu(b.conv(x, weight(b, rng, "w", {48, 40, 3, 3}), weight(b, rng, "b", {48}),
                           {.pads = {1, 1, 1, 1}})),
             "y");
    HalideGroupOptions o = default_options();
    o.threads = 2;
    check_against_reference(b.build(), o, 23);
  }
}

TEST_CASE("Halide backend: random conv/pool/dense/activation chains", "[halide]") {
  // Each seed builds one chain with random shapes and attributes; the
  // default schedule is the one under test.
  for (uint32_t seed = 100; seed < 112; ++seed) {
    std::mt19937 rng(seed);
    auto pick = [&](int lo, int hi) { return std::uniform_int_distribution<int>(lo, hi)(rng); };
    GraphBuilder b(fmt::format("random_{}", seed));
    const int64_t c = pick(1, 6), h = pick(5, 14), w = pick(5, 20);
    Val v = b.input("x", DType::f32, {pick(1, 2), c, h, w});
    const int64_t group = (c % 2 == 0 && pick(0, 1)) ? 2 : 1;
    const int64_t m = group * pick(1, 5) * (pick(0, 3) == 0 ? 8 : 1);
    const int64_t k = pick(1, 3);
    ConvAttrs ca;
    ca.strides = {pick(1, 2), pick(1, 2)};
    ca.dilations = {pick(1, 2), 1};
    const int64_t p = pick(0, 1);
    ca.pads = {p, pick(0, 1), p, 0};
    ca.group = group;
    v = b.conv(v, weight(b, rng, "w", {m, c / group, k, k}),
               pick(0, 1) ? weight(b, rng, "b", {m}) : Val{}, ca);
    switch (pick(0, 3)) {
      case 0:
        v = b.relu(v);
        break;
      case 1:
        v = b.leaky_relu(v, 0.1f);
        break;
      case 2:
        v = b.clip(v, {.min = -0.5f, .max = 0.5f});
        break;
      default:
        v = b.tanh(v);
    }
    const Shape s = b.type(v).shape;
    if (s[2] >= 2 && s[3] >= 2 && pick(0, 2) > 0) {
      PoolAttrs pa{.kernel_shape = {2, pick(1, 2)}, .strides = {pick(1, 2), 2}};
      pa.ceil_mode = pick(0, 1);
      pa.pads = {0, pick(0, 1), 0, 0};
      if (pa.pads[1] >= pa.kernel_shape[1]) pa.pads[1] = 0;
      v = pick(0, 1) ? b.max_pool(v, pa) : b.average_pool(v, pa);
    }
    if (pick(0, 1)) {
      v = b.flatten(v, 1);
      const int64_t features = b.type(v).shape[1];
      v = b.gemm(v, weight(b, rng, "fc", {features, pick(3, 20)}), weight(b, rng, "fcb", {1}));
      if (pick(0, 1)) v = b.softmax(v, {.axis = 1});
    }
    b.output(v, "y");
    Graph g = b.build();
    INFO("seed " << seed);
    check_against_reference(g, default_options(), seed);
  }
}

namespace {
Graph schedule_test_group() {
  std::mt19937 rng(5);
  GraphBuilder b("conv_group");
  Val x = b.input("x", DType::f32, {1, 8, 18, 18});
  b.output(b.relu(b.conv(x, weight(b, rng, "w", {16, 8, 3, 3}), weight(b, rng, "b", {16}),
                         {.pads = {1, 1, 1, 1}})),
           "y");
  return b.build();
}
}  // namespace

TEST_CASE("Halide backend: every schedule source gives the same numbers", "[halide]") {
  Graph g = schedule_test_group();
  std::mt19937 rng(6);
  Tensor x = random_tensor(rng, {1, 8, 18, 18});
  std::vector<Tensor> want = Interpreter(g).run({x});
  auto check = [&](const HalideKernel& k) {
    std::vector<Tensor> got = k({x});
    REQUIRE(got.size() == 1);
    int64_t bad = 0;
    for (int64_t i = 0; i < got[0].numel(); ++i)
      if (std::fabs(got[0].data<float>()[i] - want[0].data<float>()[i]) > 1e-4) ++bad;
    CHECK(bad == 0);
  };
  HalideGroupOptions o = default_options();
  auto def = compile_halide_group(g, o);
  check(*def);
  // JSON round trip of the default schedule, applied through the same path.
  GroupSchedule loaded = load_schedule_json(save_schedule_json(def->schedule()));
  CHECK(loaded == def->schedule());
  o.schedule = loaded;
  auto from_json = compile_halide_group(g, o);
  check(*from_json);
  CHECK(from_json->schedule() == def->schedule());
  o.schedule.reset();
  for (const char* source : {"mullapudi2016", "adams2019", "li2018"}) {
    INFO(source);
    o.schedule_source = source;
    auto k = compile_halide_group(g, o);
    check(*k);
    CHECK(!k->schedule().autoscheduler.empty());
    CHECK(!k->schedule().autoscheduler_source.empty());
  }
}

TEST_CASE("Halide backend: AVX2 and SSE4.1 targets run here", "[halide]") {
  Graph g = schedule_test_group();
  for (const char* target : {"x86-64-avx2", "x86-64"}) {
    INFO(target);
    HalideGroupOptions o = default_options();
    o.target = target;
    check_against_reference(g, o, 31);
  }
  CHECK(halide_target_vector_lanes("x86-64-avx2") == 8);
  CHECK(halide_target_vector_lanes("x86-64") == 4);
}

TEST_CASE("Halide backend: typed errors", "[halide]") {
  Graph g = schedule_test_group();
  HalideGroupOptions o = default_options();
  o.target = "riscv-v";
  CHECK_THAT(test::error_of<UsageError>([&] { compile_halide_group(g, o); }),
             Catch::Contains("riscv-v"));
  o = default_options();
  o.schedule_source = "magic";
  CHECK_THAT(test::error_of<UsageError>([&] { compile_halide_group(g, o); }),
             Catch::Contains("magic"));
  o = default_options();
  GroupSchedule bad = default_halide_schedule(g, o);
  bad.funcs[0].func = "no_such_func";
  o.schedule = bad;
  CHECK_THAT(test::error_of<UsageError>([&] { compile_halide_group(g, o); }),
             Catch::Contains("no_such_func"));

  // A recurrent layer is not the Halide backend's business.
  std::mt19937 rng(7);
  GraphBuilder b("rnn_group");
  Val x = b.input("x", DType::f32, {3, 1, 4});
  RecurrentOutputs r =
      b.rnn({.x = x, .w = weight(b, rng, "w", {1, 5, 4}), .r = weight(b, rng, "r", {1, 5, 5})},
            {.hidden_size = 5}, {.y = true, .y_h = false});
  b.output(r.y, "y");
  CHECK_THAT(test::error_of<UnsupportedError>([&] { compile_halide_group(b.build(), o); }),
             Catch::Contains("RNN"));
}

TEST_CASE("Schedule values: print, JSON round trip and errors", "[halide][schedule]") {
  GroupSchedule s;
  s.group = "g1";
  s.producer = "default";
  s.target = "host";
  FuncSchedule f;
  f.func = "y_out";
  f.compute.kind = LoopLevel::Kind::Root;
  StageSchedule st;
  st.directives.push_back(
      {LoopDirective::Kind::Split, {"d3", "d3o", "d3i"}, 16, TailStrategy::GuardWithIf});
  st.directives.push_back({LoopDirective::Kind::Vectorize, {"d3i"}, 0, TailStrategy::Auto});
  st.directives.push_back(
      {LoopDirective::Kind::Reorder, {"d3i", "d2", "d3o"}, 0, TailStrategy::Auto});
  st.directives.push_back({LoopDirective::Kind::Parallel, {"d2"}, 0, TailStrategy::Auto});
  f.stages.push_back(st);
  FuncSchedule acc;
  acc.func = "conv_acc";
  acc.compute = {LoopLevel::Kind::At, "y_out", "d3o"};
  acc.stages.push_back({0, {{LoopDirective::Kind::Unroll, {"d1"}, 4, TailStrategy::RoundUp}}});
  s.funcs = {f, acc};

  const std::string text = to_string(s);
  CHECK_THAT(text, Catch::Contains("y_out.split(d3, d3o, d3i, 16, guard_with_if)"));
  CHECK_THAT(text, Catch::Contains("conv_acc: compute at(y_out, d3o)"));
  CHECK_THAT(text, Catch::Contains("conv_acc.update(0).unroll(d1, 4, round_up)"));

  CHECK(load_schedule_json(save_schedule_json(s)) == s);
  GroupSchedule empty;
  empty.group = "g2";
  ModelSchedule ms{{"g1", s}, {"g2", empty}};
  CHECK(load_model_schedule_json(save_model_schedule_json(ms)) == ms);

  Json j = schedule_to_json(s);
  CHECK(j.find("funcs")->items()[0].find("stages")->items()[0].find("directives")->items().size() ==
        4);

  std::string bad = save_schedule_json(s);
  bad.replace(bad.find("\"split\""), 7, "\"spilt\"");
  CHECK_THAT(test::error_of<ParseError>([&] { load_schedule_json(bad); }),
             Catch::Contains("g1") && Catch::Contains("op") && Catch::Contains("spilt"));
  CHECK_THAT(test::error_of<ParseError>([&] { load_schedule_json("{\"group\": \"g\", }"); }),
             Catch::Contains("line 1"));
  CHECK_THAT(test::error_of<ParseError>([&] { load_schedule_json("{\"group\": \"gx\"}"); }),
             Catch::Contains("gx") && Catch::Contains("funcs"));
  CHECK_THAT(test::error_of<IOError>([&] { load_model_schedule_file("/nonexistent/s.json"); }),
             Catch::Contains("/nonexistent/s.json"));
}
