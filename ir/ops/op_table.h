#pragma once

#include "ir/ops/op_context.h"

namespace loom {

InferFn infer_fn(OpKind op);
EvalFn eval_fn(OpKind op);

}  // namespace loom
