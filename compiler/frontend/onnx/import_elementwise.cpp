// Import of elementwise ops: Add/Sub/Mul/Div with the legacy
// `broadcast`/`axis` of opsets before 7, LeakyRelu's and Elu's alpha,
// Clip's min/max (attributes before opset 11, constant inputs after), and
// Softmax/LogSoftmax's axis (2-D coercion before opset 13), PRelu's per-channel
// slope before opset 7, and the parameters of HardSigmoid, Selu, Celu and
// ThresholdedRelu. Ops without attributes take their defaults.
#include "compiler/frontend/onnx/import_context.h"

#include <fmt/format.h>

namespace loom::onnx_frontend {

bool convert_elementwise(ImportContext& ctx, OpKind op, Converted& c) {
  AttrReader& a = ctx.attrs;
  const ErrorSite& site = ctx.site;
  switch (op) {
    case OpKind::Add:
    case OpKind::Sub:
    case OpKind::Mul:
    case OpKind::Div:
      if (ctx.opset < 7) {
        const bool broadcast = a.get_bool("broadcast", false);
        auto axis = a.get_int("axis");
        c.legacy = broadcast ? LegacyRule::Broadcast : LegacyRule::SameShape;
        if (broadcast) c.legacy_axis = axis;
      }
      c.attrs = default_attrs(op);
      break;
    case OpKind::LeakyRelu:
      c.attrs = AlphaAttrs{a.get_float("alpha").value_or(0.01f)};
      break;
    case OpKind::Elu:
      c.attrs = AlphaAttrs{a.get_float("alpha").value_or(1.f)};
      break;
    case OpKind::Clip: {
      ClipAttrs at;
      if (ctx.opset < 11) {
        if (auto v = a.get_float("min")) at.min = *v;
        if (auto v = a.get_float("max")) at.max = *v;
      } else {
        if (auto* t = ctx.constant_input(1, "min", false))
          at.min = static_cast<float>(to_scalar(*t, site, "min"));
        if (auto* t = ctx.constant_input(2, "max", false))
          at.max = static_cast<float>(to_scalar(*t, site, "max"));
        c.inputs.resize(1);
      }
      c.attrs = at;
      break;
    }
    case OpKind::Softmax:
    case OpKind::LogSoftmax: {
      SoftmaxAttrs at;
      at.coerce_2d = ctx.opset < 13;
      at.axis = a.get_int("axis").value_or(ctx.opset < 13 ? 1 : -1);
      c.attrs = at;
      break;
    }
    case OpKind::PRelu:
      // Before opset 7 a 1-D slope is per channel (axis 1), not numpy-aligned.
      if (ctx.opset < 7 && ctx.node.input_size() == 2 && ctx.input_type(0).rank() > 2) {
        const Shape slope = ctx.input_type(1).shape;
        if (slope.size() == 1 && slope[0] > 1) {
          c.legacy = LegacyRule::Broadcast;
          c.legacy_axis = 1;
        }
      }
      c.attrs = default_attrs(op);
      break;
    case OpKind::Mod:
      c.attrs = ModAttrs{a.get_bool("fmod", false)};
      break;
    case OpKind::HardSigmoid:
      c.attrs =
          AlphaBetaAttrs{a.get_float("alpha").value_or(0.2f), a.get_float("beta").value_or(0.5f)};
      break;
    case OpKind::Selu:
      c.attrs = SeluAttrs{a.get_float("alpha").value_or(SeluAttrs{}.alpha),
                          a.get_float("gamma").value_or(SeluAttrs{}.gamma)};
      break;
    case OpKind::Celu:
    case OpKind::ThresholdedRelu:
      c.attrs = AlphaAttrs{a.get_float("alpha").value_or(1.f)};
      break;
    default:
      return false;
  }
  return true;
}

}  // namespace loom::onnx_frontend
