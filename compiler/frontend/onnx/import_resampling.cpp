// Import of Resize (opsets 10 to 18: roi/scales/sizes inputs, every
// coordinate_transformation_mode and nearest_mode, cubic parameters, opset-18
// axes and keep_aspect_ratio_policy) and of Upsample (opsets 7 to 9), which
// becomes Resize with asymmetric coordinates and nearest rounding down.
#include <algorithm>
#include <cmath>

#include <fmt/format.h>

#include "compiler/frontend/onnx/import_context.h"

namespace loom::onnx_frontend {

namespace {

std::vector<float> floats_of(const Tensor& t) {
  std::vector<float> v;
  for (int64_t i = 0; i < t.numel(); ++i)
    v.push_back(static_cast<float>(t.get_as_double(i)));
  return v;
}

size_t axis_index(int64_t axis, size_t rank) {
  return static_cast<size_t>(axis < 0 ? axis + static_cast<int64_t>(rank) : axis);
}

// keep_aspect_ratio_policy not_larger / not_smaller: one scale for every
// named axis (the smallest or largest of sizes / input), sizes rounded.
void keep_aspect_ratio(const std::string& policy, const Shape& in, std::vector<int64_t> axes,
                       std::vector<int64_t>& sizes) {
  if (axes.empty())
    for (size_t d = 0; d < in.size(); ++d)
      axes.push_back(static_cast<int64_t>(d));
  const bool not_larger = policy == "not_larger";
  double scale = not_larger ? 1e300 : 0;
  for (size_t k = 0; k < axes.size(); ++k) {
    const double s =
        static_cast<double>(sizes[k]) / static_cast<double>(in[axis_index(axes[k], in.size())]);
    scale = not_larger ? std::min(scale, s) : std::max(scale, s);
  }
  for (size_t k = 0; k < axes.size(); ++k)
    sizes[k] = static_cast<int64_t>(
        std::round(scale * static_cast<double>(in[axis_index(axes[k], in.size())])));
}

ResizeAttrs read_resize(ImportContext& ctx) {
  AttrReader& a = ctx.attrs;
  const ErrorSite& site = ctx.site;
  ResizeAttrs at;
  const bool upsample = ctx.node.op_type() == "Upsample";
  std::string mode = a.get_string("mode").value_or("nearest");
  if (mode == "bilinear" || mode == "trilinear") mode = "linear";  // Upsample-7 spellings
  auto m = parse_enum<ResizeMode>(mode);
  if (!m) throw ParseError(fmt::format("mode '{}' is not nearest, linear or cubic", mode), site);
  at.mode = *m;
  const Shape in = ctx.input_type(0).shape;
  const size_t rank = in.size();
  if (upsample || ctx.opset < 11) {
    at.coordinate_transformation_mode = CoordinateTransform::Asymmetric;
    at.nearest_mode = NearestMode::Floor;
    if (upsample && ctx.opset < 9) {
      auto sc = a.get_floats("scales");
      if (!sc) throw ParseError("attribute 'scales' is required", site);
      at.scales = *sc;
    } else {
      at.scales = floats_of(*ctx.constant_input(1, "scales", true));
    }
    return at;
  }
  const std::string coord = a.get_string("coordinate_transformation_mode").value_or("half_pixel");
  auto ct = parse_enum<CoordinateTransform>(coord);
  if (!ct)
    throw ParseError(fmt::format("coordinate_transformation_mode '{}' is unknown", coord), site);
  at.coordinate_transformation_mode = *ct;
  const std::string nm = a.get_string("nearest_mode").value_or("round_prefer_floor");
  auto nmode = parse_enum<NearestMode>(nm);
  if (!nmode) throw ParseError(fmt::format("nearest_mode '{}' is unknown", nm), site);
  at.nearest_mode = *nmode;
  at.cubic_coeff_a = a.get_float("cubic_coeff_a").value_or(-0.75f);
  at.exclude_outside = a.get_bool("exclude_outside", false);
  at.extrapolation_value = a.get_float("extrapolation_value").value_or(0.f);
  if (a.get_bool("antialias", false)) throw UnsupportedError("antialias = 1 is not supported");
  const std::string policy = a.get_string("keep_aspect_ratio_policy").value_or("stretch");
  const std::vector<int64_t> axes = a.get_ints("axes").value_or(std::vector<int64_t>{});
  if (auto* t = ctx.constant_input(1, "roi", false); t && t->numel() > 0) {
    const std::vector<float> roi = floats_of(*t);
    const auto half = static_cast<long>(roi.size() / 2);
    std::vector<float> b =
        expand_axes({roi.begin(), roi.begin() + half}, axes, rank, 0.f, site, "roi");
    const std::vector<float> e =
        expand_axes({roi.begin() + half, roi.end()}, axes, rank, 1.f, site, "roi");
    b.insert(b.end(), e.begin(), e.end());
    at.roi = b;
  }
  if (auto* t = ctx.constant_input(2, "scales", false); t && t->numel() > 0)
    at.scales = expand_axes(floats_of(*t), axes, rank, 1.f, site, "scales");
  if (auto* t = ctx.constant_input(3, "sizes", false); t && t->numel() > 0) {
    std::vector<int64_t> sizes = to_ints(*t, site, "sizes");
    if (policy != "stretch") keep_aspect_ratio(policy, in, axes, sizes);
    std::vector<int64_t> full = in;
    if (axes.empty()) {
      full = sizes;
    } else {
      for (size_t k = 0; k < axes.size() && k < sizes.size(); ++k)
        full[axis_index(axes[k], rank)] = sizes[k];
    }
    at.sizes = full;
    at.scales.clear();
  }
  if (at.scales.empty() && at.sizes.empty()) throw ParseError("Resize needs scales or sizes", site);
  return at;
}

}  // namespace

bool convert_resampling(ImportContext& ctx, OpKind op, Converted& c) {
  if (op != OpKind::Resize) return false;
  c.attrs = read_resize(ctx);
  c.inputs.resize(1);
  return true;
}

}  // namespace loom::onnx_frontend
