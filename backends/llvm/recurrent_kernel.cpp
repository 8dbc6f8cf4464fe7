// compile_recurrent: validates a recurrent layer, packs its weights in the
// order the generated code reads them, has the caller's factory build the
// input projection and codegen.cpp the step loops, and runs both on a pinned
// thread team.
//
// Packed layouts (L = vector lanes, Hp = hidden rounded up to L, blocks of L
// hidden units; padding units have zero weights and stay zero):
//  - projection columns: [direction][block][gate][L], so one step reads each
//    block's gates as consecutive vectors; bias = Wb + Rb folded in, except
//    GRU's h gate with linear_before_reset = 1, where Rbh sits inside r ⊙ (·);
//  - projection weights: [column][input k] in that column order (the
//    projection repacks them for its own kernel);
//  - recurrent weights, per pass: [block][k][gate of the pass][L].
#include "backends/llvm/recurrent_kernel.h"

#include <algorithm>
#include <array>
#include <atomic>
#include <chrono>
#include <cmath>
#include <cstdlib>
#include <cstring>
#include <limits>

#include <fmt/format.h>

#include "backends/llvm/codegen.h"
#include "ir/error.h"
#include "runtime/thread_team.h"

namespace loom {
namespace {

using namespace llvm_backend;

struct FreeDeleter {
  void operator()(float* p) const { std::free(p); }
};

// Zero-filled, 64-byte aligned floats.
class AlignedFloats {
 public:
  AlignedFloats() = default;
  explicit AlignedFloats(int64_t n) : n_(n) {
    const size_t bytes = (static_cast<size_t>(std::max<int64_t>(n, 1)) * 4 + 63) / 64 * 64;
    ptr_.reset(static_cast<float*>(std::aligned_alloc(64, bytes)));
    if (!ptr_) throw std::bad_alloc();
    std::memset(ptr_.get(), 0, bytes);
  }
  float* data() const { return ptr_.get(); }
  float& operator[](int64_t i) const { return ptr_.get()[i]; }
  int64_t size() const { return n_; }

