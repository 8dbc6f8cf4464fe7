// Conversion between ONNX TensorProto messages and loom::Tensor, shared by the
// model importer (initializers, Constant attributes) and the test-data reader.
// Exposes protobuf types: include only from compiler/frontend/onnx and tests.
#pragma once

#include <optional>
#include <string>

#include "compiler/frontend/onnx/onnx_proto.h"
#include "ir/tensor.h"

namespace loom::onnx_frontend {

// The Loom dtype of an ONNX TensorProto::DataType; nullopt for types Loom
// cannot hold (strings, complex, 16/32-bit unsigned, ...).
std::optional<DType> dtype_from_onnx(int32_t onnx_type);
int32_t dtype_to_onnx(DType dtype);
// "FLOAT", "STRING", ... for messages.
std::string onnx_type_name(int32_t onnx_type);

// Reads the tensor's data (raw_data, typed fields or external file). `base_dir`
// is where external data files are looked up (the model's folder); `what`
// describes the tensor in messages, e.g. "initializer 'W'". Throws ParseError
// for malformed data, UnsupportedError for element types Loom lacks, IOError
// for unreadable external files.
Tensor tensor_from_proto(const onnx::TensorProto& proto, const std::string& base_dir,
                         const std::string& what);

// Fills `proto` (dims, data_type, raw_data; name left alone).
void tensor_to_proto(const Tensor& tensor, onnx::TensorProto* proto);

}  // namespace loom::onnx_frontend
