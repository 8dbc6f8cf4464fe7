// STUB: to be implemented (shape inference + reference evaluation for: Gemm MatMul BatchNormalization)
#include "ir/ops/op_context.h"

namespace loom {

std::vector<TensorType> infer_Gemm(const OpContext& ctx) { ctx.unsupported("Gemm is not implemented yet"); }
std::vector<Tensor> eval_Gemm(const OpContext& ctx, const std::vector<const Tensor*>&,
                                const std::vector<TensorType>&) {
  ctx.unsupported("Gemm is not implemented yet");
}

std::vector<TensorType> infer_MatMul(const OpContext& ctx) { ctx.unsupported("MatMul is not implemented yet"); }
std::vector<Tensor> eval_MatMul(const OpContext& ctx, const std::vector<const Tensor*>&,
                                const std::vector<TensorType>&) {
  ctx.unsupported("MatMul is not implemented yet");
}

std::vector<TensorType> infer_BatchNormalization(const OpContext& ctx) { ctx.unsupported("BatchNormalization is not implemented yet"); }
std::vector<Tensor> eval_BatchNormalization(const OpContext& ctx, const std::vector<const Tensor*>&,
                                const std::vector<TensorType>&) {
  ctx.unsupported("BatchNormalization is not implemented yet");
}

}  // namespace loom
