// Shape inference and reference evaluation of RNN, GRU and LSTM (ONNX opset 14
// semantics, both layouts, every direction, optional inputs and outputs).
//
// The evaluation is the oracle for the compiled recurrent kernels, so it is a
// plain loop over directions, batch entries and time steps, one batch entry at
// a time, with each cell's gate equations written out as in the spec. Dot
// products accumulate in double; gate values are rounded to f32 before the
// activation functions, which take and return f32.
//
// Choices where the spec is silent:
//  - `clip` bounds the pre-activation of every gate (LSTM i, o, f, c~; GRU z,
//    r, h~; RNN's single gate), peephole terms included. It does not bound the
//    cell state fed to LSTM's h().
//  - A batch entry with sequence_lens = L runs L steps (forward: t = 0..L-1,
//    reverse: t = L-1..0); Y is zero for t >= L, and Y_h / Y_c hold the state
//    after the last step it ran. L = 0 runs no step, so Y_h / Y_c hold the
//    initial state (zeros when initial_h / initial_c are absent).
//  - hidden_size = 0 (the attribute left unset) takes the hidden size from R.
#include <algorithm>
#include <cmath>
#include <optional>
#include <string>
#include <vector>

#include <fmt/format.h>

#include "ir/ops/op_context.h"

namespace loom {
namespace {

// ONNX input slots.
constexpr size_t kX = 0, kW = 1, kR = 2, kB = 3, kSeqLens = 4, kInitH = 5, kInitC = 6, kP = 7;

// Everything inference learns about a node; evaluation runs on it.
struct Dims {
  int64_t seq = 0, batch = 0, input = 0, hidden = 0;
  int64_t gates = 0;         // G: RNN 1, GRU 3, LSTM 4
  int64_t num_dirs = 0;      // 1 or 2
  bool batch_first = false;  // layout 1
};

std::string role_name(size_t i) {
  static const char* const kNames[] = {"X",         "W",         "R", "B", "sequence_lens",
                                       "initial_h", "initial_c", "P"};
  return i < std::size(kNames) ? kNames[i] : fmt::format("input {}", i);
}

// The state shape (initial_h, initial_c, Y_h, Y_c) for this layout.
Shape state_shape(const Dims& d) {
  return d.batch_first ? Shape{d.batch, d.num_dirs, d.hidden}
                       : Shape{d.num_dirs, d.batch, d.hidden};
}

void expect_f32(const OpContext& ctx, size_t i) {
  if (ctx.in(i).dtype != DType::f32)
    ctx.fail_input(i, fmt::format("{} has dtype {}, expected f32 (the dtype of X)", role_name(i),
                                  dtype_name(ctx.in(i).dtype)));
}

void expect_shape(const OpContext& ctx, size_t i, const Shape& want, const std::string& layout) {
  const Shape& got = ctx.in(i).shape;
  if (got != want)
    ctx.fail_input(i, fmt::format("{} has shape {}, expected {} = {}", role_name(i), shape_str(got),
                                  shape_str(want), layout));
}

// Checks that W, R and P agree with the direction attribute before their full
// shapes are compared, so the message says which attribute disagrees.
void expect_num_dirs(const OpContext& ctx, size_t i, const Dims& d) {
  const TensorType& t = ctx.in(i);
  if (t.rank() >= 1 && t.shape[0] != d.num_dirs)
    ctx.fail_input(i,
                   fmt::format("{} has num_directions {} (shape {}), but direction '{}' needs {}",
                               role_name(i), t.shape[0], shape_str(t.shape),
                               enum_name(ctx.attrs<RecurrentAttrs>().direction), d.num_dirs));
}

Dims analyze(const OpContext& ctx) {
  const auto& a = ctx.attrs<RecurrentAttrs>();
  const OpKind op = ctx.op();
  const std::string name(op_name(op));
  Dims d;
  d.gates = recurrent_gate_count(op);
  d.num_dirs = a.direction == Direction::Bidirectional ? 2 : 1;

  if (a.layout != 0 && a.layout != 1)
    ctx.fail(fmt::format("attribute layout = {}, expected 0 or 1", a.layout));
  d.batch_first = a.layout == 1;
  if (a.clip && !(*a.clip > 0.f))
    ctx.fail(fmt::format("attribute clip = {}, expected a positive threshold", *a.clip));
  if (a.input_forget && op != OpKind::LSTM)
    ctx.fail(fmt::format("attribute input_forget applies to LSTM only, not {}", name));
  if (a.linear_before_reset && op != OpKind::GRU)
    ctx.fail(fmt::format("attribute linear_before_reset applies to GRU only, not {}", name));
  const int64_t per_dir = recurrent_activation_count(op);
  const auto n_act = static_cast<int64_t>(a.activations.size());
  if (n_act != 0 && n_act != per_dir * d.num_dirs && !(d.num_dirs == 2 && n_act == per_dir))
    ctx.fail(
        fmt::format("attribute activations has {} entries, expected {} ({} per direction, "
                    "direction '{}')",
                    n_act, per_dir * d.num_dirs, per_dir, enum_name(a.direction)));

  const DType xt = ctx.in(kX).dtype;
  if (xt == DType::f64 || xt == DType::f16 || xt == DType::bf16)
    ctx.unsupported(fmt::format("{} on {} data (only f32 is implemented)", name, dtype_name(xt)));
  ctx.expect_dtype(kX, {DType::f32});
  ctx.expect_rank(kX, 3);
  const Shape& xs = ctx.in(kX).shape;
  d.seq = d.batch_first ? xs[1] : xs[0];
  d.batch = d.batch_first ? xs[0] : xs[1];
  d.input = xs[2];

  for (size_t i : {kW, kR}) {
    expect_f32(ctx, i);
    ctx.expect_rank(i, 3);
    expect_num_dirs(ctx, i, d);
  }
  const Shape& ws = ctx.in(kW).shape;
  const Shape& rs = ctx.in(kR).shape;
  d.hidden = a.hidden_size != 0 ? a.hidden_size : rs[2];
  if (d.hidden <= 0)
    ctx.fail(
        fmt::format("hidden_size = {} (attribute, or the last dimension of R {}), expected a "
                    "positive size",
                    d.hidden, shape_str(rs)));
  const int64_t gh = d.gates * d.hidden;
  const std::string g = d.gates == 1 ? "" : fmt::format("{}*", d.gates);
  const std::string hs = fmt::format(" with hidden_size {}", d.hidden);
  if (ws[1] != gh && ws[1] > 0 && ws[1] % d.gates == 0)
    ctx.fail_input(
        kW, fmt::format("W has shape {}, expected [{},{},{}] = [num_directions, "
                        "{}hidden_size, input_size]: W implies hidden_size {} but the "
                        "hidden_size attribute is {}",
                        shape_str(ws), d.num_dirs, gh, d.input, g, ws[1] / d.gates, d.hidden));
  expect_shape(ctx, kW, {d.num_dirs, gh, d.input},
               fmt::format("[num_directions, {}hidden_size, input_size]{}", g, hs));
  expect_shape(ctx, kR, {d.num_dirs, gh, d.hidden},
               fmt::format("[num_directions, {}hidden_size, hidden_size]{}", g, hs));
  if (ctx.has_input(kB)) {
    expect_f32(ctx, kB);
    expect_num_dirs(ctx, kB, d);
    expect_shape(ctx, kB, {d.num_dirs, 2 * gh},
                 fmt::format("[num_directions, {}hidden_size]{}", 2 * d.gates, hs));
  }
  if (ctx.has_input(kSeqLens)) {
    ctx.expect_dtype(kSeqLens, {DType::i32, DType::i64});
    expect_shape(ctx, kSeqLens, {d.batch}, "[batch_size]");
  }
  const std::string state_layout =
      fmt::format("{}{}",
                  d.batch_first ? "[batch_size, num_directions, hidden_size]"
                                : "[num_directions, batch_size, hidden_size]",
                  hs);
  for (size_t i : {kInitH, kInitC}) {
    if (!ctx.has_input(i)) continue;
    expect_f32(ctx, i);
    expect_shape(ctx, i, state_shape(d), state_layout);
  }
  if (ctx.has_input(kP)) {
    expect_f32(ctx, kP);
    expect_num_dirs(ctx, kP, d);
    expect_shape(ctx, kP, {d.num_dirs, 3 * d.hidden},
                 fmt::format("[num_directions, 3*hidden_size]{}", hs));
  }
  return d;
}

Shape y_shape(const Dims& d) {
  return d.batch_first ? Shape{d.batch, d.seq, d.num_dirs, d.hidden}
                       : Shape{d.seq, d.num_dirs, d.batch, d.hidden};
}

std::vector<TensorType> output_types(const OpContext& ctx, const Dims& d) {
  std::vector<TensorType> all{{DType::f32, y_shape(d)}, {DType::f32, state_shape(d)}};
  if (ctx.op() == OpKind::LSTM) all.push_back({DType::f32, state_shape(d)});
  all.resize(ctx.num_outputs(), TensorType{DType::f32, {}});
  return all;
}

std::vector<TensorType> infer_recurrent(const OpContext& ctx) {
  return output_types(ctx, analyze(ctx));
}

// ---- evaluation -------------------------------------------------------------

double dot(const float* a, const float* b, int64_t n) {
  double s = 0.0;
  for (int64_t k = 0; k < n; ++k)
    s += static_cast<double>(a[k]) * static_cast<double>(b[k]);
  return s;
}

// The weights, biases and activations of one direction.
struct DirParams {
  const float* w = nullptr;   // [G*H, input]
  const float* r = nullptr;   // [G*H, H]
  std::vector<float> wb, rb;  // [G*H] each, zeros when B is absent
  std::vector<float> p;       // [3*H] (i, o, f), zeros when P is absent
  std::vector<ActivationFn> act;
  std::optional<float> clip;
  bool input_forget = false;
  bool linear_before_reset = false;

