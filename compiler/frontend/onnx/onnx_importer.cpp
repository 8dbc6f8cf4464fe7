// The ONNX importer: ModelProto -> loom::Graph. Maps each ONNX node of the
// default domain (opsets 1 to 17) to a Loom op with typed attributes, folding
// the shape-fixing tensor inputs (Reshape/Expand shape, Slice
// starts/ends/axes/steps, Squeeze/Unsqueeze axes, Clip min/max, Dropout
// training_mode) into attributes. Unsupported nodes are collected and reported
// together so a user learns everything a model needs in one run.
//
// Shape arithmetic is evaluated here instead of being imported as nodes:
// exporters compute those shape inputs from Shape(x) (PyTorch's zero initial
// state of an LSTM/GRU called without one is Shape -> Gather -> Unsqueeze ->
// Concat -> Expand), and Loom needs them as constants when it imports the
// node that reads them. Shapes are static, so Shape(x) is known from x's
// type, and a node whose inputs are all known and whose outputs are all
// int32/int64 is evaluated with the reference interpreter. Float work stays
// as nodes (the compile pipeline's fold_constants folds it), and so does a
// node that computes a graph output (its value is still known to the nodes
// that read it as an attribute input), so the imported graph of a model
// without shape arithmetic does not change.
//
// Opsets before 7 differ in ways that are rewritten here rather than carried
// into the IR: the legacy `broadcast`/`axis` of Add/Sub/Mul/Div becomes numpy
// broadcasting by reshaping the second operand, `is_test`/`consumed_inputs`
// are checked or dropped, and attributes are accepted only in the opsets whose
// operator version defines them.
#include "compiler/frontend/onnx/onnx_importer.h"

#include <filesystem>
#include <limits>
#include <unordered_map>
#include <unordered_set>

#include <fmt/format.h>

#include "compiler/frontend/onnx/onnx_model_proto.h"
#include "compiler/frontend/onnx/onnx_tensor.h"
#include "compiler/frontend/onnx/read_file.h"
#include "compiler/passes/passes.h"
#include "ir/interpreter.h"
#include "ir/op_signature.h"
#include "ir/shape_inference.h"

namespace loom {

using onnx_frontend::dtype_from_onnx;
using onnx_frontend::onnx_type_name;
using onnx_frontend::tensor_from_proto;

namespace {

constexpr int64_t kMinOpset = 1;
constexpr int64_t kMaxOpset = 17;

bool is_default_domain(const std::string& domain) {
  return domain.empty() || domain == "ai.onnx";
}

// The default-domain opset the model imports; nullopt if it imports none.
std::optional<int64_t> default_opset(const onnx::ModelProto& model) {
  for (const auto& imp : model.opset_import())
    if (is_default_domain(imp.domain())) return imp.version();
  return std::nullopt;
}

// ONNX inputs that Loom takes as attributes, so they must be constants.
bool is_attribute_input(const std::string& op, int64_t opset, size_t index) {
  if (op == "Reshape") return opset >= 5 && index == 1;
  if (op == "Expand") return index == 1;
  if (op == "Slice") return opset >= 10 && index >= 1;
  if (op == "Squeeze" || op == "Unsqueeze") return opset >= 13 && index == 1;
  if (op == "Clip") return opset >= 11 && index >= 1;
  if (op == "Dropout") return opset >= 12 && index >= 1;
  if (op == "ReduceSum") return opset >= 13 && index == 1;
  if (op.rfind("Reduce", 0) == 0) return opset >= 18 && index == 1;
  if (op == "Pad") return opset >= 11 && index >= 1;
  if (op == "ConstantOfShape") return index == 0;
  if (op == "Split") return opset >= 13 && index == 1;
  if (op == "Tile") return index == 1;
  if (op == "Resize") return index >= 1;
  if (op == "Upsample") return opset >= 9 && index == 1;
  return false;
}

// The opsets [since, until) in which an attribute exists, for attributes that
// some versions of an op lack; an attribute outside its range is not part of
// the operator the model's opset selects.
struct AttrRange {
  const char* op;
  const char* attr;
  int64_t since;
  int64_t until;
};

constexpr int64_t kNoEnd = std::numeric_limits<int64_t>::max();

constexpr AttrRange kAttrRanges[] = {
    {"Add", "consumed_inputs", 1, 6},
    {"Sub", "consumed_inputs", 1, 6},
    {"Mul", "consumed_inputs", 1, 6},
    {"Div", "consumed_inputs", 1, 6},
    {"Relu", "consumed_inputs", 1, 6},
    {"Sigmoid", "consumed_inputs", 1, 6},
    {"Tanh", "consumed_inputs", 1, 6},
    {"LeakyRelu", "consumed_inputs", 1, 6},
    {"Elu", "consumed_inputs", 1, 6},
    {"Clip", "consumed_inputs", 1, 6},
    {"Dropout", "consumed_inputs", 1, 6},
    {"BatchNormalization", "consumed_inputs", 1, 6},
    {"Reshape", "consumed_inputs", 1, 5},
    {"Add", "broadcast", 1, 7},
    {"Sub", "broadcast", 1, 7},
    {"Mul", "broadcast", 1, 7},
    {"Div", "broadcast", 1, 7},
    {"Gemm", "broadcast", 1, 7},
    {"Add", "axis", 1, 7},
    {"Sub", "axis", 1, 7},
    {"Mul", "axis", 1, 7},
    {"Div", "axis", 1, 7},
    {"BatchNormalization", "is_test", 1, 7},
    {"Dropout", "is_test", 1, 7},
    {"BatchNormalization", "spatial", 1, 9},
    {"BatchNormalization", "training_mode", 14, kNoEnd},
    {"RNN", "output_sequence", 1, 7},
    {"GRU", "output_sequence", 1, 7},
    {"LSTM", "output_sequence", 1, 7},
    {"GRU", "linear_before_reset", 3, kNoEnd},
    {"RNN", "layout", 14, kNoEnd},
    {"GRU", "layout", 14, kNoEnd},
    {"LSTM", "layout", 14, kNoEnd},
    {"Reshape", "shape", 1, 5},
    {"Reshape", "allowzero", 14, kNoEnd},
    {"MaxPool", "storage_order", 8, kNoEnd},
    {"MaxPool", "dilations", 10, kNoEnd},
    {"MaxPool", "ceil_mode", 10, kNoEnd},
    {"AveragePool", "count_include_pad", 7, kNoEnd},
    {"AveragePool", "ceil_mode", 10, kNoEnd},
    {"Clip", "min", 1, 11},
    {"Clip", "max", 1, 11},
    {"Slice", "starts", 1, 10},
    {"Slice", "ends", 1, 10},
    {"Slice", "axes", 1, 10},
    {"Squeeze", "axes", 1, 13},
    {"Unsqueeze", "axes", 1, 13},
    {"Dropout", "ratio", 1, 12},
    {"Dropout", "seed", 12, kNoEnd},
    {"Constant", "sparse_value", 11, kNoEnd},
    {"Constant", "value_float", 12, kNoEnd},
    {"Constant", "value_floats", 12, kNoEnd},
    {"Constant", "value_int", 12, kNoEnd},
    {"Constant", "value_ints", 12, kNoEnd},
    {"Constant", "value_string", 12, kNoEnd},
    {"Constant", "value_strings", 12, kNoEnd},
    {"Shape", "start", 15, kNoEnd},
    {"Shape", "end", 15, kNoEnd},
};

bool has_attribute_range(const std::string& op, const char* attr) {
  for (const auto& r : kAttrRanges)
    if (op == r.op && std::string_view(attr) == r.attr) return true;
  return false;
}

// Throws UnsupportedError for the first attribute of `node` that the operator
// version selected by `opset` does not define.
void check_attribute_opsets(const onnx::NodeProto& node, int64_t opset) {
  for (const auto& a : node.attribute())
    for (const auto& r : kAttrRanges)
      if (node.op_type() == r.op && a.name() == r.attr && (opset < r.since || opset >= r.until)) {
        std::string range = r.until == kNoEnd
                                ? fmt::format("from opset {}", r.since)
                                : fmt::format("in opsets {} to {}", r.since, r.until - 1);
        throw UnsupportedError(
            fmt::format("attribute '{}' of {} exists only {}; the model uses opset {}", r.attr,
                        r.op, range, opset));
      }
}

std::string attr_type_name(int t) {
  using A = onnx::AttributeProto;
  if (A::AttributeType_IsValid(t)) return A::AttributeType_Name(static_cast<A::AttributeType>(t));
  return fmt::format("type {}", t);
}

// Reads a node's attributes by name and type, remembering which were read so
// that attributes Loom does not know are reported rather than silently dropped.
class AttrReader {
 public:
  AttrReader(const onnx::NodeProto& node, ErrorSite site) : node_(node), site_(std::move(site)) {
    for (const auto& a : node.attribute()) {
      if (a.name().empty()) throw ParseError("an attribute has an empty name", site_);
      if (!by_name_.emplace(a.name(), &a).second)
        throw ParseError(fmt::format("attribute '{}' is given twice", a.name()), site_);
    }
  }

  bool has(const std::string& name) const { return by_name_.count(name) != 0; }
  void ignore(const std::string& name) { read_.insert(name); }

