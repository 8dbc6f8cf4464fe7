#!/usr/bin/python3
"""crnn_public (shared/WORKLOADS.md): Loom against ONNX Runtime, side by side.

The CRNN text recognizer of the public workload list, written in PyTorch and
exported with a plain `torch.onnx.export` (opset 14, static shapes, the LSTM
called without an initial state, as users export it):

  input 1x1x32x128; conv3x3(1->32)+ReLU, maxpool 2; conv3x3(32->64)+BN+ReLU,
  maxpool 2; conv3x3(64->128)+ReLU, maxpool (2,1); conv(4x1, 128->128)+ReLU;
  squeeze H, time = W/4 = 32; 2-layer bidirectional LSTM, hidden 256;
  Linear(512->37); log_softmax.

Random weights (fixed seed, BatchNorm statistics randomized so the fold is
not trivial). Before timing, `loomc check --engine compiled` compares Loom's
output with PyTorch's on the exported test case. Then Loom (`loomc bench`)
and ONNX Runtime take turns over --rounds rounds, as in rnn_vs_ort.py.

Run with Debian's /usr/bin/python3 (it has torch 1.13); ONNX Runtime runs
from --ort-python (default benchmarks/.venv/bin/python, see rnn_vs_ort.py).

  /usr/bin/python3 benchmarks/crnn_vs_ort.py [--threads 1,2] [--iters 200] [--rounds 5]
                                             [--workdir DIR]
"""
import argparse
import os
import subprocess
import sys
import tempfile
import warnings

import numpy as np
import torch
import torch.nn as nn
from onnx import numpy_helper

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import rnn_vs_ort  # noqa: E402  (the shared comparison harness)


class CRNN(nn.Module):
    def __init__(self, classes=37):
        super().__init__()
        self.cnn = nn.Sequential(
            nn.Conv2d(1, 32, 3, padding=1), nn.ReLU(), nn.MaxPool2d(2),
            nn.Conv2d(32, 64, 3, padding=1), nn.BatchNorm2d(64), nn.ReLU(), nn.MaxPool2d(2),
            nn.Conv2d(64, 128, 3, padding=1), nn.ReLU(), nn.MaxPool2d((2, 1)),
            nn.Conv2d(128, 128, (4, 1)), nn.ReLU())
        self.rnn = nn.LSTM(128, 256, num_layers=2, bidirectional=True)
        self.fc = nn.Linear(512, classes)

    def forward(self, x):
        features = self.cnn(x).squeeze(2).permute(2, 0, 1)  # [time, batch, channels]
        y, _ = self.rnn(features)
        return torch.log_softmax(self.fc(y), dim=2)


def export_case(case_dir):
    """Writes case_dir/model.onnx and one test data set (PyTorch's output)."""
    torch.manual_seed(0)
    model = CRNN().eval()
    with torch.no_grad():
        for m in model.modules():
            if isinstance(m, nn.BatchNorm2d):
                m.running_mean.uniform_(-0.1, 0.1)
                m.running_var.uniform_(0.5, 1.5)
        x = torch.rand(1, 1, 32, 128)
        y = model(x)
    os.makedirs(os.path.join(case_dir, "test_data_set_0"), exist_ok=True)
    path = os.path.join(case_dir, "model.onnx")
    with warnings.catch_warnings():
        # The exporter's notes on batch sizes and prim::Constant shape inference
        # do not apply to this static-shape model.
        warnings.simplefilter("ignore")
        torch.onnx.export(model, x, path, opset_version=14, input_names=["image"],
                          output_names=["logprobs"])
    for name, t in (("input_0.pb", x), ("output_0.pb", y)):
        proto = numpy_helper.from_array(t.numpy().astype(np.float32))
        with open(os.path.join(case_dir, "test_data_set_0", name), "wb") as f:
            f.write(proto.SerializeToString())
    return path


def main():
    ap = argparse.ArgumentParser()
    rnn_vs_ort.add_peer_args(ap)
    ap.add_argument("--threads", default="1,2")
    ap.add_argument("--workdir", default=None, help="keep the exported case here")
    args = ap.parse_args()
    case = os.path.join(args.workdir or tempfile.mkdtemp(prefix="loom_crnn_"), "crnn_public")
    model = export_case(case)
    r = subprocess.run([args.loomc, "check", "--engine", "compiled", case],
                       capture_output=True, text=True)
    print(r.stdout.strip())
    if r.returncode != 0:
        sys.exit(f"Loom's output does not match PyTorch's:\n{r.stderr}")
    cases = [("crnn_public", int(t), model) for t in args.threads.split(",")]
    rnn_vs_ort.compare(cases, args)


if __name__ == "__main__":
    main()
