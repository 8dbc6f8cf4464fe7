// Randomized differential tests of the CNN fusion and schedule rules (issue
// 11): convs of random geometry (dense, grouped, depthwise, 1x1, strides 1
// and 2, kernels 1/3/5) followed by the epilogues real models use -- SiLU
// written x*sigmoid(x), HardSwish written x*hardsigmoid(x), GELU written with
// Erf, ReLU6 as Clip, PRelu, a residual Add, a squeeze-excite scale --
// compiled at 1 and 2 threads against the reference interpreter, with the
// epilogue checked to be in the conv's kernel group.
#include <catch2/catch.hpp>

#include <random>
#include <string>
#include <vector>

#include <fmt/format.h>

#include "compiler/compile.h"
#include "compiler/passes/partition.h"
#include "ir/builder.h"
#include "ir/interpreter.h"
#include "tests/test_util.h"

using namespace loom;
using loom::test::random_f32;

namespace {

enum class Epilogue { SiLU, HardSwishDecomposed, Gelu, Relu6, PRelu, Residual, SqueezeExcite };
constexpr Epilogue kEpilogues[] = {Epilogue::SiLU,         Epilogue::HardSwishDecomposed,
                                   Epilogue::Gelu,         Epilogue::Relu6,
                                   Epilogue::PRelu,        Epilogue::Residual,
                                   Epilogue::SqueezeExcite};

const char* name_of(Epilogue e) {
  switch (e) {
    case Epilogue::SiLU:
      return "silu";
    case Epilogue::HardSwishDecomposed:
      return "hardswish";
    case Epilogue::Gelu:
      return "gelu";
    case Epilogue::Relu6:
      return "relu6";
    case Epilogue::PRelu:
      return "prelu";
    case Epilogue::Residual:
      return "residual";
    case Epilogue::SqueezeExcite:
      return "se";
  }
  return "?";
}

struct ConvCase {
  int64_t cin, cout, group, k, stride, hw;
};

ConvCase random_case(std::mt19937& rng) {
  auto pick = [&](std::initializer_list<int64_t> v) {
    return *(v.begin() + std::uniform_int_distribution<size_t>(0, v.size() - 1)(rng));
  };
  ConvCase c;
  c.k = pick({1, 3, 5});
  c.stride = pick({1, 2});
  c.hw = pick({5, 7, 12, 17});
  switch (std::uniform_int_distribution<int>(0, 2)(rng)) {
    case 0:  // depthwise
      c.cin = c.cout = c.group = pick({8, 16, 24, 48});
      break;
    case 1:  // grouped
      c.group = pick({2, 4});
      c.cin = c.group * pick({2, 4, 8});
      c.cout = c.group * pick({4, 8});
      break;
    default:  // dense
      c.group = 1;
      c.cin = pick({3, 16, 32});
      c.cout = pick({8, 16, 40});
      break;
  }
  return c;
}

// conv -> epilogue; the residual reads a second input of the conv's output shape.
Graph build(const ConvCase& c, Epilogue e, uint32_t seed, std::vector<Tensor>& inputs) {
  GraphBuilder b(fmt::format("conv{}x{}s{}g{}_{}", c.k, c.k, c.stride, c.group, name_of(e)));
  Val x = b.input("x", DType::f32, {1, c.cin, c.hw, c.hw});
  inputs = {random_f32({1, c.cin, c.hw, c.hw}, seed, -2.f, 2.f)};
  const int64_t pad = c.k / 2;
  Val y = b.conv(x, b.constant("w", random_f32({c.cout, c.cin / c.group, c.k, c.k}, seed + 1)),
                 b.constant("b", random_f32({c.cout}, seed + 2)),
                 {.strides = {c.stride, c.stride}, .pads = {pad, pad, pad, pad}, .group = c.group},
                 "conv");
  const int64_t out_hw = (c.hw + 2 * pad - c.k) / c.stride + 1;
  Val z;
  switch (e) {
    case Epilogue::SiLU:
      z = b.mul(y, b.sigmoid(y, "sig"), "silu");
      break;
    case Epilogue::HardSwishDecomposed:
      z = b.mul(y, b.op(OpKind::HardSigmoid, {y}, AlphaBetaAttrs{1.f / 6, 0.5f}, 1, "hsig")[0],
                "hswish");
      break;
    case Epilogue::Gelu: {
      Val t = b.op(OpKind::Erf, {b.div(y, b.constant("sqrt2", Tensor::scalar(1.4142135f)), "d")},
                   NoAttrs{}, 1, "erf")[0];
      Val h = b.add(t, b.constant("one", Tensor::scalar(1.f)), "inc");
      z = b.mul(b.mul(y, h, "m"), b.constant("half", Tensor::scalar(0.5f)), "gelu");
      break;
    }
    case Epilogue::Relu6:
      z = b.clip(y, {.min = 0.f, .max = 6.f}, "relu6");
      break;
    case Epilogue::PRelu:
      z = b.op(OpKind::PRelu, {y, b.constant("slope", random_f32({c.cout, 1, 1}, seed + 3))},
               NoAttrs{}, 1, "prelu")[0];
      break;
    case Epilogue::Residual: {
      Val r = b.input("r", DType::f32, {1, c.cout, out_hw, out_hw});
      inputs.push_back(random_f32({1, c.cout, out_hw, out_hw}, seed + 4));
      z = b.op(OpKind::Relu, {b.add(y, r, "add")}, NoAttrs{}, 1, "relu")[0];
      break;
    }
    case Epilogue::SqueezeExcite: {
      // GAP -> 1x1 -> ReLU -> 1x1 -> Sigmoid -> scale the conv's output.
      const int64_t mid = std::max<int64_t>(2, c.cout / 4);
      Val p = b.global_average_pool(y, "gap");
      Val f1 = b.relu(b.conv(p, b.constant("w1", random_f32({mid, c.cout, 1, 1}, seed + 5)),
                             b.constant("b1", random_f32({mid}, seed + 6)), {}, "fc1"),
                      "act");
      Val f2 = b.conv(f1, b.constant("w2", random_f32({c.cout, mid, 1, 1}, seed + 7)),
                      b.constant("b2", random_f32({c.cout}, seed + 8)), {}, "fc2");
      z = b.mul(y, b.sigmoid(f2, "gate"), "scale");
      break;
    }
  }
  b.output(z, "out");
  return b.build();
}

// Every output of `g` compiled at 1 and at 2 threads against the reference
// interpreter, within `tol` (absolute and relative).
void check_at_1_and_2_threads(const Graph& g, const std::vector<Tensor>& in, double tol = 1e-4) {
  const std::vector<Tensor> want = Interpreter(g).run(in);
  for (int threads : {1, 2}) {
    INFO(g.name << " threads " << threads);
    CompileOptions o;
    o.threads = threads;
    const std::vector<Tensor> got = compile(g, o).run(in);
    REQUIRE(got.size() == want.size());
    for (size_t k = 0; k < got.size(); ++k) {
      REQUIRE(got[k].shape() == want[k].shape());
      for (int64_t i = 0; i < got[k].numel(); ++i)
        CHECK(got[k].data<float>()[i] == Approx(want[k].data<float>()[i]).margin(tol).epsilon(tol));
    }
  }
}

}  // namespace

