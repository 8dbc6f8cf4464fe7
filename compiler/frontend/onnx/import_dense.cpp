// Import of Gemm (alpha, beta, the transposes, C required before opset 11,
// and the exact-shape C of opsets before 7 without `broadcast`) and Einsum
// (the equation, checked against the operands by shape inference).
#include "compiler/frontend/onnx/import_context.h"

#include <fmt/format.h>

namespace loom::onnx_frontend {

namespace {

void convert_einsum(ImportContext& ctx, Converted& c) {
  if (ctx.opset < 12)
    throw ParseError(fmt::format("Einsum exists from opset 12; the model uses opset {}", ctx.opset),
                     ctx.site);
  auto equation = ctx.attrs.get_string("equation");
  if (!equation) throw ParseError("Einsum needs the attribute 'equation'", ctx.site);
  c.attrs = EinsumAttrs{*equation};
}

}  // namespace

bool convert_dense(ImportContext& ctx, OpKind op, Converted& c) {
  if (op == OpKind::Einsum) {
    convert_einsum(ctx, c);
    return true;
  }
  if (op != OpKind::Gemm) return false;
  AttrReader& a = ctx.attrs;
  const ErrorSite& site = ctx.site;
  const onnx::NodeProto& node = ctx.node;
  GemmAttrs at;
  at.alpha = a.get_float("alpha").value_or(1.f);
  at.beta = a.get_float("beta").value_or(1.f);
  at.trans_a = a.get_bool("transA", false);
  at.trans_b = a.get_bool("transB", false);
  if (ctx.opset < 11 && (node.input_size() < 3 || node.input(2).empty()))
    throw ParseError(fmt::format("input C is required before opset 11 (opset {})", ctx.opset),
                     site);
  // Before opset 7 C broadcasts only when asked to; otherwise it is [M, N].
  if (ctx.opset < 7 && !a.get_bool("broadcast", false)) c.legacy = LegacyRule::GemmExactC;
  c.attrs = at;
  return true;
}

}  // namespace loom::onnx_frontend
