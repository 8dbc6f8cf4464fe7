// Import of BatchNormalization, inference form only: epsilon, the legacy
// is_test and spatial attributes, and the training-mode outputs rejected.
#include "compiler/frontend/onnx/import_context.h"

#include <fmt/format.h>

namespace loom::onnx_frontend {

bool convert_normalization(ImportContext& ctx, OpKind op, Converted& c) {
  if (op != OpKind::BatchNormalization) return false;
  AttrReader& a = ctx.attrs;
  BatchNormAttrs at;
  at.epsilon = a.get_float("epsilon").value_or(1e-5f);
  a.ignore("momentum");  // only used when training
  // Before opset 7 the mode is an attribute, and its default is training.
  if (ctx.opset < 7 && !a.get_bool("is_test", false))
    throw UnsupportedError(
        "is_test = 0 (training mode: statistics of the batch) is not supported; Loom "
        "runs inference only");
  if (!a.get_bool("spatial", true)) c.legacy = LegacyRule::BatchNormPerValue;
  if (a.get_bool("training_mode", false))
    throw UnsupportedError("training_mode = 1 is not supported (inference only)");
  if (ctx.present_outputs() > 1)
    throw UnsupportedError(
        fmt::format("{} outputs requested; only Y is supported (the others exist in training mode)",
                    ctx.present_outputs()));
  c.attrs = at;
  return true;
}

}  // namespace loom::onnx_frontend
