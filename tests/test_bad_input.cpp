// Bad input through the importer and the loomc binary: every case must end in
// a typed loom::Error (exit status 2 from `loomc ir` / single-case `loomc
// check`), never a crash. Bad models are built with the protobuf API into a
// scratch folder.
#include <catch2/catch.hpp>

#include "compiler/frontend/onnx/onnx_model_proto.h"
#include "compiler/frontend/onnx/tensor_io.h"
#include "onnx_test_util.h"

using namespace loom;
using loom::test::ModelMaker;
using loom::test::quote;
using loom::test::run_loomc;
using loom::test::TempDir;
using TP = onnx::TensorProto;

namespace {

// A valid model: y = relu(x) + b, x: f32[2,3].
ModelMaker relu_model() {
  ModelMaker m(13);
  m.input("x", TP::FLOAT, {2, 3});
  m.initializer_f32("b", {3}, {1.f, 2.f, 3.f});
  m.node("Relu", {"x"}, {"r"}, "relu");
  m.node("Add", {"r", "b"}, {"y"}, "add");
  m.output("y");
  return m;
}

// Writes a backend-test case folder: model.onnx + test_data_set_0.
void write_case(const std::filesystem::path& dir, const ModelMaker& m,
                const std::vector<Tensor>& inputs, const std::vector<Tensor>& outputs) {
  std::filesystem::create_directories(dir / "test_data_set_0");
  m.save((dir / "model.onnx").string());
  for (size_t i = 0; i < inputs.size(); ++i)
    write_tensor_pb((dir / "test_data_set_0" / ("input_" + std::to_string(i) + ".pb")).string(),
                    inputs[i]);
  for (size_t i = 0; i < outputs.size(); ++i)
    write_tensor_pb((dir / "test_data_set_0" / ("output_" + std::to_string(i) + ".pb")).string(),
                    outputs[i]);
}

const Tensor kX = Tensor::from_vector<float>({2, 3}, {-1.f, 0.5f, 2.f, -3.f, 4.f, 0.f});
// relu(kX) + [1, 2, 3]
const Tensor kY = Tensor::from_vector<float>({2, 3}, {1.f, 2.5f, 5.f, 1.f, 6.f, 3.f});

// Checks a bad model three ways: the importer throws E with `needle` in the
// message, `loomc ir` exits 2 saying so, and single-case `loomc check` exits 2
// (or, for a model Loom does not support, reports it UNSUPPORTED).
template <class E>
void expect_bad_model(const TempDir& dir, const std::string& name, const std::string& bytes,
                      const std::string& needle) {
  auto case_dir = dir.path() / name;
  std::filesystem::create_directories(case_dir / "test_data_set_0");
  std::string model = (case_dir / "model.onnx").string();
  test::write_bytes(model, bytes);
  write_tensor_pb((case_dir / "test_data_set_0" / "input_0.pb").string(), kX);
  write_tensor_pb((case_dir / "test_data_set_0" / "output_0.pb").string(), kY);
  INFO("case " << name);
  try {
    import_onnx_file(model);
    FAIL("expected an error");
  } catch (const E& e) {
    CHECK_THAT(e.what(), Catch::Contains(needle));
  }
  auto ir = run_loomc("ir " + quote(model));
  INFO(ir.output);
  CHECK(ir.status == 2);
  CHECK_THAT(ir.output, Catch::Contains(needle));
  auto check = run_loomc("check " + quote(case_dir.string()));
  INFO(check.output);
  if constexpr (std::is_same_v<E, UnsupportedError>) {
    // loomc check reports a model Loom cannot run as skipped, not failed.
    CHECK(check.status == 0);
    CHECK_THAT(check.output,
               Catch::Contains("UNSUPPORTED " + name + ": ") && Catch::Contains(needle));
    CHECK_THAT(check.output, Catch::Contains("0 passed, 0 failed, 1 skipped"));
  } else {
    CHECK(check.status == 2);
    CHECK_THAT(check.output, Catch::Contains("FAIL " + name + ": ") && Catch::Contains(needle));
    CHECK_THAT(check.output, Catch::Contains("0 passed, 1 failed"));
  }
}

}  // namespace

