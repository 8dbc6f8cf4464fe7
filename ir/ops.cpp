#include "ir/ops.h"

#include <algorithm>
#include <array>
#include <cctype>
#include <utility>

namespace loom {

std::string_view op_name(OpKind op) {
  switch (op) {
#define LOOM_X(name) \
  case OpKind::name: \
    return #name;
    LOOM_OP_LIST(LOOM_X)
#undef LOOM_X
  }
  return "?";
}

std::optional<OpKind> parse_op(std::string_view name) {
  for (OpKind op : kAllOps)
    if (op_name(op) == name) return op;
  return std::nullopt;
}

bool is_unary_elementwise(OpKind op) {
  switch (op) {
    case OpKind::Relu:
    case OpKind::LeakyRelu:
    case OpKind::Sigmoid:
    case OpKind::Tanh:
    case OpKind::Clip:
    case OpKind::Elu:
    case OpKind::HardSigmoid:
    case OpKind::HardSwish:
    case OpKind::Selu:
    case OpKind::Celu:
    case OpKind::Softplus:
    case OpKind::Softsign:
    case OpKind::ThresholdedRelu:
    case OpKind::Neg:
    case OpKind::Abs:
    case OpKind::Exp:
    case OpKind::Log:
    case OpKind::Sqrt:
    case OpKind::Reciprocal:
    case OpKind::Floor:
    case OpKind::Ceil:
    case OpKind::Erf:
      return true;
    default:
      return false;
  }
}

bool is_elementwise(OpKind op) {
  if (is_unary_elementwise(op)) return true;
  switch (op) {
    case OpKind::Add:
    case OpKind::Sub:
    case OpKind::Mul:
    case OpKind::Div:
    case OpKind::Pow:
    case OpKind::PRelu:
    case OpKind::Min:
    case OpKind::Max:
    case OpKind::Sum:
    case OpKind::Mean:
    case OpKind::Equal:
    case OpKind::Less:
    case OpKind::Greater:
    case OpKind::LessOrEqual:
    case OpKind::GreaterOrEqual:
    case OpKind::Not:
    case OpKind::Where:
    case OpKind::Mod:
      return true;
    default:
      return false;
  }
}

bool is_reduce(OpKind op) {
  switch (op) {
    case OpKind::ReduceMean:
    case OpKind::ReduceMax:
    case OpKind::ReduceMin:
    case OpKind::ReduceSum:
    case OpKind::ReduceProd:
    case OpKind::ReduceL1:
    case OpKind::ReduceL2:
    case OpKind::ReduceLogSum:
    case OpKind::ReduceLogSumExp:
    case OpKind::ReduceSumSquare:
      return true;
    default:
      return false;
  }
}

namespace {
constexpr std::array<std::pair<AutoPad, std::string_view>, 4> kAutoPadNames{{
    {AutoPad::NotSet, "NOTSET"},
    {AutoPad::SameUpper, "SAME_UPPER"},
    {AutoPad::SameLower, "SAME_LOWER"},
    {AutoPad::Valid, "VALID"},
}};
constexpr std::array<std::pair<Direction, std::string_view>, 3> kDirectionNames{{
    {Direction::Forward, "forward"},
    {Direction::Reverse, "reverse"},
    {Direction::Bidirectional, "bidirectional"},
}};
constexpr std::array<std::pair<Activation, std::string_view>, 11> kActivationNames{{
    {Activation::Relu, "Relu"},
    {Activation::Tanh, "Tanh"},
    {Activation::Sigmoid, "Sigmoid"},
    {Activation::Affine, "Affine"},
    {Activation::LeakyRelu, "LeakyRelu"},
    {Activation::ThresholdedRelu, "ThresholdedRelu"},
    {Activation::ScaledTanh, "ScaledTanh"},
    {Activation::HardSigmoid, "HardSigmoid"},
    {Activation::Elu, "Elu"},
    {Activation::Softsign, "Softsign"},
    {Activation::Softplus, "Softplus"},
}};

constexpr std::array<std::pair<PadMode, std::string_view>, 4> kPadModeNames{{
    {PadMode::Constant, "constant"},
    {PadMode::Reflect, "reflect"},
    {PadMode::Edge, "edge"},
    {PadMode::Wrap, "wrap"},
}};
constexpr std::array<std::pair<DepthToSpaceMode, std::string_view>, 2> kDepthToSpaceNames{{
    {DepthToSpaceMode::DCR, "DCR"},
    {DepthToSpaceMode::CRD, "CRD"},
}};
constexpr std::array<std::pair<ResizeMode, std::string_view>, 3> kResizeModeNames{{
    {ResizeMode::Nearest, "nearest"},
    {ResizeMode::Linear, "linear"},
    {ResizeMode::Cubic, "cubic"},
}};
constexpr std::array<std::pair<CoordinateTransform, std::string_view>, 7> kCoordinateNames{{
    {CoordinateTransform::HalfPixel, "half_pixel"},
    {CoordinateTransform::PytorchHalfPixel, "pytorch_half_pixel"},
    {CoordinateTransform::AlignCorners, "align_corners"},
    {CoordinateTransform::Asymmetric, "asymmetric"},
    {CoordinateTransform::TfCropAndResize, "tf_crop_and_resize"},
    {CoordinateTransform::HalfPixelSymmetric, "half_pixel_symmetric"},
    {CoordinateTransform::TfHalfPixelForNN, "tf_half_pixel_for_nn"},
}};
constexpr std::array<std::pair<NearestMode, std::string_view>, 4> kNearestModeNames{{
    {NearestMode::RoundPreferFloor, "round_prefer_floor"},
    {NearestMode::RoundPreferCeil, "round_prefer_ceil"},
    {NearestMode::Floor, "floor"},
    {NearestMode::Ceil, "ceil"},
}};

constexpr std::array<std::pair<ScatterReduction, std::string_view>, 5> kScatterReductionNames{{
    {ScatterReduction::None, "none"},
    {ScatterReduction::Add, "add"},
    {ScatterReduction::Mul, "mul"},
    {ScatterReduction::Max, "max"},
    {ScatterReduction::Min, "min"},
}};

template <class E, size_t N>
std::string_view lookup_name(const std::array<std::pair<E, std::string_view>, N>& table, E v) {
  for (auto& [e, n] : table)
    if (e == v) return n;
  return "?";
}
template <class E, size_t N>
std::optional<E> lookup_enum(const std::array<std::pair<E, std::string_view>, N>& table,
                             std::string_view name) {
  for (auto& [e, n] : table)
    if (n == name) return e;
  return std::nullopt;
}
}  // namespace

std::string_view enum_name(AutoPad v) {
  return lookup_name(kAutoPadNames, v);
}
std::string_view enum_name(Direction v) {
  return lookup_name(kDirectionNames, v);
}
std::string_view enum_name(Activation v) {
  return lookup_name(kActivationNames, v);
}
std::string_view enum_name(PadMode v) {
  return lookup_name(kPadModeNames, v);
}
std::string_view enum_name(DepthToSpaceMode v) {
  return lookup_name(kDepthToSpaceNames, v);
}
std::string_view enum_name(ResizeMode v) {
  return lookup_name(kResizeModeNames, v);
}
std::string_view enum_name(CoordinateTransform v) {
  return lookup_name(kCoordinateNames, v);
}
std::string_view enum_name(NearestMode v) {
  return lookup_name(kNearestModeNames, v);
}
std::string_view enum_name(ScatterReduction v) {
  return lookup_name(kScatterReductionNames, v);
}
template <>
std::optional<ScatterReduction> parse_enum<ScatterReduction>(std::string_view name) {
  return lookup_enum(kScatterReductionNames, name);
}
template <>
std::optional<PadMode> parse_enum<PadMode>(std::string_view name) {
  return lookup_enum(kPadModeNames, name);
}
template <>
std::optional<DepthToSpaceMode> parse_enum<DepthToSpaceMode>(std::string_view name) {
  return lookup_enum(kDepthToSpaceNames, name);
}
template <>
std::optional<ResizeMode> parse_enum<ResizeMode>(std::string_view name) {
  return lookup_enum(kResizeModeNames, name);
}
template <>
std::optional<CoordinateTransform> parse_enum<CoordinateTransform>(std::string_view name) {
  return lookup_enum(kCoordinateNames, name);
}
template <>
std::optional<NearestMode> parse_enum<NearestMode>(std::string_view name) {
  return lookup_enum(kNearestModeNames, name);
}
template <>
std::optional<AutoPad> parse_enum<AutoPad>(std::string_view name) {
  return lookup_enum(kAutoPadNames, name);
}
template <>
std::optional<Direction> parse_enum<Direction>(std::string_view name) {
  return lookup_enum(kDirectionNames, name);
}
template <>
std::optional<Activation> parse_enum<Activation>(std::string_view name) {
  // ONNX names are case-sensitive in the spec, but exporters vary ("tanh").
  if (auto e = lookup_enum(kActivationNames, name)) return e;
  for (auto& [e, n] : kActivationNames) {
    if (n.size() != name.size()) continue;
    bool same = true;
    for (size_t i = 0; i < n.size() && same; ++i)
      same = std::tolower(static_cast<unsigned char>(n[i])) ==
             std::tolower(static_cast<unsigned char>(name[i]));
    if (same) return e;
  }
  return std::nullopt;
}

float ActivationFn::operator()(float x) const {
  switch (kind) {
    case Activation::Relu:
      return x > 0.f ? x : 0.f;
    case Activation::Tanh:
      return std::tanh(x);
    case Activation::Sigmoid:
      return 1.f / (1.f + std::exp(-x));
    case Activation::Affine:
      return alpha * x + beta;
    case Activation::LeakyRelu:
      return x >= 0.f ? x : alpha * x;
    case Activation::ThresholdedRelu:
      return x > alpha ? x : 0.f;
    case Activation::ScaledTanh:
      return alpha * std::tanh(beta * x);
    case Activation::HardSigmoid:
      return std::max(0.f, std::min(1.f, alpha * x + beta));
    case Activation::Elu:
      return x >= 0.f ? x : alpha * (std::exp(x) - 1.f);
    case Activation::Softsign:
      return x / (1.f + std::fabs(x));
    case Activation::Softplus:
      return std::log1p(std::exp(x));
  }
  return x;
}

ActivationFn default_activation(Activation kind) {
  switch (kind) {
    case Activation::LeakyRelu:
      return {kind, 0.01f, 0.f};
    case Activation::ThresholdedRelu:
      return {kind, 1.f, 0.f};
    case Activation::ScaledTanh:
      return {kind, 1.f, 1.f};
    case Activation::HardSigmoid:
      return {kind, 0.2f, 0.5f};
    case Activation::Elu:
      return {kind, 1.f, 0.f};
    case Activation::Affine:
      return {kind, 1.f, 0.f};
    default:
      return {kind, 0.f, 0.f};
  }
}

static bool uses_alpha(Activation a) {
  switch (a) {
    case Activation::LeakyRelu:
    case Activation::ThresholdedRelu:
    case Activation::ScaledTanh:
    case Activation::HardSigmoid:
    case Activation::Elu:
    case Activation::Affine:
      return true;
    default:
      return false;
  }
}
static bool uses_beta(Activation a) {
  return a == Activation::ScaledTanh || a == Activation::HardSigmoid || a == Activation::Affine;
}

int64_t recurrent_gate_count(OpKind op) {
  switch (op) {
    case OpKind::RNN:
      return 1;
    case OpKind::GRU:
      return 3;
    case OpKind::LSTM:
      return 4;
    default:
      return 0;
  }
}

int64_t recurrent_activation_count(OpKind op) {
  switch (op) {
    case OpKind::RNN:
      return 1;
    case OpKind::GRU:
      return 2;
    case OpKind::LSTM:
      return 3;
    default:
      return 0;
  }
}

std::vector<ActivationFn> resolve_activations(OpKind op, const RecurrentAttrs& attrs, int dir) {
  const int64_t per_dir = recurrent_activation_count(op);
  const int64_t num_dirs = attrs.direction == Direction::Bidirectional ? 2 : 1;
  std::vector<Activation> kinds = attrs.activations;
  if (kinds.empty()) {
    std::vector<Activation> defaults;
    if (op == OpKind::RNN) defaults = {Activation::Tanh};
    if (op == OpKind::GRU) defaults = {Activation::Sigmoid, Activation::Tanh};
    if (op == OpKind::LSTM) defaults = {Activation::Sigmoid, Activation::Tanh, Activation::Tanh};
    for (int64_t d = 0; d < num_dirs; ++d)
      kinds.insert(kinds.end(), defaults.begin(), defaults.end());
  } else if (static_cast<int64_t>(kinds.size()) == per_dir && num_dirs == 2) {
    // Some exporters give one direction's list for a bidirectional layer.
    std::vector<Activation> twice = kinds;
    twice.insert(twice.end(), kinds.begin(), kinds.end());
    kinds = twice;
  }
  std::vector<ActivationFn> all;
  size_t next_alpha = 0, next_beta = 0;
  for (Activation k : kinds) {
    ActivationFn fn = default_activation(k);
    if (uses_alpha(k) && next_alpha < attrs.activation_alpha.size())
      fn.alpha = attrs.activation_alpha[next_alpha++];
    if (uses_beta(k) && next_beta < attrs.activation_beta.size())
      fn.beta = attrs.activation_beta[next_beta++];
    all.push_back(fn);
  }
  std::vector<ActivationFn> out;
  for (int64_t i = 0; i < per_dir; ++i) {
    size_t idx = static_cast<size_t>(dir * per_dir + i);
    out.push_back(idx < all.size() ? all[idx] : default_activation(Activation::Tanh));
  }
  return out;
}

Attrs default_attrs(OpKind op) {
  switch (op) {
    case OpKind::Conv:
      return ConvAttrs{};
    case OpKind::MaxPool:
    case OpKind::AveragePool:
      return PoolAttrs{};
    case OpKind::Gemm:
      return GemmAttrs{};
    case OpKind::BatchNormalization:
      return BatchNormAttrs{};
    case OpKind::LeakyRelu:
      return AlphaAttrs{.alpha = 0.01f};
    case OpKind::Elu:
      return AlphaAttrs{.alpha = 1.f};
    case OpKind::Clip:
      return ClipAttrs{};
    case OpKind::Softmax:
    case OpKind::LogSoftmax:
      return SoftmaxAttrs{};
    case OpKind::Flatten:
      return AxisAttrs{.axis = 1};
    case OpKind::Concat:
    case OpKind::Gather:
      return AxisAttrs{.axis = 0};
    case OpKind::Reshape:
      return ReshapeAttrs{};
    case OpKind::Transpose:
      return TransposeAttrs{};
    case OpKind::Squeeze:
    case OpKind::Unsqueeze:
      return AxesAttrs{};
    case OpKind::Slice:
      return SliceAttrs{};
    case OpKind::Dropout:
      return DropoutAttrs{};
    case OpKind::Constant:
      return ConstantAttrs{};
    case OpKind::RNN:
    case OpKind::LSTM:
    case OpKind::GRU:
      return RecurrentAttrs{};
    case OpKind::Shape:
      return ShapeAttrs{};
    case OpKind::Expand:
      return ExpandAttrs{};
    case OpKind::ConvTranspose:
      return ConvTransposeAttrs{};
    case OpKind::Resize:
      return ResizeAttrs{};
    case OpKind::GlobalLpPool:
      return LpAttrs{};
    case OpKind::InstanceNormalization:
      return BatchNormAttrs{};
    case OpKind::LayerNormalization:
      return LayerNormAttrs{};
    case OpKind::LRN:
      return LrnAttrs{};
    case OpKind::HardSigmoid:
      return AlphaBetaAttrs{};
    case OpKind::Selu:
      return SeluAttrs{};
    case OpKind::Celu:
    case OpKind::ThresholdedRelu:
      return AlphaAttrs{.alpha = 1.f};
    case OpKind::ArgMax:
    case OpKind::ArgMin:
      return ArgReduceAttrs{};
    case OpKind::Pad:
      return PadAttrs{};
    case OpKind::Mod:
      return ModAttrs{};
    case OpKind::ScatterND:
      return ScatterAttrs{};
    case OpKind::Einsum:
      return EinsumAttrs{};
    case OpKind::Cast:
      return CastAttrs{};
    case OpKind::ConstantOfShape:
      return ConstantOfShapeAttrs{};
    case OpKind::Split:
      return SplitAttrs{};
    case OpKind::Tile:
      return TileAttrs{};
    case OpKind::DepthToSpace:
    case OpKind::SpaceToDepth:
      return BlockAttrs{};
    default:
      if (is_reduce(op)) return ReduceAttrs{};
      return NoAttrs{};
  }
}

}  // namespace loom
