// Each structural rule of the verifier, with the element its message names.
#include <catch2/catch.hpp>

#include "ir/graph.h"
#include "ir/verifier.h"

using namespace loom;
using Catch::Matchers::Contains;

namespace {

// x:f32[2] -> Relu "r" -> y
Graph small_graph() {
  Graph g;
  g.name = "g";
  ValueId x = g.add_value("x", TensorType{DType::f32, {2}});
  g.inputs.push_back(x);
  g.add_node("r", OpKind::Relu, NoAttrs{}, {x}, {"y"});
  g.outputs.push_back(g.nodes.back().outputs[0]);
  return g;
}

template <class Mutate>
std::string verify_message(Mutate&& mutate) {
  Graph g = small_graph();
  mutate(g);
  try {
    verify(g);
  } catch (const VerifyError& e) {
    return e.what();
  }
  FAIL("verify() accepted an invalid graph");
  return {};
}

}  // namespace

TEST_CASE("verifier accepts a well-formed graph", "[verifier]") {
  REQUIRE_NOTHROW(verify(small_graph()));
}

TEST_CASE("verifier rejects duplicate value names", "[verifier]") {
  auto msg = verify_message([](Graph& g) { g.add_value("x", TensorType{DType::f32, {1}}); });
  CHECK_THAT(msg, Contains("tensor 'x'") && Contains("more than once"));
}

TEST_CASE("verifier rejects an empty value name", "[verifier]") {
  auto msg = verify_message([](Graph& g) { g.values[0].name = ""; });
  CHECK_THAT(msg, Contains("empty name"));
}

TEST_CASE("verifier rejects a constant whose declared type disagrees with its data", "[verifier]") {
  auto msg = verify_message([](Graph& g) {
    ValueId c = g.add_constant("c", Tensor(DType::f32, {3}));
    g.value(c).type = TensorType{DType::f32, {4}};
  });
  CHECK_THAT(msg, Contains("tensor 'c'") && Contains("f32[4]") && Contains("f32[3]"));
}

TEST_CASE("verifier rejects untyped, constant and repeated graph inputs", "[verifier]") {
  CHECK_THAT(verify_message([](Graph& g) { g.values[0].type.reset(); }),
             Contains("tensor 'x'") && Contains("no declared type"));
  CHECK_THAT(verify_message([](Graph& g) {
               ValueId c = g.add_constant("w", Tensor(DType::f32, {2}));
               g.inputs.push_back(c);
             }),
             Contains("tensor 'w'") && Contains("constant"));
  CHECK_THAT(verify_message([](Graph& g) { g.inputs.push_back(g.inputs[0]); }),
             Contains("tensor 'x'") && Contains("twice"));
  CHECK_THAT(verify_message([](Graph& g) { g.inputs.push_back(42); }),
             Contains("unknown value id 42"));
}

TEST_CASE("verifier rejects duplicate node names", "[verifier]") {
  auto msg = verify_message(
      [](Graph& g) { g.add_node("r", OpKind::Relu, NoAttrs{}, {g.inputs[0]}, {"z"}); });
  CHECK_THAT(msg, Contains("node 'r' (Relu)") && Contains("more than one node"));
}

TEST_CASE("verifier checks input and output arity against the op", "[verifier]") {
  CHECK_THAT(verify_message(
                 [](Graph& g) { g.add_node("add", OpKind::Add, NoAttrs{}, {g.inputs[0]}, {"s"}); }),
             Contains("node 'add' (Add)") && Contains("has 1 inputs, expected 2"));
  CHECK_THAT(verify_message([](Graph& g) {
               g.add_node("cat", OpKind::Concat, AxisAttrs{.axis = 0}, {}, {"s"});
             }),
             Contains("node 'cat' (Concat)") && Contains("expected at least 1"));
  CHECK_THAT(verify_message([](Graph& g) {
               g.add_node("conv", OpKind::Conv, ConvAttrs{}, {g.inputs[0]}, {"s"});
             }),
             Contains("node 'conv' (Conv)") && Contains("expected 2 to 3"));
  CHECK_THAT(verify_message([](Graph& g) {
               g.add_node("r2", OpKind::Relu, NoAttrs{}, {g.inputs[0]}, {"a", "b"});
             }),
             Contains("node 'r2' (Relu)") && Contains("has 2 outputs"));
}

TEST_CASE("verifier rejects attributes of the wrong kind", "[verifier]") {
  auto msg = verify_message([](Graph& g) { g.nodes[0].attrs = ConvAttrs{}; });
  CHECK_THAT(msg, Contains("node 'r' (Relu)") && Contains("wrong kind"));
}

TEST_CASE("verifier rejects an absent required input", "[verifier]") {
  auto msg = verify_message([](Graph& g) {
    g.add_node("mm", OpKind::MatMul, NoAttrs{}, {g.inputs[0], kNoValue}, {"p"});
  });
  CHECK_THAT(msg, Contains("node 'mm' (MatMul)") && Contains("required input 1 is absent"));
}

TEST_CASE("verifier rejects references to unknown values", "[verifier]") {
  auto msg = verify_message([](Graph& g) { g.nodes[0].inputs[0] = 99; });
  CHECK_THAT(msg, Contains("node 'r' (Relu)") && Contains("unknown value id 99"));
}

TEST_CASE("verifier rejects use before definition", "[verifier]") {
  auto msg = verify_message([](Graph& g) {
    // A node that reads "late", which is only produced by a later node.
    ValueId late = g.add_value("late");
    g.nodes.insert(g.nodes.begin(),
                   Node{"early", OpKind::Relu, NoAttrs{}, {late}, {g.add_value("e")}});
    g.nodes.push_back(Node{"producer", OpKind::Relu, NoAttrs{}, {g.inputs[0]}, {late}});
  });
  CHECK_THAT(msg, Contains("node 'early' (Relu)") && Contains("tensor 'late'") &&
                      Contains("before it is defined"));
}

TEST_CASE("verifier rejects a value defined twice", "[verifier]") {
  auto msg = verify_message([](Graph& g) {
    g.nodes.push_back(
        Node{"again", OpKind::Relu, NoAttrs{}, {g.inputs[0]}, {g.nodes[0].outputs[0]}});
  });
  CHECK_THAT(msg, Contains("node 'again' (Relu)") && Contains("tensor 'y'") &&
                      Contains("already defined"));
}

TEST_CASE("verifier rejects a node without outputs", "[verifier]") {
  auto msg = verify_message([](Graph& g) {
    g.nodes.push_back(Node{"lstm",
                           OpKind::LSTM,
                           RecurrentAttrs{},
                           {g.inputs[0], g.inputs[0], g.inputs[0]},
                           {kNoValue, kNoValue, kNoValue}});
  });
  CHECK_THAT(msg, Contains("node 'lstm' (LSTM)") && Contains("no outputs"));
}

TEST_CASE("verifier rejects missing and unproduced graph outputs", "[verifier]") {
  CHECK_THAT(verify_message([](Graph& g) { g.outputs.clear(); }),
             Contains("graph 'g' has no outputs"));
  CHECK_THAT(verify_message([](Graph& g) { g.outputs.push_back(g.add_value("dangling")); }),
             Contains("tensor 'dangling'") && Contains("never produced"));
}

TEST_CASE("verifier rejects a graph input with a negative dimension", "[verifier]") {
  auto msg = verify_message([](Graph& g) { g.values[0].type->shape = {2, -3}; });
  CHECK_THAT(msg, Contains("tensor 'x'") && Contains("[2,-3]") && Contains("negative"));
}
