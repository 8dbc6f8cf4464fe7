// A small CRNN text recognizer, written with the C++ GraphBuilder, compiled
// and run end to end: three conv stages (conv + [BatchNorm] + ReLU +
// max-pool), the feature map's height squeezed away so its width becomes
// time, a bidirectional LSTM, and a per-step classifier with log-softmax.
// compile() turns the conv/pool/classifier groups into Halide pipelines and
// the LSTM into an LLVM-JITted step loop; the reference interpreter runs the
// same graph as the oracle, and the example prints how far apart they are
// and the latency of both. Weights are deterministic pseudo-random numbers,
// so the output is the same on every machine.
//
//   crnn_example [--save-ir FILE.loom] [--iters N] [--threads N] [--schedule S]
#include <algorithm>
#include <chrono>
#include <cmath>
#include <cstdint>
#include <string>
#include <vector>

#include <fmt/format.h>

#include "compiler/compile.h"
#include "ir/builder.h"
#include "ir/interpreter.h"
#include "ir/text_format.h"

using namespace loom;

namespace {

// Deterministic weights: uniform in [-scale, scale] from a 64-bit LCG.
Tensor random_tensor(Shape shape, float scale, uint64_t seed) {
  Tensor t(DType::f32, std::move(shape));
  uint64_t state = seed * 6364136223846793005ull + 1442695040888963407ull;
  float* p = t.data<float>();
  for (int64_t i = 0; i < t.numel(); ++i) {
    state = state * 6364136223846793005ull + 1442695040888963407ull;
    float u = static_cast<float>((state >> 40) & 0xFFFFFF) / static_cast<float>(0xFFFFFF);
    p[i] = (2.f * u - 1.f) * scale;
  }
  return t;
}

Tensor filled(Shape shape, float value) {
  Tensor t(DType::f32, std::move(shape));
  std::fill_n(t.data<float>(), t.numel(), value);
  return t;
}

constexpr int64_t kHeight = 32, kWidth = 64, kHidden = 48, kClasses = 11;

Graph build_crnn() {
  GraphBuilder b("crnn_small");
  Val image = b.input("image", DType::f32, {1, 1, kHeight, kWidth});
  uint64_t seed = 1;
  auto weight = [&](const std::string& name, Shape shape) {
    float fan_in = 1.f;
    for (size_t i = 1; i < shape.size(); ++i)
      fan_in *= static_cast<float>(shape[i]);
    return b.constant(name, random_tensor(std::move(shape), std::sqrt(3.f / fan_in), seed++));
  };
  const PoolAttrs pool2{.kernel_shape = {2, 2}, .strides = {2, 2}};

  // Stage 1: conv3x3 1->16, ReLU, 2x2 max-pool -> [1,16,16,32]
  Val x = b.conv(image, weight("conv1.w", {16, 1, 3, 3}), weight("conv1.b", {16}),
                 {.pads = {1, 1, 1, 1}}, "conv1");
  x = b.max_pool(b.relu(x, "relu1"), pool2, "pool1");
  // Stage 2: conv3x3 16->32, BatchNorm, ReLU, 2x2 max-pool -> [1,32,8,16]
  x = b.conv(x, weight("conv2.w", {32, 16, 3, 3}), {}, {.pads = {1, 1, 1, 1}}, "conv2");
  x = b.batch_norm(x, b.constant("bn2.scale", filled({32}, 1.1f)),
                   b.constant("bn2.bias", filled({32}, 0.05f)),
                   b.constant("bn2.mean", filled({32}, 0.02f)),
                   b.constant("bn2.var", filled({32}, 0.9f)), {.epsilon = 1e-5f}, "bn2");
  x = b.max_pool(b.relu(x, "relu2"), pool2, "pool2");
  // Stage 3: conv 8x1 collapses the height -> [1,64,1,16]
  x = b.relu(b.conv(x, weight("conv3.w", {64, 32, 8, 1}), weight("conv3.b", {64}), {}, "conv3"),
             "relu3");
  // Height squeezed, width becomes time: [T=16, batch=1, features=64]
  x = b.squeeze(x, {2}, "squeeze_h");
  x = b.transpose(x, {.perm = {2, 0, 1}}, "to_time_major");
  // Bidirectional LSTM -> Y [16, 2, 1, 48] -> [16, 1, 96]
  auto lstm = b.lstm({.x = x,
                      .w = weight("lstm.W", {2, 4 * kHidden, 64}),
                      .r = weight("lstm.R", {2, 4 * kHidden, kHidden}),
                      .b = weight("lstm.B", {2, 8 * kHidden})},
                     {.hidden_size = kHidden, .direction = Direction::Bidirectional},
                     {.y = true, .y_h = false, .y_c = false}, "lstm");
  x = b.transpose(lstm.y, {.perm = {0, 2, 1, 3}}, "merge_dirs");
  x = b.reshape(x, {.shape = {0, 0, -1}}, "flatten_dirs");
  // Classifier and log-softmax over classes: [16, 1, 11]
  x = b.add(b.matmul(x, weight("fc.w", {2 * kHidden, kClasses}), "fc"), weight("fc.b", {kClasses}),
            "fc_bias");
  b.output(b.log_softmax(x, {.axis = -1}, "log_probs"), "log_probs");
  return b.build();
}

// Runs `run` `iters` times; sorted latencies in milliseconds.
template <class F>
std::vector<double> time_runs(int iters, F&& run) {
  std::vector<double> ms;
  for (int i = 0; i < iters; ++i) {
    auto t0 = std::chrono::steady_clock::now();
    run();
    auto t1 = std::chrono::steady_clock::now();
    ms.push_back(std::chrono::duration<double, std::milli>(t1 - t0).count());
  }
  std::sort(ms.begin(), ms.end());
  return ms;
}

}  // namespace

