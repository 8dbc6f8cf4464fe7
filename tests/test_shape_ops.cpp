// Tests of Shape, Gather and Expand: reference evaluation on small tensors
// with hand-computed results, their typed errors, the text format, the ONNX
// import of PyTorch's default recurrent state (Shape -> Gather -> Unsqueeze ->
// Concat -> Expand, evaluated at import) and what the compiled engine does
// with them (folded when constant; run-time Gather, Expand and the other
// data-movement ops as copy kernels, an out-of-range index an InputError).
#include <catch2/catch.hpp>

#include <fmt/format.h>

#include <cstdint>
#include <limits>
#include <numeric>
#include <string>
#include <vector>

#include "compiler/compile.h"
#include "compiler/frontend/onnx/onnx_model_proto.h"
#include "ir/builder.h"
#include "ir/interpreter.h"
#include "ir/text_format.h"
#include "onnx_test_util.h"
#include "tests/test_util.h"

using namespace loom;
using loom::test::attr_int;
using loom::test::iota_f32;
using loom::test::kMax;
using loom::test::kMin;
using loom::test::ModelMaker;
using TP = onnx::TensorProto;

namespace {

// Gather(data, indices) on graph inputs, run by the reference interpreter.
Tensor gather(const Tensor& data, const Tensor& indices, int64_t axis) {
  GraphBuilder b("gather_test");
  Val d = b.input("data", data.dtype(), data.shape());
  Val i = b.input("indices", indices.dtype(), indices.shape());
  b.output(b.gather(d, i, axis, "g"), "y");
  return Interpreter(b.build()).run({data, indices})[0];
}

Tensor expand(const Tensor& x, std::vector<int64_t> shape) {
  GraphBuilder b("expand_test");
  Val in = b.input("x", x.dtype(), x.shape());
  b.output(b.expand(in, std::move(shape), "e"), "y");
  return Interpreter(b.build()).run({x})[0];
}

std::vector<int64_t> shape_of(const Shape& x_shape, ShapeAttrs attrs) {
  GraphBuilder b("shape_test");
  Val in = b.input("x", DType::f32, x_shape);
  b.output(b.shape(in, attrs, "s"), "y");
  Tensor t = Interpreter(b.build()).run({Tensor(DType::f32, x_shape)})[0];
  REQUIRE(t.dtype() == DType::i64);
  REQUIRE(t.rank() == 1);
  return t.to_vector<int64_t>();
}

Tensor i64s(Shape s, const std::vector<int64_t>& v) {
  return Tensor::from_vector<int64_t>(std::move(s), v);
}

bool contains(const std::string& text, const std::string& part) {
  return text.find(part) != std::string::npos;
}

}  // namespace

// ---- Gather ---------------------------------------------------------------------

TEST_CASE("Gather: axis 0 picks rows", "[shapeops]") {
  // data [[0,1],[2,3],[4,5]]; rows 2 and 0.
  Tensor y = gather(iota_f32({3, 2}), i64s({2}, {2, 0}), 0);
  REQUIRE(y.shape() == Shape{2, 2});
  CHECK(y.to_vector<float>() == std::vector<float>{4, 5, 0, 1});
}

TEST_CASE("Gather: axis 1 with 2-D indices", "[shapeops]") {
  // data [[0,1,2],[3,4,5]]; out[r][i][j] = data[r][idx[i][j]].
  Tensor y = gather(iota_f32({2, 3}), i64s({2, 2}, {0, 2, 1, 1}), 1);
  REQUIRE(y.shape() == Shape{2, 2, 2});
  CHECK(y.to_vector<float>() == std::vector<float>{0, 2, 1, 1, 3, 5, 4, 4});
}

TEST_CASE("Gather: negative axis and negative indices count from the end", "[shapeops]") {
  // axis -1 of [2,3] is axis 1; index -1 is column 2, -3 column 0.
  Tensor y = gather(iota_f32({2, 3}), i64s({2}, {-1, -3}), -1);
  REQUIRE(y.shape() == Shape{2, 2});
  CHECK(y.to_vector<float>() == std::vector<float>{2, 0, 5, 3});
}

