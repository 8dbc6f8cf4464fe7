// choose_layout: decides, for each value passed from one kernel group to
// others, whether it is stored in the ONNX row-major layout (NCHW, the
// default) or channel-blocked, NCHW[c] = [n][c / cb][h][w][c % cb] with cb
// the target's f32 vector lanes (16 AVX-512, 8 AVX2, 4 SSE). Only the
// storage of the arena slot changes (same element count, so the same byte
// size); the graph is untouched, and the Halide groups that write or read
// the value index it through the blocked mapping (halide_backend.cpp).
//
// Why: the default schedule computes a conv in tiles of one vector of
// output channels x a few pixels. Written row-major, each tile's vector is
// scattered H*W floats apart (16 scalar stores); blocked, it is one vector
// store, and a consumer vectorized over channels (the residual Add of a
// later conv group) loads it as one vector instead of a gather. Measured
// on one core (AVX-512), row-major conv outputs instead of blocked cost
// 2-3% on 3x3 ResNet layers (512 channels 7x7: 2.12 -> 2.17 ms) and 19% on
// 1x1 stride-2 convs (0.116 -> 0.143 ms), about 1 ms of ResNet-18's 35 ms.
// With this pass (ResNet-18, one core, AVX-512, three interleaved on/off
// runs): whole model min 33.2 / 33.6 / 33.7 ms blocked against 34.9 / 34.4
// / 34.7 ms row-major; per group, 1x1/s2 projection + Add groups 0.17 ->
// 0.125 ms, 3x3 conv groups 2-5% faster.
//
// The rule ("when it pays", and when it is safe): a value is blocked when
//  - it is rank-4 f32 with C a multiple of cb;
//  - its producer is a Halide group whose anchor is a Conv or a
//    BatchNormalization (DenseNet's pre-activation BN+ReLU before each 1x1
//    conv: row-major, the conv's input-channel loop stepped 12.5 KB between
//    planes and thrashed L1 sets; densenet121, one core: 1x1 224->128 at
//    56x56 2.07 -> 1.17 ms, whole model 51 -> 49 ms, the BN groups 1 ms
//    slower in all for writing blocked), and it is the
//    output of the group's last node, which is either the conv's epilogue
//    (the group output is then the conv's register-tile host) or a MaxPool /
//    AveragePool whose windows do not overlap between rows (2x2/s2, (2,1)):
//    that pool is vectorized over channels (the conv value is stored
//    channels innermost for it), so row-major it scattered every vector
//    H*W floats apart. CRNN, 2 threads: conv 1->32 + pool 0.072 -> 0.027 ms,
//    the 32->64 and 64->128 groups 0.20 -> 0.19 ms. Overlapping pools (the
//    ResNet stem's 3x3/s2) slide their conv rows along a row-major loop
//    nest and keep row-major;
//  - it is read by at least one group and every reader is a Halide group
//    that reads it only as the data input of Conv, MaxPool, AveragePool,
//    GlobalAveragePool, GlobalMaxPool, BatchNormalization, as an operand of
//    an elementwise op (Add, Sub, Mul, Div, Relu, LeakyRelu, Sigmoid, Tanh,
//    Clip, Elu) of the same rank-4 shape, ops whose lowering indexes their
//    inputs per element (so blocked reads cost at most what row-major reads
//    do); views (Flatten, Reshape: Alias groups), Gemm/MatMul, movement and
//    recurrent kernels keep row-major;
//  - it is not a graph output or input (what run() returns and takes stays
//    row-major).
// Everything else stays row-major.
//
// Before: a Partition of a verified, shape-inferred graph. After: the same
// partition, each group's input_blocks / output_blocks filled (both sides
// of an edge agree: a value has one layout).
#include "compiler/passes/choose_layout.h"

#include <algorithm>

