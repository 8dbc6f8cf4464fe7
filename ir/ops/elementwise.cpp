// STUB: to be implemented (shape inference + reference evaluation for: Add Sub Mul Div Relu LeakyRelu Sigmoid Tanh Clip Elu Softmax LogSoftmax Identity Dropout)
#include "ir/ops/op_context.h"

namespace loom {

std::vector<TensorType> infer_Add(const OpContext& ctx) { ctx.unsupported("Add is not implemented yet"); }
std::vector<Tensor> eval_Add(const OpContext& ctx, const std::vector<const Tensor*>&,
                                const std::vector<TensorType>&) {
  ctx.unsupported("Add is not implemented yet");
}

std::vector<TensorType> infer_Sub(const OpContext& ctx) { ctx.unsupported("Sub is not implemented yet"); }
std::vector<Tensor> eval_Sub(const OpContext& ctx, const std::vector<const Tensor*>&,
                                const std::vector<TensorType>&) {
  ctx.unsupported("Sub is not implemented yet");
}

std::vector<TensorType> infer_Mul(const OpContext& ctx) { ctx.unsupported("Mul is not implemented yet"); }
std::vector<Tensor> eval_Mul(const OpContext& ctx, const std::vector<const Tensor*>&,
                                const std::vector<TensorType>&) {
  ctx.unsupported("Mul is not implemented yet");
}

std::vector<TensorType> infer_Div(const OpContext& ctx) { ctx.unsupported("Div is not implemented yet"); }
std::vector<Tensor> eval_Div(const OpContext& ctx, const std::vector<const Tensor*>&,
                                const std::vector<TensorType>&) {
  ctx.unsupported("Div is not implemented yet");
}

std::vector<TensorType> infer_Relu(const OpContext& ctx) { ctx.unsupported("Relu is not implemented yet"); }
std::vector<Tensor> eval_Relu(const OpContext& ctx, const std::vector<const Tensor*>&,
                                const std::vector<TensorType>&) {
  ctx.unsupported("Relu is not implemented yet");
}

std::vector<TensorType> infer_LeakyRelu(const OpContext& ctx) { ctx.unsupported("LeakyRelu is not implemented yet"); }
std::vector<Tensor> eval_LeakyRelu(const OpContext& ctx, const std::vector<const Tensor*>&,
                                const std::vector<TensorType>&) {
  ctx.unsupported("LeakyRelu is not implemented yet");
}

std::vector<TensorType> infer_Sigmoid(const OpContext& ctx) { ctx.unsupported("Sigmoid is not implemented yet"); }
std::vector<Tensor> eval_Sigmoid(const OpContext& ctx, const std::vector<const Tensor*>&,
                                const std::vector<TensorType>&) {
  ctx.unsupported("Sigmoid is not implemented yet");
}

std::vector<TensorType> infer_Tanh(const OpContext& ctx) { ctx.unsupported("Tanh is not implemented yet"); }
std::vector<Tensor> eval_Tanh(const OpContext& ctx, const std::vector<const Tensor*>&,
                                const std::vector<TensorType>&) {
  ctx.unsupported("Tanh is not implemented yet");
}

std::vector<TensorType> infer_Clip(const OpContext& ctx) { ctx.unsupported("Clip is not implemented yet"); }
std::vector<Tensor> eval_Clip(const OpContext& ctx, const std::vector<const Tensor*>&,
                                const std::vector<TensorType>&) {
  ctx.unsupported("Clip is not implemented yet");
}

std::vector<TensorType> infer_Elu(const OpContext& ctx) { ctx.unsupported("Elu is not implemented yet"); }
std::vector<Tensor> eval_Elu(const OpContext& ctx, const std::vector<const Tensor*>&,
                                const std::vector<TensorType>&) {
  ctx.unsupported("Elu is not implemented yet");
}

std::vector<TensorType> infer_Softmax(const OpContext& ctx) { ctx.unsupported("Softmax is not implemented yet"); }
std::vector<Tensor> eval_Softmax(const OpContext& ctx, const std::vector<const Tensor*>&,
                                const std::vector<TensorType>&) {
  ctx.unsupported("Softmax is not implemented yet");
}

std::vector<TensorType> infer_LogSoftmax(const OpContext& ctx) { ctx.unsupported("LogSoftmax is not implemented yet"); }
std::vector<Tensor> eval_LogSoftmax(const OpContext& ctx, const std::vector<const Tensor*>&,
                                const std::vector<TensorType>&) {
  ctx.unsupported("LogSoftmax is not implemented yet");
}

std::vector<TensorType> infer_Identity(const OpContext& ctx) { ctx.unsupported("Identity is not implemented yet"); }
std::vector<Tensor> eval_Identity(const OpContext& ctx, const std::vector<const Tensor*>&,
                                const std::vector<TensorType>&) {
  ctx.unsupported("Identity is not implemented yet");
}

std::vector<TensorType> infer_Dropout(const OpContext& ctx) { ctx.unsupported("Dropout is not implemented yet"); }
std::vector<Tensor> eval_Dropout(const OpContext& ctx, const std::vector<const Tensor*>&,
                                const std::vector<TensorType>&) {
  ctx.unsupported("Dropout is not implemented yet");
}

}  // namespace loom