 private:
  std::unique_ptr<float, FreeDeleter> ptr_;
  int64_t n_ = 0;
};

int64_t round_up(int64_t x, int64_t m) {
  return (x + m - 1) / m * m;
}

ErrorSite site_of(const RecurrentLayerSpec& s, std::string tensor = "") {
  return {s.name, std::string(op_name(s.op)), std::move(tensor)};
}

void check_tensor(const RecurrentLayerSpec& s, const Tensor& t, const char* role, const Shape& want,
                  const char* layout) {
  if (!t.defined())
    throw ShapeError(fmt::format("{} {}: the constant {} is missing", op_name(s.op), s.name, role),
                     site_of(s, role));
  if (t.dtype() != DType::f32)
    throw ShapeError(fmt::format("{} has dtype {}, expected f32", role, dtype_name(t.dtype())),
                     site_of(s, role));
  if (t.shape() != want)
    throw ShapeError(fmt::format("{} has shape {}, expected {} = {}", role, shape_str(t.shape()),
                                 shape_str(want), layout),
                     site_of(s, role));
}

void validate(const RecurrentLayerSpec& s) {
  if (s.op != OpKind::RNN && s.op != OpKind::GRU && s.op != OpKind::LSTM)
    throw UnsupportedError(
        fmt::format("compile_recurrent: op {} is not a recurrent layer", op_name(s.op)),
        site_of(s));
  const auto& a = s.attrs;
  auto fail = [&](const std::string& m) { throw ShapeError(m, site_of(s)); };
  if (s.seq_len < 0 || s.batch < 1 || s.input_size < 1 || s.hidden_size < 1)
    fail(
        fmt::format("sizes seq_len {}, batch {}, input_size {}, hidden_size {}: expected "
                    "seq_len >= 0 and the others >= 1",
                    s.seq_len, s.batch, s.input_size, s.hidden_size));
  constexpr int64_t kMaxDim = int64_t{1} << 24;
  if (s.seq_len > kMaxDim || s.batch > kMaxDim || s.input_size > kMaxDim ||
      s.hidden_size > (int64_t{1} << 16))
    throw UnsupportedError(fmt::format("sizes seq_len {}, batch {}, input_size {}, hidden_size {} "
                                       "exceed the recurrent code generator's limits",
                                       s.seq_len, s.batch, s.input_size, s.hidden_size),
                           site_of(s));
  if (a.layout != 0 && a.layout != 1)
    fail(fmt::format("attribute layout = {}, expected 0 or 1", a.layout));
  if (a.clip && !(*a.clip > 0.f))
    fail(fmt::format("attribute clip = {}, expected a positive threshold", *a.clip));
  if (a.input_forget && s.op != OpKind::LSTM)
    fail(fmt::format("attribute input_forget applies to LSTM only, not {}", op_name(s.op)));
  if (a.linear_before_reset && s.op != OpKind::GRU)
    fail(fmt::format("attribute linear_before_reset applies to GRU only, not {}", op_name(s.op)));
  if (a.hidden_size != 0 && a.hidden_size != s.hidden_size)
    fail(fmt::format("attribute hidden_size = {} but the spec's hidden_size is {}", a.hidden_size,
                     s.hidden_size));
  const int64_t D = a.direction == Direction::Bidirectional ? 2 : 1;
  const int64_t per_dir = recurrent_activation_count(s.op);
  const auto n_act = static_cast<int64_t>(a.activations.size());
  if (n_act != 0 && n_act != per_dir * D && !(D == 2 && n_act == per_dir))
    fail(fmt::format("attribute activations has {} entries, expected {} ({} per direction)", n_act,
                     per_dir * D, per_dir));
  if (s.op != OpKind::LSTM && s.p.defined())
    fail(fmt::format("peepholes P apply to LSTM only, not {}", op_name(s.op)));
  if (s.op != OpKind::LSTM && s.has_initial_c)
    fail(fmt::format("initial_c applies to LSTM only, not {}", op_name(s.op)));
  const int64_t G = recurrent_gate_count(s.op), H = s.hidden_size;
  check_tensor(s, s.w, "W", {D, G * H, s.input_size}, "[num_directions, G*hidden, input]");
  check_tensor(s, s.r, "R", {D, G * H, H}, "[num_directions, G*hidden, hidden]");
  if (s.b.defined()) check_tensor(s, s.b, "B", {D, 2 * G * H}, "[num_directions, 2*G*hidden]");
  if (s.p.defined()) check_tensor(s, s.p, "P", {D, 3 * H}, "[num_directions, 3*hidden]");
}

using StepFn = void (*)(void**, int64_t, int64_t);

struct DirectionState {
  StepFn fn = nullptr;
  AlignedFloats weights, h, c, rh, z, rbh, peep;
  std::array<void*, kNumStepArgs> args{};
  int group = 1;  // threads that run this direction
  SpinBarrier barrier;
};

class Kernel final : public RecurrentKernel {
 public:
  Kernel(const RecurrentLayerSpec& spec, const RecurrentCompileOptions& opt) : spec_(spec) {
    validate(spec_);
    const auto start = std::chrono::steady_clock::now();
    target_ = choose_target(opt.isa, spec_.name);
    min_step_fmas_ = opt.min_step_fmas_per_thread;
    const auto& a = spec_.attrs;
    L_ = target_.lanes;
    D_ = a.direction == Direction::Bidirectional ? 2 : 1;
    G_ = recurrent_gate_count(spec_.op);
    H_ = spec_.hidden_size;
    B_ = spec_.batch;
    S_ = spec_.seq_len;
    I_ = spec_.input_size;
    HP_ = round_up(H_, L_);
    nblk_ = HP_ / L_;

    if (opt.team) {
      team_ = opt.team;
    } else {
      // Lock-step threads beyond the cores only wait for each other.
      const int hw = ThreadTeam::hardware_threads();
      owned_team_ = std::make_unique<ThreadTeam>(opt.threads <= 0 ? hw : std::min(opt.threads, hw));
      team_ = owned_team_.get();
    }
    team_->set_pin_caller(true);
    T_ = team_->size();
    concurrent_dirs_ = D_ == 2 && T_ >= 2;

    // The projection first: its row stride is baked into the step loops.
    {
      ProjectionSpec ps = describe_projection();
      projection_ = opt.projection ? opt.projection(ps) : make_portable_projection(std::move(ps));
    }
    proj_ld_ = projection_->out_stride();
    proj_ = AlignedFloats(projection_->out_rows() * proj_ld_);

    JitRequest req;
    req.module_name = spec_.name;
    req.dump_dir = opt.dump_dir;
    req.cache = opt.cache;
    for (int64_t d = 0; d < D_; ++d)
      req.steps.push_back(describe_step(d));

    auto code = jit_compile(target_, req);
    for (int64_t d = 0; d < D_; ++d)
      dirs_[static_cast<size_t>(d)].fn =
          reinterpret_cast<StepFn>(code->lookup(req.steps[static_cast<size_t>(d)].fn_name));
    code_ = std::move(code);

    for (int64_t d = 0; d < D_; ++d)
      pack_direction(d, req.steps[static_cast<size_t>(d)]);
    split_projection();
    info_.compile_ms =
        std::chrono::duration<double, std::milli>(std::chrono::steady_clock::now() - start).count();

    info_.isa = target_.isa_name;
    info_.cpu = target_.cpu;
    info_.vector_lanes = L_;
    info_.threads = dirs_[0].group;
    info_.projection_flops = projection_->flops();
    global_barrier_.reset(T_);
    if (team_->oversubscribed()) global_barrier_.set_spin_limit(64);
  }

