#!/usr/bin/python3
"""Generates tests/fixtures/recurrent/: RNN/LSTM/GRU models exported from PyTorch,
in the ONNX backend-test case layout (model.onnx + test_data_set_0/{input,output}_N.pb),
with PyTorch's own outputs as the expected values.

Run with Debian's interpreter, which has python3-torch and python3-onnx:
    /usr/bin/python3 scripts/make_recurrent_fixtures.py [OUT_DIR]

The output is deterministic: fixed seeds, static shapes, no timestamps. CI does
not run this script; it only consumes the committed fixtures.
"""

import io
import os
import shutil
import sys

import numpy as np
import onnx
import torch
import torch.nn as nn
from onnx import numpy_helper

# Ops Loom implements. An exported model using anything else would make a
# fixture that no Loom build could run, so we refuse to write it.
LOOM_OPS = {
    "Conv", "MaxPool", "AveragePool", "GlobalAveragePool", "GlobalMaxPool", "Gemm",
    "MatMul", "BatchNormalization", "Add", "Sub", "Mul", "Div", "Relu", "LeakyRelu",
    "Sigmoid", "Tanh", "Clip", "Elu", "Softmax", "LogSoftmax", "Flatten", "Reshape",
    "Transpose", "Squeeze", "Unsqueeze", "Concat", "Slice", "Identity", "Dropout",
    "Constant", "RNN", "LSTM", "GRU", "Shape", "Gather", "Expand",
}

REPO = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
DEFAULT_OUT = os.path.join(REPO, "tests", "fixtures", "recurrent")


class Recurrent(nn.Module):
    """Wraps one nn.RNN/LSTM/GRU so that every state it returns is a separate
    graph output: (Y, Y_h) or (Y, Y_h, Y_c)."""

    def __init__(self, cell, with_state_inputs, state_shape, default_state=False):
        super().__init__()
        self.cell = cell
        self.is_lstm = isinstance(cell, nn.LSTM)
        self.with_state_inputs = with_state_inputs
        self.default_state = default_state
        # nn.LSTM's own default state, and even torch.zeros() called in forward,
        # are traced as Shape/Gather/Expand of the input. A buffer exports as a
        # plain initializer instead (later dropped, see drop_zero_states).
        # default_state cases call the module without a state, as most user
        # code does, and keep that Shape/Gather/Expand arithmetic.
        if not default_state:
            self.register_buffer("zero_state", torch.zeros(state_shape))

    def forward(self, x, *states):
        if self.default_state:
            y, state = self.cell(x)
            if self.is_lstm:
                return y, state[0], state[1]
            return y, state
        if not self.with_state_inputs:
            z = self.zero_state
            states = (z, z) if self.is_lstm else (z,)
        init = (states[0], states[1]) if self.is_lstm else states[0]
        y, state = self.cell(x, init)
        if self.is_lstm:
            return y, state[0], state[1]
        return y, state


class SmallCRNN(nn.Module):
    """A text-recognizer shaped model: convolutions collapse the image height to 1,
    the width becomes the time axis of a bidirectional LSTM, then a per-step
    classifier with log-probabilities (what a CTC loss consumes)."""

    def __init__(self, batch, classes=11, hidden=16):
        super().__init__()
        self.features = nn.Sequential(
            nn.Conv2d(1, 8, 3, padding=1), nn.ReLU(), nn.MaxPool2d(2),
            nn.Conv2d(8, 16, 3, padding=1), nn.ReLU(), nn.MaxPool2d((4, 1)),
        )
        self.rnn = nn.LSTM(16, hidden, bidirectional=True)
        self.fc = nn.Linear(2 * hidden, classes)
        self.register_buffer("zero_state", torch.zeros(2, batch, hidden))

    def forward(self, x):
        f = self.features(x)             # [N, 16, 1, W]
        f = f.squeeze(2).permute(2, 0, 1)  # [W, N, 16]
        z = self.zero_state
        y, _ = self.rnn(f, (z, z))       # [W, N, 2*hidden]
        return torch.log_softmax(self.fc(y), dim=2)


