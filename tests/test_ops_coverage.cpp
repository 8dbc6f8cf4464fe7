// Tests of the op-coverage work (issue 10) beyond the ONNX backend-test
// cases: the compiled engine against the reference interpreter on random
// data for each new op family, fused into conv groups where the partition
// puts them there (activation epilogues, Pad before a conv, Resize after
// one), ConvTranspose and Resize geometries that the test data does not
// cover, integer and bool values crossing kernel boundaries, and exact
// text-format round trips of every new attribute struct.
#include <catch2/catch.hpp>

#include <string>
#include <vector>

#include <fmt/format.h>

#include "compiler/compile.h"
#include "compiler/passes/passes.h"
#include "ir/builder.h"
#include "ir/interpreter.h"
#include "ir/text_format.h"
#include "tests/test_util.h"

using namespace loom;
using loom::test::random_f32;

namespace {

// Runs `g` compiled and with the reference interpreter; every output must
// agree within `tol` (absolute, and relative for large values).
void check_compiled(const Graph& g, const std::vector<Tensor>& inputs, double tol = 1e-4) {
  std::vector<Tensor> want = Interpreter(g).run(inputs);
  std::vector<Tensor> got = compile(g).run(inputs);
  REQUIRE(got.size() == want.size());
  for (size_t i = 0; i < got.size(); ++i) {
    INFO("output " << i << " of " << g.name);
    REQUIRE(got[i].type() == want[i].type());
    for (int64_t k = 0; k < got[i].numel(); ++k) {
      const double a = got[i].get_as_double(k), b = want[i].get_as_double(k);
      if (std::isnan(b)) {
        CHECK(std::isnan(a));
        continue;
      }
      INFO("element " << k);
      CHECK(a == Approx(b).margin(tol).epsilon(tol));
    }
  }
}

Val unary(GraphBuilder& b, OpKind op, Val x, Attrs attrs) {
  return b.op(op, {x}, std::move(attrs), 1, std::string(op_name(op)))[0];
}

}  // namespace

TEST_CASE("compiled: every new activation as a conv epilogue", "[coverage]") {
  const std::vector<std::pair<OpKind, Attrs>> ops = {
      {OpKind::HardSigmoid, AlphaBetaAttrs{}},
      {OpKind::HardSwish, NoAttrs{}},
      {OpKind::Selu, SeluAttrs{}},
      {OpKind::Celu, AlphaAttrs{.alpha = 0.7f}},
      {OpKind::Softplus, NoAttrs{}},
      {OpKind::Softsign, NoAttrs{}},
      {OpKind::ThresholdedRelu, AlphaAttrs{.alpha = 0.3f}},
      {OpKind::Neg, NoAttrs{}},
      {OpKind::Abs, NoAttrs{}},
      {OpKind::Exp, NoAttrs{}},
      {OpKind::Erf, NoAttrs{}},
      {OpKind::Floor, NoAttrs{}},
      {OpKind::Ceil, NoAttrs{}},
  };
  for (const auto& [op, attrs] : ops) {
    GraphBuilder b(fmt::format("conv_{}", op_name(op)));
    Val x = b.input("x", DType::f32, {1, 3, 9, 9});
    Val y = b.conv(x, b.constant("w", random_f32({8, 3, 3, 3}, 1)),
                   b.constant("bias", random_f32({8}, 2)), {.pads = {1, 1, 1, 1}});
    b.output(unary(b, op, y, attrs), "y");
    check_compiled(b.build(), {random_f32({1, 3, 9, 9}, 3, -2.f, 2.f)});
  }
  // The functions with restricted domains, on their domains.
  for (OpKind op : {OpKind::Log, OpKind::Sqrt, OpKind::Reciprocal}) {
    GraphBuilder b(fmt::format("pos_{}", op_name(op)));
    Val x = b.input("x", DType::f32, {2, 17});
    b.output(unary(b, op, x, NoAttrs{}), "y");
    check_compiled(b.build(), {random_f32({2, 17}, 4, 0.1f, 5.f)});
  }
}