  const RecurrentKernelInfo& info() const override { return info_; }
  const RecurrentLayerSpec& spec() const override { return spec_; }
  const InputProjection& input_projection() const override { return *projection_; }
  ThreadTeam& team() override { return *team_; }

  void run(const float* x, const int32_t* sequence_lens, const float* initial_h,
           const float* initial_c, float* y, float* y_h, float* y_c) override {
    const bool lstm = spec_.op == OpKind::LSTM;
    auto need = [&](const void* p, const char* what) {
      if (!p)
        throw InputError(
            fmt::format("{} {}: buffer {} is null", op_name(spec_.op), spec_.name, what),
            site_of(spec_, what));
    };
    need(x, "X");
    if (spec_.has_sequence_lens) need(sequence_lens, "sequence_lens");
    if (spec_.has_initial_h) need(initial_h, "initial_h");
    if (lstm && spec_.has_initial_c) need(initial_c, "initial_c");
    if (spec_.want_y) need(y, "Y");
    if (spec_.want_y_h) need(y_h, "Y_h");
    if (lstm && spec_.want_y_c) need(y_c, "Y_c");

    int64_t steps = S_;
    if (spec_.has_sequence_lens) {
      steps = 0;
      for (int64_t b = 0; b < B_; ++b) {
        const int64_t len = sequence_lens[b];
        if (len < 0 || len > S_)
          throw InputError(fmt::format("sequence_lens[{}] = {}, expected a length in [0, {}] (the "
                                       "sequence length of X)",
                                       b, len, S_),
                           site_of(spec_, "sequence_lens"));
        steps = std::max(steps, len);
      }
    }

    const bool batch_first = spec_.attrs.layout == 1;
    auto state_at = [&](int64_t d, int64_t b) {
      return batch_first ? (b * D_ + d) * H_ : (d * B_ + b) * H_;
    };
    for (int64_t d = 0; d < D_; ++d) {
      DirectionState& dir = dirs_[static_cast<size_t>(d)];
      for (int64_t b = 0; b < B_; ++b) {
        float* h = dir.h.data() + b * HP_;
        if (spec_.has_initial_h)
          std::memcpy(h, initial_h + state_at(d, b), static_cast<size_t>(H_) * 4);
        else
          std::memset(h, 0, static_cast<size_t>(H_) * 4);
        if (lstm) {
          float* c = dir.c.data() + b * HP_;
          if (spec_.has_initial_c)
            std::memcpy(c, initial_c + state_at(d, b), static_cast<size_t>(H_) * 4);
          else
            std::memset(c, 0, static_cast<size_t>(H_) * 4);
        }
      }
      dir.args[kArgY] = spec_.want_y ? y : nullptr;
      dir.args[kArgLens] = const_cast<int32_t*>(sequence_lens);
      dir.args[kArgSteps] = reinterpret_cast<void*>(static_cast<intptr_t>(steps));
    }
    if (spec_.want_y && spec_.has_sequence_lens) zero_past_end(y, sequence_lens);

    for (int t = 0; t < T_; ++t) {
      const auto i = static_cast<size_t>(t);
      cursors_[i].next.store(part_begin_[i], std::memory_order_relaxed);
      cursors_[i].end = part_begin_[i + 1];
    }
    team_->parallel_for(T_, [&](int tid) { thread_job(x, tid); });

    for (int64_t d = 0; d < D_; ++d) {
      const DirectionState& dir = dirs_[static_cast<size_t>(d)];
      const float* hf = dir.h.data() + (steps & 1) * B_ * HP_;
      for (int64_t b = 0; b < B_; ++b) {
        if (spec_.want_y_h)
          std::memcpy(y_h + state_at(d, b), hf + b * HP_, static_cast<size_t>(H_) * 4);
        if (lstm && spec_.want_y_c)
          std::memcpy(y_c + state_at(d, b), dir.c.data() + b * HP_, static_cast<size_t>(H_) * 4);
      }
    }
  }