  std::optional<int64_t> get_int(const std::string& name) {
    const auto* a = get(name, onnx::AttributeProto::INT);
    return a ? std::optional<int64_t>(a->i()) : std::nullopt;
  }
  std::optional<float> get_float(const std::string& name) {
    const auto* a = get(name, onnx::AttributeProto::FLOAT);
    return a ? std::optional<float>(a->f()) : std::nullopt;
  }
  std::optional<std::string> get_string(const std::string& name) {
    const auto* a = get(name, onnx::AttributeProto::STRING);
    return a ? std::optional<std::string>(a->s()) : std::nullopt;
  }
  std::optional<std::vector<int64_t>> get_ints(const std::string& name) {
    const auto* a = get(name, onnx::AttributeProto::INTS);
    if (!a) return std::nullopt;
    return std::vector<int64_t>(a->ints().begin(), a->ints().end());
  }
  std::optional<std::vector<float>> get_floats(const std::string& name) {
    const auto* a = get(name, onnx::AttributeProto::FLOATS);
    if (!a) return std::nullopt;
    return std::vector<float>(a->floats().begin(), a->floats().end());
  }
  std::optional<std::vector<std::string>> get_strings(const std::string& name) {
    const auto* a = get(name, onnx::AttributeProto::STRINGS);
    if (!a) return std::nullopt;
    return std::vector<std::string>(a->strings().begin(), a->strings().end());
  }
  const onnx::TensorProto* get_tensor(const std::string& name) {
    const auto* a = get(name, onnx::AttributeProto::TENSOR);
    return a ? &a->t() : nullptr;
  }
  bool get_bool(const std::string& name, bool fallback) {
    auto v = get_int(name);
    if (!v) return fallback;
    if (*v != 0 && *v != 1)
      throw ParseError(fmt::format("attribute '{}' is {}, expected 0 or 1", name, *v), site_);
    return *v == 1;
  }

  std::vector<std::string> unread() const {
    std::vector<std::string> names;
    for (const auto& a : node_.attribute())
      if (!read_.count(a.name())) names.push_back(a.name());
    return names;
  }

 private:
  const onnx::AttributeProto* get(const std::string& name,
                                  onnx::AttributeProto::AttributeType want) {
    auto it = by_name_.find(name);
    if (it == by_name_.end()) return nullptr;
    read_.insert(name);
    const onnx::AttributeProto* a = it->second;
    if (a->type() == want) return a;
    // Models from before IR version 2 may leave the type unset; accept the
    // value if the matching field is the one filled in.
    if (a->type() == onnx::AttributeProto::UNDEFINED) {
      using A = onnx::AttributeProto;
      bool ok = (want == A::INT && a->has_i()) || (want == A::FLOAT && a->has_f()) ||
                (want == A::STRING && a->has_s()) || (want == A::TENSOR && a->has_t()) ||
                (want == A::INTS && a->ints_size() > 0) ||
                (want == A::FLOATS && a->floats_size() > 0) ||
                (want == A::STRINGS && a->strings_size() > 0);
      if (ok) return a;
    }
    throw ParseError(fmt::format("attribute '{}' is {}, expected {}", name,
                                 attr_type_name(a->type()), attr_type_name(want)),
                     site_);
  }

  const onnx::NodeProto& node_;
  ErrorSite site_;
  std::unordered_map<std::string, const onnx::AttributeProto*> by_name_;
  std::unordered_set<std::string> read_;
};

// Thrown when a constant input comes from a node that could not be imported.
struct PoisonedInput {};

// Rules of opsets before 7 that need the types of a node's inputs, so they
// are applied while the node is built rather than when its attributes are read.
enum class LegacyRule : uint8_t {
  None,
  SameShape,         // Add/Sub/Mul/Div without broadcast: both inputs have one shape
  Broadcast,         // Add/Sub/Mul/Div with broadcast = 1 (axis in legacy_axis)
  GemmExactC,        // Gemm without broadcast: C is exactly [M, N]
  BatchNormPerValue  // BatchNormalization with spatial = 0
};

// One ONNX node translated to Loom terms.
struct Converted {
  OpKind op = OpKind::Identity;
  Attrs attrs;
  std::vector<std::string> inputs;  // tensor inputs in Loom's order; "" absent
  std::optional<Tensor> constant;   // the value of a Constant node
  LegacyRule legacy = LegacyRule::None;
  std::optional<int64_t> legacy_axis;  // LegacyRule::Broadcast: where B lines up with A
};

std::vector<OnnxInputInfo> analyze_inputs(const onnx::ModelProto& model) {
  const auto& g = model.graph();
  const int64_t opset = default_opset(model).value_or(kMaxOpset);
  std::unordered_set<std::string> initializers;
  for (const auto& t : g.initializer())
    initializers.insert(t.name());
  std::unordered_set<std::string> value_inputs;
  for (const auto& n : g.node())
    for (int i = 0; i < n.input_size(); ++i)
      if (is_attribute_input(n.op_type(), opset, static_cast<size_t>(i)))
        value_inputs.insert(n.input(i));

  std::vector<OnnxInputInfo> infos;
  for (const auto& in : g.input()) {
    if (initializers.count(in.name())) continue;
    OnnxInputInfo info;
    info.name = in.name();
    info.needs_value = value_inputs.count(in.name()) != 0;
    if (!in.type().has_tensor_type()) {
      info.unsupported = fmt::format("graph input '{}' is not a tensor", in.name());
    } else {
      const auto& tt = in.type().tensor_type();
      info.dtype = dtype_from_onnx(tt.elem_type());
      if (!info.dtype)
        info.unsupported = fmt::format("graph input '{}' has element type {}", in.name(),
                                       onnx_type_name(tt.elem_type()));
      info.has_shape = tt.has_shape();
      for (const auto& d : tt.shape().dim())
        info.dims.push_back(d.has_dim_value() && d.dim_value() >= 0
                                ? std::optional<int64_t>(d.dim_value())
                                : std::nullopt);
    }
    infos.push_back(std::move(info));
  }
  return infos;
}

class Importer {
 public:
  Importer(const onnx::ModelProto& model, const ImportOptions& options, std::string base_dir)
      : model_(model),
        graph_proto_(model.graph()),
        options_(options),
        base_dir_(std::move(base_dir)) {}

  Graph run() {
    read_opset();
    g_.name = graph_proto_.name().empty() ? "model" : graph_proto_.name();
    read_initializers();
    read_inputs();
    name_nodes();
    collect_onnx_names();
    for (int i = 0; i < graph_proto_.node_size(); ++i)
      import_node(static_cast<size_t>(i));
    if (problems_.size() == 1)
      throw UnsupportedError(fmt::format("{} (model opset {})", first_problem_, opset_),
                             first_problem_site_);
    if (!problems_.empty()) {
      std::string list;
      for (const auto& p : problems_)
        list += "\n  " + p;
      throw UnsupportedError(
          fmt::format("the model has {} nodes Loom does not support:{}", problems_.size(), list));
    }
    read_outputs();
    infer_shapes(g_);
    return std::move(g_);
  }

 private:
  // ---- model-level pieces -------------------------------------------------

  void read_opset() {
    auto v = default_opset(model_);
    if (!v)
      throw UnsupportedError(
          "the model imports no opset of the default ONNX domain (\"\" or \"ai.onnx\")");
    if (*v < kMinOpset || *v > kMaxOpset)
      throw UnsupportedError(fmt::format(
          "the model uses opset {} of the default ONNX domain; Loom supports opsets {} to {}", *v,
          kMinOpset, kMaxOpset));
    opset_ = *v;
  }

  void read_initializers() {
    for (const auto& t : graph_proto_.initializer()) {
      if (t.name().empty()) throw ParseError("an initializer has an empty name");
      std::string what = fmt::format("initializer '{}'", t.name());
      if (constants_.count(t.name()))
        throw ParseError(fmt::format("{} is defined more than once", what));
      constants_.emplace(t.name(), tensor_from_proto(t, base_dir_, what));
    }
    if (graph_proto_.sparse_initializer_size() > 0)
      throw UnsupportedError(fmt::format("sparse initializer '{}'",
                                         graph_proto_.sparse_initializer(0).values().name()));
  }

  void read_inputs() {
    std::unordered_set<std::string> onnx_inputs;
    for (const auto& in : graph_proto_.input())
      onnx_inputs.insert(in.name());
    for (const auto& [name, shape] : options_.input_shapes)
      if (!onnx_inputs.count(name) || constants_.count(name))
        throw UsageError(
            fmt::format("a shape is pinned for '{}', which is not an input of the model", name));
    for (const auto& [name, value] : options_.known_input_values)
      if (!onnx_inputs.count(name))
        throw UsageError(
            fmt::format("a value is pinned for '{}', which is not an input of the model", name));

    std::vector<std::string> unpinned;
    for (const auto& in : graph_proto_.input()) {
      const std::string& name = in.name();
      if (name.empty()) throw ParseError("a graph input has an empty name");
      // An input that is also an initializer is a constant with a default
      // (the ONNX IR < 4 convention); Loom specializes on the default.
      if (auto init = constants_.find(name); init != constants_.end()) {
        // A pinned value replaces the default, as feeding the input would.
        auto pinned = options_.known_input_values.find(name);
        if (pinned != options_.known_input_values.end()) {
          if (!pinned->second.defined() || pinned->second.type() != init->second.type())
            throw InputError(
                fmt::format(
                    "pinned value for input '{}' is {}, its initializer is {}", name,
                    pinned->second.defined() ? type_str(pinned->second.type()) : "undefined",
                    type_str(init->second.type())),
                ErrorSite{{}, {}, name});
          init->second = pinned->second;
        }
        continue;
      }
      if (defined_.count(name))
        throw ParseError(fmt::format("graph input '{}' is listed twice", name));
      TensorType declared = declared_type(in, unpinned);
      auto pinned = options_.known_input_values.find(name);
      if (pinned != options_.known_input_values.end()) {
        check_pinned_value(in, declared, pinned->second);
        constants_.emplace(name, pinned->second);
        continue;
      }
      ValueId id = g_.add_value(name, declared);
      g_.inputs.push_back(id);
      ids_[name] = id;
      defined_.insert(name);
    }
    if (!unpinned.empty()) {
      std::string list;
      for (const auto& u : unpinned)
        list += "\n  " + u;
      throw UsageError(
          fmt::format("the model has symbolic input dimensions; pin them with --shape NAME=DIMS "
                      "(ImportOptions::input_shapes):{}",
                      list));
    }
  }

