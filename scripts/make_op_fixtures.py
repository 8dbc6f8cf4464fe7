#!/usr/bin/python3
"""Generates tests/fixtures/ops/: small PyTorch models that exercise, through
`loomc check`, the ONNX operators Loom gained recently (activations and unary
math, reductions and ArgMax/ArgMin, Pad and Resize, ConvTranspose, Instance/
Layer normalization and LRN, Split/Tile/DepthToSpace/Cast/Expand, bool masks
with Where) and both kinds of run-time Gather (embedding lookup of int64 or
int32 token ids given as graph inputs, and Gather of one time step out of a
GRU's output).

Each case is a folder in the ONNX backend-test layout (model.onnx +
test_data_set_0/{input,output}_N.pb) whose expected outputs are PyTorch's own
float32 (or int64/int32) results. Run with Debian's interpreter, which has
python3-torch and python3-onnx:

    /usr/bin/python3 scripts/make_op_fixtures.py [OUT_DIR]

The output is deterministic (fixed seeds per case, static shapes, no
timestamps): running it twice writes byte-identical files. CI does not run this
script; it only consumes the committed fixtures. The conventions are those of
scripts/make_recurrent_fixtures.py.

Exporter notes (PyTorch 1.13, whose newest opset is 17):
  * nn.Hardswish is HardSigmoid + Mul at opset 13 and HardSwish at opset 14+;
    nn.LayerNorm is ReduceMean/Sub/Pow/Sqrt/Div at opset 13 and
    LayerNormalization at opset 17. The `_op17` cases export the same module at
    opset 17 for those forms.
  * nn.LocalResponseNorm has no ONNX symbolic: it traces F.local_response_norm
    into Pad/AveragePool plus a Squeeze guarded by an `If` node. The fixtures
    compute LRN with PyTorch's F.local_response_norm but export it, through an
    autograd.Function symbolic, as the ONNX LRN node (same formula for an odd
    size).
  * F.pixel_unshuffle exports as Reshape/Transpose/Reshape (6-D), never
    SpaceToDepth; nn.Threshold with a non-zero threshold does not export; nn.LPPool2d
    exports Pow/AveragePool/Sign, never GlobalLpPool: neither is used.
  * F.pad / nn.*Pad2d compute their `pads` input at opset 11+ with
    Constant -> ConstantOfShape -> Concat -> Reshape -> Slice -> Transpose ->
    Reshape -> Cast, and x.repeat / x.expand(literal sizes) compute the Expand
    shape with ConstantOfShape (and Equal/Where); constant folding in the 1.13
    exporter leaves these chains in the graph, so the fixtures keep them as
    exported (padding, tcn_causal, tile_expand).
"""

import io
import os
import shutil
import sys
import warnings

import numpy as np
import onnx
import torch
import torch.nn as nn
import torch.nn.functional as F
from onnx import numpy_helper

# Shared with the other generators: the checked tensor writer of the recurrent
# fixtures and the causal conv of the zoo's TCN.
sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from make_recurrent_fixtures import write_tensor  # noqa: E402
from zoo import CausalConv1d  # noqa: E402

REPO = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
DEFAULT_OUT = os.path.join(REPO, "tests", "fixtures", "ops")

# Control flow would make a fixture about something else than its ops.
FORBIDDEN_OPS = {"If", "Loop", "Scan"}


def randomize_bn(module):
    """Non-trivial running statistics and affine parameters for every BatchNorm,
    so that folding them into the convolutions is actually exercised."""
    for m in module.modules():
        if isinstance(m, (nn.BatchNorm1d, nn.BatchNorm2d)):
            with torch.no_grad():
                m.running_mean.uniform_(-0.5, 0.5)
                m.running_var.uniform_(0.5, 1.5)
                m.weight.uniform_(0.5, 1.5)
                m.bias.uniform_(-0.3, 0.3)


# --- Models -------------------------------------------------------------------

