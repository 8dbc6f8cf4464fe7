// Tests of the ONNX importer: real backend-test cases from libonnx-testdata
// (imported IR and numerical results through the reference interpreter) and
// small models built in memory for opset-dependent defaults, constant folding
// of shape inputs, initializer encodings, external data and symbolic dims.
#include <catch2/catch.hpp>

#include <cmath>
#include <filesystem>
#include <limits>

#include "compiler/frontend/onnx/onnx_model_proto.h"
#include "compiler/frontend/onnx/tensor_io.h"
#include "compiler/load_model.h"
#include "ir/interpreter.h"
#include "onnx_test_util.h"

using namespace loom;
using loom::test::attr_float;
using loom::test::attr_floats;
using loom::test::attr_int;
using loom::test::attr_ints;
using loom::test::attr_string;
using loom::test::attr_strings;
using loom::test::ModelMaker;
using loom::test::TempDir;
using TP = onnx::TensorProto;

namespace {

const std::string kNodeData = "/usr/share/libonnx-testdata/data/node/";

std::string case_file(const std::string& test, const std::string& file) {
  return kNodeData + test + "/" + file;
}

Tensor data_tensor(const std::string& test, const std::string& file) {
  return read_tensor_pb(case_file(test, "test_data_set_0/" + file)).tensor;
}

void expect_close(const Tensor& actual, const Tensor& expected, double rtol = 1e-4,
                  double atol = 1e-5) {
  REQUIRE(actual.type() == expected.type());
  for (int64_t i = 0; i < expected.numel(); ++i) {
    double a = actual.get_as_double(i), e = expected.get_as_double(i);
    INFO("element " << i << ": actual " << a << ", expected " << e);
    CHECK(std::fabs(a - e) <= atol + rtol * std::fabs(e));
  }
}

const Node& only_node(const Graph& g, OpKind op) {
  const Node* found = nullptr;
  for (const Node& n : g.nodes)
    if (n.op == op) {
      REQUIRE(found == nullptr);
      found = &n;
    }
  REQUIRE(found != nullptr);
  return *found;
}

std::vector<float> iota_f(int64_t n, float scale = 1.f, float offset = 0.f) {
  std::vector<float> v(static_cast<size_t>(n));
  for (int64_t i = 0; i < n; ++i)
    v[static_cast<size_t>(i)] = offset + scale * static_cast<float>(i);
  return v;
}

Tensor run1(const Graph& g, const std::vector<Tensor>& inputs) {
  auto out = Interpreter(g).run(inputs);
  REQUIRE(out.size() == 1);
  return out[0];
}

}  // namespace

// ---- real backend-test cases ------------------------------------------------

TEST_CASE("ONNX import: Conv with strides and padding", "[onnx]") {
  Graph g = import_onnx_file(case_file("test_conv_with_strides_padding", "model.onnx"));
  REQUIRE(g.inputs.size() == 2);
  const Node& conv = only_node(g, OpKind::Conv);
  const auto& a = conv.attr<ConvAttrs>();
  CHECK(a.kernel_shape == std::vector<int64_t>{3, 3});
  CHECK(a.pads == std::vector<int64_t>{1, 1, 1, 1});
  CHECK(a.strides == std::vector<int64_t>{2, 2});
  CHECK(a.group == 1);
  CHECK(a.auto_pad == AutoPad::NotSet);
  CHECK(g.type_of(g.outputs[0]) == TensorType{DType::f32, {1, 1, 4, 3}});

  Tensor out = run1(g, {data_tensor("test_conv_with_strides_padding", "input_0.pb"),
                        data_tensor("test_conv_with_strides_padding", "input_1.pb")});
  expect_close(out, data_tensor("test_conv_with_strides_padding", "output_0.pb"));
}

TEST_CASE("ONNX import: LSTM defaults, absent Y output", "[onnx]") {
  Graph g = import_onnx_file(case_file("test_lstm_defaults", "model.onnx"));
  const Node& lstm = only_node(g, OpKind::LSTM);
  const auto& a = lstm.attr<RecurrentAttrs>();
  CHECK(a.hidden_size == 3);
  CHECK(a.direction == Direction::Forward);
  CHECK(a.activations.empty());
  CHECK(!a.input_forget);
  CHECK(a.layout == 0);
  REQUIRE(lstm.outputs.size() == 2);
  CHECK(lstm.outputs[0] == kNoValue);  // Y named "" in the model
  CHECK(g.value(lstm.outputs[1]).name == "Y_h");
  CHECK(lstm.inputs.size() == 3);

  Tensor out = run1(g, {data_tensor("test_lstm_defaults", "input_0.pb"),
                        data_tensor("test_lstm_defaults", "input_1.pb"),
                        data_tensor("test_lstm_defaults", "input_2.pb")});
  expect_close(out, data_tensor("test_lstm_defaults", "output_0.pb"));
}

