// Reference-interpreter tests of the elementwise ops (binary arithmetic with
// broadcasting, activations, Clip, Softmax / LogSoftmax, Identity, Dropout).
// Expected values are computed by hand or from closed forms in the test.
#include <catch2/catch.hpp>

#include <cmath>
#include <cstdint>
#include <limits>
#include <string>
#include <vector>

#include "ir/builder.h"
#include "ir/interpreter.h"
#include "tests/test_util.h"

using namespace loom;
using namespace loom::test;

namespace {

std::vector<Tensor> run_graph(GraphBuilder& b, const std::vector<Tensor>& inputs) {
  Interpreter interp(b.build());
  return interp.run(inputs);
}

// Runs a one-input graph `f(x)` on `x`.
template <class F>
Tensor run_unary(const Tensor& x, F&& f) {
  GraphBuilder b("unary");
  Val in = b.input("x", x.dtype(), x.shape());
  b.output(f(b, in), "y");
  return run_graph(b, {x})[0];
}

// Runs a two-input graph `f(a, b)`.
template <class F>
Tensor run_binary(const Tensor& a, const Tensor& c, F&& f) {
  GraphBuilder b("binary");
  Val va = b.input("a", a.dtype(), a.shape());
  Val vb = b.input("b", c.dtype(), c.shape());
  b.output(f(b, va, vb), "y");
  return run_graph(b, {a, c})[0];
}

void require_close(const Tensor& t, const Shape& shape, const std::vector<double>& want,
                   double eps = 1e-6) {
  REQUIRE(t.shape() == shape);
  REQUIRE(t.numel() == static_cast<int64_t>(want.size()));
  for (size_t i = 0; i < want.size(); ++i) {
    INFO("element " << i);
    CHECK(t.get_as_double(static_cast<int64_t>(i)) == Approx(want[i]).epsilon(eps).margin(eps));
  }
}

}  // namespace

// ---- binary arithmetic ----------------------------------------------------------------

TEST_CASE("elementwise: Add broadcasts [2,3] + [3]", "[ops][elementwise]") {
  Tensor y = run_binary(f32({2, 3}, {1, 2, 3, 4, 5, 6}), f32({3}, {10, 20, 30}),
                        [](GraphBuilder& b, Val x, Val z) { return b.add(x, z); });
  require_close(y, {2, 3}, {11, 22, 33, 14, 25, 36});
}

TEST_CASE("elementwise: Mul broadcasts [2,1,3] * [4,1] to [2,4,3]", "[ops][elementwise]") {
  Tensor y = run_binary(f32({2, 1, 3}, {1, 2, 3, 4, 5, 6}), f32({4, 1}, {1, 2, 3, 4}),
                        [](GraphBuilder& b, Val x, Val z) { return b.mul(x, z); });
  require_close(y, {2, 4, 3}, {1, 2, 3, 2, 4,  6,  3,  6,  9,  4,  8,  12,  //
                               4, 5, 6, 8, 10, 12, 12, 15, 18, 16, 20, 24});
}

TEST_CASE("elementwise: Sub with a scalar on either side", "[ops][elementwise]") {
  Tensor x = Tensor::from_vector<double>({2, 2}, {1, 2, 3, 4});
  Tensor s = Tensor::scalar<double>(1.5);
  require_close(run_binary(x, s, [](GraphBuilder& b, Val p, Val q) { return b.sub(p, q); }), {2, 2},
                {-0.5, 0.5, 1.5, 2.5});
  Tensor y = run_binary(Tensor::scalar<double>(10), x,
                        [](GraphBuilder& b, Val p, Val q) { return b.sub(p, q); });
  CHECK(y.dtype() == DType::f64);
  require_close(y, {2, 2}, {9, 8, 7, 6});
  // Scalar op scalar stays a scalar.
  require_close(run_binary(s, s, [](GraphBuilder& b, Val p, Val q) { return b.mul(p, q); }), {},
                {2.25});
}

TEST_CASE("elementwise: Div on floats", "[ops][elementwise]") {
  Tensor y = run_binary(f32({3}, {1, 2, 3}), f32({3}, {2, 4, -8}),
                        [](GraphBuilder& b, Val x, Val z) { return b.div(x, z); });
  require_close(y, {3}, {0.5, 0.5, -0.375});
  // IEEE division by zero is not an error for floats.
  Tensor inf = run_binary(f32({1}, {1}), f32({1}, {0}),
                          [](GraphBuilder& b, Val x, Val z) { return b.div(x, z); });
  CHECK(std::isinf(inf.values<float>()[0]));
}

