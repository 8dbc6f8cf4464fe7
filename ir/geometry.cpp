// Resolution and validation of sliding-window geometry (Conv, MaxPool,
// AveragePool); the rules are documented in ir/geometry.h.
#include "ir/geometry.h"

#include <algorithm>
#include <cmath>

#include <fmt/format.h>
#include <fmt/ranges.h>

namespace loom {

namespace {

// Attribute values above this are rejected so that the products below
// ((kernel - 1) * dilation, (out - 1) * stride) cannot overflow int64, and so
// that the windows overlapping the padding, which are checked one by one, are
// few.
constexpr int64_t kMaxAttrValue = int64_t{1} << 24;
constexpr int64_t kMaxInputDim = int64_t{1} << 40;

int64_t floor_div(int64_t a, int64_t b) {  // b > 0
  int64_t q = a / b;
  return (a % b != 0 && a < 0) ? q - 1 : q;
}

int64_t ceil_div(int64_t a, int64_t b) {  // b > 0
  int64_t q = a / b;
  return (a % b != 0 && a > 0) ? q + 1 : q;
}

std::string list_str(const std::vector<int64_t>& v) {
  return fmt::format("[{}]", fmt::join(v, ","));
}

// Fills `out` from `given` (or `fallback` in every dimension when empty), checking
// its length and that every value is at least `min_value`.
bool resolve_list(const char* name, const std::vector<int64_t>& given, size_t want_len,
                  size_t spatial_rank, int64_t fallback, int64_t min_value,
                  std::vector<int64_t>& out, std::string& error) {
  if (given.empty()) {
    out.assign(want_len, fallback);
    return true;
  }
  if (given.size() != want_len) {
    error = fmt::format("attribute {} = {} has {} values, expected {} (input has {} spatial dims)",
                        name, list_str(given), given.size(), want_len, spatial_rank);
    return false;
  }
  for (size_t i = 0; i < given.size(); ++i) {
    if (given[i] < min_value) {
      error = fmt::format("attribute {} = {} has value {} at position {}, expected {}", name,
                          list_str(given), given[i], i,
                          min_value == 0 ? "a value >= 0" : "a positive value");
      return false;
    }
    if (given[i] > kMaxAttrValue) {
      error = fmt::format("attribute {} = {} has value {} at position {}, expected at most {}",
                          name, list_str(given), given[i], i, kMaxAttrValue);
      return false;
    }
  }
  out = given;
  return true;
}

}  // namespace

std::vector<int64_t> WindowGeometry::onnx_pads() const {
  std::vector<int64_t> p = pads_begin;
  p.insert(p.end(), pads_end.begin(), pads_end.end());
  return p;
}

std::optional<WindowGeometry> resolve_window_geometry(const WindowAttrs& attrs,
                                                      const std::vector<int64_t>& input_spatial,
                                                      std::string& error) {
  const size_t rank = input_spatial.size();
  WindowGeometry g;
  g.input = input_spatial;
  for (size_t d = 0; d < rank; ++d) {
    if (input_spatial[d] < 0 || input_spatial[d] > kMaxInputDim) {
      error = fmt::format("input spatial dim {} has size {}, expected a size in 0..{}", d,
                          input_spatial[d], kMaxInputDim);
      return std::nullopt;
    }
  }
  if (attrs.kernel_shape.empty()) {
    error = fmt::format("attribute kernel_shape is missing, expected {} values", rank);
    return std::nullopt;
  }
  if (!resolve_list("kernel_shape", attrs.kernel_shape, rank, rank, 1, 1, g.kernel, error) ||
      !resolve_list("strides", attrs.strides, rank, rank, 1, 1, g.strides, error) ||
      !resolve_list("dilations", attrs.dilations, rank, rank, 1, 1, g.dilations, error))
    return std::nullopt;
  std::vector<int64_t> pads;
  if (!resolve_list("pads", attrs.pads, 2 * rank, rank, 0, 0, pads, error)) return std::nullopt;
  g.pads_begin.assign(pads.begin(), pads.begin() + static_cast<std::ptrdiff_t>(rank));
  g.pads_end.assign(pads.begin() + static_cast<std::ptrdiff_t>(rank), pads.end());

  const bool explicit_pads =
      std::any_of(pads.begin(), pads.end(), [](int64_t p) { return p != 0; });
  if (attrs.auto_pad != AutoPad::NotSet && explicit_pads) {
    error = fmt::format(
        "attribute pads = {} is given together with auto_pad = {}; expected "
        "pads to be absent or zero when auto_pad is not NOTSET",
        list_str(attrs.pads), enum_name(attrs.auto_pad));
    return std::nullopt;
  }

  g.output.resize(rank);
  for (size_t d = 0; d < rank; ++d) {
    const int64_t in = input_spatial[d];
    const int64_t s = g.strides[d];
    const int64_t ek = g.effective_kernel(d);
    int64_t out = 0;
    switch (attrs.auto_pad) {
      case AutoPad::NotSet: {
        const int64_t span = in + g.pads_begin[d] + g.pads_end[d] - ek;
        if (attrs.ceil_mode) {
          out = ceil_div(span, s) + 1;
          // The last window has to start inside the input or the begin padding.
          if (out >= 1 && (out - 1) * s - g.pads_begin[d] >= in) --out;
        } else {
          out = floor_div(span, s) + 1;
        }
        break;
      }
      case AutoPad::Valid:
        g.pads_begin[d] = g.pads_end[d] = 0;
        out = floor_div(in - ek, s) + 1;
        break;
      case AutoPad::SameUpper:
      case AutoPad::SameLower: {
        out = ceil_div(in, s);
        const int64_t total = std::max<int64_t>(0, (out - 1) * s + ek - in);
        const int64_t small = total / 2;
        const int64_t large = total - small;
        g.pads_begin[d] = attrs.auto_pad == AutoPad::SameUpper ? small : large;
        g.pads_end[d] = attrs.auto_pad == AutoPad::SameUpper ? large : small;
        break;
      }
    }
    if (out < 1) {
      error = fmt::format(
          "output spatial dim {} would have size {}, expected at least 1 (input size {}, pads "
          "{}+{}, kernel {} with dilation {} spans {}, stride {})",
          d, out, in, g.pads_begin[d], g.pads_end[d], g.kernel[d], g.dilations[d], ek, s);
      return std::nullopt;
    }
    g.output[d] = out;
  }

  if (attrs.require_input_in_every_window) {
    for (size_t d = 0; d < rank; ++d) {
      for (int64_t o = 0; o < g.output[d]; ++o) {
        const int64_t start = g.input_pos(d, o, 0);
        if (start >= 0 && start < g.input[d]) {
          // Windows starting inside the input touch it; skip to the first one
          // starting in the end padding (at most a bounded number remain).
          o = std::max(o, ceil_div(g.input[d] + g.pads_begin[d], g.strides[d]) - 1);
          continue;
        }
        // First tap at or after position 0; the window touches the input iff it exists
        // and lies before the end.
        const int64_t j0 = start >= 0 ? 0 : ceil_div(-start, g.dilations[d]);
        const bool touches = j0 < g.kernel[d] && start + j0 * g.dilations[d] < g.input[d];
        if (!touches) {
          error = fmt::format(
              "window {} of spatial dim {} covers only padding (input size {}, pads {}+{}, "
              "kernel {}, dilation {}, stride {}); expected every window to cover an input "
              "element",
              o, d, g.input[d], g.pads_begin[d], g.pads_end[d], g.kernel[d], g.dilations[d],
              g.strides[d]);
          return std::nullopt;
        }
      }
    }
  }
  return g;
}

std::optional<WindowGeometry> resolve_conv_geometry(const ConvAttrs& attrs,
                                                    const std::vector<int64_t>& input_spatial,
                                                    const std::vector<int64_t>& weight_spatial,
                                                    std::string& error) {
  if (!attrs.kernel_shape.empty() && attrs.kernel_shape != weight_spatial) {
    error = fmt::format("attribute kernel_shape = {} does not match the weight's spatial dims {}",
                        list_str(attrs.kernel_shape), list_str(weight_spatial));
    return std::nullopt;
  }
  WindowAttrs w{.kernel_shape = weight_spatial,
                .strides = attrs.strides,
                .pads = attrs.pads,
                .dilations = attrs.dilations,
                .auto_pad = attrs.auto_pad,
                .ceil_mode = false,
                .require_input_in_every_window = false};
  if (weight_spatial.size() != input_spatial.size()) {
    error = fmt::format("weight has {} spatial dims {}, expected {} (as the input)",
                        weight_spatial.size(), list_str(weight_spatial), input_spatial.size());
    return std::nullopt;
  }
  return resolve_window_geometry(w, input_spatial, error);
}

std::optional<WindowGeometry> resolve_pool_geometry(const PoolAttrs& attrs,
                                                    const std::vector<int64_t>& input_spatial,
                                                    std::string& error) {
  WindowAttrs w{.kernel_shape = attrs.kernel_shape,
                .strides = attrs.strides,
                .pads = attrs.pads,
                .dilations = attrs.dilations,
                .auto_pad = attrs.auto_pad,
                .ceil_mode = attrs.ceil_mode,
                .require_input_in_every_window = true};
  return resolve_window_geometry(w, input_spatial, error);
}

std::optional<WindowGeometry> resolve_conv_transpose_geometry(
    const ConvTransposeAttrs& a, const std::vector<int64_t>& input_spatial,
    const std::vector<int64_t>& weight_spatial, std::string& error) {
  const size_t rank = input_spatial.size();
  auto fill = [&](const std::vector<int64_t>& v, int64_t def, size_t n, const char* name,
                  std::vector<int64_t>& out) {
    if (v.empty()) {
      out.assign(n, def);
      return true;
    }
    if (v.size() != n) {
      error = fmt::format("attribute {} has {} values, expected {}", name, v.size(), n);
      return false;
    }
    out = v;
    return true;
  };
  WindowGeometry g;
  g.input = input_spatial;
  std::vector<int64_t> pads, output_padding;
  if (!fill(a.kernel_shape, 0, rank, "kernel_shape", g.kernel) ||
      !fill(a.strides, 1, rank, "strides", g.strides) ||
      !fill(a.dilations, 1, rank, "dilations", g.dilations) ||
      !fill(a.pads, 0, 2 * rank, "pads", pads) ||
      !fill(a.output_padding, 0, rank, "output_padding", output_padding))
    return std::nullopt;
  if (a.kernel_shape.empty()) g.kernel = weight_spatial;
  if (g.kernel != weight_spatial) {
    error = fmt::format("attribute kernel_shape {} differs from the weight's spatial dims {}",
                        shape_str(g.kernel), shape_str(weight_spatial));
    return std::nullopt;
  }
  if (!a.output_shape.empty() && a.output_shape.size() != rank) {
    error = fmt::format("attribute output_shape has {} values, expected {} (spatial dims)",
                        a.output_shape.size(), rank);
    return std::nullopt;
  }
  g.pads_begin.assign(pads.begin(), pads.begin() + static_cast<long>(rank));
  g.pads_end.assign(pads.begin() + static_cast<long>(rank), pads.end());
  g.output.resize(rank);
  for (size_t d = 0; d < rank; ++d) {
    if (g.strides[d] <= 0 || g.dilations[d] <= 0 || g.kernel[d] <= 0 || pads[d] < 0 ||
        pads[d + rank] < 0 || output_padding[d] < 0) {
      error = fmt::format(
          "spatial dim {}: strides, dilations and kernel must be positive, pads "
          "and output_padding non-negative",
          d);
      return std::nullopt;
    }
    if (output_padding[d] >= std::max(g.strides[d], g.dilations[d])) {
      error = fmt::format("output_padding[{}] = {} must be less than the stride or dilation", d,
                          output_padding[d]);
      return std::nullopt;
    }
    const int64_t full = g.strides[d] * (g.input[d] - 1) + output_padding[d] +
                         (g.kernel[d] - 1) * g.dilations[d] + 1;
    const bool same = a.auto_pad == AutoPad::SameUpper || a.auto_pad == AutoPad::SameLower;
    if (!a.output_shape.empty() || same) {
      const int64_t out = !a.output_shape.empty() ? a.output_shape[d] : g.input[d] * g.strides[d];
      // A negative total (output_shape beyond the natural size) extends the
      // end; the split rounds toward minus infinity, as the spec's reference does.
      const int64_t total = full - out;
      const int64_t half = total >= 0 ? total / 2 : -((-total + 1) / 2);
      if (a.auto_pad == AutoPad::SameUpper) {
        g.pads_begin[d] = half;
        g.pads_end[d] = total - half;
      } else {
        g.pads_begin[d] = total - half;
        g.pads_end[d] = half;
      }
      g.output[d] = out;
    } else {
      if (a.auto_pad == AutoPad::Valid) g.pads_begin[d] = g.pads_end[d] = 0;
      g.output[d] = full - g.pads_begin[d] - g.pads_end[d];
    }
    if (g.output[d] < 1) {
      error = fmt::format("spatial dim {} has output size {}, expected at least 1", d, g.output[d]);
      return std::nullopt;
    }
  }
  return g;
}

std::optional<std::vector<int64_t>> resize_output_shape(const ResizeAttrs& a,
                                                        const std::vector<int64_t>& input,
                                                        std::string& error) {
  const size_t rank = input.size();
  if (a.coordinate_transformation_mode == CoordinateTransform::TfCropAndResize &&
      a.roi.size() != 2 * rank) {
    error =
        fmt::format("tf_crop_and_resize needs roi with {} values, got {}", 2 * rank, a.roi.size());
    return std::nullopt;
  }
  if (!a.sizes.empty()) {
    if (a.sizes.size() != rank) {
      error = fmt::format("sizes has {} values for an input of rank {}", a.sizes.size(), rank);
      return std::nullopt;
    }
    for (int64_t v : a.sizes)
      if (v < 0) {
        error = fmt::format("sizes {} has a negative value", shape_str(a.sizes));
        return std::nullopt;
      }
    return a.sizes;
  }
  if (a.scales.size() != rank) {
    error = fmt::format("scales has {} values for an input of rank {} (give scales or sizes)",
                        a.scales.size(), rank);
    return std::nullopt;
  }
  std::vector<int64_t> out(rank);
  for (size_t d = 0; d < rank; ++d) {
    if (!(a.scales[d] > 0.f)) {
      error = fmt::format("scales[{}] = {}, expected > 0", d, a.scales[d]);
      return std::nullopt;
    }
    // tf_crop_and_resize scales the cropped length (roi end - start).
    const double crop = a.coordinate_transformation_mode == CoordinateTransform::TfCropAndResize
                            ? static_cast<double>(a.roi[d + rank]) - static_cast<double>(a.roi[d])
                            : 1.0;
    out[d] = static_cast<int64_t>(
        std::floor(static_cast<double>(input[d]) * crop * static_cast<double>(a.scales[d])));
  }
  return out;
}

namespace {

// `out` is the resized length as the spec's formulas use it: in * scale,
// unrounded, when scales are given; the output size when sizes are.
double resize_source_coordinate(const ResizeAttrs& a, size_t d, int64_t o, int64_t in, double out,
                                double scale, size_t rank) {
  const double x = static_cast<double>(o);
  switch (a.coordinate_transformation_mode) {
    case CoordinateTransform::HalfPixel:
      return (x + 0.5) / scale - 0.5;
    case CoordinateTransform::HalfPixelSymmetric: {
      const double adjustment = static_cast<double>(out) / (scale * static_cast<double>(in));
      const double center = static_cast<double>(in) / 2.0;
      const double offset = center * (1.0 - adjustment);
      return offset + (x + 0.5) / scale - 0.5;
    }
    case CoordinateTransform::PytorchHalfPixel:
      return out > 1 ? (x + 0.5) / scale - 0.5 : 0.0;
    case CoordinateTransform::AlignCorners:
      return out == 1 ? 0.0 : x * static_cast<double>(in - 1) / (out - 1);
    case CoordinateTransform::Asymmetric:
      return x / scale;
    case CoordinateTransform::TfHalfPixelForNN:
      return (x + 0.5) / scale;
    case CoordinateTransform::TfCropAndResize: {
      const double start = a.roi.size() == 2 * rank ? a.roi[d] : 0.0;
      const double end = a.roi.size() == 2 * rank ? a.roi[d + rank] : 1.0;
      return out > 1 ? start * static_cast<double>(in - 1) +
                           x * (end - start) * static_cast<double>(in - 1) / (out - 1)
                     : 0.5 * (start + end) * static_cast<double>(in - 1);
    }
  }
  return x / scale;
}

int64_t nearest_index(NearestMode m, double x) {
  switch (m) {
    case NearestMode::RoundPreferFloor:
      return static_cast<int64_t>(std::ceil(x - 0.5));
    case NearestMode::RoundPreferCeil:
      return static_cast<int64_t>(std::floor(x + 0.5));
    case NearestMode::Floor:
      return static_cast<int64_t>(std::floor(x));
    case NearestMode::Ceil:
      return static_cast<int64_t>(std::ceil(x));
  }
  return 0;
}

}  // namespace

std::vector<ResizeAxis> resize_axes(const ResizeAttrs& a, const std::vector<int64_t>& input,
                                    const std::vector<int64_t>& output) {
  const size_t rank = input.size();
  std::vector<ResizeAxis> axes(rank);
  for (size_t d = 0; d < rank; ++d) {
    ResizeAxis& ax = axes[d];
    const int64_t in = input[d], out = output[d];
    const double scale = a.sizes.empty() ? static_cast<double>(a.scales[d])
                                         : static_cast<double>(out) / static_cast<double>(in);
    ax.taps = a.mode == ResizeMode::Nearest ? 1 : a.mode == ResizeMode::Linear ? 2 : 4;
    auto clamp_index = [&](int64_t i) { return std::min(std::max(i, int64_t{0}), in - 1); };
    for (int64_t o = 0; o < out; ++o) {
      const double length =
          a.sizes.empty() ? static_cast<double>(in) * scale : static_cast<double>(out);
      const double x = resize_source_coordinate(a, d, o, in, length, scale, rank);
      ax.outside.push_back(a.coordinate_transformation_mode ==
                               CoordinateTransform::TfCropAndResize &&
                           (x < 0 || x > static_cast<double>(in - 1)));
      if (a.mode == ResizeMode::Nearest) {
        ax.index.push_back(clamp_index(nearest_index(a.nearest_mode, x)));
        ax.weight.push_back(1.0);
        continue;
      }
      const double x0 = std::floor(x);
      const double t = x - x0;
      const int64_t i0 = static_cast<int64_t>(x0);
      if (a.mode == ResizeMode::Linear) {
        ax.index.push_back(clamp_index(i0));
        ax.index.push_back(clamp_index(i0 + 1));
        ax.weight.push_back(1.0 - t);
        ax.weight.push_back(t);
        continue;
      }
      const double A = a.cubic_coeff_a;
      double c[4] = {((A * (t + 1) - 5 * A) * (t + 1) + 8 * A) * (t + 1) - 4 * A,
                     ((A + 2) * t - (A + 3)) * t * t + 1,
                     ((A + 2) * (1 - t) - (A + 3)) * (1 - t) * (1 - t) + 1,
                     ((A * (2 - t) - 5 * A) * (2 - t) + 8 * A) * (2 - t) - 4 * A};
      if (a.exclude_outside) {
        double sum = 0;
        for (int k = 0; k < 4; ++k) {
          const int64_t i = i0 - 1 + k;
          if (i < 0 || i >= in) c[k] = 0;
          sum += c[k];
        }
        if (sum != 0)
          for (double& v : c)
            v /= sum;
      }
      for (int k = 0; k < 4; ++k) {
        ax.index.push_back(clamp_index(i0 - 1 + k));
        ax.weight.push_back(c[k]);
      }
    }
  }
  return axes;
}

}  // namespace loom