TEST_CASE("ONNX import: Reshape shape pinned from a graph input", "[onnx]") {
  const std::string t = "test_reshape_negative_dim";
  OnnxModel model = OnnxModel::load_file(case_file(t, "model.onnx"));
  REQUIRE(model.inputs().size() == 2);
  CHECK(model.inputs()[0].name == "data");
  CHECK(!model.inputs()[0].needs_value);
  CHECK(model.inputs()[1].name == "shape");
  CHECK(model.inputs()[1].needs_value);

  // Left unpinned, the shape input is not a constant: Loom cannot specialize.
  try {
    model.import();
    FAIL("expected UnsupportedError");
  } catch (const UnsupportedError& e) {
    CHECK_THAT(e.what(), Catch::Contains("'shape'") && Catch::Contains("must be a constant") &&
                             Catch::Contains("Reshape"));
  }

  Tensor x = data_tensor(t, "input_0.pb");
  Tensor shape = data_tensor(t, "input_1.pb");
  Graph g = model.import({.input_shapes = {}, .known_input_values = {{"shape", shape}}});
  REQUIRE(g.inputs.size() == 1);  // the pinned input is gone
  CHECK(g.value(g.inputs[0]).name == "data");
  const Node& r = only_node(g, OpKind::Reshape);
  CHECK(r.attr<ReshapeAttrs>().shape == std::vector<int64_t>{2, -1, 2});
  CHECK(r.inputs.size() == 1);
  // Nothing of the folded shape input is left in the graph.
  CHECK(!g.find_value("shape"));

  Tensor out = run1(g, {x});
  CHECK(out.shape() == Shape{2, 6, 2});
  // Reshape keeps the flat order: the data is the input's, element for element.
  CHECK(out.to_vector<float>() == x.to_vector<float>());
  expect_close(out, data_tensor(t, "output_0.pb"));
}

TEST_CASE("ONNX import: Slice (opset 13) with starts/ends/axes/steps pinned", "[onnx]") {
  const std::string t = "test_slice";
  OnnxModel model = OnnxModel::load_file(case_file(t, "model.onnx"));
  ImportOptions opt;
  const char* names[] = {"starts", "ends", "axes", "steps"};
  for (int i = 0; i < 4; ++i)
    opt.known_input_values[names[i]] = data_tensor(t, "input_" + std::to_string(i + 1) + ".pb");
  Graph g = model.import(opt);
  const auto& a = only_node(g, OpKind::Slice).attr<SliceAttrs>();
  CHECK(a.starts == std::vector<int64_t>{0, 0});
  CHECK(a.ends == std::vector<int64_t>{3, 10});
  CHECK(a.axes == std::vector<int64_t>{0, 1});
  CHECK(a.steps == std::vector<int64_t>{1, 1});

  Tensor x = data_tensor(t, "input_0.pb");
  Tensor out = run1(g, {x});
  REQUIRE(out.shape() == Shape{3, 10, 5});
  // x[0:3, 0:10, :] of a [20,10,5] tensor is its first 150 elements.
  auto xv = x.to_vector<float>();
  CHECK(out.to_vector<float>() == std::vector<float>(xv.begin(), xv.begin() + 150));
  expect_close(out, data_tensor(t, "output_0.pb"));
}

TEST_CASE("ONNX import: Clip with only min given (opset 13)", "[onnx]") {
  const std::string t = "test_clip_default_min";
  Tensor min = data_tensor(t, "input_1.pb");
  Graph g = import_onnx_file(case_file(t, "model.onnx"),
                             {.input_shapes = {}, .known_input_values = {{"min", min}}});
  const auto& a = only_node(g, OpKind::Clip).attr<ClipAttrs>();
  CHECK(a.min == 0.f);
  CHECK(a.max == std::numeric_limits<float>::infinity());
  Tensor x = data_tensor(t, "input_0.pb");
  Tensor out = run1(g, {x});
  auto xv = x.to_vector<float>();
  auto ov = out.to_vector<float>();
  REQUIRE(ov.size() == xv.size());
  for (size_t i = 0; i < xv.size(); ++i)
    CHECK(ov[i] == std::max(xv[i], 0.f));
  expect_close(out, data_tensor(t, "output_0.pb"));
}

TEST_CASE("ONNX import: Softmax axis 0 at opset 13 does not coerce to 2-D", "[onnx]") {
  const std::string t = "test_softmax_axis_0";
  Graph g = import_onnx_file(case_file(t, "model.onnx"));
  const auto& a = only_node(g, OpKind::Softmax).attr<SoftmaxAttrs>();
  CHECK(a.axis == 0);
  CHECK(!a.coerce_2d);
  expect_close(run1(g, {data_tensor(t, "input_0.pb")}), data_tensor(t, "output_0.pb"));
}

TEST_CASE("ONNX import: Softmax defaults per opset (coerce_2d before 13)", "[onnx]") {
  // x is [2,3,2] = 0, 0.1, ..., 1.1.
  std::vector<float> xv = iota_f(12, 0.1f);
  Tensor x = Tensor::from_vector<float>({2, 3, 2}, xv);
  auto softmax_rows = [&](int64_t row) {
    std::vector<float> out(xv.size());
    for (size_t r = 0; r < xv.size() / static_cast<size_t>(row); ++r) {
      double sum = 0;
      for (int64_t k = 0; k < row; ++k)
        sum += std::exp(xv[r * static_cast<size_t>(row) + k]);
      for (int64_t k = 0; k < row; ++k)
        out[r * static_cast<size_t>(row) + k] =
            static_cast<float>(std::exp(xv[r * static_cast<size_t>(row) + k]) / sum);
    }
    return Tensor::from_vector<float>({2, 3, 2}, out);
  };
  for (int64_t opset : {11, 13}) {
    for (const char* op : {"Softmax", "LogSoftmax"}) {
      DYNAMIC_SECTION(op << " opset " << opset) {
        ModelMaker m(opset);
        m.input("x", TP::FLOAT, {2, 3, 2});
        m.node(op, {"x"}, {"y"});
        m.output("y");
        Graph g = import_onnx(m.model(), {});
        const auto& a = g.nodes.at(0).attr<SoftmaxAttrs>();
        // Opset 11: axis 1 and rows of 3*2 = 6; opset 13: the last axis, rows of 2.
        CHECK(a.axis == (opset < 13 ? 1 : -1));
        CHECK(a.coerce_2d == (opset < 13));
        Tensor expected = softmax_rows(opset < 13 ? 6 : 2);
        if (std::string(op) == "LogSoftmax") {
          std::vector<float> v = expected.to_vector<float>();
          for (float& f : v)
            f = std::log(f);
          expected = Tensor::from_vector<float>({2, 3, 2}, v);
        }
        expect_close(run1(g, {x}), expected);
      }
    }
  }
}

