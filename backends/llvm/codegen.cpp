// LLVM IR emission and ORC LLJIT compilation for the recurrent kernels: the
// step loop of each direction and the vector activation functions. The only translation unit of the
// tree that includes LLVM's IRBuilder and LLJIT headers (they cost ~6 s to compile).
//
// Floating-point flags. No fast-math flag is set on any instruction: NaNs and
// infinities flow through as in the reference, and no sum is reassociated, so
// results do not depend on the thread count. The only liberty taken is
// llvm.fmuladd (fused when the target has FMA) in dot products and the
// polynomial evaluations, which only removes intermediate roundings.
//
// Activations are computed without libm calls:
//  - exp: x clamped to [-87, 88], n = round(x·log2 e) with the 1.5·2^23 trick,
//    r = x − n·ln2 in two parts, degree-7 Taylor polynomial (|r| ≤ 0.347,
//    truncation < 5e-9 relative), scaled by 2^n built in the exponent bits;
//  - tanh: odd Taylor polynomial to x^13 for |x| < 0.4 (truncation < 2e-9),
//    (1 − e)/(1 + e) with e = exp(−2|x|) above, sign restored by copysign;
//  - sigmoid: 1 / (1 + exp(−x)) with a true division;
//  - softplus: max(x, 0) + log1p(exp(−|x|)), log1p(u) = 2·atanh(u / (2 + u))
//    by its odd series to s^13 (s ≤ 1/3, truncation < 1e-8). Unlike the
//    reference's log1p(exp(x)) in f32 it does not overflow to inf for x > 88.
// Measured maximum errors over dense sweeps are checked in
// tests/test_llvm_recurrent.cpp (tanh, sigmoid: 9e-8 absolute, 1.6e-7 relative).
#include "backends/llvm/codegen.h"
#include "backends/llvm/jit_memory.h"

#include <fstream>
#include <functional>
#include <mutex>
#include <optional>

#include <llvm/ADT/StringMap.h>
#include <llvm/ExecutionEngine/Orc/ExecutionUtils.h>
#include <llvm/ExecutionEngine/Orc/JITTargetMachineBuilder.h>
#include <llvm/ExecutionEngine/Orc/LLJIT.h>
#include <llvm/IR/IRBuilder.h>
#include <llvm/IR/Intrinsics.h>
#include <llvm/IR/LegacyPassManager.h>
#include <llvm/IR/Verifier.h>
#include <llvm/Passes/PassBuilder.h>
#include <llvm/Support/Host.h>
#include <llvm/Support/TargetSelect.h>
#include <llvm/Support/raw_ostream.h>
#include <llvm/Target/TargetMachine.h>
#include <llvm/Transforms/Utils/Cloning.h>

#include <fmt/format.h>

#include "ir/error.h"
#include "runtime/compile_cache.h"

namespace loom::llvm_backend {
namespace {

using llvm::Value;

void init_llvm() {
  static std::once_flag once;
  std::call_once(once, [] {
    llvm::InitializeNativeTarget();
    llvm::InitializeNativeTargetAsmPrinter();
    llvm::InitializeNativeTargetAsmParser();
  });
}

std::string error_text(llvm::Error e) {
  std::string s;
  llvm::raw_string_ostream os(s);
  os << e;
  return os.str();
}

// IR emission helpers for one module at a fixed vector width.
class Emitter {
 public:
  Emitter(llvm::LLVMContext& ctx, llvm::Module& m, const TargetChoice& t)
      : ctx_(ctx), m_(m), b_(ctx), target_(t), lanes_(t.lanes) {
    f32_ = llvm::Type::getFloatTy(ctx);
    i32_ = llvm::Type::getInt32Ty(ctx);
    i64_ = llvm::Type::getInt64Ty(ctx);
    fptr_ = f32_->getPointerTo();
    vty_ = llvm::FixedVectorType::get(f32_, static_cast<unsigned>(lanes_));
    ivty_ = llvm::FixedVectorType::get(i32_, static_cast<unsigned>(lanes_));
  }

  llvm::IRBuilder<>& b() { return b_; }
  llvm::Type* f32() const { return f32_; }
  llvm::Type* i64() const { return i64_; }
  llvm::Type* fptr() const { return fptr_; }
  llvm::FixedVectorType* vty() const { return vty_; }
  int lanes() const { return lanes_; }

  llvm::Function* make_function(const std::string& name, llvm::FunctionType* ty) {
    auto* fn = llvm::Function::Create(ty, llvm::Function::ExternalLinkage, name, m_);
    fn->addFnAttr(llvm::Attribute::NoUnwind);
    fn->addFnAttr("target-cpu", target_.cpu);
    std::string feats;
    for (const auto& f : target_.features)
      feats += (feats.empty() ? "" : ",") + f;
    if (!feats.empty()) fn->addFnAttr("target-features", feats);
    if (target_.isa == Isa::Avx512) {
      // Keep <16 x float> in zmm registers even on CPUs LLVM tunes for 256-bit.
      fn->addFnAttr("prefer-vector-width", "512");
      fn->addFnAttr("min-legal-vector-width", "512");
    }
    b_.SetInsertPoint(llvm::BasicBlock::Create(ctx_, "entry", fn));
    return fn;
  }

  Value* c64(int64_t v) { return llvm::ConstantInt::get(i64_, static_cast<uint64_t>(v), true); }
  Value* splat(float v) { return llvm::ConstantFP::get(vty_, static_cast<double>(v)); }
  Value* zero() { return splat(0.f); }

  Value* gep(Value* ptr, Value* idx) { return b_.CreateInBoundsGEP(f32_, ptr, idx); }
  Value* gep(Value* ptr, int64_t idx) { return gep(ptr, c64(idx)); }
  Value* vptr(Value* fp) { return b_.CreateBitCast(fp, vty_->getPointerTo()); }
  Value* loadv(Value* fp, unsigned align = 4) {
    return b_.CreateAlignedLoad(vty_, vptr(fp), llvm::Align(align));
  }
  void storev(Value* v, Value* fp, unsigned align = 4) {
    b_.CreateAlignedStore(v, vptr(fp), llvm::Align(align));
  }
  Value* bcast(Value* fp) {
    return b_.CreateVectorSplat(static_cast<unsigned>(lanes_), b_.CreateLoad(f32_, fp));
  }