TEST_CASE("compiled: PRelu, Pow and variadic Min/Max/Sum/Mean with broadcasting", "[coverage]") {
  GraphBuilder b("binary");
  Val x = b.input("x", DType::f32, {2, 4, 3, 5});
  Val slope = b.constant("slope", random_f32({4, 1, 1}, 5));
  Val p = b.op(OpKind::PRelu, {x, slope}, NoAttrs{}, 1, "prelu")[0];
  Val two = b.constant("two", Tensor::scalar<int64_t>(2));
  Val sq = b.op(OpKind::Pow, {x, two}, NoAttrs{}, 1, "square")[0];
  Val row = b.input("row", DType::f32, {5});
  for (OpKind op : {OpKind::Min, OpKind::Max, OpKind::Sum, OpKind::Mean})
    b.output(b.op(op, {x, row, p}, NoAttrs{}, 1, std::string(op_name(op)))[0]);
  b.output(sq);
  check_compiled(b.build(), {random_f32({2, 4, 3, 5}, 6), random_f32({5}, 7)});
}

TEST_CASE("compiled: reductions over every axis set, keepdims or not", "[coverage]") {
  const std::vector<std::vector<int64_t>> axis_sets = {{}, {1}, {-1}, {0, 2}, {1, 2, 3}};
  for (OpKind op : {OpKind::ReduceMean, OpKind::ReduceMax, OpKind::ReduceMin, OpKind::ReduceSum,
                    OpKind::ReduceProd, OpKind::ReduceL1, OpKind::ReduceL2, OpKind::ReduceLogSum,
                    OpKind::ReduceLogSumExp, OpKind::ReduceSumSquare})
    for (const auto& axes : axis_sets)
      for (bool keep : {true, false}) {
        GraphBuilder b(fmt::format("{}_{}_{}", op_name(op), axes.size(), keep));
        Val x = b.input("x", DType::f32, {2, 3, 4, 5});
        b.output(b.op(op, {x}, ReduceAttrs{.axes = axes, .keepdims = keep}, 1, "r")[0]);
        // Positive values keep ReduceProd and ReduceLogSum in range.
        check_compiled(b.build(), {random_f32({2, 3, 4, 5}, 8, 0.5f, 1.5f)}, 1e-4);
      }
}

TEST_CASE("compiled: ArgMax/ArgMin give int64 across a kernel boundary (greedy CTC)",
          "[coverage]") {
  for (bool last : {false, true}) {
    GraphBuilder b("ctc_greedy");
    Val x = b.input("logits", DType::f32, {8, 1, 37});
    Val ls = b.op(OpKind::LogSoftmax, {x}, SoftmaxAttrs{.axis = 2}, 1, "ls")[0];
    b.output(b.op(OpKind::ArgMax, {ls}, ArgReduceAttrs{2, false, last}, 1, "best")[0], "ids");
    b.output(b.op(OpKind::ArgMin, {x}, ArgReduceAttrs{0, true, last}, 1, "worst")[0], "low");
    // Ties: rounded values repeat, so first and last index differ.
    Tensor in = random_f32({8, 1, 37}, 9, -3.f, 3.f);
    for (int64_t i = 0; i < in.numel(); ++i)
      in.data<float>()[i] = std::round(in.data<float>()[i]);
    check_compiled(b.build(), {in});
  }
}

TEST_CASE("compiled: comparisons, Not and Where with bool values between kernels", "[coverage]") {
  GraphBuilder b("masks");
  Val x = b.input("x", DType::f32, {3, 4});
  Val y = b.input("y", DType::f32, {4});
  Val lt = b.op(OpKind::Less, {x, y}, NoAttrs{}, 1, "lt")[0];
  Val ge = b.op(OpKind::GreaterOrEqual, {x, y}, NoAttrs{}, 1, "ge")[0];
  Val nlt = b.op(OpKind::Not, {lt}, NoAttrs{}, 1, "not_lt")[0];
  Val eq = b.op(OpKind::Equal, {nlt, ge}, NoAttrs{}, 1, "same")[0];
  b.output(eq, "always_true");
  b.output(b.op(OpKind::Where, {lt, x, y}, NoAttrs{}, 1, "min_xy")[0], "m");
  b.output(lt, "mask");
  check_compiled(b.build(), {random_f32({3, 4}, 10), random_f32({4}, 11)});
}

