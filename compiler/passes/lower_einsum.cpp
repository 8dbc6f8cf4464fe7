// lower_einsum: rewrites every Einsum into the ops the backends already
// generate fast code for: Transpose, Reshape, MatMul (batched, broadcasting),
// ReduceSum, and a Mul by an identity mask for a label repeated within one
// operand (a diagonal, "ii->i").
//
// Why: an Einsum is a batched matrix product in disguise (the attention of
// maxvit is "bghid,bghjd->bghij"); expressed as MatMul it gets MatMul's
// schedule, its movement groups and everything that later improves them,
// on every target, instead of a generic reduction of its own.
//
// How, per Einsum: each operand loses its repeated labels (mask and sum) and
// the labels no other operand and not the output uses (ReduceSum). Operands
// are then combined left to right: the labels both share and something
// later needs are batch dims, the shared ones nothing later needs are
// contracted, the rest are rows (left) and columns (right):
//   A -> [batch, rows, contracted] -> [batch, R, K]
//   B -> [batch, contracted, cols] -> [batch, K, C]
//   MatMul -> [batch, R, C] -> [batch, rows..., cols...]
// A contracted label that one operand only broadcasts (an ellipsis axis of
// extent 1) is summed out of the other first. Finally the labels the output
// does not keep are summed and the rest transposed to the output's order.
// Transposes and reshapes that would not change anything are not emitted.
//
// Before: a verified, shape-inferred graph. After: the same with no Einsum;
// the last node of each rewrite produces the Einsum's output value, so
// readers and graph outputs are untouched.
#include <algorithm>
#include <numeric>

#include <fmt/format.h>

#include "compiler/passes/graph_edit.h"
#include "compiler/passes/passes.h"
#include "ir/einsum.h"
#include "ir/shape_inference.h"

namespace loom {

namespace {

struct Operand {
  ValueId value;
  std::vector<int> labels;  // one per axis
  Shape shape;
};

template <class T>
bool contains(const std::vector<T>& v, T x) {
  return std::find(v.begin(), v.end(), x) != v.end();
}

int64_t product(const Shape& s) {
  return std::accumulate(s.begin(), s.end(), int64_t{1}, std::multiplies<>());
}

// An identity mask over axes p and q (extent n) of a rank-`rank` operand:
// 1 where the two indices agree, broadcast over every other axis.
Tensor identity_mask(DType dtype, size_t rank, size_t p, size_t q, int64_t n) {
  Shape shape(rank, 1);
  shape[p] = shape[q] = n;
  Tensor t(dtype, shape);
  std::fill_n(t.raw(), t.numel() * static_cast<int64_t>(dtype_size(dtype)), std::byte{0});
  for (int64_t i = 0; i < n; ++i) {
    const int64_t at = i * n + i;
    switch (dtype) {
      case DType::f64:
        t.data<double>()[at] = 1.0;
        break;
      case DType::i32:
        t.data<int32_t>()[at] = 1;
        break;
      case DType::i64:
        t.data<int64_t>()[at] = 1;
        break;
      default:
        t.data<float>()[at] = 1.f;
        break;
    }
  }
  return t;
}

class EinsumRewrite {
 public:
  EinsumRewrite(Graph& g, const Node& einsum) : g_(g), einsum_(einsum) {}

  // The nodes that compute the Einsum, in order; the last writes its output.
  std::vector<Node> run() {
    std::vector<Shape> shapes;
    for (ValueId in : einsum_.inputs)
      shapes.push_back(g_.type_of(in).shape);
    std::string error;
    if (!bind_einsum(einsum_.attr<EinsumAttrs>().equation, shapes, spec_, error))
      throw ShapeError(error, g_.site(einsum_));
    dtype_ = g_.type_of(einsum_.inputs[0]).dtype;

    std::vector<Operand> ops;
    for (size_t i = 0; i < einsum_.inputs.size(); ++i)
      ops.push_back({einsum_.inputs[i], spec_.operands[i], shapes[i]});
    for (Operand& op : ops)
      take_diagonals(op);
    Operand acc = ops[0];
    for (size_t i = 1; i <= ops.size(); ++i) {
      std::vector<int> later = spec_.output;  // what the operands after ops[i] and the output use
      for (size_t j = i + 1; j < ops.size(); ++j)
        later.insert(later.end(), ops[j].labels.begin(), ops[j].labels.end());
      if (i == ops.size()) {
        sum_out(acc, later);
        break;
      }
      Operand& b = ops[i];
      std::vector<int> needs_a = later, needs_b = later;
      needs_a.insert(needs_a.end(), b.labels.begin(), b.labels.end());
      needs_b.insert(needs_b.end(), acc.labels.begin(), acc.labels.end());
      sum_out(acc, needs_a);
      sum_out(b, needs_b);
      acc = multiply(acc, b, later);
    }
    to_output_order(acc);
    if (emitted_.empty()) emit(OpKind::Identity, NoAttrs{}, {acc.value}, "identity");
    emitted_.back().outputs[0] = einsum_.outputs[0];
    return std::move(emitted_);
  }

