// InputProjection: the hoisted, time-independent part of a recurrent layer,
// out[row] = x[row]·Wᵀ + bias for every (time step, batch entry) row at once.
//
// The recurrent kernel (backends/llvm) decides the output column order its
// step loop reads and describes the projection as a ProjectionSpec; a code
// generator it does not depend on (the Halide pipeline in
// backends/halide/projection_gemm.h) turns the spec into an InputProjection.
// The compile driver connects the two through a ProjectionFactory, so neither
// backend includes the other. make_portable_projection is the plain C++
// fallback used when no factory is given (tests of the step loop alone).
#pragma once

#include <cstdint>
#include <functional>
#include <memory>
#include <string>
#include <vector>

namespace loom {

class InputProjection {
 public:
  virtual ~InputProjection() = default;
  // Independent slices of the output: part p covers the output columns
  // [p·columns_per_part(), (p+1)·columns_per_part()). run() may be called
  // from several threads at once on disjoint part ranges.
  virtual int64_t num_parts() const = 0;
  virtual int64_t columns_per_part() const = 0;
  // Floats per output row (a multiple of columns_per_part()).
  virtual int64_t out_stride() const = 0;
  // Rows the output buffer must hold (at least the spec's rows: code that
  // works on blocks of rows may write a few rows past them).
  virtual int64_t out_rows() const = 0;
  // Multiply-adds ×2 for one full run (all parts, padding excluded).
  virtual double flops() const = 0;
  // x: [rows][input_size] contiguous; out: [out_rows()][out_stride()], 64-byte
  // aligned. Writes the columns of parts [part_begin, part_end) of every row.
  virtual void run(const float* x, float* out, int64_t part_begin, int64_t part_end) const = 0;
};

// What a projection computes, with every value known at compile time:
// out[m][c] = bias[c] + Σ_k x[m][k]·weights[c·input_size + k] for m < rows,
// c < columns. Columns are in the consumer's order (padding columns have zero
// weights and bias), so a projection never needs to know what they mean.
struct ProjectionSpec {
  std::string name;  // the layer's node name, for messages and cache keys
  int64_t rows = 0, input_size = 0, columns = 0;
  std::vector<float> weights;  // [columns][input_size]
  std::vector<float> bias;     // [columns]
};

using ProjectionFactory = std::function<std::unique_ptr<InputProjection>(const ProjectionSpec&)>;

// Blocked C++ loops compiled with the build's flags: correct on any CPU,
// several times slower than a generated kernel.
std::unique_ptr<InputProjection> make_portable_projection(ProjectionSpec spec);

}  // namespace loom