  Value* fma(Value* a, Value* x, Value* c) {
    return b_.CreateIntrinsic(llvm::Intrinsic::fmuladd, {vty_}, {a, x, c});
  }
  Value* add(Value* a, Value* x) { return b_.CreateFAdd(a, x); }
  Value* sub(Value* a, Value* x) { return b_.CreateFSub(a, x); }
  Value* mul(Value* a, Value* x) { return b_.CreateFMul(a, x); }
  Value* div(Value* a, Value* x) { return b_.CreateFDiv(a, x); }
  // Ordered comparisons: a NaN operand takes the "else" side, so NaNs pass
  // through clamps the way std::clamp lets them.
  Value* lt(Value* a, Value* x) { return b_.CreateFCmpOLT(a, x); }
  Value* gt(Value* a, Value* x) { return b_.CreateFCmpOGT(a, x); }
  Value* ge(Value* a, Value* x) { return b_.CreateFCmpOGE(a, x); }
  Value* sel(Value* c, Value* a, Value* x) { return b_.CreateSelect(c, a, x); }
  Value* clamp(Value* x, float lo, float hi) {
    x = sel(lt(x, splat(lo)), splat(lo), x);
    return sel(gt(x, splat(hi)), splat(hi), x);
  }
  Value* fabs(Value* x) { return b_.CreateUnaryIntrinsic(llvm::Intrinsic::fabs, x); }

  Value* poly(Value* x, std::initializer_list<float> coeffs_high_to_low) {
    Value* p = nullptr;
    for (float c : coeffs_high_to_low)
      p = p ? fma(p, x, splat(c)) : splat(c);
    return p;
  }

  Value* exp(Value* x) {
    x = clamp(x, -87.f, 88.f);
    // Round-to-nearest by adding and subtracting 1.5·2^23 (no libm floor call
    // on targets without SSE4.1).
    const float magic = 12582912.f;
    Value* n = sub(fma(x, splat(1.44269504088896341f), splat(magic)), splat(magic));
    Value* r = fma(n, splat(-0.693359375f), x);
    r = fma(n, splat(2.12194440e-4f), r);
    Value* p = poly(r, {1.f / 5040, 1.f / 720, 1.f / 120, 1.f / 24, 1.f / 6, 0.5f, 1.f, 1.f});
    Value* ni = b_.CreateFPToSI(n, ivty_);
    Value* bits = b_.CreateShl(b_.CreateAdd(ni, llvm::ConstantInt::get(ivty_, 127)), 23);
    return mul(p, b_.CreateBitCast(bits, vty_));
  }

  Value* tanh(Value* x) {
    Value* a = fabs(x);
    Value* a2 = mul(a, a);
    Value* q = poly(
        a2, {21844.f / 6081075, -1382.f / 155925, 62.f / 2835, -17.f / 315, 2.f / 15, -1.f / 3});
    Value* small = fma(mul(a, a2), q, a);
    Value* e = exp(mul(a, splat(-2.f)));
    Value* big = div(sub(splat(1.f), e), add(splat(1.f), e));
    Value* t = sel(lt(a, splat(0.4f)), small, big);
    return b_.CreateBinaryIntrinsic(llvm::Intrinsic::copysign, t, x);
  }

  Value* sigmoid(Value* x) { return div(splat(1.f), add(splat(1.f), exp(b_.CreateFNeg(x)))); }

  Value* softplus(Value* x) {
    Value* m = sel(gt(x, zero()), x, zero());
    Value* u = exp(b_.CreateFNeg(fabs(x)));
    Value* s = div(u, add(splat(2.f), u));
    Value* s2 = mul(s, s);
    Value* q = poly(s2, {1.f / 13, 1.f / 11, 1.f / 9, 1.f / 7, 1.f / 5, 1.f / 3, 1.f});
    return fma(mul(s, q), splat(2.f), m);
  }

  // The ONNX activation list, with the reference's comparisons (which side
  // NaN takes) kept.
  Value* activation(const ActivationFn& f, Value* x) {
    switch (f.kind) {
      case Activation::Relu:
        return sel(gt(x, zero()), x, zero());
      case Activation::Tanh:
        return tanh(x);
      case Activation::Sigmoid:
        return sigmoid(x);
      case Activation::Affine:
        return add(mul(splat(f.alpha), x), splat(f.beta));
      case Activation::LeakyRelu:
        return sel(ge(x, zero()), x, mul(splat(f.alpha), x));
      case Activation::ThresholdedRelu:
        return sel(gt(x, splat(f.alpha)), x, zero());
      case Activation::ScaledTanh:
        return mul(splat(f.alpha), tanh(mul(splat(f.beta), x)));
      case Activation::HardSigmoid: {
        Value* v = add(mul(splat(f.alpha), x), splat(f.beta));
        Value* mn = sel(lt(v, splat(1.f)), v, splat(1.f));  // std::min(1, v)
        return sel(lt(zero(), mn), mn, zero());             // std::max(0, ·)
      }
      case Activation::Elu:
        return sel(ge(x, zero()), x, mul(splat(f.alpha), sub(exp(x), splat(1.f))));
      case Activation::Softsign:
        return div(x, add(splat(1.f), fabs(x)));
      case Activation::Softplus:
        return softplus(x);
    }
    return x;
  }

