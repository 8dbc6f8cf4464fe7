// Object loading for Loom's LLJITs (the recurrent kernels and the Halide
// groups): every object is placed in one contiguous mapping, code then
// read-only data then writable data.
//
// Why: the code of an object reaches its constants (packed weights, lookup
// tables) through 32-bit PC-relative relocations (the small code model both
// LLVM and Halide generate). LLJIT's default memory manager maps each
// section on its own, and a constant section of a few hundred MB (VGG's
// 25088x4096 classifier: 411 MB) can land more than 2 GB from the code:
// the relocation silently wraps and the kernel jumps or reads at random
// (vgg11 crashed in about half of the runs, depending on address layout).
// One mapping per object keeps every section within the object's own size.
#pragma once

#include <llvm/ExecutionEngine/Orc/LLJIT.h>

namespace loom::llvm_backend {

// Makes `builder` load objects with the contiguous memory manager.
void use_contiguous_object_memory(llvm::orc::LLJITBuilder& builder);

}  // namespace loom::llvm_backend
