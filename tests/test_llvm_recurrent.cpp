// Tests of the LLVM backend's recurrent kernels: differential tests against
// the reference interpreter (the oracle) over many random RNN / GRU / LSTM
// configurations, accuracy of the vectorized activation functions, dumps,
// and the typed errors of the compile and run entry points.
//
// Tolerance of the differential tests: |got - want| <= 1e-5 + 1e-4·|want|.
// The kernels sum in f32 (the oracle in double) and their tanh/sigmoid are
// within 1.5e-7 of the exact functions (checked below); with weights scaled by
// 1/sqrt(hidden) the f32 dot products of up to 300 terms differ from the
// double ones by ~1e-6, and a few such errors compound over the steps.
// (Measured: tanh and sigmoid within 9e-8 absolute, 1.6e-7 relative.)
#include <catch2/catch.hpp>

#include <cmath>
#include <cstdint>
#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <limits>
#include <random>
#include <string>
#include <vector>

#include <fmt/format.h>

#include "backends/llvm/recurrent_kernel.h"
#include "ir/builder.h"
#include "ir/interpreter.h"
#include "runtime/thread_team.h"

using namespace loom;

namespace {

constexpr double kAtol = 1e-5, kRtol = 1e-4;

// Worst tolerance ratio and element count seen by the differential tests.
double g_worst_ratio = 0;
int64_t g_compared = 0;

Tensor uniform(Shape s, std::mt19937& rng, float scale) {
  Tensor t(DType::f32, std::move(s));
  std::uniform_real_distribution<float> dist(-scale, scale);
  float* p = t.data<float>();
  for (int64_t i = 0; i < t.numel(); ++i)
    p[i] = dist(rng);
  return t;
}

struct Config {
  OpKind op = OpKind::LSTM;
  RecurrentAttrs attrs{};
  int64_t seq = 3, batch = 1, input = 4, hidden = 8;
  bool bias = true, peep = false, lens = false, init_h = false, init_c = false;
  bool want_y = true, want_y_h = true, want_y_c = true;
  RecurrentIsa isa = RecurrentIsa::Host;
  int threads = 1;

