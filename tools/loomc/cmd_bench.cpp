// loomc bench MODEL: JIT-compiles a model (through the compile cache unless
// --no-cache, see compile_options.cpp), runs it on deterministic random
// inputs after a warm-up, and prints the compile time and the median and minimum latency, as text
// or as one JSON object (--json) for scripts such as benchmarks/resnet18.py.
// --per-layer adds a table of every step (kernel group): op summary, MFLOP,
// median/min time, GFLOP/s and the fraction of the machine's FMA peak.

#include <algorithm>
#include <chrono>
#include <cstdio>
#include <random>

#include <fmt/format.h>

#include "compiler/compile.h"
#include "compiler/load_model.h"
#include "compiler/step_info.h"
#include "runtime/compile_cache.h"
#include "tools/loomc/cli.h"
#include "tools/loomc/fma_peak.h"

namespace loomc {

namespace {

int parse_count(Args& args, const std::string& name, int fallback, int lo) {
  auto v = args.take(name);
  if (!v) return fallback;
  try {
    size_t used = 0;
    int n = std::stoi(*v, &used);
    if (used != v->size() || n < lo || n > 1000000) throw std::invalid_argument(*v);
    return n;
  } catch (const std::exception&) {
    throw loom::UsageError(
        fmt::format("{} '{}': expected a number from {} to 1000000", name, *v, lo));
  }
}

std::string json_string(const std::string& s) {
  std::string out = "\"";
  for (char c : s) {
    if (c == '"' || c == '\\')
      out += fmt::format("\\{}", c);
    else if (static_cast<unsigned char>(c) < 0x20)
      out += fmt::format("\\u{:04x}", static_cast<int>(c));
    else
      out += c;
  }
  return out + "\"";
}

double parse_peak(Args& args) {
  auto v = args.take("--peak-gflops");
  if (!v) return 0;
  try {
    size_t used = 0;
    double d = std::stod(*v, &used);
    if (used != v->size() || !(d > 0) || d > 1e7) throw std::invalid_argument(*v);
    return d;
  } catch (const std::exception&) {
    throw loom::UsageError(
        fmt::format("--peak-gflops '{}': expected a positive number of GFLOP/s", *v));
  }
}

// A kernel name "a/b/conv1/Conv (Conv) + a/b/relu/Relu (Relu)" shortened to
// "a/b/conv1+relu": node names lose a last path part equal to their op,
// followers lose the path they share with the first node (or become their
// op name); long names keep their end.
std::string short_kernel_name(const std::string& kernel, size_t width) {
  if (kernel == "alias") return kernel;
  std::vector<std::pair<std::string, std::string>> nodes;  // name, op
  for (size_t pos = 0; pos < kernel.size();) {
    const size_t end = kernel.find(" + ", pos);
    std::string part = kernel.substr(pos, end == std::string::npos ? std::string::npos : end - pos);
    std::string op;
    const size_t paren = part.rfind(" (");
    if (paren != std::string::npos && part.back() == ')') {
      op = part.substr(paren + 2, part.size() - paren - 3);
      part.resize(paren);
    }
    if (!part.empty() && part[0] == '/') part.erase(0, 1);
    const size_t slash = part.rfind('/');
    if (slash != std::string::npos && part.compare(slash + 1, std::string::npos, op) == 0)
      part.resize(slash);
    nodes.emplace_back(part, op);
    if (end == std::string::npos) break;
    pos = end + 3;
  }
  if (nodes.empty()) return kernel;
  const std::string& first = nodes[0].first;
  std::string out = first;
  for (size_t i = 1; i < nodes.size(); ++i) {
    const std::string& n = nodes[i].first;
    size_t common = 0;
    for (size_t k = 0; k < std::min(n.size(), first.size()) && n[k] == first[k]; ++k)
      if (n[k] == '/') common = k + 1;
    if (n.size() == common || n == first.substr(0, n.size())) common = n.size();
    out += '+';
    if (common >= n.size())
      out += nodes[i].second;
    else
      out.append(n, common, std::string::npos);
  }
  if (out.size() > width) {
    out.erase(0, out.size() - (width - 1));
    out.insert(out.begin(), '~');
  }
  return out;
}

struct LayerRow {
  std::string kernel, name, summary;
  double mflop = 0, median_ms = 0, min_ms = 0, gflops = 0, peak_frac = 0;
  bool fma_bound = false;
};

void print_layers(const std::vector<LayerRow>& layers, const loom::RunProfile& prof, double peak,
                  bool peak_given) {
  fmt::print("\nper layer over {} profiled run(s); peak {:.1f} GFLOP/s ({})\n", prof.iters, peak,
             peak_given ? "--peak-gflops x threads" : "measured FMA peak per core x threads");
  fmt::print("{:>3} {:<40} {:<46} {:>9} {:>8} {:>8} {:>8} {:>6}\n", "#", "kernel", "ops", "MFLOP",
             "med ms", "min ms", "GFLOP/s", "%peak");
  double mflop = 0, med = 0, mn = 0;
  for (size_t i = 0; i < layers.size(); ++i) {
    const LayerRow& r = layers[i];
    if (r.kernel == "alias") continue;
    mflop += r.mflop;
    med += r.median_ms;
    mn += r.min_ms;
    std::string summary = r.summary.size() > 46 ? r.summary.substr(0, 45) + "~" : r.summary;
    fmt::print("{:>3} {:<40} {:<46} {:>9.2f} {:>8.3f} {:>8.3f} {:>8.1f} {:>6}\n", i, r.name,
               summary, r.mflop, r.median_ms, r.min_ms, r.gflops,
               r.fma_bound ? fmt::format("{:.1f}%", 100 * r.peak_frac) : "-");
  }
  const double g = med > 0 ? mflop / med : 0;
  fmt::print("{:>3} {:<40} {:<46} {:>9.2f} {:>8.3f} {:>8.3f} {:>8.1f} {:>5.1f}%\n", "",
             "total (sum of steps)", "", mflop, med, mn, g, peak > 0 ? 100 * g / peak : 0.0);
  fmt::print("whole profiled run: median {:.3f} ms, min {:.3f} ms\n", prof.median_ms, prof.min_ms);
}

int run_bench(Args& args) {
  const bool json = args.flag("--json");
  const bool per_layer = args.flag("--per-layer");
  double peak_core = parse_peak(args);
  const bool peak_given = peak_core > 0;
  const int iters = parse_count(args, "--iters", 20, 1);
  const int warmup = parse_count(args, "--warmup", 3, 0);
  loom::LoadOptions load;
  take_input_shapes(args, load);
  loom::CompileOptions options = compile_options(args);
  auto pos = args.positional();
  if (pos.size() != 1) throw loom::UsageError("loomc bench needs exactly one MODEL");
  loom::Graph graph = loom::load_model(pos[0], load);

  using clock = std::chrono::steady_clock;
  auto ms = [](auto a, auto b) { return std::chrono::duration<double, std::milli>(b - a).count(); };
  const auto t0 = clock::now();
  loom::Executable exe = loom::compile(graph, options);
  const double compile_ms = ms(t0, clock::now());
  loom::CompileCache* cache = options.cache;
  const loom::CompileCacheStats cache_stats = cache ? cache->stats() : loom::CompileCacheStats{};

  std::vector<loom::Tensor> inputs;
  const auto types = exe.input_types();
  for (size_t i = 0; i < types.size(); ++i)
    inputs.push_back(random_input(types[i], static_cast<uint32_t>(i + 1)));
  for (int i = 0; i < warmup; ++i)
    exe.run(inputs);
  std::vector<double> times;
  for (int i = 0; i < iters; ++i) {
    const auto a = clock::now();
    exe.run(inputs);
    times.push_back(ms(a, clock::now()));
  }
  std::sort(times.begin(), times.end());
  const size_t n = times.size();
  const double median = n % 2 ? times[n / 2] : (times[n / 2 - 1] + times[n / 2]) / 2;
  const double min = times.front();
  // Nearest-rank percentiles: on a shared machine the spread says as much as
  // the median (a neighbour's burst shows as a long upper tail).
  auto percentile = [&](double q) {
    return times[std::min(n - 1, static_cast<size_t>(q * static_cast<double>(n)))];
  };
  const double p10 = percentile(0.1), p90 = percentile(0.9);

  std::vector<LayerRow> layers;
  loom::RunProfile prof;
  double peak = 0;
  if (per_layer) {
    // Profiled runs are separate from the latency runs above, so the clock
    // reads between steps do not touch the headline numbers.
    prof = exe.profile(inputs, iters);
    const std::vector<loom::StepInfo> info = loom::describe_steps(graph, options);
    const bool aligned = info.size() == prof.steps.size();
    if (!peak_given) peak_core = measure_core_peak_gflops(target_f32_lanes(options.target));
    const int threads = options.threads > 0
                            ? options.threads
                            : static_cast<int>(std::max(1L, sysconf(_SC_NPROCESSORS_ONLN)));
    peak = peak_core * threads;
    for (size_t i = 0; i < prof.steps.size(); ++i) {
      LayerRow r;
      r.kernel = prof.steps[i].name;
      r.name = short_kernel_name(r.kernel, 40);
      r.median_ms = prof.steps[i].median_ms;
      r.min_ms = prof.steps[i].min_ms;
      if (aligned) {
        r.summary = info[i].summary;
        r.mflop = static_cast<double>(info[i].flops) / 1e6;
        r.fma_bound = info[i].fma_bound;
      }
      if (r.median_ms > 0) r.gflops = r.mflop / r.median_ms;  // MFLOP/ms = GFLOP/s
      if (peak > 0) r.peak_frac = r.gflops / peak;
      layers.push_back(std::move(r));
    }
  }
  // "none": no kernel of this model has a cacheable artifact (every Halide
  // group and recurrent kernel has one; copy kernels have none).
  const char* hit = !cache                                             ? "off"
                    : cache_stats.hits == 0 && cache_stats.misses == 0 ? "none"
                    : cache_stats.misses == 0                          ? "hit"
                    : cache_stats.hits > 0                             ? "partial"
                                                                       : "miss";

  if (json) {
    fmt::print(
        "{{\"model\": {}, \"median_ms\": {:.4f}, \"min_ms\": {:.4f}, \"max_ms\": {:.4f}, "
        "\"p10_ms\": {:.4f}, \"p90_ms\": {:.4f}, "
        "\"compile_ms\": {:.1f}, \"threads\": {}, \"iters\": {}, \"warmup\": {}, "
        "\"target\": {}, \"schedule\": {}, \"cache\": \"{}\", \"cache_hits\": {}, "
        "\"cache_misses\": {}, \"kernels\": {}",
        json_string(pos[0]), median, min, times.back(), p10, p90, compile_ms, options.threads,
        iters, warmup, json_string(options.target), json_string(options.schedule), hit,
        cache_stats.hits, cache_stats.misses, exe.step_names().size());
    if (per_layer) {
      fmt::print(", \"peak_gflops\": {:.1f}, \"profile_median_ms\": {:.4f}, \"layers\": [", peak,
                 prof.median_ms);
      for (size_t i = 0; i < layers.size(); ++i) {
        const LayerRow& r = layers[i];
        fmt::print(
            "{}{{\"kernel\": {}, \"ops\": {}, \"mflop\": {:.3f}, \"median_ms\": {:.4f}, "
            "\"min_ms\": {:.4f}, \"gflops\": {:.2f}, \"peak_fraction\": {:.4f}, "
            "\"fma_bound\": {}}}",
            i ? ", " : "", json_string(r.kernel), json_string(r.summary), r.mflop, r.median_ms,
            r.min_ms, r.gflops, r.peak_frac, r.fma_bound ? "true" : "false");
      }
      fmt::print("]");
    }
    fmt::print("}}\n");
  } else {
    fmt::print("{}: {} steps, target {}, {} thread(s), schedule {}\n", pos[0],
               exe.step_names().size(), options.target, options.threads, options.schedule);
    fmt::print("compile {:.1f} ms (cache: {}, {} hit(s), {} miss(es))\n", compile_ms, hit,
               cache_stats.hits, cache_stats.misses);
    fmt::print(
        "latency over {} run(s) after {} warm-up: median {:.3f} ms, min {:.3f} ms "
        "(p10 {:.3f}, p90 {:.3f})\n",
        iters, warmup, median, min, p10, p90);
    if (per_layer) print_layers(layers, prof, peak, peak_given);
  }
  return 0;
}

}  // namespace

Command bench_command() {
  return {"bench", "compile a model and measure its latency (median, min, compile time)",
          "usage: loomc bench MODEL [--iters N] [--warmup N] [--json]\n"
          "                   [--per-layer [--peak-gflops G]]\n"
          "                   [--shape NAME=DIMS]... [compile options]\n\n"
          "JIT-compiles MODEL (.onnx or .loom), runs it --warmup times (default 3),\n"
          "then times --iters runs (default 20) on deterministic random inputs and\n"
          "prints the compile time and the median, minimum, 10th and 90th percentile\n"
          "latency. --json prints one JSON object (median_ms, min_ms, max_ms, p10_ms,\n"
          "p90_ms, compile_ms, threads, iters, warmup, target, schedule, cache,\n"
          "cache_hits, cache_misses, kernels); cache is off (--no-cache), hit, miss,\n"
          "partial or none (nothing cacheable).\n"
          "--per-layer then profiles --iters more runs step by step and prints, in\n"
          "execution order, each kernel group (node names shortened), its ops, MFLOP\n"
          "(a multiply-add counts 2), median/min ms, GFLOP/s and % of the FMA peak\n"
          "(per-core peak x threads; measured with a short FMA loop at the target's\n"
          "vector width unless --peak-gflops gives the per-core figure), and a total.\n"
          "With --json the object gains peak_gflops, profile_median_ms and layers.\n"
          "Compile options:\n" +
              compile_options_help(),
          run_bench};
}

}  // namespace loomc