def rec_case(name, kind, desc, input_size=10, hidden=16, seq=6, batch=2, layers=1,
             bidir=False, batch_first=False, states=False, nonlinearity=None, bias=True,
             keep_zero_state=False, default_state=False):
    return dict(name=name, kind=kind, desc=desc, input_size=input_size, hidden=hidden,
                seq=seq, batch=batch, layers=layers, bidir=bidir, batch_first=batch_first,
                states=states, nonlinearity=nonlinearity, bias=bias,
                keep_zero_state=keep_zero_state, default_state=default_state)


CASES = [
    rec_case("lstm_1layer", "LSTM", "single-layer forward LSTM"),
    rec_case("gru_1layer", "GRU", "single-layer forward GRU (linear_before_reset=1)"),
    rec_case("rnn_tanh_1layer", "RNN", "single-layer forward RNN, tanh"),
    rec_case("rnn_relu_1layer", "RNN", "single-layer forward RNN, nonlinearity='relu'",
             nonlinearity="relu"),
    rec_case("lstm_2layer", "LSTM", "2 stacked LSTM layers", layers=2),
    rec_case("gru_3layer", "GRU", "3 stacked GRU layers", layers=3),
    rec_case("rnn_2layer", "RNN", "2 stacked tanh RNN layers", layers=2),
    rec_case("lstm_bidir", "LSTM", "bidirectional LSTM, 1 layer", bidir=True),
    rec_case("gru_bidir", "GRU", "bidirectional GRU, 1 layer", bidir=True),
    rec_case("rnn_bidir", "RNN", "bidirectional tanh RNN, 1 layer", bidir=True),
    rec_case("lstm_bidir_2layer", "LSTM", "bidirectional LSTM, 2 layers", layers=2,
             bidir=True),
    rec_case("gru_bidir_2layer", "GRU", "bidirectional GRU, 2 layers", layers=2, bidir=True),
    rec_case("lstm_batch_first", "LSTM", "batch_first=True (exported as Transposes around "
             "a layout=0 LSTM)", batch_first=True),
    rec_case("gru_batch_first_bidir", "GRU", "batch_first=True, bidirectional GRU",
             batch_first=True, bidir=True),
    rec_case("lstm_initial_state", "LSTM", "h0 and c0 given as model inputs", states=True),
    rec_case("gru_initial_state", "GRU", "h0 given as a model input", states=True),
    rec_case("rnn_relu_initial_state_bidir_2layer", "RNN",
             "relu RNN, bidirectional, 2 layers, h0 as a model input", layers=2, bidir=True,
             states=True, nonlinearity="relu"),
    rec_case("lstm_initial_state_bidir_2layer_batch_first", "LSTM",
             "bidirectional 2-layer batch_first LSTM with h0 and c0 inputs", layers=2,
             bidir=True, batch_first=True, states=True),
    rec_case("lstm_odd_sizes", "LSTM", "input 7, hidden 13, seq 5, batch 3", input_size=7,
             hidden=13, seq=5, batch=3),
    rec_case("gru_odd_sizes", "GRU", "input 7, hidden 13, seq 5, batch 3", input_size=7,
             hidden=13, seq=5, batch=3),
    rec_case("rnn_odd_sizes_bidir", "RNN", "input 7, hidden 13, seq 5, batch 3, "
             "bidirectional", input_size=7, hidden=13, seq=5, batch=3, bidir=True),
    rec_case("lstm_hidden1", "LSTM", "hidden size 1", hidden=1),
    rec_case("gru_hidden1_bidir", "GRU", "hidden size 1, bidirectional", hidden=1,
             bidir=True),
    rec_case("lstm_seq1", "LSTM", "sequence length 1", seq=1),
    rec_case("gru_seq1_batch1", "GRU", "sequence length 1, batch 1", seq=1, batch=1),
    rec_case("lstm_no_bias", "LSTM", "bias=False (no B input)", bias=False),
    rec_case("gru_no_bias", "GRU", "bias=False (no B input)", bias=False),
    rec_case("lstm_2layer_zero_state_initializer", "LSTM",
             "2 layers, all-zero initial_h/initial_c kept as an initializer reached "
             "through Identity nodes (the exporter's form, not rewritten)", layers=2,
             keep_zero_state=True),
    rec_case("lstm_bidir_2layer_default_state", "LSTM",
             "bidirectional 2-layer LSTM called without a state: the exporter's zero "
             "initial_h/initial_c as Shape -> Gather -> Unsqueeze -> Concat -> Expand of X",
             layers=2, bidir=True, default_state=True),
    rec_case("gru_bidir_2layer_default_state", "GRU",
             "bidirectional 2-layer GRU called without a state: the zero initial_h as "
             "Shape -> Gather -> Unsqueeze -> Concat -> Expand of X",
             layers=2, bidir=True, default_state=True),
]