TEST_CASE("ONNX import: every node test case passes or is reported unsupported", "[onnx]") {
  // The whole ONNX node suite through `loomc check`: no case may FAIL, i.e.
  // every case Loom accepts must match ONNX's expected outputs.
  auto r = test::run_loomc("check " + test::quote(kNodeData) + "*");
  INFO(r.output);
  CHECK(r.output.find("\nFAIL ") == std::string::npos);
  CHECK(r.output.rfind("FAIL ", 0) == std::string::npos);
  CHECK(r.status == 0);
  // At the time of writing 167 cases pass; far fewer means the importer broke.
  auto pos = r.output.rfind(" passed, ");
  REQUIRE(pos != std::string::npos);
  auto line_start = r.output.rfind('\n', pos);
  int passed = std::stoi(r.output.substr(line_start + 1, pos - line_start - 1));
  CHECK(passed >= 150);
}

// ---- opset-dependent attributes and folded inputs ---------------------------

TEST_CASE("ONNX import: Squeeze/Unsqueeze axes as attribute (<13) or input (>=13)", "[onnx]") {
  Tensor x = Tensor::from_vector<float>({1, 3, 1}, {1.f, 2.f, 3.f});
  SECTION("opset 11 attribute") {
    ModelMaker m(11);
    m.input("x", TP::FLOAT, {1, 3, 1});
    attr_ints(m.node("Squeeze", {"x"}, {"s"}), "axes", {0, 2});
    attr_ints(m.node("Unsqueeze", {"s"}, {"y"}), "axes", {1});
    m.output("y");
    Graph g = import_onnx(m.model(), {});
    CHECK(only_node(g, OpKind::Squeeze).attr<AxesAttrs>().axes == std::vector<int64_t>{0, 2});
    CHECK(only_node(g, OpKind::Unsqueeze).attr<AxesAttrs>().axes == std::vector<int64_t>{1});
    Tensor y = run1(g, {x});
    CHECK(y.shape() == Shape{3, 1});
    CHECK(y.to_vector<float>() == std::vector<float>{1.f, 2.f, 3.f});
  }
  SECTION("opset 13 inputs from an initializer and a Constant node") {
    ModelMaker m(13);
    m.input("x", TP::FLOAT, {1, 3, 1});
    m.initializer_i64("sq_axes", {1}, {-1});
    auto& c = m.node("Constant", {}, {"unsq_axes"});
    attr_ints(c, "value_ints", {0});
    m.node("Squeeze", {"x", "sq_axes"}, {"s"});
    m.node("Unsqueeze", {"s", "unsq_axes"}, {"y"});
    m.output("y");
    Graph g = import_onnx(m.model(), {});
    CHECK(only_node(g, OpKind::Squeeze).attr<AxesAttrs>().axes == std::vector<int64_t>{-1});
    CHECK(only_node(g, OpKind::Unsqueeze).attr<AxesAttrs>().axes == std::vector<int64_t>{0});
    // The folded constants leave no node or value behind.
    CHECK(g.nodes.size() == 2);
    CHECK(!g.find_value("sq_axes"));
    CHECK(!g.find_value("unsq_axes"));
    Tensor y = run1(g, {x});
    CHECK(y.shape() == Shape{1, 1, 3});
  }
  SECTION("opset 13 Squeeze without axes squeezes every 1") {
    ModelMaker m(13);
    m.input("x", TP::FLOAT, {1, 3, 1});
    m.node("Squeeze", {"x"}, {"y"});
    m.output("y");
    Graph g = import_onnx(m.model(), {});
    CHECK(g.nodes[0].attr<AxesAttrs>().axes.empty());
    CHECK(run1(g, {x}).shape() == Shape{3});
  }
}

TEST_CASE("ONNX import: Slice attributes before opset 10", "[onnx]") {
  ModelMaker m(9);
  m.input("x", TP::FLOAT, {4, 3});
  auto& n = m.node("Slice", {"x"}, {"y"});
  attr_ints(n, "starts", {1});
  attr_ints(n, "ends", {3});
  attr_ints(n, "axes", {0});
  m.output("y");
  Graph g = import_onnx(m.model(), {});
  const auto& a = g.nodes[0].attr<SliceAttrs>();
  CHECK(a.starts == std::vector<int64_t>{1});
  CHECK(a.ends == std::vector<int64_t>{3});
  CHECK(a.axes == std::vector<int64_t>{0});
  CHECK(a.steps.empty());
  Tensor y = run1(g, {Tensor::from_vector<float>({4, 3}, iota_f(12))});
  CHECK(y.shape() == Shape{2, 3});
  CHECK(y.to_vector<float>() == std::vector<float>{3, 4, 5, 6, 7, 8});
}