TEST_CASE("Gather: a scalar index drops the axis", "[shapeops]") {
  Tensor y = gather(iota_f32({3, 2}), Tensor::scalar<int64_t>(1), 0);
  REQUIRE(y.shape() == Shape{2});
  CHECK(y.to_vector<float>() == std::vector<float>{2, 3});
  // Axis 1 of a [2,3,2]: out[a][c] = data[a][2][c] = 6a + 4 + c.
  Tensor z = gather(iota_f32({2, 3, 2}), Tensor::scalar<int64_t>(2), 1);
  REQUIRE(z.shape() == Shape{2, 2});
  CHECK(z.to_vector<float>() == std::vector<float>{4, 5, 10, 11});
}

TEST_CASE("Gather: int32 indices, int64 and bool data", "[shapeops]") {
  Tensor idx = Tensor::from_vector<int32_t>({3}, {1, -1, 0});
  Tensor y = gather(iota_f32({3, 2}), idx, 0);
  CHECK(y.to_vector<float>() == std::vector<float>{2, 3, 4, 5, 0, 1});
  // Shape arithmetic: dims [7, 5, 9], take dim 1 as a scalar.
  Tensor dims = gather(i64s({3}, {7, 5, 9}), Tensor::scalar<int64_t>(1), 0);
  REQUIRE(dims.type() == TensorType{DType::i64, {}});
  CHECK(dims.to_vector<int64_t>() == std::vector<int64_t>{5});
  Tensor flags = gather(Tensor::from_vector<bool>({3}, {true, false, true}),
                        Tensor::from_vector<int32_t>({2}, {1, 2}), 0);
  REQUIRE(flags.dtype() == DType::boolean);
  CHECK(flags.to_vector<bool>() == std::vector<bool>{false, true});
}

TEST_CASE("Gather: empty indices give an empty output", "[shapeops]") {
  Tensor y = gather(iota_f32({3, 2}), Tensor(DType::i64, {0}), 0);
  CHECK(y.shape() == Shape{0, 2});
}

TEST_CASE("Gather: an out-of-range index is a ShapeError naming the node and the index",
          "[shapeops]") {
  for (int64_t bad : {int64_t{3}, int64_t{-4}, kMax, kMin}) {
    INFO("index " << bad);
    std::string m = test::error_of<ShapeError>([&] {
      gather(iota_f32({3, 2}), i64s({2}, {0, bad}), 0);
    });
    CHECK(contains(m, "'g'"));
    CHECK(contains(m, "Gather"));
    CHECK(contains(m, "indices"));
    CHECK(contains(m, "index " + std::to_string(bad) + " (element 1"));
    CHECK(contains(m, "-3..2"));
  }
  // int32 indices too, along axis 1 (size 2).
  std::string m = test::error_of<ShapeError>([&] {
    gather(iota_f32({3, 2}), Tensor::from_vector<int32_t>({1}, {2}), 1);
  });
  CHECK(contains(m, "index 2 (element 0"));
  CHECK(contains(m, "-2..1"));
}

TEST_CASE("Gather: bad ranks, dtypes and axes are ShapeErrors", "[shapeops]") {
  auto build = [](TensorType data, TensorType indices, int64_t axis) {
    GraphBuilder b;
    Val d = b.input("data", data.dtype, data.shape);
    Val i = b.input("indices", indices.dtype, indices.shape);
    b.gather(d, i, axis, "g");
  };
  std::string m = test::error_of<ShapeError>([&] {
    build({DType::f32, {3}}, {DType::f32, {1}}, 0);
  });
  CHECK(contains(m, "dtype f32, expected i64 or i32"));
  m = test::error_of<ShapeError>([&] { build({DType::f32, {}}, {DType::i64, {1}}, 0); });
  CHECK(contains(m, "expected at least rank 1"));
  m = test::error_of<ShapeError>([&] { build({DType::f32, {2, 3}}, {DType::i64, {1}}, 2); });
  CHECK(contains(m, "axis = 2 is out of range for rank 2"));
  m = test::error_of<ShapeError>([&] { build({DType::f32, {2, 3}}, {DType::i64, {1}}, -3); });
  CHECK(contains(m, "axis = -3"));
}

// ---- Expand ---------------------------------------------------------------------

TEST_CASE("Expand: broadcasts the input to a larger shape", "[shapeops]") {
  // [3,1] to [2,3,4]: out[b][r][c] = x[r].
  Tensor y = expand(test::f32({3, 1}, {1, 2, 3}), {2, 3, 4});
  REQUIRE(y.shape() == Shape{2, 3, 4});
  std::vector<float> want;
  for (int b = 0; b < 2; ++b)
    for (float r : {1.f, 2.f, 3.f})
      for (int c = 0; c < 4; ++c)
        want.push_back(r);
  CHECK(y.to_vector<float>() == want);
}

