// Resolution and validation of sliding-window geometry (Conv, MaxPool,
// AveragePool); the rules are documented in ir/geometry.h.
#include "ir/geometry.h"

#include <algorithm>

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

}  // namespace loom