TEST_CASE("bad input: files that are not ONNX models", "[onnx][bad_input]") {
  TempDir dir;
  std::string good = relu_model().bytes();
  expect_bad_model<ParseError>(dir, "empty", "", "is empty");
  expect_bad_model<ParseError>(dir, "truncated", good.substr(0, good.size() / 2),
                               "is not an ONNX model");
  expect_bad_model<ParseError>(dir, "truncated_end", good.substr(0, good.size() - 3),
                               "is not an ONNX model");
  std::string garbage;
  for (int i = 0; i < 1000; ++i)
    garbage.push_back(static_cast<char>((i * 104729 + 7) % 256));
  expect_bad_model<ParseError>(dir, "garbage", garbage, "is not an ONNX model");
  expect_bad_model<ParseError>(
      dir, "png", std::string("\x89PNG\r\n\x1a\n\0\0\0\rIHDR\0\0\0\x10", 20), "PNG image");
  expect_bad_model<ParseError>(dir, "text", "graph main(x: f32[2]) {\n  y = Relu(x)\n}\n",
                               "text file");
  // A valid TensorProto is protobuf, but not a model.
  onnx::TensorProto t;
  t.set_data_type(TP::FLOAT);
  t.add_dims(1);
  t.add_float_data(1.f);
  expect_bad_model<ParseError>(dir, "tensor_not_model", t.SerializeAsString(),
                               "is not an ONNX model");
}

TEST_CASE("bad input: unknown opset domain", "[onnx][bad_input]") {
  TempDir dir;
  ModelMaker m = relu_model();
  m.graph().mutable_node(0)->set_domain("com.microsoft");
  auto* imp = m.model().add_opset_import();
  imp->set_domain("com.microsoft");
  imp->set_version(1);
  expect_bad_model<UnsupportedError>(dir, "domain", m.bytes(), "domain 'com.microsoft'");
}

TEST_CASE("bad input: missing initializer", "[onnx][bad_input]") {
  TempDir dir;
  ModelMaker m = relu_model();
  m.graph().clear_initializer();  // "add" still reads b
  expect_bad_model<VerifyError>(dir, "missing_init", m.bytes(), "'b' is not defined");
  try {
    import_onnx_file((dir.path() / "missing_init" / "model.onnx").string());
  } catch (const VerifyError& e) {
    CHECK(e.site().node == "add");
    CHECK(e.site().tensor == "b");
  }
}

TEST_CASE("bad input: initializer shape disagrees with its use", "[onnx][bad_input]") {
  TempDir dir;
  ModelMaker m(13);
  m.input("x", TP::FLOAT, {2, 3});
  // x is [2,3], so MatMul needs w with 3 rows; this one has 4.
  m.initializer_f32("w", {4, 2}, std::vector<float>(8, 1.f));
  m.node("MatMul", {"x", "w"}, {"y"}, "matmul0");
  m.output("y");
  expect_bad_model<ShapeError>(dir, "shape_mismatch", m.bytes(), "matmul0");

  ModelMaker c(13);
  c.input("x", TP::FLOAT, {1, 3, 4, 4});
  c.initializer_f32("w", {2, 5, 1, 1}, std::vector<float>(10, 1.f));  // 5 != 3 channels
  c.node("Conv", {"x", "w"}, {"y"}, "conv0");
  c.output("y");
  try {
    import_onnx(c.model(), {});
    FAIL("expected ShapeError");
  } catch (const ShapeError& e) {
    CHECK(e.site().node == "conv0");
  }
}