TEST_CASE("compiled: Pad in every mode, with crops, before a conv", "[coverage]") {
  for (PadMode mode : {PadMode::Constant, PadMode::Reflect, PadMode::Edge, PadMode::Wrap}) {
    GraphBuilder b(fmt::format("pad_{}", enum_name(mode)));
    Val x = b.input("x", DType::f32, {1, 2, 5, 6});
    // Causal padding of the width (TCN), a crop of the height.
    Val p = b.op(OpKind::Pad, {x}, PadAttrs{mode, {0, 0, 2, 3, 0, 0, -1, 0}, 0.5f}, 1, "pad")[0];
    b.output(p, "padded");
    b.output(b.conv(p, b.constant("w", random_f32({3, 2, 2, 3}, 12)), {}, {}), "y");
    check_compiled(b.build(), {random_f32({1, 2, 5, 6}, 13)});
  }
}

TEST_CASE("compiled: ConvTranspose 1D and 2D geometries", "[coverage]") {
  struct Case {
    Shape x, w;
    ConvTransposeAttrs attrs;
  };
  const std::vector<Case> cases = {
      {{1, 4, 5, 5}, {4, 3, 2, 2}, {.strides = {2, 2}}},  // U-Net up-sampling
      {{2, 4, 4, 3}, {4, 2, 3, 3}, {.strides = {2, 1}, .pads = {1, 0, 0, 1}, .group = 2}},
      {{1, 2, 3, 3}, {2, 2, 3, 3}, {.strides = {3, 2}, .output_padding = {1, 1}}},
      {{1, 2, 3, 3}, {2, 1, 3, 3}, {.strides = {2, 2}, .dilations = {2, 1}}},
      {{1, 2, 4, 4}, {2, 2, 3, 3}, {.strides = {2, 2}, .auto_pad = AutoPad::SameUpper}},
      {{1, 2, 3, 3}, {2, 2, 3, 3}, {.strides = {3, 2}, .output_shape = {10, 8}}},
      {{1, 3, 7}, {3, 2, 4}, {.strides = {2}, .pads = {1, 1}}},  // 1D
  };
  for (size_t i = 0; i < cases.size(); ++i) {
    const Case& c = cases[i];
    GraphBuilder b(fmt::format("deconv{}", i));
    Val x = b.input("x", DType::f32, c.x);
    const int64_t m = c.w[1] * c.attrs.group;
    Val y = b.op(OpKind::ConvTranspose,
                 {x, b.constant("w", random_f32(c.w, 14)), b.constant("b", random_f32({m}, 15))},
                 c.attrs, 1, "up")[0];
    b.output(b.relu(y), "y");
    check_compiled(b.build(), {random_f32(c.x, 16)});
  }
}

TEST_CASE("compiled: Resize modes, coordinate transforms and scales or sizes", "[coverage]") {
  std::vector<ResizeAttrs> cases;
  for (ResizeMode mode : {ResizeMode::Nearest, ResizeMode::Linear, ResizeMode::Cubic})
    for (CoordinateTransform ct :
         {CoordinateTransform::HalfPixel, CoordinateTransform::PytorchHalfPixel,
          CoordinateTransform::AlignCorners, CoordinateTransform::Asymmetric})
      cases.push_back(
          {.mode = mode, .coordinate_transformation_mode = ct, .scales = {1.f, 1.f, 2.f, 1.5f}});
  cases.push_back(
      {.mode = ResizeMode::Nearest, .nearest_mode = NearestMode::Ceil, .sizes = {1, 3, 3, 11}});
  cases.push_back({.mode = ResizeMode::Cubic, .exclude_outside = true, .sizes = {1, 3, 4, 3}});
  cases.push_back({.mode = ResizeMode::Linear,
                   .coordinate_transformation_mode = CoordinateTransform::TfCropAndResize,
                   .extrapolation_value = -3.f,
                   .sizes = {1, 3, 5, 5},
                   .roi = {0, 0, -0.2f, 0.1f, 1, 1, 0.9f, 1.3f}});
  for (size_t i = 0; i < cases.size(); ++i) {
    GraphBuilder b(fmt::format("resize{}", i));
    Val x = b.input("x", DType::f32, {1, 3, 6, 7});
    Val y = b.conv(x, b.constant("w", random_f32({3, 3, 1, 1}, 17)), {}, {});
    b.output(b.op(OpKind::Resize, {y}, cases[i], 1, "up")[0], "y");
    check_compiled(b.build(), {random_f32({1, 3, 6, 7}, 18)});
  }
}