int main(int argc, char** argv) {
  std::string save_ir;
  int iters = 20;
  CompileOptions options;
  for (int i = 1; i + 1 < argc; i += 2) {
    std::string a = argv[i];
    if (a == "--save-ir") save_ir = argv[i + 1];
    if (a == "--iters") iters = std::max(1, std::atoi(argv[i + 1]));
    if (a == "--threads") options.threads = std::atoi(argv[i + 1]);
    if (a == "--schedule") options.schedule = argv[i + 1];
  }
  try {
    Graph graph = build_crnn();
    fmt::print("model '{}': {} nodes, {} constants\n", graph.name, graph.nodes.size(),
               std::count_if(graph.values.begin(), graph.values.end(),
                             [](const Value& v) { return v.constant.has_value(); }));
    if (!save_ir.empty()) {
      save_text(graph, save_ir);
      fmt::print("IR written to {}\n", save_ir);
    }

    // A synthetic "text line": bright vertical strokes on a dark background.
    Tensor image(DType::f32, {1, 1, kHeight, kWidth});
    float* px = image.data<float>();
    for (int64_t y = 0; y < kHeight; ++y)
      for (int64_t x = 0; x < kWidth; ++x)
        px[y * kWidth + x] = ((x / 3) % 4 == 0 && y > 4 && y < 28) ? 1.f : 0.05f;

    auto c0 = std::chrono::steady_clock::now();
    Executable exe = compile(graph, options);
    auto c1 = std::chrono::steady_clock::now();
    const double compile_ms = std::chrono::duration<double, std::milli>(c1 - c0).count();
    fmt::print("compiled in {:.0f} ms (target {}, schedule {}, threads {}): {} kernels\n",
               compile_ms, options.target, options.schedule, options.threads,
               exe.step_names().size());
    for (const std::string& k : exe.step_names())
      fmt::print("  {}\n", k);

    std::vector<Tensor> out, ref;
    std::vector<double> compiled_ms = time_runs(iters, [&] { out = exe.run({image}); });
    Interpreter interp(graph);
    std::vector<double> ref_ms = time_runs(iters, [&] { ref = interp.run({image}); });

    const Tensor& lp = out[0];
    fmt::print("output 'log_probs': {}\n", type_str(lp.type()));
    const float* v = lp.data<float>();
    const int64_t steps = lp.shape()[0], classes = lp.shape()[2];
    std::string best;
    for (int64_t t = 0; t < steps; ++t) {
      const float* row = v + t * classes;
      int64_t arg = std::max_element(row, row + classes) - row;
      best += fmt::format("{}{}", t ? " " : "", arg);
    }
    fmt::print("step 0 log-probs: [");
    for (int64_t c = 0; c < classes; ++c)
      fmt::print("{}{:.4f}", c ? ", " : "", v[c]);
    fmt::print("]\n");
    fmt::print("argmax per step: {}\n", best);

    double max_diff = 0;
    for (int64_t i = 0; i < lp.numel(); ++i)
      max_diff = std::max(max_diff, std::fabs(lp.get_as_double(i) - ref[0].get_as_double(i)));
    fmt::print("max abs difference compiled vs reference: {:.3g}\n", max_diff);
    fmt::print(
        "latency over {} runs: compiled median {:.3f} ms, min {:.3f} ms; "
        "reference interpreter median {:.3f} ms, min {:.3f} ms\n",
        iters, compiled_ms[compiled_ms.size() / 2], compiled_ms.front(), ref_ms[ref_ms.size() / 2],
        ref_ms.front());
    if (!(max_diff <= 1e-4)) {
      fmt::print(stderr, "crnn_example: the compiled model disagrees with the reference\n");
      return 1;
    }
    return 0;
  } catch (const Error& e) {
    fmt::print(stderr, "crnn_example: {}\n", e.what());
    return 2;
  }
}