  float clipped(double v) const {
    float x = static_cast<float>(v);
    return clip ? std::clamp(x, -*clip, *clip) : x;
  }
  // Row `row` of X·Wᵀ + Wb and of h·Rᵀ + Rb.
  double xw(const float* x, int64_t row, int64_t in) const {
    return dot(w + row * in, x, in) + wb[static_cast<size_t>(row)];
  }
  double hr(const float* h, int64_t row, int64_t hid) const {
    return dot(r + row * hid, h, hid) + rb[static_cast<size_t>(row)];
  }
};

// One time step. `h` (and `c` for LSTM) hold the previous state on entry and
// the new state on return.
void rnn_step(const DirParams& p, const Dims& d, const float* x, std::vector<float>& h) {
  const int64_t H = d.hidden;
  std::vector<float> next(static_cast<size_t>(H));
  for (int64_t j = 0; j < H; ++j)
    next[static_cast<size_t>(j)] = p.act[0](p.clipped(p.xw(x, j, d.input) + p.hr(h.data(), j, H)));
  h = std::move(next);
}

// W, R and B rows: z (update), r (reset), h (hidden).
void gru_step(const DirParams& p, const Dims& d, const float* x, std::vector<float>& h) {
  const int64_t H = d.hidden;
  const auto& f = p.act[0];
  const auto& g = p.act[1];
  std::vector<float> z(static_cast<size_t>(H)), r(static_cast<size_t>(H));
  for (int64_t j = 0; j < H; ++j) {
    z[static_cast<size_t>(j)] = f(p.clipped(p.xw(x, j, d.input) + p.hr(h.data(), j, H)));
    r[static_cast<size_t>(j)] = f(p.clipped(p.xw(x, H + j, d.input) + p.hr(h.data(), H + j, H)));
  }
  std::vector<float> rh(static_cast<size_t>(H));
  for (int64_t k = 0; k < H; ++k)
    rh[static_cast<size_t>(k)] = r[static_cast<size_t>(k)] * h[static_cast<size_t>(k)];
  std::vector<float> next(static_cast<size_t>(H));
  for (int64_t j = 0; j < H; ++j) {
    const size_t uj = static_cast<size_t>(j);
    const int64_t row = 2 * H + j;
    // linear_before_reset 0: (r ⊙ H) · Rh + Rbh; 1: r ⊙ (H · Rh + Rbh).
    const double rec =
        p.linear_before_reset ? r[uj] * p.hr(h.data(), row, H) : p.hr(rh.data(), row, H);
    const float cand = g(p.clipped(p.xw(x, row, d.input) + rec));
    next[uj] = (1.f - z[uj]) * cand + z[uj] * h[uj];
  }
  h = std::move(next);
}

// W, R and B rows: i (input), o (output), f (forget), c (cell); P: i, o, f.
void lstm_step(const DirParams& p, const Dims& d, const float* x, std::vector<float>& h,
               std::vector<float>& c) {
  const int64_t H = d.hidden;
  const auto& f = p.act[0];
  const auto& g = p.act[1];
  const auto& hf = p.act[2];
  std::vector<float> h_next(static_cast<size_t>(H)), c_next(static_cast<size_t>(H));
  for (int64_t j = 0; j < H; ++j) {
    const size_t uj = static_cast<size_t>(j);
    auto pre = [&](int64_t gate) {
      const int64_t row = gate * H + j;
      return p.xw(x, row, d.input) + p.hr(h.data(), row, H);
    };
    const double pi = p.p[uj], po = p.p[static_cast<size_t>(H) + uj],
                 pf = p.p[static_cast<size_t>(2 * H) + uj];
    const float i_gate = f(p.clipped(pre(0) + pi * c[uj]));
    const float f_gate = p.input_forget ? 1.f - i_gate : f(p.clipped(pre(2) + pf * c[uj]));
    const float cand = g(p.clipped(pre(3)));
    const float c_new = f_gate * c[uj] + i_gate * cand;
    const float o_gate = f(p.clipped(pre(1) + po * c_new));
    c_next[uj] = c_new;
    h_next[uj] = o_gate * hf(c_new);
  }
  h = std::move(h_next);
  c = std::move(c_next);
}

std::vector<Tensor> eval_recurrent(const OpContext& ctx, const std::vector<const Tensor*>& inputs) {
  const Dims d = analyze(ctx);
  const auto& a = ctx.attrs<RecurrentAttrs>();
  const OpKind op = ctx.op();
  auto input = [&](size_t i) -> const Tensor* { return i < inputs.size() ? inputs[i] : nullptr; };
  const int64_t H = d.hidden, B = d.batch, S = d.seq, I = d.input, D = d.num_dirs;
  const int64_t gh = d.gates * H;

  // Validate the run-time sequence lengths before doing any work.
  std::vector<int64_t> lens(static_cast<size_t>(B), S);
  if (const Tensor* sl = input(kSeqLens)) {
    for (int64_t b = 0; b < B; ++b) {
      const int64_t len = sl->get_as_int(b);
      if (len < 0 || len > S) {
        ErrorSite site = ctx.graph().site(ctx.node());
        site.tensor = ctx.input_name(kSeqLens);
        throw InputError(fmt::format("sequence_lens[{}] = {}, expected a length in [0, {}] (the "
                                     "sequence length of X)",
                                     b, len, S),
                         site);
      }
      lens[static_cast<size_t>(b)] = len;
    }
  }

  const float* x = input(kX)->data<float>();
  const float* init_h = input(kInitH) ? input(kInitH)->data<float>() : nullptr;
  const float* init_c = input(kInitC) ? input(kInitC)->data<float>() : nullptr;
  // Element offsets for each layout.
  auto x_at = [&](int64_t t, int64_t b) {
    return d.batch_first ? (b * S + t) * I : (t * B + b) * I;
  };
  auto y_at = [&](int64_t t, int64_t dir, int64_t b) {
    return d.batch_first ? ((b * S + t) * D + dir) * H : ((t * D + dir) * B + b) * H;
  };
  auto state_at = [&](int64_t dir, int64_t b) {
    return d.batch_first ? (b * D + dir) * H : (dir * B + b) * H;
  };

  Tensor y(DType::f32, y_shape(d));
  const TensorType st{DType::f32, state_shape(d)};
  Tensor y_h(st), y_c(st);
  float* yp = y.data<float>();
  float* yhp = y_h.data<float>();
  float* ycp = y_c.data<float>();

  for (int64_t dir = 0; dir < D; ++dir) {
    const bool reverse = a.direction == Direction::Reverse || dir == 1;
    DirParams p;
    p.w = input(kW)->data<float>() + dir * gh * I;
    p.r = input(kR)->data<float>() + dir * gh * H;
    p.wb.assign(static_cast<size_t>(gh), 0.f);
    p.rb.assign(static_cast<size_t>(gh), 0.f);
    if (const Tensor* bt = input(kB)) {
      const float* bp = bt->data<float>() + dir * 2 * gh;
      std::copy(bp, bp + gh, p.wb.begin());
      std::copy(bp + gh, bp + 2 * gh, p.rb.begin());
    }
    p.p.assign(static_cast<size_t>(3 * H), 0.f);
    if (const Tensor* pt = input(kP)) {
      const float* pp = pt->data<float>() + dir * 3 * H;
      std::copy(pp, pp + 3 * H, p.p.begin());
    }
    p.act = resolve_activations(op, a, static_cast<int>(dir));
    p.clip = a.clip;
    p.input_forget = a.input_forget;
    p.linear_before_reset = a.linear_before_reset;

    for (int64_t b = 0; b < B; ++b) {
      std::vector<float> h(static_cast<size_t>(H), 0.f), c(static_cast<size_t>(H), 0.f);
      if (init_h) std::copy(init_h + state_at(dir, b), init_h + state_at(dir, b) + H, h.begin());
      if (init_c) std::copy(init_c + state_at(dir, b), init_c + state_at(dir, b) + H, c.begin());
      const int64_t len = lens[static_cast<size_t>(b)];
      for (int64_t s = 0; s < len; ++s) {
        const int64_t t = reverse ? len - 1 - s : s;
        const float* xt = x + x_at(t, b);
        switch (op) {
          case OpKind::RNN:
            rnn_step(p, d, xt, h);
            break;
          case OpKind::GRU:
            gru_step(p, d, xt, h);
            break;
          default:
            lstm_step(p, d, xt, h, c);
            break;
        }
        std::copy(h.begin(), h.end(), yp + y_at(t, dir, b));
      }
      std::copy(h.begin(), h.end(), yhp + state_at(dir, b));
      std::copy(c.begin(), c.end(), ycp + state_at(dir, b));
    }
  }

  std::vector<Tensor> all{y, y_h};
  if (op == OpKind::LSTM) all.push_back(y_c);
  all.resize(ctx.num_outputs());
  return all;
}

}  // namespace

std::vector<TensorType> infer_RNN(const OpContext& ctx) {
  return infer_recurrent(ctx);
}
std::vector<TensorType> infer_GRU(const OpContext& ctx) {
  return infer_recurrent(ctx);
}
std::vector<TensorType> infer_LSTM(const OpContext& ctx) {
  return infer_recurrent(ctx);
}

std::vector<Tensor> eval_RNN(const OpContext& ctx, const std::vector<const Tensor*>& inputs,
                             const std::vector<TensorType>&) {
  return eval_recurrent(ctx, inputs);
}
std::vector<Tensor> eval_GRU(const OpContext& ctx, const std::vector<const Tensor*>& inputs,
                             const std::vector<TensorType>&) {
  return eval_recurrent(ctx, inputs);
}
std::vector<Tensor> eval_LSTM(const OpContext& ctx, const std::vector<const Tensor*>& inputs,
                              const std::vector<TensorType>&) {
  return eval_recurrent(ctx, inputs);
}

}  // namespace loom
