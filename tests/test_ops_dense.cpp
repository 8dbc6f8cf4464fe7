// Gemm, MatMul and BatchNormalization through GraphBuilder and the reference
// Interpreter: hand-computed values (or simple independent loops written
// here), every Gemm transpose/broadcast combination, numpy matmul rules, and
// the shape errors for bad models.
#include <catch2/catch.hpp>

#include <cmath>
#include <functional>
#include <string>
#include <vector>

#include "ir/builder.h"
#include "ir/interpreter.h"
#include "tests/test_util.h"

using namespace loom;
using namespace loom::test;

namespace {


void expect_parts(const std::string& msg, const std::vector<std::string>& parts) {
  for (const auto& p : parts) {
    INFO(msg);
    CHECK(msg.find(p) != std::string::npos);
  }
}

// Row-major transpose of a rows x cols matrix.
std::vector<float> transposed(const std::vector<float>& m, int64_t rows, int64_t cols) {
  std::vector<float> t(m.size());
  for (int64_t i = 0; i < rows; ++i)
    for (int64_t j = 0; j < cols; ++j)
      t[static_cast<size_t>(j * rows + i)] = m[static_cast<size_t>(i * cols + j)];
  return t;
}

Tensor run_matmul(const Tensor& a, const Tensor& b) {
  GraphBuilder g("matmul_test");
  Val av = g.input("a", a.dtype(), a.shape());
  Val bv = g.input("b", b.dtype(), b.shape());
  g.output(g.matmul(av, bv), "y");
  return Interpreter(g.build()).run(std::vector<Tensor>{a, b})[0];
}

}  // namespace

// ---- Gemm -------------------------------------------------------------------

TEST_CASE("gemm plain", "[ops][dense]") {
  // [[1,2,3],[4,5,6]] x [[1,0],[0,1],[1,1]] = [[4,5],[10,11]]
  GraphBuilder g;
  Val a = g.input("a", DType::f32, {2, 3});
  Val b = g.constant("b", f32({3, 2}, {1, 0, 0, 1, 1, 1}));
  g.output(g.gemm(a, b), "y");
  auto y = Interpreter(g.build()).run(std::vector<Tensor>{f32({2, 3}, {1, 2, 3, 4, 5, 6})})[0];
  check_values(y, {2, 2}, {4, 5, 10, 11});
}

TEST_CASE("gemm every trans_a/trans_b combination with alpha, beta and broadcast C",
          "[ops][dense]") {
  const std::vector<float> a{1, 2, 3, 4, 5, 6};  // [2,3]
  const std::vector<float> b{1, 0, 0, 1, 1, 1};  // [3,2]
  const double ab[2][2] = {{4, 5}, {10, 11}};    // a x b, by hand
  struct CCase {
    Shape shape;
    std::vector<float> values;
    std::function<double(int, int)> at;  // C broadcast to [2,2]
  };
  const std::vector<CCase> cs{
      {{}, {3}, [](int, int) { return 3.0; }},
      {{2}, {10, 20}, [](int, int j) { return j == 0 ? 10.0 : 20.0; }},
      {{1, 2}, {10, 20}, [](int, int j) { return j == 0 ? 10.0 : 20.0; }},
      {{2, 1}, {10, 20}, [](int i, int) { return i == 0 ? 10.0 : 20.0; }},
      {{1, 1}, {7}, [](int, int) { return 7.0; }},
      {{2, 2}, {1, 2, 3, 4}, [](int i, int j) { return 1.0 + 2 * i + j; }},
  };
  for (bool ta : {false, true}) {
    for (bool tb : {false, true}) {
      for (const CCase& c : cs) {
        for (bool with_c : {true, false}) {
          INFO("trans_a " << ta << " trans_b " << tb << " C " << shape_str(c.shape) << " with_c "
                          << with_c);
          GraphBuilder g;
          Tensor at = ta ? f32({3, 2}, transposed(a, 2, 3)) : f32({2, 3}, a);
          Tensor bt = tb ? f32({2, 3}, transposed(b, 3, 2)) : f32({3, 2}, b);
          Val av = g.input("a", DType::f32, at.shape());
          Val bv = g.constant("b", bt);
          Val cv = with_c ? g.constant("c", f32(c.shape, c.values)) : Val{};
          g.output(g.gemm(av, bv, cv, {.alpha = 2.f, .beta = 0.5f, .trans_a = ta, .trans_b = tb}),
                   "y");
          auto y = Interpreter(g.build()).run(std::vector<Tensor>{at})[0];
          std::vector<double> want;
          for (int i = 0; i < 2; ++i)
            for (int j = 0; j < 2; ++j)
              want.push_back(2 * ab[i][j] + (with_c ? 0.5 * c.at(i, j) : 0));
          check_values(y, {2, 2}, want);
        }
      }
    }
  }
}