  std::string describe() const {
    return fmt::format(
        "{} dir {} layout {} seq {} batch {} input {} hidden {} bias {} peep {} lens {} h0 {} "
        "c0 {} clip {} input_forget {} lbr {} acts {} isa {} threads {} outputs {}{}{}",
        op_name(op), enum_name(attrs.direction), attrs.layout, seq, batch, input, hidden, bias,
        peep, lens, init_h, init_c, attrs.clip ? *attrs.clip : 0.f, attrs.input_forget,
        attrs.linear_before_reset, attrs.activations.size(), static_cast<int>(isa), threads, want_y,
        want_y_h, want_y_c);
  }
};

struct Weights {
  Tensor w, r, b, p;
};

struct Inputs {
  Tensor x, lens, h0, c0;
};

struct Outputs {
  Tensor y, y_h, y_c;
};

int64_t dirs(const Config& c) {
  return c.attrs.direction == Direction::Bidirectional ? 2 : 1;
}

Shape state_shape(const Config& c) {
  return c.attrs.layout == 1 ? Shape{c.batch, dirs(c), c.hidden}
                             : Shape{dirs(c), c.batch, c.hidden};
}

Weights make_weights(const Config& c, std::mt19937& rng) {
  const int64_t G = recurrent_gate_count(c.op), D = dirs(c);
  const float s = 1.f / std::sqrt(static_cast<float>(c.hidden));
  Weights w;
  w.w = uniform({D, G * c.hidden, c.input}, rng, s);
  w.r = uniform({D, G * c.hidden, c.hidden}, rng, s);
  if (c.bias) w.b = uniform({D, 2 * G * c.hidden}, rng, s);
  if (c.peep) w.p = uniform({D, 3 * c.hidden}, rng, s);
  return w;
}

Inputs make_inputs(const Config& c, std::mt19937& rng, int lens_mode) {
  Inputs in;
  in.x = c.attrs.layout == 1 ? uniform({c.batch, c.seq, c.input}, rng, 1.f)
                             : uniform({c.seq, c.batch, c.input}, rng, 1.f);
  if (c.lens) {
    std::vector<int32_t> l(static_cast<size_t>(c.batch));
    std::uniform_int_distribution<int64_t> len(0, c.seq);
    for (size_t b = 0; b < l.size(); ++b) {
      // mode 0: full length; 1: random in [0, seq] with a zero and a full entry.
      l[b] = static_cast<int32_t>(lens_mode == 0 ? c.seq : len(rng));
      if (lens_mode == 1 && b == 0) l[b] = 0;
      if (lens_mode == 1 && b == 1) l[b] = static_cast<int32_t>(c.seq);
    }
    in.lens = Tensor::from_vector<int32_t>({c.batch}, l);
  }
  if (c.init_h) in.h0 = uniform(state_shape(c), rng, 1.f);
  if (c.init_c) in.c0 = uniform(state_shape(c), rng, 1.f);
  return in;
}

Outputs run_reference(const Config& c, const Weights& w, const Inputs& in) {
  GraphBuilder gb("llvm_recurrent_ref");
  std::vector<Tensor> feeds;
  auto input = [&](const std::string& name, const Tensor& t) -> Val {
    if (!t.defined()) return {};
    feeds.push_back(t);
    return gb.input(name, t.dtype(), t.shape());
  };
  RecurrentInputs ri;
  ri.x = input("X", in.x);
  ri.w = input("W", w.w);
  ri.r = input("R", w.r);
  ri.b = input("B", w.b);
  ri.sequence_lens = input("lens", in.lens);
  ri.initial_h = input("h0", in.h0);
  ri.initial_c = input("c0", in.c0);
  ri.p = input("P", w.p);
  RecurrentOutputSelection sel{c.want_y, c.want_y_h, c.op == OpKind::LSTM && c.want_y_c};
  RecurrentOutputs o = c.op == OpKind::RNN   ? gb.rnn(ri, c.attrs, sel, "rec")
                       : c.op == OpKind::GRU ? gb.gru(ri, c.attrs, sel, "rec")
                                             : gb.lstm(ri, c.attrs, sel, "rec");
  if (o.y) gb.output(o.y, "Y");
  if (o.y_h) gb.output(o.y_h, "Y_h");
  if (o.y_c) gb.output(o.y_c, "Y_c");
  Interpreter interp(gb.build());
  std::vector<Tensor> outs = interp.run(feeds);
  Outputs res;
  size_t k = 0;
  if (o.y) res.y = outs[k++];
  if (o.y_h) res.y_h = outs[k++];
  if (o.y_c) res.y_c = outs[k++];
  return res;
}

RecurrentLayerSpec make_spec(const Config& c, const Weights& w) {
  RecurrentLayerSpec s;
  s.name = "rec";
  s.op = c.op;
  s.attrs = c.attrs;
  s.seq_len = c.seq;
  s.batch = c.batch;
  s.input_size = c.input;
  s.hidden_size = c.hidden;
  s.w = w.w;
  s.r = w.r;
  s.b = w.b;
  s.p = w.p;
  s.has_sequence_lens = c.lens;
  s.has_initial_h = c.init_h;
  s.has_initial_c = c.init_c;
  s.want_y = c.want_y;
  s.want_y_h = c.want_y_h;
  s.want_y_c = c.want_y_c;
  return s;
}

// Largest violation of the tolerance, as a multiple of it (<= 1 passes).
double worst(const Tensor& got, const Tensor& want, std::string& where) {
  double w = 0;
  auto g = got.values<float>();
  auto e = want.values<float>();
  for (size_t i = 0; i < e.size(); ++i) {
    const double err = std::fabs(static_cast<double>(g[i]) - e[i]);
    const double ratio = err / (kAtol + kRtol * std::fabs(static_cast<double>(e[i])));
    if (!(ratio <= w)) {
      w = std::isnan(ratio) ? 1e30 : ratio;
      where = fmt::format("element {}: got {} want {}", i, g[i], e[i]);
    }
  }
  g_worst_ratio = std::max(g_worst_ratio, w);
  g_compared += static_cast<int64_t>(e.size());
  return w;
}

void run_and_compare(RecurrentKernel& k, const Config& c, const Weights& w, const Inputs& in) {
  const Outputs want = run_reference(c, w, in);
  const int64_t D = dirs(c);
  Tensor y(DType::f32, c.attrs.layout == 1 ? Shape{c.batch, c.seq, D, c.hidden}
                                           : Shape{c.seq, D, c.batch, c.hidden});
  Tensor y_h(DType::f32, state_shape(c)), y_c(DType::f32, state_shape(c));
  // Poison the outputs so unwritten elements show.
  for (Tensor* t : {&y, &y_h, &y_c})
    std::fill(t->data<float>(), t->data<float>() + t->numel(), std::nanf(""));
  k.run(in.x.data<float>(), in.lens.defined() ? in.lens.data<int32_t>() : nullptr,
        in.h0.defined() ? in.h0.data<float>() : nullptr,
        in.c0.defined() ? in.c0.data<float>() : nullptr, y.data<float>(), y_h.data<float>(),
        y_c.data<float>());
  INFO(c.describe());
  std::string where;
  if (c.want_y) {
    const double r = worst(y, want.y, where);
    INFO("Y " << where);
    CHECK(r <= 1.0);
  }
  if (c.want_y_h) {
    const double r = worst(y_h, want.y_h, where);
    INFO("Y_h " << where);
    CHECK(r <= 1.0);
  }
  if (c.op == OpKind::LSTM && c.want_y_c) {
    const double r = worst(y_c, want.y_c, where);
    INFO("Y_c " << where);
    CHECK(r <= 1.0);
  }
}

// Compiles once and checks several input sets (full and ragged lengths,
// different initial states) against the oracle.
void check_config(const Config& c, uint32_t seed) {
  std::mt19937 rng(seed);
  const Weights w = make_weights(c, rng);
  RecurrentCompileOptions opt;
  opt.isa = c.isa;
  opt.threads = c.threads;
  // Small layers would run their steps on one thread by default; these
  // configurations are here to exercise the lock-step.
  opt.min_step_fmas_per_thread = 0;
  // More threads than cores: the kernel caps its own team, so pass one.
  std::unique_ptr<ThreadTeam> team;
  if (c.threads > ThreadTeam::hardware_threads()) {
    team = std::make_unique<ThreadTeam>(c.threads);
    opt.team = team.get();
  }
  std::unique_ptr<RecurrentKernel> k = compile_recurrent(make_spec(c, w), opt);
  // A second run on the same kernel also checks that no state leaks between runs.
  const std::vector<int> modes = c.lens ? std::vector<int>{0, 1, 1} : std::vector<int>{0, 0};
  for (int mode : modes)
    run_and_compare(*k, c, w, make_inputs(c, rng, mode));
}

const std::vector<Activation> kAllActs = {
    Activation::Relu,       Activation::Tanh,        Activation::Sigmoid,
    Activation::Affine,     Activation::LeakyRelu,   Activation::ThresholdedRelu,
    Activation::ScaledTanh, Activation::HardSigmoid, Activation::Elu,
    Activation::Softsign,   Activation::Softplus};

Config random_config(std::mt19937& rng, OpKind op, int64_t hidden) {
  auto pick = [&](int n) { return std::uniform_int_distribution<int>(0, n - 1)(rng); };
  Config c;
  c.op = op;
  c.hidden = hidden;
  c.seq = 1 + pick(6);
  c.batch = 1 + pick(8);
  c.input = 1 + pick(40);
  c.attrs.direction = static_cast<Direction>(pick(3));
  c.attrs.layout = pick(2);
  c.bias = pick(4) != 0;
  c.lens = pick(2) != 0;
  c.init_h = pick(2) != 0;
  if (op == OpKind::LSTM) {
    c.peep = pick(2) != 0;
    c.init_c = pick(2) != 0;
    c.attrs.input_forget = pick(3) == 0;
  }
  if (op == OpKind::GRU) c.attrs.linear_before_reset = pick(2) != 0;
  if (pick(3) == 0) c.attrs.clip = 0.25f + static_cast<float>(pick(8)) * 0.25f;
  if (pick(3) == 0) {
    // A non-default activation set, with explicit alpha/beta for some.
    const int64_t n = recurrent_activation_count(op) * dirs(c);
    for (int64_t i = 0; i < n; ++i)
      c.attrs.activations.push_back(kAllActs[static_cast<size_t>(pick(11))]);
    if (pick(2)) c.attrs.activation_alpha = {0.5f, 0.3f, 0.7f};
    if (pick(2)) c.attrs.activation_beta = {0.2f, 0.6f};
  }
  c.want_y = pick(5) != 0;
  c.want_y_h = pick(5) != 0;
  c.want_y_c = pick(5) != 0;
  if (!c.want_y && !c.want_y_h && !(op == OpKind::LSTM && c.want_y_c)) c.want_y = true;
  const int isa = pick(4);
  c.isa = isa <= 1 ? RecurrentIsa::Host : isa == 2 ? RecurrentIsa::Avx2 : RecurrentIsa::Generic;
  c.threads = 1 + pick(2);
  return c;
}

}  // namespace

