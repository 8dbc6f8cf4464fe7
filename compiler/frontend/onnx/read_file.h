// Whole-file reads for the ONNX frontend, with IOErrors that say what the file
// was meant to be.
#pragma once

#include <filesystem>
#include <fstream>
#include <sstream>
#include <string>

#include <fmt/format.h>

#include "ir/error.h"

namespace loom::onnx_frontend {

inline std::string read_file(const std::string& path, const char* what) {
  std::error_code ec;
  if (!std::filesystem::is_regular_file(path, ec))
    throw IOError(fmt::format("{} '{}' does not exist or is not a regular file", what, path));
  std::ifstream in(path, std::ios::binary);
  if (!in) throw IOError(fmt::format("cannot open {} '{}'", what, path));
  std::ostringstream ss;
  ss << in.rdbuf();
  if (in.bad()) throw IOError(fmt::format("reading {} '{}' failed", what, path));
  return std::move(ss).str();
}

}  // namespace loom::onnx_frontend