TEST_CASE("gemm f64", "[ops][dense]") {
  GraphBuilder g;
  Val a = g.input("a", DType::f64, {1, 2});
  Val b = g.constant("b", Tensor::from_vector<double>({2, 1}, {0.25, 0.5}));
  Val c = g.constant("c", Tensor::from_vector<double>({1}, {1}));
  g.output(g.gemm(a, b, c, {.beta = -1.f}), "y");
  auto y = Interpreter(g.build()).run(
      std::vector<Tensor>{Tensor::from_vector<double>({1, 2}, {4, 2})})[0];
  CHECK(y.dtype() == DType::f64);
  check_values(y, {1, 1}, {1});  // 4*0.25 + 2*0.5 - 1
}

// ---- MatMul -----------------------------------------------------------------

TEST_CASE("matmul 1-D operands", "[ops][dense]") {
  Tensor v3 = f32({3}, {1, 2, 3});
  Tensor m32 = f32({3, 2}, {1, 0, 0, 1, 1, 1});
  Tensor m23 = f32({2, 3}, {1, 2, 3, 4, 5, 6});
  check_values(run_matmul(v3, m32), {2}, {4, 5});
  check_values(run_matmul(m23, f32({3}, {1, 0, 1})), {2}, {4, 10});
  check_values(run_matmul(v3, f32({3}, {4, 5, 6})), {}, {32});
  // [2] x [2,2,2]: the vector multiplies each batch matrix.
  check_values(run_matmul(f32({2}, {1, 1}), f32({2, 2, 2}, {1, 2, 3, 4, 5, 6, 7, 8})), {2, 2},
               {4, 6, 12, 14});
  // [2,2,2] x [2]
  check_values(run_matmul(f32({2, 2, 2}, {1, 2, 3, 4, 5, 6, 7, 8}), f32({2}, {1, -1})), {2, 2},
               {-1, -1, -1, -1});
}

TEST_CASE("matmul batched with broadcast", "[ops][dense]") {
  // Batch of [I, swap] times one matrix.
  check_values(run_matmul(f32({2, 2, 2}, {1, 0, 0, 1, 0, 1, 1, 0}), f32({2, 2}, {1, 2, 3, 4})),
               {2, 2, 2}, {1, 2, 3, 4, 3, 4, 1, 2});

  // [2,1,2,3] x [3,3,2] -> [2,3,2,2], against a simple loop.
  std::vector<float> av, bv;
  for (int i = 0; i < 12; ++i)
    av.push_back(static_cast<float>(i % 5) - 2);
  for (int i = 0; i < 18; ++i)
    bv.push_back(static_cast<float>((i * 3) % 7) - 3);
  std::vector<double> want;
  for (int p = 0; p < 2; ++p)
    for (int q = 0; q < 3; ++q)
      for (int i = 0; i < 2; ++i)
        for (int j = 0; j < 2; ++j) {
          double s = 0;
          for (int k = 0; k < 3; ++k)
            s += av[p * 6 + i * 3 + k] * bv[q * 6 + k * 2 + j];
          want.push_back(s);
        }
  check_values(run_matmul(f32({2, 1, 2, 3}, av), f32({3, 3, 2}, bv)), {2, 3, 2, 2}, want);
}

TEST_CASE("matmul integer and f64", "[ops][dense]") {
  Tensor y = run_matmul(Tensor::from_vector<int64_t>({2, 2}, {1, 2, 3, 4}),
                        Tensor::from_vector<int64_t>({2, 2}, {5, 6, 7, 8}));
  REQUIRE(y.dtype() == DType::i64);
  CHECK(y.to_vector<int64_t>() == std::vector<int64_t>{19, 22, 43, 50});
  Tensor y32 = run_matmul(Tensor::from_vector<int32_t>({1, 2}, {-1, 2}),
                          Tensor::from_vector<int32_t>({2, 1}, {3, 4}));
  REQUIRE(y32.dtype() == DType::i32);
  CHECK(y32.to_vector<int32_t>() == std::vector<int32_t>{5});
  Tensor yd = run_matmul(Tensor::from_vector<double>({1, 2}, {0.5, 0.25}),
                         Tensor::from_vector<double>({2}, {2, 4}));
  REQUIRE(yd.dtype() == DType::f64);
  check_values(yd, {1}, {2});
}

