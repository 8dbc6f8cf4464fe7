// Tests of the graph passes and the partitioner: each pass keeps the numbers
// the reference interpreter computes and has its structural effect.
#include <random>
#include <sstream>

#include "compiler/pass_manager.h"
#include "compiler/passes/partition.h"
#include "compiler/passes/passes.h"
#include "ir/builder.h"
#include "ir/interpreter.h"
#include "ir/shape_inference.h"
#include "tests/test_util.h"

using namespace loom;
using loom::test::f32;
using test::random_f32;

namespace {

int count_ops(const Graph& g, OpKind op) {
  int n = 0;
  for (const Node& node : g.nodes)
    n += node.op == op;
  return n;
}

// Runs `before` and `after` on the same inputs; outputs must agree within eps.
void check_same_outputs(const Graph& before, const Graph& after, double eps = 1e-5) {
  std::vector<Tensor> in;
  uint32_t seed = 7;
  for (ValueId id : before.inputs)
    in.push_back(random_f32(before.type_of(id).shape, seed++));
  auto a = Interpreter(before).run(in);
  auto b = Interpreter(after).run(in);
  REQUIRE(a.size() == b.size());
  for (size_t i = 0; i < a.size(); ++i) {
    REQUIRE(a[i].type() == b[i].type());
    for (int64_t k = 0; k < a[i].numel(); ++k) {
      INFO("output " << i << " element " << k);
      CHECK(b[i].get_as_double(k) == Approx(a[i].get_as_double(k)).epsilon(eps).margin(eps));
    }
  }
}

}  // namespace

TEST_CASE("fold_constants evaluates constant subgraphs and keeps the numbers", "[passes]") {
  GraphBuilder b("fold");
  Val x = b.input("x", DType::f32, {2, 3});
  Val c1 = b.constant("c1", f32({2, 3}, {1, 2, 3, 4, 5, 6}));
  Val c2 = b.constant("c2", f32({2, 3}, {10, 20, 30, 40, 50, 60}));
  Val sum = b.add(c1, c2, "const_add");  // foldable
  Val act = b.relu(b.sub(c1, c2), "r");  // foldable chain: relu(c1 - c2) = 0
  Val y = b.add(b.mul(x, sum), act);
  b.output(y, "y");
  Graph g = b.build();
  Graph folded = g;
  fold_constants(folded);
  infer_shapes(folded);
  CHECK(folded.nodes.size() == 2);  // mul and the final add remain
  CHECK(count_ops(folded, OpKind::Sub) == 0);
  CHECK(count_ops(folded, OpKind::Relu) == 0);
  const ValueId sum_id = *folded.find_value(folded.value(sum.id).name);
  REQUIRE(folded.is_constant(sum_id));
  test::check_values(*folded.value(sum_id).constant, {2, 3}, {11, 22, 33, 44, 55, 66});
  check_same_outputs(g, folded);
  // x = ones: y = 1 * (c1 + c2) + 0.
  auto out = Interpreter(folded).run({f32({2, 3}, {1, 1, 1, 1, 1, 1})});
  test::check_values(out[0], {2, 3}, {11, 22, 33, 44, 55, 66});
}

TEST_CASE("fold_constants leaves outputs above the size limit alone", "[passes]") {
  GraphBuilder b("big");
  Val x = b.input("x", DType::f32, {4});
  Val c = b.constant("c", f32({4}, {1, 2, 3, 4}));
  b.output(b.add(x, b.relu(c, "relu_c")), "y");
  Graph g = b.build();
  fold_constants(g, /*max_elements=*/3);
  CHECK(count_ops(g, OpKind::Relu) == 1);
  fold_constants(g, 4);
  CHECK(count_ops(g, OpKind::Relu) == 0);
}