TEST_CASE("ONNX import: Clip min/max attributes (opset < 11) and inputs (>= 11)", "[onnx]") {
  Tensor x = Tensor::from_vector<float>({4}, {-2.f, -0.5f, 0.5f, 2.f});
  SECTION("opset 9 attributes") {
    ModelMaker m(9);
    m.input("x", TP::FLOAT, {4});
    auto& n = m.node("Clip", {"x"}, {"y"});
    attr_float(n, "min", -1.f);
    attr_float(n, "max", 1.f);
    m.output("y");
    Graph g = import_onnx(m.model(), {});
    CHECK(g.nodes[0].attr<ClipAttrs>() == ClipAttrs{-1.f, 1.f});
    CHECK(run1(g, {x}).to_vector<float>() == std::vector<float>{-1.f, -0.5f, 0.5f, 1.f});
  }
  SECTION("opset 12 max only, min absent") {
    ModelMaker m(12);
    m.input("x", TP::FLOAT, {4});
    m.initializer("hi", Tensor::scalar<float>(0.25f));
    m.node("Clip", {"x", "", "hi"}, {"y"});
    m.output("y");
    Graph g = import_onnx(m.model(), {});
    const auto& a = g.nodes[0].attr<ClipAttrs>();
    CHECK(a.min == -std::numeric_limits<float>::infinity());
    CHECK(a.max == 0.25f);
    CHECK(run1(g, {x}).to_vector<float>() == std::vector<float>{-2.f, -0.5f, 0.25f, 0.25f});
  }
}

TEST_CASE("ONNX import: Dropout ratio/training_mode by opset", "[onnx]") {
  SECTION("opset 10 ratio attribute") {
    ModelMaker m(10);
    m.input("x", TP::FLOAT, {2});
    attr_float(m.node("Dropout", {"x"}, {"y"}), "ratio", 0.25f);
    m.output("y");
    Graph g = import_onnx(m.model(), {});
    CHECK(g.nodes[0].attr<DropoutAttrs>().ratio == 0.25f);
  }
  SECTION("opset 13 constant false training_mode") {
    ModelMaker m(13);
    m.input("x", TP::FLOAT, {2});
    m.initializer("ratio", Tensor::scalar<float>(0.3f));
    m.initializer("train", Tensor::scalar<bool>(false));
    m.node("Dropout", {"x", "ratio", "train"}, {"y", "mask"});
    m.output("y");
    m.output("mask", TP::BOOL);
    Graph g = import_onnx(m.model(), {});
    const Node& d = only_node(g, OpKind::Dropout);
    CHECK(d.attr<DropoutAttrs>().ratio == Approx(0.3f));
    CHECK(d.inputs.size() == 1);
    auto out = Interpreter(g).run({Tensor::from_vector<float>({2}, {1.5f, -2.f})});
    CHECK(out[0].to_vector<float>() == std::vector<float>{1.5f, -2.f});
    CHECK(out[1].to_vector<bool>() == std::vector<bool>{true, true});
  }
  SECTION("opset 13 training_mode true is unsupported") {
    ModelMaker m(13);
    m.input("x", TP::FLOAT, {2});
    m.initializer("train", Tensor::scalar<bool>(true));
    m.node("Dropout", {"x", "", "train"}, {"y"}, "drop");
    m.output("y");
    CHECK_THROWS_WITH(import_onnx(m.model(), {}),
                      Catch::Contains("drop") && Catch::Contains("training_mode"));
  }
  SECTION("opset 13 training_mode from an unpinned input is unsupported") {
    ModelMaker m(13);
    m.input("x", TP::FLOAT, {2});
    m.input("train", TP::BOOL, {});
    m.node("Dropout", {"x", "", "train"}, {"y"}, "drop");
    m.output("y");
    CHECK_THROWS_AS(import_onnx(m.model(), {}), UnsupportedError);
    Graph g = import_onnx(
        m.model(),
        {.input_shapes = {}, .known_input_values = {{"train", Tensor::scalar<bool>(false)}}});
    CHECK(g.inputs.size() == 1);
  }
}

