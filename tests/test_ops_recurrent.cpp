// Tests of RNN, GRU and LSTM shape inference and reference evaluation. Tiny
// cases are checked against the spec's equations written out as scalar math
// here; larger random cases are checked through structural properties
// (reverse = forward on reversed time, bidirectional = two one-way runs,
// layout 1 = transposed layout 0, sequence_lens = per-entry truncated runs).
#include <catch2/catch.hpp>

#include <cmath>
#include <cstdint>
#include <optional>
#include <stdexcept>
#include <string>
#include <vector>

#include <fmt/format.h>

#include "ir/builder.h"
#include "ir/interpreter.h"

using namespace loom;

namespace {

Tensor T(Shape s, std::vector<float> v) {
  return Tensor::from_vector<float>(std::move(s), v);
}

// Deterministic values in [-1, 1].
Tensor rnd(Shape s, uint32_t seed) {
  Tensor t(DType::f32, std::move(s));
  uint32_t st = seed * 2654435761u + 12345u;
  float* p = t.data<float>();
  for (int64_t i = 0; i < t.numel(); ++i) {
    st = st * 1664525u + 1013904223u;
    p[i] = static_cast<float>((st >> 8) & 0xffff) / 32767.5f - 1.f;
  }
  return t;
}

double sigmoid(double x) {
  return 1.0 / (1.0 + std::exp(-x));
}

struct Case {
  OpKind op = OpKind::LSTM;
  RecurrentAttrs attrs{};
  Tensor x{}, w{}, r{};
  Tensor b{}, seq_lens{}, init_h{}, init_c{}, p{};  // undefined: absent
  RecurrentOutputSelection sel{};
  // Value names, so error tests can check the message names them.
  std::string node = "rec";
  std::string w_name = "W";
};

struct Result {
  Tensor y, y_h, y_c;
};

// The builder call alone (throws ShapeError for bad shapes); returns the feeds.
RecurrentOutputs add_to(GraphBuilder& gb, const Case& c, std::vector<Tensor>& feeds) {
  auto in = [&](const std::string& name, const Tensor& t) -> Val {
    if (!t.defined()) return {};
    feeds.push_back(t);
    return gb.input(name, t.dtype(), t.shape());
  };
  RecurrentInputs ri;
  ri.x = in("X", c.x);
  ri.w = in(c.w_name, c.w);
  ri.r = in("R", c.r);
  ri.b = in("B", c.b);
  ri.sequence_lens = in("lens", c.seq_lens);
  ri.initial_h = in("h0", c.init_h);
  ri.initial_c = in("c0", c.init_c);
  ri.p = in("P", c.p);
  switch (c.op) {
    case OpKind::RNN:
      return gb.rnn(ri, c.attrs, c.sel, c.node);
    case OpKind::GRU:
      return gb.gru(ri, c.attrs, c.sel, c.node);
    default:
      return gb.lstm(ri, c.attrs, c.sel, c.node);
  }
}

Result run(const Case& c) {
  GraphBuilder gb("rec_test");
  std::vector<Tensor> feeds;
  RecurrentOutputs o = add_to(gb, c, feeds);
  if (o.y) gb.output(o.y, "Y");
  if (o.y_h) gb.output(o.y_h, "Y_h");
  if (o.y_c) gb.output(o.y_c, "Y_c");
  Interpreter interp(gb.build());
  std::vector<Tensor> outs = interp.run(feeds);
  Result res;
  size_t k = 0;
  if (o.y) res.y = outs[k++];
  if (o.y_h) res.y_h = outs[k++];
  if (o.y_c) res.y_c = outs[k++];
  return res;
}

void check_values(const Tensor& got, const Shape& shape, const std::vector<double>& want,
                  double tol = 1e-5) {
  REQUIRE(got.defined());
  REQUIRE(got.dtype() == DType::f32);
  REQUIRE(shape_str(got.shape()) == shape_str(shape));
  REQUIRE(static_cast<size_t>(got.numel()) == want.size());
  auto v = got.values<float>();
  for (size_t i = 0; i < want.size(); ++i) {
    INFO("element " << i);
    CHECK(v[i] == Approx(want[i]).margin(tol));
  }
}

void check_same(const Tensor& got, const Tensor& want, double tol = 1e-6) {
  REQUIRE(want.defined());
  std::vector<double> w;
  for (float f : want.values<float>())
    w.push_back(f);
  check_values(got, want.shape(), w, tol);
}

// ---- tensor surgery used to derive expected results -------------------------

struct Split {
  int64_t outer = 1, n = 1, inner = 1;
};
Split split_at(const Shape& s, size_t axis) {
  Split sp;
  for (size_t k = 0; k < axis; ++k)
    sp.outer *= s[k];
  sp.n = s[axis];
  for (size_t k = axis + 1; k < s.size(); ++k)
    sp.inner *= s[k];
  return sp;
}

Tensor slice_axis(const Tensor& t, size_t axis, int64_t start, int64_t len) {
  Split sp = split_at(t.shape(), axis);
  Shape os = t.shape();
  os[axis] = len;
  Tensor out(t.dtype(), os);
  for (int64_t o = 0; o < sp.outer; ++o)
    for (int64_t k = 0; k < len; ++k)
      for (int64_t i = 0; i < sp.inner; ++i) {
        const int64_t dst = (o * len + k) * sp.inner + i;
        const int64_t src = (o * sp.n + start + k) * sp.inner + i;
        if (t.dtype() == DType::f32) {
          out.data<float>()[dst] = t.data<float>()[src];
        } else {
          out.data<int32_t>()[dst] = t.data<int32_t>()[src];
        }
      }
  return out;
}

Tensor concat_axis(const Tensor& a, const Tensor& b, size_t axis) {
  Split sa = split_at(a.shape(), axis), sb = split_at(b.shape(), axis);
  Shape os = a.shape();
  os[axis] += b.shape()[axis];
  Tensor out(DType::f32, os);
  float* p = out.data<float>();
  for (int64_t o = 0; o < sa.outer; ++o) {
    for (int64_t k = 0; k < sa.n * sa.inner; ++k)
      *p++ = a.data<float>()[o * sa.n * sa.inner + k];
    for (int64_t k = 0; k < sb.n * sb.inner; ++k)
      *p++ = b.data<float>()[o * sb.n * sb.inner + k];
  }
  return out;
}

Tensor reverse_axis(const Tensor& t, size_t axis) {
  Split sp = split_at(t.shape(), axis);
  Tensor out(DType::f32, t.shape());
  for (int64_t o = 0; o < sp.outer; ++o)
    for (int64_t k = 0; k < sp.n; ++k)
      for (int64_t i = 0; i < sp.inner; ++i)
        out.data<float>()[(o * sp.n + k) * sp.inner + i] =
            t.data<float>()[(o * sp.n + sp.n - 1 - k) * sp.inner + i];
  return out;
}

// out[i0, i1, ...] = t[...] with out dim k = t dim perm[k].
Tensor permute(const Tensor& t, const std::vector<size_t>& perm) {
  const Shape& s = t.shape();
  Shape os(s.size());
  for (size_t k = 0; k < s.size(); ++k)
    os[k] = s[perm[k]];
  Tensor out(DType::f32, os);
  const std::vector<int64_t> is = shape_strides(s), ost = shape_strides(os);
  for (int64_t o = 0; o < out.numel(); ++o) {
    int64_t rem = o, src = 0;
    for (size_t k = 0; k < os.size(); ++k) {
      src += (rem / ost[k]) * is[perm[k]];
      rem %= ost[k];
    }
    out.data<float>()[o] = t.data<float>()[src];
  }
  return out;
}

bool all_zero(const Tensor& t) {
  for (float f : t.values<float>())
    if (f != 0.f) return false;
  return true;
}

// A random layout-0 case.
Case random_case(OpKind op, Direction dir, int64_t seq, int64_t batch, int64_t input,
                 int64_t hidden, uint32_t seed, bool with_bias = true, bool with_init = true,
                 bool with_peepholes = true) {
  const int64_t d = dir == Direction::Bidirectional ? 2 : 1;
  const int64_t g = recurrent_gate_count(op);
  Case c;
  c.op = op;
  c.attrs.hidden_size = hidden;
  c.attrs.direction = dir;
  c.x = rnd({seq, batch, input}, seed);
  c.w = rnd({d, g * hidden, input}, seed + 1);
  c.r = rnd({d, g * hidden, hidden}, seed + 2);
  if (with_bias) c.b = rnd({d, 2 * g * hidden}, seed + 3);
  if (with_init) {
    c.init_h = rnd({d, batch, hidden}, seed + 4);
    if (op == OpKind::LSTM) c.init_c = rnd({d, batch, hidden}, seed + 5);
  }
  if (with_peepholes && op == OpKind::LSTM) c.p = rnd({d, 3 * hidden}, seed + 6);
  return c;
}

const OpKind kOps[] = {OpKind::RNN, OpKind::GRU, OpKind::LSTM};
const Direction kDirs[] = {Direction::Forward, Direction::Reverse, Direction::Bidirectional};

template <class E, class F>
E catch_error(F&& f) {
  try {
    f();
  } catch (const E& e) {
    return e;
  }
  throw std::logic_error("the expected error was not raised");
}

bool contains(const std::string& s, const std::string& part) {
  return s.find(part) != std::string::npos;
}

}  // namespace

