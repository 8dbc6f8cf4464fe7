// Reference-interpreter tests of the data-movement ops: Flatten, Reshape,
// Transpose, Squeeze, Unsqueeze, Concat, Slice and Constant. Inputs are mostly
// iota tensors, so each expected output lists the source indices by hand.
#include <catch2/catch.hpp>

#include <cstdint>
#include <limits>
#include <numeric>
#include <string>
#include <vector>

#include "ir/builder.h"
#include "ir/interpreter.h"
#include "tests/test_util.h"

using namespace loom;
using namespace loom::test;

namespace {

std::vector<float> iota_values(int n) {
  std::vector<float> v(static_cast<size_t>(n));
  std::iota(v.begin(), v.end(), 0.f);
  return v;
}

// Runs a one-input graph `f(x)` on `x`.
template <class F>
Tensor run_unary(const Tensor& x, F&& f) {
  GraphBuilder b("shape_test");
  Val in = b.input("x", x.dtype(), x.shape());
  b.output(f(b, in), "y");
  Interpreter interp(b.build());
  return interp.run(std::vector<Tensor>{x})[0];
}

void require_values(const Tensor& t, const Shape& shape, const std::vector<float>& want) {
  REQUIRE(t.dtype() == DType::f32);
  REQUIRE(t.shape() == shape);
  CHECK(t.to_vector<float>() == want);
}

// Builds `f(b, x)` on an f32 input of `shape`; returns the ShapeError's message.
template <class F>
std::string shape_error(const Shape& shape, F&& f) {
  GraphBuilder b;
  Val in = b.input("x", DType::f32, shape);
  return error_of<ShapeError>([&] { f(b, in); });
}

}  // namespace

// ---- Flatten ------------------------------------------------------------------------

TEST_CASE("shape: Flatten for every axis", "[ops][shape]") {
  const Tensor x = iota_f32({2, 3, 4});
  const std::vector<float> all = iota_values(24);
  auto flat = [&](int64_t axis) {
    return run_unary(x, [&](GraphBuilder& b, Val v) { return b.flatten(v, axis); });
  };
  require_values(flat(0), {1, 24}, all);
  require_values(flat(1), {2, 12}, all);
  require_values(flat(2), {6, 4}, all);
  require_values(flat(3), {24, 1}, all);
  require_values(flat(-1), {6, 4}, all);
  require_values(flat(-3), {1, 24}, all);

  std::string msg = shape_error({2, 3, 4}, [](GraphBuilder& b, Val v) { b.flatten(v, 4, "fl"); });
  CHECK_THAT(msg, Catch::Contains("'fl'"));
  CHECK_THAT(msg, Catch::Contains("axis = 4"));
  CHECK_THAT(msg, Catch::Contains("-3..3"));
  shape_error({2, 3, 4}, [](GraphBuilder& b, Val v) { b.flatten(v, -4); });
}

// ---- Reshape ------------------------------------------------------------------------

TEST_CASE("shape: Reshape with 0, -1 and allow_zero", "[ops][shape]") {
  const Tensor x = iota_f32({2, 3, 4});
  const std::vector<float> all = iota_values(24);
  auto reshape = [&](ReshapeAttrs a) {
    return run_unary(x, [&](GraphBuilder& b, Val v) { return b.reshape(v, a); });
  };
  require_values(reshape({.shape = {4, 6}}), {4, 6}, all);
  require_values(reshape({.shape = {0, -1}}), {2, 12}, all);
  require_values(reshape({.shape = {-1, 4}}), {6, 4}, all);
  require_values(reshape({.shape = {0, 0, -1}}), {2, 3, 4}, all);
  require_values(reshape({.shape = {-1}}), {24}, all);
  require_values(reshape({.shape = {2, 0, 2, 2}}), {2, 3, 2, 2}, all);
  // allow_zero changes nothing when the target has no 0.
  require_values(reshape({.shape = {3, -1}, .allow_zero = true}), {3, 8}, all);

  // A literal 0 dimension with allow_zero; without it the 0 would copy the
  // input's dim 1 (3), giving [3,3], which does not hold 0 elements.
  Tensor empty(DType::f32, {0, 3});
  Tensor y = run_unary(empty, [](GraphBuilder& b, Val v) {
    return b.reshape(v, {.shape = {3, 0}, .allow_zero = true});
  });
  CHECK(y.shape() == Shape{3, 0});
  CHECK(y.numel() == 0);
  shape_error({0, 3}, [](GraphBuilder& b, Val v) { b.reshape(v, {.shape = {3, 0}}); });

  // A -1 next to non-zero dims of an empty input is 0; next to a 0 it is ambiguous.
  Tensor w = run_unary(empty, [](GraphBuilder& b, Val v) {
    return b.reshape(v, {.shape = {-1, 3}});
  });
  CHECK(w.shape() == Shape{0, 3});
  std::string msg = shape_error({0, 3}, [](GraphBuilder& b, Val v) {
    b.reshape(v, {.shape = {0, -1}});
  });
  CHECK_THAT(msg, Catch::Contains("multiply to 0"));
}