TEST_CASE("elementwise: integer arithmetic", "[ops][elementwise]") {
  auto i32 = [](Shape s, std::vector<int32_t> v) { return Tensor::from_vector<int32_t>(s, v); };
  auto i64 = [](Shape s, std::vector<int64_t> v) { return Tensor::from_vector<int64_t>(s, v); };

  SECTION("Div truncates toward zero") {
    Tensor y = run_binary(i32({4}, {7, -7, 7, -7}), i32({4}, {2, 2, -2, -2}),
                          [](GraphBuilder& b, Val x, Val z) { return b.div(x, z); });
    CHECK(y.dtype() == DType::i32);
    CHECK(y.to_vector<int32_t>() == std::vector<int32_t>{3, -3, -3, 3});
  }
  SECTION("i64 Add, Sub, Mul beyond the i32 range") {
    Tensor a = i64({2}, {3000000000, -5});
    Tensor c = i64({2}, {3, 7});
    CHECK(run_binary(a, c, [](GraphBuilder& b, Val x, Val z) {
            return b.mul(x, z);
          }).to_vector<int64_t>() == std::vector<int64_t>{9000000000, -35});
    CHECK(run_binary(a, c, [](GraphBuilder& b, Val x, Val z) {
            return b.add(x, z);
          }).to_vector<int64_t>() == std::vector<int64_t>{3000000003, 2});
    CHECK(run_binary(a, c, [](GraphBuilder& b, Val x, Val z) {
            return b.sub(x, z);
          }).to_vector<int64_t>() == std::vector<int64_t>{2999999997, -12});
  }
  SECTION("i64 broadcasting Div") {
    Tensor y = run_binary(i64({2, 2}, {10, 21, -30, 41}), i64({2}, {3, -4}),
                          [](GraphBuilder& b, Val x, Val z) { return b.div(x, z); });
    CHECK(y.to_vector<int64_t>() == std::vector<int64_t>{3, -5, -10, -10});
  }
  SECTION("overflow wraps instead of being undefined") {
    const int32_t mn = std::numeric_limits<int32_t>::min();
    const int32_t mx = std::numeric_limits<int32_t>::max();
    CHECK(run_binary(i32({1}, {mn}), i32({1}, {-1}), [](GraphBuilder& b, Val x, Val z) {
            return b.div(x, z);
          }).to_vector<int32_t>() == std::vector<int32_t>{mn});
    CHECK(run_binary(i32({1}, {mx}), i32({1}, {1}), [](GraphBuilder& b, Val x, Val z) {
            return b.add(x, z);
          }).to_vector<int32_t>() == std::vector<int32_t>{mn});
  }
}