namespace loom {

namespace {

bool reads_blocked_ok(const Graph& g, const Node& n, size_t input, ValueId v) {
  const Shape& s = g.type_of(v).shape;
  switch (n.op) {
    case OpKind::Conv:
    case OpKind::MaxPool:
    case OpKind::AveragePool:
    case OpKind::GlobalAveragePool:
    case OpKind::GlobalMaxPool:
    case OpKind::BatchNormalization:
      return input == 0;
    default:
      return is_elementwise(n.op) && n.has_output(0) && g.type_of(n.outputs[0]).shape == s;
  }
}

bool is_pool(OpKind op) {
  return op == OpKind::MaxPool || op == OpKind::AveragePool || op == OpKind::GlobalAveragePool ||
         op == OpKind::GlobalMaxPool;
}

// A MaxPool/AveragePool whose windows do not overlap between output rows:
// the default schedule computes its conv rows inside its row loop.
bool pool_rows_independent(const Node& n) {
  if (n.op != OpKind::MaxPool && n.op != OpKind::AveragePool) return false;
  const PoolAttrs& a = n.attr<PoolAttrs>();
  if (a.kernel_shape.size() != 2) return false;
  const int64_t stride = a.strides.size() == 2 ? a.strides[0] : 1;
  const int64_t dilation = a.dilations.size() == 2 ? a.dilations[0] : 1;
  return (a.kernel_shape[0] - 1) * dilation + 1 <= stride;
}

}  // namespace

void choose_layout(const Graph& graph, Partition& part, int block,
                   const std::function<bool(const KernelGroup&)>& may_block) {
  for (KernelGroup& gr : part.groups) {
    gr.input_blocks.assign(gr.inputs.size(), 0);
    gr.output_blocks.assign(gr.outputs.size(), 0);
  }
  if (block <= 0) return;
  std::vector<int> group_of_node(graph.nodes.size(), -1);
  for (const KernelGroup& gr : part.groups)
    for (size_t ni : gr.nodes)
      group_of_node[ni] = gr.id;
  std::vector<bool> boundary(graph.values.size(), false);
  for (ValueId v : graph.outputs)
    boundary[static_cast<size_t>(v)] = true;
  for (ValueId v : graph.inputs)
    boundary[static_cast<size_t>(v)] = true;

  std::vector<int> chosen(graph.values.size(), 0);
  for (KernelGroup& gr : part.groups) {
    if (gr.backend != GroupBackend::Halide || gr.nodes.empty()) continue;
    const OpKind anchor = graph.nodes[gr.nodes.front()].op;
    if (anchor != OpKind::Conv && anchor != OpKind::BatchNormalization) continue;
    if (may_block && !may_block(gr)) continue;
    bool has_pool = false;
    for (size_t ni : gr.nodes)
      has_pool |= is_pool(graph.nodes[ni].op);
    const Node& last = graph.nodes[gr.nodes.back()];
    if (has_pool && !pool_rows_independent(last)) continue;
    for (size_t oi = 0; oi < gr.outputs.size(); ++oi) {
      const ValueId v = gr.outputs[oi];
      if (last.outputs.empty() || last.outputs[0] != v || boundary[static_cast<size_t>(v)])
        continue;
      const TensorType& t = graph.type_of(v);
      if (t.dtype != DType::f32 || t.rank() != 4 || t.shape[1] % block != 0 || t.shape[1] == 0)
        continue;
      bool ok = true, read = false;
      for (size_t ni = 0; ni < graph.nodes.size() && ok; ++ni) {
        const Node& n = graph.nodes[ni];
        for (size_t i = 0; i < n.inputs.size() && ok; ++i) {
          if (n.inputs[i] != v) continue;
          read = true;
          const KernelGroup& reader = part.groups[static_cast<size_t>(group_of_node[ni])];
          ok = reader.backend == GroupBackend::Halide && reads_blocked_ok(graph, n, i, v);
        }
      }
      if (ok && read) {
        gr.output_blocks[oi] = block;
        chosen[static_cast<size_t>(v)] = block;
      }
    }
  }
  for (KernelGroup& gr : part.groups)
    for (size_t i = 0; i < gr.inputs.size(); ++i)
      gr.input_blocks[i] = chosen[static_cast<size_t>(gr.inputs[i])];
}

}  // namespace loom