// ---- hand-computed cases -----------------------------------------------------

TEST_CASE("RNN tanh, one unit, two steps, bias and initial_h", "[ops][recurrent]") {
  Case c;
  c.op = OpKind::RNN;
  c.attrs.hidden_size = 1;
  c.x = T({2, 1, 1}, {0.5f, -1.0f});
  c.w = T({1, 1, 1}, {0.8f});
  c.r = T({1, 1, 1}, {-0.6f});
  c.b = T({1, 2}, {0.1f, 0.2f});
  c.init_h = T({1, 1, 1}, {0.3f});
  Result res = run(c);
  const double h1 = std::tanh(0.8 * 0.5 - 0.6 * 0.3 + 0.1 + 0.2);
  const double h2 = std::tanh(0.8 * -1.0 - 0.6 * h1 + 0.1 + 0.2);
  check_values(res.y, {2, 1, 1, 1}, {h1, h2});
  check_values(res.y_h, {1, 1, 1}, {h2});
}

TEST_CASE("RNN Relu, two units, two inputs, batch 2: W and R row indexing", "[ops][recurrent]") {
  Case c;
  c.op = OpKind::RNN;
  c.attrs.hidden_size = 2;
  c.attrs.activations = {Activation::Relu};
  // x[t][b][i]
  c.x = T({2, 2, 2}, {1.0f, 0.5f, -1.0f, 2.0f, 0.2f, -0.3f, 0.4f, 0.1f});
  // Row j of W (R) feeds hidden unit j.
  c.w = T({1, 2, 2}, {1.0f, -2.0f, 0.5f, 0.25f});
  c.r = T({1, 2, 2}, {0.5f, -1.0f, 2.0f, 0.1f});
  Result res = run(c);
  // Batch 0: t0 pre = (1 - 1, 0.5 + 0.125) = (0, 0.625);
  //          t1 pre = (0.2 + 0.6 + 0.5*0 - 1*0.625, 0.1 - 0.075 + 2*0 + 0.1*0.625).
  // Batch 1: t0 pre = (-1 - 4, -0.5 + 0.5) → relu (0, 0); t1 pre = (0.4 - 0.2, 0.2 + 0.025).
  check_values(res.y, {2, 1, 2, 2}, {0, 0.625, 0, 0, 0.175, 0.0875, 0.2, 0.225});
  check_values(res.y_h, {1, 2, 2}, {0.175, 0.0875, 0.2, 0.225});
}

TEST_CASE("RNN clip bounds the pre-activation", "[ops][recurrent]") {
  Case c;
  c.op = OpKind::RNN;
  c.attrs.hidden_size = 1;
  c.attrs.clip = 0.5f;
  c.x = T({2, 1, 1}, {3.0f, -0.2f});
  c.w = T({1, 1, 1}, {1.0f});
  c.r = T({1, 1, 1}, {0.5f});
  Result res = run(c);
  const double h1 = std::tanh(0.5);              // pre 3 clipped to 0.5
  const double h2 = std::tanh(-0.2 + 0.5 * h1);  // inside the bounds
  check_values(res.y, {2, 1, 1, 1}, {h1, h2});
}

// Scalar LSTM parameters, gates in ONNX order i, o, f, c.
struct Lstm1 {
  double w[4], r[4], wb[4], rb[4];
  double pre(int g, double x, double h) const { return w[g] * x + r[g] * h + wb[g] + rb[g]; }
};

