// The ONNX importer: ModelProto -> loom::Graph. Maps each ONNX node of the
// default domain (opsets 1 to 18) to a Loom op with typed attributes, folding
// the shape-fixing tensor inputs (Reshape/Expand shape, Slice
// starts/ends/axes/steps, Squeeze/Unsqueeze axes, Clip min/max, Dropout
// training_mode) into attributes. Unsupported nodes are collected and reported
// together so a user learns everything a model needs in one run. Reading an
// op's attributes is the job of its family's converter (import_context.h:
// import_conv_pool.cpp, import_dense.cpp, import_elementwise.cpp,
// import_normalization.cpp, import_structure.cpp, import_recurrent.cpp);
// convert() checks attribute opsets, dispatches, and reports what no one read.
//
// Shape arithmetic is evaluated here instead of being imported as nodes:
// exporters compute those shape inputs from Shape(x) (PyTorch's zero initial
// state of an LSTM/GRU called without one is Shape -> Gather -> Unsqueeze ->
// Concat -> Expand), and Loom needs them as constants when it imports the
// node that reads them. Shapes are static, so Shape(x) is known from x's
// type, and a node whose inputs are all known and whose outputs are all
// int32/int64/bool is evaluated with the reference interpreter (F.pad's
// ConstantOfShape -> Concat -> ... -> Cast, expand(-1)'s Equal -> Where
// included). Float work stays
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

#include "compiler/frontend/onnx/import_context.h"
#include "compiler/frontend/onnx/onnx_model_proto.h"
#include "compiler/frontend/onnx/onnx_tensor.h"
#include "compiler/frontend/onnx/read_file.h"
#include "compiler/passes/passes.h"
#include "ir/interpreter.h"
#include "ir/op_signature.h"
#include "ir/shape_inference.h"

namespace loom {

using onnx_frontend::AttrReader;
using onnx_frontend::ConstantInputs;
using onnx_frontend::convert_conv_pool;
using onnx_frontend::convert_dense;
using onnx_frontend::convert_elementwise;
using onnx_frontend::convert_normalization;
using onnx_frontend::convert_recurrent;
using onnx_frontend::convert_reduction;
using onnx_frontend::convert_resampling;
using onnx_frontend::convert_structure;
using onnx_frontend::Converted;
using onnx_frontend::dtype_from_onnx;
using onnx_frontend::ImportContext;
using onnx_frontend::LegacyRule;
using onnx_frontend::onnx_type_name;
using onnx_frontend::tensor_from_proto;

namespace {

constexpr int64_t kMinOpset = 1;
constexpr int64_t kMaxOpset = 18;

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

// Thrown when a constant input comes from a node that could not be imported.
struct PoisonedInput {};

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

class Importer final : public ConstantInputs {
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
    // ConstantOfShape has no tensor inputs left (its shape is an attribute).
    if (c.legacy != LegacyRule::None || (ins.empty() && sig.min_inputs > 0) ||
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
          ((out_types[i].dtype != DType::i64 && out_types[i].dtype != DType::i32 &&
            out_types[i].dtype != DType::boolean) ||
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
                               const char* role, bool required) override {
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
  TensorType input_type(const onnx::NodeProto& node, size_t i, const ErrorSite& site) override {
    const std::string name =
        i < static_cast<size_t>(node.input_size()) ? node.input(static_cast<int>(i)) : "";
    if (name.empty()) throw ParseError(fmt::format("input {} is missing", i), site);
    // Downstream of an unsupported node the type is unknown; the node is
    // reported as poisoned, like one reading a poisoned constant input.
    if (poisoned_.count(name)) throw PoisonedInput{};
    return type_of_name(name, site, i);
  }

  const Tensor* maybe_constant_input(const onnx::NodeProto& node, size_t i) override {
    if (i >= static_cast<size_t>(node.input_size())) return nullptr;
    const std::string& name = node.input(static_cast<int>(i));
    if (auto it = constants_.find(name); it != constants_.end()) return &it->second;
    if (auto it = pending_constant_nodes_.find(name); it != pending_constant_nodes_.end())
      return &it->second.value;
    return nullptr;
  }

  static std::vector<std::string> all_inputs(const onnx::NodeProto& node) {
    return {node.input().begin(), node.input().end()};
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
    ImportContext ctx{node, site, a, opset_, base_dir_, *this};
    // Each op family (import_context.h) reads the attributes of its ops; an
    // op with no attributes of its own takes their defaults.
    if (!convert_conv_pool(ctx, op, c) && !convert_dense(ctx, op, c) &&
        !convert_elementwise(ctx, op, c) && !convert_normalization(ctx, op, c) &&
        !convert_structure(ctx, op, c) && !convert_recurrent(ctx, op, c) &&
        !convert_reduction(ctx, op, c) && !convert_resampling(ctx, op, c))
      c.attrs = default_attrs(op);
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