TEST_CASE("Expand: the broadcast goes both ways", "[shapeops]") {
  // [3,1] with shape [1,2] (smaller than the input in dim 0): [3,2].
  Tensor y = expand(test::f32({3, 1}, {1, 2, 3}), {1, 2});
  REQUIRE(y.shape() == Shape{3, 2});
  CHECK(y.to_vector<float>() == std::vector<float>{1, 1, 2, 2, 3, 3});
  // [1,3] with shape [2,1]: [2,3] (each side grows the other's 1).
  Tensor z = expand(test::f32({1, 3}, {7, 8, 9}), {2, 1});
  REQUIRE(z.shape() == Shape{2, 3});
  CHECK(z.to_vector<float>() == std::vector<float>{7, 8, 9, 7, 8, 9});
  // A shorter shape lines up at the end and keeps the input.
  Tensor same = expand(iota_f32({2, 3}), {3});
  CHECK(same.to_vector<float>() == std::vector<float>{0, 1, 2, 3, 4, 5});
  // A scalar to a shape; i64 data; a 0 dimension against a 1.
  CHECK(expand(Tensor::scalar<int64_t>(5), {2, 2}).to_vector<int64_t>() ==
        std::vector<int64_t>{5, 5, 5, 5});
  CHECK(expand(test::f32({1, 2}, {1, 2}), {0, 1}).shape() == Shape{0, 2});
}

TEST_CASE("Expand: incompatible shapes and negative sizes are ShapeErrors", "[shapeops]") {
  std::string m = test::error_of<ShapeError>([] { expand(iota_f32({2, 3}), {4}); });
  CHECK(contains(m, "'e'"));
  CHECK(contains(m, "Expand"));
  CHECK(contains(m, "[2,3] does not broadcast with attribute shape = [4]"));
  m = test::error_of<ShapeError>([] { expand(iota_f32({2, 3}), {2, 3, 2}); });
  CHECK(contains(m, "[2,3] does not broadcast with attribute shape = [2,3,2]"));
  m = test::error_of<ShapeError>([] { expand(iota_f32({3}), {-1, 3}); });
  CHECK(contains(m, "has -1 at position 0"));
  m = test::error_of<ShapeError>([] { expand(iota_f32({1}), {kMax, kMax}); });
  CHECK(contains(m, "more elements than fit in int64"));
}

// ---- Shape ----------------------------------------------------------------------

TEST_CASE("Shape: all dims, and opset 15 start/end with negatives and clamping", "[shapeops]") {
  const Shape x{2, 3, 4, 5};
  using V = std::vector<int64_t>;
  CHECK(shape_of(x, {}) == V{2, 3, 4, 5});
  CHECK(shape_of(x, {.start = 1}) == V{3, 4, 5});
  CHECK(shape_of(x, {.end = -1}) == V{2, 3, 4});
  CHECK(shape_of(x, {.start = -3, .end = 3}) == V{3, 4});
  CHECK(shape_of(x, {.start = 1, .end = 2}) == V{3});
  CHECK(shape_of(x, {.start = -10, .end = 10}) == V{2, 3, 4, 5});  // both clamped
  CHECK(shape_of(x, {.start = kMin, .end = kMax}) == V{2, 3, 4, 5});
  CHECK(shape_of(x, {.start = 10}).empty());
  CHECK(shape_of(x, {.end = -10}).empty());
  CHECK(shape_of(x, {.start = 3, .end = 1}).empty());  // start after end: empty
  CHECK(shape_of({}, {}).empty());                     // a scalar has no dims
  CHECK(shape_op_dims({.start = -1}, {6, 7}) == V{7});
}

TEST_CASE("Shape, Gather and Expand print and parse back", "[shapeops]") {
  GraphBuilder b("text");
  Val x = b.input("x", DType::f32, {2, 3});
  Val idx = b.input("idx", DType::i32, {1});
  b.output(b.shape(x, {.start = -1, .end = 5}, "s"), "dims");
  b.output(b.gather(x, idx, -1, "g"), "picked");
  b.output(b.expand(x, {4, 1, 3}, "e"), "wide");
  Graph g = b.build();
  const std::string text = print_graph(g);
  CHECK(contains(text, "Shape(%x) {start=-1, end=5}"));
  CHECK(contains(text, "Gather(%x, %idx) {axis=-1}"));
  CHECK(contains(text, "Expand(%x) {shape=[4,1,3]}"));
  Graph parsed = parse_graph(text, WeightStore{}, "t");
  std::string diff;
  const bool same = graphs_equal(g, parsed, &diff);
  INFO(diff);
  CHECK(same);
  CHECK(print_graph(parsed) == text);
}