// ---- BatchNormalization -------------------------------------------------------

TEST_CASE("batchnorm rank 2 and rank 4", "[ops][dense]") {
  // Channel 0: 2 * (x - 1) / sqrt(4) + 0 = x - 1; channel 1: 1 * (x - 2) / 0.5 + 1 = 2x - 3.
  auto run_bn = [](const Tensor& x, float eps) {
    GraphBuilder g;
    Val xv = g.input("x", DType::f32, x.shape());
    Val y = g.batch_norm(xv, g.constant("scale", f32({2}, {2, 1})),
                         g.constant("bias", f32({2}, {0, 1})), g.constant("mean", f32({2}, {1, 2})),
                         g.constant("var", f32({2}, {4, 0.25f})), {.epsilon = eps});
    g.output(y, "y");
    return Interpreter(g.build()).run(std::vector<Tensor>{x})[0];
  };
  check_values(run_bn(f32({2, 2}, {1, 2, 3, 4}), 0.f), {2, 2}, {0, 1, 2, 5});
  check_values(run_bn(f32({1, 2, 1, 2}, {1, 3, 2, 4}), 0.f), {1, 2, 1, 2}, {0, 2, 1, 5});
  // epsilon enters under the square root: channel 1 divides by sqrt(0.25 + 0.75) = 1.
  check_values(run_bn(f32({1, 2, 1}, {3, 4}), 0.75f), {1, 2, 1}, {2 * 2 / std::sqrt(4.75), 3});
}

// ---- errors -----------------------------------------------------------------

TEST_CASE("gemm, matmul and batchnorm shape errors name the node", "[ops][dense]") {
  auto gemm = [](Shape as, Shape bs, GemmAttrs a, Shape cs = {1, 1}, bool with_c = false) {
    GraphBuilder g;
    Val c = with_c ? g.constant("c", Tensor(DType::f32, cs)) : Val{};
    g.gemm(g.input("a", DType::f32, as), g.input("b", DType::f32, bs), c, a, "mygemm");
  };
  std::string m = shape_error([&] { gemm({2, 3}, {4, 2}, {}); });
  expect_parts(m, {"'mygemm'", "Gemm", "'b'", "[4,2]", "inner dim of 4", "expected 3"});
  // With trans_a, A [2,3] is [K=2, M=3].
  m = shape_error([&] { gemm({2, 3}, {3, 3}, {.trans_a = true}); });
  expect_parts(m, {"'mygemm'", "inner dim of 3", "expected 2", "trans_a = 1"});
  m = shape_error([&] { gemm({2, 3}, {3, 2}, {}, {3}, true); });
  expect_parts(m, {"'mygemm'", "'c'", "[3]", "broadcastable to [2,2]"});
  m = shape_error([&] { gemm({2, 3, 1}, {3, 2}, {}); });
  expect_parts(m, {"'mygemm'", "rank 3", "expected rank 2"});

  auto matmul = [](Shape as, Shape bs) {
    GraphBuilder g;
    g.matmul(g.input("a", DType::f32, as), g.input("b", DType::f32, bs), "mymm");
  };
  m = shape_error([&] { matmul({2, 3}, {2, 2}); });
  expect_parts(m, {"'mymm'", "MatMul", "inner dim 2", "expected 3"});
  m = shape_error([&] { matmul({2, 2, 3}, {3, 3, 2}); });
  expect_parts(m, {"'mymm'", "[3]", "[2]", "do not broadcast"});
  m = shape_error([&] { matmul({}, {3}); });
  expect_parts(m, {"'mymm'", "rank 0", "expected at least rank 1"});

  auto bn = [](Shape xs, Shape scale_shape) {
    GraphBuilder g;
    auto c = [&](const char* n, Shape s) { return g.constant(n, Tensor(DType::f32, s)); };
    g.batch_norm(g.input("x", DType::f32, xs), c("scale", scale_shape), c("bias", {3}),
                 c("mean", {3}), c("var", {3}), {}, "mybn");
  };
  m = shape_error([&] { bn({1, 3, 4}, {4}); });
  expect_parts(m, {"'mybn'", "BatchNormalization", "'scale'", "[4]", "expected [3]"});
  m = shape_error([&] { bn({3}, {3}); });
  expect_parts(m, {"'mybn'", "rank 1", "expected at least rank 2"});
}