  // for (i = begin; i < end; i += step) with loop-carried values; `body`
  // gets the index and the current carried values and returns the next ones.
  // Returns the carried values after the loop.
  using Carried = std::vector<Value*>;
  Carried loop(Value* begin, Value* end, int64_t step, const Carried& init,
               const std::function<Carried(Value*, const Carried&)>& body,
               const std::string& name) {
    llvm::Function* fn = b_.GetInsertBlock()->getParent();
    llvm::BasicBlock* pre = b_.GetInsertBlock();
    auto* header = llvm::BasicBlock::Create(ctx_, name + ".head", fn);
    auto* bodybb = llvm::BasicBlock::Create(ctx_, name + ".body", fn);
    auto* exit = llvm::BasicBlock::Create(ctx_, name + ".exit", fn);
    b_.CreateBr(header);
    b_.SetInsertPoint(header);
    llvm::PHINode* iv = b_.CreatePHI(i64_, 2, name);
    iv->addIncoming(begin, pre);
    std::vector<llvm::PHINode*> phis;
    Carried cur;
    for (Value* v : init) {
      llvm::PHINode* p = b_.CreatePHI(v->getType(), 2);
      p->addIncoming(v, pre);
      phis.push_back(p);
      cur.push_back(p);
    }
    b_.CreateCondBr(b_.CreateICmpSLT(iv, end), bodybb, exit);
    b_.SetInsertPoint(bodybb);
    Carried next = body(iv, cur);
    Value* inext = b_.CreateAdd(iv, c64(step), "", true, true);
    llvm::BasicBlock* latch = b_.GetInsertBlock();
    iv->addIncoming(inext, latch);
    for (size_t i = 0; i < phis.size(); ++i)
      phis[i]->addIncoming(next[i], latch);
    b_.CreateBr(header);
    b_.SetInsertPoint(exit);
    return cur;
  }

  // if (cond) { then(); } else { otherwise(); }
  void if_else(Value* cond, const std::function<void()>& then,
               const std::function<void()>& otherwise, const std::string& name) {
    llvm::Function* fn = b_.GetInsertBlock()->getParent();
    auto* tb = llvm::BasicBlock::Create(ctx_, name + ".then", fn);
    auto* eb = llvm::BasicBlock::Create(ctx_, name + ".else", fn);
    auto* done = llvm::BasicBlock::Create(ctx_, name + ".done", fn);
    b_.CreateCondBr(cond, tb, eb);
    b_.SetInsertPoint(tb);
    then();
    b_.CreateBr(done);
    b_.SetInsertPoint(eb);
    otherwise();
    b_.CreateBr(done);
    b_.SetInsertPoint(done);
  }

  // if (cond) { then(); } (the empty else block folds away at O3)
  void when(Value* cond, const std::function<void()>& then, const std::string& name) {
    if_else(
        cond, then, [] {}, name);
  }

  // Lanes of block `blk` that are real hidden units (j < hidden).
  Value* lane_mask(Value* blk, int64_t hidden) {
    std::vector<uint64_t> iota(static_cast<size_t>(lanes_));
    for (int i = 0; i < lanes_; ++i)
      iota[static_cast<size_t>(i)] = static_cast<uint64_t>(i);
    auto* ity = llvm::FixedVectorType::get(i64_, static_cast<unsigned>(lanes_));
    Value* base =
        b_.CreateVectorSplat(static_cast<unsigned>(lanes_), b_.CreateMul(blk, c64(lanes_)));
    Value* j =
        b_.CreateAdd(base, llvm::ConstantDataVector::get(ctx_, llvm::ArrayRef<uint64_t>(iota)));
    return b_.CreateICmpSLT(j, llvm::ConstantInt::get(ity, static_cast<uint64_t>(hidden)));
  }

 private:
  llvm::LLVMContext& ctx_;
  llvm::Module& m_;
  llvm::IRBuilder<> b_;
  TargetChoice target_;
  int lanes_;
  llvm::Type *f32_, *i32_, *i64_, *fptr_;
  llvm::FixedVectorType *vty_, *ivty_;
};

// Accumulator registers the matvec may use for gates × batch entries, so the
// weight vectors and the broadcast h value still fit in the register file.
int max_accumulators(const TargetChoice& t) {
  return t.isa == Isa::Avx512 ? 24 : 12;
}

// ---- step loop ----------------------------------------------------------------

class StepEmitter {
 public:
  StepEmitter(Emitter& e, const StepLoopDesc& d, const TargetChoice& t) : e_(e), d_(d), t_(t) {}

  void emit() {
    auto& b = e_.b();
    llvm::Type* i8p = llvm::Type::getInt8PtrTy(b.getContext());
    llvm::Type* voidty = b.getVoidTy();
    auto* fty = llvm::FunctionType::get(voidty, {i8p->getPointerTo(), e_.i64(), e_.i64()}, false);
    llvm::Function* fn = e_.make_function(d_.fn_name, fty);
    Value* args = fn->getArg(0);
    blk_begin_ = fn->getArg(1);
    blk_end_ = fn->getArg(2);
    auto arg = [&](StepArg slot) {
      return b.CreateLoad(i8p, b.CreateConstInBoundsGEP1_64(i8p, args, slot));
    };
    auto farg = [&](StepArg slot) { return b.CreateBitCast(arg(slot), e_.fptr()); };
    proj_ = farg(kArgProj);
    weights_ = farg(kArgWeights);
    hbuf_ = farg(kArgH);
    cbuf_ = farg(kArgC);
    y_ = farg(kArgY);
    rh_ = farg(kArgRh);
    z_ = farg(kArgZ);
    rbh_ = farg(kArgRbh);
    peep_ = farg(kArgPeep);
    lens_ = b.CreateBitCast(arg(kArgLens), b.getInt32Ty()->getPointerTo());
    auto* barrier_ty = llvm::FunctionType::get(voidty, {i8p}, false);
    barrier_fn_ = b.CreateBitCast(arg(kArgBarrierFn), barrier_ty->getPointerTo());
    barrier_ty_ = barrier_ty;
    barrier_obj_ = arg(kArgBarrier);
    Value* steps = b.CreatePtrToInt(arg(kArgSteps), e_.i64());

    e_.loop(
        e_.c64(0), steps, 1, {},
        [&](Value* s, const Emitter::Carried&) {
          step_body(s);
          return Emitter::Carried{};
        },
        "step");
    b.CreateRetVoid();
  }