// ---- the compiled engine --------------------------------------------------------

TEST_CASE("compile: Shape of run-time data and Expand of a constant fold away", "[shapeops]") {
  GraphBuilder b("fold");
  Val x = b.input("x", DType::f32, {2, 3});
  Val dims = b.shape(x, {}, "dims");
  Val bias = b.expand(b.constant("c", test::f32({1, 3}, {1, 2, 3})), {2, 3}, "bias");
  b.output(dims, "dims_out");
  b.output(b.add(x, bias, "sum"), "y");
  Graph g = b.build();
  Graph folded = run_pipeline(g, {});
  for (const Node& n : folded.nodes) {
    CHECK(n.op != OpKind::Shape);
    CHECK(n.op != OpKind::Expand);
  }
  Executable exe = compile(g);
  Tensor in = iota_f32({2, 3});
  std::vector<Tensor> out = exe.run({in});
  std::vector<Tensor> ref = Interpreter(g).run({in});
  REQUIRE(out.size() == 2);
  CHECK(out[0].to_vector<int64_t>() == std::vector<int64_t>{2, 3});
  CHECK(out[1].to_vector<float>() == std::vector<float>{1, 3, 5, 4, 6, 8});
  CHECK(ref[1].to_vector<float>() == out[1].to_vector<float>());
}

TEST_CASE("compile: an embedding lookup on run-time token ids, int64 and int32", "[shapeops]") {
  for (DType idt : {DType::i64, DType::i32}) {
    GraphBuilder b("emb");
    Val table = b.constant("table", iota_f32({5, 2}));
    Val ids = b.input("ids", idt, {2, 3});
    b.output(b.gather(table, ids, 0, "lookup"), "y");
    Graph g = b.build();
    Executable exe = compile(g);
    Tensor in = i64s({2, 3}, {4, 0, -1, 2, 2, 1}).cast(idt);
    Tensor y = exe.run({in})[0];
    CHECK(y.shape() == Shape{2, 3, 2});
    CHECK(y.to_vector<float>() == std::vector<float>{8, 9, 0, 1, 8, 9, 4, 5, 4, 5, 2, 3});
    CHECK(Interpreter(g).run({in})[0].to_vector<float>() == y.to_vector<float>());
    // A token id outside the table is an InputError naming the input and the value,
    // never a read out of bounds.
    for (int64_t bad : {int64_t{5}, int64_t{-6}, int64_t{1} << 40}) {
      if (idt == DType::i32 && bad > (int64_t{1} << 31)) continue;
      Tensor wrong = i64s({2, 3}, {0, 1, bad, 2, 3, 4}).cast(idt);
      std::string m = test::error_of<InputError>([&] { exe.run({wrong}); });
      CHECK(contains(m, "'ids'"));
      CHECK(contains(m, fmt::format("index {} at position 2", bad)));
      CHECK(contains(m, "'lookup' (Gather)"));
    }
  }
}

TEST_CASE("compile: Gather of a constant index from run-time data (the last time step)",
          "[shapeops]") {
  GraphBuilder b("last_step");
  Val x = b.input("y", DType::f32, {2, 4, 3});  // [batch, time, features]
  Val last = b.constant("last", Tensor::scalar<int64_t>(-1));
  b.output(b.gather(x, last, 1, "pick"), "out");
  Graph g = b.build();
  Tensor in = iota_f32({2, 4, 3});
  Tensor y = compile(g).run({in})[0];
  CHECK(y.shape() == Shape{2, 3});
  CHECK(y.to_vector<float>() == std::vector<float>{9, 10, 11, 21, 22, 23});
}

