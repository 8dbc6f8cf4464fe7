// compile_halide_projection: the recurrent input projection as a Halide
// GEMM pipeline (see projection_gemm.h), its register-blocked schedule, and
// the compiled entry point that the recurrent kernel's threads call.
//
// Layout. Output columns are cut into panels of NR = 2 vectors; the pipeline
// computes out(n, panel, row) for n < NR, so a panel's weights are read as
// w(n, k, panel), NR contiguous floats per k, and a thread's part range is a
// crop of the output buffer's panel dimension (no scalar parameter, no
// index arithmetic per lane). Rows are cut into blocks of MR; the output
// buffer holds the rows rounded up to MR, and rows past the input read its
// last row (their results are never used), so no block needs a tail.
//
// Schedule, per panel and row block: the MR × NR accumulator tile lives in
// registers, starts from the bias, and takes one FMA per (row, vector) for
// each k, k running innermost over the panel's contiguous weights and
// broadcast inputs. Panels are the outer loop so each weight is fetched from
// memory once per run while the inputs (rows × input floats) stay in L2.
#include "backends/halide/projection_gemm.h"

#include <Halide.h>

#include <algorithm>
#include <cctype>
#include <optional>

#include <fmt/format.h>

#include "backends/halide/halide_aot.h"
#include "backends/halide/halide_target.h"
#include "ir/error.h"
#include "runtime/compile_cache.h"

namespace loom {
namespace {

namespace H = Halide;

// Register blocking for a target: rows per block, chosen in [lo, hi] to pad
// the row count the least (then the largest block), with MR × 2 accumulator
// vectors, 2 weight vectors and a broadcast fitting the register file.
struct Tiling {
  int64_t nr = 0;  // columns per panel (2 vectors)
  int64_t mr = 0;  // rows per register block
};

Tiling choose_tiling(int lanes, int64_t rows) {
  const int64_t hi = lanes == 16 ? 12 : 6, lo = lanes == 16 ? 4 : 3;
  Tiling t{2 * lanes, 1};
  int64_t best = -1;
  for (int64_t mr = std::min(hi, std::max<int64_t>(rows, 1)); mr >= 1; --mr) {
    if (mr < lo && best >= 0) break;
    const int64_t padded = (rows + mr - 1) / mr * mr;
    if (best < 0 || padded < best) {
      best = padded;
      t.mr = mr;
    }
  }
  return t;
}

std::string sanitize(const std::string& s) {
  std::string out;
  for (char ch : s)
    out += (std::isalnum(static_cast<unsigned char>(ch)) || ch == '_') ? ch : '_';
  return out.empty() ? "layer" : out;
}

// The pipeline and its argument list, for one spec and tiling.
struct Built {
  H::Pipeline pipeline;
  std::vector<H::Argument> args;
};

Built build_pipeline(const ProjectionSpec& s, const Tiling& t, int lanes, int64_t panels,
                     int64_t ld, int64_t rows_padded) {
  const int64_t K = s.input_size, M = s.rows, NR = t.nr;
  H::Buffer<float> w(static_cast<int>(NR), static_cast<int>(K), static_cast<int>(panels), "w");
  H::Buffer<float> bias(static_cast<int>(NR), static_cast<int>(panels), "bias");
  w.fill(0.f);
  bias.fill(0.f);
  for (int64_t c = 0; c < s.columns; ++c) {
    const int n = static_cast<int>(c % NR), p = static_cast<int>(c / NR);
    const float* src = s.weights.data() + c * K;
    for (int64_t k = 0; k < K; ++k)
      w(n, static_cast<int>(k), p) = src[k];
    bias(n, p) = s.bias[static_cast<size_t>(c)];
  }

  H::ImageParam x(H::Float(32), 2, "x");
  H::Var n("n"), p("p"), m("m"), mo("mo"), mi("mi"), nv("nv"), nl("nl");
  H::RDom k(0, static_cast<int>(K), "k");
  H::Func acc("acc"), out("out");
  acc(n, p, m) = bias(n, p);
  acc(n, p, m) += x(k, H::min(m, static_cast<int>(M - 1))) * w(n, k, p);
  out(n, p, m) = acc(n, p, m);

  const int L = lanes, MR = static_cast<int>(t.mr);
  out.split(m, mo, mi, MR, H::TailStrategy::RoundUp)
      .split(n, nv, nl, L, H::TailStrategy::RoundUp)
      .reorder(nl, nv, mi, mo, p)
      .vectorize(nl)
      .unroll(nv)
      .unroll(mi);
  acc.compute_at(out, mo)
      .store_in(H::MemoryType::Register)
      .split(n, nv, nl, L)
      .reorder(nl, nv, m, p)
      .vectorize(nl)
      .unroll(nv)
      .unroll(m);
  acc.update().split(n, nv, nl, L).reorder(nl, nv, m, k, p).vectorize(nl).unroll(nv).unroll(m);

  // Every extent and stride but the panel range is a constant of the layer.
  x.dim(0).set_bounds(0, static_cast<int>(K)).set_stride(1);
  x.dim(1).set_bounds(0, static_cast<int>(M)).set_stride(static_cast<int>(K));
  H::OutputImageParam o = out.output_buffer();
  o.dim(0).set_bounds(0, static_cast<int>(NR)).set_stride(1);
  o.dim(1).set_stride(static_cast<int>(NR));
  o.dim(2).set_bounds(0, static_cast<int>(rows_padded)).set_stride(static_cast<int>(ld));
  // Part ranges start on panel boundaries of an aligned buffer.
  o.set_host_alignment(static_cast<int>(std::min<int64_t>(64, NR * 4)));
  return {H::Pipeline(out), {x}};
}

using ArgvFn = int (*)(void**);

class HalideProjection final : public InputProjection {
 public:
  HalideProjection(std::string what, ArgvFn fn, std::shared_ptr<void> keep, int64_t rows, int64_t k,
                   int64_t columns, int64_t nr, int64_t panels, int64_t ld, int64_t rows_padded)
      : what_(std::move(what)),
        fn_(fn),
        keep_(std::move(keep)),
        rows_(rows),
        k_(k),
        columns_(columns),
        nr_(nr),
        panels_(panels),
        ld_(ld),
        rows_padded_(rows_padded) {}