TEST_CASE("LSTM one unit, two steps, default activations", "[ops][recurrent]") {
  const Lstm1 p{{0.5, -0.3, 0.8, 0.2},
                {0.1, 0.4, -0.2, 0.6},
                {0.05, -0.1, 0.2, 0.0},
                {0.01, 0.02, -0.03, 0.04}};
  Case c;
  c.attrs.hidden_size = 1;
  c.x = T({2, 1, 1}, {1.0f, -0.5f});
  c.w = T({1, 4, 1}, {0.5f, -0.3f, 0.8f, 0.2f});
  c.r = T({1, 4, 1}, {0.1f, 0.4f, -0.2f, 0.6f});
  c.b = T({1, 8}, {0.05f, -0.1f, 0.2f, 0.0f, 0.01f, 0.02f, -0.03f, 0.04f});
  c.init_h = T({1, 1, 1}, {0.2f});
  c.init_c = T({1, 1, 1}, {-0.4f});
  Result res = run(c);

  double h = 0.2, cs = -0.4;
  std::vector<double> ys;
  for (double x : {1.0, -0.5}) {
    const double i = sigmoid(p.pre(0, x, h));
    const double o = sigmoid(p.pre(1, x, h));
    const double f = sigmoid(p.pre(2, x, h));
    const double g = std::tanh(p.pre(3, x, h));
    cs = f * cs + i * g;
    h = o * std::tanh(cs);
    ys.push_back(h);
  }
  check_values(res.y, {2, 1, 1, 1}, ys);
  check_values(res.y_h, {1, 1, 1}, {h});
  check_values(res.y_c, {1, 1, 1}, {cs});
}

TEST_CASE("LSTM two units, two inputs: gate order i, o, f, c and W/R/B row layout",
          "[ops][recurrent]") {
  Case c;
  c.attrs.hidden_size = 2;
  c.x = T({1, 1, 2}, {0.7f, -0.4f});
  c.w = rnd({1, 8, 2}, 11);
  c.r = rnd({1, 8, 2}, 12);
  c.b = rnd({1, 16}, 13);
  c.init_h = T({1, 1, 2}, {0.3f, -0.6f});
  c.init_c = T({1, 1, 2}, {0.5f, 0.9f});
  Result res = run(c);

  auto W = [&](int row, int col) { return double(c.w.data<float>()[row * 2 + col]); };
  auto R = [&](int row, int col) { return double(c.r.data<float>()[row * 2 + col]); };
  auto Bv = [&](int k) { return double(c.b.data<float>()[k]); };
  const double x0 = 0.7f, x1 = -0.4f, h0 = 0.3f, h1 = -0.6f, c0[2] = {0.5f, 0.9f};
  // Pre-activation of gate g (0 i, 1 o, 2 f, 3 c) for unit j: row g*2 + j.
  auto pre = [&](int g, int j) {
    const int row = g * 2 + j;
    return W(row, 0) * x0 + W(row, 1) * x1 + R(row, 0) * h0 + R(row, 1) * h1 + Bv(row) +
           Bv(8 + row);
  };
  std::vector<double> hs, cs;
  for (int j = 0; j < 2; ++j) {
    const double i = sigmoid(pre(0, j)), o = sigmoid(pre(1, j)), f = sigmoid(pre(2, j));
    const double g = std::tanh(pre(3, j));
    const double cn = f * c0[j] + i * g;
    cs.push_back(cn);
    hs.push_back(o * std::tanh(cn));
  }
  check_values(res.y, {1, 1, 1, 2}, hs);
  check_values(res.y_h, {1, 1, 2}, hs);
  check_values(res.y_c, {1, 1, 2}, cs);
}

TEST_CASE("LSTM peepholes: P in order i, o, f, and o sees the new cell state", "[ops][recurrent]") {
  const Lstm1 p{{0.5, -0.3, 0.8, 0.2}, {0.1, 0.4, -0.2, 0.6}, {0, 0, 0, 0}, {0, 0, 0, 0}};
  const double pi = 0.3, po = -0.5, pf = 0.7;
  Case c;
  c.attrs.hidden_size = 1;
  c.x = T({2, 1, 1}, {1.0f, -0.5f});
  c.w = T({1, 4, 1}, {0.5f, -0.3f, 0.8f, 0.2f});
  c.r = T({1, 4, 1}, {0.1f, 0.4f, -0.2f, 0.6f});
  c.init_h = T({1, 1, 1}, {0.2f});
  c.init_c = T({1, 1, 1}, {-0.4f});
  c.p = T({1, 3}, {0.3f, -0.5f, 0.7f});
  Result res = run(c);

  double h = 0.2, cs = -0.4;
  std::vector<double> ys;
  for (double x : {1.0, -0.5}) {
    const double i = sigmoid(p.pre(0, x, h) + pi * cs);
    const double f = sigmoid(p.pre(2, x, h) + pf * cs);
    const double g = std::tanh(p.pre(3, x, h));
    cs = f * cs + i * g;
    const double o = sigmoid(p.pre(1, x, h) + po * cs);
    h = o * std::tanh(cs);
    ys.push_back(h);
  }
  check_values(res.y, {2, 1, 1, 1}, ys);
  check_values(res.y_c, {1, 1, 1}, {cs});

  // Zero peepholes are the same as none.
  Case zero = c;
  zero.p = T({1, 3}, {0.f, 0.f, 0.f});
  Case none = c;
  none.p = Tensor();
  check_same(run(zero).y, run(none).y, 0.0);
}

TEST_CASE("LSTM input_forget couples the gates: f = 1 - i", "[ops][recurrent]") {
  const Lstm1 p{{0.5, -0.3, 0.8, 0.2}, {0.1, 0.4, -0.2, 0.6}, {0, 0, 0, 0}, {0, 0, 0, 0}};
  Case c;
  c.attrs.hidden_size = 1;
  c.attrs.input_forget = true;
  c.x = T({2, 1, 1}, {1.0f, -0.5f});
  c.w = T({1, 4, 1}, {0.5f, -0.3f, 0.8f, 0.2f});
  c.r = T({1, 4, 1}, {0.1f, 0.4f, -0.2f, 0.6f});
  c.init_h = T({1, 1, 1}, {0.2f});
  c.init_c = T({1, 1, 1}, {-0.4f});
  Result res = run(c);
  double h = 0.2, cs = -0.4;
  std::vector<double> ys;
  for (double x : {1.0, -0.5}) {
    const double i = sigmoid(p.pre(0, x, h));
    const double o = sigmoid(p.pre(1, x, h));
    const double g = std::tanh(p.pre(3, x, h));
    cs = (1.0 - i) * cs + i * g;
    h = o * std::tanh(cs);
    ys.push_back(h);
  }
  check_values(res.y, {2, 1, 1, 1}, ys);
  check_values(res.y_c, {1, 1, 1}, {cs});
}