TEST_CASE("ONNX import: pool, gemm, batchnorm, activation attributes", "[onnx]") {
  ModelMaker m(12);
  m.input("x", TP::FLOAT, {1, 2, 5, 5});
  auto& mp = m.node("MaxPool", {"x"}, {"p1"}, "mp");
  attr_ints(mp, "kernel_shape", {2, 2});
  attr_ints(mp, "dilations", {2, 2});
  attr_int(mp, "ceil_mode", 1);
  attr_int(mp, "storage_order", 0);
  auto& ap = m.node("AveragePool", {"x"}, {"p2"}, "ap");
  attr_ints(ap, "kernel_shape", {3, 3});
  attr_ints(ap, "pads", {1, 1, 1, 1});
  attr_int(ap, "count_include_pad", 1);
  attr_string(ap, "auto_pad", "NOTSET");
  m.initializer_f32("scale", {2}, {1.f, 2.f});
  m.initializer_f32("bias", {2}, {0.f, 1.f});
  m.initializer_f32("mean", {2}, {0.f, 0.f});
  m.initializer_f32("var", {2}, {1.f, 1.f});
  auto& bn = m.node("BatchNormalization", {"p2", "scale", "bias", "mean", "var"}, {"b"}, "bn");
  attr_float(bn, "epsilon", 0.f);
  attr_float(bn, "momentum", 0.9f);
  attr_float(m.node("LeakyRelu", {"b"}, {"l"}), "alpha", 0.2f);
  m.node("Elu", {"l"}, {"e"});
  m.output("p1");
  m.output("e");
  Graph g = import_onnx(m.model(), {});
  const auto& mpa = only_node(g, OpKind::MaxPool).attr<PoolAttrs>();
  CHECK(mpa.kernel_shape == std::vector<int64_t>{2, 2});
  CHECK(mpa.dilations == std::vector<int64_t>{2, 2});
  CHECK(mpa.ceil_mode);
  CHECK(mpa.storage_order == 0);
  const auto& apa = only_node(g, OpKind::AveragePool).attr<PoolAttrs>();
  CHECK(apa.count_include_pad);
  CHECK(!apa.ceil_mode);
  CHECK(apa.pads == std::vector<int64_t>{1, 1, 1, 1});
  CHECK(only_node(g, OpKind::BatchNormalization).attr<BatchNormAttrs>().epsilon == 0.f);
  CHECK(only_node(g, OpKind::LeakyRelu).attr<AlphaAttrs>().alpha == 0.2f);
  CHECK(only_node(g, OpKind::Elu).attr<AlphaAttrs>().alpha == 1.f);
  // Dilated 2x2 windows span 3 pixels: (5 - 3) / 1 + 1 = 3 per spatial dimension.
  CHECK(g.type_of(g.outputs[0]).shape == Shape{1, 2, 3, 3});

  ModelMaker gm(11);
  gm.input("a", TP::FLOAT, {3, 2});
  gm.input("b", TP::FLOAT, {3, 4});
  auto& gemm = gm.node("Gemm", {"a", "b"}, {"y"});
  attr_int(gemm, "transA", 1);
  attr_float(gemm, "alpha", 2.f);
  gm.output("y");
  Graph gg = import_onnx(gm.model(), {});
  CHECK(gg.nodes[0].attr<GemmAttrs>() == GemmAttrs{2.f, 1.f, true, false});
  CHECK(gg.nodes[0].inputs.size() == 2);  // C is optional from opset 11
}

TEST_CASE("ONNX import: GRU, RNN and LSTM attributes", "[onnx]") {
  auto recurrent = [](int64_t gates, int64_t opset) {
    ModelMaker m(opset);
    m.input("X", TP::FLOAT, {2, 1, 3});
    m.initializer_f32("W", {1, gates * 4, 3}, iota_f(gates * 12, 0.01f));
    m.initializer_f32("R", {1, gates * 4, 4}, iota_f(gates * 16, -0.01f));
    return m;
  };
  SECTION("GRU linear_before_reset, activations") {
    ModelMaker m = recurrent(3, 14);
    auto& n = m.node("GRU", {"X", "W", "R"}, {"Y", "Y_h"});
    attr_int(n, "hidden_size", 4);
    attr_int(n, "linear_before_reset", 1);
    attr_strings(n, "activations", {"HardSigmoid", "Tanh"});
    attr_floats(n, "activation_alpha", {0.3f});
    attr_floats(n, "activation_beta", {0.4f});
    attr_float(n, "clip", 5.f);
    m.output("Y");
    m.output("Y_h");
    Graph g = import_onnx(m.model(), {});
    const auto& a = g.nodes[0].attr<RecurrentAttrs>();
    CHECK(a.linear_before_reset);
    CHECK(a.activations == std::vector<Activation>{Activation::HardSigmoid, Activation::Tanh});
    CHECK(a.activation_alpha == std::vector<float>{0.3f});
    CHECK(a.activation_beta == std::vector<float>{0.4f});
    CHECK(a.clip == 5.f);
    CHECK(g.type_of(g.outputs[0]).shape == Shape{2, 1, 1, 4});
  }
  SECTION("LSTM input_forget, direction, layout") {
    ModelMaker m(14);
    m.input("X", TP::FLOAT, {1, 2, 3});  // layout 1: [batch, seq, input]
    m.initializer_f32("W", {2, 16, 3}, iota_f(96, 0.01f));
    m.initializer_f32("R", {2, 16, 4}, iota_f(128, -0.01f));
    auto& n = m.node("LSTM", {"X", "W", "R"}, {"Y"});
    attr_int(n, "hidden_size", 4);
    attr_int(n, "input_forget", 1);
    attr_int(n, "layout", 1);
    attr_string(n, "direction", "bidirectional");
    m.output("Y");
    Graph g = import_onnx(m.model(), {});
    const auto& a = g.nodes[0].attr<RecurrentAttrs>();
    CHECK(a.input_forget);
    CHECK(a.layout == 1);
    CHECK(a.direction == Direction::Bidirectional);
    CHECK(g.type_of(g.outputs[0]).shape == Shape{1, 2, 2, 4});  // [batch, seq, dirs, hidden]
  }
  SECTION("RNN with an unknown activation is unsupported") {
    ModelMaker m = recurrent(1, 14);
    auto& n = m.node("RNN", {"X", "W", "R"}, {"Y"}, "rnn0");
    attr_int(n, "hidden_size", 4);
    attr_strings(n, "activations", {"Gelu"});
    m.output("Y");
    CHECK_THROWS_WITH(import_onnx(m.model(), {}),
                      Catch::Contains("rnn0") && Catch::Contains("Gelu"));
  }
}

