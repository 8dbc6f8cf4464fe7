// Import of the recurrent layers RNN, LSTM and GRU: hidden size, direction,
// activations with their alpha/beta, clip, layout, and LSTM's input_forget
// and GRU's linear_before_reset.
#include "compiler/frontend/onnx/import_context.h"

#include <fmt/format.h>

namespace loom::onnx_frontend {

namespace {

RecurrentAttrs read_recurrent(ImportContext& ctx, OpKind op) {
  AttrReader& a = ctx.attrs;
  const ErrorSite& site = ctx.site;
  RecurrentAttrs at;
  at.hidden_size = a.get_int("hidden_size").value_or(0);
  if (at.hidden_size < 0)
    throw ParseError(fmt::format("hidden_size is {}, expected a positive number", at.hidden_size),
                     site);
  if (auto d = a.get_string("direction")) {
    auto v = parse_enum<Direction>(*d);
    if (!v)
      throw UnsupportedError(
          fmt::format("direction '{}' is not one of forward, reverse, bidirectional", *d));
    at.direction = *v;
  }
  if (auto names = a.get_strings("activations")) {
    for (const auto& n : *names) {
      auto v = parse_enum<Activation>(n);
      if (!v) throw UnsupportedError(fmt::format("activation function '{}' is not supported", n));
      at.activations.push_back(*v);
    }
  }
  at.activation_alpha = a.get_floats("activation_alpha").value_or(std::vector<float>{});
  at.activation_beta = a.get_floats("activation_beta").value_or(std::vector<float>{});
  if (auto clip = a.get_float("clip")) at.clip = *clip;
  // output_sequence (opsets 1 to 6) only said whether Y may be omitted; which
  // outputs a node lists decides what Loom computes.
  if (ctx.opset < 7) a.get_bool("output_sequence", false);
  at.layout = a.get_int("layout").value_or(0);
  if (at.layout != 0 && at.layout != 1)
    throw ParseError(fmt::format("layout is {}, expected 0 or 1", at.layout), site);
  if (op == OpKind::LSTM) at.input_forget = a.get_bool("input_forget", false);
  if (op == OpKind::GRU) at.linear_before_reset = a.get_bool("linear_before_reset", false);
  return at;
}

}  // namespace

bool convert_recurrent(ImportContext& ctx, OpKind op, Converted& c) {
  switch (op) {
    case OpKind::RNN:
    case OpKind::LSTM:
    case OpKind::GRU:
      c.attrs = read_recurrent(ctx, op);
      break;
    default:
      return false;
  }
  return true;
}

}  // namespace loom::onnx_frontend