 private:
  ValueId emit(OpKind op, Attrs attrs, std::vector<ValueId> inputs, const char* what) {
    const std::string base = fmt::format("{}/{}{}", einsum_.name, what, step_++);
    const size_t at = g_.add_node(g_.unique_node_name(base), op, std::move(attrs),
                                  std::move(inputs), {g_.unique_value_name(base)});
    emitted_.push_back(std::move(g_.nodes[at]));
    g_.nodes.pop_back();
    return emitted_.back().outputs[0];
  }

  void reshape(Operand& op, const Shape& shape) {
    if (shape == op.shape) return;
    op.value = emit(OpKind::Reshape, ReshapeAttrs{.shape = shape}, {op.value}, "reshape");
    op.shape = shape;
  }

  void transpose(Operand& op, const std::vector<int64_t>& perm) {
    std::vector<int64_t> identity(perm.size());
    std::iota(identity.begin(), identity.end(), 0);
    if (perm == identity) return;
    op.value = emit(OpKind::Transpose, TransposeAttrs{.perm = perm}, {op.value}, "transpose");
    Operand out{op.value, {}, {}};
    for (int64_t p : perm) {
      out.labels.push_back(op.labels[static_cast<size_t>(p)]);
      out.shape.push_back(op.shape[static_cast<size_t>(p)]);
    }
    op = out;
  }

  void reduce_axes(Operand& op, const std::vector<int64_t>& axes) {
    if (axes.empty()) return;
    op.value = emit(OpKind::ReduceSum, ReduceAttrs{.axes = axes, .keepdims = false}, {op.value},
                    "reduce_sum");
    Operand out{op.value, {}, {}};
    for (size_t k = 0; k < op.labels.size(); ++k)
      if (!contains(axes, static_cast<int64_t>(k))) {
        out.labels.push_back(op.labels[k]);
        out.shape.push_back(op.shape[k]);
      }
    op = out;
  }

  // "ii": keeps the entries where the two indices agree, then one axis.
  void take_diagonals(Operand& op) {
    for (size_t p = 0; p < op.labels.size(); ++p)
      for (size_t q = p + 1; q < op.labels.size(); ++q) {
        if (op.labels[p] != op.labels[q]) continue;
        const ValueId mask =
            g_.add_constant(g_.unique_value_name(einsum_.name + "/diagonal_mask"),
                            identity_mask(dtype_, op.labels.size(), p, q, op.shape[p]));
        op.value = emit(OpKind::Mul, NoAttrs{}, {op.value, mask}, "diagonal");
        reduce_axes(op, {static_cast<int64_t>(q)});
        --q;
      }
  }

  // Sums the axes whose labels `needed` does not list.
  void sum_out(Operand& op, const std::vector<int>& needed) {
    std::vector<int64_t> axes;
    for (size_t k = 0; k < op.labels.size(); ++k)
      if (!contains(needed, op.labels[k])) axes.push_back(static_cast<int64_t>(k));
    reduce_axes(op, axes);
  }

  int64_t extent_in(const Operand& op, int label) const {
    for (size_t k = 0; k < op.labels.size(); ++k)
      if (op.labels[k] == label) return op.shape[k];
    return 1;
  }

