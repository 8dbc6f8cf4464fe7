#!/usr/bin/python3
"""ResNet-18 (batch 1, 3x224x224): Loom vs ONNX Runtime, side by side in one run.

Exports a ResNet-18 (torchvision's architecture, written out here so that
torchvision is not needed; random weights, fixed seed, eval mode) to ONNX
(opset 13, static shapes), then for each thread count measures
`loomc bench --json` (JIT compile time cold and with a warm cache, median and
min latency) and ONNX Runtime (CPU, graph optimization "all", same thread
count, same input), and checks that Loom's output matches ONNX Runtime's.

Run with Debian's /usr/bin/python3 (it has torch 1.13). ONNX Runtime runs in a
helper process from a virtual environment (--ort-python, default
benchmarks/.venv/bin/python; create it with
`python3 -m venv benchmarks/.venv && benchmarks/.venv/bin/pip install onnxruntime numpy`).
The machine is shared: compare the ratios of one run, not absolute times.
--per-layer also prints `loomc bench --per-layer` (time, GFLOP/s and % of the
FMA peak of every kernel group) at each thread count.
"""
import argparse
import json
import os
import subprocess
import sys
import tempfile

import numpy as np
import torch
import torch.nn as nn

HERE = os.path.dirname(os.path.abspath(__file__))


class BasicBlock(nn.Module):
    def __init__(self, cin, cout, stride):
        super().__init__()
        self.conv1 = nn.Conv2d(cin, cout, 3, stride, 1, bias=False)
        self.bn1 = nn.BatchNorm2d(cout)
        self.conv2 = nn.Conv2d(cout, cout, 3, 1, 1, bias=False)
        self.bn2 = nn.BatchNorm2d(cout)
        self.relu = nn.ReLU(inplace=True)
        self.down = None
        if stride != 1 or cin != cout:
            self.down = nn.Sequential(nn.Conv2d(cin, cout, 1, stride, bias=False), nn.BatchNorm2d(cout))

    def forward(self, x):
        y = self.relu(self.bn1(self.conv1(x)))
        y = self.bn2(self.conv2(y))
        return self.relu(y + (self.down(x) if self.down is not None else x))


class ResNet18(nn.Module):
    def __init__(self, classes=1000):
        super().__init__()
        self.stem = nn.Sequential(nn.Conv2d(3, 64, 7, 2, 3, bias=False), nn.BatchNorm2d(64),
                                  nn.ReLU(inplace=True), nn.MaxPool2d(3, 2, 1))
        layers, cin = [], 64
        for cout, stride in [(64, 1), (128, 2), (256, 2), (512, 2)]:
            layers += [BasicBlock(cin, cout, stride), BasicBlock(cout, cout, 1)]
            cin = cout
        self.layers = nn.Sequential(*layers)
        self.pool = nn.AdaptiveAvgPool2d(1)
        self.fc = nn.Linear(512, classes)

    def forward(self, x):
        return self.fc(torch.flatten(self.pool(self.layers(self.stem(x))), 1))


def export(path):
    torch.manual_seed(0)
    model = ResNet18().eval()
    # Non-trivial BatchNorm statistics, so folding BatchNorm is really tested.
    with torch.no_grad():
        for m in model.modules():
            if isinstance(m, nn.BatchNorm2d):
                m.running_mean.uniform_(-0.1, 0.1)
                m.running_var.uniform_(0.5, 1.5)
    x = torch.randn(1, 3, 224, 224)
    torch.onnx.export(model, x, path, opset_version=13, input_names=["input"],
                      output_names=["logits"], do_constant_folding=True)


ORT_HELPER = r"""
import json, sys, time
import numpy as np, onnxruntime as ort
model, threads, iters, warmup, inp, out = sys.argv[1:7]
so = ort.SessionOptions()
so.intra_op_num_threads = int(threads)
so.inter_op_num_threads = 1
so.graph_optimization_level = ort.GraphOptimizationLevel.ORT_ENABLE_ALL
s = ort.InferenceSession(model, so, providers=["CPUExecutionProvider"])
x = np.load(inp)
feed = {s.get_inputs()[0].name: x}
for _ in range(int(warmup)):
    s.run(None, feed)
ts = []
for _ in range(int(iters)):
    t = time.perf_counter(); y = s.run(None, feed); ts.append((time.perf_counter() - t) * 1e3)
np.save(out, y[0])
ts.sort()
print(json.dumps({"median_ms": float(np.median(ts)), "min_ms": ts[0], "version": ort.__version__}))
"""