class Activations(nn.Module):
    """A conv, then every activation of the set on its output, concatenated."""

    def __init__(self):
        super().__init__()
        self.conv = nn.Conv2d(3, 4, 3, padding=1)
        self.acts = nn.ModuleList([
            nn.Hardswish(), nn.Hardsigmoid(), nn.SELU(), nn.CELU(0.7), nn.Softplus(),
            nn.Softplus(beta=2.0), nn.Softsign(), nn.PReLU(4), nn.GELU(),
        ])
        with torch.no_grad():
            self.acts[7].weight.copy_(torch.tensor([0.25, -0.5, 0.1, 2.0]))
            self.conv.weight.mul_(3.0)  # spread values over [-3, 3] and beyond

    def forward(self, x):                        # x: [1, 3, 5, 5]
        h = self.conv(x)
        return torch.cat([a(h) for a in self.acts], dim=1)  # [1, 36, 5, 5]


class ElementwiseMath(nn.Module):
    """Unary math, Pow with constant exponents, Min/Max of two inputs, and a
    bool mask (Greater) between ops feeding Where."""

    def forward(self, a, b):                     # a, b: [2, 3, 4, 5]
        pos_a = torch.abs(a) + 0.5
        unary = torch.cat([
            torch.abs(a), torch.neg(a), torch.exp(a), torch.log(pos_a),
            torch.sqrt(torch.abs(b) + 0.1), torch.reciprocal(pos_a),
            torch.floor(a * 2.0), torch.ceil(a * 2.0),
            torch.pow(a, 2), torch.pow(b, 3.0),
        ], dim=1)
        binary = torch.cat([torch.minimum(a, b), torch.maximum(a, b)], dim=1)
        select = torch.where(a + b > 0, a * b, b - a)
        return unary, binary, select


class SqueezeExcite(nn.Module):
    def __init__(self, c, r):
        super().__init__()
        self.pool = nn.AdaptiveAvgPool2d(1)
        self.fc1 = nn.Conv2d(c, r, 1)
        self.relu = nn.ReLU()
        self.fc2 = nn.Conv2d(r, c, 1)
        self.gate = nn.Hardsigmoid()

    def forward(self, x):
        return x * self.gate(self.fc2(self.relu(self.fc1(self.pool(x)))))


class InvertedResidualSE(nn.Module):
    """MobileNetV3 block: 1x1 expand + BN + Hardswish, depthwise 3x3 + BN +
    Hardswish, squeeze-excite (GlobalAveragePool -> conv -> ReLU -> conv ->
    Hardsigmoid -> Mul), 1x1 project + BN, residual."""

    def __init__(self, c=6, e=12):
        super().__init__()
        self.expand = nn.Sequential(nn.Conv2d(c, e, 1, bias=False), nn.BatchNorm2d(e),
                                    nn.Hardswish())
        self.dw = nn.Sequential(nn.Conv2d(e, e, 3, padding=1, groups=e, bias=False),
                                nn.BatchNorm2d(e), nn.Hardswish())
        self.se = SqueezeExcite(e, 4)
        self.project = nn.Sequential(nn.Conv2d(e, c, 1, bias=False), nn.BatchNorm2d(c))
        randomize_bn(self)

    def forward(self, x):                        # x: [1, 6, 7, 7]
        return x + self.project(self.se(self.dw(self.expand(x))))


class Reductions(nn.Module):
    def forward(self, x):                        # x: [2, 3, 4, 5]
        return (
            x.mean(dim=(2, 3), keepdim=True),    # ReduceMean
            x.amax(dim=1),                       # ReduceMax
            x.max(dim=-1, keepdim=True).values,  # ReduceMax, keepdims
            x.amin(dim=(0, 2)),                  # ReduceMin
            x.sum(dim=(1, 3)),                   # ReduceSum (axes input)
            x.prod(dim=2),                       # ReduceProd
            x.norm(p=2, dim=1),                  # ReduceL2
            x.norm(p=1, dim=(2, 3)),             # ReduceL1
            torch.logsumexp(x, dim=1),           # ReduceLogSumExp
            x.argmax(dim=1),                     # ArgMax, int64
            x.argmin(dim=3, keepdim=True),       # ArgMin, int64, keepdims
        )


