// rnn_bench: latency of the recurrent kernels (LLVM step loops, Halide input
// projection, as the compile driver builds them) on the public
// workloads of shared/WORKLOADS.md (LSTM h512/b1/t25, GRU with
// linear_before_reset h512/b2/t187, input size = hidden), at 1 and 2 threads.
// Prints compile time, median and minimum latency, the input projection's
// time and GFLOP/s, and the per-step time with the recurrent weights' GB/s.
//
//   rnn_bench [--reps N] [--isa host|avx512|avx2|generic] [--threads 1,2] [--dump-llvm DIR]
#include <algorithm>
#include <chrono>
#include <cstdlib>
#include <cstring>
#include <random>
#include <string>
#include <vector>

#include <fmt/format.h>

#include "backends/halide/projection_gemm.h"
#include "backends/llvm/recurrent_kernel.h"
#include "ir/error.h"
#include "runtime/thread_team.h"

using namespace loom;

namespace {

struct Workload {
  std::string name;
  OpKind op;
  int64_t hidden, batch, seq;
  bool linear_before_reset;
  double target_ms;  // the number to reach (WORKLOADS.md)
  double ort_2t_ms;  // ONNX Runtime, 2 threads, same machine
};

Tensor uniform(Shape s, std::mt19937& rng, float scale) {
  Tensor t(DType::f32, std::move(s));
  std::uniform_real_distribution<float> d(-scale, scale);
  for (int64_t i = 0; i < t.numel(); ++i)
    t.data<float>()[i] = d(rng);
  return t;
}

double now_ms() {
  using namespace std::chrono;
  return duration<double, std::milli>(steady_clock::now().time_since_epoch()).count();
}

void bench(const Workload& w, int threads, int reps, RecurrentIsa isa, const std::string& dump) {
  std::mt19937 rng(42);
  const int64_t G = recurrent_gate_count(w.op), H = w.hidden;
  const float s = 1.f / std::sqrt(static_cast<float>(H));
  RecurrentLayerSpec spec;
  spec.name = w.name;
  spec.op = w.op;
  spec.attrs.linear_before_reset = w.linear_before_reset;
  spec.seq_len = w.seq;
  spec.batch = w.batch;
  spec.input_size = H;
  spec.hidden_size = H;
  spec.w = uniform({1, G * H, H}, rng, s);
  spec.r = uniform({1, G * H, H}, rng, s);
  spec.b = uniform({1, 2 * G * H}, rng, s);
  RecurrentCompileOptions opt;
  opt.threads = threads;
  opt.isa = isa;
  opt.dump_dir = dump;
  HalideProjectionOptions po;
  po.target = isa == RecurrentIsa::Avx512    ? "x86-64-avx512"
              : isa == RecurrentIsa::Avx2    ? "x86-64-avx2"
              : isa == RecurrentIsa::Generic ? "x86-64"
                                             : "host";
  po.dump_dir = dump;
  opt.projection = halide_projection_factory(po);
  auto k = compile_recurrent(spec, opt);

  std::vector<float> x(static_cast<size_t>(w.seq * w.batch * H));
  for (auto& v : x)
    v = std::uniform_real_distribution<float>(-1, 1)(rng);
  std::vector<float> y(static_cast<size_t>(w.seq * w.batch * H)),
      yh(static_cast<size_t>(w.batch * H)), yc(yh.size());
  auto run = [&] {
    k->run(x.data(), static_cast<const int32_t*>(nullptr), nullptr, nullptr, y.data(), yh.data(),
           yc.data());
  };
  for (int i = 0; i < std::max(5, reps / 10); ++i)
    run();
  std::vector<double> t;
  for (int i = 0; i < reps; ++i) {
    const double t0 = now_ms();
    run();
    t.push_back(now_ms() - t0);
  }

  // The projection alone, on the kernel's team, into a scratch buffer.
  const InputProjection& proj = k->input_projection();
  const size_t out_bytes = static_cast<size_t>(proj.out_rows() * proj.out_stride()) * 4;
  float* out = static_cast<float*>(std::aligned_alloc(64, (out_bytes + 63) / 64 * 64));
  ThreadTeam& team = k->team();
  const int n = team.size();
  auto run_proj = [&] {
    team.parallel_for(n, [&](int tid) {
      const int64_t parts = proj.num_parts();
      proj.run(x.data(), out, parts * tid / n, parts * (tid + 1) / n);
    });
  };
  for (int i = 0; i < 10; ++i)
    run_proj();
  std::vector<double> tp;
  for (int i = 0; i < reps; ++i) {
    const double t0 = now_ms();
    run_proj();
    tp.push_back(now_ms() - t0);
  }
  std::free(out);

  const RecurrentKernelInfo& info = k->info();
  std::sort(t.begin(), t.end());
  std::sort(tp.begin(), tp.end());
  const double med = t[t.size() / 2], mn = t[0], p10 = t[t.size() / 10];
  const double pmed = tp[tp.size() / 2], pmin = tp[0];
  // Per step: the run minus the projection, from medians and from minima
  // (the minima are what an unshared machine gives).
  const double bytes = static_cast<double>(info.packed_recurrent_bytes);
  const double step_med = (med - pmed) * 1000.0 / static_cast<double>(w.seq);
  const double step_min = (mn - pmin) * 1000.0 / static_cast<double>(w.seq);
  fmt::print(
      "{:<18} threads {}  {} x{}  compile {:6.1f} ms  median {:7.3f} ms  p10 {:7.3f}  min {:7.3f}  "
      "(target {:.2f}, ORT 2t {:.2f})\n"
      "{:<18}   projection median {:6.3f} ms = {:5.1f} GFLOP/s (min {:6.3f})   step median "
      "{:6.2f} us = {:5.1f} GB/s, min {:6.2f} us = {:5.1f} GB/s of weights ({:.2f} MB)\n",
      w.name, threads, info.isa, info.vector_lanes, info.compile_ms, med, p10, mn, w.target_ms,
      w.ort_2t_ms, "", pmed, info.projection_flops / (pmed * 1e6), pmin, step_med,
      bytes / (step_med * 1e3), step_min, bytes / (step_min * 1e3), bytes / 1e6);
}

}  // namespace

