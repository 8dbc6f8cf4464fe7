// Lowering::lower() and the dispatch over ops: lowers the group's inputs
// (run-time buffers, channel-blocked when the partition asks for it), then
// each node through lower_node, whose switch sends every op to the member
// function of its family (lower_conv_pool.cpp, lower_dense.cpp,
// lower_elementwise.cpp, lower_normalization.cpp, lower_structure.cpp), then
// the outputs. Also the helpers every family uses to define Funcs: unique
// names, def/add_func (which record each Func's role and loops in the
// PipelineInfo the default scheduler reads), value_func (a value's Func,
// turning constants into buffers) and the f32 checks.
#include "backends/halide/lowering.h"

#include <cctype>
#include <cstring>

#include <fmt/format.h>

namespace loom::halide_detail {

std::string sanitize(const std::string& s) {
  std::string out;
  for (char c : s)
    out += (std::isalnum(static_cast<unsigned char>(c)) ? c : '_');
  if (out.empty() || std::isdigit(static_cast<unsigned char>(out[0]))) out = "v_" + out;
  return out;
}

std::string var_name(size_t onnx_axis) {
  return "d" + std::to_string(onnx_axis);
}

std::vector<H::Var> halide_vars(size_t rank) {
  std::vector<H::Var> v;
  for (size_t i = 0; i < rank; ++i)
    v.emplace_back(var_name(rank - 1 - i));
  return v;
}

std::vector<H::Expr> onnx_index(size_t rank) {
  std::vector<H::Expr> idx;
  for (size_t k = 0; k < rank; ++k)
    idx.push_back(H::Var(var_name(k)));
  return idx;
}

std::vector<H::Expr> reversed(const std::vector<H::Expr>& v) {
  return {v.rbegin(), v.rend()};
}

namespace {

std::vector<int> reversed_sizes(const Shape& s) {
  std::vector<int> out;
  for (auto it = s.rbegin(); it != s.rend(); ++it)
    out.push_back(static_cast<int>(*it));
  return out;
}

}  // namespace

void Lowering::lower() {
  for (size_t k = 0; k < g_.inputs.size(); ++k) {
    const ValueId id = g_.inputs[k];
    const Value& v = g_.value(id);
    const TensorType& t = g_.type_of(id);
    H::Type type;
    try {
      type = halide_type(t.dtype);
    } catch (const UnsupportedError& e) {
      throw UnsupportedError(fmt::format("group input '{}': {}", v.name, e.detail()), g_.site(id));
    }
    const int cb = block_of(in_blocks_, k, t.shape, id);
    // Blocked: a 5-D buffer (c % cb, w, h, c / cb, n), innermost first.
    H::ImageParam p(type, static_cast<int>(t.rank()) + (cb ? 1 : 0),
                    unique("in_" + sanitize(v.name)));
    params_.push_back(p);
    vals_[static_cast<size_t>(id)] =
        def("in_" + sanitize(v.name), FuncRole::Input, t.shape, {},
            [&](const std::vector<H::Expr>& idx) {
              if (!cb) return H::Expr(p(reversed(idx)));
              return H::Expr(p(idx[1] % cb, idx[3], idx[2], idx[1] / cb, idx[0]));
            });
    info_.funcs[static_cast<size_t>(vals_[static_cast<size_t>(id)])].blocked_input = cb > 0;
  }
  for (const Node& n : g_.nodes)
    lower_node(n);
  for (size_t k = 0; k < g_.outputs.size(); ++k) {
    const ValueId id = g_.outputs[k];
    int src = value_func(id, nullptr);
    const Shape& shape = g_.type_of(id).shape;
    const int cb = block_of(out_blocks_, k, shape, id);
    int f = -1;
    if (cb) {
      // (d1l, d3, d2, d1b, d0) innermost first: channel d1 = d1b * cb + d1l.
      const std::string name = unique(sanitize(g_.value(id).name) + "_out");
      H::Func o(name);
      H::Var ci("d1l"), w("d3"), h("d2"), co("d1b"), n("d0");
      o(ci, w, h, co, n) = at(src, {n, co * cb + ci, h, w});
      f = add_func(o, name, FuncRole::Pointwise, shape, {src});
      FuncInfo& fi = info_.funcs[static_cast<size_t>(f)];
      fi.vars = {"d1l", "d3", "d2", "d1b", "d0"};
      fi.extents = {cb, shape[3], shape[2], shape[1] / cb, shape[0]};
      fi.block = cb;
    } else {
      f = def(sanitize(g_.value(id).name) + "_out", FuncRole::Pointwise, shape, {src},
              [&](const std::vector<H::Expr>& idx) { return at(src, idx); });
    }
    info_.funcs[static_cast<size_t>(f)].is_output = true;
    outputs_.push_back(funcs_[static_cast<size_t>(f)]);
    output_index_.push_back(f);
  }
}

std::string Lowering::unique(const std::string& base) {
  std::string name = base;
  for (int i = 1; names_.count(name); ++i)
    name = base + "_" + std::to_string(i);
  names_.insert(name);
  return name;
}

// `name` is ours: Halide may decorate f.name() to keep it process-unique.
int Lowering::add_func(H::Func f, const std::string& name, FuncRole role, const Shape& shape,
                       const std::vector<int>& producers) {
  FuncInfo fi;
  fi.name = name;
  fi.role = role;
  for (size_t i = 0; i < shape.size(); ++i) {
    fi.vars.push_back(var_name(shape.size() - 1 - i));
    fi.extents.push_back(shape[shape.size() - 1 - i]);
  }
  const int index = static_cast<int>(funcs_.size());
  for (int p : producers) {
    auto& cs = info_.funcs[static_cast<size_t>(p)].consumers;
    if (std::find(cs.begin(), cs.end(), index) == cs.end()) cs.push_back(index);
  }
  info_.funcs.push_back(std::move(fi));
  funcs_.push_back(f);
  return index;
}

int Lowering::def(const std::string& base, FuncRole role, const Shape& shape,
                  const std::vector<int>& producers, const Body& body) {
  const std::string name = unique(base);
  H::Func f(name);
  f(halide_vars(shape.size())) = body(onnx_index(shape.size()));
  return add_func(f, name, role, shape, producers);
}

int Lowering::value_func(ValueId id, const Node* user) {
  if (vals_[static_cast<size_t>(id)] >= 0) return vals_[static_cast<size_t>(id)];
  const Value& v = g_.value(id);
  if (!v.constant)
    throw InternalError(fmt::format("value '{}' has no definition in the group", v.name));
  const Tensor& t = *v.constant;
  if (t.dtype() != DType::f32) {
    H::Type type;
    try {
      type = halide_type(t.dtype());
    } catch (const UnsupportedError& e) {
      throw UnsupportedError(fmt::format("constant '{}': {}", v.name, e.detail()),
                             user ? g_.site(*user) : g_.site(id));
    }
    H::Buffer<> b(type, reversed_sizes(t.shape()), unique("c_" + sanitize(v.name)));
    if (t.numel()) std::memcpy(b.data(), t.raw(), t.nbytes());
    typed_buffers_.push_back(b);
    int f = def("w_" + sanitize(v.name), FuncRole::Input, t.shape(), {},
                [&](const std::vector<H::Expr>& idx) { return H::Expr(b(reversed(idx))); });
    vals_[static_cast<size_t>(id)] = f;
    return f;
  }
  H::Buffer<float> b(reversed_sizes(t.shape()), unique("c_" + sanitize(v.name)));
  if (t.numel()) std::memcpy(b.data(), t.data<float>(), t.nbytes());
  buffers_.push_back(b);
  int f = def("w_" + sanitize(v.name), FuncRole::Input, t.shape(), {},
              [&](const std::vector<H::Expr>& idx) { return H::Expr(b(reversed(idx))); });
  vals_[static_cast<size_t>(id)] = f;
  return f;
}

H::Type halide_type(DType t) {
  switch (t) {
    case DType::f32:
      return H::Float(32);
    case DType::f64:
      return H::Float(64);
    case DType::i8:
      return H::Int(8);
    case DType::u8:
      return H::UInt(8);
    case DType::i32:
      return H::Int(32);
    case DType::i64:
      return H::Int(64);
    case DType::boolean:
      return H::Bool();
    default:
      throw UnsupportedError(fmt::format(
          "dtype {}: the Halide backend computes f32 everywhere; f64 in arithmetic, "
          "reductions, comparisons, MatMul and data movement; i8, u8, i32, i64 and bool in "
          "comparisons, selection, ArgMax/ArgMin, MatMul and integer "
          "Add/Sub/Mul/Min/Max/Neg/Abs/Clip/Pow",
          dtype_name(t)));
  }
}

halide_type_t buffer_type(DType t) {
  const H::Type h = halide_type(t);
  return halide_type_t(static_cast<halide_type_code_t>(h.code()), static_cast<uint8_t>(h.bits()));
}

bool is_dtype_generic(OpKind op) {
  switch (op) {
    case OpKind::Add:
    case OpKind::Sub:
    case OpKind::Mul:
    case OpKind::Div:
    case OpKind::Mod:
    case OpKind::Min:
    case OpKind::Max:
    case OpKind::Sum:
    case OpKind::Neg:
    case OpKind::Abs:
    case OpKind::Clip:
    case OpKind::Pow:
    case OpKind::Equal:
    case OpKind::Less:
    case OpKind::Greater:
    case OpKind::LessOrEqual:
    case OpKind::GreaterOrEqual:
    case OpKind::Not:
    case OpKind::Where:
    case OpKind::ArgMax:
    case OpKind::ArgMin:
    case OpKind::Identity:
    case OpKind::Dropout:
    case OpKind::Pad:
    case OpKind::Flatten:
    case OpKind::Reshape:
    case OpKind::Squeeze:
    case OpKind::Unsqueeze:
    case OpKind::Transpose:
    case OpKind::Concat:
    case OpKind::Slice:
    case OpKind::Constant:
    case OpKind::MatMul:
      return true;
    default:
      return false;
  }
}

bool is_float_generic(OpKind op) {
  return is_dtype_generic(op) || is_reduce(op) || op == OpKind::Mean;
}

namespace {

bool computes(DType t) {
  try {
    halide_type(t);
    return true;
  } catch (const UnsupportedError&) {
    return false;
  }
}

}  // namespace

std::optional<std::string> halide_node_problem(const Graph& g, const Node& n) {
  if (!Lowering::lowering_of(n.op))
    return fmt::format("op {} is not implemented by the Halide backend", op_name(n.op));
  // LayerNormalization's Mean and InvStdDev are its statistics Funcs; Dropout's mask a constant.
  for (size_t i = 1; i < n.outputs.size(); ++i)
    if (n.has_output(i) && n.op != OpKind::LayerNormalization && n.op != OpKind::Dropout)
      return fmt::format("output {} ('{}') of {} is not implemented by the Halide backend", i,
                         g.value(n.outputs[i]).name, op_name(n.op));
  auto bad = [&](ValueId id) {
    if (id == kNoValue) return false;
    const DType t = g.type_of(id).dtype;
    if (t == DType::f32) return false;
    const bool written_for_it = t == DType::f64 ? is_float_generic(n.op) : is_dtype_generic(n.op);
    return !(written_for_it && computes(t));
  };
  for (size_t k = 0; k < n.inputs.size(); ++k) {
    // Pow folds a constant scalar exponent of any dtype into its code.
    if (n.op == OpKind::Pow && k == 1 && g.is_constant(n.inputs[k]) &&
        g.type_of(n.inputs[k]).dtype != DType::boolean)
      continue;
    if (bad(n.inputs[k]))
      return fmt::format("input '{}' has dtype {}, on which the Halide backend does not compute {}",
                         g.value(n.inputs[k]).name, dtype_name(g.type_of(n.inputs[k]).dtype),
                         op_name(n.op));
  }
  for (ValueId id : n.outputs)
    if (bad(id))
      return fmt::format(
          "output '{}' has dtype {}, on which the Halide backend does not compute {}",
          g.value(id).name, dtype_name(g.type_of(id).dtype), op_name(n.op));
  return std::nullopt;
}

Lowering::LowerFn Lowering::lowering_of(OpKind op) {
  if (is_unary_elementwise(op)) return &Lowering::lower_unary;
  if (is_reduce(op)) return &Lowering::lower_reduce;
  switch (op) {
    case OpKind::Conv:
      return &Lowering::lower_conv;
    case OpKind::ConvTranspose:
      return &Lowering::lower_conv_transpose;
    case OpKind::MaxPool:
    case OpKind::AveragePool:
      return &Lowering::lower_pool;
    case OpKind::GlobalAveragePool:
    case OpKind::GlobalMaxPool:
      return &Lowering::lower_global_pool;
    case OpKind::GlobalLpPool:
      return &Lowering::lower_global_lp_pool;
    case OpKind::Pad:
      return &Lowering::lower_pad;
    case OpKind::Resize:
      return &Lowering::lower_resize;
    case OpKind::Gemm:
      return &Lowering::lower_gemm;
    case OpKind::MatMul:
      return &Lowering::lower_matmul;
    case OpKind::BatchNormalization:
      return &Lowering::lower_batch_norm;
    case OpKind::InstanceNormalization:
      return &Lowering::lower_instance_norm;
    case OpKind::LayerNormalization:
      return &Lowering::lower_layer_norm;
    case OpKind::LRN:
      return &Lowering::lower_lrn;
    case OpKind::Add:
    case OpKind::Sub:
    case OpKind::Mul:
    case OpKind::Div:
    case OpKind::PRelu:
    case OpKind::Mod:
      return &Lowering::lower_binary;
    case OpKind::Pow:
      return &Lowering::lower_pow;
    case OpKind::Min:
    case OpKind::Max:
    case OpKind::Sum:
    case OpKind::Mean:
      return &Lowering::lower_variadic;
    case OpKind::Equal:
    case OpKind::Less:
    case OpKind::Greater:
    case OpKind::LessOrEqual:
    case OpKind::GreaterOrEqual:
    case OpKind::Not:
    case OpKind::Where:
      return &Lowering::lower_compare;
    case OpKind::ArgMax:
    case OpKind::ArgMin:
      return &Lowering::lower_arg_reduce;
    case OpKind::Softmax:
    case OpKind::LogSoftmax:
      return &Lowering::lower_softmax;
    case OpKind::Identity:
    case OpKind::Dropout:
      return &Lowering::lower_identity;
    case OpKind::Flatten:
    case OpKind::Reshape:
    case OpKind::Squeeze:
    case OpKind::Unsqueeze:
      return &Lowering::lower_reshape;
    case OpKind::Transpose:
      return &Lowering::lower_transpose;
    case OpKind::Concat:
      return &Lowering::lower_concat;
    case OpKind::Slice:
      return &Lowering::lower_slice;
    case OpKind::Constant:
      return &Lowering::lower_constant;
    default:
      return nullptr;
  }
}

void Lowering::lower_node(const Node& n) {
  if (auto problem = halide_node_problem(g_, n)) throw UnsupportedError(*problem, g_.site(n));
  (this->*lowering_of(n.op))(n);
}

// The channel block of input/output k (0: row-major), checked.
int Lowering::block_of(const std::vector<int>& blocks, size_t k, const Shape& s, ValueId id) const {
  const int cb = k < blocks.size() ? blocks[k] : 0;
  if (cb == 0) return 0;
  if (cb < 0 || s.size() != 4 || s[1] % cb != 0)
    throw InternalError(
        fmt::format("group '{}': value '{}' of shape {} cannot be stored in "
                    "channel blocks of {}",
                    g_.name, g_.value(id).name, shape_str(s), cb));
  return cb;
}

}  // namespace loom::halide_detail