TEST_CASE("elementwise: i8 and u8 arithmetic wraps", "[ops][elementwise]") {
  auto u8 = [](std::vector<uint8_t> v) { return Tensor::from_vector<uint8_t>({3}, v); };
  auto i8 = [](std::vector<int8_t> v) { return Tensor::from_vector<int8_t>({3}, v); };
  CHECK(run_binary(u8({250, 3, 7}), u8({10, 5, 2}), [](GraphBuilder& b, Val x, Val z) {
          return b.add(x, z);
        }).to_vector<uint8_t>() == std::vector<uint8_t>{4, 8, 9});
  CHECK(run_binary(u8({250, 3, 7}), u8({10, 5, 2}), [](GraphBuilder& b, Val x, Val z) {
          return b.sub(x, z);
        }).to_vector<uint8_t>() == std::vector<uint8_t>{240, 254, 5});
  CHECK(run_binary(u8({16, 3, 7}), u8({16, 5, 2}), [](GraphBuilder& b, Val x, Val z) {
          return b.mul(x, z);
        }).to_vector<uint8_t>() == std::vector<uint8_t>{0, 15, 14});
  CHECK(run_binary(u8({250, 3, 7}), u8({10, 5, 2}), [](GraphBuilder& b, Val x, Val z) {
          return b.div(x, z);
        }).to_vector<uint8_t>() == std::vector<uint8_t>{25, 0, 3});
  CHECK(run_binary(i8({-128, -7, 100}), i8({-1, 2, 100}), [](GraphBuilder& b, Val x, Val z) {
          return b.div(x, z);
        }).to_vector<int8_t>() == std::vector<int8_t>{-128, -3, 1});
  CHECK(run_binary(i8({127, -128, 5}), i8({1, -1, -6}), [](GraphBuilder& b, Val x, Val z) {
          return b.add(x, z);
        }).to_vector<int8_t>() == std::vector<int8_t>{-128, 127, -1});
  CHECK(run_unary(i8({-5, 0, 9}), [](GraphBuilder& b, Val x) {
          return b.relu(x);
        }).to_vector<int8_t>() == std::vector<int8_t>{0, 0, 9});
  CHECK(run_unary(u8({0, 100, 255}), [](GraphBuilder& b, Val x) {
          return b.clip(x, {.min = 10, .max = 200});
        }).to_vector<uint8_t>() == std::vector<uint8_t>{10, 100, 200});
  CHECK(run_unary(i8({-128, 0, 127}), [](GraphBuilder& b, Val x) {
          return b.clip(x, {.min = -3});
        }).to_vector<int8_t>() == std::vector<int8_t>{-3, 0, 127});
  // Relu is for signed types only (ONNX).
  GraphBuilder g;
  Val x = g.input("x", DType::u8, {3});
  CHECK_THROWS_AS(g.relu(x), ShapeError);
}

TEST_CASE("elementwise: integer division by zero is an InputError", "[ops][elementwise]") {
  GraphBuilder b("divzero");
  Val x = b.input("num", DType::i32, {3});
  Val d = b.input("den", DType::i32, {3});
  b.output(b.div(x, d, "my_div"), "y");
  Interpreter interp(b.build());
  std::string msg = error_of<InputError>([&] {
    interp.run(std::vector<Tensor>{Tensor::from_vector<int32_t>({3}, {1, 2, 3}),
                                   Tensor::from_vector<int32_t>({3}, {1, 0, 1})});
  });
  CHECK_THAT(msg, Catch::Contains("my_div"));
  CHECK_THAT(msg, Catch::Contains("den"));
  CHECK_THAT(msg, Catch::Contains("division by zero"));
  CHECK_THAT(msg, Catch::Contains("element 1"));
}

TEST_CASE("elementwise: binary op errors name node, shapes and dtypes", "[ops][elementwise]") {
  SECTION("shapes that do not broadcast") {
    GraphBuilder b;
    Val x = b.input("x", DType::f32, {2, 3});
    Val y = b.input("y", DType::f32, {4});
    std::string msg = error_of<ShapeError>([&] { b.add(x, y, "bad_add"); });
    CHECK_THAT(msg, Catch::Contains("bad_add"));
    CHECK_THAT(msg, Catch::Contains("[2,3]"));
    CHECK_THAT(msg, Catch::Contains("[4]"));
    CHECK_THAT(msg, Catch::Contains("3 vs 4"));
  }
  SECTION("dtypes that differ") {
    GraphBuilder b;
    Val x = b.input("x", DType::f32, {2});
    Val y = b.input("y", DType::i32, {2});
    std::string msg = error_of<ShapeError>([&] { b.mul(x, y, "mixed"); });
    CHECK_THAT(msg, Catch::Contains("mixed"));
    CHECK_THAT(msg, Catch::Contains("f32"));
    CHECK_THAT(msg, Catch::Contains("i32"));
  }
  SECTION("bool is not arithmetic") {
    GraphBuilder b;
    Val x = b.input("x", DType::boolean, {2});
    std::string msg = error_of<ShapeError>([&] { b.add(x, x, "bool_add"); });
    CHECK_THAT(msg, Catch::Contains("bool_add"));
    CHECK_THAT(msg, Catch::Contains("bool"));
  }
  SECTION("f16 is valid ONNX but not implemented") {
    GraphBuilder b;
    Val x = b.input("x", DType::f16, {2});
    std::string msg = error_of<UnsupportedError>([&] { b.sub(x, x, "half_sub"); });
    CHECK_THAT(msg, Catch::Contains("half_sub"));
    CHECK_THAT(msg, Catch::Contains("f16"));
  }
}

