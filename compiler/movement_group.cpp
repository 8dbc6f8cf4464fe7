// The built-in factory for data-movement kernel groups (Transpose, Slice,
// Concat): computes each op's geometry once and hands it to the strided-copy
// kernel of runtime/copy_kernel.h.
#include <algorithm>

#include <fmt/format.h>

#include "compiler/backend_registry.h"
#include "runtime/copy_kernel.h"

namespace loom {

namespace {

// What one axis of a Slice reads: `count` elements from `start` by `step`
// (ONNX clamping rules: out-of-range starts/ends clamp to the dimension,
// negative values count from the end).
struct AxisRange {
  int64_t start = 0, step = 1, count = 0;
};

AxisRange slice_axis(int64_t start, int64_t end, int64_t step, int64_t dim) {
  AxisRange r;
  const int64_t cap = dim + 1;  // longer steps take at most the first element
  step = step > 0 ? std::min(step, cap) : std::max(step, -cap);
  auto wrap = [&](int64_t v) { return v < 0 ? (v < -dim ? -1 : v + dim) : v; };
  start = wrap(start);
  end = wrap(end);
  r.step = step;
  if (step > 0) {
    start = std::clamp<int64_t>(start, 0, dim);
    end = std::clamp<int64_t>(end, 0, dim);
    r.count = end > start ? (end - start + step - 1) / step : 0;
  } else {
    start = std::clamp<int64_t>(start, 0, std::max<int64_t>(dim - 1, 0));
    end = std::clamp<int64_t>(end, -1, dim - 1);
    r.count = start > end ? (start - end + (-step) - 1) / -step : 0;
  }
  r.start = start;
  return r;
}

}  // namespace

std::unique_ptr<Kernel> make_movement_kernel(const Graph& g, const BackendOptions&) {
  if (g.nodes.size() != 1 || g.outputs.size() != 1)
    throw InternalError(
        fmt::format("movement group '{}' must be one node with one output", g.name));
  const Node& n = g.nodes[0];
  const ErrorSite site = g.site(n);
  // Where node input k comes from: a kernel input index, or a constant.
  auto piece_source = [&](size_t k, CopyPiece& p) {
    ValueId v = n.inputs[k];
    if (g.is_constant(v)) {
      p.constant = *g.value(v).constant;
      return;
    }
    for (size_t i = 0; i < g.inputs.size(); ++i)
      if (g.inputs[i] == v) p.input = static_cast<int>(i);
  };
  const TensorType& ot = g.type_of(n.outputs[0]);
  const std::vector<int64_t> ostr = shape_strides(ot.shape);
  std::vector<CopyPiece> pieces;
  const std::string name = fmt::format("{} ({})", n.name, op_name(n.op));

  if (n.op == OpKind::Transpose) {
    const TensorType& it = g.type_of(n.inputs[0]);
    const std::vector<int64_t> istr = shape_strides(it.shape);
    std::vector<int64_t> perm = n.attr<TransposeAttrs>().perm;
    if (perm.empty())
      for (int64_t d = it.rank() - 1; d >= 0; --d)
        perm.push_back(d);
    CopyPiece p;
    piece_source(0, p);
    for (size_t d = 0; d < perm.size(); ++d) {
      p.extents.push_back(ot.shape[d]);
      p.src_strides.push_back(istr[static_cast<size_t>(perm[d])]);
      p.dst_strides.push_back(ostr[d]);
    }
    pieces.push_back(std::move(p));
  } else if (n.op == OpKind::Slice) {
    const TensorType& it = g.type_of(n.inputs[0]);
    const std::vector<int64_t> istr = shape_strides(it.shape);
    const SliceAttrs& a = n.attr<SliceAttrs>();
    std::vector<AxisRange> ranges(static_cast<size_t>(it.rank()));
    for (int64_t d = 0; d < it.rank(); ++d)
      ranges[static_cast<size_t>(d)].count = it.shape[static_cast<size_t>(d)];
    for (size_t i = 0; i < a.starts.size(); ++i) {
      int64_t ax = i < a.axes.size() ? a.axes[i] : static_cast<int64_t>(i);
      if (ax < 0) ax += it.rank();
      const int64_t step = i < a.steps.size() ? a.steps[i] : 1;
      ranges[static_cast<size_t>(ax)] =
          slice_axis(a.starts[i], a.ends[i], step, it.shape[static_cast<size_t>(ax)]);
    }
    CopyPiece p;
    piece_source(0, p);
    for (size_t d = 0; d < ranges.size(); ++d) {
      p.src_offset += ranges[d].start * istr[d];
      p.extents.push_back(ranges[d].count);
      p.src_strides.push_back(ranges[d].step * istr[d]);
      p.dst_strides.push_back(ostr[d]);
    }
    if (p.extents != ot.shape)
      throw InternalError(fmt::format("slice geometry {} disagrees with the inferred shape {}",
                                      shape_str(p.extents), shape_str(ot.shape)),
                          site);
    pieces.push_back(std::move(p));
  } else if (n.op == OpKind::Concat) {
    int64_t axis = n.attr<AxisAttrs>().axis;
    if (axis < 0) axis += ot.rank();
    int64_t at = 0;
    for (size_t k = 0; k < n.inputs.size(); ++k) {
      const TensorType& it = g.type_of(n.inputs[k]);
      CopyPiece p;
      piece_source(k, p);
      p.extents = it.shape;
      p.src_strides = shape_strides(it.shape);
      p.dst_strides = ostr;
      p.dst_offset = at * ostr[static_cast<size_t>(axis)];
      at += it.shape[static_cast<size_t>(axis)];
      if (it.numel() > 0) pieces.push_back(std::move(p));
    }
  } else {
    throw InternalError(fmt::format("movement group holds a {}", op_name(n.op)), site);
  }
  return make_copy_kernel(name, dtype_size(ot.dtype), std::move(pieces));
}

}  // namespace loom
