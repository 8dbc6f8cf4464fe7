// Helpers for the ONNX frontend tests: building small ModelProtos in memory,
// writing them to a scratch folder, and running the loomc binary.
#pragma once

#include <sys/wait.h>
#include <unistd.h>

#include <cstdio>
#include <filesystem>
#include <fstream>
#include <random>
#include <string>
#include <variant>
#include <vector>

#include "compiler/frontend/onnx/onnx_proto.h"
#include "ir/tensor.h"

namespace loom::test {

// A folder under the system temp dir, removed with everything in it.
class TempDir {
 public:
  TempDir() {
    std::random_device rd;
    path_ = std::filesystem::temp_directory_path() /
            ("loom_onnx_test_" + std::to_string(::getpid()) + "_" + std::to_string(rd()));
    std::filesystem::create_directories(path_);
  }
  ~TempDir() {
    std::error_code ec;
    std::filesystem::remove_all(path_, ec);
  }
  TempDir(const TempDir&) = delete;
  TempDir& operator=(const TempDir&) = delete;
  const std::filesystem::path& path() const { return path_; }
  std::string file(const std::string& name) const { return (path_ / name).string(); }

 private:
  std::filesystem::path path_;
};

inline void write_bytes(const std::string& path, const std::string& bytes) {
  std::filesystem::create_directories(std::filesystem::path(path).parent_path());
  std::ofstream out(path, std::ios::binary | std::ios::trunc);
  out.write(bytes.data(), static_cast<std::streamsize>(bytes.size()));
}

inline std::string read_bytes(const std::string& path) {
  std::ifstream in(path, std::ios::binary);
  return {std::istreambuf_iterator<char>(in), std::istreambuf_iterator<char>()};
}

// A dimension: a size, or a symbolic name.
using Dim = std::variant<int64_t, std::string>;

class ModelMaker {
 public:
  explicit ModelMaker(int64_t opset = 13, int64_t ir_version = 7) {
    model_.set_ir_version(ir_version);
    model_.set_producer_name("loom-tests");
    auto* imp = model_.add_opset_import();
    imp->set_domain("");
    imp->set_version(opset);
    model_.mutable_graph()->set_name("test_graph");
  }

  onnx::ModelProto& model() { return model_; }
  onnx::GraphProto& graph() { return *model_.mutable_graph(); }

  onnx::ValueInfoProto& input(const std::string& name, int32_t elem, const std::vector<Dim>& dims) {
    return value_info(graph().add_input(), name, elem, dims);
  }
  onnx::ValueInfoProto& output(const std::string& name, int32_t elem = onnx::TensorProto::FLOAT) {
    auto* v = graph().add_output();
    v->set_name(name);
    v->mutable_type()->mutable_tensor_type()->set_elem_type(elem);
    return *v;
  }

  onnx::NodeProto& node(const std::string& op, const std::vector<std::string>& inputs,
                        const std::vector<std::string>& outputs, const std::string& name = "") {
    auto* n = graph().add_node();
    n->set_op_type(op);
    n->set_name(name);
    for (const auto& i : inputs)
      n->add_input(i);
    for (const auto& o : outputs)
      n->add_output(o);
    return *n;
  }

  // Raw-data initializer.
  onnx::TensorProto& initializer(const std::string& name, const Tensor& t);
  onnx::TensorProto& initializer_f32(const std::string& name, std::vector<int64_t> dims,
                                     const std::vector<float>& values) {
    auto* t = graph().add_initializer();
    t->set_name(name);
    t->set_data_type(onnx::TensorProto::FLOAT);
    for (auto d : dims)
      t->add_dims(d);
    for (float v : values)
      t->add_float_data(v);
    return *t;
  }
  onnx::TensorProto& initializer_i64(const std::string& name, std::vector<int64_t> dims,
                                     const std::vector<int64_t>& values) {
    auto* t = graph().add_initializer();
    t->set_name(name);
    t->set_data_type(onnx::TensorProto::INT64);
    for (auto d : dims)
      t->add_dims(d);
    for (auto v : values)
      t->add_int64_data(v);
    return *t;
  }

  std::string bytes() const { return model_.SerializeAsString(); }
  void save(const std::string& path) const { write_bytes(path, bytes()); }