TEST_CASE("LSTM clip bounds gate pre-activations but not the cell state", "[ops][recurrent]") {
  Case c;
  c.attrs.hidden_size = 1;
  c.attrs.clip = 0.5f;
  c.x = T({1, 1, 1}, {1.0f});
  c.w = T({1, 4, 1}, {3.0f, -2.0f, 4.0f, 5.0f});
  c.r = T({1, 4, 1}, {0.f, 0.f, 0.f, 0.f});
  c.init_c = T({1, 1, 1}, {2.0f});
  Result res = run(c);
  // Pre-activations 3, -2, 4, 5 clip to 0.5, -0.5, 0.5, 0.5.
  const double i = sigmoid(0.5), o = sigmoid(-0.5), f = sigmoid(0.5), g = std::tanh(0.5);
  const double cs = f * 2.0 + i * g;  // about 1.53, left unclipped
  check_values(res.y_c, {1, 1, 1}, {cs});
  check_values(res.y_h, {1, 1, 1}, {o * std::tanh(cs)});
}

TEST_CASE("LSTM with HardSigmoid, LeakyRelu, Softsign and explicit alpha/beta",
          "[ops][recurrent]") {
  const Lstm1 p{{0.9, -1.2, 0.4, -2.0}, {0.3, 0.5, -0.7, 0.8}, {0, 0, 0, 0}, {0, 0, 0, 0}};
  Case c;
  c.attrs.hidden_size = 1;
  c.attrs.activations = {Activation::HardSigmoid, Activation::LeakyRelu, Activation::Softsign};
  // Consumed in order by the functions that take them: HardSigmoid (0.3, 0.4),
  // LeakyRelu (0.05).
  c.attrs.activation_alpha = {0.3f, 0.05f};
  c.attrs.activation_beta = {0.4f};
  c.x = T({2, 1, 1}, {1.0f, 2.5f});
  c.w = T({1, 4, 1}, {0.9f, -1.2f, 0.4f, -2.0f});
  c.r = T({1, 4, 1}, {0.3f, 0.5f, -0.7f, 0.8f});
  c.init_h = T({1, 1, 1}, {0.1f});
  c.init_c = T({1, 1, 1}, {0.6f});
  Result res = run(c);
  auto hard_sigmoid = [](double x) { return std::max(0.0, std::min(1.0, 0.3 * x + 0.4)); };
  auto leaky = [](double x) { return x >= 0 ? x : 0.05 * x; };
  auto softsign = [](double x) { return x / (1.0 + std::fabs(x)); };
  double h = 0.1, cs = 0.6;
  std::vector<double> ys;
  for (double x : {1.0, 2.5}) {
    const double i = hard_sigmoid(p.pre(0, x, h));
    const double o = hard_sigmoid(p.pre(1, x, h));
    const double f = hard_sigmoid(p.pre(2, x, h));
    const double g = leaky(p.pre(3, x, h));  // negative: exercises the slope
    cs = f * cs + i * g;
    h = o * softsign(cs);
    ys.push_back(h);
  }
  check_values(res.y, {2, 1, 1, 1}, ys);
  check_values(res.y_c, {1, 1, 1}, {cs});
}

// Scalar GRU parameters, gates in ONNX order z, r, h.
struct Gru1 {
  double w[3], r[3], wb[3], rb[3];
  double step(double x, double h, bool linear_before_reset) const {
    const double z = sigmoid(w[0] * x + r[0] * h + wb[0] + rb[0]);
    const double rr = sigmoid(w[1] * x + r[1] * h + wb[1] + rb[1]);
    const double cand = linear_before_reset ? std::tanh(w[2] * x + rr * (r[2] * h + rb[2]) + wb[2])
                                            : std::tanh(w[2] * x + r[2] * (rr * h) + rb[2] + wb[2]);
    return (1 - z) * cand + z * h;
  }
};

TEST_CASE("GRU one unit, both linear_before_reset values", "[ops][recurrent]") {
  const Gru1 p{{0.6, -0.4, 1.1}, {0.5, 0.9, -0.8}, {0.1, -0.2, 0.3}, {0.05, 0.15, -0.7}};
  Case c;
  c.op = OpKind::GRU;
  c.attrs.hidden_size = 1;
  c.x = T({2, 1, 1}, {0.8f, -1.5f});
  c.w = T({1, 3, 1}, {0.6f, -0.4f, 1.1f});
  c.r = T({1, 3, 1}, {0.5f, 0.9f, -0.8f});
  c.b = T({1, 6}, {0.1f, -0.2f, 0.3f, 0.05f, 0.15f, -0.7f});
  c.init_h = T({1, 1, 1}, {0.4f});

  std::vector<double> want[2];
  for (int lbr = 0; lbr < 2; ++lbr) {
    double h = 0.4;
    for (double x : {0.8, -1.5}) {
      h = p.step(x, h, lbr == 1);
      want[lbr].push_back(h);
    }
  }
  // The two variants differ by (1 - r) * Rbh in the candidate, visibly here.
  REQUIRE(std::fabs(want[0][0] - want[1][0]) > 1e-3);
  for (int lbr = 0; lbr < 2; ++lbr) {
    INFO("linear_before_reset " << lbr);
    c.attrs.linear_before_reset = lbr == 1;
    Result res = run(c);
    check_values(res.y, {2, 1, 1, 1}, want[lbr]);
    check_values(res.y_h, {1, 1, 1}, {want[lbr][1]});
  }
}

TEST_CASE("GRU two units: (r*h)Rh versus r*(hRh) mix units differently", "[ops][recurrent]") {
  Case c;
  c.op = OpKind::GRU;
  c.attrs.hidden_size = 2;
  c.x = T({1, 1, 1}, {0.5f});
  c.w = rnd({1, 6, 1}, 21);
  c.r = rnd({1, 6, 2}, 22);
  c.init_h = T({1, 1, 2}, {0.7f, -0.9f});
  auto W = [&](int row) { return double(c.w.data<float>()[row]); };
  auto R = [&](int row, int col) { return double(c.r.data<float>()[row * 2 + col]); };
  const double x = 0.5, h[2] = {0.7f, -0.9f};
  // Rows: z0 z1 r0 r1 h0 h1.
  double z[2], r[2];
  for (int j = 0; j < 2; ++j) {
    z[j] = sigmoid(W(j) * x + R(j, 0) * h[0] + R(j, 1) * h[1]);
    r[j] = sigmoid(W(2 + j) * x + R(2 + j, 0) * h[0] + R(2 + j, 1) * h[1]);
  }
  std::vector<double> want0, want1;
  for (int j = 0; j < 2; ++j) {
    const double c0 =
        std::tanh(W(4 + j) * x + R(4 + j, 0) * r[0] * h[0] + R(4 + j, 1) * r[1] * h[1]);
    const double c1 = std::tanh(W(4 + j) * x + r[j] * (R(4 + j, 0) * h[0] + R(4 + j, 1) * h[1]));
    want0.push_back((1 - z[j]) * c0 + z[j] * h[j]);
    want1.push_back((1 - z[j]) * c1 + z[j] * h[j]);
  }
  REQUIRE(std::fabs(want0[0] - want1[0]) + std::fabs(want0[1] - want1[1]) > 1e-3);
  c.attrs.linear_before_reset = false;
  check_values(run(c).y_h, {1, 1, 2}, want0);
  c.attrs.linear_before_reset = true;
  check_values(run(c).y_h, {1, 1, 2}, want1);
}