TEST_CASE("LLVM recurrent kernels match the reference on random configurations",
          "[llvm][recurrent]") {
  std::mt19937 rng(20240611);
  const std::vector<int64_t> hiddens = {1, 7, 16, 17, 33, 64, 300, 2, 5, 24, 40};
  for (OpKind op : {OpKind::RNN, OpKind::GRU, OpKind::LSTM}) {
    for (int64_t h : hiddens) {
      // Two random configurations per hidden size and op.
      for (int rep = 0; rep < 2; ++rep) {
        Config c = random_config(rng, op, h);
        if (h == 300) c.seq = std::min<int64_t>(c.seq, 3);
        check_config(c, static_cast<uint32_t>(rng()));
      }
    }
  }
  INFO("worst error / tolerance " << g_worst_ratio);
  CHECK(g_compared > 100000);
  if (std::getenv("LOOM_TEST_VERBOSE"))
    fmt::print("[llvm][recurrent] {} elements, worst error / tolerance {:.3g}\n", g_compared,
               g_worst_ratio);
}

TEST_CASE("LLVM recurrent kernels: every option set explicitly", "[llvm][recurrent]") {
  // Deterministic coverage of each feature at least once, whatever the
  // random draws above did.
  std::vector<Config> cs;
  for (OpKind op : {OpKind::RNN, OpKind::GRU, OpKind::LSTM})
    for (Direction d : {Direction::Forward, Direction::Reverse, Direction::Bidirectional})
      for (int64_t layout : {0, 1}) {
        Config c;
        c.op = op;
        c.attrs.direction = d;
        c.attrs.layout = layout;
        c.seq = 5;
        c.batch = 3;
        c.input = 6;
        c.hidden = 17;
        c.lens = true;
        c.init_h = true;
        c.init_c = op == OpKind::LSTM;
        c.peep = op == OpKind::LSTM;
        c.threads = 2;
        cs.push_back(c);
      }
  Config lstm_if;
  lstm_if.attrs.input_forget = true;
  lstm_if.attrs.clip = 0.5f;
  lstm_if.peep = true;
  lstm_if.batch = 2;
  lstm_if.hidden = 33;
  cs.push_back(lstm_if);
  for (bool lbr : {false, true}) {
    Config g;
    g.op = OpKind::GRU;
    g.attrs.linear_before_reset = lbr;
    g.attrs.direction = Direction::Bidirectional;
    g.attrs.clip = 0.75f;
    g.batch = 4;
    g.hidden = 64;
    g.threads = 2;
    g.init_h = true;
    cs.push_back(g);
  }
  // Every activation in each slot, with alpha/beta given.
  for (Activation a : kAllActs) {
    Config c;
    c.op = OpKind::LSTM;
    c.attrs.activations = {a, a, a};
    c.attrs.activation_alpha = {0.6f, 0.4f, 0.8f};
    c.attrs.activation_beta = {0.3f, 0.1f, 0.2f};
    c.hidden = 9;
    c.batch = 2;
    c.init_c = true;
    cs.push_back(c);
    Config g = c;
    g.op = OpKind::GRU;
    g.attrs.activations = {a, Activation::Tanh};
    g.init_c = false;
    cs.push_back(g);
  }
  // Three threads on two cores (unpinned), and the forced ISAs.
  Config t3;
  t3.threads = 3;
  t3.hidden = 64;
  t3.attrs.direction = Direction::Bidirectional;
  cs.push_back(t3);
  for (RecurrentIsa isa : {RecurrentIsa::Avx512, RecurrentIsa::Avx2, RecurrentIsa::Generic}) {
    Config c;
    c.isa = isa;
    c.hidden = 13;
    c.batch = 5;
    c.lens = true;
    cs.push_back(c);
  }
  uint32_t seed = 1;
  for (const Config& c : cs)
    check_config(c, seed++);
}

