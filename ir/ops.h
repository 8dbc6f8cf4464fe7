// The operator set and each operator's attributes, with ONNX semantics.
//
// Attributes are typed structs, one per operator family, so builder call sites
// read as designated initializers (`{.strides = {2, 2}, .group = 32}`) and
// passes never look attributes up by string. Each struct lists its fields once
// in `fields()`, which the text printer/parser, equality and the ONNX frontend
// walk generically.
//
// Inputs that ONNX passes as tensors but that fix shapes (Reshape's and
// Expand's shape, Slice's starts/ends/axes/steps, Squeeze/Unsqueeze axes,
// Clip's min/max) are attributes here: Loom specializes on them, so they must
// be known when code is generated. The ONNX frontend folds them from
// initializers, Constant nodes, pinned inputs or shape arithmetic it
// evaluates at import.
#pragma once

#include <cmath>
#include <cstdint>
#include <limits>
#include <optional>
#include <string>
#include <string_view>
#include <type_traits>
#include <variant>
#include <vector>

#include "ir/tensor.h"

namespace loom {

#define LOOM_OP_LIST(X)                                                                          \
  /* conv, pool, resampling */                                                                   \
  X(Conv)                                                                                        \
  X(ConvTranspose)                                                                               \
  X(MaxPool)                                                                                     \
  X(AveragePool)                                                                                 \
  X(GlobalAveragePool) X(GlobalMaxPool) X(GlobalLpPool) X(Resize) /* dense, normalization */     \
      X(Gemm) X(MatMul) X(Einsum) X(BatchNormalization) X(InstanceNormalization)                 \
          X(LayerNormalization)                                                                  \
              X(LRN) /* elementwise: arithmetic, activations, math, comparison, selection */     \
      X(Add) X(Sub) X(Mul) X(Div) X(Pow) X(Relu) X(LeakyRelu) X(Sigmoid) X(Tanh) X(Clip) X(Elu)  \
          X(PRelu) X(HardSigmoid) X(HardSwish) X(Selu) X(Celu) X(Softplus) X(Softsign)           \
              X(ThresholdedRelu) X(Neg) X(Abs) X(Exp) X(Log) X(Sqrt) X(Reciprocal) X(Floor)      \
                  X(Ceil) X(Erf) X(Min) X(Max) X(Sum) X(Mean) X(Equal) X(Less) X(Greater)        \
                      X(LessOrEqual) X(GreaterOrEqual) X(Not) X(Where) X(Mod) X(Softmax)         \
                          X(LogSoftmax) /* reductions */                                         \
      X(ReduceMean) X(ReduceMax) X(ReduceMin) X(ReduceSum) X(ReduceProd) X(ReduceL1) X(ReduceL2) \
          X(ReduceLogSum) X(ReduceLogSumExp) X(ReduceSumSquare) X(ArgMax)                        \
              X(ArgMin) /* shape and structure */                                                \
      X(Flatten) X(Reshape) X(Transpose) X(Squeeze) X(Unsqueeze) X(Concat) X(Slice) X(Identity)  \
          X(Dropout) X(Constant) X(Shape) X(Gather) X(Expand) X(Pad) X(Cast) X(ScatterND)        \
              X(ConstantOfShape) X(Split) X(Tile) X(Range) X(DepthToSpace)                       \
                  X(SpaceToDepth) /* recurrent */                                                \
      X(RNN) X(LSTM) X(GRU)

enum class OpKind : uint8_t {
#define LOOM_X(name) name,
  LOOM_OP_LIST(LOOM_X)
#undef LOOM_X
};

inline constexpr OpKind kAllOps[] = {
#define LOOM_X(name) OpKind::name,
    LOOM_OP_LIST(LOOM_X)
#undef LOOM_X
};

std::string_view op_name(OpKind op);
std::optional<OpKind> parse_op(std::string_view name);
// One output element from the same-position elements of the (broadcast)
// inputs, the ops that fusion and layout decisions treat alike: the binary
// and variadic arithmetic (Add ... Pow, PRelu, Min/Max/Sum/Mean), every unary
// activation and math function, comparisons, Not and Where.
bool is_elementwise(OpKind op);
// Unary elementwise ops of one float input (activations and math functions).
bool is_unary_elementwise(OpKind op);
// ReduceMean ... ReduceSumSquare (not ArgMax/ArgMin).
bool is_reduce(OpKind op);

// ---- enumerations used by attributes ----------------------------------------

enum class AutoPad : uint8_t { NotSet, SameUpper, SameLower, Valid };
enum class Direction : uint8_t { Forward, Reverse, Bidirectional };
enum class PadMode : uint8_t { Constant, Reflect, Edge, Wrap };
enum class DepthToSpaceMode : uint8_t { DCR, CRD };
enum class ResizeMode : uint8_t { Nearest, Linear, Cubic };
enum class CoordinateTransform : uint8_t {
  HalfPixel,
  PytorchHalfPixel,
  AlignCorners,
  Asymmetric,
  TfCropAndResize,
  HalfPixelSymmetric,
  TfHalfPixelForNN
};
enum class NearestMode : uint8_t { RoundPreferFloor, RoundPreferCeil, Floor, Ceil };
enum class ScatterReduction : uint8_t;

// Activation functions of RNN/LSTM/GRU, as the ONNX spec lists them.
// alpha/beta meanings follow the spec: LeakyRelu(alpha), ThresholdedRelu(alpha),
// ScaledTanh(alpha, beta), HardSigmoid(alpha, beta), Elu(alpha), Affine(alpha, beta).
enum class Activation : uint8_t {
  Relu,
  Tanh,
  Sigmoid,
  Affine,
  LeakyRelu,
  ThresholdedRelu,
  ScaledTanh,
  HardSigmoid,
  Elu,
  Softsign,
  Softplus
};

// Every enum has a name table used by the printer, parser and ONNX frontend.
// Names are the ONNX spellings.
std::string_view enum_name(AutoPad v);
std::string_view enum_name(Direction v);
std::string_view enum_name(Activation v);
std::string_view enum_name(PadMode v);
std::string_view enum_name(DepthToSpaceMode v);
std::string_view enum_name(ResizeMode v);
std::string_view enum_name(CoordinateTransform v);
std::string_view enum_name(NearestMode v);
std::string_view enum_name(ScatterReduction v);
inline std::string_view enum_name(DType v) {
  return dtype_name(v);
}
template <class E>
std::optional<E> parse_enum(std::string_view name);
template <>
std::optional<AutoPad> parse_enum<AutoPad>(std::string_view name);
template <>
std::optional<Direction> parse_enum<Direction>(std::string_view name);
template <>
std::optional<Activation> parse_enum<Activation>(std::string_view name);
template <>
std::optional<PadMode> parse_enum<PadMode>(std::string_view name);
template <>
std::optional<DepthToSpaceMode> parse_enum<DepthToSpaceMode>(std::string_view name);
template <>
std::optional<ResizeMode> parse_enum<ResizeMode>(std::string_view name);
template <>
std::optional<CoordinateTransform> parse_enum<CoordinateTransform>(std::string_view name);
template <>
std::optional<NearestMode> parse_enum<NearestMode>(std::string_view name);
template <>
std::optional<ScatterReduction> parse_enum<ScatterReduction>(std::string_view name);
template <>
inline std::optional<DType> parse_enum<DType>(std::string_view name) {
  return parse_dtype(name);
}

// Attribute fields of these types print and parse by their names.
template <class T>
inline constexpr bool is_named_enum_v =
    std::is_same_v<T, AutoPad> || std::is_same_v<T, Direction> || std::is_same_v<T, PadMode> ||
    std::is_same_v<T, DepthToSpaceMode> || std::is_same_v<T, ResizeMode> ||
    std::is_same_v<T, CoordinateTransform> || std::is_same_v<T, NearestMode> ||
    std::is_same_v<T, ScatterReduction> || std::is_same_v<T, DType>;

// An activation with its parameters resolved (defaults filled in).
struct ActivationFn {
  Activation kind = Activation::Tanh;
  float alpha = 0.f;
  float beta = 0.f;
  float operator()(float x) const;
  friend bool operator==(const ActivationFn&, const ActivationFn&) = default;
};
// The spec's default alpha/beta for an activation (used when the model gives none).
ActivationFn default_activation(Activation kind);

// ---- attribute structs ------------------------------------------------------
// Empty vectors mean "the ONNX default", which depends on the input rank
// (e.g. strides of 1 in every spatial dimension). Resolve them with the
// helpers in ir/geometry.h rather than re-deriving defaults.

struct NoAttrs {
  template <class Self, class F>
  static void fields(Self&, F&&) {}
  friend bool operator==(const NoAttrs&, const NoAttrs&) = default;
};

struct ConvAttrs {
  std::vector<int64_t> kernel_shape{};  // empty: taken from the weight
  std::vector<int64_t> strides{};
  std::vector<int64_t> pads{};  // [x1_begin, x2_begin, ..., x1_end, x2_end, ...]
  std::vector<int64_t> dilations{};
  int64_t group = 1;
  AutoPad auto_pad = AutoPad::NotSet;

