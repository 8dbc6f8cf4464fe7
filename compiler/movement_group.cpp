// The built-in factory for data-movement kernel groups: Transpose, Slice,
// Concat, Split, Tile, Expand, DepthToSpace, SpaceToDepth and Gather with
// constant indices become strided copies (runtime/copy_kernel.h) whose
// geometry is computed once here; Gather with run-time indices becomes the
// bounds-checked gather kernel and Cast the conversion kernel
// (runtime/gather_kernel.h), ScatterND the bounds-checked scatter kernel.
// Every op here works on any dtype.
#include <algorithm>

#include <fmt/format.h>

#include "compiler/backend_registry.h"
#include "runtime/copy_kernel.h"
#include "runtime/gather_kernel.h"

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

// One movement node's context: where its inputs come from and its output
// geometry.
struct MovementNode {
  const Graph& g;
  const Node& n;
  ErrorSite site;

  // Where node input k comes from: a kernel input index, or a constant.
  void source(size_t k, CopyPiece& p) const {
    ValueId v = n.inputs[k];
    if (g.is_constant(v)) {
      p.constant = *g.value(v).constant;
      return;
    }
    p.input = kernel_input(v);
  }
  int kernel_input(ValueId v) const {
    for (size_t i = 0; i < g.inputs.size(); ++i)
      if (g.inputs[i] == v) return static_cast<int>(i);
    throw InternalError(
        fmt::format("value '{}' is not an input of the movement group", g.value(v).name), site);
  }
  const TensorType& in_type(size_t k) const { return g.type_of(n.inputs[k]); }
  const TensorType& out_type(size_t k = 0) const { return g.type_of(n.outputs[k]); }
};

std::vector<CopyPiece> transpose_pieces(const MovementNode& m) {
  const TensorType& it = m.in_type(0);
  const std::vector<int64_t> istr = shape_strides(it.shape);
  const std::vector<int64_t> ostr = shape_strides(m.out_type().shape);
  std::vector<int64_t> perm = m.n.attr<TransposeAttrs>().perm;
  if (perm.empty())
    for (int64_t d = it.rank() - 1; d >= 0; --d)
      perm.push_back(d);
  CopyPiece p;
  m.source(0, p);
  for (size_t d = 0; d < perm.size(); ++d) {
    p.extents.push_back(m.out_type().shape[d]);
    p.src_strides.push_back(istr[static_cast<size_t>(perm[d])]);
    p.dst_strides.push_back(ostr[d]);
  }
  return {p};
}

std::vector<CopyPiece> slice_pieces(const MovementNode& m) {
  const TensorType& it = m.in_type(0);
  const TensorType& ot = m.out_type();
  const std::vector<int64_t> istr = shape_strides(it.shape);
  const std::vector<int64_t> ostr = shape_strides(ot.shape);
  const SliceAttrs& a = m.n.attr<SliceAttrs>();
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
  m.source(0, p);
  for (size_t d = 0; d < ranges.size(); ++d) {
    p.src_offset += ranges[d].start * istr[d];
    p.extents.push_back(ranges[d].count);
    p.src_strides.push_back(ranges[d].step * istr[d]);
    p.dst_strides.push_back(ostr[d]);
  }
  if (p.extents != ot.shape)
    throw InternalError(fmt::format("slice geometry {} disagrees with the inferred shape {}",
                                    shape_str(p.extents), shape_str(ot.shape)),
                        m.site);
  return {p};
}

std::vector<CopyPiece> concat_pieces(const MovementNode& m) {
  const TensorType& ot = m.out_type();
  const std::vector<int64_t> ostr = shape_strides(ot.shape);
  int64_t axis = m.n.attr<AxisAttrs>().axis;
  if (axis < 0) axis += ot.rank();
  int64_t at = 0;
  std::vector<CopyPiece> pieces;
  for (size_t k = 0; k < m.n.inputs.size(); ++k) {
    const TensorType& it = m.in_type(k);
    CopyPiece p;
    m.source(k, p);
    p.extents = it.shape;
    p.src_strides = shape_strides(it.shape);
    p.dst_strides = ostr;
    p.dst_offset = at * ostr[static_cast<size_t>(axis)];
    at += it.shape[static_cast<size_t>(axis)];
    if (it.numel() > 0) pieces.push_back(std::move(p));
  }
  return pieces;
}