 private:
  struct BatchState {
    Value* b = nullptr;       // batch index, i64
    Value* active = nullptr;  // i1, null when always active
    Value* proj_row = nullptr;
    Value* y_row = nullptr;
  };

  // Where batch entry `bv` reads and writes at the current step.
  BatchState batch_state(Value* bv) {
    auto& b = e_.b();
    const int64_t B = d_.batch, S = d_.seq, D = d_.num_dirs;
    BatchState st;
    st.b = bv;
    Value* len = e_.c64(S);
    if (d_.has_lens) {
      len = b.CreateSExt(
          b.CreateLoad(b.getInt32Ty(), b.CreateInBoundsGEP(b.getInt32Ty(), lens_, bv)), e_.i64());
      st.active = b.CreateICmpSLT(s_, len);
    }
    Value* t = d_.reverse ? b.CreateSub(b.CreateSub(len, e_.c64(1)), s_) : s_;
    // Inactive entries read a valid row (t = 0) and discard the result.
    if (st.active) t = b.CreateSelect(st.active, t, e_.c64(0));
    Value* row = d_.batch_first ? b.CreateAdd(b.CreateMul(bv, e_.c64(S)), t)
                                : b.CreateAdd(b.CreateMul(t, e_.c64(B)), bv);
    st.proj_row = e_.gep(
        proj_, b.CreateAdd(b.CreateMul(row, e_.c64(d_.proj_ld)), e_.c64(d_.proj_dir_offset)));
    if (d_.want_y) {
      // Y is [b][t][dir][H] (layout 1, where row = b·S + t) or [t][dir][b][H].
      Value* yrow =
          d_.batch_first
              ? b.CreateAdd(b.CreateMul(row, e_.c64(D)), e_.c64(d_.dir))
              : b.CreateAdd(
                    b.CreateMul(b.CreateAdd(b.CreateMul(t, e_.c64(D)), e_.c64(d_.dir)), e_.c64(B)),
                    bv);
      st.y_row = e_.gep(y_, b.CreateMul(yrow, e_.c64(d_.hidden)));
    }
    return st;
  }

  // Step 0 from a zero state has nothing to multiply: it gets its own copy of
  // the body without the matvecs (for a 25-step LSTM, 4% of the weight reads).
  void step_body(Value* s) {
    if (!d_.zero_first_state) {
      step_passes(s, false);
      return;
    }
    e_.if_else(
        e_.b().CreateICmpEQ(s, e_.c64(0)), [&] { step_passes(s, true); },
        [&] { step_passes(s, false); }, "first");
  }

  void step_passes(Value* s, bool zero_state) {
    auto& b = e_.b();
    zero_state_ = zero_state;
    const int64_t B = d_.batch, H = d_.hidden, HP = d_.hp;
    s_ = s;
    Value* parity = b.CreateAnd(s, e_.c64(1));
    hprev_ = e_.gep(hbuf_, b.CreateMul(parity, e_.c64(B * HP)));
    hnext_ = e_.gep(hbuf_, b.CreateMul(b.CreateXor(parity, e_.c64(1)), e_.c64(B * HP)));
    int64_t weight_offset = 0;
    for (size_t p = 0; p < d_.passes.size(); ++p) {
      const StepPass& pass = d_.passes[p];
      const int64_t ng = static_cast<int64_t>(pass.gates.size());
      Value* wpass = e_.gep(weights_, weight_offset);
      weight_offset += d_.hp * H * ng;
      // The vector this pass multiplies was just written, half of it by the
      // other core: request all its lines at once instead of missing on them
      // one at a time as the k loop reaches them.
      Value* src = pass.reads_rh ? rh_ : hprev_;
      if (!zero_state)
        e_.loop(
            e_.c64(0), e_.c64((B * HP + 15) / 16), 1, {},
            [&](Value* line, const Emitter::Carried&) {
              Value* ptr =
                  b.CreateBitCast(e_.gep(src, b.CreateMul(line, e_.c64(16))), b.getInt8PtrTy());
              b.CreateIntrinsic(llvm::Intrinsic::prefetch, {b.getInt8PtrTy()},
                                {ptr, b.getInt32(0), b.getInt32(3), b.getInt32(1)});
              return Emitter::Carried{};
            },
            fmt::format("pf{}", p));
      // Odd steps walk the blocks backwards: a thread's weight slice is about
      // the size of its L2, and a cyclic sweep over a working set that barely
      // exceeds the cache misses on every line under LRU, while a back-and-forth
      // sweep starts each step on the lines the previous one touched last.
      Value* odd = b.CreateICmpEQ(parity, e_.c64(1));
      auto order = [&](Value* i) {
        Value* back = b.CreateSub(b.CreateAdd(blk_begin_, blk_end_), b.CreateAdd(i, e_.c64(1)));
        return b.CreateSelect(odd, back, i);
      };
      if (pair_blocks(pass)) {
        // Two blocks per matvec: each broadcast h value feeds twice the FMAs.
        Value* n = b.CreateSub(blk_end_, blk_begin_);
        Value* pairs_end = b.CreateAdd(blk_begin_, b.CreateAnd(n, e_.c64(~int64_t{1})));
        e_.loop(
            blk_begin_, pairs_end, 2, {},
            [&](Value* i, const Emitter::Carried&) {
              block_body(pass, p, wpass, {order(i), order(b.CreateAdd(i, e_.c64(1)))});
              return Emitter::Carried{};
            },
            fmt::format("blk{}", p));
        e_.when(
            b.CreateICmpNE(b.CreateAnd(n, e_.c64(1)), e_.c64(0)),
            [&] { block_body(pass, p, wpass, {order(pairs_end)}); }, fmt::format("odd{}", p));
      } else {
        e_.loop(
            blk_begin_, blk_end_, 1, {},
            [&](Value* i, const Emitter::Carried&) {
              block_body(pass, p, wpass, {order(i)});
              return Emitter::Carried{};
            },
            fmt::format("blk{}", p));
      }
      b.CreateCall(barrier_ty_, barrier_fn_, {barrier_obj_});
    }
  }

