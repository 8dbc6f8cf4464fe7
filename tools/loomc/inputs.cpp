// Input-related helpers shared by the loomc commands that load and run models.
#include <random>

#include <fmt/format.h>

#include "tools/loomc/cli.h"

namespace loomc {

void take_input_shapes(Args& args, loom::LoadOptions& options) {
  for (const std::string& spec : args.take_all("--shape")) {
    auto eq = spec.find('=');
    if (eq == std::string::npos)
      throw loom::UsageError(fmt::format("--shape '{}': expected NAME=1x3x224x224", spec));
    options.input_shapes[spec.substr(0, eq)] =
        loom::parse_shape_spec(spec.substr(eq + 1), "--shape");
  }
}

loom::Tensor random_input(const loom::TensorType& type, uint32_t seed) {
  loom::Tensor x(type);
  if (type.dtype != loom::DType::f32) return x;
  std::mt19937 rng(seed);
  std::uniform_real_distribution<float> d(-1.f, 1.f);
  float* p = x.data<float>();
  for (int64_t i = 0; i < x.numel(); ++i)
    p[i] = d(rng);
  return x;
}

}  // namespace loomc
