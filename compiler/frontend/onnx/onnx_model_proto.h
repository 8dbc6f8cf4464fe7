// The ModelProto entry point of the ONNX frontend, for code that already holds
// a parsed model (the frontend itself, tests that build models in memory).
// Exposes protobuf types, unlike onnx_importer.h.
#pragma once

#include <string>

#include "compiler/frontend/onnx/onnx_importer.h"
#include "compiler/frontend/onnx/onnx_proto.h"

namespace loom {

// `base_dir` is where tensors with external data are looked up.
Graph import_onnx(const onnx::ModelProto& model, const ImportOptions& options,
                  const std::string& base_dir = "");

}  // namespace loom
