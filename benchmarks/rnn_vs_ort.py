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

Before timing, each model's outputs from `loomc check --engine compiled` are
compared with ONNX Runtime's on one random input. --workloads deepbench runs
the rest of DeepBench's inference set instead (LSTM h256..h2048 at batch 1
and 4, vanilla RNN h32/h64, GRU h1024).

  /usr/bin/python3 benchmarks/rnn_vs_ort.py [--loomc build/loomc] [--threads 1,2] [--iters 200]
                                            [--rounds 5] [--ort-python PY] [--workloads W]
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
# The rest of DeepBench's inference set as WORKLOADS.md lists it (input size =
# hidden size), for --workloads deepbench: weights from L2 (h256) through L3
# (h1024, 16 MiB) to DRAM (h2048, 64 MiB).
DEEPBENCH = {
    f"lstm_h{h}_b{b}_t{t}": dict(op="LSTM", gates=4, hidden=h, inp=h, batch=b, seq=t)
    for h, t in ((256, 150), (1024, 25), (1536, 50), (2048, 25)) for b in (1, 4)
}
DEEPBENCH.update({
    f"rnn_h{h}_b1_t{t}": dict(op="RNN", gates=1, hidden=h, inp=h, batch=1, seq=t)
    for h, t in ((32, 672), (64, 96))
})
DEEPBENCH["gru_h1024_b1_t187"] = dict(op="GRU", gates=3, hidden=1024, inp=1024, batch=1, seq=187)

# Writes ONNX Runtime's outputs for a fixed random input as ONNX test data, so
# `loomc check` compares Loom's compiled outputs with them before any timing.
ORT_REFERENCE = r"""
import sys
import numpy as np
import onnxruntime as ort
path, out_dir = sys.argv[1], sys.argv[2]
s = ort.InferenceSession(path, providers=["CPUExecutionProvider"])
i = s.get_inputs()[0]
x = np.random.default_rng(7).uniform(-1, 1, i.shape).astype(np.float32)
np.save(out_dir + "/input_0.npy", x)
for k, y in enumerate(s.run(None, {i.name: x})):
    np.save(out_dir + f"/output_{k}.npy", y)
"""

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


def check_against_ort(args, name, path, case_dir):
    """Loom's compiled outputs against ONNX Runtime's on one random input."""
    data = os.path.join(case_dir, "test_data_set_0")
    os.makedirs(data, exist_ok=True)
    os.replace(path, os.path.join(case_dir, "model.onnx"))
    subprocess.run([args.ort_python, "-c", ORT_REFERENCE, os.path.join(case_dir, "model.onnx"), data],
                   check=True)
    for f in sorted(os.listdir(data)):
        if f.endswith(".npy"):
            with open(os.path.join(data, f[:-4] + ".pb"), "wb") as out:
                out.write(numpy_helper.from_array(np.load(os.path.join(data, f))).SerializeToString())
            os.remove(os.path.join(data, f))
    r = subprocess.run([args.loomc, "check", "--engine", "compiled", "--rtol", "1e-3", "--atol", "1e-4",
                        case_dir], capture_output=True, text=True)
    if r.returncode != 0:
        sys.exit(f"{name}: Loom's outputs differ from ONNX Runtime's:\n{r.stdout}{r.stderr}")
    print(f"{name}: outputs match ONNX Runtime's (loomc check --engine compiled)", file=sys.stderr)
    return os.path.join(case_dir, "model.onnx")


def main():
    ap = argparse.ArgumentParser()
    add_peer_args(ap)
    ap.add_argument("--threads", default="1,2")
    ap.add_argument("--workloads", default="issue",
                    help="issue (the two above), deepbench (the rest of DeepBench's inference "
                         "set), all, or a comma-separated list of names")
    args = ap.parse_args()
    known = {**WORKLOADS, **DEEPBENCH}
    names = {"issue": list(WORKLOADS), "deepbench": list(DEEPBENCH),
             "all": list(known)}.get(args.workloads, args.workloads.split(","))
    unknown = [n for n in names if n not in known]
    if unknown:
        sys.exit(f"unknown workload(s) {', '.join(unknown)}; known: {', '.join(known)}")
    tmp = tempfile.mkdtemp(prefix="loom_rnn_")
    cases = []
    for name in names:
        path = os.path.join(tmp, name + ".onnx")
        make_model(name, known[name], path)
        path = check_against_ort(args, name, path, os.path.join(tmp, name))
        for t in [int(x) for x in args.threads.split(",")]:
            cases.append((name, t, path))
    compare(cases, args)

if __name__ == "__main__":
    main()
