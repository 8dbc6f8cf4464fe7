// conv_bench: GFLOP/s of the Halide backend's default schedule on two conv
// shapes (3x3 64->64 on 56x56, 3x3 512->512 on 7x7; bias + ReLU fused) at
// 1 and 2 threads, with the fraction of the machine's FMA peak (about
// 110 GFLOP/s per core, shared/WORKLOADS.md).
#include <algorithm>
#include <chrono>
#include <cstdio>
#include <random>
#include <vector>

#include "backends/halide/halide_backend.h"
#include "ir/builder.h"

using namespace loom;

namespace {

Tensor random_tensor(std::mt19937& rng, const Shape& s) {
  std::uniform_real_distribution<float> d(-1.f, 1.f);
  std::vector<float> v(static_cast<size_t>(shape_numel(s)));
  for (float& x : v)
    x = d(rng);
  return Tensor::from_vector<float>(s, v);
}

void bench(int64_t c, int64_t hw, int threads) {
  std::mt19937 rng(1);
  GraphBuilder b("conv");
  Val x = b.input("x", DType::f32, {1, c, hw, hw});
  Val w = b.constant("w", random_tensor(rng, {c, c, 3, 3}));
  Val bias = b.constant("b", random_tensor(rng, {c}));
  b.output(b.relu(b.conv(x, w, bias, {.pads = {1, 1, 1, 1}})), "y");
  Graph g = b.build();
  HalideGroupOptions o;
  o.threads = threads;
  auto t0 = std::chrono::steady_clock::now();
  auto k = compile_halide_group(g, o);
  auto t1 = std::chrono::steady_clock::now();
  Tensor in = random_tensor(rng, {1, c, hw, hw});
  Tensor out(g.type_of(g.outputs[0]));
  for (int i = 0; i < 3; ++i)
    k->run({&in}, {&out});
  std::vector<double> ms;
  for (int i = 0; i < 20; ++i) {
    auto a = std::chrono::steady_clock::now();
    k->run({&in}, {&out});
    ms.push_back(
        std::chrono::duration<double, std::milli>(std::chrono::steady_clock::now() - a).count());
  }
  std::sort(ms.begin(), ms.end());
  const double med = ms[ms.size() / 2];
  const double flops = 2.0 * double(c) * double(c) * 9.0 * double(hw * hw);
  const double gflops = flops / (med * 1e6);
  std::printf(
      "3x3 %lld->%lld on %lldx%lld, %d thread(s): compile %.2f s, median %.3f ms, "
      "%.1f GFLOP/s, %.0f%% of %d-core FMA peak\n",
      static_cast<long long>(c), static_cast<long long>(c), static_cast<long long>(hw),
      static_cast<long long>(hw), threads, std::chrono::duration<double>(t1 - t0).count(), med,
      gflops, 100.0 * gflops / (110.0 * threads), threads);
}

}  // namespace

int main() {
  try {
    for (int threads : {1, 2}) {
      bench(64, 56, threads);
      bench(512, 7, threads);
    }
  } catch (const std::exception& e) {
    std::fprintf(stderr, "conv_bench: %s\n", e.what());
    return 1;
  }
  return 0;
}
