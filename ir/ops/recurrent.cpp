// STUB: to be implemented (shape inference + reference evaluation for: RNN LSTM GRU)
#include "ir/ops/op_context.h"

namespace loom {

std::vector<TensorType> infer_RNN(const OpContext& ctx) { ctx.unsupported("RNN is not implemented yet"); }
std::vector<Tensor> eval_RNN(const OpContext& ctx, const std::vector<const Tensor*>&,
                                const std::vector<TensorType>&) {
  ctx.unsupported("RNN is not implemented yet");
}

std::vector<TensorType> infer_LSTM(const OpContext& ctx) { ctx.unsupported("LSTM is not implemented yet"); }
std::vector<Tensor> eval_LSTM(const OpContext& ctx, const std::vector<const Tensor*>&,
                                const std::vector<TensorType>&) {
  ctx.unsupported("LSTM is not implemented yet");
}

std::vector<TensorType> infer_GRU(const OpContext& ctx) { ctx.unsupported("GRU is not implemented yet"); }
std::vector<Tensor> eval_GRU(const OpContext& ctx, const std::vector<const Tensor*>&,
                                const std::vector<TensorType>&) {
  ctx.unsupported("GRU is not implemented yet");
}

}  // namespace loom