TEST_CASE("compile: Expand, Tile, Split, DepthToSpace and Cast of run-time data", "[shapeops]") {
  GraphBuilder b("moves");
  Val x = b.input("x", DType::f32, {1, 8, 2, 3});
  Val wide = b.expand(b.input("col", DType::f32, {3, 1}), {2, 3, 4}, "widen");
  Val tiled = b.op(OpKind::Tile, {x}, TileAttrs{{1, 1, 2, 1}}, 1, "tile")[0];
  std::vector<Val> parts = b.op(OpKind::Split, {x}, SplitAttrs{1, {2, 6}}, 2, "split");
  Val d2s = b.op(OpKind::DepthToSpace, {x}, BlockAttrs{2, DepthToSpaceMode::CRD}, 1, "d2s")[0];
  Val s2d = b.op(OpKind::SpaceToDepth, {d2s}, BlockAttrs{2, DepthToSpaceMode::DCR}, 1, "s2d")[0];
  Val as_int = b.op(OpKind::Cast, {x}, CastAttrs{DType::i32}, 1, "to_int")[0];
  for (Val v : {wide, tiled, parts[0], parts[1], d2s, s2d, as_int})
    b.output(v);
  Graph g = b.build();
  std::vector<Tensor> in{test::random_f32({1, 8, 2, 3}, 3, -4.f, 4.f), test::random_f32({3, 1}, 4)};
  std::vector<Tensor> got = compile(g).run(in);
  std::vector<Tensor> want = Interpreter(g).run(in);
  REQUIRE(got.size() == want.size());
  for (size_t i = 0; i < got.size(); ++i) {
    INFO("output " << i);
    CHECK(got[i].type() == want[i].type());
    CHECK(got[i].same_content(want[i]));
  }
}

// ---- ONNX import ----------------------------------------------------------------

namespace {

constexpr int64_t kT = 4, kN = 3, kI = 2, kH = 5;

// PyTorch's export of a bidirectional LSTM called without a state, written
// out by hand (opset 14): the initial states are Expand(value, [2, N, H])
// with N taken from Shape(X). initial_h takes N through a scalar Gather and
// Unsqueeze (the exporter's form); initial_c through a 1-D int32 Gather with
// a negative index. The fill values are nonzero so that a wrong state shows.
ModelMaker default_state_lstm() {
  ModelMaker m(14);
  m.input("X", TP::FLOAT, {kT, kN, kI});
  m.initializer("W", test::random_f32({2, 4 * kH, kI}, 1));
  m.initializer("R", test::random_f32({2, 4 * kH, kH}, 2));
  m.initializer("B", test::random_f32({2, 8 * kH}, 3));
  m.initializer("one", Tensor::scalar<int64_t>(1));
  m.initializer("minus_two", Tensor::from_vector<int32_t>({1}, {-2}));
  m.initializer("axes0", i64s({1}, {0}));
  m.initializer("dirs", i64s({1}, {2}));
  m.initializer("hidden", i64s({1}, {kH}));
  m.initializer("h_fill", test::f32({1}, {0.25f}));
  m.initializer("c_fill", test::f32({1, 1, 1}, {-0.5f}));
  m.node("Shape", {"X"}, {"x_shape"}, "shape_h");
  m.node("Gather", {"x_shape", "one"}, {"batch"}, "gather_h");
  m.node("Unsqueeze", {"batch", "axes0"}, {"batch1"}, "unsqueeze_h");
  attr_int(m.node("Concat", {"dirs", "batch1", "hidden"}, {"h_dims"}, "concat_h"), "axis", 0);
  m.node("Expand", {"h_fill", "h_dims"}, {"h0"}, "expand_h");
  m.node("Shape", {"X"}, {"x_shape_c"}, "shape_c");
  m.node("Gather", {"x_shape_c", "minus_two"}, {"batch_c"}, "gather_c");
  attr_int(m.node("Concat", {"dirs", "batch_c", "hidden"}, {"c_dims"}, "concat_c"), "axis", 0);
  m.node("Expand", {"c_fill", "c_dims"}, {"c0"}, "expand_c");
  auto& lstm = m.node("LSTM", {"X", "W", "R", "B", "", "h0", "c0"}, {"Y", "Y_h", "Y_c"}, "lstm");
  attr_int(lstm, "hidden_size", kH);
  loom::test::attr_string(lstm, "direction", "bidirectional");
  m.output("Y");
  m.output("Y_h");
  m.output("Y_c");
  return m;
}

Tensor filled(Shape s, float v) {
  return Tensor::from_vector<float>(s, std::vector<float>(static_cast<size_t>(shape_numel(s)), v));
}

}  // namespace