TEST_CASE("compiled: InstanceNorm, LayerNorm (with its statistics), LRN, GlobalLpPool",
          "[coverage]") {
  GraphBuilder b("norms");
  Val x = b.input("x", DType::f32, {2, 6, 4, 5});
  Val in = b.op(OpKind::InstanceNormalization,
                {x, b.constant("s", random_f32({6}, 19)), b.constant("bi", random_f32({6}, 20))},
                BatchNormAttrs{}, 1, "inorm")[0];
  std::vector<Val> ln =
      b.op(OpKind::LayerNormalization,
           {x, b.constant("g", random_f32({4, 5}, 21)), b.constant("be", random_f32({5}, 22))},
           LayerNormAttrs{.axis = 2}, 3, "lnorm");
  b.output(in, "inorm");
  for (Val v : ln)
    b.output(v);
  b.output(b.op(OpKind::LRN, {x}, LrnAttrs{.size = 3}, 1, "lrn")[0], "lrn");
  b.output(b.op(OpKind::GlobalLpPool, {x}, LpAttrs{.p = 3}, 1, "lp")[0], "lp");
  check_compiled(b.build(), {random_f32({2, 6, 4, 5}, 23)});
}

TEST_CASE("text: every new attribute struct round-trips", "[coverage][text]") {
  GraphBuilder b("attrs");
  Val x = b.input("x", DType::f32, {1, 4, 4, 4});
  b.output(b.op(OpKind::Resize, {x},
                ResizeAttrs{.mode = ResizeMode::Cubic,
                            .coordinate_transformation_mode = CoordinateTransform::AlignCorners,
                            .nearest_mode = NearestMode::Ceil,
                            .cubic_coeff_a = -0.5f,
                            .exclude_outside = true,
                            .scales = {1, 1, 2, 0.5f}},
                1, "resize")[0]);
  b.output(b.op(OpKind::Pad, {x}, PadAttrs{PadMode::Reflect, {0, 0, 1, 2, 0, 0, 2, 1}, 0.f}, 1,
                "pad")[0]);
  b.output(b.op(OpKind::DepthToSpace, {x}, BlockAttrs{2, DepthToSpaceMode::CRD}, 1, "d2s")[0]);
  b.output(b.op(OpKind::Cast, {x}, CastAttrs{DType::i64}, 1, "cast")[0]);
  b.output(b.op(OpKind::ReduceL2, {x}, ReduceAttrs{{1, -1}, false, false}, 1, "l2")[0]);
  b.output(b.op(OpKind::ArgMax, {x}, ArgReduceAttrs{1, false, true}, 1, "am")[0]);
  b.output(b.op(OpKind::Split, {x}, SplitAttrs{1, {1, 3}}, 2, "split")[1]);
  b.output(b.op(OpKind::HardSigmoid, {x}, AlphaBetaAttrs{0.3f, 0.4f}, 1, "hs")[0]);
  b.output(b.op(OpKind::Selu, {x}, SeluAttrs{1.5f, 2.f}, 1, "selu")[0]);
  b.output(b.op(OpKind::LRN, {x}, LrnAttrs{1e-3f, 0.5f, 2.f, 3}, 1, "lrn")[0]);
  b.output(b.op(OpKind::ConvTranspose, {x, b.constant("w", random_f32({4, 2, 3, 3}, 24))},
                ConvTransposeAttrs{.strides = {2, 2}, .output_padding = {1, 1}}, 1, "up")[0]);
  Graph g = b.build();
  const std::string text = print_graph(g);
  CHECK(text.find("mode=cubic") != std::string::npos);
  CHECK(text.find("coordinate_transformation_mode=align_corners") != std::string::npos);
  CHECK(text.find("to=i64") != std::string::npos);
  CHECK(text.find("mode=CRD") != std::string::npos);
  WeightStore store;
  store.add_all(g);
  Graph parsed = parse_graph(text, store, "rt");
  CHECK(print_graph(parsed) == text);
  std::string diff;
  CHECK(graphs_equal(g, parsed, &diff));
}