  // The declared type of a graph input with pinned dimensions applied. Inputs
  // left symbolic are described in `unpinned` (and get a placeholder shape).
  TensorType declared_type(const onnx::ValueInfoProto& in, std::vector<std::string>& unpinned) {
    const std::string& name = in.name();
    ErrorSite site{{}, {}, name};
    if (!in.type().has_tensor_type())
      throw UnsupportedError(
          "graph input is not a tensor (sequences, maps and optionals are not "
          "supported)",
          site);
    const auto& tt = in.type().tensor_type();
    auto dtype = dtype_from_onnx(tt.elem_type());
    if (!dtype)
      throw UnsupportedError(fmt::format("graph input has element type {}, which Loom does not "
                                         "support",
                                         onnx_type_name(tt.elem_type())),
                             site);
    auto pin = options_.input_shapes.find(name);
    const bool value_pinned = options_.known_input_values.count(name) != 0;
    if (!tt.has_shape()) {
      if (pin != options_.input_shapes.end()) return {*dtype, pin->second};
      if (value_pinned) return {*dtype, options_.known_input_values.at(name).shape()};
      unpinned.push_back(fmt::format("input '{}' has no declared shape", name));
      return {*dtype, {}};
    }
    Shape shape;
    std::vector<std::string> symbolic;
    std::string dims_text;
    for (int i = 0; i < tt.shape().dim_size(); ++i) {
      const auto& d = tt.shape().dim(i);
      if (d.has_dim_value() && d.dim_value() < 0)
        throw ParseError(fmt::format("graph input has negative dimension {}", d.dim_value()), site);
      std::string text = d.has_dim_value()   ? std::to_string(d.dim_value())
                         : d.has_dim_param() ? d.dim_param()
                                             : "?";
      dims_text += (i ? "," : "") + text;
      if (d.has_dim_value()) {
        shape.push_back(d.dim_value());
      } else {
        shape.push_back(-1);
        symbolic.push_back(fmt::format("'{}' (dimension {})", text, i));
      }
    }
    if (pin != options_.input_shapes.end()) {
      const Shape& want = pin->second;
      if (want.size() != shape.size())
        throw ShapeError(
            fmt::format("pinned shape {} has rank {}, the model declares [{}] (rank {})",
                        shape_str(want), want.size(), dims_text, shape.size()),
            site);
      for (size_t i = 0; i < shape.size(); ++i)
        if (shape[i] >= 0 && shape[i] != want[i])
          throw ShapeError(fmt::format("pinned shape {} disagrees with the model's [{}] in "
                                       "dimension {}: expected {}, got {}",
                                       shape_str(want), dims_text, i, shape[i], want[i]),
                           site);
      return {*dtype, want};
    }
    if (!symbolic.empty()) {
      if (value_pinned) return {*dtype, options_.known_input_values.at(name).shape()};
      std::string dims;
      for (const auto& s : symbolic)
        dims += (dims.empty() ? "" : ", ") + s;
      unpinned.push_back(fmt::format("input '{}' [{}]: symbolic {}", name, dims_text, dims));
    }
    return {*dtype, shape};
  }

  void check_pinned_value(const onnx::ValueInfoProto& in, const TensorType& declared,
                          const Tensor& value) {
    ErrorSite site{{}, {}, in.name()};
    bool ok = value.defined() && value.dtype() == declared.dtype &&
              value.shape().size() == declared.shape.size();
    for (size_t i = 0; ok && i < declared.shape.size(); ++i)
      ok = declared.shape[i] < 0 || declared.shape[i] == value.shape()[i];
    if (!ok)
      throw InputError(
          fmt::format("pinned value for input '{}' is {}, the model declares {}", in.name(),
                      value.defined() ? type_str(value.type()) : "undefined", type_str(declared)),
          site);
  }

  void name_nodes() {
    std::unordered_set<std::string> taken;
    for (const auto& n : graph_proto_.node())
      if (!n.name().empty()) taken.insert(n.name());
    std::unordered_set<std::string> used;
    for (int i = 0; i < graph_proto_.node_size(); ++i) {
      const auto& n = graph_proto_.node(i);
      std::string name = n.name();
      if (name.empty() || used.count(name)) {
        std::string base = fmt::format("{}_{}", n.op_type().empty() ? "node" : n.op_type(), i);
        name = base;
        for (int k = 1; taken.count(name) || used.count(name); ++k)
          name = fmt::format("{}_{}", base, k);
      }
      used.insert(name);
      node_names_.push_back(name);
    }
  }

  // ---- values -------------------------------------------------------------

  // The Loom value for an ONNX tensor name used as a real (tensor) input,
  // materializing constants on first use so that constants folded into
  // attributes leave nothing behind.
  ValueId resolve(const std::string& name, const ErrorSite& site, size_t index) {
    if (name.empty()) return kNoValue;
    if (auto it = ids_.find(name); it != ids_.end()) return it->second;
    if (auto it = constants_.find(name); it != constants_.end()) {
      ValueId id = g_.add_constant(name, it->second);
      ids_[name] = id;
      return id;
    }
    if (auto it = pending_constant_nodes_.find(name); it != pending_constant_nodes_.end()) {
      g_.add_node(it->second.node_name, OpKind::Constant, ConstantAttrs{it->second.value}, {},
                  {name});
      ValueId id = g_.nodes.back().outputs[0];
      ids_[name] = id;
      return id;
    }
    throw_undefined(name, site, index);
  }

  [[noreturn]] void throw_undefined(const std::string& name, ErrorSite site, size_t index) const {
    site.tensor = name;
    throw VerifyError(fmt::format("input {} '{}' is not defined: no graph input, initializer or "
                                  "earlier node produces it",
                                  index, name),
                      site);
  }

  // Names for values and nodes the importer adds itself (legacy rewrites):
  // unused by the model anywhere, so a later ONNX node cannot collide.
  void collect_onnx_names() {
    auto add = [&](const std::string& n) {
      if (!n.empty()) onnx_names_.insert(n);
    };
    for (const auto& v : graph_proto_.input())
      add(v.name());
    for (const auto& v : graph_proto_.output())
      add(v.name());
    for (const auto& t : graph_proto_.initializer())
      add(t.name());
    for (const auto& n : graph_proto_.node()) {
      for (const auto& v : n.input())
        add(v);
      for (const auto& v : n.output())
        add(v);
    }
    for (const auto& n : node_names_)
      add(n);
  }

  std::string fresh_name(const std::string& base) {
    std::string name = base;
    for (int k = 1; onnx_names_.count(name) || g_.find_value(name); ++k)
      name = fmt::format("{}_{}", base, k);
    onnx_names_.insert(name);
    return name;
  }

  // The value of an ONNX tensor known at import time (initializer, Constant
  // node or pinned input); null otherwise.
  const Tensor* known_constant(const std::string& name) const {
    if (auto it = constants_.find(name); it != constants_.end()) return &it->second;
    if (auto it = pending_constant_nodes_.find(name); it != pending_constant_nodes_.end())
      return &it->second.value;
    return nullptr;
  }

  // The type of a value while the graph is still being built: graph inputs
  // and constants carry theirs; node outputs are inferred on demand (the
  // final infer_shapes recomputes them). Every input shape is static by now.
  const TensorType& type_now(ValueId id) {
    for (; typed_nodes_ < g_.nodes.size() && !g_.value(id).type; ++typed_nodes_) {
      Node& n = g_.nodes[typed_nodes_];
      std::vector<std::optional<TensorType>> in_types;
      for (ValueId in : n.inputs)
        in_types.push_back(in == kNoValue ? std::nullopt
                                          : std::optional<TensorType>(g_.type_of(in)));
      auto out_types = infer_node_types(g_, n, in_types);
      for (size_t i = 0; i < n.outputs.size() && i < out_types.size(); ++i)
        if (n.outputs[i] != kNoValue) g_.value(n.outputs[i]).type = out_types[i];
    }
    return g_.type_of(id);
  }

  TensorType type_of_name(const std::string& name, const ErrorSite& site, size_t index) {
    if (const Tensor* t = known_constant(name)) return t->type();
    return type_now(resolve(name, site, index));
  }