def build_recurrent(c):
    cls = {"LSTM": nn.LSTM, "GRU": nn.GRU, "RNN": nn.RNN}[c["kind"]]
    kwargs = dict(num_layers=c["layers"], bidirectional=c["bidir"],
                  batch_first=c["batch_first"], bias=c["bias"])
    if c["nonlinearity"]:
        kwargs["nonlinearity"] = c["nonlinearity"]
    cell = cls(c["input_size"], c["hidden"], **kwargs)
    state_shape = (c["layers"] * (2 if c["bidir"] else 1), c["batch"], c["hidden"])
    model = Recurrent(cell, c["states"], state_shape, c["default_state"])
    if c["batch_first"]:
        x = torch.randn(c["batch"], c["seq"], c["input_size"])
    else:
        x = torch.randn(c["seq"], c["batch"], c["input_size"])
    inputs = [x]
    input_names = ["X"]
    if c["states"]:
        inputs.append(torch.randn(*state_shape))
        input_names.append("h0")
        if c["kind"] == "LSTM":
            inputs.append(torch.randn(*state_shape))
            input_names.append("c0")
    output_names = ["Y", "Y_h", "Y_c"] if c["kind"] == "LSTM" else ["Y", "Y_h"]
    return model, inputs, input_names, output_names


def build_crnn():
    model = SmallCRNN(batch=2)
    x = torch.randn(2, 1, 8, 40)
    return model, [x], ["image"], ["log_probs"]


def export(model, inputs, input_names, output_names, opset):
    buf = io.BytesIO()
    torch.onnx.export(model, tuple(inputs), buf, opset_version=opset,
                      input_names=input_names, output_names=output_names,
                      do_constant_folding=True)
    return onnx.load_from_string(buf.getvalue())


def drop_zero_states(proto):
    """Turns all-zero initializers fed to initial_h / initial_c of RNN, LSTM and GRU
    nodes into absent inputs. By the ONNX spec an absent initial state is zeros,
    so the model computes the same values; the rewrite makes the cases look like
    models from exporters that omit the state, the common form."""
    inits = {t.name: t for t in proto.graph.initializer}
    # Multi-layer exports reach the state through Identity chains.
    identity_of = {n.output[0]: n.input[0] for n in proto.graph.node if n.op_type == "Identity"}

    def is_zero_initializer(name):
        while name in identity_of:
            name = identity_of[name]
        return name in inits and not np.any(numpy_helper.to_array(inits[name]))

    for node in proto.graph.node:
        if node.op_type not in ("RNN", "LSTM", "GRU"):
            continue
        inputs = list(node.input)
        for k in (5, 6):
            if k < len(inputs) and is_zero_initializer(inputs[k]):
                inputs[k] = ""
        while inputs and inputs[-1] == "":
            inputs.pop()
        del node.input[:]
        node.input.extend(inputs)
    # Remove what no longer feeds anything (the Identity chains, the zeros).
    while True:
        used = {i for n in proto.graph.node for i in n.input}
        used |= {o.name for o in proto.graph.output}
        dead = [n for n in proto.graph.node if not any(o in used for o in n.output)]
        if not dead:
            break
        for n in dead:
            proto.graph.node.remove(n)
    keep = [t for t in proto.graph.initializer if t.name in used]
    del proto.graph.initializer[:]
    proto.graph.initializer.extend(keep)


def check_ops(name, proto):
    used = sorted({n.op_type for n in proto.graph.node})
    bad = [op for op in used if op not in LOOM_OPS]
    if bad:
        raise SystemExit(f"{name}: exporter emitted ops Loom does not implement: {bad} "
                         f"(all ops: {used})")
    return used


# --- Independent check -------------------------------------------------------
# A small float64 NumPy evaluator of the exported graph, written from the ONNX
# operator equations. It runs every fixture before it is written, so a fixture
# is known to agree with both PyTorch and the spec's reading of the exported
# model (gate order, linear_before_reset, direction handling, state layout).

def _attrs(node):
    return {a.name: onnx.helper.get_attribute_value(a) for a in node.attribute}