TEST_CASE("LLVM recurrent kernel: i64 sequence_lens, zero-length entries keep the initial state",
          "[llvm][recurrent]") {
  Config c;
  c.op = OpKind::GRU;
  c.lens = true;
  c.init_h = true;
  c.batch = 3;
  c.hidden = 5;
  std::mt19937 rng(7);
  const Weights w = make_weights(c, rng);
  auto k = compile_recurrent(make_spec(c, w), {});
  Inputs in = make_inputs(c, rng, 0);
  const std::vector<int64_t> lens = {0, 3, 2};
  std::vector<float> y(static_cast<size_t>(c.seq * c.batch * c.hidden), 9.f);
  std::vector<float> y_h(static_cast<size_t>(c.batch * c.hidden), 9.f);
  k->run(in.x.data<float>(), lens.data(), in.h0.data<float>(), nullptr, y.data(), y_h.data(),
         nullptr);
  in.lens = Tensor::from_vector<int32_t>({3}, {0, 3, 2});
  const Outputs want = run_reference(c, w, in);
  for (int64_t j = 0; j < c.hidden; ++j) {
    CHECK(y_h[static_cast<size_t>(j)] == in.h0.data<float>()[j]);  // entry 0: no step
    CHECK(y[static_cast<size_t>(j)] == 0.f);                       // Y[t=0, b=0] zero-filled
  }
  for (size_t i = 0; i < y.size(); ++i)
    CHECK(y[i] == Approx(want.y.data<float>()[i]).margin(kAtol));
  for (size_t i = 0; i < y_h.size(); ++i)
    CHECK(y_h[i] == Approx(want.y_h.data<float>()[i]).margin(kAtol));
}

