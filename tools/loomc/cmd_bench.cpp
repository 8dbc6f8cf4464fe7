// loomc bench MODEL: JIT-compiles a model (through the compile cache unless
// --no-cache), runs it on deterministic random inputs after a warm-up, and
// prints the compile time and the median and minimum latency, as text or as
// one JSON object (--json) for scripts such as benchmarks/resnet18.sh.
#include <unistd.h>

#include <algorithm>
#include <chrono>
#include <cstdio>
#include <random>

#include <fmt/format.h>

#include "compiler/compile.h"
#include "compiler/load_model.h"
#include "runtime/compile_cache.h"
#include "tools/loomc/cli.h"

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

int run_bench(Args& args) {
  const bool json = args.flag("--json");
  const bool no_cache = args.flag("--no-cache");
  const int iters = parse_count(args, "--iters", 20, 1);
  const int warmup = parse_count(args, "--warmup", 3, 0);
  loom::LoadOptions load;
  take_input_shapes(args, load);
  loom::CompileOptions options = compile_options(args);
  auto pos = args.positional();
  if (pos.size() != 1) throw loom::UsageError("loomc bench needs exactly one MODEL");
  loom::Graph graph = loom::load_model(pos[0], load);

  // Progress only where someone watches: a terminal on stderr, and never
  // mixed into --json output consumers might capture together.
  const bool tty = isatty(fileno(stderr)) != 0;
  if (tty)
    options.progress = [](const loom::CompileProgress& p) {
      if (p.stage == "kernel")
        fmt::print(stderr, "\r\033[Kcompiling kernel {}/{}: {:.60}", p.done + 1, p.total, p.group);
      else if (p.stage == "done")
        fmt::print(stderr, "\r\033[K");
      std::fflush(stderr);
    };
  std::unique_ptr<loom::CompileCache> cache;
  if (!no_cache) {
    std::string dir = loom::default_compile_cache_dir();
    if (!dir.empty()) cache = std::make_unique<loom::CompileCache>(dir);
  }
  options.cache = cache.get();

  using clock = std::chrono::steady_clock;
  auto ms = [](auto a, auto b) { return std::chrono::duration<double, std::milli>(b - a).count(); };
  const auto t0 = clock::now();
  loom::Executable exe = loom::compile(graph, options);
  const double compile_ms = ms(t0, clock::now());
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
  // "none": no kernel of this model has a cacheable artifact (today only
  // the LLVM recurrent kernels do; Halide groups always JIT-compile).
  const char* hit = !cache                                             ? "off"
                    : cache_stats.hits == 0 && cache_stats.misses == 0 ? "none"
                    : cache_stats.misses == 0                          ? "hit"
                    : cache_stats.hits > 0                             ? "partial"
                                                                       : "miss";

  if (json) {
    fmt::print(
        "{{\"model\": {}, \"median_ms\": {:.4f}, \"min_ms\": {:.4f}, \"max_ms\": {:.4f}, "
        "\"compile_ms\": {:.1f}, \"threads\": {}, \"iters\": {}, \"warmup\": {}, "
        "\"target\": {}, \"schedule\": {}, \"cache\": \"{}\", \"cache_hits\": {}, "
        "\"cache_misses\": {}, \"kernels\": {}}}\n",
        json_string(pos[0]), median, min, times.back(), compile_ms, options.threads, iters, warmup,
        json_string(options.target), json_string(options.schedule), hit, cache_stats.hits,
        cache_stats.misses, exe.step_names().size());
  } else {
    fmt::print("{}: {} steps, target {}, {} thread(s), schedule {}\n", pos[0],
               exe.step_names().size(), options.target, options.threads, options.schedule);
    fmt::print("compile {:.1f} ms (cache: {}, {} hit(s), {} miss(es))\n", compile_ms, hit,
               cache_stats.hits, cache_stats.misses);
    fmt::print("latency over {} run(s) after {} warm-up: median {:.3f} ms, min {:.3f} ms\n", iters,
               warmup, median, min);
  }
  return 0;
}

}  // namespace

Command bench_command() {
  return {"bench", "compile a model and measure its latency (median, min, compile time)",
          "usage: loomc bench MODEL [--iters N] [--warmup N] [--json] [--no-cache]\n"
          "                   [--shape NAME=DIMS]... [compile options]\n\n"
          "JIT-compiles MODEL (.onnx or .loom), runs it --warmup times (default 3),\n"
          "then times --iters runs (default 20) on deterministic random inputs and\n"
          "prints the compile time, median and minimum latency. --json prints one\n"
          "JSON object (median_ms, min_ms, max_ms, compile_ms, threads, iters, warmup,\n"
          "target, schedule, cache, cache_hits, cache_misses, kernels). The compile\n"
          "cache lives in $LOOM_CACHE_DIR or ~/.cache/loom; --no-cache bypasses it.\n"
          "It holds the object code of LLVM recurrent kernels; Halide groups are\n"
          "JIT-compiled every time (cache 'none' when a model has nothing cacheable).\n"
          "Compile options:\n" +
              compile_options_help(),
          run_bench};
}

}  // namespace loomc
