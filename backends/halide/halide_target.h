// The Halide targets Loom names (host, x86-64-avx512, x86-64-avx2, x86-64),
// resolved against the machine that will run the code. Internal to
// backends/halide (it exposes Halide types); halide_backend.h lists the
// names for everyone else.
#pragma once

#include <Halide.h>

#include <string>

namespace loom::halide_detail {

struct ResolvedTarget {
  Halide::Target target;
  int lanes = 4;  // f32 lanes of one vector register: 16, 8 or 4
};

// UsageError when the name is unknown or the host lacks a feature the
// target needs: AVX2 code runs on a machine without AVX-512, never the
// reverse.
ResolvedTarget resolve_target(const std::string& name);

}  // namespace loom::halide_detail
