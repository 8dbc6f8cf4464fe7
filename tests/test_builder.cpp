// GraphBuilder: call sites, generated names, errors raised at the offending
// call, optional inputs/outputs; and the interpreter's run-time input checks.
#include <catch2/catch.hpp>

#include "ir/builder.h"
#include "ir/interpreter.h"

using namespace loom;
using Catch::Matchers::Contains;

TEST_CASE("builder builds a typed graph in call order", "[builder]") {
  GraphBuilder b("mlp");
  Val x = b.input("x", DType::f32, {2, 3});
  Val w = b.constant("w", Tensor::from_vector<float>({3, 2}, {1, 0, 0, 1, 1, 1}));
  Val c = b.constant("c", Tensor::from_vector<float>({2}, {0.5f, -10.f}));
  Val h = b.gemm(x, w, c, {.alpha = 2.f}, "fc");
  Val y = b.relu(h);
  b.output(y, "y");
  Graph g = b.build();

  REQUIRE(g.nodes.size() == 2);
  CHECK(g.nodes[0].name == "fc");
  CHECK(g.nodes[0].op == OpKind::Gemm);
  CHECK(g.nodes[0].attr<GemmAttrs>().alpha == 2.f);
  CHECK(g.nodes[0].attr<GemmAttrs>().beta == 1.f);
  CHECK(g.nodes[1].name == "relu_0");  // generated from the op name
  CHECK(g.value(g.outputs[0]).name == "y");
  CHECK(g.type_of(g.outputs[0]) == TensorType{DType::f32, {2, 2}});

  // y = relu(2 * x.w + c), by hand.
  Interpreter ref(g);
  auto out = ref.run(std::vector<Tensor>{Tensor::from_vector<float>({2, 3}, {1, 2, 3, -1, 0, 4})});
  CHECK(out[0].to_vector<float>() ==
        std::vector<float>{2 * (1 + 3) + 0.5f, 0.f, 2 * (-1 + 4) + 0.5f, 0.f});
}

TEST_CASE("builder names are unique and outputs can be renamed", "[builder]") {
  GraphBuilder b;
  Val x = b.input("x", DType::f32, {4});
  Val a = b.relu(x, "act");
  Val c = b.relu(a, "act");  // same requested name: made unique
  CHECK(b.graph().nodes[0].name == "act");
  CHECK(b.graph().nodes[1].name == "act_1");
  CHECK(b.graph().value(c.id).name != b.graph().value(a.id).name);
  CHECK_THROWS_AS(b.input("x", DType::f32, {1}), VerifyError);
  b.output(c, "result");
  CHECK(b.graph().value(c.id).name == "result");
}

TEST_CASE("builder reports a shape error at the call that causes it", "[builder]") {
  GraphBuilder b;
  Val x = b.input("x", DType::f32, {1, 3, 8, 8});
  Val w = b.constant("w", Tensor(DType::f32, {4, 2, 3, 3}));  // expects 2 input channels
  try {
    b.conv(x, w, {}, {}, "stem");
    FAIL("conv with mismatched channels was accepted");
  } catch (const ShapeError& e) {
    CHECK(e.site().node == "stem");
    CHECK(e.site().op == "Conv");
    CHECK_THAT(std::string(e.what()), Contains("stem"));
  }
  Val v = b.input("v", DType::f32, {2, 3});
  Val u = b.input("u", DType::f32, {4, 3});
  CHECK_THROWS_AS(b.add(v, u, "bad_add"), ShapeError);
}

TEST_CASE("builder handles optional inputs and recurrent output selection", "[builder]") {
  GraphBuilder b("rnn");
  Val x = b.input("x", DType::f32, {5, 2, 3});
  Val w = b.constant("W", Tensor(DType::f32, {1, 4 * 6, 3}));
  Val r = b.constant("R", Tensor(DType::f32, {1, 4 * 6, 6}));
  auto out = b.lstm({.x = x, .w = w, .r = r}, {.hidden_size = 6},
                    {.y = false, .y_h = true, .y_c = false}, "enc");
  CHECK_FALSE(out.y);
  CHECK(out.y_h);
  CHECK_FALSE(out.y_c);
  const Node& n = b.graph().nodes.back();
  CHECK(n.inputs.size() == 3);  // trailing absent inputs dropped
  REQUIRE(n.outputs.size() == 3);
  CHECK(n.outputs[0] == kNoValue);
  CHECK(n.outputs[2] == kNoValue);
  CHECK(b.type(out.y_h) == TensorType{DType::f32, {1, 2, 6}});
  b.output(out.y_h, "h");
  Graph g = b.build();
  // With zero weights every gate is 0.5 and the cell stays 0: h is all zeros.
  auto h = Interpreter(g).run(std::vector<Tensor>{Tensor(DType::f32, {5, 2, 3})});
  for (float v : h[0].values<float>())
    CHECK(v == 0.f);

  GraphBuilder b2;
  Val x2 = b2.input("x", DType::f32, {5, 2, 3});
  CHECK_THROWS_AS(b2.gru({.x = x2, .w = w, .r = r, .initial_c = x2}, {.hidden_size = 6}), Error);
}

TEST_CASE("builder rejects values from nowhere and absent graph outputs", "[builder]") {
  GraphBuilder b;
  CHECK_THROWS_AS(b.output(Val{}), VerifyError);
  CHECK_THROWS_AS(b.relu(Val{12345}), VerifyError);
  CHECK_THROWS_AS(b.concat({Val{}}, 0), VerifyError);
}

TEST_CASE("interpreter checks run-time inputs by name, dtype and shape", "[builder][interpreter]") {
  GraphBuilder b("g");
  Val x = b.input("pixels", DType::f32, {2, 2});
  b.output(b.relu(x), "y");
  Interpreter ref(b.build());

  auto message = [&](auto&& call) -> std::string {
    try {
      call();
    } catch (const InputError& e) {
      return e.what();
    }
    FAIL("bad input accepted");
    return {};
  };
  CHECK_THAT(message([&] { ref.run(std::vector<Tensor>{}); }), Contains("takes 1 inputs, 0 given"));
  CHECK_THAT(message([&] {
               ref.run(std::vector<Tensor>{Tensor(DType::f32, {2, 3})});
             }),
             Contains("'pixels'") && Contains("expected f32[2,2], got f32[2,3]"));
  CHECK_THAT(message([&] {
               ref.run(std::vector<Tensor>{Tensor(DType::i64, {2, 2})});
             }),
             Contains("expected f32[2,2], got i64[2,2]"));
  CHECK_THAT(message([&] {
               ref.run_named({{"pixel", Tensor(DType::f32, {2, 2})}});
             }),
             Contains("'pixels'"));
  auto named = ref.run_named({{"pixels", Tensor::from_vector<float>({2, 2}, {-1, 2, -3, 4})}});
  CHECK(named.at("y").to_vector<float>() == std::vector<float>{0, 2, 0, 4});
}