class CrnnCtcGreedy(nn.Module):
    """Tiny CRNN with greedy CTC decoding: convs collapse the height, a BiLSTM
    over the width, a Linear, log_softmax, and ArgMax over the classes."""

    def __init__(self, classes=6, hidden=8):
        super().__init__()
        self.features = nn.Sequential(
            nn.Conv2d(1, 4, 3, padding=1), nn.ReLU(), nn.MaxPool2d(2),
            nn.Conv2d(4, 8, 3, padding=1), nn.ReLU(), nn.MaxPool2d((4, 1)),
        )
        self.rnn = nn.LSTM(8, hidden, bidirectional=True)
        self.fc = nn.Linear(2 * hidden, classes)

    def forward(self, x):                        # x: [1, 1, 8, 24]
        f = self.features(x).squeeze(2).permute(2, 0, 1)  # [12, 1, 8]
        y, _ = self.rnn(f)
        logp = F.log_softmax(self.fc(y), dim=2)  # [12, 1, classes]
        return logp, logp.argmax(dim=2)          # best path [12, 1] int64


class TCN(nn.Module):
    """Causal TCN: constant left padding (F.pad) before dilated Conv1d,
    residual blocks with dilations 1, 2, 4, a 1x1 head."""

    def __init__(self, c=4):
        super().__init__()
        self.inp = nn.Conv1d(3, c, 1)
        self.blocks = nn.ModuleList([CausalConv1d(c, c, 3, d) for d in (1, 2, 4)])
        self.head = nn.Conv1d(c, 2, 1)

    def forward(self, x):                        # x: [1, 3, 16]
        h = self.inp(x)
        for b in self.blocks:
            h = F.relu(b(h) + h)
        return self.head(h)


class ConvTransposeVariants(nn.Module):
    def __init__(self):
        super().__init__()
        self.t1 = nn.ConvTranspose1d(4, 3, 3, stride=2, padding=1, output_padding=1)
        self.t1_groups = nn.ConvTranspose1d(4, 4, 4, stride=3, padding=2, groups=2,
                                            dilation=2)
        self.s2 = nn.ConvTranspose2d(4, 3, 3, stride=2, padding=1, output_padding=1)
        self.groups = nn.ConvTranspose2d(4, 6, 3, stride=2, groups=2)
        self.dil = nn.ConvTranspose2d(4, 2, 3, padding=2, dilation=2)
        self.rect = nn.ConvTranspose2d(4, 3, (2, 3), stride=(2, 1), padding=(0, 1),
                                       output_padding=(1, 0), bias=False)
        self.combo = nn.ConvTranspose2d(4, 4, 3, stride=2, padding=1, output_padding=1,
                                        groups=4, dilation=2)

    def forward(self, x1, x2):                   # x1: [1, 4, 7], x2: [1, 4, 5, 6]
        return (self.t1(x1), self.t1_groups(F.relu(x1)), self.s2(x2), self.groups(x2),
                self.dil(x2), self.rect(x2), self.combo(x2))


class Padding(nn.Module):
    """Reflect (before a conv), replicate, zero and constant (0.5) padding."""

    def __init__(self):
        super().__init__()
        self.reflect = nn.ReflectionPad2d((1, 2, 2, 1))
        self.conv = nn.Conv2d(2, 3, 3)
        self.replicate = nn.ReplicationPad2d((2, 0, 1, 1))
        self.zero = nn.ZeroPad2d((1, 1, 0, 2))

    def forward(self, x):                        # x: [1, 2, 5, 6]
        return (self.conv(self.reflect(x)), self.replicate(x), self.zero(x),
                F.pad(x, (0, 3, 1, 0), value=0.5))


