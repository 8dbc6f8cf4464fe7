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
    "Constant", "RNN", "LSTM", "GRU",
}

REPO = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
DEFAULT_OUT = os.path.join(REPO, "tests", "fixtures", "recurrent")


class Recurrent(nn.Module):
    """Wraps one nn.RNN/LSTM/GRU so that every state it returns is a separate
    graph output: (Y, Y_h) or (Y, Y_h, Y_c)."""

    def __init__(self, cell, with_state_inputs, state_shape):
        super().__init__()
        self.cell = cell
        self.is_lstm = isinstance(cell, nn.LSTM)
        self.with_state_inputs = with_state_inputs
        self.state_shape = state_shape

    def forward(self, x, *states):
        if not self.with_state_inputs:
            # nn.LSTM's own default state is zeros sized from x.size(), which the
            # tracer records as Shape/Gather/Expand. Zeros of a Python-int shape
            # export as a constant instead.
            zeros = torch.zeros(self.state_shape)
            states = (zeros, zeros) if self.is_lstm else (zeros,)
        init = (states[0], states[1]) if self.is_lstm else states[0]
        y, state = self.cell(x, init)
        if self.is_lstm:
            return y, state[0], state[1]
        return y, state


class SmallCRNN(nn.Module):
    """A text-recognizer shaped model: convolutions collapse the image height to 1,
    the width becomes the time axis of a bidirectional LSTM, then a per-step
    classifier with log-probabilities (what a CTC loss consumes)."""

    def __init__(self, classes=11, hidden=16):
        super().__init__()
        self.features = nn.Sequential(
            nn.Conv2d(1, 8, 3, padding=1), nn.ReLU(), nn.MaxPool2d(2),
            nn.Conv2d(8, 16, 3, padding=1), nn.ReLU(), nn.MaxPool2d((4, 1)),
        )
        self.rnn = nn.LSTM(16, hidden, bidirectional=True)
        self.fc = nn.Linear(2 * hidden, classes)

    def forward(self, x):
        f = self.features(x)             # [N, 16, 1, W]
        f = f.squeeze(2).permute(2, 0, 1)  # [W, N, 16]
        y, _ = self.rnn(f)               # [W, N, 2*hidden]
        return torch.log_softmax(self.fc(y), dim=2)


def rec_case(name, kind, desc, input_size=10, hidden=16, seq=6, batch=2, layers=1,
             bidir=False, batch_first=False, states=False, nonlinearity=None, bias=True):
    return dict(name=name, kind=kind, desc=desc, input_size=input_size, hidden=hidden,
                seq=seq, batch=batch, layers=layers, bidir=bidir, batch_first=batch_first,
                states=states, nonlinearity=nonlinearity, bias=bias)


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
]


def build_recurrent(c):
    cls = {"LSTM": nn.LSTM, "GRU": nn.GRU, "RNN": nn.RNN}[c["kind"]]
    kwargs = dict(num_layers=c["layers"], bidirectional=c["bidir"],
                  batch_first=c["batch_first"], bias=c["bias"])
    if c["nonlinearity"]:
        kwargs["nonlinearity"] = c["nonlinearity"]
    cell = cls(c["input_size"], c["hidden"], **kwargs)
    state_shape = (c["layers"] * (2 if c["bidir"] else 1), c["batch"], c["hidden"])
    model = Recurrent(cell, c["states"], state_shape)
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
    model = SmallCRNN()
    x = torch.randn(2, 1, 8, 40)
    return model, [x], ["image"], ["log_probs"]


def export(model, inputs, input_names, output_names, opset):
    buf = io.BytesIO()
    torch.onnx.export(model, tuple(inputs), buf, opset_version=opset,
                      input_names=input_names, output_names=output_names,
                      do_constant_folding=True)
    return onnx.load_from_string(buf.getvalue())


def check_ops(name, proto):
    used = sorted({n.op_type for n in proto.graph.node})
    bad = [op for op in used if op not in LOOM_OPS]
    if bad:
        raise SystemExit(f"{name}: exporter emitted ops Loom does not implement: {bad} "
                         f"(all ops: {used})")
    return used


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


def make_case(out_dir, name, model, inputs, input_names, output_names, opset):
    model.eval()
    with torch.no_grad():
        expected = model(*inputs)
    if not isinstance(expected, tuple):
        expected = (expected,)
    proto = export(model, inputs, input_names, output_names, opset)
    onnx.checker.check_model(proto)
    ops = check_ops(name, proto)
    if [i.name for i in proto.graph.input] != input_names:
        raise SystemExit(f"{name}: graph inputs {[i.name for i in proto.graph.input]} "
                         f"!= {input_names}")
    if [o.name for o in proto.graph.output] != output_names:
        raise SystemExit(f"{name}: graph outputs {[o.name for o in proto.graph.output]} "
                         f"!= {output_names}")
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
    print(f"{name}: opset {opset}, ops {ops}, outputs {shapes}")


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
        make_case(out_dir, c["name"], model, inputs, in_names, out_names, opset=14)
    torch.manual_seed(7)
    model, inputs, in_names, out_names = build_crnn()
    make_case(out_dir, "crnn_small", model, inputs, in_names, out_names, opset=14)


if __name__ == "__main__":
    main()
