// Target names to Halide targets: fixed feature sets for the named x86
// levels, the detected host for "host", each checked against the host.
#include "backends/halide/halide_target.h"

#include <vector>

#include <fmt/format.h>

#include "ir/error.h"

namespace loom::halide_detail {

ResolvedTarget resolve_target(const std::string& name) {
  namespace H = Halide;
  using F = H::Target::Feature;
  const H::Target host = H::get_host_target();
  if (name == "host")
    return {host, host.has_feature(F::AVX512) ? 16 : host.has_feature(F::AVX2) ? 8 : 4};
  std::vector<F> features;
  int lanes = 4;
  if (name == "x86-64-avx512") {
    features = {F::SSE41, F::AVX, F::AVX2, F::FMA, F::F16C, F::AVX512, F::AVX512_Skylake};
    lanes = 16;
  } else if (name == "x86-64-avx2") {
    features = {F::SSE41, F::AVX, F::AVX2, F::FMA, F::F16C};
    lanes = 8;
  } else if (name == "x86-64") {
    features = {F::SSE41};
  } else {
    throw UsageError(fmt::format(
        "unknown Halide target '{}', expected host, x86-64-avx512, x86-64-avx2 or x86-64", name));
  }
  if (host.arch != H::Target::X86)
    throw UsageError(
        fmt::format("target '{}' cannot run on this host ({})", name, host.to_string()));
  for (F f : features)
    if (!host.has_feature(f))
      throw UsageError(fmt::format("target '{}' needs CPU feature {} which this host ({}) lacks",
                                   name, H::Target().with_feature(f).to_string(),
                                   host.to_string()));
  return {H::Target(host.os, H::Target::X86, 64, features), lanes};
}

}  // namespace loom::halide_detail
