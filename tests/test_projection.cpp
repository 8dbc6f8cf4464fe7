// Tests of the recurrent input projection: the Halide GEMM pipeline
// (backends/halide/projection_gemm.h) and the portable fallback
// (runtime/input_projection.h) against a naive triple loop in double
// precision, on odd sizes, every target this CPU runs and split part
// ranges; and recurrent kernels built with each projection.
#include <catch2/catch.hpp>

#include <array>
#include <cmath>
#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <random>
#include <string>
#include <vector>

#include "backends/halide/projection_gemm.h"
#include "backends/llvm/recurrent_kernel.h"
#include "ir/error.h"
#include "runtime/input_projection.h"

using namespace loom;

namespace {

ProjectionSpec random_spec(int64_t rows, int64_t input, int64_t columns, std::mt19937& rng) {
  std::uniform_real_distribution<float> d(-1.f, 1.f);
  ProjectionSpec s;
  s.name = "proj/test";
  s.rows = rows;
  s.input_size = input;
  s.columns = columns;
  s.weights.resize(static_cast<size_t>(columns * input));
  s.bias.resize(static_cast<size_t>(columns));
  for (auto& v : s.weights)
    v = d(rng);
  for (auto& v : s.bias)
    v = d(rng);
  return s;
}

struct AlignedOut {
  explicit AlignedOut(size_t n)
      : p(static_cast<float*>(std::aligned_alloc(64, (n * 4 + 63) / 64 * 64))), size(n) {}
  ~AlignedOut() { std::free(p); }
  float* p;
  size_t size;
};

// Runs `proj` as `splits` callers would (disjoint part ranges, in reverse
// order so no range relies on an earlier one) and compares every output
// element with the double-precision triple loop.
void check_against_naive(const InputProjection& proj, const ProjectionSpec& s, int splits,
                         std::mt19937& rng) {
  REQUIRE(proj.out_rows() >= s.rows);
  REQUIRE(proj.out_stride() >= s.columns);
  REQUIRE(proj.num_parts() * proj.columns_per_part() >= s.columns);
  REQUIRE(proj.out_stride() % proj.columns_per_part() == 0);
  CHECK(proj.flops() == Approx(2.0 * s.rows * s.input_size * s.columns));
  std::uniform_real_distribution<float> d(-1.f, 1.f);
  std::vector<float> x(static_cast<size_t>(s.rows * s.input_size));
  for (auto& v : x)
    v = d(rng);
  AlignedOut out(static_cast<size_t>(proj.out_rows() * proj.out_stride()));
  const float sentinel = 12345.f;
  std::fill(out.p, out.p + out.size, sentinel);
  const int64_t parts = proj.num_parts();
  for (int t = splits - 1; t >= 0; --t)
    proj.run(x.data(), out.p, parts * t / splits, parts * (t + 1) / splits);
  int64_t bad = 0;
  double worst = 0;
  for (int64_t m = 0; m < s.rows; ++m)
    for (int64_t c = 0; c < s.columns; ++c) {
      double ref = s.bias[static_cast<size_t>(c)], mag = std::fabs(ref);
      for (int64_t k = 0; k < s.input_size; ++k) {
        const double term = static_cast<double>(x[static_cast<size_t>(m * s.input_size + k)]) *
                            s.weights[static_cast<size_t>(c * s.input_size + k)];
        ref += term;
        mag += std::fabs(term);
      }
      const double got = out.p[m * proj.out_stride() + c];
      const double err = std::fabs(got - ref);
      worst = std::max(worst, err / (mag + 1e-30));
      if (!(err <= 1e-6 * mag + 1e-6)) ++bad;
    }
  INFO("rows " << s.rows << ", input " << s.input_size << ", columns " << s.columns << ", splits "
               << splits << ": worst relative error " << worst);
  CHECK(bad == 0);
}

// Halide targets this CPU can run (each lane width once, plus "host").
std::vector<std::string> runnable_targets() {
  std::vector<std::string> out;
  for (const char* t : {"host", "x86-64-avx512", "x86-64-avx2", "x86-64"}) {
    try {
      compile_halide_projection(
          [] {
            std::mt19937 rng(0);
            return random_spec(1, 1, 1, rng);
          }(),
          {t, nullptr, ""});
      out.push_back(t);
    } catch (const UsageError&) {
    }
  }
  return out;
}

}  // namespace

TEST_CASE("Halide projection matches a naive triple loop on odd sizes, every target",
          "[projection]") {
  // (rows, input, columns): rows 1..37, input 1..300, columns not multiples of 16.
  const std::vector<std::array<int64_t, 3>> shapes = {
      {1, 1, 1}, {2, 300, 33}, {5, 17, 7}, {7, 129, 50}, {13, 64, 100}, {25, 3, 47}, {37, 211, 21},
  };
  const auto targets = runnable_targets();
  REQUIRE(!targets.empty());
  CHECK(targets.front() == "host");
  for (const auto& target : targets) {
    INFO("target " << target);
    std::mt19937 rng(7);
    for (const auto& [rows, input, columns] : shapes) {
      const ProjectionSpec s = random_spec(rows, input, columns, rng);
      auto proj = compile_halide_projection(s, {target, nullptr, ""});
      for (int splits : {1, 3})
        check_against_naive(*proj, s, splits, rng);
    }
  }
}

TEST_CASE("Halide projection: every row count 1..37 at one shape", "[projection]") {
  std::mt19937 rng(11);
  for (int64_t rows = 1; rows <= 37; ++rows) {
    const ProjectionSpec s = random_spec(rows, 23, 37, rng);
    auto proj = compile_halide_projection(s);
    check_against_naive(*proj, s, 2, rng);
  }
}

