// Private interface between the recurrent-kernel driver (recurrent_kernel.cpp,
// plain C++) and the one translation unit that includes LLVM (codegen.cpp):
// static descriptions of the functions to generate, and the compiled code.
// No LLVM type appears here, so only codegen.cpp pays for LLVM's headers.
#pragma once

#include <cstdint>
#include <memory>
#include <optional>
#include <string>
#include <vector>

#include "backends/llvm/recurrent_kernel.h"

namespace loom {
class CompileCache;
}

namespace loom::llvm_backend {

enum class Isa { Generic, Avx2, Avx512 };

struct TargetChoice {
  Isa isa = Isa::Generic;
  std::string isa_name;               // "avx512", "avx2", "generic"
  std::string cpu;                    // LLVM CPU name
  std::vector<std::string> features;  // "+avx2", "-avx512f", ...
  int lanes = 4;                      // floats per vector register
};

// The ISA to compile for; UnsupportedError (naming `node`) when a forced ISA
// is missing on this CPU.
TargetChoice choose_target(RecurrentIsa requested, const std::string& node);

// Slots of the argument array a step function receives (void** args).
enum StepArg : int {
  kArgProj = 0,   // const float*: input projection, [rows][proj_ld]
  kArgWeights,    // const float*: packed recurrent weights of this direction
  kArgH,          // float*: [2][batch][hp] hidden state, double-buffered
  kArgC,          // float*: [batch][hp] cell state (LSTM)
  kArgY,          // float*: Y, ONNX layout (null when not wanted)
  kArgLens,       // const int32_t*: [batch] sequence lengths (when given)
  kArgBarrierFn,  // void (*)(void*)
  kArgBarrier,    // void*
  kArgSteps,      // int64 (stored in the pointer slot): steps to run
  kArgRh,         // float*: [batch][hp] r ⊙ h (GRU, linear_before_reset = 0)
  kArgZ,          // float*: [batch][hp] update gate (GRU, linear_before_reset = 0)
  kArgRbh,        // const float*: [hp] Rb of GRU's h gate (linear_before_reset = 1)
  kArgPeep,       // const float*: [3][hp] peepholes i, o, f (LSTM)
  kNumStepArgs
};

// One matrix-vector pass of a step: the gates it computes (ONNX gate
// indices) and whether it multiplies h or r ⊙ h (GRU's second pass).
struct StepPass {
  std::vector<int> gates;
  bool reads_rh = false;
};

// A step function for one direction:
//   void fn(void** args, int64_t block_begin, int64_t block_end)
// runs all steps for the hidden-unit blocks [block_begin, block_end) and
// meets the other threads of its direction at the barrier after each pass.
struct StepLoopDesc {
  std::string fn_name;
  OpKind op = OpKind::LSTM;
  int64_t seq = 0, batch = 0, hidden = 0, hp = 0;  // hp: hidden rounded up to lanes
  int64_t num_dirs = 1, dir = 0;
  bool reverse = false, batch_first = false, has_lens = false, want_y = true;
  std::vector<ActivationFn> act;
  std::optional<float> clip;
  bool input_forget = false, peepholes = false, linear_before_reset = false;
  // The state entering step 0 is zero (no initial_h) and the recurrent
  // weights are finite, so step 0's matvecs are exactly zero and skipped.
  bool zero_first_state = false;
  int64_t proj_ld = 0;          // floats per projection row
  int64_t proj_dir_offset = 0;  // first column of this direction
  std::vector<StepPass> passes;
};

class JitCode {
 public:
  virtual ~JitCode() = default;
  virtual void* lookup(const std::string& name) = 0;
};

struct JitRequest {
  std::string module_name;
  std::vector<StepLoopDesc> steps;
  // `void fn(const float* in, float* out, int64_t vectors)` applying one activation.
  std::vector<std::pair<std::string, ActivationFn>> activations;
  std::string dump_dir;
  // When set, the object code is loaded from / stored in it, keyed by the
  // unoptimized module text, the CPU and its features, and the Loom build.
  CompileCache* cache = nullptr;
};

std::unique_ptr<JitCode> jit_compile(const TargetChoice& target, const JitRequest& request);

}  // namespace loom::llvm_backend
