// Sliding-window geometry of Conv, MaxPool and AveragePool, resolved once.
//
// ONNX spreads a window's geometry over several optional attributes whose
// defaults depend on the input rank (kernel_shape, strides, dilations, pads,
// auto_pad, ceil_mode). Shape inference, the reference interpreter and every
// backend must agree on them exactly, so they all call the functions below
// instead of re-deriving defaults. The result is a WindowGeometry with every
// field filled in for every spatial dimension.
//
// Rules (ONNX semantics), per spatial dimension d, with
//   ek = (kernel - 1) * dilation + 1    (the effective, dilated kernel extent):
//   auto_pad NOTSET   pads from the attribute (default 0), and
//                       out = floor((in + pb + pe - ek) / stride) + 1
//                     or with ceil_mode (pools only) the ceiling instead of
//                     the floor, minus one window if that last window would
//                     start at or beyond in (i.e. inside the end padding): a
//                     window must start inside the input or the begin padding.
//   auto_pad VALID    no padding; out = floor((in - ek) / stride) + 1.
//   auto_pad SAME_*   out = ceil(in / stride); the total padding
//                       max(0, (out - 1) * stride + ek - in) is split evenly,
//                     the odd element going to the end (SAME_UPPER) or to the
//                     beginning (SAME_LOWER).
// ceil_mode has no effect with auto_pad VALID / SAME_* (the spec's formulas
// for those modes give the same sizes either way).
//
// Window o of dimension d reads input positions
//   o * stride - pads_begin + j * dilation,  j = 0 .. kernel - 1;
// positions outside [0, in) are padding.
//
// Validation: attribute lengths against the spatial rank (kernel_shape and
// strides and dilations: rank; pads: 2 * rank), kernel/stride/dilation > 0,
// pads >= 0, every value at most 2^24 (beyond any real model; keeps the
// arithmetic far from overflow), no explicit non-zero pads together with
// auto_pad, and an output size of at least 1. For pools, additionally every
// window must cover at least one input element (otherwise max and average are
// undefined). A failure is
// reported as a message string (naming the attribute and stating expected vs
// actual) which the caller raises with its own context, e.g. OpContext::fail,
// so that the error names the node.
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <vector>

#include "ir/ops.h"

namespace loom {

struct WindowGeometry {
  std::vector<int64_t> input;  // input spatial sizes
  std::vector<int64_t> kernel;
  std::vector<int64_t> strides;
  std::vector<int64_t> dilations;
  std::vector<int64_t> pads_begin;
  std::vector<int64_t> pads_end;
  std::vector<int64_t> output;  // output spatial sizes

  size_t rank() const { return input.size(); }
  // Extent of the dilated kernel along dimension d.
  int64_t effective_kernel(size_t d) const { return (kernel[d] - 1) * dilations[d] + 1; }
  // Input position (possibly in the padding) of tap j of window o along dimension d.
  int64_t input_pos(size_t d, int64_t o, int64_t j) const {
    return o * strides[d] - pads_begin[d] + j * dilations[d];
  }
  // Pads in ONNX attribute order: [x1_begin, x2_begin, ..., x1_end, x2_end, ...].
  std::vector<int64_t> onnx_pads() const;
};

// The attributes common to all windowed ops, in the ONNX spelling. Empty
// vectors mean the ONNX default.
struct WindowAttrs {
  std::vector<int64_t> kernel_shape;
  std::vector<int64_t> strides;
  std::vector<int64_t> pads;
  std::vector<int64_t> dilations;
  AutoPad auto_pad = AutoPad::NotSet;
  bool ceil_mode = false;
  // Pools: reject windows that cover padding only.
  bool require_input_in_every_window = false;
};

// Resolves the geometry; on failure returns nullopt and sets `error`.
// `kernel_shape` must be non-empty here (Conv fills it from the weight).
std::optional<WindowGeometry> resolve_window_geometry(const WindowAttrs& attrs,
                                                      const std::vector<int64_t>& input_spatial,
                                                      std::string& error);

// Conv: the kernel comes from the weight's spatial dims (`weight_spatial`,
// i.e. W.shape[2:]); a kernel_shape attribute, if given, must equal it.
std::optional<WindowGeometry> resolve_conv_geometry(const ConvAttrs& attrs,
                                                    const std::vector<int64_t>& input_spatial,
                                                    const std::vector<int64_t>& weight_spatial,
                                                    std::string& error);

// MaxPool / AveragePool: kernel_shape is required. Windows that cover only
// padding are rejected.
std::optional<WindowGeometry> resolve_pool_geometry(const PoolAttrs& attrs,
                                                    const std::vector<int64_t>& input_spatial,
                                                    std::string& error);

// ConvTranspose: input position i of dim d feeds output positions
//   i * stride - pads_begin + j * dilation,  j = 0 .. kernel - 1
// (those inside [0, output)). `output` follows output_shape when given (pads
// then derived as the spec says), else the spec's size formula;
// auto_pad SAME_* makes output = input * stride. WindowGeometry's fields
// keep their meaning, with `input`/`output` the transposed op's own.
std::optional<WindowGeometry> resolve_conv_transpose_geometry(
    const ConvTransposeAttrs& attrs, const std::vector<int64_t>& input_spatial,
    const std::vector<int64_t>& weight_spatial, std::string& error);

// Resize as separable tap tables: along each dim, output position o reads
// `taps` input positions index[o * taps + t] with weights weight[...]
// (nearest: 1 tap, linear: 2, cubic: 4; indices already clamped into the
// input, exclude_outside already applied). `outside[o]` marks
// tf_crop_and_resize positions that fall outside the input, whose output is
// the extrapolation value. The interpreter and every backend use the same
// tables, so they agree on rounding and edges.
struct ResizeAxis {
  int64_t taps = 1;
  std::vector<int64_t> index;
  std::vector<double> weight;
  std::vector<bool> outside;
};

// The output shape (sizes, or floor(in * scale) per dim); nullopt and
// `error` on a bad attribute.
std::optional<std::vector<int64_t>> resize_output_shape(const ResizeAttrs& attrs,
                                                        const std::vector<int64_t>& input,
                                                        std::string& error);
std::vector<ResizeAxis> resize_axes(const ResizeAttrs& attrs, const std::vector<int64_t>& input,
                                    const std::vector<int64_t>& output);

}  // namespace loom