int main(int argc, char** argv) {
  int reps = 200;
  RecurrentIsa isa = RecurrentIsa::Host;
  std::vector<int> threads = {1, 2};
  std::string dump;
  for (int i = 1; i < argc; ++i) {
    const std::string a = argv[i];
    if (a == "--reps" && i + 1 < argc) {
      reps = std::max(1, std::atoi(argv[++i]));
    } else if (a == "--isa" && i + 1 < argc) {
      const std::string v = argv[++i];
      isa = v == "avx512"    ? RecurrentIsa::Avx512
            : v == "avx2"    ? RecurrentIsa::Avx2
            : v == "generic" ? RecurrentIsa::Generic
                             : RecurrentIsa::Host;
    } else if (a == "--dump-llvm" && i + 1 < argc) {
      dump = argv[++i];
    } else if (a == "--threads" && i + 1 < argc) {
      threads.clear();
      for (const char* p = argv[++i]; *p;) {
        threads.push_back(std::max(1, std::atoi(p)));
        while (*p && *p != ',')
          ++p;
        if (*p == ',') ++p;
      }
    } else {
      fmt::print(stderr,
                 "usage: rnn_bench [--reps N] [--isa host|avx512|avx2|generic] "
                 "[--threads 1,2] [--dump-llvm DIR]\n");
      return 2;
    }
  }
  const std::vector<Workload> workloads = {
      {"lstm_h512_b1_t25", OpKind::LSTM, 512, 1, 25, false, 0.75, 1.03},
      {"gru_h512_b2_t187", OpKind::GRU, 512, 2, 187, true, 6.3, 9.53},
      // Weights resident in L2 even at one thread per direction (TOOLCHAIN.md probe: 1.14 ms).
      {"lstm_h256_b1_t150", OpKind::LSTM, 256, 1, 150, false, 1.14, 1.58},
      // FMA-bound at batch 4 (DeepBench; no target or ORT figure in WORKLOADS.md).
      {"lstm_h256_b4_t150", OpKind::LSTM, 256, 4, 150, false, 0, 0},
  };
  try {
    for (const auto& w : workloads)
      for (int t : threads)
        bench(w, t, reps, isa, dump);
  } catch (const Error& e) {
    fmt::print(stderr, "{}\n", e.what());
    return 1;
  }
  return 0;
}
