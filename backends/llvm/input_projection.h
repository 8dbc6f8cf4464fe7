// InputProjection: the hoisted, time-independent part of a recurrent layer,
// out[row] = x[row]·Wᵀ + bias for every (time step, batch entry) row at once.
// The step loop only needs `out` in its packed column order, so the GEMM
// behind this interface can be swapped (today a JIT-compiled LLVM GEMM, later
// a Halide pipeline) without touching the step loop.
#pragma once

#include <cstdint>

namespace loom {

class InputProjection {
 public:
  virtual ~InputProjection() = default;
  // Independent slices of the output (column panels); run() may be called
  // from several threads at once on disjoint part ranges.
  virtual int64_t num_parts() const = 0;
  // Floats per output row.
  virtual int64_t out_stride() const = 0;
  // Multiply-adds ×2 for one full run (all parts).
  virtual double flops() const = 0;
  // x: [rows][input_size] contiguous; out: [rows][out_stride()], 64-byte aligned.
  virtual void run(const float* x, float* out, int64_t part_begin, int64_t part_end) const = 0;
};

}  // namespace loom