  // ONNX tensor `name` as a Loom value of shape `shape` (same element count):
  // a reshaped constant when its value is known, else a Reshape node.
  ValueId resolve_reshaped(const std::string& name, const Shape& shape, const ErrorSite& site,
                           size_t index) {
    if (const Tensor* t = known_constant(name)) {
      if (t->shape() == shape) return resolve(name, site, index);
      return g_.add_constant(fresh_name(name + "_legacy_reshaped"), t->reshaped(shape));
    }
    ValueId v = resolve(name, site, index);
    if (type_now(v).shape == shape) return v;
    g_.add_node(fresh_name(fmt::format("{}_legacy_reshape_{}", site.node, index)), OpKind::Reshape,
                ReshapeAttrs{.shape = shape, .allow_zero = true}, {v},
                {fresh_name(name + "_legacy_reshaped")});
    return g_.nodes.back().outputs[0];
  }

  // ---- rules of opsets before 7 --------------------------------------------

  void apply_legacy_inputs(const Converted& c, std::vector<ValueId>& ins, const ErrorSite& site) {
    const bool binary = c.inputs.size() == 2 && !c.inputs[0].empty() && !c.inputs[1].empty();
    if (c.legacy == LegacyRule::SameShape && binary) {
      ins[1] = resolve(c.inputs[1], site, 1);
      const Shape a = type_now(ins[0]).shape;
      const Shape b = type_now(ins[1]).shape;
      if (a != b)
        throw ShapeError(fmt::format("without broadcast = 1, {} at opset {} needs inputs of one "
                                     "shape; A is {}, B is {}",
                                     site.op, opset_, shape_str(a), shape_str(b)),
                         site);
      return;
    }
    if (c.legacy == LegacyRule::Broadcast && binary) {
      legacy_broadcast(c, ins, site);
      return;
    }
    if (c.legacy == LegacyRule::BatchNormPerValue && c.inputs.size() == 5 && !c.inputs[0].empty()) {
      batchnorm_per_value(c, ins, site);
      return;
    }
    for (size_t i = 1; i < c.inputs.size(); ++i)
      ins[i] = resolve(c.inputs[i], site, i);
  }

  // Legacy broadcasting: B's shape is a run of A's dimensions starting at
  // `axis` (default: A's last dimensions), or B holds one element. The spec
  // text says size-1 dimensions of B do not expand yet, but ONNX's own test
  // data (pytorch-operator/test_operator_add_size1_*) expands them, so they
  // do here. Numpy broadcasting aligns shapes at the end, so B gets trailing
  // 1s for A's dimensions after the run.
  void legacy_broadcast(const Converted& c, std::vector<ValueId>& ins, const ErrorSite& site) {
    const Shape a = type_now(ins[0]).shape;
    const Shape b = type_of_name(c.inputs[1], site, 1).shape;
    const auto ra = static_cast<int64_t>(a.size());
    const auto rb = static_cast<int64_t>(b.size());
    int64_t numel_b = 1;
    for (int64_t d : b)
      numel_b *= d;
    if (rb > ra)
      throw ShapeError(fmt::format("broadcast = 1 needs B's rank at most A's; A is {}, B is {}",
                                   shape_str(a), shape_str(b)),
                       site);
    if (numel_b == 1) {
      ins[1] = resolve(c.inputs[1], site, 1);
      return;
    }
    const int64_t axis = c.legacy_axis.value_or(ra - rb);
    if (axis < 0 || axis > ra - rb)
      throw ShapeError(fmt::format("axis {} does not place B {} inside A {}: expected 0 to {}",
                                   axis, shape_str(b), shape_str(a), ra - rb),
                       site);
    for (int64_t i = 0; i < rb; ++i)
      if (b[static_cast<size_t>(i)] != a[static_cast<size_t>(axis + i)] &&
          b[static_cast<size_t>(i)] != 1)
        throw ShapeError(
            fmt::format("with broadcast = 1 and axis {}, B {} must match A {} (equal or 1) in "
                        "dimensions {} to {}; dimension {} of B is {}, of A {}",
                        axis, shape_str(b), shape_str(a), axis, axis + rb - 1, i,
                        b[static_cast<size_t>(i)], a[static_cast<size_t>(axis + i)]),
            site);
    Shape target = b;
    target.resize(static_cast<size_t>(ra - axis), 1);
    ins[1] = resolve_reshaped(c.inputs[1], target, site, 1);
  }

  // spatial = 0 keeps statistics per value ([C, D1, ...]); that is the
  // per-channel op when X has no dimensions after C or they are all 1.
  void batchnorm_per_value(const Converted& c, std::vector<ValueId>& ins, const ErrorSite& site) {
    const Shape x = type_now(ins[0]).shape;
    bool trivial = true;
    for (size_t i = 2; i < x.size(); ++i)
      trivial &= x[i] == 1;
    if (!trivial)
      throw UnsupportedError(fmt::format(
          "spatial = 0 (statistics per value) is not supported for X of shape {}; Loom supports "
          "it only when X has no dimensions after the channel or they are all 1",
          shape_str(x)));
    const int64_t channels = x.size() >= 2 ? x[1] : 1;
    for (size_t i = 1; i < 5; ++i) {
      if (c.inputs[i].empty()) continue;
      const Shape p = type_of_name(c.inputs[i], site, i).shape;
      int64_t numel = 1;
      for (int64_t d : p)
        numel *= d;
      // A mismatched element count is left for shape inference to report.
      ins[i] = numel == channels ? resolve_reshaped(c.inputs[i], {channels}, site, i)
                                 : resolve(c.inputs[i], site, i);
    }
  }

  void check_gemm_exact_c(size_t node_index, const ErrorSite& site) {
    const Node& n = g_.nodes[node_index];
    if (!n.has_input(2) || !n.has_output(0)) return;
    const ValueId out = n.outputs[0];
    const ValueId cin = n.inputs[2];
    const Shape y = type_now(out).shape;
    const Shape cs = type_now(cin).shape;
    if (y != cs)
      throw ShapeError(fmt::format("without broadcast = 1, Gemm at opset {} needs C of shape "
                                   "[M, N] = {}, got {}",
                                   opset_, shape_str(y), shape_str(cs)),
                       site);
  }

  bool is_defined(const std::string& name) const {
    return ids_.count(name) || constants_.count(name) || pending_constant_nodes_.count(name) ||
           poisoned_.count(name);
  }

  // ---- nodes --------------------------------------------------------------

  void import_node(size_t index) {
    const onnx::NodeProto& node = graph_proto_.node(static_cast<int>(index));
    const std::string& name = node_names_[index];
    ErrorSite site{name, node.op_type(), {}};
    bool poisoned_input = false;
    for (const auto& in : node.input())
      poisoned_input |= poisoned_.count(in) != 0;
    try {
      if (!is_default_domain(node.domain()))
        throw UnsupportedError(
            fmt::format("domain '{}' is not supported (Loom reads the default ONNX domain only)",
                        node.domain()));
      // Upsample (opsets 7-9) is Resize with asymmetric coordinates.
      auto op = node.op_type() == "Upsample" ? std::optional<OpKind>(OpKind::Resize)
                                             : parse_op(node.op_type());
      if (!op) throw UnsupportedError(fmt::format("op {} is not supported", node.op_type()));
      std::optional<Converted> converted;
      try {
        converted = convert(node, *op, site);
      } catch (const PoisonedInput&) {
        poisoned_input = true;
      }
      if (poisoned_input) {
        // Downstream of an unsupported node: its own op and attributes have
        // been checked; it cannot be built without the missing inputs.
        poison_outputs(node);
        return;
      }
      Converted& c = *converted;
      define_outputs(node, site);
      if (c.op == OpKind::Constant) {
        if (node.output_size() != 1 || node.output(0).empty())
          throw ParseError("Constant must have exactly one output", site);
        pending_constant_nodes_[node.output(0)] = {name, *c.constant};
        return;
      }
      if (fold_at_import(node, c, site)) return;
      std::vector<ValueId> ins;
      for (size_t i = 0; i < c.inputs.size(); ++i)
        ins.push_back(c.legacy != LegacyRule::None && i > 0 ? kNoValue
                                                            : resolve(c.inputs[i], site, i));
      if (c.legacy != LegacyRule::None) apply_legacy_inputs(c, ins, site);
      while (!ins.empty() && ins.back() == kNoValue)
        ins.pop_back();
      std::vector<std::string> outs(node.output().begin(), node.output().end());
      while (!outs.empty() && outs.back().empty())
        outs.pop_back();
      g_.add_node(name, c.op, std::move(c.attrs), std::move(ins), outs);
      const Node& added = g_.nodes.back();
      for (size_t i = 0; i < outs.size(); ++i)
        if (!outs[i].empty()) ids_[outs[i]] = added.outputs[i];
      if (c.legacy == LegacyRule::GemmExactC) check_gemm_exact_c(g_.nodes.size() - 1, site);
    } catch (const UnsupportedError& e) {
      if (problems_.empty()) first_problem_site_ = site, first_problem_ = e.detail();
      problems_.push_back(
          fmt::format("node '{}' ({}, opset {}): {}", name, node.op_type(), opset_, e.detail()));
      poison_outputs(node);
    }
  }