def _act(name):
    name = name.decode() if isinstance(name, bytes) else name
    return {
        "Sigmoid": lambda v: 1.0 / (1.0 + np.exp(-v)),
        "Tanh": np.tanh,
        "Relu": lambda v: np.maximum(v, 0.0),
    }[name]


def _recurrent(op, node, ins):
    a = _attrs(node)
    hidden = a["hidden_size"]
    gates = {"RNN": 1, "GRU": 3, "LSTM": 4}[op]
    dirs = 2 if a.get("direction", b"forward") == b"bidirectional" else 1
    if a.get("direction", b"forward") == b"reverse":
        raise SystemExit("evaluator: reverse-only direction not expected from PyTorch")
    if a.get("layout", 0) != 0 or "clip" in a or a.get("input_forget", 0):
        raise SystemExit(f"evaluator: unexpected attributes {a}")
    default_acts = {"RNN": ["Tanh"], "GRU": ["Sigmoid", "Tanh"],
                    "LSTM": ["Sigmoid", "Tanh", "Tanh"]}[op]
    acts = a.get("activations", default_acts * dirs)
    per_dir = len(default_acts)
    x, w, r = ins[0], ins[1], ins[2]
    seq, batch, _ = x.shape

    def opt(k):
        return ins[k] if k < len(ins) and ins[k] is not None else None

    b = opt(3)
    if opt(4) is not None:
        raise SystemExit("evaluator: sequence_lens not expected")
    h0, c0 = opt(5), opt(6) if op == "LSTM" else None
    if op == "LSTM" and opt(7) is not None:
        raise SystemExit("evaluator: peepholes not expected")
    y = np.zeros((seq, dirs, batch, hidden))
    y_h = np.zeros((dirs, batch, hidden))
    y_c = np.zeros((dirs, batch, hidden))
    for d in range(dirs):
        f = [_act(n) for n in acts[d * per_dir:(d + 1) * per_dir]]
        wb = b[d, :gates * hidden] if b is not None else np.zeros(gates * hidden)
        rb = b[d, gates * hidden:] if b is not None else np.zeros(gates * hidden)
        h = h0[d] if h0 is not None else np.zeros((batch, hidden))
        c = c0[d] if c0 is not None else np.zeros((batch, hidden))
        steps = range(seq) if d == 0 else range(seq - 1, -1, -1)
        for t in steps:
            xw = x[t] @ w[d].T + wb  # [batch, gates*hidden]
            hr = h @ r[d].T + rb
            g = [slice(k * hidden, (k + 1) * hidden) for k in range(gates)]
            if op == "RNN":
                h = f[0](xw + hr)
            elif op == "LSTM":  # gate order i, o, f, c
                i_t = f[0](xw[:, g[0]] + hr[:, g[0]])
                o_t = f[0](xw[:, g[1]] + hr[:, g[1]])
                f_t = f[0](xw[:, g[2]] + hr[:, g[2]])
                c_in = f[1](xw[:, g[3]] + hr[:, g[3]])
                c = f_t * c + i_t * c_in
                h = o_t * f[2](c)
            else:  # GRU, gate order z, r, h
                z_t = f[0](xw[:, g[0]] + hr[:, g[0]])
                r_t = f[0](xw[:, g[1]] + hr[:, g[1]])
                if a.get("linear_before_reset", 0):
                    h_in = f[1](xw[:, g[2]] + r_t * hr[:, g[2]])
                else:
                    h_in = f[1](xw[:, g[2]] + (r_t * h) @ r[d][g[2]].T + rb[g[2]])
                h = (1.0 - z_t) * h_in + z_t * h
            y[t, d] = h
        y_h[d], y_c[d] = h, c
    return [y, y_h, y_c][:len(node.output)]


def _conv(node, x, w, b):
    a = _attrs(node)
    if a.get("group", 1) != 1 or any(v != 1 for v in a.get("dilations", [1, 1])):
        raise SystemExit("evaluator: only group=1, dilation 1 Conv")
    pt, pl, pb, pr = a.get("pads", [0, 0, 0, 0])
    sh, sw = a.get("strides", [1, 1])
    kh, kw = w.shape[2:]
    x = np.pad(x, ((0, 0), (0, 0), (pt, pb), (pl, pr)))
    oh = (x.shape[2] - kh) // sh + 1
    ow = (x.shape[3] - kw) // sw + 1
    out = np.zeros((x.shape[0], w.shape[0], oh, ow))
    for i in range(kh):
        for j in range(kw):
            patch = x[:, :, i:i + sh * oh:sh, j:j + sw * ow:sw]  # [n, ci, oh, ow]
            out += np.einsum("nchw,oc->nohw", patch, w[:, :, i, j])
    return out + (b.reshape(1, -1, 1, 1) if b is not None else 0.0)