TEST_CASE("vectorized tanh and sigmoid: max error over a dense sweep", "[llvm][recurrent]") {
  std::vector<float> x;
  for (double v = -30.0; v <= 30.0; v += 1.0 / 4096)
    x.push_back(static_cast<float>(v));
  for (float v :
       {0.f, -0.f, 1e-30f, -1e-30f, 1e-8f, 0.39999f, 0.4f, 0.40001f, 88.f, -88.f, 100.f, -100.f})
    x.push_back(v);
  std::vector<float> out(x.size());
  for (RecurrentIsa isa : {RecurrentIsa::Host, RecurrentIsa::Generic}) {
    evaluate_jit_activation({Activation::Tanh}, isa, x.data(), out.data(),
                            static_cast<int64_t>(x.size()));
    double max_abs = 0, max_rel = 0;
    for (size_t i = 0; i < x.size(); ++i) {
      const double want = std::tanh(static_cast<double>(x[i]));
      const double err = std::fabs(out[i] - want);
      max_abs = std::max(max_abs, err);
      if (std::fabs(want) > 1e-30) max_rel = std::max(max_rel, err / std::fabs(want));
    }
    INFO("tanh max abs error " << max_abs << ", max rel error " << max_rel);
    CHECK(max_abs < 1.5e-7);
    CHECK(max_rel < 3e-7);
    CHECK(std::signbit(out[x.size() - 11]));  // tanh(-0) = -0

    evaluate_jit_activation({Activation::Sigmoid}, isa, x.data(), out.data(),
                            static_cast<int64_t>(x.size()));
    max_abs = 0;
    max_rel = 0;
    for (size_t i = 0; i < x.size(); ++i) {
      const double want = 1.0 / (1.0 + std::exp(-static_cast<double>(x[i])));
      const double err = std::fabs(out[i] - want);
      max_abs = std::max(max_abs, err);
      if (want > 1e-30) max_rel = std::max(max_rel, err / want);
    }
    INFO("sigmoid max abs error " << max_abs << ", max rel error " << max_rel);
    CHECK(max_abs < 1.5e-7);
    CHECK(max_rel < 3e-7);
  }
}