  template <class Self, class F>
  static void fields(Self& s, F&& f) {
    f("kernel_shape", s.kernel_shape);
    f("strides", s.strides);
    f("pads", s.pads);
    f("dilations", s.dilations);
    f("group", s.group);
    f("auto_pad", s.auto_pad);
  }
  friend bool operator==(const ConvAttrs&, const ConvAttrs&) = default;
};

// MaxPool and AveragePool.
struct PoolAttrs {
  std::vector<int64_t> kernel_shape{};  // required
  std::vector<int64_t> strides{};
  std::vector<int64_t> pads{};
  std::vector<int64_t> dilations{};
  AutoPad auto_pad = AutoPad::NotSet;
  bool ceil_mode = false;
  bool count_include_pad = false;  // AveragePool only
  int64_t storage_order = 0;       // MaxPool only: 0 row-major, 1 column-major Indices

  template <class Self, class F>
  static void fields(Self& s, F&& f) {
    f("kernel_shape", s.kernel_shape);
    f("strides", s.strides);
    f("pads", s.pads);
    f("dilations", s.dilations);
    f("auto_pad", s.auto_pad);
    f("ceil_mode", s.ceil_mode);
    f("count_include_pad", s.count_include_pad);
    f("storage_order", s.storage_order);
  }
  friend bool operator==(const PoolAttrs&, const PoolAttrs&) = default;
};

struct GemmAttrs {
  float alpha = 1.f;
  float beta = 1.f;
  bool trans_a = false;
  bool trans_b = false;
  template <class Self, class F>
  static void fields(Self& s, F&& f) {
    f("alpha", s.alpha);
    f("beta", s.beta);
    f("trans_a", s.trans_a);
    f("trans_b", s.trans_b);
  }
  friend bool operator==(const GemmAttrs&, const GemmAttrs&) = default;
};

struct BatchNormAttrs {
  float epsilon = 1e-5f;
  template <class Self, class F>
  static void fields(Self& s, F&& f) {
    f("epsilon", s.epsilon);
  }
  friend bool operator==(const BatchNormAttrs&, const BatchNormAttrs&) = default;
};

// LeakyRelu (default alpha 0.01) and Elu (default alpha 1.0).
struct AlphaAttrs {
  float alpha = 0.01f;
  template <class Self, class F>
  static void fields(Self& s, F&& f) {
    f("alpha", s.alpha);
  }
  friend bool operator==(const AlphaAttrs&, const AlphaAttrs&) = default;
};

struct ClipAttrs {
  float min = -std::numeric_limits<float>::infinity();
  float max = std::numeric_limits<float>::infinity();
  template <class Self, class F>
  static void fields(Self& s, F&& f) {
    f("min", s.min);
    f("max", s.max);
  }
  friend bool operator==(const ClipAttrs&, const ClipAttrs&) = default;
};

// Softmax and LogSoftmax. opset >= 13: normalize along `axis` alone.
// opset < 13 (`coerce_2d`): flatten to [prod(dims[:axis]), prod(dims[axis:])]
// and normalize each row.
struct SoftmaxAttrs {
  int64_t axis = -1;
  bool coerce_2d = false;
  template <class Self, class F>
  static void fields(Self& s, F&& f) {
    f("axis", s.axis);
    f("coerce_2d", s.coerce_2d);
  }
  friend bool operator==(const SoftmaxAttrs&, const SoftmaxAttrs&) = default;
};

// Flatten, Concat and Gather.
struct AxisAttrs {
  int64_t axis = 1;
  template <class Self, class F>
  static void fields(Self& s, F&& f) {
    f("axis", s.axis);
  }
  friend bool operator==(const AxisAttrs&, const AxisAttrs&) = default;
};

struct ReshapeAttrs {
  std::vector<int64_t> shape{};  // 0 copies the input dim (unless allow_zero), -1 is inferred
  bool allow_zero = false;
  template <class Self, class F>
  static void fields(Self& s, F&& f) {
    f("shape", s.shape);
    f("allow_zero", s.allow_zero);
  }
  friend bool operator==(const ReshapeAttrs&, const ReshapeAttrs&) = default;
};

struct TransposeAttrs {
  std::vector<int64_t> perm{};  // empty: reverse the dimensions
  template <class Self, class F>
  static void fields(Self& s, F&& f) {
    f("perm", s.perm);
  }
  friend bool operator==(const TransposeAttrs&, const TransposeAttrs&) = default;
};

// Squeeze (empty: every dimension of size 1) and Unsqueeze.
struct AxesAttrs {
  std::vector<int64_t> axes{};
  template <class Self, class F>
  static void fields(Self& s, F&& f) {
    f("axes", s.axes);
  }
  friend bool operator==(const AxesAttrs&, const AxesAttrs&) = default;
};

struct SliceAttrs {
  std::vector<int64_t> starts{};
  std::vector<int64_t> ends{};
  std::vector<int64_t> axes{};   // empty: 0..len(starts)-1
  std::vector<int64_t> steps{};  // empty: all 1
  template <class Self, class F>
  static void fields(Self& s, F&& f) {
    f("starts", s.starts);
    f("ends", s.ends);
    f("axes", s.axes);
    f("steps", s.steps);
  }
  friend bool operator==(const SliceAttrs&, const SliceAttrs&) = default;
};

// Shape (opset 15 slicing): the output is input dims [start, end) after the
// spec's rules (negative values count from the end, then both are clamped
// to [0, rank]). The default end (int64 max) means "through the last dim".
struct ShapeAttrs {
  int64_t start = 0;
  int64_t end = std::numeric_limits<int64_t>::max();
  template <class Self, class F>
  static void fields(Self& s, F&& f) {
    f("start", s.start);
    f("end", s.end);
  }
  friend bool operator==(const ShapeAttrs&, const ShapeAttrs&) = default;
};

// The dims Shape returns for an input of shape `input` (ShapeAttrs rules).
// Exposed so that code folding Shape of a value whose type is known (the
// ONNX frontend, fold_constants) needs no tensor of that value.
std::vector<int64_t> shape_op_dims(const ShapeAttrs& attrs, const Shape& input);

// Expand: numpy-style two-way broadcast of the input with `shape` (ONNX
// passes it as a tensor input; the frontend folds it).
struct ExpandAttrs {
  std::vector<int64_t> shape{};
  template <class Self, class F>
  static void fields(Self& s, F&& f) {
    f("shape", s.shape);
  }
  friend bool operator==(const ExpandAttrs&, const ExpandAttrs&) = default;
};

// Dropout in inference: output = input, optional mask output all true.
struct DropoutAttrs {
  float ratio = 0.5f;
  template <class Self, class F>
  static void fields(Self& s, F&& f) {
    f("ratio", s.ratio);
  }
  friend bool operator==(const DropoutAttrs&, const DropoutAttrs&) = default;
};

struct ConstantAttrs {
  Tensor value{};
  template <class Self, class F>
  static void fields(Self& s, F&& f) {
    f("value", s.value);
  }
  friend bool operator==(const ConstantAttrs& a, const ConstantAttrs& b) {
    return a.value.same_content(b.value);
  }
};

// ConvTranspose: Conv's window attributes plus the output geometry. The
// output size per spatial dim is output_shape[d] when given (pads are then
// derived as the spec says), else
//   stride * (in - 1) + output_padding + (kernel - 1) * dilation + 1 - pads.
struct ConvTransposeAttrs {
  std::vector<int64_t> kernel_shape{};
  std::vector<int64_t> strides{};
  std::vector<int64_t> pads{};
  std::vector<int64_t> dilations{};
  std::vector<int64_t> output_padding{};
  std::vector<int64_t> output_shape{};  // spatial dims only (leading N, C dropped at import)
  int64_t group = 1;
  AutoPad auto_pad = AutoPad::NotSet;
  template <class Self, class F>
  static void fields(Self& s, F&& f) {
    f("kernel_shape", s.kernel_shape);
    f("strides", s.strides);
    f("pads", s.pads);
    f("dilations", s.dilations);
    f("output_padding", s.output_padding);
    f("output_shape", s.output_shape);
    f("group", s.group);
    f("auto_pad", s.auto_pad);
  }
  friend bool operator==(const ConvTransposeAttrs&, const ConvTransposeAttrs&) = default;
};

// Resize (and Upsample, imported as Resize). `scales` or `sizes` has one
// entry per input dim (the frontend expands opset-18 `axes`); with `sizes`
// the output is `sizes` and each dim's scale is out / in.
struct ResizeAttrs {
  ResizeMode mode = ResizeMode::Nearest;
  CoordinateTransform coordinate_transformation_mode = CoordinateTransform::HalfPixel;
  NearestMode nearest_mode = NearestMode::RoundPreferFloor;
  float cubic_coeff_a = -0.75f;
  bool exclude_outside = false;
  float extrapolation_value = 0.f;
  std::vector<float> scales{};
  std::vector<int64_t> sizes{};
  std::vector<float> roi{};  // tf_crop_and_resize: [starts..., ends...] per dim
  template <class Self, class F>
  static void fields(Self& s, F&& f) {
    f("mode", s.mode);
    f("coordinate_transformation_mode", s.coordinate_transformation_mode);
    f("nearest_mode", s.nearest_mode);
    f("cubic_coeff_a", s.cubic_coeff_a);
    f("exclude_outside", s.exclude_outside);
    f("extrapolation_value", s.extrapolation_value);
    f("scales", s.scales);
    f("sizes", s.sizes);
    f("roi", s.roi);
  }
  friend bool operator==(const ResizeAttrs&, const ResizeAttrs&) = default;
};

// GlobalLpPool.
struct LpAttrs {
  int64_t p = 2;
  template <class Self, class F>
  static void fields(Self& s, F&& f) {
    f("p", s.p);
  }
  friend bool operator==(const LpAttrs&, const LpAttrs&) = default;
};

// HardSigmoid: max(0, min(1, alpha * x + beta)).
struct AlphaBetaAttrs {
  float alpha = 0.2f;
  float beta = 0.5f;
  template <class Self, class F>
  static void fields(Self& s, F&& f) {
    f("alpha", s.alpha);
    f("beta", s.beta);
  }
  friend bool operator==(const AlphaBetaAttrs&, const AlphaBetaAttrs&) = default;
};

struct SeluAttrs {
  float alpha = 1.67326319217681884765625f;
  float gamma = 1.05070102214813232421875f;
  template <class Self, class F>
  static void fields(Self& s, F&& f) {
    f("alpha", s.alpha);
    f("gamma", s.gamma);
  }
  friend bool operator==(const SeluAttrs&, const SeluAttrs&) = default;
};

// ReduceMean ... ReduceSumSquare. Empty axes: every axis, unless
// noop_with_empty_axes, which makes the op an identity.
struct ReduceAttrs {
  std::vector<int64_t> axes{};
  bool keepdims = true;
  bool noop_with_empty_axes = false;
  template <class Self, class F>
  static void fields(Self& s, F&& f) {
    f("axes", s.axes);
    f("keepdims", s.keepdims);
    f("noop_with_empty_axes", s.noop_with_empty_axes);
  }
  friend bool operator==(const ReduceAttrs&, const ReduceAttrs&) = default;
};

// ArgMax / ArgMin: int64 indices along `axis`.
struct ArgReduceAttrs {
  int64_t axis = 0;
  bool keepdims = true;
  bool select_last_index = false;
  template <class Self, class F>
  static void fields(Self& s, F&& f) {
    f("axis", s.axis);
    f("keepdims", s.keepdims);
    f("select_last_index", s.select_last_index);
  }
  friend bool operator==(const ArgReduceAttrs&, const ArgReduceAttrs&) = default;
};

// LRN across channels (ONNX: square sums over `size` channels centred on c).
struct LrnAttrs {
  float alpha = 1e-4f;
  float beta = 0.75f;
  float bias = 1.f;
  int64_t size = 0;  // required
  template <class Self, class F>
  static void fields(Self& s, F&& f) {
    f("alpha", s.alpha);
    f("beta", s.beta);
    f("bias", s.bias);
    f("size", s.size);
  }
  friend bool operator==(const LrnAttrs&, const LrnAttrs&) = default;
};

// LayerNormalization: normalizes over dims [axis, rank).
struct LayerNormAttrs {
  int64_t axis = -1;
  float epsilon = 1e-5f;
  template <class Self, class F>
  static void fields(Self& s, F&& f) {
    f("axis", s.axis);
    f("epsilon", s.epsilon);
  }
  friend bool operator==(const LayerNormAttrs&, const LayerNormAttrs&) = default;
};

// Pad: `pads` has 2 * rank entries [x1_begin, ..., x1_end, ...], negative
// values crop; the frontend expands opset-18 `axes` and folds pads/value
// inputs. `value` fills constant mode (cast to the input's dtype).
struct PadAttrs {
  PadMode mode = PadMode::Constant;
  std::vector<int64_t> pads{};
  float value = 0.f;
  template <class Self, class F>
  static void fields(Self& s, F&& f) {
    f("mode", s.mode);
    f("pads", s.pads);
    f("value", s.value);
  }
  friend bool operator==(const PadAttrs&, const PadAttrs&) = default;
};

// Mod: fmod = 1 is C's fmod (the dividend's sign; required for floats),
// fmod = 0 the integer modulo with the divisor's sign.
struct ModAttrs {
  bool fmod = false;
  template <class Self, class F>
  static void fields(Self& s, F&& f) {
    f("fmod", s.fmod);
  }
  friend bool operator==(const ModAttrs&, const ModAttrs&) = default;
};

// ScatterND: how updates combine with the data they land on.
enum class ScatterReduction : uint8_t { None, Add, Mul, Max, Min };
struct ScatterAttrs {
  ScatterReduction reduction = ScatterReduction::None;
  template <class Self, class F>
  static void fields(Self& s, F&& f) {
    f("reduction", s.reduction);
  }
  friend bool operator==(const ScatterAttrs&, const ScatterAttrs&) = default;
};

struct CastAttrs {
  DType to = DType::f32;
  template <class Self, class F>
  static void fields(Self& s, F&& f) {
    f("to", s.to);
  }
  friend bool operator==(const CastAttrs&, const CastAttrs&) = default;
};

// ConstantOfShape: a tensor of `shape` filled with the one element of `value`
// (f32 zero when undefined).
struct ConstantOfShapeAttrs {
  std::vector<int64_t> shape{};
  Tensor value{};
  template <class Self, class F>
  static void fields(Self& s, F&& f) {
    f("shape", s.shape);
    f("value", s.value);
  }
  friend bool operator==(const ConstantOfShapeAttrs& a, const ConstantOfShapeAttrs& b) {
    return a.shape == b.shape && a.value.defined() == b.value.defined() &&
           (!a.value.defined() || a.value.same_content(b.value));
  }
};

// Split: `split` sizes along `axis`; empty: as many equal parts as there are
// outputs, each ceil(dim / outputs) long and the last one shorter when the
// dim does not divide (opset 18's num_outputs).
struct SplitAttrs {
  int64_t axis = 0;
  std::vector<int64_t> split{};
  template <class Self, class F>
  static void fields(Self& s, F&& f) {
    f("axis", s.axis);
    f("split", s.split);
  }
  friend bool operator==(const SplitAttrs&, const SplitAttrs&) = default;
};

struct TileAttrs {
  std::vector<int64_t> repeats{};
  template <class Self, class F>
  static void fields(Self& s, F&& f) {
    f("repeats", s.repeats);
  }
  friend bool operator==(const TileAttrs&, const TileAttrs&) = default;
};

// DepthToSpace (mode DCR or CRD) and SpaceToDepth (mode unused).
struct BlockAttrs {
  int64_t blocksize = 0;
  DepthToSpaceMode mode = DepthToSpaceMode::DCR;
  template <class Self, class F>
  static void fields(Self& s, F&& f) {
    f("blocksize", s.blocksize);
    f("mode", s.mode);
  }
  friend bool operator==(const BlockAttrs&, const BlockAttrs&) = default;
};

// RNN, LSTM and GRU. Inputs (ONNX order, optional ones may be absent):
//   RNN/GRU: X, W, R, B, sequence_lens, initial_h
//   LSTM:    X, W, R, B, sequence_lens, initial_h, initial_c, P
// Outputs: Y, Y_h (and Y_c for LSTM), any subset present.
struct RecurrentAttrs {
  int64_t hidden_size = 0;
  Direction direction = Direction::Forward;
  // Empty: the op's defaults (RNN: Tanh; LSTM: Sigmoid,Tanh,Tanh; GRU: Sigmoid,Tanh),
  // repeated for the reverse direction when bidirectional.
  std::vector<Activation> activations{};
  std::vector<float> activation_alpha{};
  std::vector<float> activation_beta{};
  std::optional<float> clip{};
  bool input_forget = false;         // LSTM only
  int64_t layout = 0;                // 0: [seq, batch, ...]; 1: [batch, seq, ...]
  bool linear_before_reset = false;  // GRU only
  template <class Self, class F>
  static void fields(Self& s, F&& f) {
    f("hidden_size", s.hidden_size);
    f("direction", s.direction);
    f("activations", s.activations);
    f("activation_alpha", s.activation_alpha);
    f("activation_beta", s.activation_beta);
    f("clip", s.clip);
    f("input_forget", s.input_forget);
    f("layout", s.layout);
    f("linear_before_reset", s.linear_before_reset);
  }
  friend bool operator==(const RecurrentAttrs&, const RecurrentAttrs&) = default;
};

// Number of gates and default activation count per direction for each op.
int64_t recurrent_gate_count(OpKind op);        // RNN 1, GRU 3, LSTM 4
int64_t recurrent_activation_count(OpKind op);  // RNN 1, GRU 2, LSTM 3
// The activations of direction `dir` (0 forward / 1 reverse) with alpha/beta
// resolved: the attribute lists are consumed in order across directions, and
// functions given without parameters get the spec defaults.
std::vector<ActivationFn> resolve_activations(OpKind op, const RecurrentAttrs& attrs, int dir);

// Einsum: the equation in ONNX's (numpy's) subscript notation, e.g.
// "bhid,bhjd->bhij", "...ii->...i", "ij" (implicit output). ir/einsum.h binds
// it to the operands' ranks.
struct EinsumAttrs {
  std::string equation{};
  template <class Self, class F>
  static void fields(Self& s, F&& f) {
    f("equation", s.equation);
  }
  friend bool operator==(const EinsumAttrs&, const EinsumAttrs&) = default;
};

using Attrs = std::variant<NoAttrs, ConvAttrs, PoolAttrs, GemmAttrs, BatchNormAttrs, AlphaAttrs,
                           ClipAttrs, SoftmaxAttrs, AxisAttrs, ReshapeAttrs, TransposeAttrs,
                           AxesAttrs, SliceAttrs, DropoutAttrs, ConstantAttrs, RecurrentAttrs,
                           ShapeAttrs, ExpandAttrs, ConvTransposeAttrs, ResizeAttrs, LpAttrs,
                           AlphaBetaAttrs, SeluAttrs, ReduceAttrs, ArgReduceAttrs, LrnAttrs,
                           LayerNormAttrs, PadAttrs, CastAttrs, ConstantOfShapeAttrs, SplitAttrs,
                           TileAttrs, BlockAttrs, ModAttrs, ScatterAttrs, EinsumAttrs>;

// The default attribute value for an op (the right variant alternative, with
// op-specific defaults such as Elu's alpha = 1 and Concat's required axis).
Attrs default_attrs(OpKind op);

}  // namespace loom
