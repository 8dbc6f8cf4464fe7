// STUB: to be implemented (shape inference + reference evaluation for: Conv MaxPool AveragePool GlobalAveragePool GlobalMaxPool)
#include "ir/ops/op_context.h"

namespace loom {

std::vector<TensorType> infer_Conv(const OpContext& ctx) { ctx.unsupported("Conv is not implemented yet"); }
std::vector<Tensor> eval_Conv(const OpContext& ctx, const std::vector<const Tensor*>&,
                                const std::vector<TensorType>&) {
  ctx.unsupported("Conv is not implemented yet");
}

std::vector<TensorType> infer_MaxPool(const OpContext& ctx) { ctx.unsupported("MaxPool is not implemented yet"); }
std::vector<Tensor> eval_MaxPool(const OpContext& ctx, const std::vector<const Tensor*>&,
                                const std::vector<TensorType>&) {
  ctx.unsupported("MaxPool is not implemented yet");
}

std::vector<TensorType> infer_AveragePool(const OpContext& ctx) { ctx.unsupported("AveragePool is not implemented yet"); }
std::vector<Tensor> eval_AveragePool(const OpContext& ctx, const std::vector<const Tensor*>&,
                                const std::vector<TensorType>&) {
  ctx.unsupported("AveragePool is not implemented yet");
}

std::vector<TensorType> infer_GlobalAveragePool(const OpContext& ctx) { ctx.unsupported("GlobalAveragePool is not implemented yet"); }
std::vector<Tensor> eval_GlobalAveragePool(const OpContext& ctx, const std::vector<const Tensor*>&,
                                const std::vector<TensorType>&) {
  ctx.unsupported("GlobalAveragePool is not implemented yet");
}

std::vector<TensorType> infer_GlobalMaxPool(const OpContext& ctx) { ctx.unsupported("GlobalMaxPool is not implemented yet"); }
std::vector<Tensor> eval_GlobalMaxPool(const OpContext& ctx, const std::vector<const Tensor*>&,
                                const std::vector<TensorType>&) {
  ctx.unsupported("GlobalMaxPool is not implemented yet");
}

}  // namespace loom