TEST_CASE("vectorized activations agree with the reference ActivationFn", "[llvm][recurrent]") {
  std::vector<float> x;
  for (double v = -12.0; v <= 12.0; v += 1.0 / 512)
    x.push_back(static_cast<float>(v));
  std::vector<float> out(x.size());
  for (Activation a : kAllActs) {
    ActivationFn f = default_activation(a);
    if (a == Activation::Affine || a == Activation::ScaledTanh || a == Activation::HardSigmoid) {
      f.alpha = 0.7f;
      f.beta = 0.3f;
    }
    evaluate_jit_activation(f, RecurrentIsa::Host, x.data(), out.data(),
                            static_cast<int64_t>(x.size()));
    double max_err = 0;
    for (size_t i = 0; i < x.size(); ++i) {
      const double want = f(x[i]);
      max_err = std::max(max_err, std::fabs(out[i] - want) / (1.0 + std::fabs(want)));
    }
    INFO(enum_name(a) << " max error " << max_err);
    CHECK(max_err < 1e-6);
  }
}

TEST_CASE("LLVM recurrent kernel dumps .ll and .s", "[llvm][recurrent]") {
  const auto dir = std::filesystem::temp_directory_path() / "loom_rnnjit_dump_test";
  std::filesystem::remove_all(dir);
  std::filesystem::create_directories(dir);
  Config c;
  std::mt19937 rng(3);
  RecurrentLayerSpec s = make_spec(c, make_weights(c, rng));
  s.name = "my/lstm";
  RecurrentCompileOptions opt;
  opt.dump_dir = dir.string();
  auto k = compile_recurrent(s, opt);
  std::ifstream ll(dir / "my_lstm.ll"), as(dir / "my_lstm.s");
  REQUIRE(ll.good());
  REQUIRE(as.good());
  std::string lls((std::istreambuf_iterator<char>(ll)), {});
  std::string ass((std::istreambuf_iterator<char>(as)), {});
  CHECK(lls.find("define void @loom_step_dir0") != std::string::npos);
  // The input projection is not LLVM code (tests/test_projection.cpp checks its dump).
  CHECK(lls.find("loom_input_projection") == std::string::npos);
  CHECK(ass.find("loom_step_dir0") != std::string::npos);
  CHECK(k->info().compile_ms > 0);
  std::filesystem::remove_all(dir);
  opt.dump_dir = (dir / "missing" / "deeper").string();
  CHECK_THROWS_AS(compile_recurrent(s, opt), IOError);
}

TEST_CASE("compile_recurrent and run raise typed errors naming the node", "[llvm][recurrent]") {
  Config c;
  std::mt19937 rng(5);
  const Weights w = make_weights(c, rng);
  RecurrentLayerSpec s = make_spec(c, w);
  s.name = "enc_lstm";
  {
    RecurrentLayerSpec bad = s;
    bad.hidden_size = 9;
    try {
      compile_recurrent(bad);
      FAIL("no error");
    } catch (const ShapeError& e) {
      CHECK(std::string(e.what()).find("enc_lstm") != std::string::npos);
      CHECK(std::string(e.what()).find("W has shape [1,32,4]") != std::string::npos);
    }
  }
  {
    RecurrentLayerSpec bad = s;
    bad.attrs.layout = 2;
    CHECK_THROWS_AS(compile_recurrent(bad), ShapeError);
    bad = s;
    bad.attrs.linear_before_reset = true;
    CHECK_THROWS_AS(compile_recurrent(bad), ShapeError);
    bad = s;
    bad.op = OpKind::Relu;
    CHECK_THROWS_AS(compile_recurrent(bad), UnsupportedError);
    bad = s;
    bad.attrs.activations = {Activation::Tanh};
    CHECK_THROWS_AS(compile_recurrent(bad), ShapeError);
  }
  s.has_sequence_lens = true;
  auto k = compile_recurrent(s);
  std::vector<float> x(static_cast<size_t>(c.seq * c.batch * c.input)),
      y(static_cast<size_t>(c.seq * c.batch * c.hidden)), yh(static_cast<size_t>(c.hidden)),
      yc(yh.size());
  const int32_t too_long = static_cast<int32_t>(c.seq + 1);
  try {
    k->run(x.data(), &too_long, nullptr, nullptr, y.data(), yh.data(), yc.data());
    FAIL("no error");
  } catch (const InputError& e) {
    CHECK(std::string(e.what()).find("sequence_lens") != std::string::npos);
  }
  CHECK_THROWS_AS(k->run(x.data(), static_cast<const int32_t*>(nullptr), nullptr, nullptr, y.data(),
                         yh.data(), yc.data()),
                  InputError);
  const int32_t ok = 2;
  CHECK_THROWS_AS(k->run(x.data(), &ok, nullptr, nullptr, nullptr, yh.data(), yc.data()),
                  InputError);
}

