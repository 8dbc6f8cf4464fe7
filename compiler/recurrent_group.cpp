// The built-in factory for recurrent kernel groups: maps one RNN/GRU/LSTM
// node (the whole group) onto backends/llvm compile_recurrent, with the input
// projection emitted as a Halide pipeline (backends/halide/projection_gemm.h)
// for the model's target, and adapts the kernel's raw-pointer interface to
// runtime Kernel inputs and outputs.
#include <algorithm>
#include <array>

#include <fmt/format.h>

#include "backends/halide/projection_gemm.h"
#include "backends/llvm/recurrent_kernel.h"
#include "compiler/backend_registry.h"

namespace loom {

namespace {

RecurrentIsa isa_of(const std::string& target) {
  if (target == "x86-64-avx512") return RecurrentIsa::Avx512;
  if (target == "x86-64-avx2") return RecurrentIsa::Avx2;
  if (target == "x86-64") return RecurrentIsa::Generic;
  return RecurrentIsa::Host;
}

// Where a node input comes from at run time: a kernel input or a constant.
struct Source {
  int input = -1;
  Tensor constant{};
  bool present() const { return input >= 0 || constant.defined(); }
};

class RecurrentGroupKernel final : public Kernel {
 public:
  RecurrentGroupKernel(std::string name, std::unique_ptr<RecurrentKernel> kernel,
                       std::array<Source, 8> sources, std::array<int, 3> outputs)
      : name_(std::move(name)),
        kernel_(std::move(kernel)),
        sources_(std::move(sources)),
        outputs_(outputs) {}

  std::string name() const override { return name_; }

  void run(std::span<const TensorRef> inputs, std::span<const TensorRef> outputs) override {
    auto ptr = [&](int slot) -> const std::byte* {
      const Source& s = sources_[static_cast<size_t>(slot)];
      if (s.constant.defined()) return s.constant.raw();
      return s.input >= 0 ? inputs[static_cast<size_t>(s.input)].data : nullptr;
    };
    auto out = [&](int k) -> float* {
      int i = outputs_[static_cast<size_t>(k)];
      return i >= 0 ? outputs[static_cast<size_t>(i)].as<float>() : nullptr;
    };
    const auto* x = reinterpret_cast<const float*>(ptr(0));
    const auto* h0 = reinterpret_cast<const float*>(ptr(5));
    const auto* c0 = reinterpret_cast<const float*>(ptr(6));
    const std::byte* lens = ptr(4);
    if (lens && seq_lens_i64_)
      kernel_->run(x, reinterpret_cast<const int64_t*>(lens), h0, c0, out(0), out(1), out(2));
    else
      kernel_->run(x, reinterpret_cast<const int32_t*>(lens), h0, c0, out(0), out(1), out(2));
  }

  bool seq_lens_i64_ = false;

 private:
  std::string name_;
  std::unique_ptr<RecurrentKernel> kernel_;
  std::array<Source, 8> sources_;
  std::array<int, 3> outputs_;  // node output k -> kernel output index, -1 absent
};

}  // namespace

std::unique_ptr<Kernel> make_recurrent_kernel(const Graph& g, const BackendOptions& options) {
  if (g.nodes.size() != 1)
    throw InternalError(
        fmt::format("recurrent group '{}' has {} nodes, expected 1", g.name, g.nodes.size()));
  const Node& n = g.nodes[0];
  const ErrorSite site = g.site(n);
  if (n.op != OpKind::RNN && n.op != OpKind::GRU && n.op != OpKind::LSTM)
    throw InternalError(fmt::format("recurrent group holds a {}", op_name(n.op)), site);

  std::array<Source, 8> sources;
  for (size_t k = 0; k < n.inputs.size() && k < 8; ++k) {
    ValueId v = n.inputs[k];
    if (v == kNoValue) continue;
    if (g.is_constant(v)) {
      sources[k].constant = *g.value(v).constant;
      continue;
    }
    for (size_t i = 0; i < g.inputs.size(); ++i)
      if (g.inputs[i] == v) sources[k].input = static_cast<int>(i);
  }
  auto constant_input = [&](size_t k, const char* what) -> Tensor {
    if (!n.has_input(k)) return Tensor{};
    if (!sources[k].constant.defined())
      throw UnsupportedError(
          fmt::format("the compiled engine needs {} ('{}') as a constant; it is computed at run "
                      "time",
                      what, g.value(n.inputs[k]).name),
          site);
    return sources[k].constant;
  };

  const TensorType& xt = g.type_of(n.inputs[0]);
  if (xt.dtype != DType::f32 || xt.rank() != 3)
    throw UnsupportedError(
        fmt::format("the compiled recurrent kernel takes an f32 rank-3 X, got {}", type_str(xt)),
        site);
  RecurrentLayerSpec spec;
  spec.name = n.name;
  spec.op = n.op;
  spec.attrs = n.attr<RecurrentAttrs>();
  const bool batch_major = spec.attrs.layout == 1;
  spec.seq_len = batch_major ? xt.shape[1] : xt.shape[0];
  spec.batch = batch_major ? xt.shape[0] : xt.shape[1];
  spec.input_size = xt.shape[2];
  spec.hidden_size = spec.attrs.hidden_size;
  spec.w = constant_input(1, "W");
  spec.r = constant_input(2, "R");
  spec.b = constant_input(3, "B");
  if (n.op == OpKind::LSTM) spec.p = constant_input(7, "P");
  // A constant all-zero initial state (exporters write one as an initializer)
  // is the same as none, and lets the kernel skip step 0's matvec.
  for (size_t k : {size_t{5}, size_t{6}}) {
    const Tensor& t = sources[k].constant;
    if (t.defined() && t.dtype() == DType::f32) {
      const auto v = t.values<float>();
      if (std::all_of(v.begin(), v.end(), [](float x) { return x == 0.f; })) sources[k] = Source{};
    }
  }
  spec.has_sequence_lens = sources[4].present();
  spec.has_initial_h = sources[5].present();
  spec.has_initial_c = n.op == OpKind::LSTM && sources[6].present();
  for (size_t k : {size_t{5}, size_t{6}})
    if (sources[k].present() && g.type_of(n.inputs[k]).dtype != DType::f32)
      throw UnsupportedError(
          fmt::format("initial state '{}' must be f32", g.value(n.inputs[k]).name), site);
  std::array<int, 3> outs{-1, -1, -1};
  for (size_t k = 0; k < n.outputs.size() && k < 3; ++k)
    for (size_t i = 0; i < g.outputs.size(); ++i)
      if (n.outputs[k] != kNoValue && g.outputs[i] == n.outputs[k]) outs[k] = static_cast<int>(i);
  spec.want_y = outs[0] >= 0;
  spec.want_y_h = outs[1] >= 0;
  spec.want_y_c = outs[2] >= 0;

  RecurrentCompileOptions ro;
  ro.isa = isa_of(options.target);
  ro.threads = options.threads;
  ro.dump_dir = options.dump_dir;
  ro.team = options.team;
  ro.cache = options.cache;
  HalideProjectionOptions po;
  po.target = options.target;
  po.cache = options.cache;
  po.dump_dir = options.dump_dir;
  ro.projection = halide_projection_factory(std::move(po));
  auto kernel = std::make_unique<RecurrentGroupKernel>(
      fmt::format("{} ({})", n.name, op_name(n.op)), compile_recurrent(spec, ro), sources, outs);
  kernel->seq_lens_i64_ = spec.has_sequence_lens && g.type_of(n.inputs[4]).dtype == DType::i64;
  return kernel;
}

}  // namespace loom