TEST_CASE("GRU with Relu candidate and HardSigmoid gates (explicit alpha/beta)",
          "[ops][recurrent]") {
  const Gru1 p{{0.6, -0.4, 1.1}, {0.5, 0.9, -0.8}, {0, 0, 0}, {0, 0, 0}};
  Case c;
  c.op = OpKind::GRU;
  c.attrs.hidden_size = 1;
  c.attrs.activations = {Activation::HardSigmoid, Activation::Relu};
  c.attrs.activation_alpha = {0.25f};
  c.attrs.activation_beta = {0.45f};
  c.x = T({2, 1, 1}, {0.8f, -1.5f});
  c.w = T({1, 3, 1}, {0.6f, -0.4f, 1.1f});
  c.r = T({1, 3, 1}, {0.5f, 0.9f, -0.8f});
  c.init_h = T({1, 1, 1}, {0.4f});
  auto hs = [](double v) { return std::max(0.0, std::min(1.0, 0.25 * v + 0.45)); };
  double h = 0.4;
  std::vector<double> ys;
  for (double x : {0.8, -1.5}) {
    const double z = hs(p.w[0] * x + p.r[0] * h);
    const double r = hs(p.w[1] * x + p.r[1] * h);
    const double cand = std::max(0.0, p.w[2] * x + p.r[2] * (r * h));
    h = (1 - z) * cand + z * h;
    ys.push_back(h);
  }
  check_values(run(c).y, {2, 1, 1, 1}, ys);
}

TEST_CASE("GRU clip bounds z, r and the candidate", "[ops][recurrent]") {
  Case c;
  c.op = OpKind::GRU;
  c.attrs.hidden_size = 1;
  c.attrs.clip = 0.25f;
  c.x = T({1, 1, 1}, {1.0f});
  c.w = T({1, 3, 1}, {2.0f, -3.0f, 4.0f});
  c.r = T({1, 3, 1}, {0.f, 0.f, 0.f});
  c.init_h = T({1, 1, 1}, {0.5f});
  const double z = sigmoid(0.25), cand = std::tanh(0.25);
  check_values(run(c).y_h, {1, 1, 1}, {(1 - z) * cand + z * 0.5});
}

TEST_CASE("bidirectional RNN, hand-computed: dir 1 runs backwards with its own weights",
          "[ops][recurrent]") {
  Case c;
  c.op = OpKind::RNN;
  c.attrs.hidden_size = 1;
  c.attrs.direction = Direction::Bidirectional;
  c.attrs.activations = {Activation::Tanh, Activation::Relu};
  c.x = T({2, 1, 1}, {1.0f, 2.0f});
  c.w = T({2, 1, 1}, {0.5f, 0.25f});
  c.r = T({2, 1, 1}, {-0.5f, 2.0f});
  c.b = T({2, 2}, {0.1f, 0.0f, 0.0f, -0.2f});
  Result res = run(c);
  const double f1 = std::tanh(0.5 * 1 + 0.1), f2 = std::tanh(0.5 * 2 - 0.5 * f1 + 0.1);
  const double r2 = std::max(0.0, 0.25 * 2 - 0.2), r1 = std::max(0.0, 0.25 * 1 + 2.0 * r2 - 0.2);
  // Y[t][dir][b][h]; Y_h[dir]: forward ends at t = 1, reverse at t = 0.
  check_values(res.y, {2, 2, 1, 1}, {f1, r1, f2, r2});
  check_values(res.y_h, {2, 1, 1}, {f2, r1});
}

TEST_CASE("sequence_lens, hand-computed: zeros past the end, Y_h from the last valid step",
          "[ops][recurrent]") {
  Case c;
  c.op = OpKind::RNN;
  c.attrs.hidden_size = 1;
  c.attrs.direction = Direction::Reverse;
  c.x = T({3, 2, 1}, {1.0f, 10.0f, 2.0f, 20.0f, 3.0f, 30.0f});
  c.w = T({1, 1, 1}, {0.1f});
  c.r = T({1, 1, 1}, {0.5f});
  c.init_h = T({1, 2, 1}, {0.2f, -0.2f});
  c.seq_lens = Tensor::from_vector<int32_t>({2}, {3, 2});
  Result res = run(c);
  // Batch 0 (length 3): t = 2, 1, 0. Batch 1 (length 2): t = 1, 0; t = 2 is padding.
  const double a2 = std::tanh(0.3 + 0.5 * 0.2), a1 = std::tanh(0.2 + 0.5 * a2),
               a0 = std::tanh(0.1 + 0.5 * a1);
  const double b1 = std::tanh(2.0 - 0.5 * 0.2), b0 = std::tanh(1.0 + 0.5 * b1);
  check_values(res.y, {3, 1, 2, 1}, {a0, b0, a1, b1, a2, 0.0});
  check_values(res.y_h, {1, 2, 1}, {a0, b0});
}

// ---- structural properties -------------------------------------------------

TEST_CASE("reverse direction equals forward on time-reversed input", "[ops][recurrent]") {
  for (OpKind op : kOps) {
    INFO(op_name(op));
    Case fwd = random_case(op, Direction::Forward, 4, 2, 3, 3, 100);
    Case rev = fwd;
    rev.attrs.direction = Direction::Reverse;
    rev.x = reverse_axis(fwd.x, 0);
    Result a = run(fwd), b = run(rev);
    check_same(b.y, reverse_axis(a.y, 0));
    check_same(b.y_h, a.y_h);
    if (op == OpKind::LSTM) check_same(b.y_c, a.y_c);
    // Not trivially symmetric: the reverse run on the original input differs.
    Case rev_same_x = fwd;
    rev_same_x.attrs.direction = Direction::Reverse;
    CHECK_FALSE(run(rev_same_x).y_h.same_content(a.y_h));
  }
}

