// STUB: to be implemented (shape inference + reference evaluation for: Flatten Reshape Transpose Squeeze Unsqueeze Concat Slice Constant)
#include "ir/ops/op_context.h"

namespace loom {

std::vector<TensorType> infer_Flatten(const OpContext& ctx) { ctx.unsupported("Flatten is not implemented yet"); }
std::vector<Tensor> eval_Flatten(const OpContext& ctx, const std::vector<const Tensor*>&,
                                const std::vector<TensorType>&) {
  ctx.unsupported("Flatten is not implemented yet");
}

std::vector<TensorType> infer_Reshape(const OpContext& ctx) { ctx.unsupported("Reshape is not implemented yet"); }
std::vector<Tensor> eval_Reshape(const OpContext& ctx, const std::vector<const Tensor*>&,
                                const std::vector<TensorType>&) {
  ctx.unsupported("Reshape is not implemented yet");
}

std::vector<TensorType> infer_Transpose(const OpContext& ctx) { ctx.unsupported("Transpose is not implemented yet"); }
std::vector<Tensor> eval_Transpose(const OpContext& ctx, const std::vector<const Tensor*>&,
                                const std::vector<TensorType>&) {
  ctx.unsupported("Transpose is not implemented yet");
}

std::vector<TensorType> infer_Squeeze(const OpContext& ctx) { ctx.unsupported("Squeeze is not implemented yet"); }
std::vector<Tensor> eval_Squeeze(const OpContext& ctx, const std::vector<const Tensor*>&,
                                const std::vector<TensorType>&) {
  ctx.unsupported("Squeeze is not implemented yet");
}

std::vector<TensorType> infer_Unsqueeze(const OpContext& ctx) { ctx.unsupported("Unsqueeze is not implemented yet"); }
std::vector<Tensor> eval_Unsqueeze(const OpContext& ctx, const std::vector<const Tensor*>&,
                                const std::vector<TensorType>&) {
  ctx.unsupported("Unsqueeze is not implemented yet");
}

std::vector<TensorType> infer_Concat(const OpContext& ctx) { ctx.unsupported("Concat is not implemented yet"); }
std::vector<Tensor> eval_Concat(const OpContext& ctx, const std::vector<const Tensor*>&,
                                const std::vector<TensorType>&) {
  ctx.unsupported("Concat is not implemented yet");
}

std::vector<TensorType> infer_Slice(const OpContext& ctx) { ctx.unsupported("Slice is not implemented yet"); }
std::vector<Tensor> eval_Slice(const OpContext& ctx, const std::vector<const Tensor*>&,
                                const std::vector<TensorType>&) {
  ctx.unsupported("Slice is not implemented yet");
}

std::vector<TensorType> infer_Constant(const OpContext& ctx) { ctx.unsupported("Constant is not implemented yet"); }
std::vector<Tensor> eval_Constant(const OpContext& ctx, const std::vector<const Tensor*>&,
                                const std::vector<TensorType>&) {
  ctx.unsupported("Constant is not implemented yet");
}

}  // namespace loom
