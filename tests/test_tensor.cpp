// Tensors, shapes and dtypes: construction, typed access, sharing, hashing.
#include <catch2/catch.hpp>

#include "ir/tensor.h"

using namespace loom;

TEST_CASE("shape helpers", "[tensor]") {
  CHECK(shape_numel({}) == 1);
  CHECK(shape_numel({2, 3, 4}) == 24);
  CHECK(shape_numel({2, 0, 4}) == 0);
  CHECK(shape_strides({2, 3, 4}) == std::vector<int64_t>{12, 4, 1});
  CHECK(shape_str({1, 3, 224, 224}) == "[1,3,224,224]");
  CHECK(type_str({DType::i64, {}}) == "i64[]");
}

TEST_CASE("dtype names round-trip", "[tensor]") {
  for (DType t : kAllDTypes)
    CHECK(parse_dtype(dtype_name(t)) == t);
  CHECK_FALSE(parse_dtype("float32").has_value());
  CHECK(dtype_size(DType::f32) == 4);
  CHECK(dtype_size(DType::i64) == 8);
}

TEST_CASE("tensors are zero-filled, typed and 64-byte aligned", "[tensor]") {
  Tensor t(DType::f32, {2, 3});
  CHECK(t.numel() == 6);
  CHECK(t.nbytes() == 24);
  CHECK(reinterpret_cast<uintptr_t>(t.raw()) % 64 == 0);
  for (float v : t.values<float>())
    CHECK(v == 0.f);
  CHECK_THROWS_AS(t.data<int64_t>(), InternalError);
  CHECK_THROWS_AS(Tensor(DType::f32, {2, -1}), ShapeError);
}

TEST_CASE("tensor copies share storage, clone does not", "[tensor]") {
  Tensor a = Tensor::from_vector<float>({3}, {1.f, 2.f, 3.f});
  Tensor shared = a;
  Tensor deep = a.clone();
  a.data<float>()[0] = 10.f;
  CHECK(shared.data<float>()[0] == 10.f);
  CHECK(deep.data<float>()[0] == 1.f);
  Tensor r = a.reshaped({1, 3});
  CHECK(r.raw() == a.raw());
  CHECK_THROWS_AS(a.reshaped({2, 2}), ShapeError);
}

TEST_CASE("tensor hash depends on dtype, shape and content", "[tensor]") {
  Tensor a = Tensor::from_vector<float>({2}, {1.f, 2.f});
  Tensor b = Tensor::from_vector<float>({2}, {1.f, 2.f});
  CHECK(a.hash() == b.hash());
  CHECK(a.same_content(b));
  CHECK(a.hash() != Tensor::from_vector<float>({2}, {1.f, 3.f}).hash());
  CHECK(a.hash() != a.reshaped({1, 2}).hash());
  CHECK(a.hash() != Tensor::from_vector<int32_t>({2}, {0x3f800000, 0x40000000}).hash());
  CHECK(hash_hex(0xabcULL) == "0000000000000abc");
}

TEST_CASE("tensor casts between numeric dtypes", "[tensor]") {
  Tensor f = Tensor::from_vector<float>({3}, {1.5f, -2.f, 0.f});
  CHECK(f.cast(DType::i64).to_vector<int64_t>() == std::vector<int64_t>{1, -2, 0});
  CHECK(f.cast(DType::boolean).to_vector<bool>() == std::vector<bool>{true, true, false});
  Tensor i = Tensor::from_vector<int64_t>({2}, {7, -3});
  CHECK(i.cast(DType::f64).to_vector<double>() == std::vector<double>{7.0, -3.0});
  CHECK(i.get_as_double(1) == -3.0);
}
