// Import of ops that move, view or make data: Reshape, Transpose, Shape,
// Gather, Expand, Squeeze/Unsqueeze, Slice, Concat, Flatten, Dropout and
// Constant. Their shape-fixing tensor inputs (shape, axes, starts/ends/
// axes/steps, Dropout's ratio and training_mode) must be constants and are
// folded into attributes. Also Cast, ConstantOfShape, Split (attribute,
// input or opset-18 num_outputs), Tile, Pad (attribute or inputs, opset-18
// axes), DepthToSpace and SpaceToDepth.
#include "compiler/frontend/onnx/import_context.h"
#include "compiler/frontend/onnx/onnx_tensor.h"

#include <fmt/format.h>

namespace loom::onnx_frontend {

namespace {

Tensor read_constant(ImportContext& ctx) {
  AttrReader& a = ctx.attrs;
  const ErrorSite& site = ctx.site;
  for (const char* name : {"sparse_value", "value_string", "value_strings"})
    if (a.has(name)) {
      a.ignore(name);
      throw UnsupportedError(fmt::format("Constant attribute '{}' is not supported", name));
    }
  std::optional<Tensor> value;
  int count = 0;
  if (const auto* t = a.get_tensor("value")) {
    value =
        tensor_from_proto(*t, ctx.base_dir, fmt::format("the value of Constant '{}'", site.node));
    ++count;
  }
  if (auto v = a.get_float("value_float")) value = Tensor::scalar<float>(*v), ++count;
  if (auto v = a.get_floats("value_floats"))
    value = Tensor::from_vector<float>({static_cast<int64_t>(v->size())}, *v), ++count;
  if (auto v = a.get_int("value_int")) value = Tensor::scalar<int64_t>(*v), ++count;
  if (auto v = a.get_ints("value_ints"))
    value = Tensor::from_vector<int64_t>({static_cast<int64_t>(v->size())}, *v), ++count;
  if (count != 1)
    throw ParseError(
        fmt::format("Constant must have exactly one value attribute, it has {}", count), site);
  return *value;
}

PadAttrs read_pad(ImportContext& ctx) {
  AttrReader& a = ctx.attrs;
  const ErrorSite& site = ctx.site;
  PadAttrs at;
  const std::string mode = a.get_string("mode").value_or("constant");
  auto m = parse_enum<PadMode>(mode);
  if (!m)
    throw ParseError(fmt::format("mode '{}' is not constant, reflect, edge or wrap", mode), site);
  at.mode = *m;
  if (ctx.opset < 11) {
    auto pads = a.get_ints(ctx.opset < 2 ? "paddings" : "pads");
    if (!pads) throw ParseError("attribute 'pads' is required", site);
    at.pads = *pads;
    at.value = a.get_float("value").value_or(0.f);
    return at;
  }
  std::vector<int64_t> pads = to_ints(*ctx.constant_input(1, "pads", true), site, "pads");
  if (auto* t = ctx.constant_input(2, "constant_value", false); t && t->numel() > 0)
    at.value = static_cast<float>(to_scalar(*t, site, "constant_value"));
  if (auto* t = ctx.constant_input(3, "axes", false)) {
    const std::vector<int64_t> axes = to_ints(*t, site, "axes");
    const size_t rank = ctx.input_type(0).shape.size();
    const auto half = static_cast<long>(pads.size() / 2);
    if (pads.size() != 2 * axes.size())
      throw ShapeError(fmt::format("pads has {} values for {} axes", pads.size(), axes.size()),
                       site);
    std::vector<int64_t> begin =
        expand_axes({pads.begin(), pads.begin() + half}, axes, rank, int64_t{0}, site, "pads");
    const std::vector<int64_t> end =
        expand_axes({pads.begin() + half, pads.end()}, axes, rank, int64_t{0}, site, "pads");
    begin.insert(begin.end(), end.begin(), end.end());
    pads = begin;
  }
  at.pads = pads;
  return at;
}

// Cast, ConstantOfShape, Split, Tile, Pad, DepthToSpace, SpaceToDepth.
bool convert_copy_op(ImportContext& ctx, OpKind op, Converted& c) {
  AttrReader& a = ctx.attrs;
  const ErrorSite& site = ctx.site;
  switch (op) {
    case OpKind::DepthToSpace:
    case OpKind::SpaceToDepth: {
      BlockAttrs at;
      auto b = a.get_int("blocksize");
      if (!b) throw ParseError("attribute 'blocksize' is required", site);
      at.blocksize = *b;
      if (op == OpKind::DepthToSpace) {
        const std::string mode = a.get_string("mode").value_or("DCR");
        auto m = parse_enum<DepthToSpaceMode>(mode);
        if (!m) throw ParseError(fmt::format("mode '{}' is not DCR or CRD", mode), site);
        at.mode = *m;
      }
      c.attrs = at;
      return true;
    }
    case OpKind::Cast: {
      auto to = a.get_int("to");
      if (!to) throw ParseError("attribute 'to' is required", site);
      a.ignore("saturate");  // float8 only
      auto dt = dtype_from_onnx(static_cast<int32_t>(*to));
      if (!dt)
        throw UnsupportedError(
            fmt::format("Cast to {} is not supported", onnx_type_name(static_cast<int32_t>(*to))));
      c.attrs = CastAttrs{*dt};
      return true;
    }
    case OpKind::ConstantOfShape: {
      ConstantOfShapeAttrs at;
      at.shape = to_ints(*ctx.constant_input(0, "shape", true), site, "shape");
      if (const auto* t = a.get_tensor("value"))
        at.value = tensor_from_proto(*t, ctx.base_dir, fmt::format("the value of '{}'", site.node));
      c.inputs.clear();
      c.attrs = at;
      return true;
    }
    case OpKind::Split: {
      SplitAttrs at;
      at.axis = a.get_int("axis").value_or(0);
      if (ctx.opset < 13) {
        at.split = a.get_ints("split").value_or(std::vector<int64_t>{});
      } else if (auto* t = ctx.constant_input(1, "split", false)) {
        at.split = to_ints(*t, site, "split");
      }
      if (auto n = a.get_int("num_outputs"); n && *n != ctx.node.output_size())
        throw ParseError(
            fmt::format("num_outputs = {} but the node has {} outputs", *n, ctx.node.output_size()),
            site);
      c.inputs.resize(1);
      c.attrs = at;
      return true;
    }
    case OpKind::Tile:
      if (ctx.opset < 6) throw UnsupportedError("Tile before opset 6 (tiles/axis inputs)");
      c.attrs = TileAttrs{to_ints(*ctx.constant_input(1, "repeats", true), site, "repeats")};
      c.inputs.resize(1);
      return true;
    case OpKind::Pad:
      c.attrs = read_pad(ctx);
      c.inputs.resize(1);
      return true;
    case OpKind::ScatterND: {
      const std::string r = a.get_string("reduction").value_or("none");
      auto red = parse_enum<ScatterReduction>(r);
      if (!red) throw ParseError(fmt::format("reduction '{}' is unknown", r), site);
      c.attrs = ScatterAttrs{*red};
      return true;
    }
    default:
      return false;
  }
}

}  // namespace

bool convert_structure(ImportContext& ctx, OpKind op, Converted& c) {
  if (convert_copy_op(ctx, op, c)) return true;
  AttrReader& a = ctx.attrs;
  const ErrorSite& site = ctx.site;
  switch (op) {
    case OpKind::Flatten:
      c.attrs = AxisAttrs{a.get_int("axis").value_or(1)};
      break;
    case OpKind::Concat: {
      auto axis = a.get_int("axis");
      // Concat-1 (opsets 1 to 3) has a default axis of 1; later versions require it.
      if (!axis && ctx.opset < 4) axis = 1;
      if (!axis) throw ParseError("attribute 'axis' is required", site);
      c.attrs = AxisAttrs{*axis};
      break;
    }
    case OpKind::Reshape: {
      ReshapeAttrs at;
      if (ctx.opset < 5) {
        auto shape = a.get_ints("shape");
        if (!shape) throw ParseError("attribute 'shape' is required before opset 5", site);
        at.shape = *shape;
      } else {
        at.shape = to_ints(*ctx.constant_input(1, "shape", true), site, "shape");
      }
      at.allow_zero = a.get_bool("allowzero", false);
      c.inputs.resize(1);
      c.attrs = at;
      break;
    }
    case OpKind::Transpose:
      c.attrs = TransposeAttrs{a.get_ints("perm").value_or(std::vector<int64_t>{})};
      break;
    case OpKind::Shape: {
      ShapeAttrs at;
      if (auto v = a.get_int("start")) at.start = *v;
      if (auto v = a.get_int("end")) at.end = *v;
      c.attrs = at;
      break;
    }
    case OpKind::Gather:
      c.attrs = AxisAttrs{a.get_int("axis").value_or(0)};
      break;
    case OpKind::Expand:
      if (ctx.opset < 8)
        throw UnsupportedError(
            fmt::format("Expand exists from opset 8; the model uses opset {}", ctx.opset));
      c.attrs = ExpandAttrs{to_ints(*ctx.constant_input(1, "shape", true), site, "shape")};
      c.inputs.resize(1);
      break;
    case OpKind::Squeeze:
    case OpKind::Unsqueeze: {
      AxesAttrs at;
      const bool required = op == OpKind::Unsqueeze;
      if (ctx.opset < 13) {
        auto axes = a.get_ints("axes");
        if (!axes && required) throw ParseError("attribute 'axes' is required", site);
        at.axes = axes.value_or(std::vector<int64_t>{});
      } else if (auto* t = ctx.constant_input(1, "axes", required)) {
        at.axes = to_ints(*t, site, "axes");
      }
      c.inputs.resize(1);
      c.attrs = at;
      break;
    }
    case OpKind::Slice: {
      SliceAttrs at;
      if (ctx.opset < 10) {
        auto starts = a.get_ints("starts");
        auto ends = a.get_ints("ends");
        if (!starts || !ends) throw ParseError("attributes 'starts' and 'ends' are required", site);
        at.starts = *starts;
        at.ends = *ends;
        at.axes = a.get_ints("axes").value_or(std::vector<int64_t>{});
      } else {
        at.starts = to_ints(*ctx.constant_input(1, "starts", true), site, "starts");
        at.ends = to_ints(*ctx.constant_input(2, "ends", true), site, "ends");
        if (auto* t = ctx.constant_input(3, "axes", false)) at.axes = to_ints(*t, site, "axes");
        if (auto* t = ctx.constant_input(4, "steps", false)) at.steps = to_ints(*t, site, "steps");
      }
      c.inputs.resize(1);
      c.attrs = at;
      break;
    }
    case OpKind::Dropout: {
      DropoutAttrs at;
      if (ctx.opset < 10 && ctx.present_outputs() > 1)
        throw UnsupportedError(
            "the mask output before opset 10 has the input's element type; Loom's mask is "
            "boolean");
      if (ctx.opset < 12) {
        at.ratio = a.get_float("ratio").value_or(0.5f);
        // Before opset 7 the mode is an attribute, and its default is
        // training, where a nonzero ratio zeroes random elements.
        if (ctx.opset < 7 && !a.get_bool("is_test", false) && at.ratio != 0.f)
          throw UnsupportedError(fmt::format(
              "is_test = 0 (training mode: random dropout with ratio {}) is not supported; "
              "Loom runs inference only",
              at.ratio));
      } else {
        a.ignore("seed");
        // The ratio does not change inference results, so a non-constant
        // one is harmless; training mode would.
        const Tensor* ratio = ctx.maybe_constant_input(1);
        if (ratio) at.ratio = static_cast<float>(to_scalar(*ratio, site, "ratio"));
        // Training mode with a known ratio of 0 drops nothing and scales by 1,
        // so it is inference (F.dropout(x, p=0) called without training=).
        const bool known_zero = ratio && at.ratio == 0.f;
        if (auto* t = ctx.constant_input(2, "training_mode", false))
          if (to_scalar(*t, site, "training_mode") != 0 && !known_zero)
            throw UnsupportedError(
                "training_mode = true is not supported (inference only) unless the ratio is a "
                "constant 0");
      }
      c.inputs.resize(1);
      c.attrs = at;
      break;
    }
    case OpKind::Constant: {
      c.constant = read_constant(ctx);
      c.inputs.clear();
      c.attrs = ConstantAttrs{*c.constant};
      break;
    }
    default:
      return false;
  }
  return true;
}

}  // namespace loom::onnx_frontend