TEST_CASE("ONNX import: Constant node value forms", "[onnx]") {
  SECTION("value tensor, output of the graph") {
    ModelMaker m(13);
    auto& c = m.node("Constant", {}, {"c"}, "const0");
    auto& a = test::attr(c, "value");
    a.set_type(onnx::AttributeProto::TENSOR);
    a.mutable_t()->set_data_type(TP::FLOAT);
    a.mutable_t()->add_dims(2);
    a.mutable_t()->add_float_data(1.5f);
    a.mutable_t()->add_float_data(-2.5f);
    m.output("c");
    Graph g = import_onnx(m.model(), {});
    const Node& n = only_node(g, OpKind::Constant);
    CHECK(n.name == "const0");
    CHECK(n.attr<ConstantAttrs>().value.to_vector<float>() == std::vector<float>{1.5f, -2.5f});
    CHECK(Interpreter(g).run(std::vector<Tensor>{})[0].to_vector<float>() ==
          std::vector<float>{1.5f, -2.5f});
  }
  SECTION("value_float, value_floats, value_int feeding real inputs") {
    ModelMaker m(13);
    m.input("x", TP::FLOAT, {2});
    attr_float(m.node("Constant", {}, {"s"}), "value_float", 3.f);
    attr_floats(m.node("Constant", {}, {"v"}), "value_floats", {1.f, 2.f});
    attr_int(m.node("Constant", {}, {"i"}), "value_int", 7);
    m.node("Mul", {"x", "s"}, {"xs"});
    m.node("Add", {"xs", "v"}, {"y"});
    m.output("y");
    m.output("i", TP::INT64);
    Graph g = import_onnx(m.model(), {});
    auto out = Interpreter(g).run({Tensor::from_vector<float>({2}, {1.f, -1.f})});
    CHECK(out[0].to_vector<float>() == std::vector<float>{4.f, -1.f});
    CHECK(out[1].type() == TensorType{DType::i64, {}});
    CHECK(out[1].to_vector<int64_t>() == std::vector<int64_t>{7});
  }
  SECTION("two value attributes are malformed") {
    ModelMaker m(13);
    auto& c = m.node("Constant", {}, {"c"});
    attr_float(c, "value_float", 1.f);
    attr_int(c, "value_int", 1);
    m.output("c");
    CHECK_THROWS_AS(import_onnx(m.model(), {}), ParseError);
  }
}

// ---- initializers --------------------------------------------------------

TEST_CASE("ONNX import: initializer encodings", "[onnx]") {
  ModelMaker m(13);
  m.input("x", TP::FLOAT, {3});
  auto add_typed = [&](const std::string& name, int32_t type) -> TP& {
    auto* t = m.graph().add_initializer();
    t->set_name(name);
    t->set_data_type(type);
    t->add_dims(3);
    return *t;
  };
  auto& f64 = add_typed("f64", TP::DOUBLE);
  for (double v : {0.5, 1.5, -2.0})
    f64.add_double_data(v);
  auto& i32 = add_typed("i32", TP::INT32);
  for (int v : {-1, 0, 5})
    i32.add_int32_data(v);
  auto& u8 = add_typed("u8", TP::UINT8);
  for (int v : {0, 200, 255})
    u8.add_int32_data(v);
  auto& i8 = add_typed("i8", TP::INT8);
  for (int v : {-128, 0, 127})
    i8.add_int32_data(v);
  auto& b = add_typed("b", TP::BOOL);
  for (int v : {1, 0, 1})
    b.add_int32_data(v);
  m.initializer("raw_i64", Tensor::from_vector<int64_t>({3}, {1, -2, 3}));
  m.initializer_f32("f32", {3}, {1.f, 2.f, 3.f});
  // Each initializer goes through Identity so it reaches a graph output.
  for (std::string n : {"f64", "i32", "u8", "i8", "b", "raw_i64", "f32"}) {
    m.node("Identity", {n}, {"out_" + n});
    m.output("out_" + n);
  }
  Graph g = import_onnx(m.model(), {});
  auto value = [&](const std::string& name) { return *g.value(*g.find_value(name)).constant; };
  CHECK(value("f64").to_vector<double>() == std::vector<double>{0.5, 1.5, -2.0});
  CHECK(value("i32").to_vector<int32_t>() == std::vector<int32_t>{-1, 0, 5});
  CHECK(value("u8").to_vector<uint8_t>() == std::vector<uint8_t>{0, 200, 255});
  CHECK(value("i8").to_vector<int8_t>() == std::vector<int8_t>{-128, 0, 127});
  CHECK(value("b").to_vector<bool>() == std::vector<bool>{true, false, true});
  CHECK(value("raw_i64").to_vector<int64_t>() == std::vector<int64_t>{1, -2, 3});
  CHECK(value("f32").to_vector<float>() == std::vector<float>{1.f, 2.f, 3.f});
  // x is unused, but remains the model's input.
  CHECK(g.inputs.size() == 1);
}

