// The per-core floating-point peak of this CPU for a vector width, measured
// with a short microbenchmark, for "% of peak" columns in profiles.
#pragma once

#include <string>

namespace loomc {

// Lanes of f32 per vector the Halide target uses: 16 (AVX-512), 8 (AVX2+FMA)
// or 4 (SSE, no FMA). "host" picks the widest this CPU has.
int target_f32_lanes(const std::string& target);

// GFLOP/s of one core doing independent f32 multiply-adds at `lanes` wide
// vectors (FMA where the width has it), best of a few ~10 ms trials.
double measure_core_peak_gflops(int lanes);

}  // namespace loomc