// ---- activations ------------------------------------------------------------------

TEST_CASE("elementwise: Relu on f32 and i32", "[ops][elementwise]") {
  require_close(
      run_unary(f32({4}, {-1, 0, 2, -0.5f}), [](GraphBuilder& b, Val x) { return b.relu(x); }), {4},
      {0, 0, 2, 0});
  Tensor y = run_unary(Tensor::from_vector<int32_t>({2}, {-5, 3}),
                       [](GraphBuilder& b, Val x) { return b.relu(x); });
  CHECK(y.to_vector<int32_t>() == std::vector<int32_t>{0, 3});
}

TEST_CASE("elementwise: LeakyRelu with default and given alpha", "[ops][elementwise]") {
  require_close(
      run_unary(f32({2}, {-2, 3}), [](GraphBuilder& b, Val x) { return b.leaky_relu(x, 0.1f); }),
      {2}, {-0.2, 3});
  require_close(
      run_unary(f32({2}, {-100, 1}), [](GraphBuilder& b, Val x) { return b.leaky_relu(x); }), {2},
      {-1, 1});
}

TEST_CASE("elementwise: Sigmoid and Tanh", "[ops][elementwise]") {
  require_close(
      run_unary(f32({3}, {0, 1, -1}), [](GraphBuilder& b, Val x) { return b.sigmoid(x); }), {3},
      {0.5, 0.7310585786300049, 0.2689414213699951});
  // Far in the tails: no overflow and no NaN.
  require_close(run_unary(Tensor::from_vector<double>({2}, {-30, 800}),
                          [](GraphBuilder& b, Val x) { return b.sigmoid(x); }),
                {2}, {9.357622968839299e-14, 1.0}, 1e-12);
  require_close(run_unary(f32({3}, {0, 1, -2}), [](GraphBuilder& b, Val x) { return b.tanh(x); }),
                {3}, {0, 0.7615941559557649, -0.9640275800758169});
}

TEST_CASE("elementwise: Elu with default and given alpha", "[ops][elementwise]") {
  require_close(run_unary(f32({2}, {-1, 2}), [](GraphBuilder& b, Val x) { return b.elu(x); }), {2},
                {-0.6321205588285577, 2});
  require_close(run_unary(Tensor::from_vector<double>({2}, {-1, 0}),
                          [](GraphBuilder& b, Val x) { return b.elu(x, 2.f); }),
                {2}, {-1.2642411176571153, 0}, 1e-12);
}

TEST_CASE("elementwise: activations reject integer inputs", "[ops][elementwise]") {
  GraphBuilder b;
  Val x = b.input("ints", DType::i32, {2});
  std::string msg = error_of<ShapeError>([&] { b.sigmoid(x, "sig"); });
  CHECK_THAT(msg, Catch::Contains("sig"));
  CHECK_THAT(msg, Catch::Contains("i32"));
  CHECK_THAT(msg, Catch::Contains("f32"));
}

TEST_CASE("elementwise: Clip variants", "[ops][elementwise]") {
  Tensor x = f32({5}, {-3, -1, 0, 2, 5});
  auto clip = [&](ClipAttrs a) {
    return run_unary(x, [&](GraphBuilder& b, Val v) { return b.clip(v, a); });
  };
  require_close(clip({.min = -1, .max = 2}), {5}, {-1, -1, 0, 2, 2});
  require_close(clip({.min = 0}), {5}, {0, 0, 0, 2, 5});
  require_close(clip({.max = 1}), {5}, {-3, -1, 0, 1, 1});
  require_close(clip({}), {5}, {-3, -1, 0, 2, 5});
  // min > max: everything becomes max.
  require_close(clip({.min = 3, .max = 2}), {5}, {2, 2, 2, 2, 2});

  SECTION("integer dtypes") {
    Tensor y = run_unary(Tensor::from_vector<int32_t>({3}, {-5, 3, 10}),
                         [](GraphBuilder& b, Val v) { return b.clip(v, {.min = -2, .max = 4}); });
    CHECK(y.to_vector<int32_t>() == std::vector<int32_t>{-2, 3, 4});
    const int64_t big = int64_t{1} << 40;
    Tensor z = run_unary(Tensor::from_vector<int64_t>({3}, {-big, 7, big}),
                         [](GraphBuilder& b, Val v) { return b.clip(v, {.max = 5}); });
    CHECK(z.to_vector<int64_t>() == std::vector<int64_t>{-big, 5, 5});
    Tensor w = run_unary(Tensor::from_vector<int64_t>({2}, {-big, big}),
                         [](GraphBuilder& b, Val v) { return b.clip(v, {.min = 0}); });
    CHECK(w.to_vector<int64_t>() == std::vector<int64_t>{0, big});
  }
}