TEST_CASE("shape: Reshape errors", "[ops][shape]") {
  std::string msg = shape_error({2, 3}, [](GraphBuilder& b, Val v) {
    b.reshape(v, {.shape = {4, 2}}, "rs");
  });
  CHECK_THAT(msg, Catch::Contains("'rs'"));
  CHECK_THAT(msg, Catch::Contains("[2,3]"));
  CHECK_THAT(msg, Catch::Contains("[4,2]"));

  msg = shape_error({2, 3}, [](GraphBuilder& b, Val v) { b.reshape(v, {.shape = {-1, -1}}); });
  CHECK_THAT(msg, Catch::Contains("more than one -1"));

  msg = shape_error({2, 3}, [](GraphBuilder& b, Val v) {
    b.reshape(v, {.shape = {0, -1}, .allow_zero = true});
  });
  CHECK_THAT(msg, Catch::Contains("allow_zero"));

  msg = shape_error({2, 3}, [](GraphBuilder& b, Val v) { b.reshape(v, {.shape = {4, -1}}); });
  CHECK_THAT(msg, Catch::Contains("[2,3]"));
  CHECK_THAT(msg, Catch::Contains("[4,-1]"));

  msg = shape_error({6}, [](GraphBuilder& b, Val v) { b.reshape(v, {.shape = {6, 0}}); });
  CHECK_THAT(msg, Catch::Contains("copies dimension 1"));

  shape_error({6}, [](GraphBuilder& b, Val v) { b.reshape(v, {.shape = {-2, -3}}); });
  // Products that overflow int64 are reported, not wrapped.
  shape_error({6}, [](GraphBuilder& b, Val v) {
    b.reshape(v, {.shape = {int64_t{1} << 40, int64_t{1} << 40, -1}});
  });
}

// ---- Transpose ------------------------------------------------------------------------

TEST_CASE("shape: Transpose", "[ops][shape]") {
  SECTION("empty perm reverses the dimensions") {
    Tensor y = run_unary(iota_f32({2, 3}), [](GraphBuilder& b, Val v) { return b.transpose(v); });
    require_values(y, {3, 2}, {0, 3, 1, 4, 2, 5});
  }
  SECTION("perm [2,0,1]: out[k,i,j] = in[i,j,k]") {
    Tensor y = run_unary(iota_f32({2, 3, 4}), [](GraphBuilder& b, Val v) {
      return b.transpose(v, {.perm = {2, 0, 1}});
    });
    require_values(y, {4, 2, 3}, {0, 4, 8,  12, 16, 20, 1, 5, 9,  13, 17, 21,  //
                                  2, 6, 10, 14, 18, 22, 3, 7, 11, 15, 19, 23});
  }
  SECTION("i64 data with values beyond 32 bits") {
    const int64_t big = int64_t{1} << 40;
    Tensor x = Tensor::from_vector<int64_t>({2, 2}, {big, big + 1, -big, -1});
    Tensor y = run_unary(x, [](GraphBuilder& b, Val v) {
      return b.transpose(v, {.perm = {1, 0}});
    });
    CHECK(y.shape() == Shape{2, 2});
    CHECK(y.to_vector<int64_t>() == std::vector<int64_t>{big, -big, big + 1, -1});
  }
  SECTION("bad perms") {
    std::string msg = shape_error({2, 3, 4}, [](GraphBuilder& b, Val v) {
      b.transpose(v, {.perm = {0, 0, 1}}, "tr");
    });
    CHECK_THAT(msg, Catch::Contains("'tr'"));
    CHECK_THAT(msg, Catch::Contains("[0,0,1]"));
    CHECK_THAT(msg, Catch::Contains("not a permutation"));
    msg = shape_error({2, 3, 4}, [](GraphBuilder& b, Val v) { b.transpose(v, {.perm = {1, 0}}); });
    CHECK_THAT(msg, Catch::Contains("rank 3"));
    shape_error({2, 3}, [](GraphBuilder& b, Val v) { b.transpose(v, {.perm = {0, 2}}); });
    shape_error({2, 3}, [](GraphBuilder& b, Val v) { b.transpose(v, {.perm = {-1, 0}}); });
  }
}