TEST_CASE("ONNX import: initializers listed as inputs are constants (IR < 4)", "[onnx]") {
  ModelMaker m(9, 3);
  m.input("x", TP::FLOAT, {2});
  m.input("w", TP::FLOAT, {2});
  m.initializer_f32("w", {2}, {10.f, 20.f});
  m.node("Add", {"x", "w"}, {"y"});
  m.output("y");
  Graph g = import_onnx(m.model(), {});
  REQUIRE(g.inputs.size() == 1);
  CHECK(g.value(g.inputs[0]).name == "x");
  CHECK(g.is_constant(*g.find_value("w")));
  CHECK(run1(g, {Tensor::from_vector<float>({2}, {1.f, 2.f})}).to_vector<float>() ==
        std::vector<float>{11.f, 22.f});
  // A pinned value overrides the initializer's default, if its type matches.
  Graph pinned = import_onnx(
      m.model(), {.input_shapes = {},
                  .known_input_values = {{"w", Tensor::from_vector<float>({2}, {-1.f, -2.f})}}});
  CHECK(run1(pinned, {Tensor::from_vector<float>({2}, {1.f, 2.f})}).to_vector<float>() ==
        std::vector<float>{0.f, 0.f});
  CHECK_THROWS_AS(
      import_onnx(m.model(),
                  {.input_shapes = {}, .known_input_values = {{"w", Tensor::scalar<float>(1.f)}}}),
      InputError);
  // What loomc check binds test data to: only x.
  TempDir dir;
  m.save(dir.file("model.onnx"));
  auto model = OnnxModel::load_file(dir.file("model.onnx"));
  REQUIRE(model.inputs().size() == 1);
  CHECK(model.inputs()[0].name == "x");
}

TEST_CASE("ONNX import: external initializer data", "[onnx]") {
  TempDir dir;
  // 8 bytes of padding, then three floats.
  std::vector<float> w = {1.f, -2.f, 4.f};
  std::string blob(8, 'z');
  blob.append(reinterpret_cast<const char*>(w.data()), w.size() * sizeof(float));
  test::write_bytes(dir.file("weights.bin"), blob);

  auto make = [&](const std::string& location, const std::string& offset,
                  const std::string& length) {
    ModelMaker m(13);
    m.input("x", TP::FLOAT, {3});
    auto* t = m.graph().add_initializer();
    t->set_name("w");
    t->set_data_type(TP::FLOAT);
    t->add_dims(3);
    t->set_data_location(TP::EXTERNAL);
    auto add_kv = [&](const char* k, const std::string& v) {
      if (v.empty()) return;
      auto* e = t->add_external_data();
      e->set_key(k);
      e->set_value(v);
    };
    add_kv("location", location);
    add_kv("offset", offset);
    add_kv("length", length);
    m.node("Mul", {"x", "w"}, {"y"});
    m.output("y");
    m.save(dir.file("model.onnx"));
    return dir.file("model.onnx");
  };

  Graph g = import_onnx_file(make("weights.bin", "8", "12"));
  CHECK(g.value(*g.find_value("w")).constant->to_vector<float>() == w);
  CHECK(run1(g, {Tensor::from_vector<float>({3}, {1.f, 1.f, 2.f})}).to_vector<float>() ==
        std::vector<float>{1.f, -2.f, 8.f});

  CHECK_THROWS_WITH(import_onnx_file(make("weights.bin", "12", "12")),
                    Catch::Contains("beyond the end") && Catch::Contains("'w'"));
  CHECK_THROWS_WITH(import_onnx_file(make("weights.bin", "8", "8")),
                    Catch::Contains("length is 8 bytes") && Catch::Contains("needs 12"));
  CHECK_THROWS_WITH(import_onnx_file(make("../weights.bin", "8", "12")),
                    Catch::Contains("relative path inside the model's folder"));
  CHECK_THROWS_WITH(import_onnx_file(make("/etc/passwd", "", "")),
                    Catch::Contains("relative path inside the model's folder"));
  CHECK_THROWS_AS(import_onnx_file(make("missing.bin", "", "")), IOError);
  CHECK_THROWS_AS(import_onnx_file(make("weights.bin", "-3", "")), ParseError);
}

// ---- inputs, names -------------------------------------------------------

TEST_CASE("ONNX import: symbolic input dimensions must be pinned", "[onnx]") {
  ModelMaker m(13);
  m.input("images", TP::FLOAT, {std::string("batch"), 3});
  m.node("Relu", {"images"}, {"y"});
  m.output("y");
  try {
    import_onnx(m.model(), {});
    FAIL("expected UsageError");
  } catch (const UsageError& e) {
    CHECK_THAT(e.what(), Catch::Contains("'images'") && Catch::Contains("'batch'") &&
                             Catch::Contains("--shape"));
  }
  Graph g =
      import_onnx(m.model(), {.input_shapes = {{"images", {2, 3}}}, .known_input_values = {}});
  CHECK(g.type_of(g.inputs[0]) == TensorType{DType::f32, {2, 3}});
  CHECK(g.type_of(g.outputs[0]).shape == Shape{2, 3});

  // A pin that contradicts a fixed dimension, or names no input.
  CHECK_THROWS_WITH(
      import_onnx(m.model(), {.input_shapes = {{"images", {2, 4}}}, .known_input_values = {}}),
      Catch::Contains("dimension 1") && Catch::Contains("expected 3, got 4"));
  CHECK_THROWS_AS(
      import_onnx(m.model(), {.input_shapes = {{"images", {2}}}, .known_input_values = {}}),
      ShapeError);
  CHECK_THROWS_AS(
      import_onnx(m.model(), {.input_shapes = {{"nope", {2, 3}}}, .known_input_values = {}}),
      UsageError);

  // loomc ir takes the pin from --shape.
  TempDir dir;
  m.save(dir.file("sym.onnx"));
  auto bad = test::run_loomc("ir " + test::quote(dir.file("sym.onnx")));
  CHECK(bad.status == 2);
  CHECK_THAT(bad.output, Catch::Contains("'batch'"));
  auto ok = test::run_loomc("ir " + test::quote(dir.file("sym.onnx")) + " --shape images=5x3");
  INFO(ok.output);
  CHECK(ok.status == 0);
  CHECK_THAT(ok.output, Catch::Contains("f32[5,3]"));
}

