// TensorProto .pb files: reading with the checks that turn garbage into a
// ParseError (protobuf accepts many byte strings as a valid message), and
// writing.
#include "compiler/frontend/onnx/tensor_io.h"

#include <fstream>
#include <sstream>

#include <fmt/format.h>

#include "compiler/frontend/onnx/onnx_tensor.h"
#include "compiler/frontend/onnx/read_file.h"

namespace loom {

NamedTensor parse_tensor_pb(const std::string& bytes, const std::string& source) {
  if (bytes.empty()) throw ParseError(fmt::format("'{}' is empty, not an ONNX tensor", source));
  onnx::TensorProto proto;
  if (!proto.ParseFromString(bytes))
    throw ParseError(
        fmt::format("'{}' is not an ONNX TensorProto (truncated or not protobuf)", source));
  // Text and other binary formats often decode as a message made only of
  // fields TensorProto does not have; a real tensor always names its type.
  if (!proto.unknown_fields().empty() || !proto.has_data_type())
    throw ParseError(fmt::format(
        "'{}' is not an ONNX TensorProto (no element type, or fields TensorProto lacks)", source));
  std::string what = fmt::format("tensor '{}' in '{}'", proto.name(), source);
  std::string dir = std::filesystem::path(source).parent_path().string();
  return {proto.name(), onnx_frontend::tensor_from_proto(proto, dir, what)};
}

NamedTensor read_tensor_pb(const std::string& path) {
  return parse_tensor_pb(onnx_frontend::read_file(path, "tensor file"), path);
}

void write_tensor_pb(const std::string& path, const Tensor& tensor, const std::string& name) {
  if (!tensor.defined())
    throw InternalError(fmt::format("write_tensor_pb('{}'): undefined tensor", path));
  onnx::TensorProto proto;
  proto.set_name(name);
  onnx_frontend::tensor_to_proto(tensor, &proto);
  std::ofstream out(path, std::ios::binary | std::ios::trunc);
  if (!out) throw IOError(fmt::format("cannot open '{}' for writing", path));
  if (!proto.SerializeToOstream(&out) || !out.flush())
    throw IOError(fmt::format("writing '{}' failed", path));
}

}  // namespace loom