TEST_CASE("ONNX import: PyTorch's default LSTM state (Shape->Gather->Unsqueeze->Concat->Expand)",
          "[shapeops]") {
  Graph g = import_onnx(default_state_lstm().model(), {});
  // The integer shape arithmetic was evaluated at import; the f32 Expands
  // remain as nodes with the computed shape.
  int expands = 0;
  for (const Node& n : g.nodes) {
    INFO(n.name);
    CHECK(n.op != OpKind::Shape);
    CHECK(n.op != OpKind::Gather);
    CHECK(n.op != OpKind::Unsqueeze);
    CHECK(n.op != OpKind::Concat);
    if (n.op == OpKind::Expand) {
      ++expands;
      CHECK(n.attr<ExpandAttrs>().shape == std::vector<int64_t>{2, kN, kH});
    }
  }
  CHECK(expands == 2);
  CHECK(!g.find_value("x_shape"));  // folded values that feed only attributes leave nothing

  // The same LSTM with its initial states written out as constants gives
  // the same numbers.
  GraphBuilder b("explicit_state");
  Val x = b.input("X", DType::f32, {kT, kN, kI});
  RecurrentOutputs r = b.lstm({.x = x,
                               .w = b.constant("W", test::random_f32({2, 4 * kH, kI}, 1)),
                               .r = b.constant("R", test::random_f32({2, 4 * kH, kH}, 2)),
                               .b = b.constant("B", test::random_f32({2, 8 * kH}, 3)),
                               .initial_h = b.constant("h0", filled({2, kN, kH}, 0.25f)),
                               .initial_c = b.constant("c0", filled({2, kN, kH}, -0.5f))},
                              {.hidden_size = kH, .direction = Direction::Bidirectional});
  b.output(r.y, "Y");
  b.output(r.y_h, "Y_h");
  b.output(r.y_c, "Y_c");
  Graph explicit_state = b.build();

  const Tensor in = test::random_f32({kT, kN, kI}, 4);
  std::vector<Tensor> ref = Interpreter(g).run({in});
  std::vector<Tensor> want = Interpreter(explicit_state).run({in});
  REQUIRE(ref.size() == 3);
  for (size_t i = 0; i < 3; ++i)
    CHECK(test::max_abs_diff(ref[i], want[i]) == 0.0);

  // Compiled: the Expands fold into constants and the LSTM compiles.
  Graph folded = run_pipeline(g, {});
  for (const Node& n : folded.nodes)
    CHECK(n.op != OpKind::Expand);
  Executable exe = compile(g);
  std::vector<Tensor> out = exe.run({in});
  REQUIRE(out.size() == 3);
  for (size_t i = 0; i < 3; ++i) {
    INFO("output " << i);
    CHECK(test::max_abs_diff(out[i], ref[i]) < 1e-5);
  }
}

TEST_CASE("ONNX import: Shape start/end (opset 15) and Gather of a float constant", "[shapeops]") {
  ModelMaker m(15);
  m.input("X", TP::FLOAT, {2, 3, 4});
  m.initializer("table", iota_f32({5, 4}));
  auto& s = m.node("Shape", {"X"}, {"last"}, "shape_last");
  attr_int(s, "start", -1);  // [4]
  m.initializer("minus_one", Tensor::scalar<int64_t>(-1));
  m.node("Gather", {"last", "minus_one"}, {"n"}, "gather_n");  // 4, a scalar
  m.initializer("three", Tensor::scalar<int64_t>(3));
  m.node("Gather", {"table", "three"}, {"row"}, "gather_row");  // f32: stays a node
  m.node("Add", {"X", "row"}, {"Y"}, "add");
  m.output("Y");
  m.output("n", TP::INT64);
  Graph g = import_onnx(m.model(), {});
  // Shape was folded into a constant; gather_row (f32) and gather_n (it
  // computes a graph output) stay nodes.
  std::vector<std::string> names;
  for (const Node& n : g.nodes)
    names.push_back(n.name);
  CHECK(names == std::vector<std::string>{"gather_n", "gather_row", "add"});
  const Node& gather_n = g.nodes[0];
  REQUIRE(g.is_constant(gather_n.inputs[0]));
  CHECK(g.value(gather_n.inputs[0]).constant->to_vector<int64_t>() == std::vector<int64_t>{4});
  CHECK(g.type_of(g.outputs[1]) == TensorType{DType::i64, {}});

  // Y = X + table[3] = X + [12, 13, 14, 15] along the last dim.
  const Tensor in = iota_f32({2, 3, 4});
  std::vector<float> want;
  for (int i = 0; i < 24; ++i)
    want.push_back(static_cast<float>(i + 12 + i % 4));
  std::vector<Tensor> ref = Interpreter(g).run({in});
  CHECK(ref[0].to_vector<float>() == want);
  CHECK(ref[1].to_vector<int64_t>() == std::vector<int64_t>{4});
  // Compiled: the Gathers of constants fold, the Add runs in Halide.
  std::vector<Tensor> out = compile(g).run({in});
  CHECK(out[0].to_vector<float>() == want);
  CHECK(out[1].to_vector<int64_t>() == std::vector<int64_t>{4});
}