  // Whether a pass multiplies two blocks at once: when all batch entries of
  // both fit the accumulator registers.
  bool pair_blocks(const StepPass& pass) const {
    return 2 * static_cast<int64_t>(pass.gates.size()) * d_.batch <= max_accumulators(t_);
  }

  // The matvec of one pass for one or two blocks of hidden units, batch
  // entries in chunks that fit the register file (a run-time loop over full
  // chunks, so code size does not grow with the batch), each followed by its
  // gate math.
  void block_body(const StepPass& pass, size_t pass_index, Value* wpass,
                  const std::vector<Value*>& blks) {
    auto& b = e_.b();
    const int64_t ng = static_cast<int64_t>(pass.gates.size());
    const int64_t nj = static_cast<int64_t>(blks.size());
    const int64_t chunk = std::max<int64_t>(1, max_accumulators(t_) / (ng * nj));
    std::vector<Value*> wblks;
    for (Value* blk : blks)
      wblks.push_back(e_.gep(wpass, b.CreateMul(blk, e_.c64(d_.hidden * ng * e_.lanes()))));
    const int64_t nfull = d_.batch / chunk, tail = d_.batch % chunk;
    if (nfull == 1) {
      chunk_body(pass, pass_index, wblks, blks, e_.c64(0), chunk);
    } else if (nfull > 1) {
      e_.loop(
          e_.c64(0), e_.c64(nfull * chunk), chunk, {},
          [&](Value* b0, const Emitter::Carried&) {
            chunk_body(pass, pass_index, wblks, blks, b0, chunk);
            return Emitter::Carried{};
          },
          fmt::format("bc{}", pass_index));
    }
    if (tail > 0) chunk_body(pass, pass_index, wblks, blks, e_.c64(nfull * chunk), tail);
  }

  // Batch entries [b0, b0 + nb): accumulators acc[(j * ng + g) * nb + bi]
  // for block j, gate g.
  void chunk_body(const StepPass& pass, size_t pass_index, const std::vector<Value*>& wblks,
                  const std::vector<Value*>& blks, Value* b0, int64_t nb) {
    auto& b = e_.b();
    const int64_t H = d_.hidden, L = e_.lanes();
    const int64_t ng = static_cast<int64_t>(pass.gates.size());
    const int64_t nj = static_cast<int64_t>(blks.size());
    Value* src = pass.reads_rh ? rh_ : hprev_;
    std::vector<Value*> hsrc(static_cast<size_t>(nb));
    for (int64_t bi = 0; bi < nb; ++bi)
      hsrc[static_cast<size_t>(bi)] =
          e_.gep(src, b.CreateMul(b.CreateAdd(b0, e_.c64(bi)), e_.c64(d_.hp)));
    auto idx = [&](int64_t j, int64_t g, int64_t bi) {
      return static_cast<size_t>((j * ng + g) * nb + bi);
    };
    auto step_k = [&](Value* k, Emitter::Carried acc) {
      std::vector<Value*> w(static_cast<size_t>(nj * ng));
      for (int64_t j = 0; j < nj; ++j) {
        Value* wk = e_.gep(wblks[static_cast<size_t>(j)], b.CreateMul(k, e_.c64(ng * L)));
        for (int64_t g = 0; g < ng; ++g)
          w[static_cast<size_t>(j * ng + g)] =
              e_.loadv(e_.gep(wk, g * L), static_cast<unsigned>(4 * L));
      }
      for (int64_t bi = 0; bi < nb; ++bi) {
        Value* hb = e_.bcast(e_.gep(hsrc[static_cast<size_t>(bi)], k));
        for (int64_t j = 0; j < nj; ++j)
          for (int64_t g = 0; g < ng; ++g) {
            Value*& a = acc[idx(j, g, bi)];
            a = e_.fma(w[static_cast<size_t>(j * ng + g)], hb, a);
          }
      }
      return acc;
    };
    Emitter::Carried acc(static_cast<size_t>(nj * ng * nb), e_.zero());
    constexpr int64_t kUnroll = 4;
    const int64_t kmain = zero_state_ ? 0 : H / kUnroll * kUnroll;
    if (kmain > 0) {
      acc = e_.loop(
          e_.c64(0), e_.c64(kmain), kUnroll, acc,
          [&](Value* k, const Emitter::Carried& cur) {
            Emitter::Carried a = cur;
            for (int64_t u = 0; u < kUnroll; ++u)
              a = step_k(b.CreateAdd(k, e_.c64(u)), a);
            return a;
          },
          fmt::format("k{}", pass_index));
    }
    for (int64_t k = kmain; k < (zero_state_ ? 0 : H); ++k)
      acc = step_k(e_.c64(k), acc);
    for (int64_t j = 0; j < nj; ++j)
      for (int64_t bi = 0; bi < nb; ++bi) {
        std::vector<Value*> g_acc(static_cast<size_t>(ng));
        for (int64_t g = 0; g < ng; ++g)
          g_acc[static_cast<size_t>(g)] = acc[idx(j, g, bi)];
        gate_math(pass, pass_index, blks[static_cast<size_t>(j)],
                  batch_state(b.CreateAdd(b0, e_.c64(bi))), g_acc);
      }
  }

  Value* clipped(Value* x) {
    if (!d_.clip) return x;
    return e_.clamp(x, -*d_.clip, *d_.clip);
  }