TEST_CASE("compile: what the compiled engine cannot compute is reported at once, by node",
          "[coverage]") {
  GraphBuilder b("gaps");
  Val d = b.input("d", DType::f64, {4});
  Val x = b.input("x", DType::f32, {4});
  b.output(b.relu(d, "relu_f64"), "a");
  b.output(b.op(OpKind::Softmax, {d}, SoftmaxAttrs{}, 1, "softmax_f64")[0], "b");
  b.output(b.relu(x, "fine"), "c");
  Graph g = b.build();
  const std::string m = test::error_of<UnsupportedError>([&] { compile(g); });
  CHECK(m.find("the model has 2 nodes the compiled engine cannot compute") != std::string::npos);
  CHECK(m.find("node 'relu_f64' (Relu): input 'd' has dtype f64") != std::string::npos);
  CHECK(m.find("node 'softmax_f64' (Softmax): input 'd' has dtype f64") != std::string::npos);
  CHECK(m.find("'fine'") == std::string::npos);
  // The reference engine runs all of it.
  CHECK(Interpreter(g).run({Tensor(DType::f64, {4}), Tensor(DType::f32, {4})}).size() == 3);
}

TEST_CASE("compiled: f64 arithmetic, reductions and comparisons", "[coverage]") {
  GraphBuilder b("f64");
  Val x = b.input("x", DType::f64, {3, 5});
  Val y = b.input("y", DType::f64, {5});
  Val s = b.op(OpKind::Mean, {x, y}, NoAttrs{}, 1, "mean")[0];
  Val q = b.div(b.sub(s, y, "sub"), b.add(y, y, "twice"), "div");
  b.output(b.op(OpKind::ReduceLogSumExp, {q}, ReduceAttrs{.axes = {1}}, 1, "lse")[0], "lse");
  b.output(b.op(OpKind::Mod, {x, y}, ModAttrs{.fmod = true}, 1, "mod")[0], "mod");
  b.output(b.op(OpKind::Less, {x, y}, NoAttrs{}, 1, "lt")[0], "lt");
  b.output(b.op(OpKind::ArgMax, {q}, ArgReduceAttrs{.axis = 0}, 1, "am")[0], "am");
  const Tensor xs = random_f32({3, 5}, 30, -3.f, 3.f).cast(DType::f64);
  const Tensor ys = random_f32({5}, 31, 0.5f, 2.f).cast(DType::f64);
  check_compiled(b.build(), {xs, ys}, 1e-9);
}