  int64_t num_parts() const override { return panels_; }
  int64_t columns_per_part() const override { return nr_; }
  int64_t out_stride() const override { return ld_; }
  int64_t out_rows() const override { return rows_padded_; }
  double flops() const override {
    return 2.0 * static_cast<double>(rows_) * static_cast<double>(k_) *
           static_cast<double>(columns_);
  }

  void run(const float* x, float* out, int64_t begin, int64_t end) const override {
    begin = std::max<int64_t>(begin, 0);
    end = std::min(end, panels_);
    if (begin >= end) return;
    halide_dimension_t xd[2] = {{0, static_cast<int32_t>(k_), 1, 0},
                                {0, static_cast<int32_t>(rows_), static_cast<int32_t>(k_), 0}};
    halide_dimension_t od[3] = {
        {0, static_cast<int32_t>(nr_), 1, 0},
        {static_cast<int32_t>(begin), static_cast<int32_t>(end - begin), static_cast<int32_t>(nr_),
         0},
        {0, static_cast<int32_t>(rows_padded_), static_cast<int32_t>(ld_), 0}};
    halide_buffer_t xb{}, ob{};
    xb.host = reinterpret_cast<uint8_t*>(const_cast<float*>(x));
    xb.type = halide_type_of<float>();
    xb.dimensions = 2;
    xb.dim = xd;
    ob.host = reinterpret_cast<uint8_t*>(out + begin * nr_);
    ob.type = halide_type_of<float>();
    ob.dimensions = 3;
    ob.dim = od;
    void* args[2] = {&xb, &ob};
    const int rc = fn_(args);
    if (rc != 0)
      throw InternalError(fmt::format("{}: Halide pipeline failed (code {})", what_, rc));
  }

