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
#include <variant>
#include <vector>

#include "ir/tensor.h"

namespace loom {

#define LOOM_OP_LIST(X)                                                                        \
  X(Conv)                                                                                      \
  X(MaxPool)                                                                                   \
  X(AveragePool)                                                                               \
  X(GlobalAveragePool)                                                                         \
  X(GlobalMaxPool) X(Gemm) X(MatMul) X(BatchNormalization) X(Add) X(Sub) X(Mul) X(Div) X(Relu) \
      X(LeakyRelu) X(Sigmoid) X(Tanh) X(Clip) X(Elu) X(Softmax) X(LogSoftmax) X(Flatten)       \
          X(Reshape) X(Transpose) X(Squeeze) X(Unsqueeze) X(Concat) X(Slice) X(Identity)       \
              X(Dropout) X(Constant) X(RNN) X(LSTM) X(GRU) X(Shape) X(Gather) X(Expand)

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
// inputs, the ops that fusion and layout decisions treat alike: Add, Sub,
// Mul, Div and the unary activations Relu, LeakyRelu, Sigmoid, Tanh, Clip, Elu.
bool is_elementwise(OpKind op);

// ---- enumerations used by attributes ----------------------------------------

enum class AutoPad : uint8_t { NotSet, SameUpper, SameLower, Valid };
enum class Direction : uint8_t { Forward, Reverse, Bidirectional };

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
template <class E>
std::optional<E> parse_enum(std::string_view name);
template <>
std::optional<AutoPad> parse_enum<AutoPad>(std::string_view name);
template <>
std::optional<Direction> parse_enum<Direction>(std::string_view name);
template <>
std::optional<Activation> parse_enum<Activation>(std::string_view name);

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

using Attrs =
    std::variant<NoAttrs, ConvAttrs, PoolAttrs, GemmAttrs, BatchNormAttrs, AlphaAttrs, ClipAttrs,
                 SoftmaxAttrs, AxisAttrs, ReshapeAttrs, TransposeAttrs, AxesAttrs, SliceAttrs,
                 DropoutAttrs, ConstantAttrs, RecurrentAttrs, ShapeAttrs, ExpandAttrs>;

// The default attribute value for an op (the right variant alternative, with
// op-specific defaults such as Elu's alpha = 1 and Concat's required axis).
Attrs default_attrs(OpKind op);

}  // namespace loom
