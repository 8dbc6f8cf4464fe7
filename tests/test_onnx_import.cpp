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
#include "tests/test_util.h"

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
  m.node("Cos", {"a"}, {"b"}, "cos_node");
  m.node("Relu", {"b"}, {"c"});  // fine, but downstream of an unsupported node
  m.node("Round", {"c"}, {"d"}, "round_node");
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
    CHECK_THAT(msg, Catch::Contains("node 'cos_node' (Cos, opset 13)"));
    CHECK_THAT(msg, Catch::Contains("node 'round_node' (Round, opset 13)"));
    CHECK_THAT(msg, Catch::Contains("node 'custom_node' (MyOp, opset 13)") &&
                        Catch::Contains("domain 'com.example'"));
    CHECK_THAT(msg, Catch::Contains("'bogus_attr'"));
  }
}

TEST_CASE("ONNX import: model-level opset and domain checks", "[onnx]") {
  ModelMaker old(0);
  old.input("x", TP::FLOAT, {2});
  old.node("Relu", {"x"}, {"y"});
  old.output("y");
  CHECK_THROWS_WITH(import_onnx(old.model(), {}),
                    Catch::Contains("opset 0") && Catch::Contains("1 to 18"));
  ModelMaker newer(19);
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

// ---- opsets 1 to 6 ----------------------------------------------------------

namespace {

// A one-node model of `op` at `opset` with float inputs of the given shapes.
ModelMaker binary_model(const std::string& op, int64_t opset, const std::vector<test::Dim>& a,
                        const std::vector<test::Dim>& b) {
  ModelMaker m(opset, 3);
  m.input("a", TP::FLOAT, a);
  m.input("b", TP::FLOAT, b);
  m.node(op, {"a", "b"}, {"y"}, "op0");
  m.output("y");
  return m;
}

int count_ops(const Graph& g, OpKind op) {
  int n = 0;
  for (const Node& node : g.nodes)
    n += node.op == op;
  return n;
}

}  // namespace

TEST_CASE("ONNX import (opset < 7): Add/Sub/Mul/Div legacy broadcast with axis", "[onnx]") {
  Tensor a = Tensor::from_vector<float>({2, 3, 2}, iota_f(12));  // a[i][j][k] = 6i + 2j + k
  SECTION("constant B, axis 1: B is reshaped to [3, 1] at import") {
    ModelMaker m(6, 3);
    m.input("a", TP::FLOAT, {2, 3, 2});
    m.initializer_f32("b", {3}, {100.f, 200.f, 300.f});
    auto& n = m.node("Add", {"a", "b"}, {"y"}, "add0");
    attr_int(n, "broadcast", 1);
    attr_int(n, "axis", 1);
    m.output("y");
    Graph g = import_onnx(m.model(), {});
    const Node& add = only_node(g, OpKind::Add);
    CHECK(g.type_of(add.inputs[1]).shape == Shape{3, 1});
    CHECK(count_ops(g, OpKind::Reshape) == 0);
    Tensor y = run1(g, {a});
    REQUIRE(y.shape() == Shape{2, 3, 2});
    // y[i][j][k] = a[i][j][k] + b[j]: B runs along A's dimension 1.
    std::vector<float> want;
    for (int i = 0; i < 2; ++i)
      for (int j = 0; j < 3; ++j)
        for (int k = 0; k < 2; ++k)
          want.push_back(static_cast<float>(6 * i + 2 * j + k + 100 * (j + 1)));
    CHECK(y.to_vector<float>() == want);
  }
  SECTION("B from a graph input, axis 0: a Reshape node is inserted") {
    ModelMaker m = binary_model("Sub", 6, {2, 3, 2}, {2, 3});
    auto& n = *m.graph().mutable_node(0);
    attr_int(n, "broadcast", 1);
    attr_int(n, "axis", 0);
    Graph g = import_onnx(m.model(), {});
    const Node& r = only_node(g, OpKind::Reshape);
    CHECK(r.attr<ReshapeAttrs>().shape == std::vector<int64_t>{2, 3, 1});
    Tensor b = Tensor::from_vector<float>({2, 3}, {10, 20, 30, 40, 50, 60});
    Tensor y = Interpreter(g).run({a, b})[0];
    // y[i][j][k] = a[i][j][k] - b[i][j].
    std::vector<float> want;
    for (int i = 0; i < 2; ++i)
      for (int j = 0; j < 3; ++j)
        for (int k = 0; k < 2; ++k)
          want.push_back(static_cast<float>(6 * i + 2 * j + k - 10 * (3 * i + j + 1)));
    CHECK(y.to_vector<float>() == want);
  }
  SECTION("no axis: suffix matching, which numpy broadcasting already does") {
    ModelMaker m = binary_model("Mul", 6, {2, 3, 2}, {3, 2});
    attr_int(*m.graph().mutable_node(0), "broadcast", 1);
    Graph g = import_onnx(m.model(), {});
    CHECK(g.nodes.size() == 1);
    Tensor b = Tensor::from_vector<float>({3, 2}, {1, -1, 2, -2, 3, -3});
    Tensor y = Interpreter(g).run({a, b})[0];
    CHECK(y.to_vector<float>() ==
          std::vector<float>{0, -1, 4, -6, 12, -15, 6, -7, 16, -18, 30, -33});
  }
  SECTION("size-1 dimensions of B expand (as ONNX's test data expects)") {
    ModelMaker m = binary_model("Div", 6, {2, 3}, {2, 1});
    attr_int(*m.graph().mutable_node(0), "broadcast", 1);
    attr_int(*m.graph().mutable_node(0), "axis", 0);
    Graph g = import_onnx(m.model(), {});
    Tensor y = Interpreter(g).run({Tensor::from_vector<float>({2, 3}, {2, 4, 6, 9, 12, 15}),
                                   Tensor::from_vector<float>({2, 1}, {2, 3})})[0];
    CHECK(y.to_vector<float>() == std::vector<float>{1, 2, 3, 3, 4, 5});
  }
  SECTION("one-element B with any axis") {
    ModelMaker m(6, 3);
    m.input("a", TP::FLOAT, {2, 2});
    m.initializer_f32("b", {1, 1}, {0.5f});
    auto& n = m.node("Mul", {"a", "b"}, {"y"});
    attr_int(n, "broadcast", 1);
    m.output("y");
    Graph g = import_onnx(m.model(), {});
    CHECK(run1(g, {Tensor::from_vector<float>({2, 2}, {2, 4, 6, 8})}).to_vector<float>() ==
          std::vector<float>{1, 2, 3, 4});
  }
  SECTION("opset 1 consumed_inputs is ignored") {
    ModelMaker m = binary_model("Add", 1, {2}, {2});
    attr_ints(*m.graph().mutable_node(0), "consumed_inputs", {0, 0});
    Graph g = import_onnx(m.model(), {});
    CHECK(Interpreter(g)
              .run({Tensor::from_vector<float>({2}, {1, 2}),
                    Tensor::from_vector<float>({2}, {3, 5})})[0]
              .to_vector<float>() == std::vector<float>{4, 7});
  }
  SECTION("shape errors name the node") {
    ModelMaker same = binary_model("Add", 6, {2, 3}, {3});  // no broadcast: shapes must match
    CHECK_THROWS_AS(import_onnx(same.model(), {}), ShapeError);
    CHECK_THROWS_WITH(import_onnx(same.model(), {}),
                      Catch::Contains("op0") && Catch::Contains("broadcast"));
    ModelMaker mismatch = binary_model("Add", 6, {2, 3, 4}, {3});
    attr_int(*mismatch.graph().mutable_node(0), "broadcast", 1);
    attr_int(*mismatch.graph().mutable_node(0), "axis", 2);  // A's dim 2 is 4, not 3
    CHECK_THROWS_AS(import_onnx(mismatch.model(), {}), ShapeError);
    ModelMaker outside = binary_model("Add", 6, {2, 3}, {3});
    attr_int(*outside.graph().mutable_node(0), "broadcast", 1);
    attr_int(*outside.graph().mutable_node(0), "axis", 2);
    CHECK_THROWS_WITH(import_onnx(outside.model(), {}), Catch::Contains("axis 2"));
  }
  SECTION("broadcast and consumed_inputs belong to old opsets only") {
    ModelMaker m = binary_model("Add", 7, {2}, {2});
    attr_int(*m.graph().mutable_node(0), "broadcast", 1);
    CHECK_THROWS_WITH(import_onnx(m.model(), {}),
                      Catch::Contains("'broadcast'") && Catch::Contains("opsets 1 to 6"));
    ModelMaker r(6);
    r.input("x", TP::FLOAT, {2});
    attr_ints(r.node("Relu", {"x"}, {"y"}), "consumed_inputs", {0});
    r.output("y");
    CHECK_THROWS_AS(import_onnx(r.model(), {}), UnsupportedError);
  }
}

TEST_CASE("ONNX import (opset < 6): activations with consumed_inputs", "[onnx]") {
  ModelMaker m(5, 3);
  m.input("x", TP::FLOAT, {4});
  const std::vector<std::pair<std::string, std::string>> chain = {
      {"Relu", "r"}, {"Sigmoid", "s"}, {"Tanh", "t"}, {"LeakyRelu", "l"}, {"Elu", "e"}};
  for (const auto& [op, out] : chain) {
    auto& n = m.node(op, {"x"}, {out});
    attr_ints(n, "consumed_inputs", {0});
    if (op == "LeakyRelu") attr_float(n, "alpha", 0.5f);
    m.output(out);
  }
  Graph g = import_onnx(m.model(), {});
  std::vector<float> xs = {-2.f, -0.5f, 0.f, 1.5f};
  auto out = Interpreter(g).run({Tensor::from_vector<float>({4}, xs)});
  REQUIRE(out.size() == 5);
  for (size_t i = 0; i < xs.size(); ++i) {
    float x = xs[i];
    CHECK(out[0].data<float>()[i] == std::max(x, 0.f));
    CHECK(out[1].data<float>()[i] == Approx(1.f / (1.f + std::exp(-x))));
    CHECK(out[2].data<float>()[i] == Approx(std::tanh(x)));
    CHECK(out[3].data<float>()[i] == Approx(x < 0 ? 0.5f * x : x));
    CHECK(out[4].data<float>()[i] == Approx(x < 0 ? std::exp(x) - 1.f : x));
  }
}

TEST_CASE("ONNX import (opset < 9): BatchNormalization is_test, spatial, outputs", "[onnx]") {
  auto bn_model = [](int64_t opset, std::vector<test::Dim> x_dims, std::vector<int64_t> p_dims) {
    ModelMaker m(opset, 3);
    m.input("x", TP::FLOAT, x_dims);
    m.initializer_f32("scale", p_dims, {2.f, 3.f});
    m.initializer_f32("bias", p_dims, {1.f, -1.f});
    m.initializer_f32("mean", p_dims, {1.f, 2.f});
    m.initializer_f32("var", p_dims, {4.f, 9.f});
    auto& n = m.node("BatchNormalization", {"x", "scale", "bias", "mean", "var"}, {"y"}, "bn0");
    attr_float(n, "epsilon", 0.f);
    m.output("y");
    return m;
  };
  // y = (x - mean) / sqrt(var) * scale + bias per channel: c0 (x-1)/2*2+1, c1 (x-2)/3*3-1.
  SECTION("opset 6 is_test = 1, momentum ignored") {
    ModelMaker m = bn_model(6, {1, 2, 2}, {2});
    attr_int(*m.graph().mutable_node(0), "is_test", 1);
    attr_float(*m.graph().mutable_node(0), "momentum", 0.9f);
    Graph g = import_onnx(m.model(), {});
    CHECK(run1(g, {Tensor::from_vector<float>({1, 2, 2}, {3, 5, 5, 8})}).to_vector<float>() ==
          std::vector<float>{3, 5, 2, 5});
  }
  SECTION("opset 5 consumed_inputs; is_test defaults to training, unsupported") {
    ModelMaker m = bn_model(5, {1, 2}, {2});
    attr_ints(*m.graph().mutable_node(0), "consumed_inputs", {0, 0, 0, 1, 1});
    CHECK_THROWS_WITH(import_onnx(m.model(), {}),
                      Catch::Contains("bn0") && Catch::Contains("is_test = 0"));
    attr_int(*m.graph().mutable_node(0), "is_test", 1);
    CHECK(run1(import_onnx(m.model(), {}), {Tensor::from_vector<float>({1, 2}, {5, 11})})
              .to_vector<float>() == std::vector<float>{5, 8});
  }
  SECTION("opset 7 spatial = 0 on [N, C] input equals spatial = 1") {
    ModelMaker m = bn_model(7, {2, 2}, {2});
    attr_int(*m.graph().mutable_node(0), "spatial", 0);
    Graph g = import_onnx(m.model(), {});
    CHECK(run1(g, {Tensor::from_vector<float>({2, 2}, {1, 2, 3, 5})}).to_vector<float>() ==
          std::vector<float>{1, -1, 3, 2});
  }
  SECTION("spatial = 0 with 1x1 spatial dimensions: [C, 1, 1] statistics become [C]") {
    ModelMaker m = bn_model(8, {1, 2, 1, 1}, {2, 1, 1});
    attr_int(*m.graph().mutable_node(0), "spatial", 0);
    Graph g = import_onnx(m.model(), {});
    const Node& bn = only_node(g, OpKind::BatchNormalization);
    for (size_t i = 1; i < 5; ++i)
      CHECK(g.type_of(bn.inputs[i]).shape == Shape{2});
    CHECK(run1(g, {Tensor::from_vector<float>({1, 2, 1, 1}, {5, 8})}).to_vector<float>() ==
          std::vector<float>{5, 5});
  }
  SECTION("spatial = 0 with real spatial dimensions is unsupported") {
    ModelMaker m = bn_model(8, {1, 2, 2}, {2});
    attr_int(*m.graph().mutable_node(0), "spatial", 0);
    CHECK_THROWS_WITH(import_onnx(m.model(), {}),
                      Catch::Contains("bn0") && Catch::Contains("spatial = 0"));
  }
  SECTION("training outputs are unsupported; spatial is gone from opset 9") {
    ModelMaker m = bn_model(6, {1, 2}, {2});
    attr_int(*m.graph().mutable_node(0), "is_test", 1);
    m.graph().mutable_node(0)->add_output("running_mean");
    CHECK_THROWS_AS(import_onnx(m.model(), {}), UnsupportedError);
    ModelMaker s = bn_model(9, {1, 2}, {2});
    attr_int(*s.graph().mutable_node(0), "spatial", 1);
    CHECK_THROWS_WITH(import_onnx(s.model(), {}),
                      Catch::Contains("'spatial'") && Catch::Contains("opsets 1 to 8"));
  }
}

TEST_CASE("ONNX import (opset < 12): Dropout is_test and ratio", "[onnx]") {
  auto drop = [](int64_t opset) {
    ModelMaker m(opset, 3);
    m.input("x", TP::FLOAT, {3});
    m.node("Dropout", {"x"}, {"y"}, "drop0");
    m.output("y");
    return m;
  };
  Tensor x = Tensor::from_vector<float>({3}, {1.f, -2.f, 3.f});
  ModelMaker test_mode = drop(6);
  attr_int(*test_mode.graph().mutable_node(0), "is_test", 1);
  attr_float(*test_mode.graph().mutable_node(0), "ratio", 0.7f);
  Graph g = import_onnx(test_mode.model(), {});
  CHECK(only_node(g, OpKind::Dropout).attr<DropoutAttrs>().ratio == 0.7f);
  CHECK(run1(g, {x}).to_vector<float>() == x.to_vector<float>());

  ModelMaker training = drop(1);  // is_test defaults to 0: random dropout
  attr_ints(*training.graph().mutable_node(0), "consumed_inputs", {0});
  CHECK_THROWS_WITH(import_onnx(training.model(), {}),
                    Catch::Contains("drop0") && Catch::Contains("is_test = 0"));
  // Training with ratio 0 drops nothing: the output is the input.
  attr_float(*training.graph().mutable_node(0), "ratio", 0.f);
  CHECK(run1(import_onnx(training.model(), {}), {x}).to_vector<float>() == x.to_vector<float>());

  ModelMaker seven = drop(7);  // no is_test any more: inference
  CHECK(run1(import_onnx(seven.model(), {}), {x}).to_vector<float>() == x.to_vector<float>());
  attr_int(*seven.graph().mutable_node(0), "is_test", 1);
  CHECK_THROWS_AS(import_onnx(seven.model(), {}), UnsupportedError);

  // Before opset 10 the mask has the input's type, not Loom's boolean.
  ModelMaker mask = drop(9);
  mask.graph().mutable_node(0)->add_output("mask");
  mask.output("mask");
  CHECK_THROWS_WITH(import_onnx(mask.model(), {}), Catch::Contains("mask"));
}

TEST_CASE("ONNX import (opset < 7): Gemm broadcast and required C", "[onnx]") {
  auto gemm = [](int64_t opset, std::vector<int64_t> c_dims, std::vector<float> c) {
    ModelMaker m(opset, 3);
    m.input("a", TP::FLOAT, {2, 2});
    m.initializer_f32("b", {2, 3}, {1, 2, 3, 4, 5, 6});
    m.initializer_f32("c", c_dims, c);
    m.node("Gemm", {"a", "b", "c"}, {"y"}, "gemm0");
    m.output("y");
    return m;
  };
  Tensor a = Tensor::from_vector<float>({2, 2}, {1, 0, 1, 1});
  // A * B = [[1, 2, 3], [5, 7, 9]].
  ModelMaker bcast = gemm(6, {3}, {10, 20, 30});
  attr_int(*bcast.graph().mutable_node(0), "broadcast", 1);
  CHECK(run1(import_onnx(bcast.model(), {}), {a}).to_vector<float>() ==
        std::vector<float>{11, 22, 33, 15, 27, 39});

  ModelMaker no_bcast = gemm(1, {3}, {10, 20, 30});  // C must then be [M, N]
  CHECK_THROWS_AS(import_onnx(no_bcast.model(), {}), ShapeError);
  CHECK_THROWS_WITH(import_onnx(no_bcast.model(), {}), Catch::Contains("gemm0"));

  ModelMaker full = gemm(6, {2, 3}, {1, 1, 1, 2, 2, 2});
  attr_float(*full.graph().mutable_node(0), "beta", 2.f);
  CHECK(run1(import_onnx(full.model(), {}), {a}).to_vector<float>() ==
        std::vector<float>{3, 4, 5, 9, 11, 13});

  for (int64_t opset : {6, 9}) {
    ModelMaker no_c(opset, 3);
    no_c.input("a", TP::FLOAT, {2, 2});
    no_c.input("b", TP::FLOAT, {2, 3});
    no_c.node("Gemm", {"a", "b"}, {"y"});
    no_c.output("y");
    CHECK_THROWS_AS(import_onnx(no_c.model(), {}), ParseError);
  }
}

TEST_CASE("ONNX import (opset < 5): Concat default axis, Reshape shape attribute", "[onnx]") {
  ModelMaker cat(3, 3);
  cat.input("a", TP::FLOAT, {2, 1});
  cat.input("b", TP::FLOAT, {2, 2});
  cat.node("Concat", {"a", "b"}, {"y"});
  cat.output("y");
  Graph g = import_onnx(cat.model(), {});
  CHECK(only_node(g, OpKind::Concat).attr<AxisAttrs>().axis == 1);
  CHECK(Interpreter(g)
            .run({Tensor::from_vector<float>({2, 1}, {1, 2}),
                  Tensor::from_vector<float>({2, 2}, {3, 4, 5, 6})})[0]
            .to_vector<float>() == std::vector<float>{1, 3, 4, 2, 5, 6});
  cat.model().mutable_opset_import(0)->set_version(4);  // Concat-4 requires axis
  CHECK_THROWS_AS(import_onnx(cat.model(), {}), ParseError);

  ModelMaker r(4, 3);
  r.input("x", TP::FLOAT, {2, 3});
  auto& n = r.node("Reshape", {"x"}, {"y"});
  attr_ints(n, "shape", {3, -1});
  attr_ints(n, "consumed_inputs", {1});
  r.output("y");
  Graph rg = import_onnx(r.model(), {});
  CHECK(only_node(rg, OpKind::Reshape).attr<ReshapeAttrs>().shape == std::vector<int64_t>{3, -1});
  Tensor ry = run1(rg, {Tensor::from_vector<float>({2, 3}, iota_f(6))});
  CHECK(ry.shape() == Shape{3, 2});
  CHECK(ry.to_vector<float>() == iota_f(6));
  // 0 copies the input's dimension (opset 1 already): [0, -1, 2] on [2, 6] is [2, 3, 2].
  ModelMaker r0(1, 3);
  r0.input("x", TP::FLOAT, {2, 6});
  attr_ints(r0.node("Reshape", {"x"}, {"y"}), "shape", {0, -1, 2});
  r0.output("y");
  Graph g0 = import_onnx(r0.model(), {});
  CHECK(g0.type_of(g0.outputs[0]).shape == Shape{2, 3, 2});
  ModelMaker missing(4, 3);
  missing.input("x", TP::FLOAT, {2, 3});
  missing.node("Reshape", {"x"}, {"y"});
  missing.output("y");
  CHECK_THROWS_AS(import_onnx(missing.model(), {}), ParseError);
  ModelMaker late(5, 3);  // from opset 5 the shape is an input
  late.input("x", TP::FLOAT, {2, 3});
  attr_ints(late.node("Reshape", {"x"}, {"y"}), "shape", {3, 2});
  late.output("y");
  CHECK_THROWS_AS(import_onnx(late.model(), {}), UnsupportedError);
}

TEST_CASE("ONNX import (opset 1): Clip, Constant, Softmax, Slice, shape ops", "[onnx]") {
  ModelMaker m(1, 3);
  m.input("x", TP::FLOAT, {2, 3});
  auto& clip = m.node("Clip", {"x"}, {"c"});
  attr_float(clip, "min", 0.f);
  attr_float(clip, "max", 4.f);
  attr_ints(clip, "consumed_inputs", {0});
  auto& k = m.node("Constant", {}, {"k"});
  auto& kv = test::attr(k, "value");
  kv.set_type(onnx::AttributeProto::TENSOR);
  kv.mutable_t()->set_data_type(TP::FLOAT);
  kv.mutable_t()->add_dims(3);
  for (float v : {1.f, 2.f, 3.f})
    kv.mutable_t()->add_float_data(v);
  attr_int(m.node("Mul", {"c", "k"}, {"ck"}), "broadcast", 1);
  m.node("Softmax", {"ck"}, {"sm"});  // axis 1: rows of the [2, 3] input
  auto& sl = m.node("Slice", {"sm"}, {"s"});
  attr_ints(sl, "starts", {1});
  attr_ints(sl, "ends", {2});
  attr_ints(sl, "axes", {0});
  attr_ints(m.node("Squeeze", {"s"}, {"sq"}), "axes", {0});
  attr_ints(m.node("Unsqueeze", {"sq"}, {"u"}), "axes", {1});
  m.node("Transpose", {"u"}, {"t"});
  m.node("Identity", {"t"}, {"y"});
  m.output("y");
  Graph g = import_onnx(m.model(), {});
  CHECK(only_node(g, OpKind::Softmax).attr<SoftmaxAttrs>() == SoftmaxAttrs{1, true});
  Tensor y = run1(g, {Tensor::from_vector<float>({2, 3}, {9, 9, 9, -1, 1, 2})});
  REQUIRE(y.shape() == Shape{1, 3});
  // Row 1 clipped to [0, 1, 2], times [1, 2, 3]: [0, 2, 6]; then softmax.
  double z = 1 + std::exp(2.0) + std::exp(6.0);
  CHECK(y.data<float>()[0] == Approx(1 / z));
  CHECK(y.data<float>()[1] == Approx(std::exp(2.0) / z));
  CHECK(y.data<float>()[2] == Approx(std::exp(6.0) / z));

  // value_float and friends arrived in opset 12.
  ModelMaker c(8, 3);
  attr_float(c.node("Constant", {}, {"k"}), "value_float", 1.f);
  c.output("k");
  CHECK_THROWS_WITH(import_onnx(c.model(), {}), Catch::Contains("'value_float'"));
}

TEST_CASE("ONNX import (opset < 10): pool attributes by operator version", "[onnx]") {
  auto pool = [](const std::string& op, int64_t opset) {
    ModelMaker m(opset, 3);
    m.input("x", TP::FLOAT, {1, 1, 4, 4});
    attr_ints(m.node(op, {"x"}, {"y"}, "pool0"), "kernel_shape", {2, 2});
    m.output("y");
    return m;
  };
  ModelMaker ok = pool("MaxPool", 1);
  attr_ints(*ok.graph().mutable_node(0), "strides", {2, 2});
  Tensor y =
      run1(import_onnx(ok.model(), {}), {Tensor::from_vector<float>({1, 1, 4, 4}, iota_f(16))});
  CHECK(y.to_vector<float>() == std::vector<float>{5, 7, 13, 15});

  ModelMaker dil = pool("MaxPool", 9);
  attr_ints(*dil.graph().mutable_node(0), "dilations", {1, 1});
  CHECK_THROWS_WITH(import_onnx(dil.model(), {}),
                    Catch::Contains("'dilations'") && Catch::Contains("from opset 10"));
  ModelMaker order = pool("MaxPool", 7);
  attr_int(*order.graph().mutable_node(0), "storage_order", 0);
  CHECK_THROWS_AS(import_onnx(order.model(), {}), UnsupportedError);
  ModelMaker indices = pool("MaxPool", 7);
  indices.graph().mutable_node(0)->add_output("idx");
  CHECK_THROWS_AS(import_onnx(indices.model(), {}), ParseError);
  ModelMaker cip = pool("AveragePool", 6);
  attr_int(*cip.graph().mutable_node(0), "count_include_pad", 1);
  CHECK_THROWS_WITH(import_onnx(cip.model(), {}), Catch::Contains("'count_include_pad'"));
}

TEST_CASE("ONNX import (opset < 7): RNN/GRU/LSTM output_sequence, GRU-1", "[onnx]") {
  auto gru = [](int64_t opset) {
    ModelMaker m(opset, 3);
    m.input("X", TP::FLOAT, {2, 1, 3});
    m.initializer_f32("W", {1, 6, 3}, iota_f(18, 0.05f, -0.4f));
    m.initializer_f32("R", {1, 6, 2}, iota_f(12, -0.07f, 0.3f));
    auto& n = m.node("GRU", {"X", "W", "R"}, {"Y", "Y_h"}, "gru0");
    attr_int(n, "hidden_size", 2);
    m.output("Y");
    m.output("Y_h");
    return m;
  };
  ModelMaker g1 = gru(1);
  attr_int(*g1.graph().mutable_node(0), "output_sequence", 1);
  Graph old_graph = import_onnx(g1.model(), {});
  Graph new_graph = import_onnx(gru(7).model(), {});
  CHECK(only_node(old_graph, OpKind::GRU).attr<RecurrentAttrs>() ==
        only_node(new_graph, OpKind::GRU).attr<RecurrentAttrs>());
  Tensor x = Tensor::from_vector<float>({2, 1, 3}, {0.5f, -1.f, 2.f, 1.f, 0.f, -0.5f});
  auto a = Interpreter(old_graph).run({x});
  auto b = Interpreter(new_graph).run({x});
  expect_close(a[0], b[0], 0, 0);
  expect_close(a[1], b[1], 0, 0);

  ModelMaker lbr = gru(1);  // linear_before_reset arrived with GRU-3
  attr_int(*lbr.graph().mutable_node(0), "linear_before_reset", 1);
  CHECK_THROWS_WITH(import_onnx(lbr.model(), {}),
                    Catch::Contains("gru0") && Catch::Contains("from opset 3"));
  lbr.model().mutable_opset_import(0)->set_version(3);
  CHECK(only_node(import_onnx(lbr.model(), {}), OpKind::GRU)
            .attr<RecurrentAttrs>()
            .linear_before_reset);
  ModelMaker seq7 = gru(7);
  attr_int(*seq7.graph().mutable_node(0), "output_sequence", 1);
  CHECK_THROWS_AS(import_onnx(seq7.model(), {}), UnsupportedError);
  ModelMaker layout = gru(13);
  attr_int(*layout.graph().mutable_node(0), "layout", 0);
  CHECK_THROWS_AS(import_onnx(layout.model(), {}), UnsupportedError);
}

TEST_CASE("ONNX import (old opsets): real backend-test cases", "[onnx]") {
  const std::string root = "/usr/share/libonnx-testdata/data/";
  for (const std::string c :
       {"pytorch-converted/test_Conv2d", "node/test_elu", "node/test_globalaveragepool",
        "pytorch-operator/test_operator_add_broadcast", "pytorch-converted/test_BatchNorm2d_eval",
        "pytorch-converted/test_Linear"}) {
    INFO(c);
    OnnxModel model = OnnxModel::load_file(root + c + "/model.onnx");
    Graph g = model.import();
    std::vector<Tensor> ins;
    for (size_t i = 0; i < model.inputs().size(); ++i)
      ins.push_back(
          read_tensor_pb(root + c + "/test_data_set_0/input_" + std::to_string(i) + ".pb").tensor);
    auto out = Interpreter(g).run(ins);
    REQUIRE(out.size() == 1);
    expect_close(out[0], read_tensor_pb(root + c + "/test_data_set_0/output_0.pb").tensor, 1e-3,
                 1e-5);
  }
}

TEST_CASE("loomc ir --value pins a graph input from a .pb file", "[onnx]") {
  const std::string dir = kNodeData + "test_reshape_negative_dim/";
  auto unpinned = test::run_loomc("ir " + test::quote(dir + "model.onnx"));
  CHECK(unpinned.status != 0);
  CHECK_THAT(unpinned.output, Catch::Contains("must be a constant"));

  auto pinned = test::run_loomc("ir " + test::quote(dir + "model.onnx") + " --value shape=" +
                                test::quote(dir + "test_data_set_0/input_1.pb"));
  INFO(pinned.output);
  CHECK(pinned.status == 0);
  CHECK_THAT(pinned.output,
             Catch::Contains("Reshape(%data) {shape=[2,-1,2]}") && Catch::Contains("f32[2,6,2]"));
  CHECK_THAT(pinned.output, !Catch::Contains("%shape"));

  auto bad = test::run_loomc("ir " + test::quote(dir + "model.onnx") + " --value shape");
  CHECK(bad.status != 0);
  CHECK_THAT(bad.output, Catch::Contains("NAME=FILE.pb"));
  auto unknown = test::run_loomc("ir " + test::quote(dir + "model.onnx") + " --value nope=" +
                                 test::quote(dir + "test_data_set_0/input_1.pb"));
  CHECK(unknown.status != 0);
  CHECK_THAT(unknown.output, Catch::Contains("'nope'"));
  auto help = test::run_loomc("ir --help");
  CHECK_THAT(help.output, Catch::Contains("--value NAME=FILE.pb"));
}

TEST_CASE("ONNX import: opset-18 forms of Reduce, Pad, Split and Resize", "[onnx]") {
  ModelMaker m(18);
  m.input("x", TP::FLOAT, {1, 2, 4, 7});
  m.initializer_i64("axes", {2}, {2, 3});
  m.node("ReduceMean", {"x", "axes"}, {"mean"}, "mean_node");
  m.initializer_i64("pads", {4}, {1, 0, 2, 3});
  m.initializer_i64("pad_axes", {2}, {-1, 1});
  m.node("Pad", {"x", "pads", "", "pad_axes"}, {"padded"}, "pad_node");
  auto& split = m.node("Split", {"x"}, {"s0", "s1", "s2", "s3"}, "split_node");
  attr_int(split, "num_outputs", 4);
  attr_int(split, "axis", -1);
  m.initializer_f32("scales", {2}, {2.f, 0.5f});
  attr_ints(m.node("Resize", {"x", "", "scales"}, {"resized"}, "resize_node"), "axes", {2, 3});
  for (const char* o : {"mean", "padded", "s0", "s3", "resized"})
    m.output(o);
  Graph g = import_onnx(m.model(), {});
  auto node = [&](const std::string& name) -> const Node& {
    for (const Node& n : g.nodes)
      if (n.name == name) return n;
    FAIL("no node " << name);
    return g.nodes[0];
  };
  CHECK(node("mean_node").attr<ReduceAttrs>().axes == std::vector<int64_t>{2, 3});
  CHECK(g.type_of(node("mean_node").outputs[0]).shape == Shape{1, 2, 1, 1});
  // pads [1, 0 | 2, 3] on axes (-1, 1): begin w 1, c 0; end w 2, c 3.
  CHECK(node("pad_node").attr<PadAttrs>().pads == std::vector<int64_t>{0, 0, 0, 1, 0, 3, 0, 2});
  CHECK(g.type_of(node("pad_node").outputs[0]).shape == Shape{1, 5, 4, 10});
  // num_outputs = 4 over 7: parts of ceil(7 / 4) = 2, the last one shorter.
  CHECK(g.type_of(node("split_node").outputs[0]).shape == Shape{1, 2, 4, 2});
  CHECK(g.type_of(node("split_node").outputs[3]).shape == Shape{1, 2, 4, 1});
  CHECK(node("resize_node").attr<ResizeAttrs>().scales == std::vector<float>{1, 1, 2, 0.5f});
  CHECK(g.type_of(node("resize_node").outputs[0]).shape == Shape{1, 2, 8, 3});
}

TEST_CASE("ONNX import: a node reading the output of an unsupported node is not misreported",
          "[onnx]") {
  // ConvTranspose and Resize ask for their input's type while converting;
  // downstream of an unsupported Pad that type is unknown.
  ModelMaker m(13);
  m.input("x", TP::FLOAT, {1, 2, 5});
  m.input("pads", TP::INT64, {6});
  m.node("Pad", {"x", "pads"}, {"p"}, "pad_node");
  m.initializer_f32("w", {2, 2, 3}, std::vector<float>(12, 0.5f));
  attr_ints(m.node("ConvTranspose", {"p", "w"}, {"y"}, "up_node"), "strides", {2});
  m.output("y");
  std::string msg = test::error_of<UnsupportedError>([&] { import_onnx(m.model(), {}); });
  CHECK_THAT(msg, Catch::Contains("'pad_node' (Pad)") && Catch::Contains("'pads'"));
  CHECK_THAT(msg, !Catch::Contains("not defined"));
}