// ---- Squeeze / Unsqueeze ----------------------------------------------------------------

TEST_CASE("shape: Squeeze", "[ops][shape]") {
  const Tensor x = iota_f32({1, 3, 1, 2});
  const std::vector<float> all = iota_values(6);
  require_values(run_unary(x, [](GraphBuilder& b, Val v) { return b.squeeze(v); }), {3, 2}, all);
  require_values(run_unary(x, [](GraphBuilder& b, Val v) { return b.squeeze(v, {-2}); }), {1, 3, 2},
                 all);
  require_values(run_unary(x,
                           [](GraphBuilder& b, Val v) {
                             return b.squeeze(v, {0, 2});
                           }),
                 {3, 2}, all);

  // All dims of size 1 leave a scalar.
  Tensor s = run_unary(Tensor::from_vector<float>({1, 1, 1}, {7.5f}),
                       [](GraphBuilder& b, Val v) { return b.squeeze(v); });
  require_values(s, {}, {7.5f});

  std::string msg =
      shape_error({1, 3, 1, 2}, [](GraphBuilder& b, Val v) { b.squeeze(v, {1}, "sq"); });
  CHECK_THAT(msg, Catch::Contains("'sq'"));
  CHECK_THAT(msg, Catch::Contains("[1,3,1,2]"));
  CHECK_THAT(msg, Catch::Contains("size is 3, expected 1"));
  shape_error({1, 3}, [](GraphBuilder& b, Val v) { b.squeeze(v, {2}); });
  shape_error({1, 3}, [](GraphBuilder& b, Val v) { b.squeeze(v, {0, -2}); });
}

TEST_CASE("shape: Unsqueeze with positive and negative axes", "[ops][shape]") {
  const Tensor x = iota_f32({3, 4});
  const std::vector<float> all = iota_values(12);
  auto unsq = [&](std::vector<int64_t> axes) {
    return run_unary(x, [&](GraphBuilder& b, Val v) { return b.unsqueeze(v, axes); });
  };
  require_values(unsq({0}), {1, 3, 4}, all);
  require_values(unsq({-1}), {3, 4, 1}, all);
  require_values(unsq({1}), {3, 1, 4}, all);
  // Axes index the output (rank 4): 1 and -1 (= 3).
  require_values(unsq({1, -1}), {3, 1, 4, 1}, all);
  require_values(unsq({-4, 2}), {1, 3, 1, 4}, all);
  require_values(unsq({3, 0}), {1, 3, 4, 1}, all);

  // A scalar becomes [1].
  Tensor s = run_unary(Tensor::scalar<float>(2.f),
                       [](GraphBuilder& b, Val v) { return b.unsqueeze(v, {0}); });
  require_values(s, {1}, {2.f});

  std::string msg = shape_error({3, 4}, [](GraphBuilder& b, Val v) {
    b.unsqueeze(v, {1, 1}, "us");
  });
  CHECK_THAT(msg, Catch::Contains("'us'"));
  CHECK_THAT(msg, Catch::Contains("more than once"));
  // 0 and -4 name the same output axis.
  shape_error({3, 4}, [](GraphBuilder& b, Val v) { b.unsqueeze(v, {0, -4}); });
  msg = shape_error({3, 4}, [](GraphBuilder& b, Val v) { b.unsqueeze(v, {3}); });
  CHECK_THAT(msg, Catch::Contains("axes = 3"));
  CHECK_THAT(msg, Catch::Contains("rank 3"));
}