TEST_CASE("portable projection matches a naive triple loop", "[projection]") {
  std::mt19937 rng(5);
  for (const auto& [rows, input, columns] :
       std::vector<std::array<int64_t, 3>>{{1, 1, 1}, {3, 300, 33}, {37, 19, 50}, {8, 64, 16}}) {
    const ProjectionSpec s = random_spec(rows, input, columns, rng);
    auto proj = make_portable_projection(s);
    check_against_naive(*proj, s, 1, rng);
    check_against_naive(*proj, s, 4, rng);
  }
}

TEST_CASE("Halide projection: bad targets and specs raise typed errors", "[projection]") {
  std::mt19937 rng(1);
  const ProjectionSpec s = random_spec(2, 3, 4, rng);
  CHECK_THROWS_AS(compile_halide_projection(s, {"arm-64", nullptr, ""}), UsageError);
  ProjectionSpec bad = s;
  bad.weights.pop_back();
  CHECK_THROWS_AS(compile_halide_projection(bad), InternalError);
  // Zero rows (zero time steps) compile to a projection that writes nothing.
  ProjectionSpec empty = random_spec(0, 3, 4, rng);
  auto proj = compile_halide_projection(empty);
  CHECK(proj->num_parts() >= 1);
  CHECK(proj->flops() == 0);
  proj->run(nullptr, nullptr, 0, proj->num_parts());
}

TEST_CASE("Halide projection writes its loop nest when asked", "[projection]") {
  const auto dir = std::filesystem::temp_directory_path() / "loom_projection_dump_test";
  std::filesystem::remove_all(dir);
  std::filesystem::create_directories(dir);
  std::mt19937 rng(2);
  compile_halide_projection(random_spec(4, 8, 20, rng), {"host", nullptr, dir.string()});
  std::ifstream f(dir / "proj_test_projection.stmt");
  REQUIRE(f.good());
  const std::string text((std::istreambuf_iterator<char>(f)), {});
  CHECK(text.find("acc") != std::string::npos);
  std::filesystem::remove_all(dir);
}

namespace {

Tensor uniform(Shape shape, std::mt19937& rng) {
  Tensor t(DType::f32, std::move(shape));
  std::uniform_real_distribution<float> d(-0.5f, 0.5f);
  for (int64_t i = 0; i < t.numel(); ++i)
    t.data<float>()[i] = d(rng);
  return t;
}

}  // namespace

TEST_CASE("recurrent kernels give the same results with the Halide and the portable projection",
          "[projection][recurrent]") {
  struct Case {
    OpKind op;
    Direction dir;
    int64_t seq, batch, input, hidden;
    int threads;
    bool lbr;
  };
  const std::vector<Case> cases = {
      {OpKind::LSTM, Direction::Forward, 5, 1, 37, 40, 2, false},
      {OpKind::GRU, Direction::Bidirectional, 4, 3, 19, 33, 2, true},
      {OpKind::GRU, Direction::Reverse, 3, 2, 50, 70, 1, false},
      {OpKind::RNN, Direction::Bidirectional, 6, 2, 9, 17, 1, false},
      {OpKind::LSTM, Direction::Bidirectional, 3, 2, 21, 48, 3, false},
  };
  std::mt19937 rng(9);
  for (const Case& c : cases) {
    INFO(op_name(c.op) << " seq " << c.seq << " batch " << c.batch << " input " << c.input
                       << " hidden " << c.hidden << " threads " << c.threads);
    const int64_t D = c.dir == Direction::Bidirectional ? 2 : 1;
    const int64_t G = recurrent_gate_count(c.op), H = c.hidden;
    RecurrentLayerSpec spec;
    spec.name = "layer";
    spec.op = c.op;
    spec.attrs.direction = c.dir;
    spec.attrs.linear_before_reset = c.lbr;
    spec.seq_len = c.seq;
    spec.batch = c.batch;
    spec.input_size = c.input;
    spec.hidden_size = H;
    spec.w = uniform({D, G * H, c.input}, rng);
    spec.r = uniform({D, G * H, H}, rng);
    spec.b = uniform({D, 2 * G * H}, rng);
    RecurrentCompileOptions portable;
    portable.threads = c.threads;
    RecurrentCompileOptions halide = portable;
    halide.projection = halide_projection_factory({});
    auto kp = compile_recurrent(spec, portable);
    auto kh = compile_recurrent(spec, halide);
    const Tensor x = uniform({c.seq, c.batch, c.input}, rng);
    std::vector<float> yp(static_cast<size_t>(c.seq * D * c.batch * H)), yh(yp.size()),
        hp(static_cast<size_t>(D * c.batch * H)), hh(hp.size()), cp(hp.size()), ch(hp.size());
    kp->run(x.data<float>(), static_cast<const int32_t*>(nullptr), nullptr, nullptr, yp.data(),
            hp.data(), cp.data());
    kh->run(x.data<float>(), static_cast<const int32_t*>(nullptr), nullptr, nullptr, yh.data(),
            hh.data(), ch.data());
    double worst = 0;
    for (size_t i = 0; i < yp.size(); ++i)
      worst = std::max(worst, static_cast<double>(std::fabs(yp[i] - yh[i])));
    for (size_t i = 0; i < hp.size(); ++i)
      worst = std::max(worst, static_cast<double>(std::fabs(hp[i] - hh[i])));
    CHECK(worst < 1e-5);
    // Not all zeros: the comparison saw real values.
    double sum = 0;
    for (float v : yh)
      sum += std::fabs(v);
    CHECK(sum > 0.01 * static_cast<double>(yh.size()));
    CHECK(kh->input_projection().out_rows() >= c.seq * c.batch);
  }
}
