// The ONNX frontend: turns an ONNX model (default domain, opsets 1 to 18) into
// a verified, shape-inferred loom::Graph.
//
// Inputs that ONNX passes as tensors but Loom needs as attributes (Reshape's
// and Expand's shape, Slice's starts/ends/axes/steps, Squeeze/Unsqueeze axes,
// Clip's min/max, Dropout's training_mode) must be constants: initializers,
// Constant nodes, graph inputs whose values the caller pins in
// ImportOptions::known_input_values, or integer shape arithmetic on those and
// on Shape(x) (evaluated at import; every shape is static). Symbolic input
// dimensions must be pinned in ImportOptions::input_shapes.
//
// Errors: ParseError (not an ONNX model, malformed tensors or attributes),
// UnsupportedError (one error listing every unsupported node, domain or
// attribute value), UsageError (unpinned symbolic dimensions, pins that name
// no input), VerifyError (undefined values), ShapeError (from shape inference).
//
// No protobuf types appear here; onnx_model_proto.h has the ModelProto entry
// point for code inside the frontend and tests.
#pragma once

#include <map>
#include <memory>
#include <string>
#include <vector>

#include "ir/graph.h"

namespace loom {

struct ImportOptions {
  // Sizes for inputs with symbolic (or missing) dimensions, by input name.
  std::map<std::string, Shape> input_shapes;
  // Values for graph inputs the importer must treat as constants. A pinned
  // input is no longer an input of the imported graph.
  std::map<std::string, Tensor> known_input_values;
};

// What a caller needs to know about one graph input before importing (for
// example to bind test data to it).
struct OnnxInputInfo {
  std::string name;
  std::optional<DType> dtype;                // nullopt: an element type Loom lacks
  std::vector<std::optional<int64_t>> dims;  // nullopt: symbolic or missing
  bool has_shape = false;                    // false: the model gives no shape at all
  // Feeds an input Loom needs as a constant (e.g. Reshape's shape), so it must
  // be pinned with known_input_values.
  bool needs_value = false;
  // Non-empty when Loom cannot take this input at all (not a tensor, or an
  // element type Loom lacks): importing the model will fail with this reason.
  std::string unsupported;
  bool is_static() const;
};

// A parsed ONNX model that can be imported several times with different pins
// without re-reading the file.
class OnnxModel {
 public:
  // ParseError (naming the file) for empty, truncated and non-ONNX files.
  static OnnxModel load_file(const std::string& path);
  // `source` names the bytes in messages; external data is looked up in `base_dir`.
  static OnnxModel from_bytes(const std::string& bytes, const std::string& source,
                              const std::string& base_dir);

  OnnxModel(OnnxModel&&) noexcept;
  OnnxModel& operator=(OnnxModel&&) noexcept;
  ~OnnxModel();

  // The graph inputs that are not initializers, in model order: what test data
  // input_N.pb binds to.
  const std::vector<OnnxInputInfo>& inputs() const;
  std::vector<std::string> output_names() const;
  Graph import(const ImportOptions& options = {}) const;

  struct Impl;

 private:
  explicit OnnxModel(std::unique_ptr<Impl> impl);
  std::unique_ptr<Impl> impl_;
};

Graph import_onnx_file(const std::string& path, const ImportOptions& options = {});

}  // namespace loom