TEST_CASE("bad input: malformed model contents", "[onnx][bad_input]") {
  TempDir dir;
  SECTION("attribute of the wrong type") {
    ModelMaker m(13);
    m.input("x", TP::FLOAT, {2, 3});
    test::attr_float(m.node("Flatten", {"x"}, {"y"}, "flat"), "axis", 1.f);
    m.output("y");
    expect_bad_model<ParseError>(dir, "attr_type", m.bytes(), "attribute 'axis' is FLOAT");
  }
  SECTION("initializer with too little data") {
    ModelMaker m = relu_model();
    m.graph().mutable_initializer(0)->mutable_float_data()->RemoveLast();
    expect_bad_model<ParseError>(dir, "short_init", m.bytes(), "initializer 'b'");
  }
  SECTION("graph output nobody produces") {
    ModelMaker m = relu_model();
    m.output("nowhere");
    expect_bad_model<VerifyError>(dir, "no_output", m.bytes(), "nowhere");
  }
  SECTION("node output defined twice") {
    ModelMaker m = relu_model();
    m.node("Relu", {"x"}, {"r"}, "again");
    expect_bad_model<VerifyError>(dir, "twice", m.bytes(), "already defined");
  }
  SECTION("unsupported op") {
    ModelMaker m = relu_model();
    m.graph().mutable_node(0)->set_op_type("Gelu");
    expect_bad_model<UnsupportedError>(dir, "gelu", m.bytes(), "op Gelu is not supported");
  }
}

TEST_CASE("bad input: loomc check test data disagrees with the model", "[onnx][bad_input]") {
  TempDir dir;
  auto d_dtype = dir.path() / "wrong_dtype";
  write_case(d_dtype, relu_model(), {kX.cast(DType::f64)}, {kY});
  auto d_shape = dir.path() / "wrong_shape";
  write_case(d_shape, relu_model(), {kX.reshaped({3, 2})}, {kY});
  auto d_count = dir.path() / "missing_input";
  write_case(d_count, relu_model(), {}, {kY});
  auto d_garbage = dir.path() / "garbage_data";
  write_case(d_garbage, relu_model(), {kX}, {kY});
  test::write_bytes((d_garbage / "test_data_set_0" / "input_0.pb").string(), "not a tensor");
  auto d_good = dir.path() / "good";
  write_case(d_good, relu_model(), {kX}, {kY});

  auto r = run_loomc("check " + quote(d_dtype.string()) + " " + quote(d_shape.string()) + " " +
                     quote(d_count.string()) + " " + quote(d_garbage.string()) + " " +
                     quote(d_good.string()));
  INFO(r.output);
  CHECK(r.status == 1);
  CHECK_THAT(r.output, Catch::Contains("FAIL wrong_dtype: input 'x': the model expects f32[2,3], "
                                       "the test data has f64[2,3]"));
  CHECK_THAT(r.output, Catch::Contains("FAIL wrong_shape: input 'x': the model expects f32[2,3], "
                                       "the test data has f32[3,2]"));
  CHECK_THAT(r.output, Catch::Contains("FAIL missing_input: the test data has 0 input files, the "
                                       "model has 1 inputs"));
  CHECK_THAT(r.output,
             Catch::Contains("FAIL garbage_data: parse error") && Catch::Contains("input_0.pb"));
  CHECK_THAT(r.output, Catch::Contains("PASS good"));
  CHECK_THAT(r.output, Catch::EndsWith("1 passed, 4 failed\n"));
  // Cases are reported in the order given.
  CHECK(r.output.find("wrong_dtype") < r.output.find("wrong_shape"));
  CHECK(r.output.find("garbage_data") < r.output.find("PASS good"));

  // With a single case, data that disagrees is a failed check (1), not bad usage (2).
  auto single = run_loomc("check " + quote(d_shape.string()));
  CHECK(single.status == 1);
}