// Split: one piece per output, each the input's box from its offset on.
std::vector<CopyPiece> split_pieces(const MovementNode& m) {
  const TensorType& it = m.in_type(0);
  const std::vector<int64_t> istr = shape_strides(it.shape);
  int64_t axis = m.n.attr<SplitAttrs>().axis;
  if (axis < 0) axis += it.rank();
  std::vector<CopyPiece> pieces;
  int64_t at = 0;
  for (size_t k = 0; k < m.n.outputs.size(); ++k) {
    const Shape& os = m.out_type(k).shape;
    if (m.n.outputs[k] == kNoValue) continue;
    CopyPiece p;
    m.source(0, p);
    p.output = -1;
    for (size_t i = 0; i < m.g.outputs.size(); ++i)
      if (m.g.outputs[i] == m.n.outputs[k]) p.output = static_cast<int>(i);
    p.src_offset = at * istr[static_cast<size_t>(axis)];
    at += os[static_cast<size_t>(axis)];
    p.extents = os;
    p.src_strides = istr;
    p.dst_strides = shape_strides(os);
    if (p.output >= 0 && shape_numel(os) > 0) pieces.push_back(std::move(p));
  }
  return pieces;
}

// Expand and Tile read the input with stride 0 where it repeats. Tile's
// output dim d is [repeat, in_d] split into two copy dims.
std::vector<CopyPiece> broadcast_pieces(const MovementNode& m) {
  const Shape& is = m.in_type(0).shape;
  const Shape& os = m.out_type().shape;
  const std::vector<int64_t> istr = shape_strides(is);
  const std::vector<int64_t> ostr = shape_strides(os);
  CopyPiece p;
  m.source(0, p);
  if (m.n.op == OpKind::Tile) {
    for (size_t d = 0; d < is.size(); ++d) {
      p.extents.insert(p.extents.end(), {os[d] / std::max<int64_t>(is[d], 1), is[d]});
      p.src_strides.insert(p.src_strides.end(), {0, istr[d]});
      p.dst_strides.insert(p.dst_strides.end(), {is[d] * ostr[d], ostr[d]});
    }
  } else {
    const size_t lead = os.size() - is.size();
    for (size_t d = 0; d < os.size(); ++d) {
      p.extents.push_back(os[d]);
      const bool repeats = d < lead || is[d - lead] == 1;
      p.src_strides.push_back(repeats ? 0 : istr[d - lead]);
      p.dst_strides.push_back(ostr[d]);
    }
  }
  if (shape_numel(os) == 0) return {};
  return {p};
}

// DepthToSpace / SpaceToDepth as one 6-D strided copy over the output
// viewed as [N, C', H, b1, W, b2] (DepthToSpace) or the input viewed that
// way (SpaceToDepth).
std::vector<CopyPiece> block_pieces(const MovementNode& m) {
  const auto& a = m.n.attr<BlockAttrs>();
  const int64_t b = a.blocksize;
  CopyPiece p;
  m.source(0, p);
  if (m.n.op == OpKind::DepthToSpace) {
    const Shape& os = m.out_type().shape;  // [N, C, H*b, W*b]
    const int64_t c = os[1], h = os[2] / b, w = os[3] / b;
    const std::vector<int64_t> istr = shape_strides(m.in_type(0).shape);
    // Output index (n, c, y, by, x, bx), row-major over [N, C, H, b, W, b].
    p.extents = {os[0], c, h, b, w, b};
    p.dst_strides = {c * h * b * w * b, h * b * w * b, b * w * b, w * b, b, 1};
    // Input channel: DCR (by * b + bx) * C + c; CRD c * b * b + by * b + bx.
    const int64_t cs = istr[1];
    if (a.mode == DepthToSpaceMode::DCR)
      p.src_strides = {istr[0], cs, istr[2], b * c * cs, istr[3], c * cs};
    else
      p.src_strides = {istr[0], b * b * cs, istr[2], b * cs, istr[3], cs};
  } else {
    const Shape& is = m.in_type(0).shape;  // [N, C, H*b, W*b]
    const int64_t c = is[1], h = is[2] / b, w = is[3] / b;
    const std::vector<int64_t> ostr = shape_strides(m.out_type().shape);
    // Input index (n, c, y, by, x, bx); output channel (by * b + bx) * C + c.
    p.extents = {is[0], c, h, b, w, b};
    p.src_strides = {c * h * b * w * b, h * b * w * b, b * w * b, w * b, b, 1};
    const int64_t cs = ostr[1];
    p.dst_strides = {ostr[0], cs, ostr[2], b * c * cs, ostr[3], c * cs};
  }
  return {p};
}