TEST_CASE("fold_batchnorm folds BN into Conv weights and bias", "[passes]") {
  GraphBuilder b("convbn");
  Val x = b.input("x", DType::f32, {1, 2, 5, 5});
  Val w = b.constant("w", random_f32({3, 2, 3, 3}, 1));
  Val bias = b.constant("b", f32({3}, {0.1f, -0.2f, 0.3f}));
  Val y = b.conv(x, w, bias, {.pads = {1, 1, 1, 1}}, "conv");
  y = b.batch_norm(y, b.constant("scale", f32({3}, {1.5f, -0.5f, 2.f})),
                   b.constant("beta", f32({3}, {0.f, 1.f, -1.f})),
                   b.constant("mean", f32({3}, {0.2f, -0.1f, 0.5f})),
                   b.constant("var", f32({3}, {0.5f, 2.f, 0.25f})), {}, "bn");
  b.output(b.relu(y), "out");
  Graph g = b.build();
  Graph f = g;
  fold_batchnorm(f);
  infer_shapes(f);
  CHECK(count_ops(f, OpKind::BatchNormalization) == 0);
  CHECK(count_ops(f, OpKind::Conv) == 1);
  check_same_outputs(g, f, 1e-5);
  // The folded bias by hand: (b - mean) * scale / sqrt(var + eps) + beta.
  const Node& conv = f.nodes[0];
  const Tensor& nb = *f.value(conv.inputs[2]).constant;
  const double eps = 1e-5;
  test::check_values(nb, {3},
                     {(0.1 - 0.2) * 1.5 / std::sqrt(0.5 + eps) + 0.0,
                      (-0.2 + 0.1) * -0.5 / std::sqrt(2.0 + eps) + 1.0,
                      (0.3 - 0.5) * 2.0 / std::sqrt(0.25 + eps) - 1.0},
                     1e-6);
}

TEST_CASE("fold_batchnorm folds BN into a Gemm and adds a bias to a bias-less Conv", "[passes]") {
  GraphBuilder b("gemmbn");
  Val x = b.input("x", DType::f32, {2, 4});
  Val w = b.constant("w", random_f32({3, 4}, 2));
  Val y = b.gemm(x, w, b.constant("c", f32({3}, {1, 2, 3})),
                 {.alpha = 0.5f, .beta = 2.f, .trans_b = true}, "gemm");
  y = b.batch_norm(y, b.constant("s", f32({3}, {2, 3, 4})), b.constant("t", f32({3}, {1, 1, 1})),
                   b.constant("m", f32({3}, {0, 1, 2})), b.constant("v", f32({3}, {1, 4, 9})), {},
                   "bn");
  b.output(y, "y");
  Graph g = b.build();
  Graph f = g;
  fold_batchnorm(f);
  infer_shapes(f);
  CHECK(count_ops(f, OpKind::BatchNormalization) == 0);
  check_same_outputs(g, f, 1e-5);

  GraphBuilder b2("convbn_nobias");
  Val x2 = b2.input("x", DType::f32, {1, 1, 3, 3});
  Val c = b2.conv(x2, b2.constant("w", f32({1, 1, 1, 1}, {2.f})), {}, {}, "conv");
  Val one = b2.constant("one", f32({1}, {1.f}));
  c = b2.batch_norm(c, b2.constant("s", f32({1}, {3.f})), b2.constant("t", f32({1}, {0.5f})),
                    b2.constant("m", f32({1}, {1.f})), one, {.epsilon = 0.f}, "bn");
  b2.output(c, "y");
  Graph g2 = b2.build();
  fold_batchnorm(g2);
  infer_shapes(g2);
  REQUIRE(g2.nodes.size() == 1);
  // y = (2x - 1) * 3 + 0.5 = 6x - 2.5
  auto out = Interpreter(g2).run({f32({1, 1, 3, 3}, {0, 1, 2, 3, 4, 5, 6, 7, 8})});
  test::check_values(out[0], {1, 1, 3, 3}, {-2.5, 3.5, 9.5, 15.5, 21.5, 27.5, 33.5, 39.5, 45.5});
}

TEST_CASE("fold_batchnorm skips a Conv whose output has another reader", "[passes]") {
  GraphBuilder b("shared");
  Val x = b.input("x", DType::f32, {1, 1, 2, 2});
  Val c = b.conv(x, b.constant("w", f32({1, 1, 1, 1}, {2.f})), {}, {}, "conv");
  Val one = b.constant("one", f32({1}, {1.f}));
  Val zero = b.constant("zero", f32({1}, {0.f}));
  Val bn = b.batch_norm(c, one, zero, zero, one, {}, "bn");
  b.output(b.add(bn, c), "y");
  Graph g = b.build();
  fold_batchnorm(g);
  CHECK(count_ops(g, OpKind::BatchNormalization) == 1);
}

