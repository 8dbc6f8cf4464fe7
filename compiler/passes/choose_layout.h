// choose_layout: picks the storage layout of the values passed between
// Halide kernel groups (row-major NCHW or channel-blocked NCHW[c]); see
// choose_layout.cpp for the rule.
#pragma once

#include <functional>

#include "compiler/passes/partition.h"

namespace loom {

// Sets input_blocks / output_blocks of every group of `part` (a partition
// of `graph`); `block` is the channel block (the target's f32 vector lanes:
// 16, 8 or 4). block <= 0 leaves every value row-major. When given,
// `may_block` vetoes blocked outputs of a group (e.g. one whose schedule,
// loaded from a file, names the row-major output loops).
void choose_layout(const Graph& graph, Partition& part, int block,
                   const std::function<bool(const KernelGroup&)>& may_block = {});

}  // namespace loom