 private:
  StepLoopDesc describe_step(int64_t d) {
    const auto& a = spec_.attrs;
    StepLoopDesc s;
    s.fn_name = fmt::format("loom_step_dir{}", d);
    s.op = spec_.op;
    s.seq = S_;
    s.batch = B_;
    s.hidden = H_;
    s.hp = HP_;
    s.num_dirs = D_;
    s.dir = d;
    s.reverse = a.direction == Direction::Reverse || d == 1;
    s.batch_first = a.layout == 1;
    s.has_lens = spec_.has_sequence_lens;
    s.want_y = spec_.want_y;
    s.act = resolve_activations(spec_.op, a, static_cast<int>(d));
    s.clip = a.clip;
    s.input_forget = a.input_forget;
    s.peepholes = spec_.p.defined();
    s.linear_before_reset = a.linear_before_reset;
    s.proj_ld = proj_ld_;
    s.proj_dir_offset = d * G_ * HP_;
    // 0 · w is 0 only for finite w (0 · inf is NaN, which the reference keeps).
    const float* R = spec_.r.data<float>() + d * G_ * H_ * H_;
    s.zero_first_state = !spec_.has_initial_h &&
                         std::all_of(R, R + G_ * H_ * H_, [](float w) { return std::isfinite(w); });
    switch (spec_.op) {
      case OpKind::RNN:
        s.passes = {{{0}, false}};
        break;
      case OpKind::GRU:
        if (a.linear_before_reset)
          s.passes = {{{0, 1, 2}, false}};
        else
          s.passes = {{{0, 1}, false}, {{2}, true}};
        break;
      default:
        // With input_forget the f gate is 1 - i: its weights are never read.
        s.passes = {
            {a.input_forget ? std::vector<int>{0, 1, 3} : std::vector<int>{0, 1, 2, 3}, false}};
        break;
    }
    return s;
  }

