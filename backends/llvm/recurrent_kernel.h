// The LLVM backend's recurrent-layer code generator: turns one RNN, GRU or
// LSTM node (ONNX semantics, every attribute the reference interpreter
// supports) with constant weights and static shapes into a callable kernel.
//
// A kernel runs in two parts:
//  1. the input projection of every time step at once, X·Wᵀ + (Wb + Rb),
//     as one GEMM (InputProjection, runtime/input_projection.h), made by the
//     factory the caller passes (the compile driver's is a Halide pipeline);
//  2. the recurrent step loop, emitted as LLVM IR specialized to the layer
//     (hidden size, batch, direction, activations, clip, peepholes...) and
//     compiled with ORC LLJIT at O3 for the target CPU: recurrent weights
//     packed once in the order the loop reads them, the recurrent GEMV fused
//     with the gate math, hidden units split across pinned threads that meet
//     at one barrier per step (two for GRU with linear_before_reset = 0).
//
// This header includes no LLVM header, so the rest of the tree can use it.
#pragma once

#include <cstdint>
#include <memory>
#include <string>
#include <vector>

#include "ir/ops.h"
#include "ir/tensor.h"
#include "runtime/input_projection.h"

namespace loom {

class ThreadTeam;
class CompileCache;

// Everything known about a recurrent layer when code is generated.
struct RecurrentLayerSpec {
  std::string name = "recurrent";  // node name, used in error messages
  OpKind op = OpKind::LSTM;        // RNN, GRU or LSTM
  RecurrentAttrs attrs{};
  int64_t seq_len = 0, batch = 0, input_size = 0, hidden_size = 0;
  // Constants, ONNX shapes: W [D, G*H, I], R [D, G*H, H], B [D, 2*G*H]
  // (undefined: zeros), P [D, 3*H] (LSTM; undefined: no peepholes).
  Tensor w{}, r{}, b{}, p{};
  bool has_sequence_lens = false, has_initial_h = false, has_initial_c = false;
  bool want_y = true, want_y_h = true, want_y_c = true;
};

enum class RecurrentIsa { Host, Avx512, Avx2, Generic };

struct RecurrentCompileOptions {
  RecurrentIsa isa = RecurrentIsa::Host;
  int threads = 1;  // <= 0: one per core; more than the cores: capped to the cores
  // When set, writes <name>.ll (optimized IR) and <name>.s for each kernel.
  std::string dump_dir{};
  // Run on this team instead of one the kernel owns (must outlive it).
  ThreadTeam* team = nullptr;
  // Object-code cache for the generated step loops (may be null).
  CompileCache* cache = nullptr;
  // Builds the input projection from the layer's packed description; when
  // empty, make_portable_projection (plain C++, slow) is used.
  ProjectionFactory projection{};
  // A step loop takes one more thread per this many multiply-adds of a step
  // (each thread pays a barrier per step); 0 gives every layer all threads
  // (tests use it to exercise the lock-step on small layers).
  int64_t min_step_fmas_per_thread = 32768;
};

// Compile-time statistics, for benchmarks and --dump output.
struct RecurrentKernelInfo {
  std::string isa;                     // "avx512", "avx2" or "generic"
  std::string cpu;                     // the LLVM CPU name compiled for
  int vector_lanes = 0;                // floats per vector in the generated code
  int threads = 0;                     // threads the step loop uses per direction
  double compile_ms = 0;               // projection + step loops, packing included
  int64_t packed_recurrent_bytes = 0;  // per direction
  double projection_flops = 0;         // per run, all directions
};

class RecurrentKernel {
 public:
  virtual ~RecurrentKernel() = default;

  // Runs the layer on raw buffers laid out as the ONNX node's inputs and
  // outputs for the spec's layout. Inputs that the spec says are absent and
  // outputs it does not want are ignored (may be null); all others must be
  // non-null. sequence_lens is [batch]; each entry must lie in [0, seq_len]
  // (InputError otherwise). One run at a time per kernel.
  virtual void run(const float* x, const int32_t* sequence_lens, const float* initial_h,
                   const float* initial_c, float* y, float* y_h, float* y_c) = 0;
  // The same with i64 sequence lengths (ONNX allows both).
  void run(const float* x, const int64_t* sequence_lens, const float* initial_h,
           const float* initial_c, float* y, float* y_h, float* y_c);

  virtual const RecurrentKernelInfo& info() const = 0;
  virtual const RecurrentLayerSpec& spec() const = 0;
  // The hoisted input projection and the team the kernel runs on, so a
  // benchmark can time the two parts separately.
  virtual const InputProjection& input_projection() const = 0;
  virtual ThreadTeam& team() = 0;
};

// Validates the spec (ShapeError / UnsupportedError naming the node) and
// compiles it. UnsupportedError when the forced ISA is not available on this
// CPU.
std::unique_ptr<RecurrentKernel> compile_recurrent(const RecurrentLayerSpec& spec,
                                                   const RecurrentCompileOptions& options = {});

// ---- testing hooks ------------------------------------------------------------

// Applies the generated vector code of `fn` to n values (compiled once per
// call; for accuracy tests of the activation approximations).
void evaluate_jit_activation(const ActivationFn& fn, RecurrentIsa isa, const float* in, float* out,
                             int64_t n);

}  // namespace loom
