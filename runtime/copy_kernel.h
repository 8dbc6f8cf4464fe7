// Strided copies: the kernel behind data-movement ops (Transpose, Slice,
// Concat, Split, Tile, Expand, DepthToSpace, SpaceToDepth, Gather with
// constant indices). Each piece copies an n-dimensional box from one input
// to one output with arbitrary element strides on both sides (negative
// source strides walk backwards, as a Slice with a negative step does; zero
// source strides repeat, as Expand and Tile do). All geometry is fixed when
// the kernel is built; nothing is checked per run.
#pragma once

#include <memory>
#include <string>
#include <vector>

#include "runtime/kernel.h"

namespace loom {

struct CopyPiece {
  int input = 0;                     // which kernel input to read
  Tensor constant{};                 // defined: read this instead of an input
  int64_t src_offset = 0;            // in elements
  int64_t dst_offset = 0;            // in elements, into output `output`
  std::vector<int64_t> extents;      // box size per dimension
  std::vector<int64_t> src_strides;  // in elements, per dimension
  std::vector<int64_t> dst_strides;
  int output = 0;  // which kernel output to write
};

std::unique_ptr<Kernel> make_copy_kernel(std::string name, size_t element_size,
                                         std::vector<CopyPiece> pieces);

}  // namespace loom