TEST_CASE(
    "compiled: integer Div truncates, Mod follows the sign rules, zero divisors are "
    "InputErrors",
    "[coverage]") {
  GraphBuilder b("intdiv");
  Val x = b.input("x", DType::i32, {8});
  Val y = b.input("y", DType::i32, {8});
  b.output(b.div(x, y, "q"), "q");
  b.output(b.op(OpKind::Mod, {x, y}, ModAttrs{.fmod = false}, 1, "pymod")[0], "m");
  b.output(b.op(OpKind::Mod, {x, y}, ModAttrs{.fmod = true}, 1, "cmod")[0], "f");
  Graph g = b.build();
  const Tensor xs = Tensor::from_vector<int32_t>({8}, {7, -7, 7, -7, 6, -6, 0, 5});
  const Tensor ys = Tensor::from_vector<int32_t>({8}, {2, 2, -2, -2, 3, -4, 3, -1});
  check_compiled(g, {xs, ys});
  Executable exe = compile(g);
  const Tensor zero = Tensor::from_vector<int32_t>({8}, {1, 1, 1, 0, 1, 1, 1, 1});
  const std::string m = test::error_of<InputError>([&] { exe.run({xs, zero}); });
  CHECK(m.find("division by zero") != std::string::npos);
}

namespace {

Graph einsum_graph(const std::string& equation, const std::vector<Shape>& shapes,
                   DType dtype = DType::f32) {
  GraphBuilder b("einsum " + equation);
  std::vector<Val> ins;
  for (size_t i = 0; i < shapes.size(); ++i)
    ins.push_back(b.input(fmt::format("x{}", i), dtype, shapes[i]));
  b.output(b.op(OpKind::Einsum, ins, EinsumAttrs{equation}, 1, "einsum")[0], "y");
  return b.build();
}

std::vector<Tensor> random_inputs(const std::vector<Shape>& shapes) {
  std::vector<Tensor> out;
  for (size_t i = 0; i < shapes.size(); ++i)
    out.push_back(random_f32(shapes[i], 60 + static_cast<uint32_t>(i), -1.f, 1.f));
  return out;
}

}  // namespace

TEST_CASE("Einsum: the reference engine follows numpy's subscripts", "[coverage][einsum]") {
  const Tensor a = Tensor::from_vector<float>({2, 3}, {1, 2, 3, 4, 5, 6});
  const Tensor m = Tensor::from_vector<float>({3, 3}, {1, 2, 3, 4, 5, 6, 7, 8, 9});
  auto run = [](const std::string& eq, const std::vector<Tensor>& ins) {
    std::vector<Shape> shapes;
    for (const Tensor& t : ins)
      shapes.push_back(t.shape());
    return Interpreter(einsum_graph(eq, shapes)).run(ins)[0];
  };
  CHECK(run("ij->ji", {a}).shape() == Shape{3, 2});
  CHECK(run("ij->ji", {a}).data<float>()[1] == 4.f);
  CHECK(run("ii->i", {m}).data<float>()[2] == 9.f);  // diagonal
  CHECK(run("ii", {m}).data<float>()[0] == 15.f);    // implicit output: the trace
  CHECK(run("ij->", {a}).data<float>()[0] == 21.f);
  // Implicit output: the letters used once, alphabetically ("ba,ac" -> "bc").
  const Tensor p = run("ba,ac", {a, Tensor::from_vector<float>({3, 1}, {1, 10, 100})});
  CHECK(p.shape() == Shape{2, 1});
  CHECK(p.data<float>()[1] == 654.f);
  // An ellipsis broadcasts like numpy's batch dims.
  const Tensor q = run("...ij,...jk->...ik", {Tensor::from_vector<float>({2, 1, 1}, {2, 3}),
                                              Tensor::from_vector<float>({1, 3}, {1, 2, 3})});
  CHECK(q.shape() == Shape{2, 1, 3});
  CHECK(q.data<float>()[5] == 9.f);

  auto error = [](const std::string& eq, const std::vector<Shape>& shapes) {
    return test::error_of<ShapeError>([&] { einsum_graph(eq, shapes); });
  };
  CHECK(error("ij,jk->ik", {{2, 3}, {4, 5}}).find("label 'j' is 4 on axis 0 of input 1") !=
        std::string::npos);
  CHECK(error("ij,jk", {{2, 3}}).find("2 input term(s) for 1 input(s)") != std::string::npos);
  CHECK(error("ijk->i", {{2, 3}}).find("names 3 axes but input 0 has rank 2") != std::string::npos);
  CHECK(error("ij->iz", {{2, 3}}).find("output label 'z'") != std::string::npos);
  CHECK(error("i1->i", {{2, 3}}).find("expected letters") != std::string::npos);
}