  // Projection of gate g (ONNX index) for a batch entry in block blk.
  Value* proj(const BatchState& st, Value* blk, int g) {
    auto& b = e_.b();
    const int64_t G = recurrent_gate_count(d_.op), L = e_.lanes();
    Value* off = b.CreateAdd(b.CreateMul(blk, e_.c64(G * L)), e_.c64(g * L));
    return e_.loadv(e_.gep(st.proj_row, off), static_cast<unsigned>(4 * L));
  }

  Value* unit_off(const BatchState& st, Value* blk) {
    auto& b = e_.b();
    return b.CreateAdd(b.CreateMul(st.b, e_.c64(d_.hp)), b.CreateMul(blk, e_.c64(e_.lanes())));
  }
  unsigned valign() const { return static_cast<unsigned>(4 * e_.lanes()); }

  // h (and c) of one entry in block blk: stores the new state (the old one for an
  // entry past its sequence length) and Y.
  void finish(const BatchState& st, Value* blk, Value* h_new, Value* h_old, Value* c_new,
              Value* c_old) {
    auto& b = e_.b();
    Value* mask = d_.hidden % e_.lanes() != 0 ? e_.lane_mask(blk, d_.hidden) : nullptr;
    Value* hs = st.active ? e_.sel(st.active, h_new, h_old) : h_new;
    // Padding lanes stay zero so they never feed anything but zero weights.
    if (mask) hs = e_.sel(mask, hs, e_.zero());
    e_.storev(hs, e_.gep(hnext_, unit_off(st, blk)), valign());
    if (c_new) {
      Value* cs = st.active ? e_.sel(st.active, c_new, c_old) : c_new;
      if (mask) cs = e_.sel(mask, cs, e_.zero());
      e_.storev(cs, e_.gep(cbuf_, unit_off(st, blk)), valign());
    }
    if (!d_.want_y) return;
    auto store_y = [&] {
      Value* yp = e_.gep(st.y_row, b.CreateMul(blk, e_.c64(e_.lanes())));
      if (mask)
        b.CreateMaskedStore(h_new, e_.vptr(yp), llvm::Align(4), mask);
      else
        e_.storev(h_new, yp);
    };
    if (st.active)
      e_.when(st.active, store_y, "y");
    else
      store_y();
  }

  void gate_math(const StepPass& pass, size_t pass_index, Value* blk, const BatchState& st,
                 const std::vector<Value*>& acc) {
    auto& b = e_.b();
    auto acc_of = [&](int gate) -> Value* {
      for (size_t i = 0; i < pass.gates.size(); ++i)
        if (pass.gates[i] == gate) return acc[i];
      return nullptr;
    };
    Value* h_old = e_.loadv(e_.gep(hprev_, unit_off(st, blk)), valign());
    switch (d_.op) {
      case OpKind::RNN: {
        Value* h = e_.activation(d_.act[0], clipped(e_.add(acc_of(0), proj(st, blk, 0))));
        finish(st, blk, h, h_old, nullptr, nullptr);
        break;
      }
      case OpKind::GRU: {
        const ActivationFn& f = d_.act[0];
        const ActivationFn& g = d_.act[1];
        if (d_.linear_before_reset) {
          Value* z = e_.activation(f, clipped(e_.add(acc_of(0), proj(st, blk, 0))));
          Value* r = e_.activation(f, clipped(e_.add(acc_of(1), proj(st, blk, 1))));
          Value* rbh = e_.loadv(e_.gep(rbh_, b.CreateMul(blk, e_.c64(e_.lanes()))), valign());
          Value* hr = e_.mul(r, e_.add(acc_of(2), rbh));
          Value* cand = e_.activation(g, clipped(e_.add(proj(st, blk, 2), hr)));
          finish(st, blk, gru_mix(z, cand, h_old), h_old, nullptr, nullptr);
        } else if (pass_index == 0) {
          Value* z = e_.activation(f, clipped(e_.add(acc_of(0), proj(st, blk, 0))));
          Value* r = e_.activation(f, clipped(e_.add(acc_of(1), proj(st, blk, 1))));
          e_.storev(z, e_.gep(z_, unit_off(st, blk)), valign());
          e_.storev(e_.mul(r, h_old), e_.gep(rh_, unit_off(st, blk)), valign());
        } else {
          Value* cand = e_.activation(g, clipped(e_.add(proj(st, blk, 2), acc_of(2))));
          Value* z = e_.loadv(e_.gep(z_, unit_off(st, blk)), valign());
          finish(st, blk, gru_mix(z, cand, h_old), h_old, nullptr, nullptr);
        }
        break;
      }
      default: {  // LSTM, gates i, o, f, c
        const ActivationFn& f = d_.act[0];
        const ActivationFn& g = d_.act[1];
        const ActivationFn& hf = d_.act[2];
        Value* c_old = e_.loadv(e_.gep(cbuf_, unit_off(st, blk)), valign());
        auto peep = [&](int which) {
          return e_.loadv(e_.gep(peep_, b.CreateAdd(e_.c64(which * d_.hp),
                                                    b.CreateMul(blk, e_.c64(e_.lanes())))),
                          valign());
        };
        Value* pi = e_.add(acc_of(0), proj(st, blk, 0));
        if (d_.peepholes) pi = e_.fma(peep(0), c_old, pi);
        Value* ig = e_.activation(f, clipped(pi));
        Value* fg;
        if (d_.input_forget) {
          fg = e_.sub(e_.splat(1.f), ig);
        } else {
          Value* pf = e_.add(acc_of(2), proj(st, blk, 2));
          if (d_.peepholes) pf = e_.fma(peep(2), c_old, pf);
          fg = e_.activation(f, clipped(pf));
        }
        Value* cand = e_.activation(g, clipped(e_.add(acc_of(3), proj(st, blk, 3))));
        Value* c_new = e_.fma(fg, c_old, e_.mul(ig, cand));
        Value* po = e_.add(acc_of(1), proj(st, blk, 1));
        if (d_.peepholes) po = e_.fma(peep(1), c_new, po);
        Value* og = e_.activation(f, clipped(po));
        Value* h = e_.mul(og, e_.activation(hf, c_new));
        finish(st, blk, h, h_old, c_new, c_old);
        break;
      }
    }
  }

