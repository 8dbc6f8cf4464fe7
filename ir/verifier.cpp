#include "ir/verifier.h"

#include <unordered_set>

#include <fmt/format.h>

#include "ir/op_signature.h"

namespace loom {

void verify(const Graph& g) {
  const size_t nvalues = g.values.size();
  auto valid = [&](ValueId id) { return id >= 0 && static_cast<size_t>(id) < nvalues; };

  std::unordered_set<std::string> names;
  for (const Value& v : g.values) {
    if (v.name.empty()) throw VerifyError("a value has an empty name");
    if (!names.insert(v.name).second)
      throw VerifyError("value name is defined more than once", ErrorSite{{}, {}, v.name});
    if (v.constant && v.type && *v.type != v.constant->type())
      throw VerifyError(fmt::format("declared type {} does not match its data {}",
                                    type_str(*v.type), type_str(v.constant->type())),
                        ErrorSite{{}, {}, v.name});
  }

  std::vector<bool> defined(nvalues, false);
  std::vector<bool> is_input(nvalues, false);
  for (size_t i = 0; i < nvalues; ++i)
    defined[i] = g.values[i].constant.has_value();
  for (ValueId in : g.inputs) {
    if (!valid(in)) throw VerifyError(fmt::format("graph input refers to unknown value id {}", in));
    const Value& v = g.value(in);
    if (v.constant) throw VerifyError("a graph input cannot also be a constant", g.site(in));
    if (!v.type) throw VerifyError("graph input has no declared type", g.site(in));
    for (int64_t d : v.type->shape)
      if (d < 0)
        throw VerifyError(fmt::format("graph input has shape {} with a negative dimension",
                                      shape_str(v.type->shape)),
                          g.site(in));
    if (is_input[static_cast<size_t>(in)])
      throw VerifyError("graph input listed twice", g.site(in));
    is_input[static_cast<size_t>(in)] = true;
    defined[static_cast<size_t>(in)] = true;
  }

  std::unordered_set<std::string> node_names;
  for (const Node& n : g.nodes) {
    ErrorSite site = g.site(n);
    if (!n.name.empty() && !node_names.insert(n.name).second)
      throw VerifyError("node name is used by more than one node", site);
    OpSignature sig = op_signature(n.op);
    const int nin = static_cast<int>(n.inputs.size());
    const int nout = static_cast<int>(n.outputs.size());
    if (nin < sig.min_inputs || nin > sig.max_inputs) {
      std::string expected = sig.max_inputs == OpSignature::kVariadic
                                 ? fmt::format("at least {}", sig.min_inputs)
                             : sig.min_inputs == sig.max_inputs
                                 ? fmt::format("{}", sig.min_inputs)
                                 : fmt::format("{} to {}", sig.min_inputs, sig.max_inputs);
      throw VerifyError(fmt::format("has {} inputs, expected {}", nin, expected), site);
    }
    if (nout < sig.min_outputs || nout > sig.max_outputs)
      throw VerifyError(
          fmt::format("has {} outputs, expected {} to {}", nout, sig.min_outputs, sig.max_outputs),
          site);
    if (n.attrs.index() != default_attrs(n.op).index())
      throw VerifyError("attributes are of the wrong kind for this op", site);
    for (int i = 0; i < nin; ++i) {
      ValueId in = n.inputs[static_cast<size_t>(i)];
      if (in == kNoValue) {
        if (i < sig.min_inputs)
          throw VerifyError(fmt::format("required input {} is absent", i), site);
        continue;
      }
      if (!valid(in))
        throw VerifyError(fmt::format("input {} refers to unknown value id {}", i, in), site);
      if (!defined[static_cast<size_t>(in)]) {
        site.tensor = g.value(in).name;
        throw VerifyError(fmt::format("input {} is used before it is defined (not a graph input, "
                                      "constant, or output of an earlier node)",
                                      i),
                          site);
      }
    }
    bool any_output = false;
    for (size_t i = 0; i < n.outputs.size(); ++i) {
      ValueId out = n.outputs[i];
      if (out == kNoValue) continue;
      any_output = true;
      if (!valid(out))
        throw VerifyError(fmt::format("output {} refers to unknown value id {}", i, out), site);
      if (defined[static_cast<size_t>(out)]) {
        site.tensor = g.value(out).name;
        throw VerifyError("output is already defined (by an input, a constant or another node)",
                          site);
      }
      defined[static_cast<size_t>(out)] = true;
    }
    if (!any_output) throw VerifyError("node has no outputs", site);
  }

  if (g.outputs.empty()) throw VerifyError(fmt::format("graph '{}' has no outputs", g.name));
  for (ValueId out : g.outputs) {
    if (!valid(out))
      throw VerifyError(fmt::format("graph output refers to unknown value id {}", out));
    if (!defined[static_cast<size_t>(out)])
      throw VerifyError("graph output is never produced", g.site(out));
  }
}

}  // namespace loom