TEST_CASE("bidirectional equals separate forward and reverse runs", "[ops][recurrent]") {
  for (OpKind op : kOps) {
    for (bool with_lens : {false, true}) {
      INFO(op_name(op) << (with_lens ? " with sequence_lens" : ""));
      Case bi = random_case(op, Direction::Bidirectional, 4, 3, 2, 3, 200);
      // Different activations per direction show each direction gets its own.
      if (op == OpKind::RNN) bi.attrs.activations = {Activation::Tanh, Activation::Relu};
      if (op == OpKind::GRU)
        bi.attrs.activations = {Activation::Sigmoid, Activation::Tanh, Activation::HardSigmoid,
                                Activation::Softsign};
      if (op == OpKind::LSTM)
        bi.attrs.activations = {Activation::Sigmoid,     Activation::Tanh, Activation::Tanh,
                                Activation::HardSigmoid, Activation::Tanh, Activation::LeakyRelu};
      bi.attrs.activation_alpha = {0.3f, 0.1f};
      bi.attrs.activation_beta = {0.6f};
      if (with_lens) bi.seq_lens = Tensor::from_vector<int32_t>({3}, {4, 2, 1});
      Result both = run(bi);

      Case one[2];
      Result sep[2];
      const size_t per_dir = static_cast<size_t>(recurrent_activation_count(op));
      for (int d = 0; d < 2; ++d) {
        Case& c = one[d];
        c = bi;
        c.attrs.direction = d == 0 ? Direction::Forward : Direction::Reverse;
        c.attrs.activations.assign(bi.attrs.activations.begin() + d * per_dir,
                                   bi.attrs.activations.begin() + (d + 1) * per_dir);
        // Only the reverse direction's functions take alpha/beta here.
        if (d == 0) {
          c.attrs.activation_alpha.clear();
          c.attrs.activation_beta.clear();
        }
        c.w = slice_axis(bi.w, 0, d, 1);
        c.r = slice_axis(bi.r, 0, d, 1);
        c.b = slice_axis(bi.b, 0, d, 1);
        c.init_h = slice_axis(bi.init_h, 0, d, 1);
        if (op == OpKind::LSTM) {
          c.init_c = slice_axis(bi.init_c, 0, d, 1);
          c.p = slice_axis(bi.p, 0, d, 1);
        }
        sep[d] = run(c);
      }
      check_same(both.y, concat_axis(sep[0].y, sep[1].y, 1));
      check_same(both.y_h, concat_axis(sep[0].y_h, sep[1].y_h, 0));
      if (op == OpKind::LSTM) check_same(both.y_c, concat_axis(sep[0].y_c, sep[1].y_c, 0));
    }
  }
}

TEST_CASE("layout 1 equals layout 0 with transposed inputs and outputs", "[ops][recurrent]") {
  for (OpKind op : kOps) {
    for (Direction dir : kDirs) {
      INFO(op_name(op) << " " << enum_name(dir));
      Case c0 = random_case(op, dir, 3, 2, 2, 2, 300);
      c0.seq_lens = Tensor::from_vector<int32_t>({2}, {3, 2});
      Case c1 = c0;
      c1.attrs.layout = 1;
      c1.x = permute(c0.x, {1, 0, 2});
      c1.init_h = permute(c0.init_h, {1, 0, 2});
      if (op == OpKind::LSTM) c1.init_c = permute(c0.init_c, {1, 0, 2});
      Result a = run(c0), b = run(c1);
      // Y: [seq, dirs, batch, hidden] -> [batch, seq, dirs, hidden].
      check_same(b.y, permute(a.y, {2, 0, 1, 3}));
      check_same(b.y_h, permute(a.y_h, {1, 0, 2}));
      if (op == OpKind::LSTM) check_same(b.y_c, permute(a.y_c, {1, 0, 2}));
    }
  }
}

TEST_CASE("sequence_lens matches running each batch entry on its own truncated sequence",
          "[ops][recurrent]") {
  const std::vector<int32_t> lens{4, 1, 3, 0};
  for (OpKind op : kOps) {
    for (Direction dir : kDirs) {
      INFO(op_name(op) << " " << enum_name(dir));
      Case full = random_case(op, dir, 4, 4, 2, 3, 400);
      full.seq_lens = Tensor::from_vector<int32_t>({4}, lens);
      Result all = run(full);
      for (int64_t b = 0; b < 4; ++b) {
        INFO("batch entry " << b);
        const int64_t len = lens[static_cast<size_t>(b)];
        Tensor y_b = slice_axis(all.y, 2, b, 1);
        // Padding steps are zero.
        CHECK(all_zero(slice_axis(y_b, 0, len, 4 - len)));
        Tensor h0 = slice_axis(full.init_h, 1, b, 1);
        Tensor c0 = op == OpKind::LSTM ? slice_axis(full.init_c, 1, b, 1) : Tensor();
        if (len == 0) {
          // No step runs: the final state is the initial state.
          check_same(slice_axis(all.y_h, 1, b, 1), h0, 0.0);
          if (op == OpKind::LSTM) check_same(slice_axis(all.y_c, 1, b, 1), c0, 0.0);
          continue;
        }
        Case one = full;
        one.seq_lens = Tensor();
        one.x = slice_axis(slice_axis(full.x, 1, b, 1), 0, 0, len);
        one.init_h = h0;
        one.init_c = c0;
        Result alone = run(one);
        check_same(slice_axis(y_b, 0, 0, len), alone.y);
        check_same(slice_axis(all.y_h, 1, b, 1), alone.y_h);
        if (op == OpKind::LSTM) check_same(slice_axis(all.y_c, 1, b, 1), alone.y_c);
      }
    }
  }
}

TEST_CASE("sequence_lens of zero without initial state gives zero Y_h / Y_c", "[ops][recurrent]") {
  Case c = random_case(OpKind::LSTM, Direction::Bidirectional, 2, 2, 2, 2, 450, true, false);
  c.seq_lens = Tensor::from_vector<int32_t>({2}, {0, 2});
  Result res = run(c);
  CHECK(all_zero(slice_axis(res.y_h, 1, 0, 1)));
  CHECK(all_zero(slice_axis(res.y_c, 1, 0, 1)));
  CHECK(all_zero(slice_axis(res.y, 2, 0, 1)));
  CHECK_FALSE(all_zero(slice_axis(res.y_h, 1, 1, 1)));
}