  // (1 − z) ⊙ h~ + z ⊙ h, as the reference writes it.
  Value* gru_mix(Value* z, Value* cand, Value* h_old) {
    return e_.add(e_.mul(e_.sub(e_.splat(1.f), z), cand), e_.mul(z, h_old));
  }

  Emitter& e_;
  const StepLoopDesc& d_;
  const TargetChoice& t_;
  Value *blk_begin_ = nullptr, *blk_end_ = nullptr;
  Value *proj_ = nullptr, *weights_ = nullptr, *hbuf_ = nullptr, *cbuf_ = nullptr, *y_ = nullptr;
  Value *rh_ = nullptr, *z_ = nullptr, *rbh_ = nullptr, *peep_ = nullptr, *lens_ = nullptr;
  Value *barrier_fn_ = nullptr, *barrier_obj_ = nullptr;
  llvm::FunctionType* barrier_ty_ = nullptr;
  Value *hprev_ = nullptr, *hnext_ = nullptr, *s_ = nullptr;
  bool zero_state_ = false;
};

void emit_activation_fn(Emitter& e, const std::string& name, const ActivationFn& f) {
  auto& b = e.b();
  llvm::Type* fp = e.fptr();
  auto* fty = llvm::FunctionType::get(b.getVoidTy(), {fp, fp, e.i64()}, false);
  llvm::Function* fn = e.make_function(name, fty);
  e.loop(
      e.c64(0), fn->getArg(2), 1, {},
      [&](Value* i, const Emitter::Carried&) {
        Value* off = b.CreateMul(i, e.c64(e.lanes()));
        e.storev(e.activation(f, e.loadv(e.gep(fn->getArg(0), off))), e.gep(fn->getArg(1), off));
        return Emitter::Carried{};
      },
      "v");
  b.CreateRetVoid();
}

// ---- compilation --------------------------------------------------------------------

void optimize(llvm::Module& m, llvm::TargetMachine* tm) {
  llvm::LoopAnalysisManager lam;
  llvm::FunctionAnalysisManager fam;
  llvm::CGSCCAnalysisManager cgam;
  llvm::ModuleAnalysisManager mam;
  llvm::PassBuilder pb(tm);
  pb.registerModuleAnalyses(mam);
  pb.registerCGSCCAnalyses(cgam);
  pb.registerFunctionAnalyses(fam);
  pb.registerLoopAnalyses(lam);
  pb.crossRegisterProxies(lam, fam, cgam, mam);
  llvm::ModulePassManager mpm = pb.buildPerModuleDefaultPipeline(llvm::OptimizationLevel::O3);
  mpm.run(m, mam);
}

std::string sanitize(const std::string& s) {
  std::string out;
  for (char ch : s)
    out += (std::isalnum(static_cast<unsigned char>(ch)) || ch == '_' || ch == '-') ? ch : '_';
  return out.empty() ? "kernel" : out;
}

void write_file(const std::string& path, const std::string& text) {
  std::ofstream f(path, std::ios::binary);
  f << text;
  f.close();
  if (!f) throw IOError(fmt::format("cannot write '{}' (--dump-llvm)", path));
}

void dump(llvm::Module& m, llvm::TargetMachine& tm, const std::string& dir,
          const std::string& name) {
  std::string ll;
  {
    llvm::raw_string_ostream os(ll);
    m.print(os, nullptr);
  }
  const std::string base = dir + "/" + sanitize(name);
  write_file(base + ".ll", ll);
  // Code generation rewrites the module, so it runs on a copy.
  std::unique_ptr<llvm::Module> copy = llvm::CloneModule(m);
  llvm::SmallString<0> asm_text;
  llvm::raw_svector_ostream os(asm_text);
  llvm::legacy::PassManager pm;
  if (tm.addPassesToEmitFile(pm, os, nullptr, llvm::CGFT_AssemblyFile))
    throw InternalError("LLVM target cannot emit assembly for --dump-llvm");
  pm.run(*copy);
  write_file(base + ".s", std::string(asm_text.str()));
}

class LlJitCode : public JitCode {
 public:
  explicit LlJitCode(std::unique_ptr<llvm::orc::LLJIT> jit) : jit_(std::move(jit)) {}
  void* lookup(const std::string& name) override {
    auto sym = jit_->lookup(name);
    if (!sym)
      throw InternalError(
          fmt::format("JIT symbol '{}' not found: {}", name, error_text(sym.takeError())));
    return reinterpret_cast<void*>(static_cast<uintptr_t>(sym->getAddress()));
  }

