// How many inputs and outputs each op takes (ONNX arity, optional ones
// included). Used by the verifier, the builder and the ONNX frontend.
#pragma once

#include <cstdint>

#include "ir/ops.h"

namespace loom {

struct OpSignature {
  int min_inputs;
  int max_inputs;  // kVariadic: any number >= min_inputs
  int min_outputs;
  int max_outputs;
  static constexpr int kVariadic = 1 << 20;
};

OpSignature op_signature(OpKind op);

}  // namespace loom