class Resampling(nn.Module):
    def __init__(self):
        super().__init__()
        self.nearest = nn.Upsample(scale_factor=2, mode="nearest")
        self.bilinear = nn.Upsample(scale_factor=2, mode="bilinear", align_corners=False)
        self.bilinear_ac = nn.Upsample(scale_factor=2, mode="bilinear", align_corners=True)
        self.conv = nn.Conv2d(2, 2, 1)
        self.avg = nn.AvgPool2d(3, stride=1, padding=1, count_include_pad=True)
        self.avg_excl = nn.AvgPool2d(3, stride=2, padding=1, count_include_pad=False)

    def forward(self, x):                        # x: [1, 2, 4, 5]
        h = self.conv(x)                         # Resize after a conv
        return (self.nearest(h), self.bilinear(h), self.bilinear_ac(x),
                F.interpolate(x, size=(7, 9), mode="bicubic", align_corners=False),
                F.interpolate(x, size=(3, 8), mode="bicubic", align_corners=True),
                F.interpolate(x, size=(6, 7), mode="nearest"),
                self.avg(x), self.avg_excl(x))


class LRNFunction(torch.autograd.Function):
    """PyTorch's F.local_response_norm, exported as the ONNX LRN node."""

    @staticmethod
    def forward(ctx, x, size, alpha, beta, k):
        return F.local_response_norm(x, size, alpha, beta, k)

    @staticmethod
    def symbolic(g, x, size, alpha, beta, k):
        return g.op("LRN", x, size_i=size, alpha_f=alpha, beta_f=beta, bias_f=k)


class Normalization(nn.Module):
    def __init__(self):
        super().__init__()
        self.ln = nn.LayerNorm(6)
        self.ln2 = nn.LayerNorm((5, 6))
        self.inorm = nn.InstanceNorm2d(4, affine=True)
        with torch.no_grad():
            for p in (self.ln.weight, self.ln2.weight, self.inorm.weight):
                p.uniform_(0.5, 1.5)
            for p in (self.ln.bias, self.ln2.bias, self.inorm.bias):
                p.uniform_(-0.5, 0.5)

    def forward(self, x):                        # x: [2, 4, 5, 6]
        return (self.ln(x), self.ln2(x), self.inorm(x),
                LRNFunction.apply(x, 3, 0.3, 0.75, 1.5))


class Structure(nn.Module):
    """Split/chunk, Expand of a run-time tensor to another's shape, Concat,
    DepthToSpace, pixel_unshuffle, casts through int32."""

    def __init__(self):
        super().__init__()
        self.shuffle = nn.PixelShuffle(2)

    def forward(self, x):                        # x: [1, 4, 4, 6]
        a, b = torch.split(x, [1, 3], dim=1)
        c, d = torch.chunk(x, 2, dim=3)
        mixed = torch.cat([a.expand_as(b) * b, b], dim=1)   # Shape -> Expand
        ints = (x * 3.0).to(torch.int32)                     # Cast, truncation
        back = ints.to(torch.float32) * 0.5                  # Cast back
        return (mixed, c - d, self.shuffle(x), F.pixel_unshuffle(x, 2), ints, back)


class TileExpand(nn.Module):
    """x.repeat (Tile, after an Expand whose shape is a ConstantOfShape) and
    x.expand to literal sizes (an Expand whose shape is a Where/Equal
    expression over constants): the exporter's own shape arithmetic."""

    def forward(self, x):                        # x: [1, 4, 4, 6]
        return x.repeat(1, 2, 1, 3), x[:, :1].expand(1, 3, 4, 6) + x[:, 1:]


