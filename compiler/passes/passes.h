// The graph passes, one per file in this folder. Each takes a verified,
// shape-inferred graph and leaves it verified and shape-inferred (the pass
// manager checks this when PassOptions::verify_each is set).
#pragma once

#include <cstdint>

#include "ir/graph.h"

namespace loom {

// Outputs larger than this many elements are not folded (see fold_constants.cpp).
inline constexpr int64_t kFoldConstantsMaxElements = int64_t{1} << 22;

void lower_einsum(Graph& graph);
void fold_constants(Graph& graph, int64_t max_elements = kFoldConstantsMaxElements);
void fold_batchnorm(Graph& graph);
void eliminate_dead_code(Graph& graph);

}  // namespace loom
