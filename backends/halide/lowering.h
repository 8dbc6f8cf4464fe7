// Lowering of one kernel group (a small standalone Graph) to one Halide
// pipeline: the state shared by every op's lowering and the helpers that
// define Funcs, plus one member function per op family. Internal to
// backends/halide (it includes Halide.h): nothing outside this folder
// includes it. halide_backend.cpp schedules and compiles what it builds.
//
// Layout: a value of ONNX shape [s0, ..., s{r-1}] is a Halide Func whose
// pure vars are named d0..d{r-1} after the ONNX axes and passed innermost
// first (d{r-1} is Halide's dimension 0), so its dense storage is ONNX
// row-major and run-time tensors are passed without copies. Weights are
// copied once into Halide buffers; conv and dense weights are repacked with
// the output channel / column innermost so that vectors of output channels
// load contiguously.
//
// Where the code lives: lower() and the dispatch over ops (lower_node) in
// lowering.cpp, with the shared helpers; each op family's lowering in its
// own file: lower_conv_pool.cpp, lower_dense.cpp, lower_elementwise.cpp,
// lower_reduction.cpp, lower_normalization.cpp, lower_resampling.cpp,
// lower_structure.cpp. A new op is one case in lowering_of's table and one
// member function in its family's file.
#pragma once

#include <Halide.h>

#include <functional>
#include <map>
#include <optional>
#include <set>
#include <string>
#include <utility>
#include <vector>

#include "backends/halide/pipeline_info.h"
#include "ir/geometry.h"
#include "ir/graph.h"

namespace loom::halide_detail {

namespace H = Halide;

// A C identifier made of `s` (Halide function and pipeline names).
std::string sanitize(const std::string& s);
// The name of the pure var of ONNX axis `onnx_axis`: d<axis>.
std::string var_name(size_t onnx_axis);
// The pure vars of a rank-`rank` Func, innermost (last ONNX axis) first.
std::vector<H::Var> halide_vars(size_t rank);
// The same vars as expressions in ONNX axis order.
std::vector<H::Expr> onnx_index(size_t rank);
std::vector<H::Expr> reversed(const std::vector<H::Expr>& v);

// The Halide type of a dtype the backend computes (f32 for the arithmetic;
// integers and bool for comparisons, selection, ArgMax and integer
// arithmetic); UnsupportedError for the others.
H::Type halide_type(DType t);
// The same as a runtime buffer type (bool: uint1 in one byte).
halide_type_t buffer_type(DType t);
// Ops whose lowering is written for any computed dtype.
bool is_dtype_generic(OpKind op);
// Ops whose lowering is written for f64 as well as f32 (no f32 literals
// where a value's type matters): the generic ones, reductions, Mean.
bool is_float_generic(OpKind op);
// Why the Halide backend cannot lower node `n` of group `g` (an op it does
// not implement, an output it does not produce, a dtype it does not compute
// there); nullopt when it can. f32 everywhere, except in the dtype-generic
// ops, whose values may also be integers or bool.
std::optional<std::string> halide_node_problem(const Graph& g, const Node& n);

class Lowering {
 public:
  explicit Lowering(const Graph& g, std::vector<int> in_blocks = {},
                    std::vector<int> out_blocks = {})
      : g_(g),
        vals_(g.values.size(), -1),
        in_blocks_(std::move(in_blocks)),
        out_blocks_(std::move(out_blocks)) {
    info_.group = g.name;
  }

  // Lowers the whole group: inputs, every node in order, outputs.
  void lower();

  // The member that lowers an op; null for ops the backend does not lower.
  // The one list of what this backend implements (halide_node_problem asks it).
  using LowerFn = void (Lowering::*)(const Node&);
  static LowerFn lowering_of(OpKind op);

  PipelineInfo info_;
  std::vector<H::Func> funcs_;
  std::map<std::string, std::map<std::string, H::RVar>> rvars_;  // func -> label -> rvar
  std::vector<H::ImageParam> params_;
  std::vector<H::Func> outputs_;
  std::vector<int> output_index_;
  std::vector<H::Buffer<float>> buffers_;          // keeps constants alive with the pipeline
  std::vector<H::Buffer<int32_t>> index_buffers_;  // resampling tap tables
  std::vector<H::Buffer<>> typed_buffers_;         // non-f32 constants

