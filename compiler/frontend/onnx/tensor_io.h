// Reading and writing ONNX TensorProto files (.pb), the format of the ONNX
// backend test data (test_data_set_N/input_K.pb, output_K.pb). No protobuf
// types appear here, so tools and tests use it like any other Loom header.
#pragma once

#include <string>

#include "ir/tensor.h"

namespace loom {

struct NamedTensor {
  std::string name;  // the TensorProto's name; may be empty
  Tensor tensor;
};

// ParseError naming the file for empty, truncated or non-TensorProto files;
// IOError if it cannot be opened; UnsupportedError for element types Loom
// lacks (strings, complex, ...).
NamedTensor read_tensor_pb(const std::string& path);
// Parses a TensorProto already in memory; `source` names it in messages.
NamedTensor parse_tensor_pb(const std::string& bytes, const std::string& source);

// Writes raw_data little-endian, as ONNX's own tools do. IOError on failure.
void write_tensor_pb(const std::string& path, const Tensor& tensor, const std::string& name = "");

}  // namespace loom