 private:
  static onnx::ValueInfoProto& value_info(onnx::ValueInfoProto* v, const std::string& name,
                                          int32_t elem, const std::vector<Dim>& dims) {
    v->set_name(name);
    auto* tt = v->mutable_type()->mutable_tensor_type();
    tt->set_elem_type(elem);
    auto* shape = tt->mutable_shape();
    for (const Dim& d : dims) {
      auto* dim = shape->add_dim();
      if (auto* size = std::get_if<int64_t>(&d))
        dim->set_dim_value(*size);
      else
        dim->set_dim_param(std::get<std::string>(d));
    }
    return *v;
  }

  onnx::ModelProto model_;
};

inline onnx::TensorProto& ModelMaker::initializer(const std::string& name, const Tensor& t) {
  auto* p = graph().add_initializer();
  p->set_name(name);
  int32_t type = onnx::TensorProto::FLOAT;
  switch (t.dtype()) {
    case DType::f32:
      type = onnx::TensorProto::FLOAT;
      break;
    case DType::f64:
      type = onnx::TensorProto::DOUBLE;
      break;
    case DType::i32:
      type = onnx::TensorProto::INT32;
      break;
    case DType::i64:
      type = onnx::TensorProto::INT64;
      break;
    case DType::u8:
      type = onnx::TensorProto::UINT8;
      break;
    case DType::i8:
      type = onnx::TensorProto::INT8;
      break;
    case DType::boolean:
      type = onnx::TensorProto::BOOL;
      break;
    default:
      break;
  }
  p->set_data_type(type);
  for (auto d : t.shape())
    p->add_dims(d);
  p->set_raw_data(std::string(reinterpret_cast<const char*>(t.raw()), t.nbytes()));
  return *p;
}

inline onnx::AttributeProto& attr(onnx::NodeProto& n, const std::string& name) {
  auto* a = n.add_attribute();
  a->set_name(name);
  return *a;
}
inline void attr_int(onnx::NodeProto& n, const std::string& name, int64_t v) {
  auto& a = attr(n, name);
  a.set_type(onnx::AttributeProto::INT);
  a.set_i(v);
}
inline void attr_float(onnx::NodeProto& n, const std::string& name, float v) {
  auto& a = attr(n, name);
  a.set_type(onnx::AttributeProto::FLOAT);
  a.set_f(v);
}
inline void attr_ints(onnx::NodeProto& n, const std::string& name, const std::vector<int64_t>& v) {
  auto& a = attr(n, name);
  a.set_type(onnx::AttributeProto::INTS);
  for (auto x : v)
    a.add_ints(x);
}
inline void attr_floats(onnx::NodeProto& n, const std::string& name, const std::vector<float>& v) {
  auto& a = attr(n, name);
  a.set_type(onnx::AttributeProto::FLOATS);
  for (auto x : v)
    a.add_floats(x);
}
inline void attr_string(onnx::NodeProto& n, const std::string& name, const std::string& v) {
  auto& a = attr(n, name);
  a.set_type(onnx::AttributeProto::STRING);
  a.set_s(v);
}
inline void attr_strings(onnx::NodeProto& n, const std::string& name,
                         const std::vector<std::string>& v) {
  auto& a = attr(n, name);
  a.set_type(onnx::AttributeProto::STRINGS);
  for (const auto& x : v)
    a.add_strings(x);
}

struct CommandResult {
  int status = -1;
  std::string output;  // stdout and stderr together
};

// Runs `loomc ARGS` and captures its output and exit status.
inline CommandResult run_loomc(const std::string& args) {
  CommandResult r;
  std::string cmd = std::string("'") + LOOM_LOOMC_PATH + "' " + args + " 2>&1";
  FILE* pipe = ::popen(cmd.c_str(), "r");
  if (!pipe) return r;
  char buf[4096];
  size_t n;
  while ((n = std::fread(buf, 1, sizeof buf, pipe)) > 0)
    r.output.append(buf, n);
  int st = ::pclose(pipe);
  r.status = WIFEXITED(st) ? WEXITSTATUS(st) : 128 + (WIFSIGNALED(st) ? WTERMSIG(st) : 0);
  return r;
}

inline std::string quote(const std::string& s) {
  return "'" + s + "'";
}

}  // namespace loom::test
