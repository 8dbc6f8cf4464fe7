// Helpers shared by the tests: building f32 tensors (given or random), comparing values, and
// capturing the message of an expected typed error.
#pragma once

#include <algorithm>
#include <cmath>
#include <cstdint>
#include <limits>
#include <numeric>
#include <random>
#include <string>
#include <utility>
#include <vector>

#include <catch2/catch.hpp>

#include "ir/tensor.h"

namespace loom::test {

inline Tensor f32(Shape s, const std::vector<float>& v) {
  return Tensor::from_vector<float>(std::move(s), v);
}

// 0, 1, 2, ... as f32 of the given shape.
inline Tensor iota_f32(const Shape& shape) {
  std::vector<float> v(static_cast<size_t>(shape_numel(shape)));
  std::iota(v.begin(), v.end(), 0.f);
  return Tensor::from_vector<float>(shape, v);
}

// The extremes ONNX uses for "to the end" in Slice/Shape bounds.
inline constexpr int64_t kMax = std::numeric_limits<int64_t>::max();
inline constexpr int64_t kMin = std::numeric_limits<int64_t>::min();

// Deterministic uniform values in [lo, hi) for a given seed.
inline Tensor random_f32(Shape s, uint32_t seed, float lo = -1.f, float hi = 1.f) {
  std::mt19937 rng(seed);
  std::uniform_real_distribution<float> d(lo, hi);
  Tensor t(DType::f32, std::move(s));
  for (int64_t i = 0; i < t.numel(); ++i)
    t.data<float>()[i] = d(rng);
  return t;
}

// Largest absolute elementwise difference; the types must match.
inline double max_abs_diff(const Tensor& a, const Tensor& b) {
  REQUIRE(a.type() == b.type());
  double m = 0;
  for (int64_t i = 0; i < a.numel(); ++i)
    m = std::max(m, std::fabs(a.get_as_double(i) - b.get_as_double(i)));
  return m;
}

// Shape must match exactly; each element within eps (absolute and relative).
inline void check_values(const Tensor& t, const Shape& shape, const std::vector<double>& want,
                         double eps = 1e-5) {
  REQUIRE(t.shape() == shape);
  REQUIRE(t.numel() == static_cast<int64_t>(want.size()));
  for (size_t i = 0; i < want.size(); ++i) {
    INFO("element " << i);
    CHECK(t.get_as_double(static_cast<int64_t>(i)) == Approx(want[i]).epsilon(eps).margin(eps));
  }
}

// The message of the E that `f` throws; fails the test if it throws nothing.
template <class E, class F>
std::string error_of(F&& f) {
  try {
    f();
  } catch (const E& e) {
    return e.what();
  }
  FAIL("expected an exception");
  return "";
}

// The message of the ShapeError `f` throws; any other exception propagates
// and fails the test, as does throwing nothing.
template <class F>
std::string shape_error(F&& f) {
  return error_of<ShapeError>(std::forward<F>(f));
}

}  // namespace loom::test