class TextClassifier(nn.Module):
    """Embedding over int64 token ids (a graph input), LSTM, max over time,
    Linear: the Gather reads a weight table at run-time indices."""

    def __init__(self, vocab=40, dim=8, hidden=12, classes=3):
        super().__init__()
        self.embed = nn.Embedding(vocab, dim)
        self.lstm = nn.LSTM(dim, hidden, batch_first=True)
        self.fc = nn.Linear(hidden, classes)

    def forward(self, tokens):                   # tokens: [2, 7] int64
        y, _ = self.lstm(self.embed(tokens))
        return self.fc(torch.max(y, dim=1).values)


class KeywordSpotter(nn.Module):
    """Conv1d + BN + ReLU, GRU, the last time step y[:, -1] (a Gather of a
    run-time tensor at a constant index), Linear."""

    def __init__(self, n_mfcc=10, channels=8, hidden=12, classes=4):
        super().__init__()
        self.conv = nn.Sequential(
            nn.Conv1d(n_mfcc, channels, 5, stride=2, padding=2, bias=False),
            nn.BatchNorm1d(channels), nn.ReLU())
        self.gru = nn.GRU(channels, hidden, batch_first=True)
        self.fc = nn.Linear(hidden, classes)
        randomize_bn(self)

    def forward(self, x):                        # x: [2, 10, 16]
        h = self.conv(x).transpose(1, 2)         # [2, 8, channels]
        y, _ = self.gru(h)
        return self.fc(y[:, -1])


class EmbeddingInt32(nn.Module):
    """Embedding over int32 ids, plus row selection of a run-time tensor by
    int64 indices given as a graph input (index_select), mean over the
    sequence, Linear."""

    def __init__(self, vocab=30, dim=6, classes=3):
        super().__init__()
        self.embed = nn.Embedding(vocab, dim)
        self.fc = nn.Linear(dim, classes)

    def forward(self, ids, rows):                # ids: [2, 5] int32, rows: [3] int64
        e = torch.tanh(self.embed(ids))          # [2, 5, dim]
        picked = torch.index_select(e, 1, rows)  # [2, 3, dim]
        return self.fc(e.mean(dim=1)), picked


# --- Cases --------------------------------------------------------------------

def randn(*shape):
    return lambda: torch.randn(*shape)