// ---- Concat ----------------------------------------------------------------------------

TEST_CASE("shape: Concat", "[ops][shape]") {
  SECTION("negative axis") {
    GraphBuilder b;
    Val p = b.input("p", DType::f32, {2, 2});
    Val q = b.input("q", DType::f32, {2, 1});
    b.output(b.concat({p, q}, -1), "y");
    Interpreter interp(b.build());
    Tensor y = interp.run(std::vector<Tensor>{Tensor::from_vector<float>({2, 2}, {1, 2, 3, 4}),
                                              Tensor::from_vector<float>({2, 1}, {9, 8})})[0];
    require_values(y, {2, 3}, {1, 2, 9, 3, 4, 8});
  }
  SECTION("three inputs on axis 0 and axis 1 of rank 3") {
    GraphBuilder b;
    Val p = b.input("p", DType::f32, {1, 2, 2});
    Val q = b.input("q", DType::f32, {1, 1, 2});
    Val r = b.input("r", DType::f32, {1, 2, 2});
    b.output(b.concat({p, q, r}, 1), "mid");
    b.output(b.concat({p, r}, 0), "first");
    Interpreter interp(b.build());
    std::vector<Tensor> out =
        interp.run(std::vector<Tensor>{Tensor::from_vector<float>({1, 2, 2}, {1, 2, 3, 4}),
                                       Tensor::from_vector<float>({1, 1, 2}, {5, 6}),
                                       Tensor::from_vector<float>({1, 2, 2}, {7, 8, 9, 10})});
    require_values(out[0], {1, 5, 2}, {1, 2, 3, 4, 5, 6, 7, 8, 9, 10});
    require_values(out[1], {2, 2, 2}, {1, 2, 3, 4, 7, 8, 9, 10});
  }
  SECTION("i64 and zero-size inputs") {
    const int64_t big = int64_t{1} << 45;
    GraphBuilder b;
    Val p = b.input("p", DType::i64, {2, 1});
    Val e = b.input("e", DType::i64, {2, 0});
    Val q = b.input("q", DType::i64, {2, 2});
    b.output(b.concat({p, e, q}, 1), "y");
    Interpreter interp(b.build());
    Tensor y = interp.run(std::vector<Tensor>{
        Tensor::from_vector<int64_t>({2, 1}, {big, -big}), Tensor(DType::i64, {2, 0}),
        Tensor::from_vector<int64_t>({2, 2}, {1, 2, 3, 4})})[0];
    CHECK(y.shape() == Shape{2, 3});
    CHECK(y.to_vector<int64_t>() == std::vector<int64_t>{big, 1, 2, -big, 3, 4});
  }
  SECTION("errors") {
    GraphBuilder b;
    Val p = b.input("p", DType::f32, {2, 2});
    Val q = b.input("q", DType::f32, {3, 1});
    Val r = b.input("r", DType::i32, {2, 1});
    std::string msg = error_of<ShapeError>([&] { b.concat({p, q}, 1, "cat"); });
    CHECK_THAT(msg, Catch::Contains("'cat'"));
    CHECK_THAT(msg, Catch::Contains("[3,1]"));
    CHECK_THAT(msg, Catch::Contains("[2,2]"));
    CHECK_THAT(msg, Catch::Contains("except axis 1"));
    msg = error_of<ShapeError>([&] { b.concat({p, r}, 1); });
    CHECK_THAT(msg, Catch::Contains("i32"));
    CHECK_THAT(msg, Catch::Contains("f32"));
    CHECK_THROWS_AS(b.concat({p, p}, 2), ShapeError);
  }
}

// ---- Slice --------------------------------------------------------------------------------

