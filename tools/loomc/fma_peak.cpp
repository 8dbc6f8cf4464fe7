// FMA peak microbenchmark: independent multiply-add chains in registers,
// compiled per instruction set with target attributes and picked by what
// the CPU reports, so loomc itself needs no special compile flags.
#include "tools/loomc/fma_peak.h"

#include <immintrin.h>

#include <algorithm>
#include <chrono>

namespace loomc {

namespace {

// Enough independent accumulators to cover the FMA latency (4 cycles) on
// two FMA pipes: 8 chains in flight, 12 for margin. The chain loops must be
// unrolled whatever the optimization level (at -O2 GCC otherwise keeps the
// accumulators in memory and measures store-forwarding latency, not FMAs).
constexpr int kChains = 12;

__attribute__((target("avx512f"))) float chains_avx512(long iters) {
  __m512 acc[kChains];
  for (int i = 0; i < kChains; ++i)
    acc[i] = _mm512_set1_ps(0.001f * static_cast<float>(i));
  const __m512 a = _mm512_set1_ps(0.999999f), b = _mm512_set1_ps(1e-7f);
  for (long it = 0; it < iters; ++it)
#pragma GCC unroll 16
    for (int i = 0; i < kChains; ++i)
      acc[i] = _mm512_fmadd_ps(acc[i], a, b);
  __m512 s = acc[0];
  for (int i = 1; i < kChains; ++i)
    s = _mm512_add_ps(s, acc[i]);
  alignas(64) float out[16];
  _mm512_store_ps(out, s);
  float r = 0;
  for (float v : out)
    r += v;
  return r;
}

__attribute__((target("avx2,fma"))) float chains_avx2(long iters) {
  __m256 acc[kChains];
  for (int i = 0; i < kChains; ++i)
    acc[i] = _mm256_set1_ps(0.001f * static_cast<float>(i));
  const __m256 a = _mm256_set1_ps(0.999999f), b = _mm256_set1_ps(1e-7f);
  for (long it = 0; it < iters; ++it)
#pragma GCC unroll 16
    for (int i = 0; i < kChains; ++i)
      acc[i] = _mm256_fmadd_ps(acc[i], a, b);
  __m256 s = acc[0];
  for (int i = 1; i < kChains; ++i)
    s = _mm256_add_ps(s, acc[i]);
  alignas(32) float out[8];
  _mm256_store_ps(out, s);
  float r = 0;
  for (float v : out)
    r += v;
  return r;
}

// SSE has no FMA: a multiply and an add per element (2 FLOPs), as the
// generated code would issue them.
float chains_sse(long iters) {
  __m128 acc[kChains];
  for (int i = 0; i < kChains; ++i)
    acc[i] = _mm_set1_ps(0.001f * static_cast<float>(i));
  const __m128 a = _mm_set1_ps(0.999999f), b = _mm_set1_ps(1e-7f);
  for (long it = 0; it < iters; ++it)
#pragma GCC unroll 16
    for (int i = 0; i < kChains; ++i)
      acc[i] = _mm_add_ps(_mm_mul_ps(acc[i], a), b);
  __m128 s = acc[0];
  for (int i = 1; i < kChains; ++i)
    s = _mm_add_ps(s, acc[i]);
  alignas(16) float out[4];
  _mm_store_ps(out, s);
  return out[0] + out[1] + out[2] + out[3];
}

bool has_avx512() {
  return __builtin_cpu_supports("avx512f");
}
bool has_avx2_fma() {
  return __builtin_cpu_supports("avx2") && __builtin_cpu_supports("fma");
}

}  // namespace

int target_f32_lanes(const std::string& target) {
  if (target == "x86-64-avx512") return 16;
  if (target == "x86-64-avx2") return 8;
  if (target == "x86-64") return 4;
  return has_avx512() ? 16 : has_avx2_fma() ? 8 : 4;
}

double measure_core_peak_gflops(int lanes) {
  float (*fn)(long) = chains_sse;
  if (lanes >= 16 && has_avx512())
    fn = chains_avx512;
  else if (lanes >= 8 && has_avx2_fma())
    fn = chains_avx2;
  else
    lanes = 4;
  const long iters = 2000000;
  volatile float sink = 0;
  double best = 0;
  for (int trial = 0; trial < 7; ++trial) {
    const auto t0 = std::chrono::steady_clock::now();
    sink = sink + fn(iters);
    const double s = std::chrono::duration<double>(std::chrono::steady_clock::now() - t0).count();
    const double flops = 2.0 * lanes * kChains * static_cast<double>(iters);
    if (s > 0) best = std::max(best, flops / s / 1e9);
  }
  return best;
}

}  // namespace loomc