 private:
  std::unique_ptr<llvm::orc::LLJIT> jit_;
};

llvm::orc::JITTargetMachineBuilder machine_builder(const TargetChoice& t) {
  llvm::orc::JITTargetMachineBuilder jtmb{llvm::Triple(llvm::sys::getProcessTriple())};
  jtmb.setCPU(t.cpu);
  jtmb.addFeatures(t.features);
  jtmb.setCodeGenOptLevel(llvm::CodeGenOpt::Aggressive);
  return jtmb;
}

}  // namespace

TargetChoice choose_target(RecurrentIsa requested, const std::string& node) {
  init_llvm();
  llvm::StringMap<bool> host;
  llvm::sys::getHostCPUFeatures(host);
  auto has = [&](const char* f) {
    auto it = host.find(f);
    return it != host.end() && it->second;
  };
  const bool host512 = has("avx512f") && has("avx512vl") && has("fma");
  const bool host2 = has("avx2") && has("fma");
  TargetChoice t;
  auto set = [&](Isa isa) {
    t.isa = isa;
    t.isa_name = isa == Isa::Avx512 ? "avx512" : isa == Isa::Avx2 ? "avx2" : "generic";
    t.lanes = isa == Isa::Avx512 ? 16 : isa == Isa::Avx2 ? 8 : 4;
  };
  auto need = [&](bool ok, const char* what) {
    if (!ok)
      throw UnsupportedError(
          fmt::format("target ISA '{}' requested for recurrent node '{}', but this CPU ({}) "
                      "lacks it",
                      what, node, std::string(llvm::sys::getHostCPUName())));
  };
  switch (requested) {
    case RecurrentIsa::Host:
      set(host512 ? Isa::Avx512 : host2 ? Isa::Avx2 : Isa::Generic);
      t.cpu = std::string(llvm::sys::getHostCPUName());
      for (const auto& f : host)
        t.features.push_back((f.second ? "+" : "-") + f.first().str());
      std::sort(t.features.begin(), t.features.end());  // deterministic module text
      break;
    case RecurrentIsa::Avx512:
      need(host512, "avx512");
      set(Isa::Avx512);
      t.cpu = "x86-64-v4";
      break;
    case RecurrentIsa::Avx2:
      need(host2, "avx2");
      set(Isa::Avx2);
      t.cpu = "x86-64-v3";
      break;
    case RecurrentIsa::Generic:
      set(Isa::Generic);
      t.cpu = "x86-64";
      break;
  }
  return t;
}

std::unique_ptr<JitCode> jit_compile(const TargetChoice& target, const JitRequest& req) {
  init_llvm();
  auto ctx = std::make_unique<llvm::LLVMContext>();
  auto module = std::make_unique<llvm::Module>(req.module_name, *ctx);
  llvm::orc::JITTargetMachineBuilder jtmb = machine_builder(target);
  auto tm = jtmb.createTargetMachine();
  if (!tm) throw InternalError("LLVM target machine: " + error_text(tm.takeError()));
  module->setDataLayout((*tm)->createDataLayout());
  module->setTargetTriple((*tm)->getTargetTriple().str());
  {
    Emitter e(*ctx, *module, target);
    for (const auto& d : req.steps)
      StepEmitter(e, d, target).emit();
    for (const auto& [name, f] : req.activations)
      emit_activation_fn(e, name, f);
  }
  {
    std::string err;
    llvm::raw_string_ostream os(err);
    if (llvm::verifyModule(*module, &os))
      throw InternalError("generated recurrent kernel IR is invalid: " + os.str());
  }
  // The unoptimized module text determines the object completely for a
  // given CPU, feature set and code generator, so it is the cache key; a
  // dump request always compiles (it wants the IR and assembly written).
  std::string cache_key;
  std::optional<std::string> object;
  if (req.cache && req.dump_dir.empty()) {
    llvm::raw_string_ostream os(cache_key);
    os << "loom llvm-recurrent v1\ncpu " << target.cpu << "\nfeatures";
    for (const auto& f : target.features)
      os << ' ' << f;
    os << "\nbuild " << compile_cache_build_id() << "\n";
    module->print(os, nullptr);
    os.flush();
    object = req.cache->load(cache_key, "o");
  }
  if (!object) {
    optimize(*module, tm->get());
    if (!req.dump_dir.empty()) dump(*module, **tm, req.dump_dir, req.module_name);
  }
  if (!object && req.cache && req.dump_dir.empty()) {
    // Emit the object with the JIT's own target machine, so a cached object
    // is the code LLJIT would have generated from the IR.
    llvm::SmallString<0> bytes;
    llvm::raw_svector_ostream os(bytes);
    llvm::legacy::PassManager pm;
    if ((*tm)->addPassesToEmitFile(pm, os, nullptr, llvm::CGFT_ObjectFile))
      throw InternalError("LLVM target cannot emit an object file");
    pm.run(*module);
    object = std::string(bytes.str());
    req.cache->store(cache_key, "o", *object);
  }

  llvm::orc::LLJITBuilder builder;
  builder.setJITTargetMachineBuilder(std::move(jtmb));
  use_contiguous_object_memory(builder);
  auto jit = builder.create();
  if (!jit) throw InternalError("LLJIT: " + error_text(jit.takeError()));
  // O3 may turn loops into memset/memcpy calls; resolve them in this process.
  auto gen = llvm::orc::DynamicLibrarySearchGenerator::GetForCurrentProcess(
      (*jit)->getDataLayout().getGlobalPrefix());
  if (!gen) throw InternalError("LLJIT: " + error_text(gen.takeError()));
  (*jit)->getMainJITDylib().addGenerator(std::move(*gen));
  if (object) {
    if (auto err = (*jit)->addObjectFile(
            llvm::MemoryBuffer::getMemBufferCopy(*object, req.module_name + ".o")))
      throw InternalError("LLJIT (cached object): " + error_text(std::move(err)));
  } else if (auto err = (*jit)->addIRModule(
                 llvm::orc::ThreadSafeModule(std::move(module), std::move(ctx)))) {
    throw InternalError("LLJIT: " + error_text(std::move(err)));
  }
  return std::make_unique<LlJitCode>(std::move(*jit));
}

}  // namespace loom::llvm_backend

namespace loom {

void evaluate_jit_activation(const ActivationFn& fn, RecurrentIsa isa, const float* in, float* out,
                             int64_t n) {
  using namespace llvm_backend;
  const TargetChoice t = choose_target(isa, "activation test");
  JitRequest req;
  req.module_name = "activation";
  req.activations.push_back({"act", fn});
  auto code = jit_compile(t, req);
  auto f = reinterpret_cast<void (*)(const float*, float*, int64_t)>(code->lookup("act"));
  const int64_t L = t.lanes;
  const int64_t nv = (n + L - 1) / L;
  std::vector<float> a(static_cast<size_t>(nv * L), 0.f), r(a.size());
  std::copy(in, in + n, a.begin());
  f(a.data(), r.data(), nv);
  std::copy(r.begin(), r.begin() + n, out);
}

}  // namespace loom