TEST_CASE("fusion: random convs with every epilogue kind match the reference", "[fusion]") {
  std::mt19937 rng(20261208);
  int case_index = 0;
  for (Epilogue e : kEpilogues)
    for (int rep = 0; rep < 3; ++rep, ++case_index) {
      const ConvCase c = random_case(rng);
      std::vector<Tensor> inputs;
      const Graph g = build(c, e, 100 + static_cast<uint32_t>(case_index) * 10, inputs);
      INFO(g.name << " cin " << c.cin << " cout " << c.cout << " hw " << c.hw);
      // The epilogue runs in the conv's group (SE's scale reads the conv's
      // value and a gate computed from it, so it cannot).
      if (e != Epilogue::SqueezeExcite) {
        const Partition p = partition_graph(g);
        CHECK(p.groups.size() == 1);
      }
      const std::vector<Tensor> want = Interpreter(g).run(inputs);
      for (int threads : {1, 2}) {
        INFO("threads " << threads);
        CompileOptions o;
        o.threads = threads;
        const std::vector<Tensor> got = compile(g, o).run(inputs);
        REQUIRE(got.size() == 1);
        REQUIRE(got[0].shape() == want[0].shape());
        for (int64_t k = 0; k < got[0].numel(); ++k) {
          INFO("element " << k);
          CHECK(got[0].data<float>()[k] ==
                Approx(want[0].data<float>()[k]).margin(1e-4).epsilon(1e-4));
        }
      }
    }
}