  // Evaluates shape arithmetic (see the top of this file) and registers its
  // outputs as known constants; false when the node is to be imported.
  bool fold_at_import(const onnx::NodeProto& node, const Converted& c, const ErrorSite& site) {
    std::vector<std::string> outs(node.output().begin(), node.output().end());
    while (!outs.empty() && outs.back().empty())
      outs.pop_back();
    bool computes_graph_output = false;
    for (const auto& o : graph_proto_.output())
      for (const std::string& out : outs)
        computes_graph_output |= !out.empty() && o.name() == out;
    std::vector<std::string> ins = c.inputs;
    while (!ins.empty() && ins.back().empty())
      ins.pop_back();
    // A node of the wrong arity is imported, so that verification names it.
    const OpSignature sig = op_signature(c.op);
    if (c.legacy != LegacyRule::None || ins.empty() ||
        static_cast<int>(ins.size()) < sig.min_inputs ||
        static_cast<int>(ins.size()) > sig.max_inputs || outs.empty() ||
        static_cast<int>(outs.size()) > sig.max_outputs)
      return false;
    if (c.op == OpKind::Shape) {
      // Every input shape is pinned by now and every node output is inferred
      // from them, so x's type, and with it Shape(x), is always known.
      const TensorType x = type_of_name(ins[0], site, 0);
      const std::vector<int64_t> dims = shape_op_dims(std::get<ShapeAttrs>(c.attrs), x.shape);
      constants_.emplace(outs[0],
                         Tensor::from_vector<int64_t>({static_cast<int64_t>(dims.size())}, dims));
      return !computes_graph_output;
    }
    std::vector<const Tensor*> args;
    for (const std::string& in : ins) {
      if (in.empty()) {
        args.push_back(nullptr);
        continue;
      }
      const Tensor* t = known_constant(in);
      if (!t) return false;
      args.push_back(t);
    }
    // The node alone in a scratch graph, so that messages name it and its inputs.
    Graph scratch;
    scratch.name = g_.name;
    std::vector<ValueId> ids;
    std::vector<std::optional<TensorType>> types;
    for (size_t i = 0; i < ins.size(); ++i) {
      types.push_back(args[i] ? std::optional<TensorType>(args[i]->type()) : std::nullopt);
      if (!args[i]) {
        ids.push_back(kNoValue);
      } else if (auto id = scratch.find_value(ins[i])) {
        ids.push_back(*id);
      } else {
        ids.push_back(scratch.add_constant(ins[i], *args[i]));
      }
    }
    scratch.add_node(site.node, c.op, c.attrs, ids, outs);
    const Node& n = scratch.nodes.back();
    const std::vector<TensorType> out_types = infer_node_types(scratch, n, types);
    for (size_t i = 0; i < outs.size(); ++i)
      if (!outs[i].empty() &&
          ((out_types[i].dtype != DType::i64 && out_types[i].dtype != DType::i32) ||
           out_types[i].numel() > kFoldConstantsMaxElements))
        return false;
    std::vector<Tensor> values = evaluate_node(scratch, n, args);
    for (size_t i = 0; i < outs.size(); ++i)
      if (!outs[i].empty()) constants_.emplace(outs[i], std::move(values[i]));
    return !computes_graph_output;
  }

  void define_outputs(const onnx::NodeProto& node, const ErrorSite& site) {
    for (const auto& out : node.output()) {
      if (out.empty()) continue;
      if (is_defined(out) || defined_.count(out)) {
        ErrorSite s = site;
        s.tensor = out;
        throw VerifyError(
            fmt::format("output '{}' is already defined by an input, initializer or another node",
                        out),
            s);
      }
      defined_.insert(out);
    }
  }

  void poison_outputs(const onnx::NodeProto& node) {
    for (const auto& out : node.output())
      if (!out.empty()) poisoned_.insert(out);
  }

  // The value of input `i` when it must be a constant; null when absent.
  const Tensor* constant_input(const onnx::NodeProto& node, size_t i, const ErrorSite& site,
                               const char* role, bool required) {
    const std::string name = i < static_cast<size_t>(node.input_size())
                                 ? node.input(static_cast<int>(i))
                                 : std::string();
    if (name.empty()) {
      if (required)
        throw ParseError(fmt::format("the {} input (input {}) is missing", role, i), site);
      return nullptr;
    }
    if (auto it = constants_.find(name); it != constants_.end()) return &it->second;
    if (auto it = pending_constant_nodes_.find(name); it != pending_constant_nodes_.end())
      return &it->second.value;
    if (poisoned_.count(name)) throw PoisonedInput{};
    if (ids_.count(name))
      throw UnsupportedError(fmt::format(
          "input {} '{}' ({}) must be a constant -- an initializer, a Constant node or an input "
          "whose value is pinned -- because Loom specializes on it",
          i, name, role));
    throw_undefined(name, site, i);
  }

  // The value of input `i` if it happens to be constant; null otherwise.
  const Tensor* maybe_constant_input(const onnx::NodeProto& node, size_t i) {
    if (i >= static_cast<size_t>(node.input_size())) return nullptr;
    const std::string& name = node.input(static_cast<int>(i));
    if (auto it = constants_.find(name); it != constants_.end()) return &it->second;
    if (auto it = pending_constant_nodes_.find(name); it != pending_constant_nodes_.end())
      return &it->second.value;
    return nullptr;
  }

  static std::vector<int64_t> to_ints(const Tensor& t, const ErrorSite& site, const char* role) {
    if (!is_integer(t.dtype()))
      throw ShapeError(
          fmt::format("the {} input must be an integer tensor, got {}", role, type_str(t.type())),
          site);
    if (t.rank() > 1)
      throw ShapeError(
          fmt::format("the {} input must be a 1-D tensor, got {}", role, type_str(t.type())), site);
    std::vector<int64_t> v;
    for (int64_t i = 0; i < t.numel(); ++i)
      v.push_back(t.get_as_int(i));
    return v;
  }

  static double to_scalar(const Tensor& t, const ErrorSite& site, const char* role) {
    if (t.numel() != 1 || t.dtype() == DType::f16 || t.dtype() == DType::bf16)
      throw ShapeError(
          fmt::format("the {} input must be a single number, got {}", role, type_str(t.type())),
          site);
    return t.dtype() == DType::boolean ? (t.data<bool>()[0] ? 1.0 : 0.0) : t.get_as_double(0);
  }

  static std::vector<std::string> all_inputs(const onnx::NodeProto& node) {
    return {node.input().begin(), node.input().end()};
  }

  static AutoPad read_auto_pad(AttrReader& a) {
    auto s = a.get_string("auto_pad");
    if (!s) return AutoPad::NotSet;
    auto v = parse_enum<AutoPad>(*s);
    if (!v)
      throw UnsupportedError(
          fmt::format("auto_pad '{}' is not one of NOTSET, SAME_UPPER, SAME_LOWER, VALID", *s));
    return *v;
  }

