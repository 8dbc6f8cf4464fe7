#include "ir/graph.h"

#include <unordered_set>

#include <fmt/format.h>

namespace loom {

void Node::throw_attr_mismatch() const {
  throw InternalError(
      fmt::format("attributes of node '{}' ({}) accessed as the wrong kind", name, op_name(op)));
}

ValueId Graph::add_value(std::string value_name, std::optional<TensorType> type) {
  values.push_back(Value{std::move(value_name), std::move(type), std::nullopt});
  return static_cast<ValueId>(values.size() - 1);
}

ValueId Graph::add_constant(std::string value_name, Tensor tensor) {
  TensorType t = tensor.type();
  values.push_back(Value{std::move(value_name), t, std::move(tensor)});
  return static_cast<ValueId>(values.size() - 1);
}

size_t Graph::add_node(std::string node_name, OpKind op, Attrs attrs, std::vector<ValueId> ins,
                       const std::vector<std::string>& output_names) {
  Node n;
  n.name = std::move(node_name);
  n.op = op;
  n.attrs = std::move(attrs);
  n.inputs = std::move(ins);
  for (const std::string& out : output_names)
    n.outputs.push_back(out.empty() ? kNoValue : add_value(out));
  nodes.push_back(std::move(n));
  return nodes.size() - 1;
}

const Value& Graph::value(ValueId id) const {
  if (id < 0 || static_cast<size_t>(id) >= values.size())
    throw InternalError(fmt::format("value id {} out of range ({} values)", id, values.size()));
  return values[static_cast<size_t>(id)];
}

Value& Graph::value(ValueId id) {
  return const_cast<Value&>(static_cast<const Graph*>(this)->value(id));
}

const TensorType& Graph::type_of(ValueId id) const {
  const Value& v = value(id);
  if (!v.type) throw InternalError(fmt::format("type of '{}' used before shape inference", v.name));
  return *v.type;
}

std::optional<ValueId> Graph::find_value(const std::string& value_name) const {
  for (size_t i = 0; i < values.size(); ++i)
    if (values[i].name == value_name) return static_cast<ValueId>(i);
  return std::nullopt;
}

template <class Names>
static std::string unique_from(const Names& taken, const std::string& base) {
  if (!taken.count(base)) return base;
  for (int i = 1;; ++i) {
    std::string candidate = fmt::format("{}_{}", base, i);
    if (!taken.count(candidate)) return candidate;
  }
}

std::string Graph::unique_value_name(const std::string& base) const {
  std::unordered_set<std::string> taken;
  for (const Value& v : values)
    taken.insert(v.name);
  return unique_from(taken, base);
}

std::string Graph::unique_node_name(const std::string& base) const {
  std::unordered_set<std::string> taken;
  for (const Node& n : nodes)
    taken.insert(n.name);
  return unique_from(taken, base);
}

std::vector<int64_t> Graph::producers() const {
  std::vector<int64_t> p(values.size(), -1);
  for (size_t i = 0; i < nodes.size(); ++i)
    for (ValueId out : nodes[i].outputs)
      if (out != kNoValue && static_cast<size_t>(out) < values.size())
        p[static_cast<size_t>(out)] = static_cast<int64_t>(i);
  return p;
}

std::vector<int64_t> Graph::use_counts() const {
  std::vector<int64_t> uses(values.size(), 0);
  for (const Node& n : nodes)
    for (ValueId in : n.inputs)
      if (in != kNoValue && static_cast<size_t>(in) < values.size())
        ++uses[static_cast<size_t>(in)];
  for (ValueId out : outputs)
    if (out != kNoValue && static_cast<size_t>(out) < values.size())
      ++uses[static_cast<size_t>(out)];
  return uses;
}

ErrorSite Graph::site(const Node& node) const {
  return ErrorSite{node.name, std::string(op_name(node.op)), {}};
}

ErrorSite Graph::site(ValueId id) const {
  if (id < 0 || static_cast<size_t>(id) >= values.size()) return {};
  return ErrorSite{{}, {}, values[static_cast<size_t>(id)].name};
}

namespace {

struct Differ {
  const Graph& a;
  const Graph& b;
  std::string diff;

  bool fail(std::string what) {
    if (diff.empty()) diff = std::move(what);
    return false;
  }
  std::string value_name(const Graph& g, ValueId id) const {
    return id == kNoValue ? std::string("<absent>") : g.value(id).name;
  }
  bool same_value(ValueId x, ValueId y) {
    if ((x == kNoValue) != (y == kNoValue)) return false;
    if (x == kNoValue) return true;
    const Value& vx = a.value(x);
    const Value& vy = b.value(y);
    if (vx.name != vy.name) return false;
    if (vx.type != vy.type) return fail(fmt::format("type of '{}' differs", vx.name));
    if (vx.constant.has_value() != vy.constant.has_value())
      return fail(fmt::format("constness of '{}' differs", vx.name));
    if (vx.constant && !vx.constant->same_content(*vy.constant))
      return fail(fmt::format("constant '{}' differs", vx.name));
    return true;
  }
  bool same_list(const std::vector<ValueId>& x, const std::vector<ValueId>& y,
                 const std::string& what) {
    if (x.size() != y.size())
      return fail(fmt::format("{}: {} vs {} entries", what, x.size(), y.size()));
    for (size_t i = 0; i < x.size(); ++i)
      if (!same_value(x[i], y[i]))
        return fail(
            fmt::format("{}[{}]: '{}' vs '{}'", what, i, value_name(a, x[i]), value_name(b, y[i])));
    return true;
  }
  bool run() {
    if (a.name != b.name) return fail(fmt::format("graph name '{}' vs '{}'", a.name, b.name));
    if (!same_list(a.inputs, b.inputs, "graph inputs")) return false;
    if (!same_list(a.outputs, b.outputs, "graph outputs")) return false;
    if (a.nodes.size() != b.nodes.size())
      return fail(fmt::format("{} vs {} nodes", a.nodes.size(), b.nodes.size()));
    for (size_t i = 0; i < a.nodes.size(); ++i) {
      const Node& x = a.nodes[i];
      const Node& y = b.nodes[i];
      if (x.name != y.name) return fail(fmt::format("node {}: '{}' vs '{}'", i, x.name, y.name));
      if (x.op != y.op) return fail(fmt::format("node '{}': op differs", x.name));
      if (!(x.attrs == y.attrs)) return fail(fmt::format("node '{}': attributes differ", x.name));
      if (!same_list(x.inputs, y.inputs, "inputs of node '" + x.name + "'")) return false;
      if (!same_list(x.outputs, y.outputs, "outputs of node '" + x.name + "'")) return false;
    }
    // Constants not reachable through nodes (e.g. unused initializers).
    std::unordered_map<std::string, const Value*> bconst;
    for (const Value& v : b.values)
      if (v.constant) bconst[v.name] = &v;
    size_t aconst = 0;
    for (const Value& v : a.values) {
      if (!v.constant) continue;
      ++aconst;
      auto it = bconst.find(v.name);
      if (it == bconst.end()) return fail(fmt::format("constant '{}' missing", v.name));
      if (!v.constant->same_content(*it->second->constant))
        return fail(fmt::format("constant '{}' differs", v.name));
    }
    if (aconst != bconst.size()) return fail("different number of constants");
    return true;
  }
};

}  // namespace

bool graphs_equal(const Graph& a, const Graph& b, std::string* first_difference) {
  Differ d{a, b, {}};
  bool same = d.run();
  if (!same && first_difference) *first_difference = d.diff;
  return same;
}

}  // namespace loom