TEST_CASE("LLVM recurrent kernel with zero time steps returns the initial state",
          "[llvm][recurrent]") {
  Config c;
  c.seq = 0;
  c.batch = 2;
  c.hidden = 19;
  c.init_h = true;
  c.init_c = true;
  c.attrs.direction = Direction::Bidirectional;
  std::mt19937 rng(11);
  const Weights w = make_weights(c, rng);
  RecurrentCompileOptions opt;
  opt.threads = 2;
  auto k = compile_recurrent(make_spec(c, w), opt);
  const Tensor h0 = uniform(state_shape(c), rng, 1.f), c0 = uniform(state_shape(c), rng, 1.f);
  std::vector<float> yh(static_cast<size_t>(h0.numel()), 9.f), yc(yh.size(), 9.f);
  float dummy = 0.f;
  k->run(&dummy, static_cast<const int32_t*>(nullptr), h0.data<float>(), c0.data<float>(), &dummy,
         yh.data(), yc.data());
  for (size_t i = 0; i < yh.size(); ++i) {
    CHECK(yh[i] == h0.data<float>()[i]);
    CHECK(yc[i] == c0.data<float>()[i]);
  }
}

TEST_CASE(
    "LLVM recurrent kernel: an infinite recurrent weight still poisons step 0 from a zero state",
    "[llvm][recurrent]") {
  // Step 0 from a zero state skips its matvec only when every recurrent
  // weight is finite: the reference computes inf · 0 = NaN there.
  for (OpKind op : {OpKind::RNN, OpKind::GRU, OpKind::LSTM}) {
    Config c;
    c.op = op;
    c.seq = 3;
    c.batch = 2;
    c.hidden = 17;
    std::mt19937 rng(5);
    Weights w = make_weights(c, rng);
    w.r.data<float>()[3] = std::numeric_limits<float>::infinity();
    auto k = compile_recurrent(make_spec(c, w), RecurrentCompileOptions{});
    const Inputs in = make_inputs(c, rng, 0);
    const Outputs want = run_reference(c, w, in);
    Tensor y(DType::f32, {c.seq, 1, c.batch, c.hidden});
    Tensor y_h(DType::f32, state_shape(c)), y_c(DType::f32, state_shape(c));
    k->run(in.x.data<float>(), static_cast<const int32_t*>(nullptr), nullptr, nullptr,
           y.data<float>(), y_h.data<float>(), y_c.data<float>());
    INFO(op_name(op));
    const auto got = y.values<float>(), ref = want.y.values<float>();
    int64_t nans = 0;
    for (size_t i = 0; i < ref.size(); ++i) {
      INFO("element " << i << " got " << got[i] << " want " << ref[i]);
      REQUIRE(std::isnan(got[i]) == std::isnan(ref[i]));
      nans += std::isnan(ref[i]) ? 1 : 0;
      if (!std::isnan(ref[i]))
        CHECK(std::fabs(got[i] - ref[i]) <= kAtol + kRtol * std::fabs(ref[i]));
    }
    CHECK(nans > 0);
  }
}

TEST_CASE("LLVM recurrent kernel: step loops take threads by the work of a step",
          "[llvm][recurrent]") {
  auto threads_for = [](OpKind op, int64_t hidden, int64_t batch, int64_t min_fmas) {
    Config c;
    c.op = op;
    c.hidden = hidden;
    c.batch = batch;
    c.seq = 2;
    std::mt19937 rng(3);
    RecurrentCompileOptions opt;
    opt.threads = 2;
    opt.min_step_fmas_per_thread = min_fmas;
    ThreadTeam team(2);
    opt.team = &team;
    return compile_recurrent(make_spec(c, make_weights(c, rng)), opt)->info().threads;
  };
  // RNN h32: 32·32 multiply-adds a step, far below a barrier's worth.
  CHECK(threads_for(OpKind::RNN, 32, 1, 32768) == 1);
  CHECK(threads_for(OpKind::RNN, 32, 1, 0) == 2);
  // LSTM h128: 4·128·128 = 64K a step, two threads.
  CHECK(threads_for(OpKind::LSTM, 128, 1, 32768) == 2);
  // GRU h64 at batch 8: 3·64·64·8 = 96K, two threads.
  CHECK(threads_for(OpKind::GRU, 64, 8, 32768) == 2);
}