# name -> (module factory, [(input name, maker)], [output names], opset, description)
CASES = {
    "activations": (
        Activations, [("x", randn(1, 3, 5, 5))], ["y"], 13,
        "conv, then Hardswish, Hardsigmoid, SELU, CELU, Softplus (beta 1 and 2), "
        "Softsign, per-channel PReLU, GELU (Erf), concatenated"),
    "elementwise_math": (
        ElementwiseMath, [("a", randn(2, 3, 4, 5)), ("b", randn(2, 3, 4, 5))],
        ["unary", "binary", "select"], 13,
        "abs, neg, exp, log, sqrt, reciprocal, floor, ceil, pow 2 and 3.0, "
        "minimum/maximum, where(a + b > 0, ...)"),
    "squeeze_excite": (
        InvertedResidualSE, [("x", randn(1, 6, 7, 7))], ["y"], 13,
        "MobileNetV3 inverted residual with squeeze-excite (HardSigmoid gate)"),
    "squeeze_excite_op17": (
        InvertedResidualSE, [("x", randn(1, 6, 7, 7))], ["y"], 17,
        "the same block at opset 17 (HardSwish node)"),
    "reductions": (
        Reductions, [("x", randn(2, 3, 4, 5))],
        ["mean_hw", "amax_c", "max_w", "amin_nh", "sum_cw", "prod_h", "l2_c", "l1_hw",
         "logsumexp_c", "argmax_c", "argmin_w"], 13,
        "ReduceMean/Max/Min/Sum/Prod/L2/L1/LogSumExp over several axis sets, "
        "ArgMax/ArgMin (int64)"),
    "crnn_ctc_greedy": (
        CrnnCtcGreedy, [("image", randn(1, 1, 8, 24))], ["log_probs", "best_path"], 13,
        "conv -> BiLSTM -> Linear -> log_softmax -> ArgMax (greedy CTC, int64)"),
    "tcn_causal": (
        TCN, [("x", randn(1, 3, 16))], ["y"], 13,
        "causal TCN: constant F.pad on the left before dilated Conv1d (1, 2, 4), "
        "residual blocks"),
    "conv_transpose": (
        ConvTransposeVariants, [("x1", randn(1, 4, 7)), ("x2", randn(1, 4, 5, 6))],
        ["t1", "t1_groups", "stride2", "groups", "dilation", "rect", "combo"], 13,
        "ConvTranspose1d (stride 2 + padding + output_padding; stride 3, groups 2, "
        "dilation 2), ConvTranspose2d: stride 2 + padding + output_padding, groups, "
        "dilation, rectangular kernel/stride, depthwise + dilation + output_padding"),
    "padding": (
        Padding, [("x", randn(1, 2, 5, 6))],
        ["reflect_conv", "replicate", "zero", "constant"], 13,
        "reflect Pad before a conv, edge Pad, zero Pad, constant Pad (0.5)"),
    "resampling": (
        Resampling, [("x", randn(1, 2, 4, 5))],
        ["nearest2x", "bilinear2x", "bilinear2x_ac", "bicubic_7x9", "bicubic_3x8_ac",
         "nearest_6x7", "avg_incl", "avg_excl"], 13,
        "Resize nearest x2 (after a conv), bilinear x2 align_corners False/True, "
        "bicubic to a size (align_corners False/True), nearest to a size; "
        "AveragePool with count_include_pad 1 (a constant Pad) and 0"),
    "normalization": (
        Normalization, [("x", randn(2, 4, 5, 6))], ["ln", "ln_hw", "inorm", "lrn"], 13,
        "LayerNorm (last axis; last two axes) as its opset-13 decomposition, "
        "InstanceNorm2d(affine), LRN (size 3)"),
    "normalization_op17": (
        Normalization, [("x", randn(2, 4, 5, 6))], ["ln", "ln_hw", "inorm", "lrn"], 17,
        "the same at opset 17 (LayerNormalization nodes)"),
    "structure": (
        Structure, [("x", randn(1, 4, 4, 6))],
        ["mixed", "halves", "depth_to_space", "unshuffle", "ints", "back"], 13,
        "Split, chunk (Slice), Expand to a Shape, Concat, DepthToSpace, "
        "pixel_unshuffle (6-D Reshape/Transpose), Cast to int32 (an int32 output) "
        "and back"),
    "tile_expand": (
        TileExpand, [("x", randn(1, 4, 4, 6))], ["tiled", "expanded"], 13,
        "x.repeat (Tile) and x.expand to literal sizes, with the exporter's "
        "ConstantOfShape/Equal/Where shape arithmetic"),
    "text_classifier": (
        TextClassifier,
        [("tokens", lambda: torch.randint(0, 40, (2, 7), dtype=torch.int64))],
        ["logits"], 13,
        "run-time Gather: Embedding of int64 token ids (graph input) -> LSTM -> "
        "max over time -> Linear"),
    "kws_last_step": (
        KeywordSpotter, [("mfcc", randn(2, 10, 16))], ["logits"], 13,
        "Conv1d + BN + ReLU -> GRU -> y[:, -1] (Gather of a run-time tensor) -> Linear"),
    "embedding_int32": (
        EmbeddingInt32,
        [("ids", lambda: torch.randint(0, 30, (2, 5), dtype=torch.int32)),
         ("rows", lambda: torch.tensor([4, 0, 2], dtype=torch.int64))],
        ["logits", "picked"], 13,
        "run-time Gather: Embedding of int32 ids; index_select of a run-time tensor "
        "by int64 indices from a graph input"),
}


# --- Export and writing ---------------------------------------------------------

def seed_of(name):
    # A seed per case, so adding or reordering cases leaves the others unchanged.
    # The _op17 twin of a case gets its base case's seed: same weights and inputs.
    base = name[:-len("_op17")] if name.endswith("_op17") else name
    return 1000 + sum(map(ord, base))