  // The projection's columns in the order the step loop reads them, with
  // the biases folded where that is exact (see the top of this file).
  ProjectionSpec describe_projection() const {
    ProjectionSpec ps;
    ps.name = spec_.name;
    ps.rows = S_ * B_;
    ps.input_size = I_;
    ps.columns = D_ * G_ * HP_;
    ps.weights.assign(static_cast<size_t>(ps.columns * I_), 0.f);
    ps.bias.assign(static_cast<size_t>(ps.columns), 0.f);
    const float* W = spec_.w.data<float>();
    const float* Bv = spec_.b.defined() ? spec_.b.data<float>() : nullptr;
    for (int64_t d = 0; d < D_; ++d)
      for (int64_t g = 0; g < G_; ++g)
        for (int64_t j = 0; j < H_; ++j) {
          const int64_t col = d * G_ * HP_ + ((j / L_) * G_ + g) * L_ + j % L_;
          const int64_t row = g * H_ + j;
          const float* src = W + (d * G_ * H_ + row) * I_;
          std::copy(src, src + I_, ps.weights.begin() + col * I_);
          if (Bv) {
            const float* bd = Bv + d * 2 * G_ * H_;
            const bool fold_rb =
                !(spec_.op == OpKind::GRU && spec_.attrs.linear_before_reset && g == 2);
            ps.bias[static_cast<size_t>(col)] = bd[row] + (fold_rb ? bd[G_ * H_ + row] : 0.f);
          }
        }
    return ps;
  }

  // The projection parts each thread starts with: where the thread's
  // step-loop columns form one range and the threads' ranges follow each
  // other, the parts that cover its own columns (rounded to part
  // boundaries), so a thread writes what it reads from step to step;
  // otherwise an even split. A thread that finishes early takes parts left
  // in the others' ranges (thread_job).
  void split_projection() {
    const int64_t parts = projection_->num_parts(), cpp = projection_->columns_per_part();
    const int64_t blk_cols = G_ * L_;
    std::vector<int64_t> first_col(static_cast<size_t>(T_) + 1, 0);
    bool contiguous = D_ == 1 || concurrent_dirs_;
    int64_t end = 0;
    for (int tid = 0; tid < T_ && contiguous; ++tid) {
      const int64_t d = concurrent_dirs_ && tid >= T_ / 2 ? 1 : 0;
      const int member = concurrent_dirs_ && d == 1 ? tid - T_ / 2 : tid;
      const DirectionState& dir = dirs_[static_cast<size_t>(d)];
      int64_t c0 = end, c1 = end;
      if (member < dir.group) {
        c0 = d * G_ * HP_ + nblk_ * member / dir.group * blk_cols;
        c1 = d * G_ * HP_ + nblk_ * (member + 1) / dir.group * blk_cols;
      }
      contiguous = c0 == end;
      first_col[static_cast<size_t>(tid)] = c0;
      end = c1;
    }
    contiguous = contiguous && end == D_ * G_ * HP_;
    part_begin_.assign(static_cast<size_t>(T_) + 1, parts);
    for (int tid = 0; tid < T_; ++tid)
      part_begin_[static_cast<size_t>(tid)] =
          contiguous ? std::min(parts, (first_col[static_cast<size_t>(tid)] + cpp / 2) / cpp)
                     : parts * tid / T_;
    part_begin_[0] = 0;
    // Chunks of about an eighth of a thread's share: few calls, yet fine
    // enough to even out a core that another process slows down.
    chunk_ = std::max<int64_t>(1, (parts + 8 * T_ - 1) / (8 * T_));
    cursors_ = std::make_unique<PartCursor[]>(static_cast<size_t>(T_));
  }