// ---- Softmax / LogSoftmax ------------------------------------------------------------

TEST_CASE("elementwise: Softmax and LogSoftmax of a vector", "[ops][elementwise]") {
  const std::vector<double> soft{0.09003057317038046, 0.24472847105479764, 0.6652409557748219};
  const std::vector<double> logsoft{-2.4076059644443806, -1.4076059644443806, -0.4076059644443806};
  auto sm = [](GraphBuilder& b, Val x) { return b.softmax(x); };
  auto lsm = [](GraphBuilder& b, Val x) { return b.log_softmax(x); };
  require_close(run_unary(f32({3}, {1, 2, 3}), sm), {3}, soft);
  require_close(run_unary(f32({3}, {1, 2, 3}), lsm), {3}, logsoft);
  // Shift invariance: huge inputs do not overflow exp().
  require_close(run_unary(f32({3}, {1000, 1001, 1002}), sm), {3}, soft);
  require_close(run_unary(Tensor::from_vector<double>({3}, {-1000, -999, -998}), lsm), {3}, logsoft,
                1e-12);
}

TEST_CASE("elementwise: Softmax of [2,3,4] along each axis, both semantics", "[ops][elementwise]") {
  // x = log(i + 1) for flat index i, so exp(x) is i + 1 and softmax over a
  // group is (i + 1) / (sum of (j + 1) over the group).
  std::vector<float> xs;
  for (int i = 0; i < 24; ++i)
    xs.push_back(static_cast<float>(std::log(i + 1.0)));
  Tensor x = f32({2, 3, 4}, xs);
  const Shape shape{2, 3, 4};

  // Group key of flat index i (n, c, w = i / 12, i / 4 % 3, i % 4).
  auto expected = [&](auto key, bool log) {
    std::vector<double> sum(24, 0.0);
    for (int i = 0; i < 24; ++i)
      for (int j = 0; j < 24; ++j)
        if (key(i) == key(j)) sum[static_cast<size_t>(i)] += j + 1;
    std::vector<double> out;
    for (int i = 0; i < 24; ++i) {
      double p = (i + 1) / sum[static_cast<size_t>(i)];
      out.push_back(log ? std::log(p) : p);
    }
    return out;
  };
  auto n = [](int i) { return i / 12; };
  auto c = [](int i) { return i / 4 % 3; };
  auto w = [](int i) { return i % 4; };
  // opset 13: elements of a group share every index but the axis.
  auto key13_axis0 = [&](int i) { return c(i) * 4 + w(i); };
  auto key13_axis1 = [&](int i) { return n(i) * 4 + w(i); };
  auto key13_axis2 = [&](int i) { return n(i) * 3 + c(i); };
  // coerced 2-D: elements of a group share the indices before the axis.
  auto key2d_axis0 = [](int) { return 0; };
  auto key2d_axis1 = [&](int i) { return n(i); };
  auto key2d_axis2 = [&](int i) { return n(i) * 3 + c(i); };

  for (bool log : {false, true}) {
    auto run = [&](SoftmaxAttrs a) {
      return run_unary(
          x, [&](GraphBuilder& b, Val v) { return log ? b.log_softmax(v, a) : b.softmax(v, a); });
    };
    INFO((log ? "LogSoftmax" : "Softmax"));
    require_close(run({.axis = 0}), shape, expected(key13_axis0, log));
    require_close(run({.axis = 1}), shape, expected(key13_axis1, log));
    require_close(run({.axis = -2}), shape, expected(key13_axis1, log));
    require_close(run({.axis = 2}), shape, expected(key13_axis2, log));
    require_close(run({.axis = -1}), shape, expected(key13_axis2, log));
    require_close(run({.axis = 0, .coerce_2d = true}), shape, expected(key2d_axis0, log));
    require_close(run({.axis = 1, .coerce_2d = true}), shape, expected(key2d_axis1, log));
    require_close(run({.axis = -2, .coerce_2d = true}), shape, expected(key2d_axis1, log));
    require_close(run({.axis = 2, .coerce_2d = true}), shape, expected(key2d_axis2, log));
  }

  // Spot values, by hand: axis 1 groups {1,5,9} (sum 15) in opset 13, while the
  // coerced form normalizes all of 1..12 (sum 78) together.
  Tensor s13 = run_unary(x, [](GraphBuilder& b, Val v) { return b.softmax(v, {.axis = 1}); });
  Tensor s2d = run_unary(
      x, [](GraphBuilder& b, Val v) { return b.softmax(v, {.axis = 1, .coerce_2d = true}); });
  CHECK(s13.get_as_double(0) == Approx(1.0 / 15));
  CHECK(s13.get_as_double(4) == Approx(5.0 / 15));
  CHECK(s2d.get_as_double(0) == Approx(1.0 / 78));
  CHECK(s2d.get_as_double(23) == Approx(24.0 / 222));
}

