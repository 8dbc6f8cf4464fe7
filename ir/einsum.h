// Einsum equations (ONNX's Einsum, numpy's subscript notation) bound to the
// ranks and shapes of their operands. Shared by the IR op (shape inference,
// reference evaluation) and the pass that lowers Einsum to MatMul,
// ReduceSum, Transpose and Reshape.
//
// A label is an int: letters 'a'-'z' are 0-25, 'A'-'Z' 26-51, and the axes an
// ellipsis stands for get 52, 53, ..., aligned from the right across operands
// as numpy aligns broadcast dims.
#pragma once

#include <cstdint>
#include <string>
#include <string_view>
#include <vector>

#include "ir/tensor.h"

namespace loom {

inline constexpr int kEinsumFirstEllipsisLabel = 52;

struct EinsumSpec {
  std::vector<std::vector<int>> operands;  // the label of each axis of each operand
  std::vector<int> output;                 // the label of each output axis
  std::vector<int64_t> label_size;         // by label: its extent (broadcast over operands)
};

// Binds `equation` to operands of the given shapes. On a malformed equation or
// mismatched shapes, returns false with `error` saying what is wrong.
bool bind_einsum(std::string_view equation, const std::vector<Shape>& shapes, EinsumSpec& spec,
                 std::string& error);

// The output shape of a bound equation.
Shape einsum_output_shape(const EinsumSpec& spec);

// The label as written in an equation ('a', 'B', or "...k" for ellipsis axes).
std::string einsum_label_name(int label);

}  // namespace loom
