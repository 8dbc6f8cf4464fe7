// Arity of each op and the dispatch from OpKind to its inference and
// evaluation functions (implemented per family in ir/ops/*.cpp).
#include "ir/ops/op_table.h"
#include "ir/op_signature.h"
#include "ir/ops/op_context.h"

namespace loom {

OpSignature op_signature(OpKind op) {
  constexpr int V = OpSignature::kVariadic;
  if (is_unary_elementwise(op) || is_reduce(op)) return {1, 1, 1, 1};
  switch (op) {
    case OpKind::Conv:
    case OpKind::ConvTranspose:
      return {2, 3, 1, 1};
    case OpKind::GlobalLpPool:
    case OpKind::Resize:
    case OpKind::LRN:
    case OpKind::Not:
    case OpKind::ArgMax:
    case OpKind::ArgMin:
    case OpKind::Pad:
    case OpKind::Cast:
    case OpKind::Tile:
    case OpKind::DepthToSpace:
    case OpKind::SpaceToDepth:
      return {1, 1, 1, 1};
    case OpKind::InstanceNormalization:
      return {3, 3, 1, 1};
    case OpKind::LayerNormalization:
      return {2, 3, 1, 3};
    case OpKind::Pow:
    case OpKind::Mod:
    case OpKind::PRelu:
    case OpKind::Equal:
    case OpKind::Less:
    case OpKind::Greater:
    case OpKind::LessOrEqual:
    case OpKind::GreaterOrEqual:
      return {2, 2, 1, 1};
    case OpKind::Min:
    case OpKind::Max:
    case OpKind::Sum:
    case OpKind::Mean:
      return {1, V, 1, 1};
    case OpKind::Where:
    case OpKind::Range:
    case OpKind::ScatterND:
      return {3, 3, 1, 1};
    case OpKind::ConstantOfShape:
      return {0, 0, 1, 1};
    case OpKind::Split:
      return {1, 1, 1, V};
    case OpKind::MaxPool:
      return {1, 1, 1, 2};
    case OpKind::AveragePool:
    case OpKind::GlobalAveragePool:
    case OpKind::GlobalMaxPool:
      return {1, 1, 1, 1};
    case OpKind::Gemm:
      return {2, 3, 1, 1};
    case OpKind::MatMul:
      return {2, 2, 1, 1};
    case OpKind::Einsum:
      return {1, V, 1, 1};
    case OpKind::BatchNormalization:
      return {5, 5, 1, 1};
    case OpKind::Add:
    case OpKind::Sub:
    case OpKind::Mul:
    case OpKind::Div:
      return {2, 2, 1, 1};
    case OpKind::Relu:
    case OpKind::LeakyRelu:
    case OpKind::Sigmoid:
    case OpKind::Tanh:
    case OpKind::Clip:
    case OpKind::Elu:
    case OpKind::Softmax:
    case OpKind::LogSoftmax:
    case OpKind::Flatten:
    case OpKind::Reshape:
    case OpKind::Transpose:
    case OpKind::Squeeze:
    case OpKind::Unsqueeze:
    case OpKind::Slice:
    case OpKind::Identity:
    case OpKind::Shape:
    case OpKind::Expand:
      return {1, 1, 1, 1};
    case OpKind::Gather:
      return {2, 2, 1, 1};
    case OpKind::Concat:
      return {1, V, 1, 1};
    case OpKind::Dropout:
      return {1, 1, 1, 2};
    case OpKind::Constant:
      return {0, 0, 1, 1};
    case OpKind::RNN:
    case OpKind::GRU:
      return {3, 6, 0, 2};
    case OpKind::LSTM:
      return {3, 8, 0, 3};
    default:  // unary elementwise and reductions, above
      break;
  }
  return {0, 0, 0, 0};
}

InferFn infer_fn(OpKind op) {
  switch (op) {
#define LOOM_X(name) \
  case OpKind::name: \
    return &infer_##name;
    LOOM_OP_LIST(LOOM_X)
#undef LOOM_X
  }
  return nullptr;
}

EvalFn eval_fn(OpKind op) {
  switch (op) {
#define LOOM_X(name) \
  case OpKind::name: \
    return &eval_##name;
    LOOM_OP_LIST(LOOM_X)
#undef LOOM_X
  }
  return nullptr;
}

}  // namespace loom