TEST_CASE("elementwise: Softmax errors", "[ops][elementwise]") {
  SECTION("axis out of range") {
    GraphBuilder b;
    Val x = b.input("x", DType::f32, {2, 3});
    std::string msg = error_of<ShapeError>([&] { b.softmax(x, {.axis = 2}, "sm"); });
    CHECK_THAT(msg, Catch::Contains("sm"));
    CHECK_THAT(msg, Catch::Contains("axis = 2"));
    CHECK_THAT(msg, Catch::Contains("rank 2"));
    CHECK_THROWS_AS(b.log_softmax(x, {.axis = -3, .coerce_2d = true}), ShapeError);
  }
  SECTION("integer input") {
    GraphBuilder b;
    Val x = b.input("x", DType::i64, {2, 3});
    CHECK_THROWS_AS(b.softmax(x), ShapeError);
  }
}

// ---- Identity / Dropout -----------------------------------------------------------------

TEST_CASE("elementwise: Identity passes any dtype through", "[ops][elementwise]") {
  const std::vector<int64_t> v{int64_t{1} << 50, -3, 7};
  Tensor y = run_unary(Tensor::from_vector<int64_t>({3}, v),
                       [](GraphBuilder& b, Val x) { return b.identity(x); });
  CHECK(y.to_vector<int64_t>() == v);
  Tensor z = run_unary(Tensor::from_vector<bool>({2}, {true, false}),
                       [](GraphBuilder& b, Val x) { return b.identity(x); });
  CHECK(z.dtype() == DType::boolean);
  CHECK(z.to_vector<bool>() == std::vector<bool>{true, false});
}

TEST_CASE("elementwise: Dropout in inference copies and masks all true", "[ops][elementwise]") {
  require_close(run_unary(f32({2, 2}, {1, -2, 3, -4}),
                          [](GraphBuilder& b, Val x) { return b.dropout(x, 0.3f); }),
                {2, 2}, {1, -2, 3, -4});

  GraphBuilder b("dropout_mask");
  Val x = b.input("x", DType::f32, {2, 3});
  std::vector<Val> outs = b.op(OpKind::Dropout, {x}, DropoutAttrs{.ratio = 0.5f}, 2, "drop");
  CHECK(b.type(outs[1]) == TensorType{DType::boolean, {2, 3}});
  b.output(outs[0], "y");
  b.output(outs[1], "mask");
  std::vector<Tensor> r = run_graph(b, {f32({2, 3}, {1, 2, 3, 4, 5, 6})});
  require_close(r[0], {2, 3}, {1, 2, 3, 4, 5, 6});
  REQUIRE(r[1].dtype() == DType::boolean);
  REQUIRE(r[1].shape() == Shape{2, 3});
  CHECK(r[1].to_vector<bool>() == std::vector<bool>(6, true));

  // Dropout also moves integer data unchanged.
  Tensor ints = run_unary(Tensor::from_vector<int64_t>({2}, {5, -6}),
                          [](GraphBuilder& g, Val v) { return g.dropout(v); });
  CHECK(ints.to_vector<int64_t>() == std::vector<int64_t>{5, -6});
}