  void pack_direction(int64_t d, const StepLoopDesc& desc) {
    DirectionState& dir = dirs_[static_cast<size_t>(d)];
    int64_t total = 0;
    for (const auto& p : desc.passes)
      total += HP_ * H_ * static_cast<int64_t>(p.gates.size());
    dir.weights = AlignedFloats(total);
    const float* R = spec_.r.data<float>() + d * G_ * H_ * H_;
    int64_t off = 0;
    for (const auto& p : desc.passes) {
      const auto ng = static_cast<int64_t>(p.gates.size());
      for (int64_t gi = 0; gi < ng; ++gi)
        for (int64_t j = 0; j < H_; ++j) {
          const float* src = R + (p.gates[static_cast<size_t>(gi)] * H_ + j) * H_;
          float* dst = dir.weights.data() + off + ((j / L_) * H_ * ng + gi) * L_ + j % L_;
          for (int64_t k = 0; k < H_; ++k)
            dst[k * ng * L_] = src[k];
        }
      off += HP_ * H_ * ng;
    }
    info_.packed_recurrent_bytes = total * 4;
    dir.h = AlignedFloats(2 * B_ * HP_);
    dir.c = AlignedFloats(B_ * HP_);
    dir.rh = AlignedFloats(B_ * HP_);
    dir.z = AlignedFloats(B_ * HP_);
    dir.rbh = AlignedFloats(HP_);
    dir.peep = AlignedFloats(3 * HP_);
    if (spec_.b.defined() && spec_.op == OpKind::GRU && spec_.attrs.linear_before_reset) {
      const float* rb = spec_.b.data<float>() + d * 2 * G_ * H_ + G_ * H_ + 2 * H_;
      std::copy(rb, rb + H_, dir.rbh.data());
    }
    if (spec_.p.defined()) {
      const float* pp = spec_.p.data<float>() + d * 3 * H_;
      for (int64_t w = 0; w < 3; ++w)
        std::copy(pp + w * H_, pp + (w + 1) * H_, &dir.peep[w * HP_]);
    }
    auto& a = dir.args;
    a[kArgProj] = proj_.data();
    a[kArgWeights] = dir.weights.data();
    a[kArgH] = dir.h.data();
    a[kArgC] = dir.c.data();
    a[kArgBarrierFn] = reinterpret_cast<void*>(&SpinBarrier::wait_thunk);
    a[kArgBarrier] = &dir.barrier;
    a[kArgRh] = dir.rh.data();
    a[kArgZ] = dir.z.data();
    a[kArgRbh] = dir.rbh.data();
    a[kArgPeep] = dir.peep.data();
    const int threads = concurrent_dirs_ ? (d == 0 ? T_ / 2 : T_ - T_ / 2) : T_;
    // Each thread of a step loop pays a barrier per step (0.2-0.5 us here):
    // a thread joins only for every min_step_fmas_ multiply-adds of a step
    // (default 32K, about 1 us of work; DeepBench's RNN h32, 672 steps:
    // 0.136 ms on two threads, 0.055 ms on one).
    int64_t step_fmas = 0;
    for (const auto& p : desc.passes)
      step_fmas += HP_ * H_ * static_cast<int64_t>(p.gates.size()) * B_;
    const int64_t by_work =
        min_step_fmas_ > 0 ? std::max<int64_t>(1, step_fmas / min_step_fmas_) : nblk_;
    dir.group = static_cast<int>(std::min({static_cast<int64_t>(threads), nblk_, by_work}));
    dir.barrier.reset(dir.group);
    if (team_->oversubscribed()) dir.barrier.set_spin_limit(64);
  }

  void zero_past_end(float* y, const int32_t* lens) {
    const bool batch_first = spec_.attrs.layout == 1;
    for (int64_t t = 0; t < S_; ++t)
      for (int64_t d = 0; d < D_; ++d)
        for (int64_t b = 0; b < B_; ++b) {
          if (t < lens[b]) continue;
          const int64_t off =
              batch_first ? ((b * S_ + t) * D_ + d) * H_ : ((t * D_ + d) * B_ + b) * H_;
          std::memset(y + off, 0, static_cast<size_t>(H_) * 4);
        }
  }