TEST_CASE("fusion: depthwise convs reading a channel-blocked value pad inline", "[fusion]") {
  // A 1x1 expansion (its output stored channel-blocked for the next group)
  // feeding depthwise convs of every kernel size and stride with padding.
  for (int64_t k : {3, 5})
    for (int64_t stride : {1, 2})
      for (int64_t hw : {7, 13, 20}) {
        const int64_t c = 48;
        GraphBuilder b(fmt::format("dw{}s{}_{}", k, stride, hw));
        Val x = b.input("x", DType::f32, {1, 8, hw, hw});
        Val e = b.relu(b.conv(x, b.constant("we", random_f32({c, 8, 1, 1}, 1)), {}, {}, "expand"),
                       "relu");
        const int64_t pad = k / 2;
        Val d = b.conv(
            e, b.constant("wd", random_f32({c, 1, k, k}, 2)), b.constant("bd", random_f32({c}, 3)),
            {.strides = {stride, stride}, .pads = {pad, pad, pad, pad}, .group = c}, "dw");
        b.output(b.mul(d, b.sigmoid(d, "sig"), "silu"), "y");
        const Graph g = b.build();
        const std::vector<Tensor> in{random_f32({1, 8, hw, hw}, 4)};
        check_at_1_and_2_threads(g, in);
      }
}

TEST_CASE("fusion: Concat without copies, producers write their slices", "[fusion][concat]") {
  // Fire-module style branches, a nested concat, a branch another node also
  // reads, a concat along the last axis of [1,1,C] values, and a concat
  // whose input is a graph input (which stays a copy).
  GraphBuilder b("concats");
  Val x = b.input("x", DType::f32, {1, 8, 9, 9});
  Val p = b.input("p", DType::f32, {1, 4, 9, 9});
  auto conv = [&](Val in, int64_t cin, int64_t cout, int64_t k, uint32_t seed,
                  const std::string& name) {
    return b.relu(b.conv(in, b.constant(name + "_w", random_f32({cout, cin, k, k}, seed)),
                         b.constant(name + "_b", random_f32({cout}, seed + 1)),
                         {.pads = {k / 2, k / 2, k / 2, k / 2}}, name),
                  name + "_relu");
  };
  Val a = conv(x, 8, 16, 1, 10, "a");
  Val c3 = conv(x, 8, 16, 3, 20, "c3");
  Val cat1 = b.concat({a, c3}, 1, "cat1");
  Val d = conv(cat1, 32, 8, 1, 30, "d");
  Val cat2 = b.concat({cat1, d, conv(d, 8, 8, 3, 40, "e")}, 1, "cat2");  // nested
  Val also = b.add(a, a, "also_reads_a");                                // a read twice
  Val with_input = b.concat({p, d}, 1, "with_input");
  Val last = b.concat({b.reshape(d, {.shape = {1, 1, 648}}, "flat_d"),
                       b.reshape(a, {.shape = {1, 1, 1296}}, "flat_a")},
                      2, "along_last");
  b.output(conv(cat2, 48, 4, 3, 50, "head"), "y");
  b.output(also, "also");
  b.output(b.relu(with_input, "wi"), "wi");
  b.output(b.relu(last, "l"), "l");
  const Graph g = b.build();
  const std::vector<Tensor> in{random_f32({1, 8, 9, 9}, 1), random_f32({1, 4, 9, 9}, 2)};
  const std::vector<Tensor> want = Interpreter(g).run(in);
  for (int threads : {1, 2}) {
    CompileOptions o;
    o.threads = threads;
    Executable exe = compile(g, o);
    int in_place = 0;
    for (const std::string& name : exe.step_names())
      in_place += name.find("(in place)") != std::string::npos;
    CHECK(in_place >= 2);                // cat1 and cat2 at least
    for (int rep = 0; rep < 2; ++rep) {  // the arena is reused between runs
      const std::vector<Tensor> got = exe.run(in);
      REQUIRE(got.size() == want.size());
      for (size_t k = 0; k < got.size(); ++k) {
        INFO("output " << k << " threads " << threads);
        REQUIRE(got[k].shape() == want[k].shape());
        for (int64_t i = 0; i < got[k].numel(); ++i)
          CHECK(got[k].data<float>()[i] ==
                Approx(want[k].data<float>()[i]).margin(1e-4).epsilon(1e-4));
      }
    }
  }
}

TEST_CASE("schedule: output channel counts that are not a multiple of the vector",
          "[fusion][schedule]") {
  // channel_tile picks narrower vectors that divide these exactly (24, 40,
  // 56, 72 on AVX-512) or keeps full vectors with a short tail (116, 20).
  for (int64_t cout : {20, 24, 40, 56, 72, 116})
    for (int64_t k : {1, 3}) {
      GraphBuilder b(fmt::format("conv{}_{}", k, cout));
      Val x = b.input("x", DType::f32, {1, 12, 11, 11});
      Val r = b.input("r", DType::f32, {1, cout, 11, 11});
      Val y = b.conv(x, b.constant("w", random_f32({cout, 12, k, k}, 5)),
                     b.constant("b", random_f32({cout}, 6)), {.pads = {k / 2, k / 2, k / 2, k / 2}},
                     "conv");
      b.output(b.add(y, r, "residual"), "y");
      const Graph g = b.build();
      const std::vector<Tensor> in{random_f32({1, 12, 11, 11}, 7),
                                   random_f32({1, cout, 11, 11}, 8)};
      check_at_1_and_2_threads(g, in);
    }
}

