// Tests of TensorProto .pb reading and writing (the ONNX test-data format):
// round trips of every supported dtype, typed-field encodings, real test data,
// and the typed errors for files that are not tensors.
#include <catch2/catch.hpp>

#include <algorithm>

#include "compiler/frontend/onnx/onnx_proto.h"
#include "compiler/frontend/onnx/tensor_io.h"
#include "onnx_test_util.h"

using namespace loom;
using loom::test::TempDir;
using TP = onnx::TensorProto;

namespace {

std::string serialized(const TP& t) {
  return t.SerializeAsString();
}

}  // namespace

TEST_CASE("tensor .pb: write/read round trip of every supported dtype", "[onnx][tensor_io]") {
  TempDir dir;
  std::vector<std::pair<std::string, Tensor>> cases = {
      {"f32", Tensor::from_vector<float>({2, 2}, {1.5f, -0.f, 3e-8f, -7.f})},
      {"f64", Tensor::from_vector<double>({3}, {1e300, -2.5, 0.1})},
      {"i32", Tensor::from_vector<int32_t>({2}, {-2147483647 - 1, 42})},
      {"i64", Tensor::from_vector<int64_t>({1, 2}, {int64_t{1} << 40, -3})},
      {"u8", Tensor::from_vector<uint8_t>({3}, {0, 128, 255})},
      {"i8", Tensor::from_vector<int8_t>({2}, {-128, 127})},
      {"bool", Tensor::from_vector<bool>({2, 1}, {true, false})},
      {"scalar", Tensor::scalar<float>(2.f)},
      {"empty", Tensor::from_vector<float>({0, 3}, {})},
  };
  for (const auto& [name, t] : cases) {
    DYNAMIC_SECTION(name) {
      std::string path = dir.file(name + ".pb");
      write_tensor_pb(path, t, "tensor_" + name);
      NamedTensor back = read_tensor_pb(path);
      CHECK(back.name == "tensor_" + name);
      CHECK(back.tensor.type() == t.type());
      CHECK(back.tensor.same_content(t));
    }
  }
}

TEST_CASE("tensor .pb: typed data fields", "[onnx][tensor_io]") {
  TP t;
  t.set_name("typed");
  t.add_dims(2);
  t.add_dims(2);
  SECTION("float_data") {
    t.set_data_type(TP::FLOAT);
    for (float v : {1.f, 2.f, 3.f, 4.f})
      t.add_float_data(v);
    auto r = parse_tensor_pb(serialized(t), "mem");
    CHECK(r.name == "typed");
    CHECK(r.tensor.shape() == Shape{2, 2});
    CHECK(r.tensor.to_vector<float>() == std::vector<float>{1.f, 2.f, 3.f, 4.f});
  }
  SECTION("int64_data") {
    t.set_data_type(TP::INT64);
    for (int64_t v : {int64_t{-1}, int64_t{0}, int64_t{1}, int64_t{1} << 50})
      t.add_int64_data(v);
    CHECK(parse_tensor_pb(serialized(t), "mem").tensor.to_vector<int64_t>() ==
          std::vector<int64_t>{-1, 0, 1, int64_t{1} << 50});
  }
  SECTION("double_data") {
    t.set_data_type(TP::DOUBLE);
    for (double v : {0.25, -0.5, 8.0, 1e-300})
      t.add_double_data(v);
    CHECK(parse_tensor_pb(serialized(t), "mem").tensor.to_vector<double>() ==
          std::vector<double>{0.25, -0.5, 8.0, 1e-300});
  }
  SECTION("int32_data for i32 and bool") {
    t.set_data_type(TP::INT32);
    for (int v : {7, -7, 0, 1})
      t.add_int32_data(v);
    CHECK(parse_tensor_pb(serialized(t), "mem").tensor.to_vector<int32_t>() ==
          std::vector<int32_t>{7, -7, 0, 1});
    t.set_data_type(TP::BOOL);
    CHECK(parse_tensor_pb(serialized(t), "mem").tensor.to_vector<bool>() ==
          std::vector<bool>{true, true, false, true});
  }
  SECTION("too few values is a ParseError naming the field") {
    t.set_data_type(TP::FLOAT);
    t.add_float_data(1.f);
    CHECK_THROWS_WITH(parse_tensor_pb(serialized(t), "mem.pb"),
                      Catch::Contains("1 values in float_data") && Catch::Contains("needs 4") &&
                          Catch::Contains("mem.pb"));
  }
  SECTION("raw_data of the wrong size") {
    t.set_data_type(TP::FLOAT);
    t.set_raw_data(std::string(12, '\0'));
    CHECK_THROWS_WITH(parse_tensor_pb(serialized(t), "mem.pb"),
                      Catch::Contains("12 bytes") && Catch::Contains("needs 16"));
  }
  SECTION("a huge declared shape fails without allocating") {
    t.set_data_type(TP::FLOAT);
    t.clear_dims();
    t.add_dims(int64_t{1} << 30);
    t.add_dims(int64_t{1} << 30);
    CHECK_THROWS_AS(parse_tensor_pb(serialized(t), "mem.pb"), ParseError);
    t.clear_dims();
    t.add_dims(int64_t{1} << 35);
    CHECK_THROWS_AS(parse_tensor_pb(serialized(t), "mem.pb"), ParseError);
  }
  SECTION("string tensors are unsupported") {
    t.set_data_type(TP::STRING);
    for (int i = 0; i < 4; ++i)
      t.add_string_data("s");
    CHECK_THROWS_WITH(parse_tensor_pb(serialized(t), "mem.pb"), Catch::Contains("STRING"));
    CHECK_THROWS_AS(parse_tensor_pb(serialized(t), "mem.pb"), UnsupportedError);
  }
}