  // One thread's share of a run: its projection panels, then (after every
  // panel is done) its hidden-unit blocks of the step loop.
  void thread_job(const float* x, int tid) {
    // Own parts first, then whatever is left of the others': the projection
    // has no lock-step, so a thread whose core is shared with another
    // process only does less of it instead of making everyone wait.
    for (int i = 0; i < T_; ++i) {
      PartCursor& c = cursors_[static_cast<size_t>((tid + i) % T_)];
      for (;;) {
        const int64_t p = c.next.fetch_add(chunk_, std::memory_order_relaxed);
        if (p >= c.end) break;
        projection_->run(x, proj_.data(), p, std::min(p + chunk_, c.end));
      }
    }
    global_barrier_.arrive_and_wait();
    auto run_dir = [&](int64_t d, int member) {
      DirectionState& dir = dirs_[static_cast<size_t>(d)];
      if (member >= dir.group) return;
      const int64_t b0 = nblk_ * member / dir.group, b1 = nblk_ * (member + 1) / dir.group;
      dir.fn(dir.args.data(), b0, b1);
    };
    if (concurrent_dirs_) {
      const int half = T_ / 2;
      if (tid < half)
        run_dir(0, tid);
      else
        run_dir(1, tid - half);
    } else {
      for (int64_t d = 0; d < D_; ++d)
        run_dir(d, tid);
    }
  }

  RecurrentLayerSpec spec_;
  TargetChoice target_;
  RecurrentKernelInfo info_;
  int64_t L_ = 4, D_ = 1, G_ = 1, H_ = 1, B_ = 1, S_ = 0, I_ = 1, HP_ = 4, nblk_ = 1;
  int64_t proj_ld_ = 0;
  std::vector<int64_t> part_begin_;  // [T + 1]: thread t owns parts [t], [t + 1]
  // The projection parts of thread t not yet claimed in this run.
  struct alignas(64) PartCursor {
    std::atomic<int64_t> next{0};
    int64_t end = 0;
  };
  std::unique_ptr<PartCursor[]> cursors_;
  int64_t chunk_ = 1;
  int T_ = 1;
  bool concurrent_dirs_ = false;
  int64_t min_step_fmas_ = 0;
  std::unique_ptr<ThreadTeam> owned_team_;
  ThreadTeam* team_ = nullptr;
  std::unique_ptr<JitCode> code_;
  std::unique_ptr<InputProjection> projection_;
  AlignedFloats proj_;
  std::array<DirectionState, 2> dirs_;  // SpinBarrier pins them in place
  SpinBarrier global_barrier_;
};

}  // namespace

void RecurrentKernel::run(const float* x, const int64_t* sequence_lens, const float* initial_h,
                          const float* initial_c, float* y, float* y_h, float* y_c) {
  std::vector<int32_t> lens;
  if (sequence_lens && spec().has_sequence_lens) {
    for (int64_t b = 0; b < spec().batch; ++b) {
      const int64_t v = sequence_lens[b];
      if (v < 0 || v > spec().seq_len)
        throw InputError(fmt::format("sequence_lens[{}] = {}, expected a length in [0, {}] (the "
                                     "sequence length of X)",
                                     b, v, spec().seq_len),
                         site_of(spec(), "sequence_lens"));
      lens.push_back(static_cast<int32_t>(v));
    }
  }
  run(x, lens.empty() ? nullptr : lens.data(), initial_h, initial_c, y, y_h, y_c);
}

std::unique_ptr<RecurrentKernel> compile_recurrent(const RecurrentLayerSpec& spec,
                                                   const RecurrentCompileOptions& options) {
  return std::make_unique<Kernel>(spec, options);
}

}  // namespace loom