TEST_CASE("full-length sequence_lens (i32 or i64) equal absent sequence_lens", "[ops][recurrent]") {
  for (OpKind op : kOps) {
    for (Direction dir : kDirs) {
      INFO(op_name(op) << " " << enum_name(dir));
      Case c = random_case(op, dir, 3, 2, 2, 2, 500);
      Result none = run(c);
      c.seq_lens = Tensor::from_vector<int32_t>({2}, {3, 3});
      Result i32 = run(c);
      c.seq_lens = Tensor::from_vector<int64_t>({2}, {3, 3});
      Result i64 = run(c);
      check_same(i32.y, none.y, 0.0);
      check_same(i64.y, none.y, 0.0);
      check_same(i64.y_h, none.y_h, 0.0);
      // i64 lengths shorter than the sequence act like i32 ones.
      c.seq_lens = Tensor::from_vector<int64_t>({2}, {1, 2});
      Result s64 = run(c);
      c.seq_lens = Tensor::from_vector<int32_t>({2}, {1, 2});
      check_same(s64.y, run(c).y, 0.0);
    }
  }
}

TEST_CASE("initial state: zeros equal absent, non-zero changes the result", "[ops][recurrent]") {
  for (OpKind op : kOps) {
    INFO(op_name(op));
    Case with = random_case(op, Direction::Bidirectional, 3, 2, 2, 2, 600);
    Case none = with;
    none.init_h = Tensor();
    none.init_c = Tensor();
    Case zeros = with;
    zeros.init_h = Tensor(DType::f32, with.init_h.shape());
    if (op == OpKind::LSTM) zeros.init_c = Tensor(DType::f32, with.init_c.shape());
    Result a = run(none), z = run(zeros), w = run(with);
    check_same(z.y, a.y, 0.0);
    check_same(z.y_h, a.y_h, 0.0);
    CHECK_FALSE(w.y_h.same_content(a.y_h));
    if (op == OpKind::LSTM) {
      // initial_c alone also matters.
      Case only_c = none;
      only_c.init_c = with.init_c;
      CHECK_FALSE(run(only_c).y_c.same_content(a.y_c));
    }
  }
}

TEST_CASE("any subset of outputs gives the same values", "[ops][recurrent]") {
  for (OpKind op : kOps) {
    INFO(op_name(op));
    Case c = random_case(op, Direction::Bidirectional, 3, 2, 2, 2, 700);
    Result all = run(c);
    Case only_h = c;
    only_h.sel = {.y = false, .y_h = true, .y_c = false};
    Result h = run(only_h);
    CHECK_FALSE(h.y.defined());
    check_same(h.y_h, all.y_h, 0.0);
    Case only_y = c;
    only_y.sel = {.y = true, .y_h = false, .y_c = false};
    check_same(run(only_y).y, all.y, 0.0);
    if (op == OpKind::LSTM) {
      Case only_c = c;
      only_c.sel = {.y = false, .y_h = false, .y_c = true};
      check_same(run(only_c).y_c, all.y_c, 0.0);
    }
  }
}

TEST_CASE("Y_h is the last step of Y without sequence_lens", "[ops][recurrent]") {
  for (OpKind op : kOps) {
    INFO(op_name(op));
    Case c = random_case(op, Direction::Bidirectional, 3, 2, 2, 2, 800);
    Result res = run(c);
    // Forward ends at t = seq - 1, reverse at t = 0.
    check_same(slice_axis(slice_axis(res.y, 0, 2, 1), 1, 0, 1).reshaped({1, 2, 2}),
               slice_axis(res.y_h, 0, 0, 1), 0.0);
    check_same(slice_axis(slice_axis(res.y, 0, 0, 1), 1, 1, 1).reshaped({1, 2, 2}),
               slice_axis(res.y_h, 0, 1, 1), 0.0);
  }
}

TEST_CASE("inferred output types for both layouts", "[ops][recurrent]") {
  for (int64_t layout : {0, 1}) {
    Case c = random_case(OpKind::LSTM, Direction::Bidirectional, 5, 3, 4, 6, 900, true, false);
    c.attrs.layout = layout;
    if (layout == 1) c.x = permute(c.x, {1, 0, 2});
    GraphBuilder gb;
    std::vector<Tensor> feeds;
    RecurrentOutputs o = add_to(gb, c, feeds);
    const TensorType y{DType::f32, layout == 0 ? Shape{5, 2, 3, 6} : Shape{3, 5, 2, 6}};
    const TensorType st{DType::f32, layout == 0 ? Shape{2, 3, 6} : Shape{3, 2, 6}};
    CHECK(gb.type(o.y) == y);
    CHECK(gb.type(o.y_h) == st);
    CHECK(gb.type(o.y_c) == st);
  }
}

TEST_CASE("hidden_size 0 (unset) is taken from R", "[ops][recurrent]") {
  Case c = random_case(OpKind::GRU, Direction::Forward, 2, 1, 2, 3, 1000);
  Result want = run(c);
  c.attrs.hidden_size = 0;
  check_same(run(c).y, want.y, 0.0);
}

// ---- errors -----------------------------------------------------------------

namespace {
Case error_case() {
  Case c = random_case(OpKind::LSTM, Direction::Forward, 2, 1, 3, 2, 1100);
  c.node = "enc_lstm";
  c.w_name = "enc_W";
  return c;
}
void build_only(const Case& c) {
  GraphBuilder gb;
  std::vector<Tensor> feeds;
  add_to(gb, c, feeds);
}
}  // namespace

TEST_CASE("wrong W shape is a ShapeError naming node, tensor, expected and actual",
          "[ops][recurrent]") {
  Case c = error_case();
  c.w = rnd({1, 8, 4}, 1);
  auto e = catch_error<ShapeError>([&] { build_only(c); });
  CHECK(e.site().node == "enc_lstm");
  CHECK(e.site().tensor == "enc_W");
  const std::string m = e.what();
  CHECK(contains(m, "enc_lstm"));
  CHECK(contains(m, "enc_W"));
  CHECK(contains(m, "[1,8,4]"));
  CHECK(contains(m, "expected [1,8,3]"));
}

TEST_CASE("hidden_size attribute that disagrees with W is a ShapeError", "[ops][recurrent]") {
  Case c = error_case();
  c.attrs.hidden_size = 3;
  auto e = catch_error<ShapeError>([&] { build_only(c); });
  CHECK(e.site().node == "enc_lstm");
  CHECK(e.site().tensor == "enc_W");
  const std::string m = e.what();
  CHECK(contains(m, "[1,8,3]"));
  CHECK(contains(m, "expected [1,12,3]"));
  CHECK(contains(m, "hidden_size 2"));
  CHECK(contains(m, "is 3"));
}

