#include "compiler/load_model.h"

#include <algorithm>
#include <filesystem>

#include <fmt/format.h>

#include "compiler/frontend/onnx/onnx_importer.h"
#include "ir/shape_inference.h"
#include "ir/text_format.h"

namespace loom {

static bool ends_with(const std::string& s, std::string_view suffix) {
  return s.size() >= suffix.size() &&
         s.compare(s.size() - suffix.size(), suffix.size(), suffix) == 0;
}

Graph load_model(const std::string& path, const LoadOptions& options) {
  if (!std::filesystem::exists(path))
    throw IOError(fmt::format("model file '{}' does not exist", path));
  if (ends_with(path, ".loom")) {
    Graph g = load_text(path);
    for (const auto& [name, shape] : options.input_shapes) {
      auto id = g.find_value(name);
      if (!id || std::find(g.inputs.begin(), g.inputs.end(), *id) == g.inputs.end())
        throw UsageError(
            fmt::format("--shape names '{}', which is not an input of the model", name));
      Value& input = g.value(*id);
      // An input declared without a type gets f32, the only dtype a shape pin makes sense for.
      if (!input.type) input.type = TensorType{DType::f32, {}};
      input.type->shape = shape;
    }
    infer_shapes(g);
    return g;
  }
  if (ends_with(path, ".onnx")) {
    ImportOptions import;
    import.input_shapes = options.input_shapes;
    import.known_input_values = options.known_input_values;
    return import_onnx_file(path, import);
  }
  throw UsageError(
      fmt::format("cannot tell the format of '{}': expected a .loom or .onnx file", path));
}

Shape parse_shape_spec(const std::string& spec, const std::string& what) {
  Shape shape;
  if (spec.empty() || spec == "scalar") return shape;
  size_t pos = 0;
  while (pos <= spec.size()) {
    size_t end = spec.find_first_of("x,", pos);
    if (end == std::string::npos) end = spec.size();
    std::string part = spec.substr(pos, end - pos);
    try {
      size_t used = 0;
      long long v = std::stoll(part, &used);
      if (used != part.size() || v < 0) throw std::invalid_argument(part);
      shape.push_back(v);
    } catch (const std::exception&) {
      throw UsageError(fmt::format("{}: '{}' is not a shape like 1x3x224x224", what, spec));
    }
    pos = end + 1;
  }
  return shape;
}

}  // namespace loom
