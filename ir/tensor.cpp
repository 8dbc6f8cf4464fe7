#include "ir/tensor.h"

#include <cstdlib>
#include <new>

#include <fmt/format.h>
#include <fmt/ranges.h>

namespace loom {

int64_t shape_numel(const Shape& shape) {
  int64_t n = 1;
  for (int64_t d : shape)
    n *= d;
  return n;
}

std::vector<int64_t> shape_strides(const Shape& shape) {
  std::vector<int64_t> strides(shape.size(), 1);
  for (int64_t i = static_cast<int64_t>(shape.size()) - 2; i >= 0; --i)
    strides[i] = strides[i + 1] * shape[i + 1];
  return strides;
}

std::string shape_str(const Shape& shape) {
  return fmt::format("[{}]", fmt::join(shape, ","));
}

std::string type_str(const TensorType& t) {
  return fmt::format("{}{}", dtype_name(t.dtype), shape_str(t.shape));
}

Buffer::Buffer(size_t bytes) : size_(bytes) {
  size_t rounded = (bytes + 63) / 64 * 64;
  if (rounded == 0) rounded = 64;
  data_ = static_cast<std::byte*>(std::aligned_alloc(64, rounded));
  if (!data_) throw std::bad_alloc();
  std::memset(data_, 0, rounded);
}

Buffer::~Buffer() {
  std::free(data_);
}

Tensor::Tensor(DType dtype, Shape shape) : dtype_(dtype), shape_(std::move(shape)), defined_(true) {
  for (int64_t d : shape_)
    if (d < 0) throw ShapeError(fmt::format("negative dimension in shape {}", shape_str(shape_)));
  buffer_ = std::make_shared<Buffer>(nbytes());
}

Tensor Tensor::from_bytes(DType dtype, Shape shape, const void* bytes, size_t size) {
  Tensor t(dtype, std::move(shape));
  if (size != t.nbytes())
    throw InternalError(
        fmt::format("Tensor::from_bytes: {} bytes for {}", size, type_str(t.type())));
  if (size) std::memcpy(t.raw(), bytes, size);
  return t;
}

void Tensor::check_dtype(DType want) const {
  if (want != dtype_)
    throw InternalError(
        fmt::format("tensor of dtype {} accessed as {}", dtype_name(dtype_), dtype_name(want)));
}

template <class F>
static auto visit_numeric(DType t, const std::byte* p, int64_t i, F&& f) {
  switch (t) {
    case DType::f32:
      return f(reinterpret_cast<const float*>(p)[i]);
    case DType::f64:
      return f(reinterpret_cast<const double*>(p)[i]);
    case DType::i8:
      return f(reinterpret_cast<const int8_t*>(p)[i]);
    case DType::u8:
      return f(reinterpret_cast<const uint8_t*>(p)[i]);
    case DType::i32:
      return f(reinterpret_cast<const int32_t*>(p)[i]);
    case DType::i64:
      return f(reinterpret_cast<const int64_t*>(p)[i]);
    case DType::boolean:
      return f(reinterpret_cast<const uint8_t*>(p)[i] != 0);
    case DType::f16:
    case DType::bf16:
      break;
  }
  throw UnsupportedError(fmt::format("element access for dtype {}", dtype_name(t)));
}

double Tensor::get_as_double(int64_t i) const {
  return visit_numeric(dtype_, raw(), i, [](auto v) { return static_cast<double>(v); });
}

int64_t Tensor::get_as_int(int64_t i) const {
  return visit_numeric(dtype_, raw(), i, [](auto v) { return static_cast<int64_t>(v); });
}

Tensor Tensor::reshaped(Shape shape) const {
  if (shape_numel(shape) != numel())
    throw ShapeError(fmt::format("cannot reshape {} to {}", type_str(type()), shape_str(shape)));
  Tensor t = *this;
  t.shape_ = std::move(shape);
  return t;
}

Tensor Tensor::clone() const {
  if (!defined_) return {};
  return from_bytes(dtype_, shape_, raw(), nbytes());
}

template <class T>
static void store_as(std::byte* p, int64_t i, double v) {
  reinterpret_cast<T*>(p)[i] = static_cast<T>(v);
}

Tensor Tensor::cast(DType to) const {
  if (to == dtype_) return clone();
  Tensor out(to, shape_);
  const int64_t n = numel();
  for (int64_t i = 0; i < n; ++i) {
    switch (to) {
      case DType::f32:
        store_as<float>(out.raw(), i, get_as_double(i));
        break;
      case DType::f64:
        store_as<double>(out.raw(), i, get_as_double(i));
        break;
      case DType::i8:
        store_as<int8_t>(out.raw(), i, get_as_double(i));
        break;
      case DType::u8:
        store_as<uint8_t>(out.raw(), i, get_as_double(i));
        break;
      case DType::i32:
        store_as<int32_t>(out.raw(), i, get_as_double(i));
        break;
      case DType::i64:
        reinterpret_cast<int64_t*>(out.raw())[i] = get_as_int(i);
        break;
      case DType::boolean:
        store_as<uint8_t>(out.raw(), i, get_as_double(i) != 0 ? 1 : 0);
        break;
      case DType::f16:
      case DType::bf16:
        throw UnsupportedError(fmt::format("cast to dtype {}", dtype_name(to)));
    }
  }
  return out;
}

uint64_t Tensor::hash() const {
  uint64_t h = 1469598103934665603ull;
  auto mix = [&](const void* p, size_t n) {
    const auto* b = static_cast<const unsigned char*>(p);
    for (size_t i = 0; i < n; ++i) {
      h ^= b[i];
      h *= 1099511628211ull;
    }
  };
  uint8_t dt = static_cast<uint8_t>(dtype_);
  mix(&dt, 1);
  for (int64_t d : shape_)
    mix(&d, sizeof d);
  if (raw()) mix(raw(), nbytes());
  return h;
}

bool Tensor::same_content(const Tensor& other) const {
  if (dtype_ != other.dtype_ || shape_ != other.shape_ || defined_ != other.defined_) return false;
  if (nbytes() == 0) return true;
  return std::memcmp(raw(), other.raw(), nbytes()) == 0;
}

std::string hash_hex(uint64_t h) {
  return fmt::format("{:016x}", h);
}

}  // namespace loom