TEST_CASE("eliminate_dead_code drops unused nodes and weights, forwards Identity", "[passes]") {
  GraphBuilder b("dce");
  Val x = b.input("x", DType::f32, {3});
  Val unused_w = b.constant("unused_w", f32({3}, {1, 2, 3}));
  Val dead = b.mul(x, unused_w, "dead_mul");
  (void)b.relu(dead, "dead_relu");
  Val id = b.identity(x, "id");
  Val dr = b.dropout(id, 0.3f, "drop");
  Val y = b.add(dr, b.constant("k", f32({3}, {1, 1, 1})), "add");
  b.output(b.identity(y, "out_id"), "y");
  Graph g = b.build();
  Graph d = g;
  eliminate_dead_code(d);
  infer_shapes(d);
  CHECK(count_ops(d, OpKind::Mul) == 0);
  CHECK(count_ops(d, OpKind::Relu) == 0);
  CHECK(count_ops(d, OpKind::Dropout) == 0);
  CHECK(d.nodes.size() == 2);  // add, and the Identity that names the graph output
  CHECK(!d.find_value("unused_w"));
  CHECK(d.nodes[0].inputs[0] == d.inputs[0]);  // add reads x directly
  check_same_outputs(g, d);
  auto out = Interpreter(d).run({f32({3}, {1, -2, 3})});
  test::check_values(out[0], {3}, {2, -1, 4});
}

TEST_CASE("eliminate_dead_code marks unused recurrent outputs absent", "[passes]") {
  GraphBuilder b("rnn");
  Val x = b.input("x", DType::f32, {2, 1, 2});
  RecurrentInputs in;
  in.x = x;
  in.w = b.constant("w", random_f32({1, 3, 2}, 3));
  in.r = b.constant("r", random_f32({1, 3, 3}, 4));
  RecurrentOutputs o = b.rnn(in, {.hidden_size = 3}, {}, "rnn");
  b.output(o.y_h, "h");
  Graph g = b.build();
  eliminate_dead_code(g);
  infer_shapes(g);
  REQUIRE(g.nodes.size() == 1);
  CHECK(!g.nodes[0].has_output(0));
  CHECK(g.nodes[0].has_output(1));
}

TEST_CASE("pass manager prints after chosen passes and verifies between them", "[passes]") {
  GraphBuilder b("pm");
  Val x = b.input("x", DType::f32, {2});
  Val c = b.relu(b.constant("c", f32({2}, {-1, 1})), "relu_c");
  b.output(b.add(x, c), "y");
  Graph g = b.build();
  std::ostringstream out;
  PassOptions opts;
  opts.print_after = {"fold_constants"};
  opts.verify_each = true;
  opts.print_stream = &out;
  run_passes(g, default_pipeline(), opts);
  const std::string text = out.str();
  CHECK(text.find("IR after fold_constants") != std::string::npos);
  CHECK(text.find("IR after eliminate_dead_code") == std::string::npos);
  CHECK(text.find("Relu") == std::string::npos);  // folded before printing

  std::ostringstream all;
  opts.print_after.clear();
  opts.print_after_all = true;
  opts.print_stream = &all;
  run_passes(g, default_pipeline(), opts);
  // Graph passes print the IR, the passes from "partition" on the partition.
  for (const Pass& p : default_pipeline())
    CHECK(all.str().find("after " + p.name + " ----") != std::string::npos);

  CHECK_THROWS_AS(check_pass_names({"no_such_pass"}), UsageError);
  CHECK_NOTHROW(check_pass_names({"partition", "fold_batchnorm"}));

  // A pass that breaks the graph is named.
  std::vector<Pass> bad = {{"breaker", [](Graph& gr) { gr.nodes[0].inputs.clear(); }}};
  std::string msg = test::error_of<InternalError>([&] { run_passes(g, bad, opts); });
  CHECK(msg.find("breaker") != std::string::npos);
}

