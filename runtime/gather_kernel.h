// Run-time indexing kernels. Gather on run-time indices: an embedding-table
// lookup (constant table,
// token ids from the caller) or any Gather whose indices are computed at run
// time. Every index is checked before it is used: one outside
// [-axis_dim, axis_dim) raises an InputError naming the indices tensor, the
// position and the bad value, so a bad token id never reads out of bounds.
#pragma once

#include <memory>
#include <string>

#include "ir/ops.h"
#include "runtime/kernel.h"

namespace loom {

struct GatherSpec {
  std::string name;          // for messages and profiles
  std::string indices_name;  // the tensor the indices come from
  ErrorSite site;            // the Gather node
  int data_input = 0;        // kernel input holding the data, unless `constant_data`
  Tensor constant_data{};    // defined: the data is this constant (an embedding table)
  int indices_input = 1;     // kernel input holding the int32/int64 indices
  DType index_dtype = DType::i64;
  int64_t outer = 1;        // product of data dims before the axis
  int64_t axis_dim = 0;     // size of the gathered axis
  int64_t inner = 1;        // elements after the axis
  int64_t index_count = 0;  // number of indices
  size_t element_size = 4;
};

std::unique_ptr<Kernel> make_gather_kernel(GatherSpec spec);

// ScatterND: the output is a copy of the data with the slices named by
// `indices` ([count, k] int64) replaced by (or combined with) `updates`.
// Each index is checked like Gather's.
struct ScatterSpec {
  std::string name;
  std::string indices_name;
  ErrorSite site;
  // Where each operand comes from: a kernel input, or a constant.
  int data_input = -1, indices_input = -1, updates_input = -1;
  Tensor data_constant{}, indices_constant{}, updates_constant{};
  Shape data_shape;
  int64_t k = 1;      // the index length (last dim of indices)
  int64_t count = 0;  // number of index tuples
  DType dtype = DType::f32;
  ScatterReduction reduction = ScatterReduction::None;
};

std::unique_ptr<Kernel> make_scatter_kernel(ScatterSpec spec);

// Cast between numeric dtypes (f32, f64, i8, u8, i32, i64, bool) with ONNX
// semantics: float to integer truncates toward zero, anything to bool is
// `!= 0`. Inputs and outputs have the same shape.
std::unique_ptr<Kernel> make_cast_kernel(std::string name, DType from, DType to);

}  // namespace loom