TEST_CASE("ONNX import: Expand's shape must be known at import", "[shapeops]") {
  ModelMaker m(13);
  m.input("X", TP::FLOAT, {3, 1});
  m.input("dims", TP::INT64, {3});
  m.node("Expand", {"X", "dims"}, {"Y"}, "widen");
  m.output("Y");
  std::string msg = test::error_of<UnsupportedError>([&] { import_onnx(m.model(), {}); });
  CHECK(contains(msg, "'widen' (Expand)"));
  CHECK(contains(msg, "'dims' (shape) must be a constant"));
  // Pinned, it imports with the value as the attribute.
  ImportOptions pins;
  pins.known_input_values["dims"] = i64s({3}, {2, 1, 4});
  Graph g = import_onnx(m.model(), pins);
  REQUIRE(g.nodes.size() == 1);
  CHECK(g.nodes[0].attr<ExpandAttrs>().shape == std::vector<int64_t>{2, 1, 4});
  CHECK(g.type_of(g.outputs[0]) == TensorType{DType::f32, {2, 3, 4}});
  // Before opset 8 there is no Expand.
  ModelMaker old(7);
  old.input("X", TP::FLOAT, {3, 1});
  old.initializer("dims", i64s({2}, {2, 4}));
  old.node("Expand", {"X", "dims"}, {"Y"}, "widen");
  old.output("Y");
  msg = test::error_of<UnsupportedError>([&] { import_onnx(old.model(), {}); });
  CHECK(contains(msg, "Expand exists from opset 8"));
}

TEST_CASE("ONNX import: an out-of-range index in shape arithmetic is a ShapeError at import",
          "[shapeops]") {
  ModelMaker m(13);
  m.input("X", TP::FLOAT, {2, 3});
  m.initializer("five", Tensor::scalar<int64_t>(5));
  m.node("Shape", {"X"}, {"s"}, "shape");
  m.node("Gather", {"s", "five"}, {"d"}, "pick_dim");
  m.output("d", TP::INT64);
  std::string msg = test::error_of<ShapeError>([&] { import_onnx(m.model(), {}); });
  CHECK(contains(msg, "'pick_dim' (Gather)"));
  CHECK(contains(msg, "index 5 (element 0"));
}

TEST_CASE("ONNX import: Shape of an input with a symbolic dimension needs that dimension pinned",
          "[shapeops]") {
  // Shapes are static in Loom: a symbolic dimension is a UsageError before
  // any node is imported, and once pinned Shape gives the pinned size.
  ModelMaker m(13);
  m.input("X", TP::FLOAT, {std::string("batch"), 3});
  m.node("Shape", {"X"}, {"dims"}, "shape");
  m.output("dims", TP::INT64);
  std::string msg = test::error_of<UsageError>([&] { import_onnx(m.model(), {}); });
  CHECK(contains(msg, "'batch'"));
  ImportOptions pins;
  pins.input_shapes["X"] = {5, 3};
  Graph g = import_onnx(m.model(), pins);
  // A node computing a graph output stays a node; fold_constants folds it.
  REQUIRE(g.nodes.size() == 1);
  CHECK(g.nodes[0].op == OpKind::Shape);
  CHECK(Interpreter(g).run({Tensor(DType::f32, {5, 3})})[0].to_vector<int64_t>() ==
        std::vector<int64_t>{5, 3});
  Graph folded = run_pipeline(g, {});
  CHECK(folded.nodes.empty());
  REQUIRE(folded.is_constant(folded.outputs[0]));
  CHECK(folded.value(folded.outputs[0]).constant->to_vector<int64_t>() ==
        std::vector<int64_t>{5, 3});
}