def _maxpool(node, x):
    a = _attrs(node)
    if any(a.get("pads", [0])) or a.get("ceil_mode", 0):
        raise SystemExit("evaluator: only unpadded floor-mode MaxPool")
    kh, kw = a["kernel_shape"]
    sh, sw = a.get("strides", [1, 1])
    oh = (x.shape[2] - kh) // sh + 1
    ow = (x.shape[3] - kw) // sw + 1
    out = np.full((x.shape[0], x.shape[1], oh, ow), -np.inf)
    for i in range(kh):
        for j in range(kw):
            out = np.maximum(out, x[:, :, i:i + sh * oh:sh, j:j + sw * ow:sw])
    return out


def evaluate(proto, feeds):
    env = {t.name: numpy_helper.to_array(t).astype(
        np.float64 if t.data_type == onnx.TensorProto.FLOAT else None)
        for t in proto.graph.initializer}
    env.update({k: v.astype(np.float64) for k, v in feeds.items()})
    for node in proto.graph.node:
        ins = [env[n] if n else None for n in node.input]
        a = _attrs(node)
        op = node.op_type
        if op == "Constant":
            out = [numpy_helper.to_array(a["value"])]
        elif op == "Identity":
            out = [ins[0]]
        elif op == "Shape":
            if "start" in a or "end" in a:
                raise SystemExit("evaluator: Shape start/end not expected")
            out = [np.array(ins[0].shape, dtype=np.int64)]
        elif op == "Gather":
            out = [np.take(ins[0], ins[1].astype(np.int64), axis=a.get("axis", 0))]
        elif op == "Unsqueeze":
            out = [np.expand_dims(ins[0], axis=tuple(int(v) for v in ins[1]))]
        elif op == "Expand":
            shape = tuple(int(v) for v in ins[1])
            out = [np.broadcast_to(ins[0], np.broadcast_shapes(ins[0].shape, shape))]
        elif op == "Squeeze":
            out = [np.squeeze(ins[0], axis=tuple(int(v) for v in ins[1]))]
        elif op == "Concat":
            out = [np.concatenate(ins, axis=a["axis"])]
        elif op == "Transpose":
            out = [np.transpose(ins[0], a["perm"])]
        elif op == "Reshape":
            shape = [ins[0].shape[i] if v == 0 else int(v) for i, v in enumerate(ins[1])]
            out = [ins[0].reshape(shape)]
        elif op == "Slice":
            axes = ins[3] if len(ins) > 3 else range(len(ins[1]))
            steps = ins[4] if len(ins) > 4 else [1] * len(ins[1])
            index = [slice(None)] * ins[0].ndim
            for s0, e0, ax, st in zip(ins[1], ins[2], axes, steps):
                index[int(ax)] = slice(int(s0), int(e0), int(st))
            out = [ins[0][tuple(index)]]
        elif op == "Relu":
            out = [np.maximum(ins[0], 0.0)]
        elif op == "Add":
            out = [ins[0] + ins[1]]
        elif op == "MatMul":
            out = [ins[0] @ ins[1]]
        elif op == "LogSoftmax":
            v = ins[0] - ins[0].max(axis=a["axis"], keepdims=True)
            out = [v - np.log(np.exp(v).sum(axis=a["axis"], keepdims=True))]
        elif op == "Conv":
            out = [_conv(node, ins[0], ins[1], ins[2] if len(ins) > 2 else None)]
        elif op == "MaxPool":
            out = [_maxpool(node, ins[0])]
        elif op in ("RNN", "LSTM", "GRU"):
            out = _recurrent(op, node, ins)
        else:
            raise SystemExit(f"evaluator: no rule for {op}")
        for name, value in zip(node.output, out):
            if name:
                env[name] = value
    return [env[o.name] for o in proto.graph.output]


