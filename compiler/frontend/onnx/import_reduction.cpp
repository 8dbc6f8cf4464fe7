// Import of the reductions: ReduceMean ... ReduceSumSquare (axes as an
// attribute, or as a constant input from opset 13 for ReduceSum and 18 for
// the others, with noop_with_empty_axes), and ArgMax / ArgMin.
#include "compiler/frontend/onnx/import_context.h"

namespace loom::onnx_frontend {

bool convert_reduction(ImportContext& ctx, OpKind op, Converted& c) {
  AttrReader& a = ctx.attrs;
  if (op == OpKind::ArgMax || op == OpKind::ArgMin) {
    c.attrs = ArgReduceAttrs{a.get_int("axis").value_or(0), a.get_bool("keepdims", true),
                             a.get_bool("select_last_index", false)};
    return true;
  }
  if (!is_reduce(op)) return false;
  ReduceAttrs at;
  at.keepdims = a.get_bool("keepdims", true);
  const bool axes_input = ctx.opset >= (op == OpKind::ReduceSum ? 13 : 18);
  if (axes_input) {
    if (auto* t = ctx.constant_input(1, "axes", false)) at.axes = to_ints(*t, ctx.site, "axes");
    at.noop_with_empty_axes = a.get_bool("noop_with_empty_axes", false);
    c.inputs.resize(1);
  } else {
    at.axes = a.get_ints("axes").value_or(std::vector<int64_t>{});
  }
  c.attrs = at;
  return true;
}

}  // namespace loom::onnx_frontend