TEST_CASE("partition: conv+bias+relu+pool fuse, recurrent alone, views as aliases", "[passes]") {
  GraphBuilder b("crnn");
  Val x = b.input("x", DType::f32, {1, 1, 4, 6});
  Val c =
      b.conv(x, b.constant("w", random_f32({2, 1, 3, 3}, 5)), {}, {.pads = {1, 1, 1, 1}}, "conv");
  c = b.add(c, b.constant("bias", f32({1, 2, 1, 1}, {0.1f, -0.1f})), "bias");
  c = b.relu(c, "relu");
  c = b.max_pool(c, {.kernel_shape = {4, 1}, .strides = {4, 1}}, "pool");  // [1,2,1,6]
  c = b.squeeze(c, {2}, "squeeze");                                        // [1,2,6]
  c = b.transpose(c, {.perm = {2, 0, 1}}, "transpose");                    // [6,1,2]
  RecurrentInputs in;
  in.x = c;
  in.w = b.constant("lw", random_f32({1, 12, 2}, 6));
  in.r = b.constant("lr", random_f32({1, 12, 3}, 7));
  RecurrentOutputs o =
      b.lstm(in, {.hidden_size = 3}, {.y = true, .y_h = false, .y_c = false}, "lstm");
  b.output(b.tanh(b.reshape(o.y, {.shape = {6, 3}}, "flat"), "tanh"), "y");
  Graph g = b.build();
  Partition p = partition_graph(g);
  REQUIRE(p.groups.size() == 6);
  CHECK(p.groups[0].backend == GroupBackend::Halide);
  CHECK(p.groups[0].nodes.size() == 4);  // conv, bias, relu, pool
  CHECK(p.groups[1].backend == GroupBackend::Alias);
  CHECK(p.groups[2].backend == GroupBackend::Movement);
  CHECK(p.groups[3].backend == GroupBackend::Recurrent);
  CHECK(p.groups[4].backend == GroupBackend::Alias);
  CHECK(p.groups[5].backend == GroupBackend::Halide);
  CHECK(p.groups[0].inputs == std::vector<ValueId>{g.inputs[0]});
  CHECK(p.groups[5].outputs == g.outputs);
  const std::string text = p.print(g);
  CHECK(text.find("group 0 [halide]") != std::string::npos);
  CHECK(text.find("group 3 [llvm-recurrent]") != std::string::npos);

  // Each extracted group computes what the same nodes compute in the whole graph.
  Graph sub = p.groups[0].extract(g);
  CHECK(sub.nodes.size() == 4);
  CHECK(sub.inputs.size() == 1);
  Tensor xin = random_f32({1, 1, 4, 6}, 9);
  Graph head = g;
  head.outputs = {p.groups[0].outputs[0]};
  auto want = Interpreter(head).run({xin});
  auto got = Interpreter(sub).run({xin});
  REQUIRE(want[0].numel() == got[0].numel());
  for (int64_t i = 0; i < want[0].numel(); ++i)
    CHECK(got[0].data<float>()[i] == want[0].data<float>()[i]);
}

TEST_CASE(
    "partition: elementwise diamonds fuse, a value a non-elementwise node reads ends a fusion",
    "[passes]") {
  {
    // s is read twice, by elementwise nodes only: one group.
    GraphBuilder b("diamond");
    Val x = b.input("x", DType::f32, {4});
    Val a = b.relu(x, "a");
    Val s = b.sigmoid(a, "s");
    Val t = b.tanh(s, "t");
    Val u = b.mul(s, s, "u");
    b.output(b.add(t, u, "sum"), "y");
    Graph g = b.build();
    Partition p = partition_graph(g);
    REQUIRE(p.groups.size() == 1);
    CHECK(p.groups[0].nodes.size() == g.nodes.size());
    CHECK(p.groups[0].outputs == g.outputs);
  }
  {
    // SiLU after a conv whose output a second conv also reads: the conv's
    // value must be written, so SiLU forms a group of its own.
    GraphBuilder b("shared");
    Val x = b.input("x", DType::f32, {1, 2, 5, 5});
    Val y = b.conv(x, b.constant("w", random_f32({4, 2, 1, 1}, 1)), {}, {}, "conv");
    Val z = b.mul(y, b.sigmoid(y, "sig"), "silu");
    Val w = b.conv(y, b.constant("w2", random_f32({4, 4, 1, 1}, 2)), {}, {}, "conv2");
    b.output(b.add(z, w, "sum"), "out");
    Graph g = b.build();
    Partition p = partition_graph(g);
    REQUIRE(p.groups.size() == 3);
    CHECK(p.groups[0].nodes.size() == 1);  // conv
    CHECK(p.groups[1].nodes.size() == 2);  // sig, silu
    CHECK(p.groups[2].nodes.size() == 2);  // conv2, sum
  }
}
