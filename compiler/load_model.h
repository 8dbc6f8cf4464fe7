// Loads a model from a file, picking the reader by extension:
//   .onnx      ONNX ModelProto (compiler/frontend/onnx)
//   .loom      Loom's text IR (ir/text_format.h), weights in FILE.weights
// The result is verified and shape-inferred.
#pragma once

#include <map>
#include <string>

#include "ir/graph.h"

namespace loom {

struct LoadOptions {
  // Pinned sizes for symbolic input dimensions, by input name (--shape NAME=1x3x224x224).
  std::map<std::string, Shape> input_shapes;
  // Values for ONNX graph inputs that Loom needs as constants (e.g. a Reshape
  // shape fed by an input); pinned inputs stop being inputs of the graph.
  std::map<std::string, Tensor> known_input_values;
};

Graph load_model(const std::string& path, const LoadOptions& options = {});

// Parses "1x3x224x224" (or "1,3,224,224"); UsageError naming `what` otherwise.
Shape parse_shape_spec(const std::string& spec, const std::string& what);

}  // namespace loom