def export(model, inputs, input_names, output_names, opset):
    buf = io.BytesIO()
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        torch.onnx.export(model, tuple(inputs), buf, opset_version=opset,
                          input_names=input_names, output_names=output_names,
                          do_constant_folding=True)
    return onnx.load_from_string(buf.getvalue())


def check_argmax_margins(name, proto, model, inputs):
    """An ArgMax/ArgMin over a computed value is only a fair test when the best
    value wins by a margin float32 rounding cannot overturn."""
    if name != "crnn_ctc_greedy":
        return
    with torch.no_grad():
        logp, _ = model(*inputs)
    top2 = torch.topk(logp, 2, dim=2).values
    margin = float((top2[..., 0] - top2[..., 1]).min())
    if margin < 1e-3:
        raise SystemExit(f"{name}: ArgMax margin {margin:.2e} too small; change the seed")


def make_case(out_dir, name, spec):
    factory, input_specs, output_names, opset, _ = spec
    torch.manual_seed(seed_of(name))
    model = factory().eval()
    torch.manual_seed(seed_of(name) + 1)
    inputs = [make() for _, make in input_specs]
    input_names = [n for n, _ in input_specs]
    with torch.no_grad():
        expected = model(*inputs)
        again = model(*inputs)
    expected = expected if isinstance(expected, tuple) else (expected,)
    again = again if isinstance(again, tuple) else (again,)
    if len(expected) != len(output_names):
        raise SystemExit(f"{name}: {len(expected)} outputs, {len(output_names)} names")
    for a, b in zip(expected, again):
        if not torch.equal(a, b):
            raise SystemExit(f"{name}: PyTorch output is not reproducible")
    proto = export(model, inputs, input_names, output_names, opset)
    onnx.checker.check_model(proto)
    ops = sorted({n.op_type for n in proto.graph.node})
    bad = FORBIDDEN_OPS.intersection(ops)
    if bad:
        raise SystemExit(f"{name}: exporter emitted control flow {sorted(bad)}")
    if [i.name for i in proto.graph.input] != input_names:
        raise SystemExit(f"{name}: graph inputs {[i.name for i in proto.graph.input]} "
                         f"!= {input_names}")
    if [o.name for o in proto.graph.output] != output_names:
        raise SystemExit(f"{name}: graph outputs {[o.name for o in proto.graph.output]} "
                         f"!= {output_names}")
    check_argmax_margins(name, proto, model, inputs)

    case_dir = os.path.join(out_dir, name)
    data_dir = os.path.join(case_dir, "test_data_set_0")
    os.makedirs(data_dir)
    with open(os.path.join(case_dir, "model.onnx"), "wb") as f:
        f.write(proto.SerializeToString())
    for i, t in enumerate(inputs):
        write_tensor(os.path.join(data_dir, f"input_{i}.pb"), t.numpy())
    for i, t in enumerate(expected):
        write_tensor(os.path.join(data_dir, f"output_{i}.pb"), t.numpy())
    size = sum(os.path.getsize(os.path.join(r, f))
               for r, _, fs in os.walk(case_dir) for f in fs)
    print(f"{name}: opset {opset}, {size} bytes, ops {ops}")
    return ops, size


def main():
    out_dir = sys.argv[1] if len(sys.argv) > 1 else DEFAULT_OUT
    torch.use_deterministic_algorithms(True)
    torch.set_num_threads(1)
    for name in os.listdir(out_dir) if os.path.isdir(out_dir) else []:
        path = os.path.join(out_dir, name)
        if os.path.isdir(path):
            shutil.rmtree(path)
    os.makedirs(out_dir, exist_ok=True)
    total = 0
    for name, spec in CASES.items():
        _, size = make_case(out_dir, name, spec)
        total += size
    print(f"total {total} bytes in {len(CASES)} cases")


if __name__ == "__main__":
    main()