 private:
  using Body = std::function<H::Expr(const std::vector<H::Expr>&)>;

  // ---- shared helpers (lowering.cpp) ----
  std::string unique(const std::string& base);
  // `name` is ours: Halide may decorate f.name() to keep it process-unique.
  int add_func(H::Func f, const std::string& name, FuncRole role, const Shape& shape,
               const std::vector<int>& producers);
  int def(const std::string& base, FuncRole role, const Shape& shape,
          const std::vector<int>& producers, const Body& body);
  H::Expr at(int f, const std::vector<H::Expr>& idx) const {
    return funcs_[static_cast<size_t>(f)](reversed(idx));
  }
  const Shape& shape_of(ValueId id) const { return g_.type_of(id).shape; }
  int value_func(ValueId id, const Node* user);
  void set_out(const Node& n, int f) { vals_[static_cast<size_t>(n.outputs[0])] = f; }
  std::string base(const Node& n) const { return sanitize(n.name); }
  // The channel block of input/output k (0: row-major), checked.
  int block_of(const std::vector<int>& blocks, size_t k, const Shape& s, ValueId id) const;

  // The dispatch over ops (lowering.cpp): lower_node calls the member
  // lowering_of names for the node's op.
  void lower_node(const Node& n);

  // ---- convolution and pooling (lower_conv_pool.cpp) ----
  // A padded view of `src` (spatial dims from ONNX axis 2 on): reads outside
  // [0, in) give `fill`. Returns src itself when no access can leave the input.
  int boundary(const Node& n, int src, const Shape& shape, const WindowGeometry& geo, float fill);
  void lower_conv(const Node& n);
  void lower_pool(const Node& n);
  void lower_global_pool(const Node& n);
  void lower_global_lp_pool(const Node& n);

  // ---- matrix products (lower_dense.cpp) ----
  // Operand accessor of a matrix product: B(k, j) reads a constant through a
  // buffer packed with j innermost.
  std::function<H::Expr(H::Expr, H::Expr)> matrix_rhs(const Node& n, ValueId id, bool trans,
                                                      std::vector<int>& producers);
  void finish_accumulator(const Node& n, H::Func acc, const std::string& acc_name, const Shape& ys,
                          const std::vector<int>& producers, const std::string& rk, H::RVar rv,
                          int channel_var, int pixel_var, const Body& epilogue);
  void lower_gemm(const Node& n);
  void lower_matmul(const Node& n);

  // ---- elementwise ops and softmax (lower_elementwise.cpp) ----
  void lower_binary(const Node& n);
  void lower_unary(const Node& n);
  void lower_variadic(const Node& n);
  void lower_pow(const Node& n);
  // Comparisons, Not and Where (bool values; any computed dtype).
  void lower_compare(const Node& n);
  void lower_softmax(const Node& n);

  // ---- reductions (lower_reduction.cpp) ----
  void lower_reduce(const Node& n);
  void lower_arg_reduce(const Node& n);

  // ---- normalization (lower_normalization.cpp) ----
  void lower_batch_norm(const Node& n);
  void lower_instance_norm(const Node& n);
  void lower_layer_norm(const Node& n);
  void lower_lrn(const Node& n);
  // Mean and variance Funcs over dims [first, rank) of x (shape xs[0:first]).
  std::pair<int, int> moments(const Node& n, int x, const Shape& xs, size_t first);

  // ---- padding and resampling (lower_resampling.cpp) ----
  void lower_pad(const Node& n);
  void lower_resize(const Node& n);
  void lower_conv_transpose(const Node& n);

  // ---- views, data movement and constants (lower_structure.cpp) ----
  void lower_reshape(const Node& n);
  void lower_transpose(const Node& n);
  void lower_concat(const Node& n);
  void lower_slice(const Node& n);
  void lower_constant(const Node& n);
  void lower_identity(const Node& n);

  const Graph& g_;
  std::vector<int> vals_;
  std::vector<int> in_blocks_, out_blocks_;
  std::set<std::string> names_;
};

}  // namespace loom::halide_detail