TEST_CASE("shape: Slice in one dimension", "[ops][shape]") {
  const Tensor x = iota_f32({5});
  auto slice = [&](SliceAttrs a) {
    return run_unary(x, [&](GraphBuilder& b, Val v) { return b.slice(v, a); });
  };
  require_values(slice({.starts = {1}, .ends = {3}}), {2}, {1, 2});
  require_values(slice({.starts = {-2}, .ends = {kMax}}), {2}, {3, 4});
  require_values(slice({.starts = {1}, .ends = {1000}}), {4}, {1, 2, 3, 4});
  require_values(slice({.starts = {-100}, .ends = {2}}), {2}, {0, 1});
  require_values(slice({.starts = {0}, .ends = {-1}, .steps = {2}}), {2}, {0, 2});
  require_values(slice({.starts = {0}, .ends = {5}, .steps = {3}}), {2}, {0, 3});
  // Negative steps walk backwards; INT64_MIN / far-negative ends reach index 0.
  require_values(slice({.starts = {-1}, .ends = {kMin}, .steps = {-1}}), {5}, {4, 3, 2, 1, 0});
  require_values(slice({.starts = {100}, .ends = {-100}, .steps = {-1}}), {5}, {4, 3, 2, 1, 0});
  require_values(slice({.starts = {4}, .ends = {0}, .steps = {-2}}), {2}, {4, 2});
  // A start below -dim clamps to 0 for a backward step, so index 0 is still taken.
  require_values(slice({.starts = {-100}, .ends = {kMin}, .steps = {-1}}), {1}, {0});
  require_values(slice({.starts = {-5}, .ends = {-6}, .steps = {-1}}), {1}, {0});
  require_values(slice({.starts = {3}, .ends = {-5}, .steps = {-1}}), {3}, {3, 2, 1});
  require_values(slice({.starts = {kMax}, .ends = {kMin}, .steps = {kMin}}), {1}, {4});
  require_values(slice({.starts = {0}, .ends = {kMax}, .steps = {kMax}}), {1}, {0});
  // Empty results are allowed.
  require_values(slice({.starts = {3}, .ends = {1}}), {0}, {});
  require_values(slice({.starts = {1}, .ends = {3}, .steps = {-1}}), {0}, {});
  require_values(slice({.starts = {5}, .ends = {kMax}}), {0}, {});
}

TEST_CASE("shape: Slice in two dimensions with axes", "[ops][shape]") {
  const Tensor x = iota_f32({3, 4});  // rows 0..3, 4..7, 8..11
  auto slice = [&](SliceAttrs a) {
    return run_unary(x, [&](GraphBuilder& b, Val v) { return b.slice(v, a); });
  };
  // Empty axes means 0..n-1; empty steps means 1.
  require_values(slice({.starts = {1, 1}, .ends = {3, 3}}), {2, 2}, {5, 6, 9, 10});
  require_values(slice({.starts = {1}, .ends = {2}}), {1, 4}, {4, 5, 6, 7});
  require_values(slice({.starts = {0, -1}, .ends = {kMax, kMin}, .axes = {0, 1}, .steps = {2, -2}}),
                 {2, 2}, {3, 1, 11, 9});
  // Negative axis, axes out of order.
  require_values(slice({.starts = {2, 1}, .ends = {4, 2}, .axes = {-1, 0}}), {1, 2}, {6, 7});
  require_values(slice({.starts = {0}, .ends = {0}, .axes = {1}}), {3, 0}, {});
}

TEST_CASE("shape: Slice moves any dtype", "[ops][shape]") {
  const int64_t big = int64_t{1} << 50;
  Tensor x = Tensor::from_vector<int64_t>({2, 3}, {big, big + 1, big + 2, -big, -1, 0});
  Tensor y = run_unary(x, [](GraphBuilder& b, Val v) {
    return b.slice(v, {.starts = {-1}, .ends = {kMin}, .axes = {1}, .steps = {-1}});
  });
  CHECK(y.shape() == Shape{2, 3});
  CHECK(y.to_vector<int64_t>() == std::vector<int64_t>{big + 2, big + 1, big, 0, -1, -big});

  Tensor bools = Tensor::from_vector<bool>({4}, {true, false, false, true});
  Tensor z = run_unary(bools, [](GraphBuilder& b, Val v) {
    return b.slice(v, {.starts = {1}, .ends = {4}, .steps = {2}});
  });
  CHECK(z.to_vector<bool>() == std::vector<bool>{false, true});
}

