// Import of BatchNormalization, inference form only: epsilon, the legacy
// is_test and spatial attributes, and the training-mode outputs rejected;
// LRN, InstanceNormalization and LayerNormalization (stash_type float only).
#include "compiler/frontend/onnx/import_context.h"

#include <fmt/format.h>

namespace loom::onnx_frontend {

namespace {

bool convert_statistics_norm(ImportContext& ctx, OpKind op, Converted& c) {
  AttrReader& a = ctx.attrs;
  switch (op) {
    case OpKind::LRN: {
      auto size = a.get_int("size");
      if (!size) throw ParseError("attribute 'size' is required", ctx.site);
      c.attrs = LrnAttrs{a.get_float("alpha").value_or(1e-4f), a.get_float("beta").value_or(0.75f),
                         a.get_float("bias").value_or(1.f), *size};
      return true;
    }
    case OpKind::InstanceNormalization:
      c.attrs = BatchNormAttrs{a.get_float("epsilon").value_or(1e-5f)};
      return true;
    case OpKind::LayerNormalization:
      if (a.get_int("stash_type").value_or(1) != 1)
        throw UnsupportedError("stash_type other than 1 (float) is not supported");
      c.attrs =
          LayerNormAttrs{a.get_int("axis").value_or(-1), a.get_float("epsilon").value_or(1e-5f)};
      return true;
    default:
      return false;
  }
}

}  // namespace

bool convert_normalization(ImportContext& ctx, OpKind op, Converted& c) {
  if (op != OpKind::BatchNormalization) return convert_statistics_norm(ctx, op, c);
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