  Operand multiply(Operand a, Operand b, const std::vector<int>& later) {
    // A contracted label that one side broadcasts: sum(a * b) over it is
    // a * sum(b), so sum it out of the full side and drop the unit axis.
    for (int l : std::vector<int>(a.labels)) {
      if (!contains(b.labels, l) || contains(later, l)) continue;
      const int64_t ea = extent_in(a, l), eb = extent_in(b, l);
      if (ea == eb) continue;
      Operand& full = ea == 1 ? b : a;
      Operand& unit = ea == 1 ? a : b;
      for (size_t k = 0; k < full.labels.size(); ++k)
        if (full.labels[k] == l) {
          reduce_axes(full, {static_cast<int64_t>(k)});
          break;
        }
      drop_unit_axis(unit, l);
    }
    std::vector<int> batch, contracted, rows, cols;
    for (int l : a.labels) {
      if (!contains(b.labels, l))
        rows.push_back(l);
      else
        (contains(later, l) ? batch : contracted).push_back(l);
    }
    for (int l : b.labels)
      if (!contains(a.labels, l)) cols.push_back(l);

    auto perm_of = [](const Operand& op, std::initializer_list<const std::vector<int>*> groups) {
      std::vector<int64_t> perm;
      for (const auto* group : groups)
        for (int l : *group)
          perm.push_back(std::find(op.labels.begin(), op.labels.end(), l) - op.labels.begin());
      return perm;
    };
    auto extents = [this](const Operand& op, const std::vector<int>& labels) {
      Shape s;
      for (int l : labels)
        s.push_back(extent_in(op, l));
      return s;
    };
    transpose(a, perm_of(a, {&batch, &rows, &contracted}));
    transpose(b, perm_of(b, {&batch, &contracted, &cols}));
    const int64_t k = product(extents(a, contracted));
    Shape a_shape = extents(a, batch), b_shape = extents(b, batch);
    a_shape.insert(a_shape.end(), {product(extents(a, rows)), k});
    b_shape.insert(b_shape.end(), {k, product(extents(b, cols))});
    reshape(a, a_shape);
    reshape(b, b_shape);

    Operand out{emit(OpKind::MatMul, NoAttrs{}, {a.value, b.value}, "matmul"), {}, {}};
    for (int l : batch)
      out.shape.push_back(std::max(extent_in(a, l), extent_in(b, l)));
    out.shape.insert(out.shape.end(), {a_shape[a_shape.size() - 2], b_shape.back()});
    Shape split = Shape(out.shape.begin(), out.shape.end() - 2);
    for (const auto* group : {&rows, &cols})
      for (int l : *group)
        split.push_back(spec_.label_size[static_cast<size_t>(l)]);
    out.labels = batch;
    out.labels.insert(out.labels.end(), rows.begin(), rows.end());
    out.labels.insert(out.labels.end(), cols.begin(), cols.end());
    reshape(out, split);
    return out;
  }

  void drop_unit_axis(Operand& op, int label) {
    Operand out{op.value, {}, {}};
    for (size_t k = 0; k < op.labels.size(); ++k)
      if (op.labels[k] != label) {
        out.labels.push_back(op.labels[k]);
        out.shape.push_back(op.shape[k]);
      }
    reshape(op, out.shape);
    op.labels = out.labels;
  }

  void to_output_order(Operand& op) {
    std::vector<int64_t> perm;
    for (int l : spec_.output)
      perm.push_back(std::find(op.labels.begin(), op.labels.end(), l) - op.labels.begin());
    transpose(op, perm);
  }

  Graph& g_;
  const Node& einsum_;
  EinsumSpec spec_;
  DType dtype_ = DType::f32;
  std::vector<Node> emitted_;
  int step_ = 0;
};

}  // namespace

void lower_einsum(Graph& graph) {
  bool changed = false;
  std::vector<Node> nodes;
  std::vector<Node> old = std::move(graph.nodes);
  graph.nodes.clear();
  for (Node& n : old) {
    if (n.op != OpKind::Einsum || !n.has_output(0)) {
      nodes.push_back(std::move(n));
      continue;
    }
    // The rewrite appends to graph.nodes (for unique names) and takes them back.
    graph.nodes = std::move(nodes);
    std::vector<Node> rewrite = EinsumRewrite(graph, n).run();
    nodes = std::move(graph.nodes);
    for (Node& r : rewrite)
      nodes.push_back(std::move(r));
    changed = true;
  }
  graph.nodes = std::move(nodes);
  if (!changed) return;
  compact_values(graph);
  infer_shapes(graph);
}

}  // namespace loom