TEST_CASE("bad input: loomc check numerical mismatch and tolerances", "[onnx][bad_input]") {
  TempDir dir;
  // Expected output off by 0.01 in one element.
  Tensor off = Tensor::from_vector<float>({2, 3}, {1.f, 2.5f, 5.01f, 1.f, 6.f, 3.f});
  auto d = dir.path() / "off_by_a_bit";
  write_case(d, relu_model(), {kX}, {off});
  auto r = run_loomc("check " + quote(d.string()));
  INFO(r.output);
  CHECK(r.status == 1);
  CHECK_THAT(r.output, Catch::Contains("FAIL off_by_a_bit: output 'y' max abs err 0.01") &&
                           Catch::Contains("max rel err 0.002"));
  // |5 - 5.01| = 0.01 <= atol 0 + rtol 0.01 * 5.01.
  auto loose = run_loomc("check " + quote(d.string()) + " --rtol 0.01 --atol 0");
  CHECK(loose.status == 0);
  CHECK_THAT(loose.output, Catch::Contains("PASS off_by_a_bit\n1 passed, 0 failed\n"));

  // Output of the wrong dtype.
  auto d2 = dir.path() / "int_output";
  write_case(d2, relu_model(), {kX}, {kY.cast(DType::i64)});
  auto r2 = run_loomc("check " + quote(d2.string()));
  CHECK(r2.status == 1);
  CHECK_THAT(r2.output, Catch::Contains("output 'y' is f32[2,3], expected i64[2,3]"));
}

TEST_CASE("bad input: loomc check unsupported cases are skipped", "[onnx][bad_input]") {
  TempDir dir;
  ModelMaker m = relu_model();
  m.graph().mutable_node(0)->set_op_type("Cos");
  auto d = dir.path() / "cos_case";
  write_case(d, m, {kX}, {kY});
  auto good = dir.path() / "good";
  write_case(good, relu_model(), {kX}, {kY});
  auto r = run_loomc("check " + quote(d.string()) + " " + quote(good.string()));
  INFO(r.output);
  CHECK(r.status == 0);
  CHECK_THAT(r.output, Catch::Contains("UNSUPPORTED cos_case: ") && Catch::Contains("Cos"));
  CHECK_THAT(r.output, Catch::EndsWith("1 passed, 0 failed, 1 skipped\n"));
}

TEST_CASE("bad input: loomc check usage errors", "[onnx][bad_input]") {
  TempDir dir;
  auto good = dir.path() / "good";
  write_case(good, relu_model(), {kX}, {kY});
  auto none = run_loomc("check");
  CHECK(none.status == 2);
  CHECK_THAT(none.output, Catch::Contains("at least one case directory"));
  // The compiled engine runs (PASS, or UNSUPPORTED while no backend can build
  // the Relu); its compile options are checked like any other.
  auto compiled = run_loomc("check --engine compiled " + quote(good.string()));
  CHECK(compiled.status == 0);
  CHECK_THAT(compiled.output, Catch::Contains("PASS good") || Catch::Contains("UNSUPPORTED good"));
  auto target = run_loomc("check --engine compiled --target sparc " + quote(good.string()));
  CHECK(target.status == 2);
  CHECK_THAT(target.output, Catch::Contains("unknown target 'sparc'"));
  auto pass = run_loomc("check --engine compiled --print-after=nope " + quote(good.string()));
  CHECK(pass.status == 2);
  CHECK_THAT(pass.output, Catch::Contains("unknown pass 'nope'"));
  auto engine = run_loomc("check --engine magic " + quote(good.string()));
  CHECK(engine.status == 2);
  auto rtol = run_loomc("check --rtol abc " + quote(good.string()));
  CHECK(rtol.status == 2);
  CHECK_THAT(rtol.output, Catch::Contains("--rtol 'abc'"));
  auto flag = run_loomc("check --frobnicate " + quote(good.string()));
  CHECK(flag.status == 2);
  auto missing = run_loomc("check " + quote(dir.file("no_such_case")));
  CHECK(missing.status == 2);
  CHECK_THAT(missing.output, Catch::Contains("FAIL no_such_case"));
  auto ok = run_loomc("check " + quote(good.string() + "/"));
  CHECK(ok.status == 0);
  CHECK_THAT(ok.output, Catch::Contains("PASS good\n1 passed, 0 failed\n"));
}
