// TensorProto <-> loom::Tensor: element-type mapping, the raw/typed/external
// data encodings, and the bounds checks that keep a malformed file from
// allocating or reading more than it declares.
#include "compiler/frontend/onnx/onnx_tensor.h"

#include <filesystem>
#include <fstream>
#include <limits>

#include <fmt/format.h>

namespace loom::onnx_frontend {

namespace fs = std::filesystem;
using TP = onnx::TensorProto;

std::optional<DType> dtype_from_onnx(int32_t t) {
  switch (t) {
    case TP::FLOAT:
      return DType::f32;
    case TP::DOUBLE:
      return DType::f64;
    case TP::FLOAT16:
      return DType::f16;
    case TP::BFLOAT16:
      return DType::bf16;
    case TP::INT8:
      return DType::i8;
    case TP::UINT8:
      return DType::u8;
    case TP::INT32:
      return DType::i32;
    case TP::INT64:
      return DType::i64;
    case TP::BOOL:
      return DType::boolean;
    default:
      return std::nullopt;
  }
}

int32_t dtype_to_onnx(DType d) {
  switch (d) {
    case DType::f32:
      return TP::FLOAT;
    case DType::f64:
      return TP::DOUBLE;
    case DType::f16:
      return TP::FLOAT16;
    case DType::bf16:
      return TP::BFLOAT16;
    case DType::i8:
      return TP::INT8;
    case DType::u8:
      return TP::UINT8;
    case DType::i32:
      return TP::INT32;
    case DType::i64:
      return TP::INT64;
    case DType::boolean:
      return TP::BOOL;
  }
  return TP::UNDEFINED;
}

std::string onnx_type_name(int32_t t) {
  if (TP::DataType_IsValid(t)) return TP::DataType_Name(static_cast<TP::DataType>(t));
  return fmt::format("unknown type {}", t);
}

namespace {

// Largest tensor a model may declare; far above any real weight, far below
// sizes whose byte count would overflow.
constexpr int64_t kMaxElements = int64_t{1} << 40;

Shape read_dims(const TP& p, const std::string& what) {
  Shape shape;
  int64_t numel = 1;
  for (int64_t d : p.dims()) {
    if (d < 0) throw ParseError(fmt::format("{} has a negative dimension {}", what, d));
    if (d != 0 && numel > kMaxElements / d)
      throw ParseError(fmt::format("{} declares more than 2^40 elements", what));
    numel *= d;
    shape.push_back(d);
  }
  return shape;
}

bool is_safe_relative(const fs::path& p) {
  if (p.empty() || p.is_absolute() || p.has_root_name() || p.has_root_directory()) return false;
  for (const auto& part : p)
    if (part == "..") return false;
  return true;
}

std::string read_external(const TP& p, const std::string& base_dir, const std::string& what,
                          size_t expected_bytes) {
  std::string location;
  std::optional<int64_t> offset, length;
  for (const auto& kv : p.external_data()) {
    auto as_int = [&](const std::string& v) {
      try {
        size_t used = 0;
        long long x = std::stoll(v, &used);
        if (used != v.size() || x < 0) throw std::invalid_argument(v);
        return static_cast<int64_t>(x);
      } catch (const std::exception&) {
        throw ParseError(
            fmt::format("{}: external data '{}' is '{}', not a byte count", what, kv.key(), v));
      }
    };
    if (kv.key() == "location")
      location = kv.value();
    else if (kv.key() == "offset")
      offset = as_int(kv.value());
    else if (kv.key() == "length")
      length = as_int(kv.value());
  }
  if (location.empty()) throw ParseError(fmt::format("{}: external data has no location", what));
  if (!is_safe_relative(fs::path(location)))
    throw ParseError(fmt::format(
        "{}: external data location '{}' must be a relative path inside the model's folder", what,
        location));
  fs::path file = fs::path(base_dir.empty() ? "." : base_dir) / location;
  std::error_code ec;
  auto size = fs::file_size(file, ec);
  if (ec || !fs::is_regular_file(file))
    throw IOError(fmt::format("{}: cannot read external data file '{}'", what, file.string()));
  int64_t off = offset.value_or(0);
  int64_t len = length.value_or(static_cast<int64_t>(expected_bytes));
  if (len != static_cast<int64_t>(expected_bytes))
    throw ParseError(fmt::format("{}: external data length is {} bytes, the tensor needs {}", what,
                                 len, expected_bytes));
  if (off > static_cast<int64_t>(size) || len > static_cast<int64_t>(size) - off)
    throw ParseError(
        fmt::format("{}: external data [{}, {}) lies beyond the end of '{}' ({} bytes)", what, off,
                    off + len, file.string(), size));
  std::ifstream in(file, std::ios::binary);
  std::string bytes(static_cast<size_t>(len), '\0');
  in.seekg(off);
  in.read(bytes.data(), len);
  if (!in) throw IOError(fmt::format("{}: reading '{}' failed", what, file.string()));
  return bytes;
}

}  // namespace

Tensor tensor_from_proto(const TP& p, const std::string& base_dir, const std::string& what) {
  if (p.data_type() == TP::UNDEFINED) throw ParseError(fmt::format("{} has no element type", what));
  auto dtype = dtype_from_onnx(p.data_type());
  if (!dtype)
    throw UnsupportedError(fmt::format("{} has element type {}, which Loom does not support", what,
                                       onnx_type_name(p.data_type())));
  if (p.has_segment()) throw UnsupportedError(fmt::format("{} is segmented", what));
  // Sizes are validated against the data actually present before anything is
  // allocated, so a header claiming 2^40 elements costs nothing.
  Shape shape = read_dims(p, what);
  const int64_t numel = shape_numel(shape);
  const size_t nbytes = static_cast<size_t>(numel) * dtype_size(*dtype);

  std::string external;
  const std::string* raw = nullptr;
  if (p.data_location() == TP::EXTERNAL) {
    external = read_external(p, base_dir, what, nbytes);
    raw = &external;
  } else if (p.has_raw_data()) {
    raw = &p.raw_data();
  }
  if (raw) {
    if (raw->size() != nbytes)
      throw ParseError(fmt::format("{} has {} bytes of raw data, {} {} needs {}", what, raw->size(),
                                   dtype_name(*dtype), shape_str(shape), nbytes));
    Tensor t(*dtype, shape);
    if (nbytes) std::memcpy(t.raw(), raw->data(), nbytes);
    // Bytes other than 0/1 in a bool tensor would make later comparisons lie.
    if (*dtype == DType::boolean)
      for (int64_t i = 0; i < numel; ++i)
        t.data<bool>()[i] = raw->data()[i] != 0;
    return t;
  }

  const char* field = "int32_data";
  int64_t count = p.int32_data_size();
  if (*dtype == DType::f32) field = "float_data", count = p.float_data_size();
  if (*dtype == DType::f64) field = "double_data", count = p.double_data_size();
  if (*dtype == DType::i64) field = "int64_data", count = p.int64_data_size();
  if (count != numel)
    throw ParseError(
        fmt::format("{} has {} values in {}, its shape needs {}", what, count, field, numel));
  Tensor t(*dtype, shape);
  switch (*dtype) {
    case DType::f32: {
      for (int64_t i = 0; i < numel; ++i)
        t.data<float>()[i] = p.float_data(static_cast<int>(i));
      break;
    }
    case DType::f64: {
      for (int64_t i = 0; i < numel; ++i)
        t.data<double>()[i] = p.double_data(static_cast<int>(i));
      break;
    }
    case DType::i64: {
      for (int64_t i = 0; i < numel; ++i)
        t.data<int64_t>()[i] = p.int64_data(static_cast<int>(i));
      break;
    }
    case DType::i32: {
      for (int64_t i = 0; i < numel; ++i)
        t.data<int32_t>()[i] = p.int32_data(static_cast<int>(i));
      break;
    }
    case DType::i8: {
      for (int64_t i = 0; i < numel; ++i)
        t.data<int8_t>()[i] = static_cast<int8_t>(p.int32_data(static_cast<int>(i)));
      break;
    }
    case DType::u8: {
      for (int64_t i = 0; i < numel; ++i)
        t.data<uint8_t>()[i] = static_cast<uint8_t>(p.int32_data(static_cast<int>(i)));
      break;
    }
    case DType::boolean: {
      for (int64_t i = 0; i < numel; ++i)
        t.data<bool>()[i] = p.int32_data(static_cast<int>(i)) != 0;
      break;
    }
    case DType::f16:
    case DType::bf16: {
      // The spec stores the 16-bit patterns in int32_data.
      auto* out = reinterpret_cast<uint16_t*>(t.raw());
      for (int64_t i = 0; i < numel; ++i)
        out[i] = static_cast<uint16_t>(p.int32_data(static_cast<int>(i)));
      break;
    }
  }
  return t;
}

void tensor_to_proto(const Tensor& tensor, TP* proto) {
  proto->clear_dims();
  for (int64_t d : tensor.shape())
    proto->add_dims(d);
  proto->set_data_type(dtype_to_onnx(tensor.dtype()));
  proto->clear_float_data();
  proto->clear_double_data();
  proto->clear_int32_data();
  proto->clear_int64_data();
  proto->set_raw_data(
      tensor.raw() ? std::string(reinterpret_cast<const char*>(tensor.raw()), tensor.nbytes())
                   : std::string());
}

}  // namespace loom::onnx_frontend
