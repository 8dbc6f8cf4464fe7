// Shapes, tensor types and tensors (owned, immutable-by-convention data).
//
// A Tensor shares its storage on copy: weights live once in memory no matter
// how many graphs, passes or kernels hold them. Code that wants to write into
// a tensor it did not create calls clone() first.
#pragma once

#include <cstdint>
#include <cstring>
#include <memory>
#include <span>
#include <string>
#include <vector>

#include "ir/dtype.h"
#include "ir/error.h"

namespace loom {

using Shape = std::vector<int64_t>;

int64_t shape_numel(const Shape& shape);
// Row-major strides in elements.
std::vector<int64_t> shape_strides(const Shape& shape);
// "[1,3,224,224]"; "[]" for a scalar.
std::string shape_str(const Shape& shape);

struct TensorType {
  DType dtype = DType::f32;
  Shape shape;

  int64_t rank() const { return static_cast<int64_t>(shape.size()); }
  int64_t numel() const { return shape_numel(shape); }
  friend bool operator==(const TensorType&, const TensorType&) = default;
};
// "f32[1,3,224,224]"
std::string type_str(const TensorType& t);

// 64-byte aligned, fixed-size byte storage.
class Buffer {
 public:
  explicit Buffer(size_t bytes);
  ~Buffer();
  Buffer(const Buffer&) = delete;
  Buffer& operator=(const Buffer&) = delete;
  std::byte* data() { return data_; }
  const std::byte* data() const { return data_; }
  size_t size() const { return size_; }

 private:
  std::byte* data_;
  size_t size_;
};

class Tensor {
 public:
  Tensor() = default;
  // Zero-filled tensor of the given type.
  Tensor(DType dtype, Shape shape);
  explicit Tensor(const TensorType& type) : Tensor(type.dtype, type.shape) {}

  template <class T>
  static Tensor from_vector(Shape shape, const std::vector<T>& values) {
    Tensor t(DTypeOf<T>::value, std::move(shape));
    if (static_cast<int64_t>(values.size()) != t.numel())
      throw InternalError("Tensor::from_vector: " + std::to_string(values.size()) +
                          " values for shape " + shape_str(t.shape()));
    if constexpr (std::is_same_v<T, bool>) {
      for (size_t i = 0; i < values.size(); ++i)
        t.data<bool>()[i] = values[i];
    } else if (!values.empty()) {
      std::memcpy(t.raw(), values.data(), values.size() * sizeof(T));
    }
    return t;
  }
  template <class T>
  static Tensor scalar(T value) {
    return from_vector<T>({}, std::vector<T>{value});
  }
  // Copies `bytes` raw bytes (must equal numel * dtype_size).
  static Tensor from_bytes(DType dtype, Shape shape, const void* bytes, size_t size);

  bool defined() const { return defined_; }
  DType dtype() const { return dtype_; }
  const Shape& shape() const { return shape_; }
  TensorType type() const { return {dtype_, shape_}; }
  int64_t rank() const { return static_cast<int64_t>(shape_.size()); }
  int64_t numel() const { return shape_numel(shape_); }
  size_t nbytes() const { return static_cast<size_t>(numel()) * dtype_size(dtype_); }

  std::byte* raw() { return buffer_ ? buffer_->data() : nullptr; }
  const std::byte* raw() const { return buffer_ ? buffer_->data() : nullptr; }

  template <class T>
  T* data() {
    check_dtype(DTypeOf<T>::value);
    return reinterpret_cast<T*>(raw());
  }
  template <class T>
  const T* data() const {
    check_dtype(DTypeOf<T>::value);
    return reinterpret_cast<const T*>(raw());
  }
  template <class T>
  std::span<const T> values() const {
    return {data<T>(), static_cast<size_t>(numel())};
  }
  template <class T>
  std::vector<T> to_vector() const {
    auto v = values<T>();
    return {v.begin(), v.end()};
  }
  // Element i converted to double / int64 whatever the dtype (numeric dtypes).
  double get_as_double(int64_t i) const;
  int64_t get_as_int(int64_t i) const;

  // Same bytes, new shape (numel must match). Shares storage.
  Tensor reshaped(Shape shape) const;
  Tensor clone() const;
  // Element-wise conversion between numeric dtypes.
  Tensor cast(DType to) const;

  // Content hash (dtype, shape and bytes); stable across runs and machines.
  uint64_t hash() const;
  bool same_content(const Tensor& other) const;

 private:
  void check_dtype(DType want) const;

  DType dtype_ = DType::f32;
  Shape shape_;
  std::shared_ptr<Buffer> buffer_;
  bool defined_ = false;
};

// 16 lowercase hex digits.
std::string hash_hex(uint64_t h);

}  // namespace loom