TEST_CASE("shape: Slice errors", "[ops][shape]") {
  std::string msg = shape_error({5}, [](GraphBuilder& b, Val v) {
    b.slice(v, {.starts = {0}, .ends = {3}, .steps = {0}}, "sl");
  });
  CHECK_THAT(msg, Catch::Contains("'sl'"));
  CHECK_THAT(msg, Catch::Contains("0 step"));
  msg = shape_error({3, 4}, [](GraphBuilder& b, Val v) {
    b.slice(v, {.starts = {0, 0}, .ends = {1, 1}, .axes = {1, -1}});
  });
  CHECK_THAT(msg, Catch::Contains("more than once"));
  msg = shape_error({3, 4}, [](GraphBuilder& b, Val v) {
    b.slice(v, {.starts = {0, 0}, .ends = {1}});
  });
  CHECK_THAT(msg, Catch::Contains("ends has 1 values but starts has 2"));
  shape_error({3, 4}, [](GraphBuilder& b, Val v) {
    b.slice(v, {.starts = {0}, .ends = {1}, .axes = {2}});
  });
  shape_error({3, 4}, [](GraphBuilder& b, Val v) {
    b.slice(v, {.starts = {0, 0, 0}, .ends = {1, 1, 1}});
  });
  shape_error({3, 4}, [](GraphBuilder& b, Val v) {
    b.slice(v, {.starts = {0}, .ends = {1}, .axes = {0}, .steps = {1, 1}});
  });
}

// ---- Constant ---------------------------------------------------------------------------

TEST_CASE("shape: Constant produces its value", "[ops][shape]") {
  const int64_t big = int64_t{1} << 33;
  Tensor value = Tensor::from_vector<int64_t>({2, 2}, {big, -1, 2, 3});
  GraphBuilder b("constant");
  Val c = b.op(OpKind::Constant, {}, ConstantAttrs{.value = value}, 1, "k")[0];
  CHECK(b.type(c) == TensorType{DType::i64, {2, 2}});
  Val x = b.input("x", DType::i64, {2});
  b.output(c, "c");
  b.output(b.add(c, x), "sum");
  Interpreter interp(b.build());
  std::vector<Tensor> out =
      interp.run(std::vector<Tensor>{Tensor::from_vector<int64_t>({2}, {10, 20})});
  CHECK(out[0].to_vector<int64_t>() == std::vector<int64_t>{big, -1, 2, 3});
  CHECK(out[1].to_vector<int64_t>() == std::vector<int64_t>{big + 10, 19, 12, 23});

  GraphBuilder bad;
  std::string msg =
      error_of<ShapeError>([&] { bad.op(OpKind::Constant, {}, ConstantAttrs{}, 1, "empty_k"); });
  CHECK_THAT(msg, Catch::Contains("'empty_k'"));
  CHECK_THAT(msg, Catch::Contains("value"));
}

TEST_CASE("shape: data movement chain on u8", "[ops][shape]") {
  // Reshape -> Transpose -> Unsqueeze -> Squeeze -> Flatten on 1-byte elements.
  std::vector<uint8_t> v{0, 1, 2, 3, 4, 250};
  Tensor x = Tensor::from_vector<uint8_t>({6}, v);
  Tensor y = run_unary(x, [](GraphBuilder& b, Val t) {
    t = b.reshape(t, {.shape = {2, 3}});
    t = b.transpose(t);
    t = b.unsqueeze(t, {0});
    t = b.squeeze(t, {0});
    return b.flatten(t, 0);
  });
  CHECK(y.shape() == Shape{1, 6});
  CHECK(y.to_vector<uint8_t>() == std::vector<uint8_t>{0, 3, 1, 4, 2, 250});
}