  Converted convert(const onnx::NodeProto& node, OpKind op, const ErrorSite& site) {
    check_attribute_opsets(node, opset_);
    AttrReader a(node, site);
    Converted c;
    c.op = op;
    c.inputs = all_inputs(node);
    // An in-place hint of early opsets with no effect on results (where an op
    // never had it, it stays unread and is reported).
    if (has_attribute_range(node.op_type(), "consumed_inputs")) a.ignore("consumed_inputs");
    auto present_outputs = [&] {
      int n = 0;
      for (const auto& o : node.output())
        n += !o.empty();
      return n;
    };
    switch (op) {
      case OpKind::Conv: {
        ConvAttrs at;
        at.kernel_shape = a.get_ints("kernel_shape").value_or(std::vector<int64_t>{});
        at.strides = a.get_ints("strides").value_or(std::vector<int64_t>{});
        at.pads = a.get_ints("pads").value_or(std::vector<int64_t>{});
        at.dilations = a.get_ints("dilations").value_or(std::vector<int64_t>{});
        at.group = a.get_int("group").value_or(1);
        at.auto_pad = read_auto_pad(a);
        c.attrs = at;
        break;
      }
      case OpKind::MaxPool:
      case OpKind::AveragePool: {
        PoolAttrs at;
        auto ks = a.get_ints("kernel_shape");
        if (!ks) throw ParseError("attribute 'kernel_shape' is required", site);
        at.kernel_shape = *ks;
        at.strides = a.get_ints("strides").value_or(std::vector<int64_t>{});
        at.pads = a.get_ints("pads").value_or(std::vector<int64_t>{});
        at.auto_pad = read_auto_pad(a);
        at.ceil_mode = a.get_bool("ceil_mode", false);
        if (op == OpKind::MaxPool && opset_ < 8 && present_outputs() > 1)
          throw ParseError(
              fmt::format("MaxPool has no Indices output before opset 8 (opset {})", opset_), site);
        if (op == OpKind::MaxPool) {
          at.dilations = a.get_ints("dilations").value_or(std::vector<int64_t>{});
          at.storage_order = a.get_int("storage_order").value_or(0);
          if (at.storage_order != 0 && at.storage_order != 1)
            throw ParseError(
                fmt::format("attribute 'storage_order' is {}, expected 0 or 1", at.storage_order),
                site);
        } else {
          at.count_include_pad = a.get_bool("count_include_pad", false);
        }
        c.attrs = at;
        break;
      }
      case OpKind::Gemm: {
        GemmAttrs at;
        at.alpha = a.get_float("alpha").value_or(1.f);
        at.beta = a.get_float("beta").value_or(1.f);
        at.trans_a = a.get_bool("transA", false);
        at.trans_b = a.get_bool("transB", false);
        if (opset_ < 11 && (node.input_size() < 3 || node.input(2).empty()))
          throw ParseError(fmt::format("input C is required before opset 11 (opset {})", opset_),
                           site);
        // Before opset 7 C broadcasts only when asked to; otherwise it is [M, N].
        if (opset_ < 7 && !a.get_bool("broadcast", false)) c.legacy = LegacyRule::GemmExactC;
        c.attrs = at;
        break;
      }
      case OpKind::Add:
      case OpKind::Sub:
      case OpKind::Mul:
      case OpKind::Div:
        if (opset_ < 7) {
          const bool broadcast = a.get_bool("broadcast", false);
          auto axis = a.get_int("axis");
          c.legacy = broadcast ? LegacyRule::Broadcast : LegacyRule::SameShape;
          if (broadcast) c.legacy_axis = axis;
        }
        c.attrs = default_attrs(op);
        break;
      case OpKind::BatchNormalization: {
        BatchNormAttrs at;
        at.epsilon = a.get_float("epsilon").value_or(1e-5f);
        a.ignore("momentum");  // only used when training
        // Before opset 7 the mode is an attribute, and its default is training.
        if (opset_ < 7 && !a.get_bool("is_test", false))
          throw UnsupportedError(
              "is_test = 0 (training mode: statistics of the batch) is not supported; Loom "
              "runs inference only");
        if (!a.get_bool("spatial", true)) c.legacy = LegacyRule::BatchNormPerValue;
        if (a.get_bool("training_mode", false))
          throw UnsupportedError("training_mode = 1 is not supported (inference only)");
        if (present_outputs() > 1)
          throw UnsupportedError(fmt::format(
              "{} outputs requested; only Y is supported (the others exist in training mode)",
              present_outputs()));
        c.attrs = at;
        break;
      }
      case OpKind::LeakyRelu:
        c.attrs = AlphaAttrs{a.get_float("alpha").value_or(0.01f)};
        break;
      case OpKind::Elu:
        c.attrs = AlphaAttrs{a.get_float("alpha").value_or(1.f)};
        break;
      case OpKind::Clip: {
        ClipAttrs at;
        if (opset_ < 11) {
          if (auto v = a.get_float("min")) at.min = *v;
          if (auto v = a.get_float("max")) at.max = *v;
        } else {
          if (auto* t = constant_input(node, 1, site, "min", false))
            at.min = static_cast<float>(to_scalar(*t, site, "min"));
          if (auto* t = constant_input(node, 2, site, "max", false))
            at.max = static_cast<float>(to_scalar(*t, site, "max"));
          c.inputs.resize(1);
        }
        c.attrs = at;
        break;
      }
      case OpKind::Softmax:
      case OpKind::LogSoftmax: {
        SoftmaxAttrs at;
        at.coerce_2d = opset_ < 13;
        at.axis = a.get_int("axis").value_or(opset_ < 13 ? 1 : -1);
        c.attrs = at;
        break;
      }
      case OpKind::Flatten:
        c.attrs = AxisAttrs{a.get_int("axis").value_or(1)};
        break;
      case OpKind::Concat: {
        auto axis = a.get_int("axis");
        // Concat-1 (opsets 1 to 3) has a default axis of 1; later versions require it.
        if (!axis && opset_ < 4) axis = 1;
        if (!axis) throw ParseError("attribute 'axis' is required", site);
        c.attrs = AxisAttrs{*axis};
        break;
      }
      case OpKind::Reshape: {
        ReshapeAttrs at;
        if (opset_ < 5) {
          auto shape = a.get_ints("shape");
          if (!shape) throw ParseError("attribute 'shape' is required before opset 5", site);
          at.shape = *shape;
        } else {
          at.shape = to_ints(*constant_input(node, 1, site, "shape", true), site, "shape");
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
        if (opset_ < 8)
          throw UnsupportedError(
              fmt::format("Expand exists from opset 8; the model uses opset {}", opset_));
        c.attrs =
            ExpandAttrs{to_ints(*constant_input(node, 1, site, "shape", true), site, "shape")};
        c.inputs.resize(1);
        break;
      case OpKind::Squeeze:
      case OpKind::Unsqueeze: {
        AxesAttrs at;
        const bool required = op == OpKind::Unsqueeze;
        if (opset_ < 13) {
          auto axes = a.get_ints("axes");
          if (!axes && required) throw ParseError("attribute 'axes' is required", site);
          at.axes = axes.value_or(std::vector<int64_t>{});
        } else if (auto* t = constant_input(node, 1, site, "axes", required)) {
          at.axes = to_ints(*t, site, "axes");
        }
        c.inputs.resize(1);
        c.attrs = at;
        break;
      }
      case OpKind::Slice: {
        SliceAttrs at;
        if (opset_ < 10) {
          auto starts = a.get_ints("starts");
          auto ends = a.get_ints("ends");
          if (!starts || !ends)
            throw ParseError("attributes 'starts' and 'ends' are required", site);
          at.starts = *starts;
          at.ends = *ends;
          at.axes = a.get_ints("axes").value_or(std::vector<int64_t>{});
        } else {
          at.starts = to_ints(*constant_input(node, 1, site, "starts", true), site, "starts");
          at.ends = to_ints(*constant_input(node, 2, site, "ends", true), site, "ends");
          if (auto* t = constant_input(node, 3, site, "axes", false))
            at.axes = to_ints(*t, site, "axes");
          if (auto* t = constant_input(node, 4, site, "steps", false))
            at.steps = to_ints(*t, site, "steps");
        }
        c.inputs.resize(1);
        c.attrs = at;
        break;
      }
      case OpKind::Dropout: {
        DropoutAttrs at;
        if (opset_ < 10 && present_outputs() > 1)
          throw UnsupportedError(
              "the mask output before opset 10 has the input's element type; Loom's mask is "
              "boolean");
        if (opset_ < 12) {
          at.ratio = a.get_float("ratio").value_or(0.5f);
          // Before opset 7 the mode is an attribute, and its default is
          // training, where a nonzero ratio zeroes random elements.
          if (opset_ < 7 && !a.get_bool("is_test", false) && at.ratio != 0.f)
            throw UnsupportedError(fmt::format(
                "is_test = 0 (training mode: random dropout with ratio {}) is not supported; "
                "Loom runs inference only",
                at.ratio));
        } else {
          a.ignore("seed");
          // The ratio does not change inference results, so a non-constant
          // one is harmless; training mode would.
          if (auto* t = maybe_constant_input(node, 1))
            at.ratio = static_cast<float>(to_scalar(*t, site, "ratio"));
          if (auto* t = constant_input(node, 2, site, "training_mode", false))
            if (to_scalar(*t, site, "training_mode") != 0)
              throw UnsupportedError("training_mode = true is not supported (inference only)");
        }
        c.inputs.resize(1);
        c.attrs = at;
        break;
      }
      case OpKind::Constant: {
        c.constant = read_constant(a, site);
        c.inputs.clear();
        c.attrs = ConstantAttrs{*c.constant};
        break;
      }
      case OpKind::RNN:
      case OpKind::LSTM:
      case OpKind::GRU:
        c.attrs = read_recurrent(a, op, site);
        break;
      default:
        c.attrs = default_attrs(op);
        convert_added_op(node, op, a, c, site);
        break;
    }
    auto unread = a.unread();
    if (!unread.empty()) {
      std::string names;
      for (const auto& n : unread)
        names += (names.empty() ? "'" : ", '") + n + "'";
      throw UnsupportedError(fmt::format("attribute{} {} of {} {} not supported",
                                         unread.size() == 1 ? "" : "s", names, node.op_type(),
                                         unread.size() == 1 ? "is" : "are"));
    }
    return c;
  }

  // Reads an opset-18 `axes` input (or attribute) into one entry per input
  // dim: `per_axis[k]` goes to axis axes[k]; dims not named get `fill`.
  template <class T>
  std::vector<T> expand_axes(const std::vector<T>& per_axis, const std::vector<int64_t>& axes,
                             size_t rank, T fill, const ErrorSite& site, const char* what) {
    if (axes.empty()) return per_axis;
    if (per_axis.size() != axes.size())
      throw ShapeError(
          fmt::format("{} has {} values for {} axes", what, per_axis.size(), axes.size()), site);
    std::vector<T> out(rank, fill);
    for (size_t k = 0; k < axes.size(); ++k) {
      int64_t ax = axes[k] < 0 ? axes[k] + static_cast<int64_t>(rank) : axes[k];
      if (ax < 0 || ax >= static_cast<int64_t>(rank))
        throw ShapeError(fmt::format("axes value {} is out of range for rank {}", axes[k], rank),
                         site);
      out[static_cast<size_t>(ax)] = per_axis[k];
    }
    return out;
  }

  size_t input_rank(const onnx::NodeProto& node, const ErrorSite& site) {
    return type_of_name(node.input(0), site, 0).shape.size();
  }

  // Attributes of the ops added with the op-coverage work (issue 10), read
  // with the same rules as convert(): every attribute either read or
  // reported, constant inputs folded into attributes.
  void convert_added_op(const onnx::NodeProto& node, OpKind op, AttrReader& a, Converted& c,
                        const ErrorSite& site) {
    auto float_or = [&](const char* n, float d) { return a.get_float(n).value_or(d); };
    if (is_reduce(op)) {
      ReduceAttrs at;
      at.keepdims = a.get_bool("keepdims", true);
      if (is_attribute_input(node.op_type(), opset_, 1)) {
        if (auto* t = constant_input(node, 1, site, "axes", false))
          at.axes = to_ints(*t, site, "axes");
        at.noop_with_empty_axes = a.get_bool("noop_with_empty_axes", false);
        c.inputs.resize(1);
      } else {
        at.axes = a.get_ints("axes").value_or(std::vector<int64_t>{});
      }
      c.attrs = at;
      return;
    }
    switch (op) {
      case OpKind::PRelu:
        // Before opset 7 a 1-D slope is per channel (axis 1), not numpy-aligned.
        if (opset_ < 7 && node.input_size() == 2 && input_rank(node, site) > 2) {
          const Shape slope = type_of_name(node.input(1), site, 1).shape;
          if (slope.size() == 1 && slope[0] > 1) {
            c.legacy = LegacyRule::Broadcast;
            c.legacy_axis = 1;
          }
        }
        break;
      case OpKind::HardSigmoid:
        c.attrs = AlphaBetaAttrs{float_or("alpha", 0.2f), float_or("beta", 0.5f)};
        break;
      case OpKind::Selu:
        c.attrs =
            SeluAttrs{float_or("alpha", SeluAttrs{}.alpha), float_or("gamma", SeluAttrs{}.gamma)};
        break;
      case OpKind::Celu:
      case OpKind::ThresholdedRelu:
        c.attrs = AlphaAttrs{float_or("alpha", 1.f)};
        break;
      case OpKind::ArgMax:
      case OpKind::ArgMin:
        c.attrs = ArgReduceAttrs{a.get_int("axis").value_or(0), a.get_bool("keepdims", true),
                                 a.get_bool("select_last_index", false)};
        break;
      case OpKind::LRN: {
        auto size = a.get_int("size");
        if (!size) throw ParseError("attribute 'size' is required", site);
        c.attrs = LrnAttrs{float_or("alpha", 1e-4f), float_or("beta", 0.75f), float_or("bias", 1.f),
                           *size};
        break;
      }
      case OpKind::InstanceNormalization:
        c.attrs = BatchNormAttrs{float_or("epsilon", 1e-5f)};
        break;
      case OpKind::LayerNormalization: {
        if (a.get_int("stash_type").value_or(1) != 1)
          throw UnsupportedError("stash_type other than 1 (float) is not supported");
        c.attrs = LayerNormAttrs{a.get_int("axis").value_or(-1), float_or("epsilon", 1e-5f)};
        break;
      }
      case OpKind::GlobalLpPool:
        c.attrs = LpAttrs{a.get_int("p").value_or(2)};
        break;
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
        break;
      }
      case OpKind::Cast: {
        auto to = a.get_int("to");
        if (!to) throw ParseError("attribute 'to' is required", site);
        a.ignore("saturate");
        auto dt = dtype_from_onnx(static_cast<int32_t>(*to));
        if (!dt)
          throw UnsupportedError(fmt::format("Cast to {} is not supported",
                                             onnx_type_name(static_cast<int32_t>(*to))));
        c.attrs = CastAttrs{*dt};
        break;
      }
      case OpKind::ConstantOfShape: {
        ConstantOfShapeAttrs at;
        at.shape = to_ints(*constant_input(node, 0, site, "shape", true), site, "shape");
        if (const auto* t = a.get_tensor("value"))
          at.value = tensor_from_proto(*t, base_dir_, fmt::format("the value of '{}'", site.node));
        c.inputs.clear();
        c.attrs = at;
        break;
      }
      case OpKind::Split: {
        SplitAttrs at;
        at.axis = a.get_int("axis").value_or(0);
        if (opset_ < 13) {
          at.split = a.get_ints("split").value_or(std::vector<int64_t>{});
        } else if (auto* t = constant_input(node, 1, site, "split", false)) {
          at.split = to_ints(*t, site, "split");
        }
        if (auto n = a.get_int("num_outputs"); n && *n != node.output_size())
          throw ParseError(
              fmt::format("num_outputs = {} but the node has {} outputs", *n, node.output_size()),
              site);
        c.inputs.resize(1);
        c.attrs = at;
        break;
      }
      case OpKind::Tile:
        if (opset_ < 6) throw UnsupportedError("Tile before opset 6 (tiles/axis inputs)");
        c.attrs =
            TileAttrs{to_ints(*constant_input(node, 1, site, "repeats", true), site, "repeats")};
        c.inputs.resize(1);
        break;
      case OpKind::Pad: {
        PadAttrs at;
        const std::string mode = a.get_string("mode").value_or("constant");
        auto m = parse_enum<PadMode>(mode);
        if (!m)
          throw ParseError(fmt::format("mode '{}' is not constant, reflect, edge or wrap", mode),
                           site);
        at.mode = *m;
        if (opset_ < 11) {
          auto pads = a.get_ints(opset_ < 2 ? "paddings" : "pads");
          if (!pads) throw ParseError("attribute 'pads' is required", site);
          at.pads = *pads;
          at.value = float_or("value", 0.f);
        } else {
          std::vector<int64_t> pads =
              to_ints(*constant_input(node, 1, site, "pads", true), site, "pads");
          if (auto* t = constant_input(node, 2, site, "constant_value", false))
            at.value = static_cast<float>(to_scalar(*t, site, "constant_value"));
          if (auto* t = constant_input(node, 3, site, "axes", false)) {
            const std::vector<int64_t> axes = to_ints(*t, site, "axes");
            const size_t rank = input_rank(node, site);
            if (pads.size() != 2 * axes.size())
              throw ShapeError(
                  fmt::format("pads has {} values for {} axes", pads.size(), axes.size()), site);
            std::vector<int64_t> begin(pads.begin(), pads.begin() + static_cast<long>(axes.size()));
            std::vector<int64_t> end(pads.begin() + static_cast<long>(axes.size()), pads.end());
            begin = expand_axes<int64_t>(begin, axes, rank, 0, site, "pads");
            end = expand_axes<int64_t>(end, axes, rank, 0, site, "pads");
            pads = begin;
            pads.insert(pads.end(), end.begin(), end.end());
          }
          at.pads = pads;
        }
        c.inputs.resize(1);
        c.attrs = at;
        break;
      }
      case OpKind::ConvTranspose: {
        ConvTransposeAttrs at;
        at.kernel_shape = a.get_ints("kernel_shape").value_or(std::vector<int64_t>{});
        at.strides = a.get_ints("strides").value_or(std::vector<int64_t>{});
        at.pads = a.get_ints("pads").value_or(std::vector<int64_t>{});
        at.dilations = a.get_ints("dilations").value_or(std::vector<int64_t>{});
        at.output_padding = a.get_ints("output_padding").value_or(std::vector<int64_t>{});
        at.output_shape = a.get_ints("output_shape").value_or(std::vector<int64_t>{});
        at.group = a.get_int("group").value_or(1);
        at.auto_pad = read_auto_pad(a);
        // Some exporters give output_shape with the batch and channel dims.
        const size_t rank = input_rank(node, site);
        if (at.output_shape.size() == rank)
          at.output_shape.erase(at.output_shape.begin(), at.output_shape.begin() + 2);
        c.attrs = at;
        break;
      }
      case OpKind::Resize:
        c.attrs = read_resize(node, a, site);
        c.inputs.resize(1);
        break;
      default:
        break;
    }
  }

  ResizeAttrs read_resize(const onnx::NodeProto& node, AttrReader& a, const ErrorSite& site) {
    ResizeAttrs at;
    const bool upsample = node.op_type() == "Upsample";
    std::string mode = a.get_string("mode").value_or("nearest");
    if (mode == "bilinear" || mode == "trilinear") mode = "linear";  // Upsample-7 spellings
    auto m = parse_enum<ResizeMode>(mode);
    if (!m) throw ParseError(fmt::format("mode '{}' is not nearest, linear or cubic", mode), site);
    at.mode = *m;
    const size_t rank = input_rank(node, site);
    auto read_floats = [&](const Tensor& t) {
      std::vector<float> v;
      for (int64_t i = 0; i < t.numel(); ++i)
        v.push_back(static_cast<float>(t.get_as_double(i)));
      return v;
    };
    if (upsample || opset_ < 11) {
      // Upsample and Resize-10: asymmetric coordinates; nearest rounds down.
      at.coordinate_transformation_mode = CoordinateTransform::Asymmetric;
      at.nearest_mode = NearestMode::Floor;
      if (upsample && opset_ < 9) {
        auto sc = a.get_floats("scales");
        if (!sc) throw ParseError("attribute 'scales' is required", site);
        at.scales = *sc;
        a.ignore("height_scale");
        a.ignore("width_scale");
      } else {
        at.scales = read_floats(*constant_input(node, 1, site, "scales", true));
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
    std::vector<int64_t> axes = a.get_ints("axes").value_or(std::vector<int64_t>{});
    if (auto* t = constant_input(node, 1, site, "roi", false); t && t->numel() > 0) {
      std::vector<float> roi = read_floats(*t);
      if (!axes.empty()) {
        std::vector<float> b(roi.begin(), roi.begin() + static_cast<long>(roi.size() / 2));
        std::vector<float> e(roi.begin() + static_cast<long>(roi.size() / 2), roi.end());
        b = expand_axes<float>(b, axes, rank, 0.f, site, "roi");
        e = expand_axes<float>(e, axes, rank, 1.f, site, "roi");
        roi = b;
        roi.insert(roi.end(), e.begin(), e.end());
      }
      at.roi = roi;
    }
    if (auto* t = constant_input(node, 2, site, "scales", false); t && t->numel() > 0)
      at.scales = expand_axes<float>(read_floats(*t), axes, rank, 1.f, site, "scales");
    if (auto* t = constant_input(node, 3, site, "sizes", false); t && t->numel() > 0) {
      std::vector<int64_t> sizes = to_ints(*t, site, "sizes");
      const Shape in = type_of_name(node.input(0), site, 0).shape;
      if (policy != "stretch") {
        // not_larger / not_smaller: one scale for the named axes, sizes rounded.
        const std::vector<int64_t> named = axes.empty() ? [&] {
          std::vector<int64_t> all(rank);
          for (size_t d = 0; d < rank; ++d) all[d] = static_cast<int64_t>(d);
          return all;
        }() : axes;
        double scale = policy == "not_larger" ? 1e300 : 0;
        for (size_t k = 0; k < named.size(); ++k) {
          const size_t d =
              static_cast<size_t>(named[k] < 0 ? named[k] + static_cast<int64_t>(rank) : named[k]);
          const double s = static_cast<double>(sizes[k]) / static_cast<double>(in[d]);
          scale = policy == "not_larger" ? std::min(scale, s) : std::max(scale, s);
        }
        for (size_t k = 0; k < named.size(); ++k) {
          const size_t d =
              static_cast<size_t>(named[k] < 0 ? named[k] + static_cast<int64_t>(rank) : named[k]);
          sizes[k] = static_cast<int64_t>(std::round(scale * static_cast<double>(in[d])));
        }
      }
      std::vector<int64_t> full = in;
      if (!axes.empty()) {
        for (size_t k = 0; k < axes.size(); ++k)
          full[static_cast<size_t>(axes[k] < 0 ? axes[k] + static_cast<int64_t>(rank) : axes[k])] =
              sizes[k];
      } else {
        full = sizes;
      }
      at.sizes = full;
      at.scales.clear();
    }
    if (at.scales.empty() && at.sizes.empty())
      throw ParseError("Resize needs scales or sizes", site);
    return at;
  }

  Tensor read_constant(AttrReader& a, const ErrorSite& site) {
    for (const char* name : {"sparse_value", "value_string", "value_strings"})
      if (a.has(name)) {
        a.ignore(name);
        throw UnsupportedError(fmt::format("Constant attribute '{}' is not supported", name));
      }
    std::optional<Tensor> value;
    int count = 0;
    if (const auto* t = a.get_tensor("value")) {
      value =
          tensor_from_proto(*t, base_dir_, fmt::format("the value of Constant '{}'", site.node));
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

  RecurrentAttrs read_recurrent(AttrReader& a, OpKind op, const ErrorSite& site) {
    RecurrentAttrs at;
    at.hidden_size = a.get_int("hidden_size").value_or(0);
    if (at.hidden_size < 0)
      throw ParseError(fmt::format("hidden_size is {}, expected a positive number", at.hidden_size),
                       site);
    if (auto d = a.get_string("direction")) {
      auto v = parse_enum<Direction>(*d);
      if (!v)
        throw UnsupportedError(
            fmt::format("direction '{}' is not one of forward, reverse, bidirectional", *d));
      at.direction = *v;
    }
    if (auto names = a.get_strings("activations")) {
      for (const auto& n : *names) {
        auto v = parse_enum<Activation>(n);
        if (!v) throw UnsupportedError(fmt::format("activation function '{}' is not supported", n));
        at.activations.push_back(*v);
      }
    }
    at.activation_alpha = a.get_floats("activation_alpha").value_or(std::vector<float>{});
    at.activation_beta = a.get_floats("activation_beta").value_or(std::vector<float>{});
    if (auto clip = a.get_float("clip")) at.clip = *clip;
    // output_sequence (opsets 1 to 6) only said whether Y may be omitted; which
    // outputs a node lists decides what Loom computes.
    if (opset_ < 7) a.get_bool("output_sequence", false);
    at.layout = a.get_int("layout").value_or(0);
    if (at.layout != 0 && at.layout != 1)
      throw ParseError(fmt::format("layout is {}, expected 0 or 1", at.layout), site);
    if (op == OpKind::LSTM) at.input_forget = a.get_bool("input_forget", false);
    if (op == OpKind::GRU) at.linear_before_reset = a.get_bool("linear_before_reset", false);
    return at;
  }

  void read_outputs() {
    for (const auto& out : graph_proto_.output()) {
      if (out.name().empty()) throw ParseError("a graph output has an empty name");
      ErrorSite site{{}, {}, out.name()};
      if (!is_defined(out.name()))
        throw VerifyError("graph output is not produced by any node, input or initializer", site);
      g_.outputs.push_back(resolve(out.name(), site, 0));
    }
  }

  struct PendingConstant {
    std::string node_name;
    Tensor value;
  };

  const onnx::ModelProto& model_;
  const onnx::GraphProto& graph_proto_;
  const ImportOptions& options_;
  std::string base_dir_;
  int64_t opset_ = 0;
  Graph g_;
  std::unordered_map<std::string, ValueId> ids_;  // values present in g_
  // Initializers, pinned inputs and the outputs of shape arithmetic folded at import.
  std::unordered_map<std::string, Tensor> constants_;
  std::unordered_map<std::string, PendingConstant> pending_constant_nodes_;
  std::unordered_set<std::string> defined_;   // every name defined so far
  std::unordered_set<std::string> poisoned_;  // outputs of unsupported nodes
  std::vector<std::string> node_names_;
  std::unordered_set<std::string> onnx_names_;  // every name the model uses
  size_t typed_nodes_ = 0;                      // g_.nodes[0, typed_nodes_) have types
  std::vector<std::string> problems_;
  ErrorSite first_problem_site_;
  std::string first_problem_;
};

bool looks_like_text(const std::string& bytes) {
  size_t n = std::min<size_t>(bytes.size(), 256);
  for (size_t i = 0; i < n; ++i) {
    unsigned char ch = static_cast<unsigned char>(bytes[i]);
    if (ch < 0x09 || (ch > 0x0d && ch < 0x20) || ch == 0x7f) return false;
  }
  return n > 0;
}

}  // namespace

bool OnnxInputInfo::is_static() const {
  if (!has_shape) return false;
  for (const auto& d : dims)
    if (!d) return false;
  return true;
}

Graph import_onnx(const onnx::ModelProto& model, const ImportOptions& options,
                  const std::string& base_dir) {
  if (!model.has_graph()) throw ParseError("the model has no graph");
  return Importer(model, options, base_dir).run();
}

struct OnnxModel::Impl {
  onnx::ModelProto model;
  std::string base_dir;
  std::vector<OnnxInputInfo> inputs;
};

OnnxModel::OnnxModel(std::unique_ptr<Impl> impl) : impl_(std::move(impl)) {}
OnnxModel::OnnxModel(OnnxModel&&) noexcept = default;
OnnxModel& OnnxModel::operator=(OnnxModel&&) noexcept = default;
OnnxModel::~OnnxModel() = default;

OnnxModel OnnxModel::from_bytes(const std::string& bytes, const std::string& source,
                                const std::string& base_dir) {
  if (bytes.empty()) throw ParseError(fmt::format("'{}' is empty, not an ONNX model", source));
  auto impl = std::make_unique<Impl>();
  impl->base_dir = base_dir;
  std::string hint;
  if (bytes.rfind("\x89PNG", 0) == 0)
    hint = "; it looks like a PNG image";
  else if (looks_like_text(bytes))
    hint = "; it looks like a text file";
  if (!impl->model.ParseFromString(bytes))
    throw ParseError(fmt::format(
        "'{}' is not an ONNX model: protobuf decoding failed (truncated or not protobuf){}", source,
        hint));
  // Protobuf decodes many byte strings into a message of unknown fields; a
  // real model always has a graph and an IR version.
  if (!impl->model.unknown_fields().empty() || !impl->model.has_graph() ||
      impl->model.ir_version() <= 0)
    throw ParseError(fmt::format(
        "'{}' is not an ONNX model: it has no graph or IR version, or fields a ModelProto "
        "does not have{}",
        source, hint));
  impl->inputs = analyze_inputs(impl->model);
  return OnnxModel(std::move(impl));
}

OnnxModel OnnxModel::load_file(const std::string& path) {
  std::string bytes = onnx_frontend::read_file(path, "model file");
  return from_bytes(bytes, path, std::filesystem::path(path).parent_path().string());
}

const std::vector<OnnxInputInfo>& OnnxModel::inputs() const {
  return impl_->inputs;
}

std::vector<std::string> OnnxModel::output_names() const {
  std::vector<std::string> names;
  for (const auto& o : impl_->model.graph().output())
    names.push_back(o.name());
  return names;
}

Graph OnnxModel::import(const ImportOptions& options) const {
  return import_onnx(impl_->model, options, impl_->base_dir);
}

Graph import_onnx_file(const std::string& path, const ImportOptions& options) {
  return OnnxModel::load_file(path).import(options);
}

}  // namespace loom