TEST_CASE("schedule: global pools read from memory reduce vectors of channels",
          "[fusion][schedule]") {
  // The input comes from another group (a conv whose value a second node
  // also reads, as in squeeze-excite), stored blocked when C allows.
  for (int64_t c : {20, 32, 48})
    for (OpKind pool : {OpKind::GlobalAveragePool, OpKind::GlobalMaxPool}) {
      GraphBuilder b(fmt::format("{}_{}", op_name(pool), c));
      Val x = b.input("x", DType::f32, {1, 8, 13, 9});
      Val y =
          b.relu(b.conv(x, b.constant("w", random_f32({c, 8, 1, 1}, 3)), {}, {}, "conv"), "relu");
      Val p = b.op(pool, {y}, NoAttrs{}, 1, "pool")[0];
      b.output(b.mul(y, b.sigmoid(p, "gate"), "scale"), "y");
      b.output(p, "p");
      const Graph g = b.build();
      const std::vector<Tensor> in{random_f32({1, 8, 13, 9}, 4)};
      check_at_1_and_2_threads(g, in, 1e-5);
    }
}

TEST_CASE("schedule: conv rows computed per channel block of a blocked pool (OCR head)",
          "[fusion][schedule]") {
  // conv 3x3 + ReLU + MaxPool (2,1)/(2,1) whose blocked output an
  // AveragePool reads: the conv is computed inside the pool's loop over
  // 16-channel blocks, narrower than its usual 32-channel tile (at 2 threads
  // that tile started before channel 0: an out-of-bounds weight read).
  for (int64_t c : {64, 256}) {
    GraphBuilder b(fmt::format("ocr_head_{}", c));
    Val x = b.input("x", DType::f32, {1, c, 4, 32});
    Val y = b.relu(b.conv(x, b.constant("w", random_f32({c, c, 3, 3}, 9, -0.1f, 0.1f)),
                          b.constant("b", random_f32({c}, 10)), {.pads = {1, 1, 1, 1}}, "conv"),
                   "relu");
    Val p = b.max_pool(y, {.kernel_shape = {2, 1}, .strides = {2, 1}}, "pool");
    b.output(b.op(OpKind::AveragePool, {p}, PoolAttrs{.kernel_shape = {2, 1}, .strides = {2, 1}}, 1,
                  "avg")[0],
             "y");
    const Graph g = b.build();
    const std::vector<Tensor> in{random_f32({1, c, 4, 32}, 11)};
    check_at_1_and_2_threads(g, in);
  }
}

TEST_CASE("fusion: DenseNet's growing concats all write into one buffer", "[fusion][concat]") {
  // [x0, f1], [x0, f1, f2], [x0, f1, f2, f3]: each concat is read by the
  // layer that produces the next feature; every one is in place.
  GraphBuilder b("dense_block");
  Val x0 = b.relu(b.conv(b.input("x", DType::f32, {1, 4, 6, 6}),
                         b.constant("w0", random_f32({16, 4, 1, 1}, 1)), {}, {}, "stem"),
                  "x0");
  std::vector<Val> features{x0};
  Val cat;
  for (int k = 1; k <= 3; ++k) {
    const int64_t cin = 16 + 8 * (k - 1);
    Val in = k == 1 ? x0 : cat;
    Val f = b.relu(b.conv(in,
                          b.constant(fmt::format("w{}", k),
                                     random_f32({8, cin, 3, 3}, 10 + static_cast<uint32_t>(k))),
                          {}, {.pads = {1, 1, 1, 1}}, fmt::format("conv{}", k)),
                   fmt::format("f{}", k));
    features.push_back(f);
    cat = b.concat(features, 1, fmt::format("cat{}", k));
  }
  b.output(b.relu(cat, "out"), "y");
  const Graph g = b.build();
  const std::vector<Tensor> in{random_f32({1, 4, 6, 6}, 2)};
  const Tensor want = Interpreter(g).run(in)[0];
  for (int threads : {1, 2}) {
    CompileOptions o;
    o.threads = threads;
    Executable exe = compile(g, o);
    int in_place = 0;
    for (const std::string& name : exe.step_names())
      in_place += name.find("(in place)") != std::string::npos;
    CHECK(in_place == 3);
    for (int rep = 0; rep < 2; ++rep) {
      const Tensor got = exe.run(in)[0];
      for (int64_t i = 0; i < got.numel(); ++i)
        CHECK(got.data<float>()[i] == Approx(want.data<float>()[i]).margin(1e-4).epsilon(1e-4));
    }
  }
}