TEST_CASE("tensor .pb: real ONNX test data", "[onnx][tensor_io]") {
  const std::string dir = "/usr/share/libonnx-testdata/data/node/test_relu/test_data_set_0/";
  NamedTensor x = read_tensor_pb(dir + "input_0.pb");
  NamedTensor y = read_tensor_pb(dir + "output_0.pb");
  CHECK(x.name == "x");
  CHECK(y.name == "y");
  REQUIRE(x.tensor.type() == TensorType{DType::f32, {3, 4, 5}});
  REQUIRE(y.tensor.type() == x.tensor.type());
  // The expected output is relu of the input: an independent check that both
  // files decoded to the right element order and values.
  auto xv = x.tensor.to_vector<float>();
  auto yv = y.tensor.to_vector<float>();
  bool any_negative = false;
  for (size_t i = 0; i < xv.size(); ++i) {
    CHECK(yv[i] == std::max(xv[i], 0.f));
    any_negative |= xv[i] < 0;
  }
  CHECK(any_negative);

  // An integer tensor from the reshape test: the shape [2, -1, 2].
  NamedTensor s = read_tensor_pb(
      "/usr/share/libonnx-testdata/data/node/test_reshape_negative_dim/test_data_set_0/input_1.pb");
  CHECK(s.tensor.to_vector<int64_t>() == std::vector<int64_t>{2, -1, 2});
}

TEST_CASE("tensor .pb: files that are not tensors", "[onnx][tensor_io]") {
  TempDir dir;
  std::string good = dir.file("good.pb");
  write_tensor_pb(good, Tensor::from_vector<float>({4, 4}, std::vector<float>(16, 1.f)), "t");
  std::string bytes = test::read_bytes(good);

  auto expect_parse_error = [&](const std::string& name, const std::string& content) {
    std::string path = dir.file(name);
    test::write_bytes(path, content);
    try {
      read_tensor_pb(path);
      FAIL("expected ParseError for " << name);
    } catch (const ParseError& e) {
      CHECK_THAT(e.what(), Catch::Contains(path));
    }
  };
  expect_parse_error("empty.pb", "");
  expect_parse_error("truncated.pb", bytes.substr(0, bytes.size() / 2));
  expect_parse_error("truncated_tail.pb", bytes.substr(0, bytes.size() - 1));
  expect_parse_error("text.pb", "hello, this is not a tensor\n");
  expect_parse_error("png.pb", std::string("\x89PNG\r\n\x1a\n\0\0\0\rIHDR", 16));
  std::string garbage;
  for (int i = 0; i < 300; ++i)
    garbage.push_back(static_cast<char>((i * 7919 + 13) % 251));
  expect_parse_error("garbage.pb", garbage);
  CHECK_THROWS_AS(read_tensor_pb(dir.file("does_not_exist.pb")), IOError);
  CHECK_THROWS_AS(write_tensor_pb(dir.file("no/such/dir/x.pb"), Tensor::scalar<float>(1.f)),
                  IOError);
}