TEST_CASE("compiled: Einsum becomes MatMul, ReduceSum and Transpose for every label pattern",
          "[coverage][einsum]") {
  const std::vector<std::pair<std::string, std::vector<Shape>>> cases = {
      {"bghid,bghjd->bghij", {{1, 2, 3, 5, 8}, {1, 2, 3, 7, 8}}},  // maxvit's attention
      {"bghij,bghjd->bghid", {{1, 2, 3, 5, 7}, {1, 2, 3, 7, 8}}},
      {"ij,jk->ik", {{4, 6}, {6, 5}}},
      {"ij,kj->ki", {{4, 6}, {5, 6}}},
      {"i,i", {{7}, {7}}},                         // inner product
      {"i,j->ij", {{3}, {4}}},                     // outer product
      {"ij,jk,kl->il", {{3, 4}, {4, 5}, {5, 2}}},  // a chain
      {"bij,bjk->bik", {{3, 2, 4}, {3, 4, 5}}},
      {"...ij,...jk->...ik", {{2, 1, 3, 4}, {3, 4, 2}}},  // broadcast batch dims
      {"...i,...i->i", {{1, 4}, {3, 4}}},                 // a contracted broadcast axis
      {"...ii->...i", {{2, 3, 3}}},
      {"iij,jk->ik", {{3, 3, 4}, {4, 2}}},  // a diagonal feeding a product
      {"abc->cab", {{2, 3, 4}}},
      {"ijk->j", {{2, 3, 4}}},
      {"ij->ij", {{2, 3}}},
      {"ij,ij->ij", {{2, 3}, {2, 3}}},  // elementwise
      {"abcd,cd->ab", {{2, 3, 4, 5}, {4, 5}}},
  };
  for (const auto& [eq, shapes] : cases) {
    INFO(eq);
    Graph g = einsum_graph(eq, shapes);
    Graph lowered = g;
    lower_einsum(lowered);
    for (const Node& n : lowered.nodes)
      CHECK(n.op != OpKind::Einsum);
    const std::vector<Tensor> ins = random_inputs(shapes);
    const Tensor want = Interpreter(g).run(ins)[0];
    const Tensor got = Interpreter(lowered).run(ins)[0];
    REQUIRE(got.type() == want.type());
    for (int64_t k = 0; k < got.numel(); ++k)
      CHECK(got.data<float>()[k] == Approx(want.data<float>()[k]).margin(1e-5));
    check_compiled(g, ins);
  }
  // Integer and f64 operands keep their dtype through the MatMul.
  Graph gi = einsum_graph("ij,jk->ik", {{2, 3}, {3, 2}}, DType::i64);
  const Tensor ai = Tensor::from_vector<int64_t>({2, 3}, {1, 2, 3, 4, 5, 6});
  const Tensor bi = Tensor::from_vector<int64_t>({3, 2}, {1, 0, 0, 1, 1, 1});
  const std::vector<Tensor> yi = compile(gi).run({ai, bi});
  CHECK(yi[0].data<int64_t>()[0] == 4);
  CHECK(yi[0].data<int64_t>()[3] == 11);
  const std::vector<Shape> s64 = {{3, 4}, {4}};
  check_compiled(einsum_graph("ij,j->i", s64, DType::f64),
                 {random_f32({3, 4}, 70).cast(DType::f64), random_f32({4}, 71).cast(DType::f64)},
                 1e-12);
}

TEST_CASE("text: Einsum's equation round-trips quoted", "[coverage][einsum][text]") {
  Graph g = einsum_graph("b i d , b j d -> b i j", {{1, 2, 3}, {1, 4, 3}});
  const std::string text = print_graph(g);
  CHECK(text.find("equation=\"b i d , b j d -> b i j\"") != std::string::npos);
  WeightStore store;
  store.add_all(g);
  CHECK(print_graph(parse_graph(text, store, "rt")) == text);
}