def check_against_evaluator(name, proto, inputs, input_names, expected):
    got = evaluate(proto, {n: t.numpy() for n, t in zip(input_names, inputs)})
    for i, (g, e) in enumerate(zip(got, expected)):
        e = e.numpy()
        if g.shape != e.shape:
            raise SystemExit(f"{name}: output {i} evaluator shape {g.shape} != {e.shape}")
        err = np.max(np.abs(g - e)) if e.size else 0.0
        if not np.allclose(g, e, rtol=1e-4, atol=1e-5):
            raise SystemExit(f"{name}: output {i} evaluator vs PyTorch max |diff| {err}")
    return max(float(np.max(np.abs(g - e.numpy()))) for g, e in zip(got, expected))



def write_tensor(path, array):
    data = numpy_helper.from_array(array).SerializeToString()
    with open(path, "wb") as f:
        f.write(data)
    # Read it back: the file must hold exactly the array we meant to write.
    with open(path, "rb") as f:
        t = onnx.TensorProto()
        t.ParseFromString(f.read())
    back = numpy_helper.to_array(t)
    if back.dtype != array.dtype or back.shape != array.shape or not np.array_equal(back, array):
        raise SystemExit(f"{path}: tensor does not read back as written")


def make_case(out_dir, name, model, inputs, input_names, output_names, opset,
              keep_zero_state=False):
    model.eval()
    with torch.no_grad():
        expected = model(*inputs)
    if not isinstance(expected, tuple):
        expected = (expected,)
    proto = export(model, inputs, input_names, output_names, opset)
    if not keep_zero_state:
        drop_zero_states(proto)
    onnx.checker.check_model(proto)
    ops = check_ops(name, proto)
    if [i.name for i in proto.graph.input] != input_names:
        raise SystemExit(f"{name}: graph inputs {[i.name for i in proto.graph.input]} "
                         f"!= {input_names}")
    if [o.name for o in proto.graph.output] != output_names:
        raise SystemExit(f"{name}: graph outputs {[o.name for o in proto.graph.output]} "
                         f"!= {output_names}")
    max_diff = check_against_evaluator(name, proto, inputs, input_names, expected)
    # Running the same module again must give the same numbers (no dropout,
    # no nondeterministic kernels), or the expected values mean nothing.
    with torch.no_grad():
        again = model(*inputs)
    again = again if isinstance(again, tuple) else (again,)
    for a, b in zip(expected, again):
        if not torch.equal(a, b):
            raise SystemExit(f"{name}: PyTorch output is not reproducible")

    case_dir = os.path.join(out_dir, name)
    data_dir = os.path.join(case_dir, "test_data_set_0")
    os.makedirs(data_dir)
    with open(os.path.join(case_dir, "model.onnx"), "wb") as f:
        f.write(proto.SerializeToString())
    for i, t in enumerate(inputs):
        write_tensor(os.path.join(data_dir, f"input_{i}.pb"), t.numpy())
    for i, t in enumerate(expected):
        write_tensor(os.path.join(data_dir, f"output_{i}.pb"), t.numpy())
    shapes = ", ".join(f"{n}{list(t.shape)}" for n, t in zip(output_names, expected))
    print(f"{name}: opset {opset}, ops {ops}, outputs {shapes}, "
          f"max |evaluator - PyTorch| {max_diff:.1e}")


def main():
    out_dir = sys.argv[1] if len(sys.argv) > 1 else DEFAULT_OUT
    torch.use_deterministic_algorithms(True)
    torch.set_num_threads(1)
    for name in os.listdir(out_dir) if os.path.isdir(out_dir) else []:
        path = os.path.join(out_dir, name)
        if os.path.isdir(path):
            shutil.rmtree(path)
    os.makedirs(out_dir, exist_ok=True)
    for c in CASES:
        # A seed per case, so adding or reordering cases leaves the others unchanged.
        torch.manual_seed(1000 + sum(map(ord, c["name"])))
        model, inputs, in_names, out_names = build_recurrent(c)
        make_case(out_dir, c["name"], model, inputs, in_names, out_names, opset=14,
                  keep_zero_state=c["keep_zero_state"] or c["default_state"])
    torch.manual_seed(7)
    model, inputs, in_names, out_names = build_crnn()
    make_case(out_dir, "crnn_small", model, inputs, in_names, out_names, opset=14)


if __name__ == "__main__":
    main()