TEST_CASE("ONNX import: generated node names, absent optional inputs/outputs", "[onnx]") {
  ModelMaker m(13);
  m.input("x", TP::FLOAT, {2});
  m.node("Relu", {"x"}, {"a"});
  m.node("Relu", {"a"}, {"b"}, "Relu_1_taken");
  m.node("Relu", {"b"}, {"c"});
  m.node("Relu", {"c"}, {"d"}, "Relu_1_taken");  // duplicate explicit name
  m.node("Dropout", {"d", "", ""}, {"y", ""});
  m.output("y");
  Graph g = import_onnx(m.model(), {});
  REQUIRE(g.nodes.size() == 5);
  CHECK(g.nodes[0].name == "Relu_0");
  CHECK(g.nodes[1].name == "Relu_1_taken");
  CHECK(g.nodes[2].name == "Relu_2");
  CHECK(g.nodes[3].name == "Relu_3");
  CHECK(g.nodes[4].name == "Dropout_4");
  CHECK(g.nodes[4].inputs.size() == 1);
  CHECK(g.nodes[4].outputs.size() == 1);
}

TEST_CASE("ONNX import: all unsupported nodes are reported at once", "[onnx]") {
  ModelMaker m(13);
  m.input("x", TP::FLOAT, {2, 3});
  m.node("Relu", {"x"}, {"a"});
  m.node("Erf", {"a"}, {"b"}, "erf_node");
  m.node("Relu", {"b"}, {"c"});  // fine, but downstream of an unsupported node
  m.node("HardSwish", {"c"}, {"d"}, "hs_node");
  attr_int(m.node("Conv", {"d", "w"}, {"e"}, "conv_node"), "bogus_attr", 1);
  m.initializer_f32("w", {1, 1, 1, 1}, {1.f});
  auto& custom = m.node("MyOp", {"x"}, {"f"}, "custom_node");
  custom.set_domain("com.example");
  m.node("Add", {"e", "f"}, {"y"});
  m.output("y");
  try {
    import_onnx(m.model(), {});
    FAIL("expected UnsupportedError");
  } catch (const UnsupportedError& e) {
    std::string msg = e.what();
    CHECK_THAT(msg, Catch::Contains("4 nodes"));
    CHECK_THAT(msg, Catch::Contains("node 'erf_node' (Erf, opset 13)"));
    CHECK_THAT(msg, Catch::Contains("node 'hs_node' (HardSwish, opset 13)"));
    CHECK_THAT(msg, Catch::Contains("node 'custom_node' (MyOp, opset 13)") &&
                        Catch::Contains("domain 'com.example'"));
    CHECK_THAT(msg, Catch::Contains("'bogus_attr'"));
  }
}

TEST_CASE("ONNX import: model-level opset and domain checks", "[onnx]") {
  ModelMaker old(6);
  old.input("x", TP::FLOAT, {2});
  old.node("Relu", {"x"}, {"y"});
  old.output("y");
  CHECK_THROWS_WITH(import_onnx(old.model(), {}),
                    Catch::Contains("opset 6") && Catch::Contains("7 to 17"));
  ModelMaker newer(18);
  newer.input("x", TP::FLOAT, {2});
  newer.node("Relu", {"x"}, {"y"});
  newer.output("y");
  CHECK_THROWS_AS(import_onnx(newer.model(), {}), UnsupportedError);
  ModelMaker none(13);
  none.model().mutable_opset_import(0)->set_domain("com.example");
  none.input("x", TP::FLOAT, {2});
  none.node("Relu", {"x"}, {"y"});
  none.output("y");
  CHECK_THROWS_WITH(import_onnx(none.model(), {}), Catch::Contains("default ONNX domain"));
  // "ai.onnx" is the default domain spelled out.
  ModelMaker spelled(13);
  spelled.model().mutable_opset_import(0)->set_domain("ai.onnx");
  spelled.input("x", TP::FLOAT, {2});
  spelled.node("Relu", {"x"}, {"y"}).set_domain("ai.onnx");
  spelled.output("y");
  CHECK(import_onnx(spelled.model(), {}).nodes.size() == 1);
}

TEST_CASE("ONNX import: load_model reads .onnx with pinned values", "[onnx]") {
  LoadOptions opt;
  opt.known_input_values["shape"] =
      read_tensor_pb(case_file("test_reshape_negative_dim", "test_data_set_0/input_1.pb")).tensor;
  Graph g = load_model(case_file("test_reshape_negative_dim", "model.onnx"), opt);
  CHECK(g.type_of(g.outputs[0]) == TensorType{DType::f32, {2, 6, 2}});
}