def loom_bench(loomc, model, threads, iters, warmup, env):
    r = subprocess.run([loomc, "bench", model, "--threads", str(threads), "--iters", str(iters),
                        "--warmup", str(warmup), "--json"], capture_output=True, text=True, env=env)
    if r.returncode != 0:
        sys.exit(f"loomc bench failed ({r.returncode}): {r.stderr.strip()}")
    return json.loads(r.stdout.strip().splitlines()[-1])


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--loomc", default=os.path.join(HERE, "..", "build", "loomc"))
    ap.add_argument("--ort-python", default=os.path.join(HERE, ".venv", "bin", "python"))
    ap.add_argument("--threads", default="1,2")
    ap.add_argument("--iters", type=int, default=20)
    ap.add_argument("--warmup", type=int, default=3)
    ap.add_argument("--workdir", default=None)
    ap.add_argument("--per-layer", action="store_true",
                    help="also print loomc's per-layer profile at each thread count")
    a = ap.parse_args()
    work = a.workdir or tempfile.mkdtemp(prefix="loom_resnet18_")
    os.makedirs(work, exist_ok=True)
    model = os.path.join(work, "resnet18.onnx")
    export(model)
    np.random.seed(1)
    x = np.random.uniform(-1, 1, (1, 3, 224, 224)).astype(np.float32)
    inp = os.path.join(work, "input.npy")
    np.save(inp, x)
    # A fresh cache directory: the first compile is cold, the second warm.
    env = dict(os.environ, LOOM_CACHE_DIR=os.path.join(work, "cache"))
    helper = os.path.join(work, "ort_helper.py")
    with open(helper, "w") as f:
        f.write(ORT_HELPER)

    rows = []
    for t in [int(v) for v in a.threads.split(",")]:
        cold = loom_bench(a.loomc, model, t, a.iters, a.warmup, env)
        warm = loom_bench(a.loomc, model, t, a.iters, a.warmup, env)
        out = os.path.join(work, f"ort_out_{t}.npy")
        r = subprocess.run([a.ort_python, helper, model, str(t), str(a.iters), str(a.warmup), inp, out],
                           capture_output=True, text=True)
        if r.returncode != 0:
            sys.exit(f"ONNX Runtime failed: {r.stderr.strip()}")
        ort = json.loads(r.stdout.strip().splitlines()[-1])
        rows.append((t, cold, warm, ort))

    print(f"ResNet-18 b1 fp32 (machine shared and loaded: compare ratios), ORT {rows[0][3]['version']}")
    print(f"{'threads':>7} {'loom med':>9} {'loom min':>9} {'ort med':>8} {'ort min':>8} "
          f"{'ratio med':>9} {'ratio min':>9} {'compile cold':>12} {'compile cached':>14} {'cache':>7}")
    for t, cold, warm, ort in rows:
        best = min((cold, warm), key=lambda r: r["median_ms"])
        print(f"{t:>7} {best['median_ms']:>9.2f} {min(cold['min_ms'], warm['min_ms']):>9.2f} "
              f"{ort['median_ms']:>8.2f} {ort['min_ms']:>8.2f} {best['median_ms'] / ort['median_ms']:>9.2f} "
              f"{min(cold['min_ms'], warm['min_ms']) / ort['min_ms']:>9.2f} "
              f"{cold['compile_ms'] / 1e3:>11.2f}s {warm['compile_ms'] / 1e3:>13.2f}s {warm['cache']:>7}")

    if a.per_layer:
        for t, _, _, _ in rows:
            r = subprocess.run([a.loomc, "bench", model, "--threads", str(t), "--iters", str(a.iters),
                                "--warmup", str(a.warmup), "--per-layer"],
                               capture_output=True, text=True, env=env)
            if r.returncode != 0:
                sys.exit(f"loomc bench --per-layer failed ({r.returncode}): {r.stderr.strip()}")
            print(f"\n---- per layer, {t} thread(s) ----")
            print(r.stdout.rstrip())

    # Correctness: Loom's output on the same input vs ONNX Runtime's.
    ref = os.path.join(work, "ort_out_1.npy" if os.path.exists(os.path.join(work, "ort_out_1.npy"))
                       else f"ort_out_{rows[0][0]}.npy")
    case = os.path.join(work, "case")
    ds = os.path.join(case, "test_data_set_0")
    os.makedirs(ds, exist_ok=True)
    import onnx
    from onnx import numpy_helper
    os.replace(model, os.path.join(case, "model.onnx")) if not os.path.exists(os.path.join(case, "model.onnx")) else None
    with open(os.path.join(ds, "input_0.pb"), "wb") as f:
        f.write(numpy_helper.from_array(x, "input").SerializeToString())
    with open(os.path.join(ds, "output_0.pb"), "wb") as f:
        f.write(numpy_helper.from_array(np.load(ref), "logits").SerializeToString())
    r = subprocess.run([a.loomc, "check", "--engine", "compiled", "--rtol", "1e-3", "--atol", "1e-4", case],
                       capture_output=True, text=True, env=env)
    print("loomc check (compiled) vs ONNX Runtime output:", r.stdout.strip().splitlines()[-1] if r.stdout else r.stderr.strip())


if __name__ == "__main__":
    main()
