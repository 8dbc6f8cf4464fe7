// The input projection of a recurrent layer as a Halide pipeline: a GEMM
// specialized to the layer (rows = steps × batch, input size, output columns
// in the step loop's packed order), with the weights and folded biases baked
// in as constant buffers and a hand schedule that keeps a block of rows ×
// two vectors of columns in registers while the reduction over the input
// runs innermost on a weight panel laid out for contiguous loads.
//
// The pipeline has no parallel loop: the recurrent kernel's own pinned
// threads call it concurrently, each on a disjoint range of column panels
// (InputProjection::run), so the projection runs on the same cores and with
// the same thread split as the step loop that follows it.
//
// This header holds no Halide type.
#pragma once

#include <memory>
#include <string>

#include "runtime/input_projection.h"

namespace loom {

class CompileCache;

struct HalideProjectionOptions {
  // A Halide target name of the model: "host", "x86-64-avx512",
  // "x86-64-avx2" or "x86-64" (UsageError otherwise, or when the host lacks it).
  std::string target = "host";
  // Compiled objects are looked up in / stored to it (may be null).
  CompileCache* cache = nullptr;
  // When set, writes <name>_projection.stmt (Halide's lowered loop nest).
  std::string dump_dir;
};

std::unique_ptr<InputProjection> compile_halide_projection(
    const ProjectionSpec& spec, const HalideProjectionOptions& options = {});

// A factory for RecurrentCompileOptions::projection.
ProjectionFactory halide_projection_factory(HalideProjectionOptions options);

}  // namespace loom
