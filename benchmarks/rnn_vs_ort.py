#!/usr/bin/python3
"""Loom against ONNX Runtime on the DeepBench-style recurrent workloads of
shared/WORKLOADS.md, side by side in one run at the same thread counts.

  lstm_h512_b1_t25  LSTM, input 512, hidden 512, batch 1, 25 steps
  gru_h512_b2_t187  GRU (linear_before_reset=1), input 512, hidden 512, batch 2, 187 steps

The models are written directly with onnx.helper (one LSTM/GRU node, random
weights, fixed seed), so nothing but Debian's python3-onnx/numpy is needed to
make them. Loom is timed with `loomc bench --json`; ONNX Runtime runs in a
virtual environment (create it once:
  python3 -m venv benchmarks/.venv && benchmarks/.venv/bin/pip install onnxruntime numpy).

  /usr/bin/python3 benchmarks/rnn_vs_ort.py [--loomc build/loomc] [--threads 1,2] [--iters 200]
                                            [--rounds 5] [--ort-python PY]
"""
import argparse
import json
import os
import subprocess
import sys
import tempfile

import numpy as np
import onnx
from onnx import TensorProto, helper, numpy_helper

HERE = os.path.dirname(os.path.abspath(__file__))
REPO = os.path.dirname(HERE)

WORKLOADS = {
    "lstm_h512_b1_t25": dict(op="LSTM", gates=4, hidden=512, inp=512, batch=1, seq=25),
    "gru_h512_b2_t187": dict(op="GRU", gates=3, hidden=512, inp=512, batch=2, seq=187),
}

ORT_TIMER = r"""
import json, sys, time
import numpy as np
import onnxruntime as ort
path, threads, iters = sys.argv[1], int(sys.argv[2]), int(sys.argv[3])
so = ort.SessionOptions()
so.intra_op_num_threads = threads
so.inter_op_num_threads = 1
so.graph_optimization_level = ort.GraphOptimizationLevel.ORT_ENABLE_ALL
s = ort.InferenceSession(path, so, providers=["CPUExecutionProvider"])
i = s.get_inputs()[0]
x = np.random.default_rng(1).uniform(-1, 1, i.shape).astype(np.float32)
for _ in range(20): s.run(None, {i.name: x})
ts = []
for _ in range(iters):
    t0 = time.perf_counter(); s.run(None, {i.name: x}); ts.append((time.perf_counter() - t0) * 1e3)
ts.sort()
print(json.dumps({"median_ms": ts[len(ts) // 2], "min_ms": ts[0], "version": ort.__version__}))
"""


def make_model(name, w, path):
    rng = np.random.default_rng(0)
    h, g = w["hidden"], w["gates"]
    scale = 1.0 / np.sqrt(h)
    W = rng.uniform(-scale, scale, (1, g * h, w["inp"])).astype(np.float32)
    R = rng.uniform(-scale, scale, (1, g * h, h)).astype(np.float32)
    B = rng.uniform(-scale, scale, (1, 2 * g * h)).astype(np.float32)
    attrs = {"hidden_size": h}
    if w["op"] == "GRU":
        attrs["linear_before_reset"] = 1
    node = helper.make_node(w["op"], ["X", "W", "R", "B"], ["Y", "Y_h"], name=name, **attrs)
    graph = helper.make_graph(
        [node], name,
        [helper.make_tensor_value_info("X", TensorProto.FLOAT, [w["seq"], w["batch"], w["inp"]])],
        [helper.make_tensor_value_info("Y", TensorProto.FLOAT, None),
         helper.make_tensor_value_info("Y_h", TensorProto.FLOAT, None)],
        [numpy_helper.from_array(W, "W"), numpy_helper.from_array(R, "R"),
         numpy_helper.from_array(B, "B")])
    onnx.save(helper.make_model(graph, opset_imports=[helper.make_opsetid("", 14)]), path)


def add_peer_args(ap):
    """The options every Loom-versus-ONNX-Runtime comparison takes."""
    ap.add_argument("--loomc", default=os.path.join(REPO, "build", "loomc"))
    ap.add_argument("--ort-python", default=os.path.join(HERE, ".venv", "bin", "python"))
    ap.add_argument("--iters", type=int, default=200)
    ap.add_argument("--rounds", type=int, default=5,
                    help="interleaved Loom/ORT rounds per case (default 5)")


def compare(cases, args):
    """Times each (name, threads, model path) case with `loomc bench --json`
    and with ONNX Runtime, and prints a Markdown table.

    The machines are shared: another tenant's load on the L3 or memory moves
    both engines' times by 10-20% from minute to minute. So the engines take
    turns, round after round (the order flipping each round), and each
    round's ratio compares two measurements taken seconds apart."""
    if not os.path.exists(args.ort_python):
        sys.exit(f"no ONNX Runtime interpreter at {args.ort_python} (see the docstring)")
    loom_cmd = lambda path, t: [args.loomc, "bench", path, "--threads", str(t),
                                "--iters", str(args.iters), "--json"]
    ort_cmd = lambda path, t: [args.ort_python, "-c", ORT_TIMER, path, str(t), str(args.iters)]
    results = {(name, t): {"loom": [], "ort": []} for name, t, _ in cases}
    version = None
    for r in range(args.rounds):
        for name, t, path in cases:
            print(f"round {r + 1}/{args.rounds}: {name}, {t} thread(s) ...", file=sys.stderr,
                  flush=True)
            order = [("loom", loom_cmd), ("ort", ort_cmd)]
            if r % 2:
                order.reverse()
            for engine, cmd in order:
                out = json.loads(subprocess.run(cmd(path, t), check=True, capture_output=True,
                                                text=True).stdout)
                results[(name, t)][engine].append(out)
                version = out.get("version", version)

    def med(v):
        v = sorted(v)
        n = len(v)
        return v[n // 2] if n % 2 else (v[n // 2 - 1] + v[n // 2]) / 2

    print(f"{args.rounds} interleaved round(s) of {args.iters} runs per engine; median of the "
          f"round medians, best minimum; ratio = ORT / Loom per round")
    print(f"| workload | threads | Loom median / min (ms) | ORT {version} median / min (ms) "
          f"| ratio (median of rounds) | ratio range |")
    print("|---|---|---|---|---|---|")
    for name, t, _ in cases:
        loom, ort = results[(name, t)]["loom"], results[(name, t)]["ort"]
        ratios = [o["median_ms"] / l["median_ms"] for l, o in zip(loom, ort)]
        print(f"| {name} | {t} | {med([x['median_ms'] for x in loom]):.3f} / "
              f"{min(x['min_ms'] for x in loom):.3f} | {med([x['median_ms'] for x in ort]):.3f} / "
              f"{min(x['min_ms'] for x in ort):.3f} | {med(ratios):.2f}x | "
              f"{min(ratios):.2f}-{max(ratios):.2f}x |")


def main():
    ap = argparse.ArgumentParser()
    add_peer_args(ap)
    ap.add_argument("--threads", default="1,2")
    args = ap.parse_args()
    tmp = tempfile.mkdtemp(prefix="loom_rnn_")
    cases = []
    for name, w in WORKLOADS.items():
        path = os.path.join(tmp, name + ".onnx")
        make_model(name, w, path)
        for t in [int(x) for x in args.threads.split(",")]:
            cases.append((name, t, path))
    compare(cases, args)

if __name__ == "__main__":
    main()