 private:
  std::string what_;
  ArgvFn fn_;
  std::shared_ptr<void> keep_;  // owns the code fn_ points into
  int64_t rows_, k_, columns_, nr_, panels_, ld_, rows_padded_;
};

// Everything the compiled object depends on besides the target and the Loom
// build (which the cache adds): sizes, tiling and the constants' bytes.
std::string cache_key(const ProjectionSpec& s, const Tiling& t, int64_t ld, int64_t rows_padded) {
  const auto bytes = [](const std::vector<float>& v) {
    return std::string_view(reinterpret_cast<const char*>(v.data()), v.size() * sizeof(float));
  };
  return fmt::format(
      "loom halide-projection v1\nrows {} input {} columns {} nr {} mr {} ld {} rows_padded {}\n"
      "weights {:016x} {}\nbias {:016x} {}\n",
      s.rows, s.input_size, s.columns, t.nr, t.mr, ld, rows_padded, cache_hash(bytes(s.weights)),
      s.weights.size(), cache_hash(bytes(s.bias)), s.bias.size());
}

void check_spec(const ProjectionSpec& s) {
  const bool ok = s.rows >= 1 && s.input_size >= 1 && s.columns >= 1 &&
                  s.weights.size() == static_cast<size_t>(s.columns * s.input_size) &&
                  s.bias.size() == static_cast<size_t>(s.columns);
  if (!ok)
    throw InternalError(fmt::format(
        "input projection of '{}': rows {}, input {}, columns {} with {} weights and {} biases",
        s.name, s.rows, s.input_size, s.columns, s.weights.size(), s.bias.size()));
  // Halide indexes buffers with 32-bit integers.
  constexpr int64_t kMax = int64_t{1} << 31;
  if (s.rows * s.input_size >= kMax || (s.columns + 64) * s.input_size >= kMax ||
      (s.rows + 16) * (s.columns + 64) >= kMax)
    throw UnsupportedError(fmt::format(
        "input projection of '{}' ({} rows × {} inputs × {} columns) exceeds the 2^31 elements "
        "a Halide buffer may hold",
        s.name, s.rows, s.input_size, s.columns));
}

}  // namespace

std::unique_ptr<InputProjection> compile_halide_projection(const ProjectionSpec& spec,
                                                           const HalideProjectionOptions& options) {
  const halide_detail::ResolvedTarget t = halide_detail::resolve_target(options.target);
  // No rows (a layer with zero time steps): nothing to compile.
  if (spec.rows == 0 && spec.input_size >= 1 && spec.columns >= 1)
    return make_portable_projection(spec);
  check_spec(spec);
  const Tiling tile = choose_tiling(t.lanes, spec.rows);
  const int64_t panels = (spec.columns + tile.nr - 1) / tile.nr;
  int64_t ld = panels * tile.nr;
  // A row stride of a multiple of 4 KiB maps every row of a register block
  // to the same L1 set; one more panel's worth of floats breaks the pattern.
  if ((ld * 4) % 4096 == 0) ld += tile.nr;
  const int64_t rows_padded = (spec.rows + tile.mr - 1) / tile.mr * tile.mr;
  const std::string fn_name = "loom_projection";
  const std::string what = fmt::format("input projection of '{}'", spec.name);

  std::optional<Built> built;
  auto build = [&]() -> Built& {
    if (!built) built = build_pipeline(spec, tile, t.lanes, panels, ld, rows_padded);
    return *built;
  };
  // Compiled ahead of time to an object (weights included) that the cache
  // keeps, and loaded next to a one-thread Halide runtime: the pipeline has
  // no parallel loop of its own.
  try {
    if (!options.dump_dir.empty()) {
      Built& b = build();
      b.pipeline.compile_to_lowered_stmt(
          options.dump_dir + "/" + sanitize(spec.name) + "_projection.stmt", b.args,
          H::StmtOutputFormat::Text, t.target);
    }
    namespace aot = halide_aot;
    const std::string object =
        aot::cached_object(options.cache, cache_key(spec, tile, ld, rows_padded), t.target, [&] {
          Built& b = build();
          return aot::compile_pipeline_object(b.pipeline, b.args, fn_name, t.target);
        }).object;
    std::shared_ptr<aot::LoadedObject> lo =
        aot::load_object(aot::runtime_for(t.target, 1, options.cache), object, what);
    auto fn = reinterpret_cast<ArgvFn>(lo->argv_function(fn_name));
    return std::make_unique<HalideProjection>(what, fn, lo, spec.rows, spec.input_size,
                                              spec.columns, tile.nr, panels, ld, rows_padded);
  } catch (const H::Error& e) {
    throw InternalError(fmt::format("{}: Halide compilation failed: {}", what, e.what()));
  }
}

ProjectionFactory halide_projection_factory(HalideProjectionOptions options) {
  return [options = std::move(options)](const ProjectionSpec& spec) {
    return compile_halide_projection(spec, options);
  };
}

}  // namespace loom