TEST_CASE("num_directions that disagrees with direction is a ShapeError", "[ops][recurrent]") {
  Case c = error_case();
  c.attrs.direction = Direction::Bidirectional;
  c.init_h = Tensor();
  c.init_c = Tensor();
  c.p = Tensor();
  c.b = Tensor();
  auto e = catch_error<ShapeError>([&] { build_only(c); });
  CHECK(e.site().tensor == "enc_W");
  const std::string m = e.what();
  CHECK(contains(m, "enc_lstm"));
  CHECK(contains(m, "num_directions 1"));
  CHECK(contains(m, "bidirectional"));
  CHECK(contains(m, "needs 2"));

  // The other way round, on R of a GRU.
  Case g = random_case(OpKind::GRU, Direction::Forward, 2, 1, 3, 2, 1200);
  g.node = "dec_gru";
  g.r = rnd({2, 6, 2}, 5);
  auto e2 = catch_error<ShapeError>([&] { build_only(g); });
  CHECK(e2.site().node == "dec_gru");
  CHECK(e2.site().tensor == "R");
  CHECK(contains(e2.what(), "num_directions 2"));
  CHECK(contains(e2.what(), "needs 1"));
}

TEST_CASE("wrong R, B, initial_h, initial_c, P shapes are ShapeErrors naming the tensor",
          "[ops][recurrent]") {
  struct Bad {
    const char* tensor;
    Tensor Case::*slot;
    Shape shape;
    const char* expected;
  };
  const Bad bad[] = {
      {"R", &Case::r, {1, 8, 3}, "expected [1,8,2]"},
      {"B", &Case::b, {1, 8}, "expected [1,16]"},
      {"h0", &Case::init_h, {1, 2, 2}, "expected [1,1,2]"},
      {"c0", &Case::init_c, {2, 1, 2}, "expected [1,1,2]"},
      {"P", &Case::p, {1, 8}, "expected [1,6]"},
  };
  for (const Bad& b : bad) {
    INFO(b.tensor);
    Case c = error_case();
    c.*b.slot = rnd(b.shape, 7);
    auto e = catch_error<ShapeError>([&] { build_only(c); });
    CHECK(e.site().node == "enc_lstm");
    CHECK(e.site().tensor == b.tensor);
    CHECK(contains(e.what(), shape_str(b.shape)));
    CHECK(contains(e.what(), b.expected));
  }
  // Layout 1 expects initial_h as [batch, dirs, hidden].
  Case c = random_case(OpKind::RNN, Direction::Bidirectional, 2, 3, 2, 2, 1300);
  c.attrs.layout = 1;
  c.x = permute(c.x, {1, 0, 2});
  auto e = catch_error<ShapeError>([&] { build_only(c); });  // h0 still [2,3,2]
  CHECK(e.site().tensor == "h0");
  CHECK(contains(e.what(), "expected [3,2,2]"));
}

TEST_CASE("sequence_lens outside [0, seq] is an InputError at run time", "[ops][recurrent]") {
  for (int32_t bad : {-1, 3}) {
    INFO("length " << bad);
    Case c = error_case();  // seq 2, batch 1
    c.x = rnd({2, 2, 3}, 3);
    c.init_h = Tensor();
    c.init_c = Tensor();
    c.seq_lens = Tensor::from_vector<int32_t>({2}, {2, bad});
    auto e = catch_error<InputError>([&] { run(c); });
    CHECK(e.site().node == "enc_lstm");
    CHECK(e.site().tensor == "lens");
    const std::string m = e.what();
    CHECK(contains(m, fmt::format("sequence_lens[1] = {}", bad)));
    CHECK(contains(m, "[0, 2]"));
  }
}

TEST_CASE("sequence_lens of the wrong dtype or shape is a ShapeError", "[ops][recurrent]") {
  Case c = error_case();
  c.seq_lens = T({1}, {2.f});
  auto e = catch_error<ShapeError>([&] { build_only(c); });
  CHECK(e.site().tensor == "lens");
  CHECK(contains(e.what(), "f32"));
  c.seq_lens = Tensor::from_vector<int32_t>({2}, {2, 2});
  auto e2 = catch_error<ShapeError>([&] { build_only(c); });
  CHECK(e2.site().tensor == "lens");
  CHECK(contains(e2.what(), "expected [1]"));
}

TEST_CASE("bad attributes and X are errors naming the node", "[ops][recurrent]") {
  {
    Case c = error_case();
    c.attrs.activations = {Activation::Sigmoid, Activation::Tanh};
    auto e = catch_error<ShapeError>([&] { build_only(c); });
    CHECK(e.site().node == "enc_lstm");
    CHECK(contains(e.what(), "activations has 2 entries, expected 3"));
  }
  {
    Case c = error_case();
    c.attrs.layout = 2;
    auto e = catch_error<ShapeError>([&] { build_only(c); });
    CHECK(e.site().node == "enc_lstm");
    CHECK(contains(e.what(), "layout = 2"));
  }
  {
    Case c = error_case();
    c.attrs.clip = -1.f;
    auto e = catch_error<ShapeError>([&] { build_only(c); });
    CHECK(contains(e.what(), "clip"));
  }
  {
    Case c = random_case(OpKind::RNN, Direction::Forward, 2, 1, 2, 2, 1400);
    c.node = "r";
    c.attrs.linear_before_reset = true;
    auto e = catch_error<ShapeError>([&] { build_only(c); });
    CHECK(contains(e.what(), "linear_before_reset applies to GRU only"));
  }
  {
    Case c = error_case();
    c.x = rnd({2, 3}, 1);
    auto e = catch_error<ShapeError>([&] { build_only(c); });
    CHECK(e.site().tensor == "X");
    CHECK(contains(e.what(), "expected rank 3"));
  }
  {
    Case c = error_case();
    c.x = Tensor(DType::f64, {2, 1, 3});
    auto e = catch_error<UnsupportedError>([&] { build_only(c); });
    CHECK(e.site().node == "enc_lstm");
    CHECK(contains(e.what(), "f64"));
  }
  {
    Case c = error_case();
    c.r = Tensor(DType::i32, {1, 8, 2});
    auto e = catch_error<ShapeError>([&] { build_only(c); });
    CHECK(e.site().tensor == "R");
    CHECK(contains(e.what(), "i32"));
  }
}