// Gather with constant indices: one box per index.
std::vector<CopyPiece> constant_gather_pieces(const MovementNode& m) {
  const TensorType& dt = m.in_type(0);
  const Tensor& indices = *m.g.value(m.n.inputs[1]).constant;
  int64_t axis = m.n.attr<AxisAttrs>().axis;
  if (axis < 0) axis += dt.rank();
  const int64_t dim = dt.shape[static_cast<size_t>(axis)];
  int64_t outer = 1, inner = 1;
  for (int64_t d = 0; d < axis; ++d)
    outer *= dt.shape[static_cast<size_t>(d)];
  for (int64_t d = axis + 1; d < dt.rank(); ++d)
    inner *= dt.shape[static_cast<size_t>(d)];
  const int64_t count = indices.numel();
  std::vector<CopyPiece> pieces;
  for (int64_t k = 0; k < count; ++k) {
    int64_t i = indices.get_as_int(k);
    if (i < 0) i += dim;  // shape inference rejected out-of-range constants
    CopyPiece p;
    m.source(0, p);
    p.src_offset = i * inner;
    p.dst_offset = k * inner;
    p.extents = {outer, inner};
    p.src_strides = {dim * inner, 1};
    p.dst_strides = {count * inner, 1};
    if (outer * inner > 0) pieces.push_back(std::move(p));
  }
  return pieces;
}

std::unique_ptr<Kernel> runtime_gather_kernel(const MovementNode& m, std::string name) {
  const TensorType& dt = m.in_type(0);
  const TensorType& it = m.in_type(1);
  GatherSpec s;
  s.name = std::move(name);
  s.indices_name = m.g.value(m.n.inputs[1]).name;
  s.site = m.site;
  if (m.g.is_constant(m.n.inputs[0]))
    s.constant_data = *m.g.value(m.n.inputs[0]).constant;
  else
    s.data_input = m.kernel_input(m.n.inputs[0]);
  s.indices_input = m.kernel_input(m.n.inputs[1]);
  s.index_dtype = it.dtype;
  int64_t axis = m.n.attr<AxisAttrs>().axis;
  if (axis < 0) axis += dt.rank();
  s.axis_dim = dt.shape[static_cast<size_t>(axis)];
  for (int64_t d = 0; d < axis; ++d)
    s.outer *= dt.shape[static_cast<size_t>(d)];
  for (int64_t d = axis + 1; d < dt.rank(); ++d)
    s.inner *= dt.shape[static_cast<size_t>(d)];
  s.index_count = it.numel();
  s.element_size = dtype_size(dt.dtype);
  return make_gather_kernel(std::move(s));
}

std::unique_ptr<Kernel> scatter_kernel(const MovementNode& m, std::string name) {
  ScatterSpec s;
  s.name = std::move(name);
  s.indices_name = m.g.value(m.n.inputs[1]).name;
  s.site = m.site;
  auto source = [&](size_t k, int& input, Tensor& constant) {
    if (m.g.is_constant(m.n.inputs[k]))
      constant = *m.g.value(m.n.inputs[k]).constant;
    else
      input = m.kernel_input(m.n.inputs[k]);
  };
  source(0, s.data_input, s.data_constant);
  source(1, s.indices_input, s.indices_constant);
  source(2, s.updates_input, s.updates_constant);
  s.data_shape = m.in_type(0).shape;
  const Shape& is = m.in_type(1).shape;
  s.k = is.back();
  s.count = s.k ? shape_numel(is) / s.k : 0;
  s.dtype = m.in_type(0).dtype;
  s.reduction = m.n.attr<ScatterAttrs>().reduction;
  return make_scatter_kernel(std::move(s));
}

}  // namespace

std::unique_ptr<Kernel> make_movement_kernel(const Graph& g, const BackendOptions&) {
  if (g.nodes.size() != 1)
    throw InternalError(fmt::format("movement group '{}' must be one node", g.name));
  const Node& n = g.nodes[0];
  const MovementNode m{g, n, g.site(n)};
  std::string name = fmt::format("{} ({})", n.name, op_name(n.op));
  const size_t elem = dtype_size(m.in_type(0).dtype);
  switch (n.op) {
    case OpKind::Transpose:
      return make_copy_kernel(name, elem, transpose_pieces(m));
    case OpKind::Slice:
      return make_copy_kernel(name, elem, slice_pieces(m));
    case OpKind::Concat:
      return make_copy_kernel(name, elem, concat_pieces(m));
    case OpKind::Split:
      return make_copy_kernel(name, elem, split_pieces(m));
    case OpKind::Expand:
    case OpKind::Tile:
      return make_copy_kernel(name, elem, broadcast_pieces(m));
    case OpKind::DepthToSpace:
    case OpKind::SpaceToDepth:
      return make_copy_kernel(name, elem, block_pieces(m));
    case OpKind::Gather:
      if (g.is_constant(n.inputs[1]))
        return make_copy_kernel(name, elem, constant_gather_pieces(m));
      return runtime_gather_kernel(m, std::move(name));
    case OpKind::ScatterND:
      return scatter_kernel(m, std::move(name));
    case OpKind::Cast:
      return make_cast_kernel(std::move(name), m.in_type(0).dtype, m.out_type().dtype);
    default:
      throw InternalError(fmt::format("movement group holds a {}", op_name(n.op)), m.site);
  }
}

}  // namespace loom
