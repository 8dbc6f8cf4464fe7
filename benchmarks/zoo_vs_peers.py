#!/usr/bin/python3
"""The model zoo: Loom against ONNX Runtime and OpenVINO, side by side in one run.

Takes the models of scripts/zoo.py (imported, not copied: its model list and
its export), checks that every engine computes the model's output, then times
Loom, ONNX Runtime and OpenVINO in interleaved rounds at each thread count and
writes a Markdown section into docs/performance.md, the raw numbers as JSON and
a bar chart of the Loom/peer latency ratios.

Usage (Debian's interpreter, which has python3-torch, python3-torchvision,
python3-onnx and python3-numpy for the export; the `python3` on PATH may not):

    /usr/bin/python3 benchmarks/zoo_vs_peers.py                 # the default set, ~1 h
    /usr/bin/python3 benchmarks/zoo_vs_peers.py --models '^(resnet18|kws)$' --rounds 3
    /usr/bin/python3 benchmarks/zoo_vs_peers.py --models '^(squeezenet1_1|kws)$' \\
        --rounds 2 --iters 5 --workdir /tmp/zvp --report /tmp/zvp/performance.md \\
        --plot /tmp/zvp/plot.svg                                  # a quick try

Options: --models REGEX (re.search on zoo.py's model names; any model zoo.py
knows, transformers included), --max-params N (default 30e6), --opset N
(default 13), --threads 1,2, --rounds R (default 5), --iters K (default 30),
--warmup W (default 5), --workdir DIR (default /tmp/loom-zoo-vs-peers; an
export is reused when DIR/<model>_op<N>/meta.json exists), --loomc PATH
(default build/loomc), --compile-threads N (passed to loomc, default 0: one
per core), --report FILE (default docs/performance.md), --json FILE (default
DIR/zoo_vs_peers.json), --plot FILE (default docs/zoo_vs_peers.svg), --venv DIR
(default benchmarks/.venv-peers), --timeout S (per loomc command, default 900),
--keep-cache (keep the run's compile cache, deleted at the end otherwise),
--list (print the selected models and exit).

Models: without --models, every torchvision classification model of at most
--max-params parameters except the transformers (vit_*, swin*, maxvit_t), and
zoo.py's own CNN+RNN models (speech, ocr_crnn, kws, text_classifier, tcn,
unet_small_*). Each is exported by zoo.export_case: random weights, fixed
seed, batch 1, plain torch.onnx.export at --opset, in the ONNX backend-test
layout with PyTorch's output on a fixed random input (test_data_set_0).

Peers, from PyPI in a virtual environment the command creates when missing
(`python3 -m venv benchmarks/.venv-peers && benchmarks/.venv-peers/bin/pip
install onnxruntime openvino numpy onnx matplotlib`):
  - ONNX Runtime: CPU execution provider, graph optimization ORT_ENABLE_ALL,
    intra_op_num_threads = threads, inter_op_num_threads = 1, sequential
    execution.
  - OpenVINO: CPU plugin, INFERENCE_NUM_THREADS = threads,
    PERFORMANCE_HINT = LATENCY, NUM_STREAMS = 1, INFERENCE_PRECISION_HINT = f32
    (the CPU plugin would otherwise run bf16 on CPUs that have AVX512-BF16).
Both run in one long-lived worker process under the venv's python, driven
over stdin/stdout with one JSON object per line, so each peer model is loaded
once per thread count. The worker also draws the chart (matplotlib is in the
venv).

What is checked, before any timing (a model or engine that fails is reported
with the reason and not timed):
  - Loom: `loomc check CASE --engine compiled` must PASS against PyTorch's
    output, with zoo.py's tolerances (loomc's defaults rtol 1e-3, atol 1e-5,
    atol raised to twice PyTorch's own f32 rounding error where that is
    larger; zoo.case_tolerance). A Loom failure drops the model.
  - Each peer, on input_0.pb against output_0.pb: |got - expected| <= atol +
    rtol * |expected| with rtol 1e-3 and atol = 1e-4 * max(1, max|expected|)
    (relative to the output's largest magnitude: deep random-weight nets have
    outputs in the thousands), or twice PyTorch's own f32 rounding error where
    that is larger. A failing peer is not timed on that model; the others are.

What is timed, per model and thread count, over --rounds rounds: in each
round each engine runs --warmup calls and then --iters timed calls, the order
of the three engines rotated from round to round (the machines are shared, so
each round's numbers are taken seconds apart). Loom: `loomc bench MODEL.onnx
--threads N --iters K --warmup W --json` (C++ timing around each run, on
deterministic random inputs), one process per round against one compile
cache per run (DIR/cache-<time>; the check compiles the model once, later
rounds hit the cache). Peers: time.perf_counter() around each
session.run / infer_request.infer on input_0.pb. Per engine: the median of the
round medians and the best minimum. Each peer's Python per-call cost is
measured the same way on a one-node model (Relu on a 1x8 tensor) with the same
session settings at each thread count, and subtracted from that peer's times
(the overhead is reported). The ratio Loom / peer is of these medians: below
1.0 Loom is faster. The tables give the geometric mean of the ratios over the
models where both were timed.

Output: the Markdown section between `<!-- zoo_vs_peers:begin -->` and
`<!-- zoo_vs_peers:end -->` in --report is replaced (markers and section are
appended when absent; the rest of the file is left as it is); --json gets
every raw number; --plot gets grouped bars, one group per model and one bar
per peer (Loom / peer latency), a line at 1.0, one panel per thread count.

This is a manual command, not part of CI. The full default set (46 models
with torchvision 0.14; see --list) is expected to take an hour or more at the
defaults (exports, one Loom compile per model and thread count, then 2 thread
counts x 5 rounds x 3 engines); it has not been timed end to end.
"""

import argparse
import datetime
import json
import math
import os
import re
import shlex
import shutil
import statistics
import subprocess
import sys
import time
import types

HERE = os.path.dirname(os.path.abspath(__file__))
REPO = os.path.dirname(HERE)
sys.path.insert(0, os.path.join(REPO, "scripts"))
import zoo  # noqa: E402  (models, export, loomc helpers; needs torch)

DEFAULT_WORKDIR = "/tmp/loom-zoo-vs-peers"
DEFAULT_VENV = os.path.join(HERE, ".venv-peers")
PEER_PACKAGES = ["onnxruntime", "openvino", "numpy", "onnx", "matplotlib"]
ENGINES = ("loom", "ort", "openvino")
PEERS = ("ort", "openvino")
LABEL = {"loom": "Loom", "ort": "ONNX Runtime", "openvino": "OpenVINO"}
SHORT = {"loom": "Loom", "ort": "ORT", "openvino": "OpenVINO"}
TRANSFORMERS = re.compile(r"^(vit_|swin|maxvit)")
PEER_RTOL, PEER_ATOL = 1e-3, 1e-4
BEGIN, END = "<!-- zoo_vs_peers:begin -->", "<!-- zoo_vs_peers:end -->"

# The peer worker, run with the venv's python. Reads one JSON request a line on
# stdin and answers one JSON line on stdout; anything the libraries print goes
# to stderr (file descriptor 1 is pointed there, the answers use a duplicate).
PEER_WORKER = r'''
import gc, json, os, sys, tempfile, time
answers = os.fdopen(os.dup(1), "w", buffering=1)
os.dup2(2, 1)
sys.stdout = sys.stderr
import numpy as np
import onnx
from onnx import TensorProto, helper, numpy_helper
import onnxruntime as ort
import openvino as ov

core = ov.Core()
loaded = {}


def read_tensor(path):
    t = TensorProto()
    with open(path, "rb") as f:
        t.ParseFromString(f.read())
    return np.ascontiguousarray(numpy_helper.to_array(t))


class OrtPeer:
    def __init__(self, model, threads):
        so = ort.SessionOptions()
        so.intra_op_num_threads = threads
        so.inter_op_num_threads = 1
        so.execution_mode = ort.ExecutionMode.ORT_SEQUENTIAL
        so.graph_optimization_level = ort.GraphOptimizationLevel.ORT_ENABLE_ALL
        self.session = ort.InferenceSession(model, so, providers=["CPUExecutionProvider"])
        self.input = self.session.get_inputs()[0].name

    def run(self, x):
        return self.session.run(None, {self.input: x})[0]


class OpenVinoPeer:
    def __init__(self, model, threads):
        config = {"INFERENCE_NUM_THREADS": str(threads), "PERFORMANCE_HINT": "LATENCY",
                  "NUM_STREAMS": "1", "INFERENCE_PRECISION_HINT": "f32"}
        self.compiled = core.compile_model(core.read_model(model), "CPU", config)
        self.request = self.compiled.create_infer_request()

    def run(self, x):
        self.request.infer({0: x}, share_inputs=True, share_outputs=True)
        return self.request.get_output_tensor(0).data


PEER_CLASSES = {"ort": OrtPeer, "openvino": OpenVinoPeer}


def peer(req):
    key = (req["engine"], req["model"], req["threads"])
    if key not in loaded:
        loaded[key] = PEER_CLASSES[req["engine"]](req["model"], req["threads"])
    return loaded[key]


def timed_calls(p, x, iters, warmup):
    for _ in range(warmup):
        p.run(x)
    ms = []
    for _ in range(iters):
        t0 = time.perf_counter()
        p.run(x)
        ms.append((time.perf_counter() - t0) * 1e3)
    return ms


def op_versions(req):
    return {"onnxruntime": ort.__version__, "openvino": ov.get_version(),
            "numpy": np.__version__, "onnx": onnx.__version__,
            "python": sys.version.split()[0]}


def op_load(req):
    t0 = time.perf_counter()
    peer(req)
    return {"load_s": time.perf_counter() - t0}


def op_check(req):
    got = np.asarray(peer(req).run(read_tensor(req["input"]))).copy()
    want = read_tensor(req["output"])
    if got.shape != want.shape:
        return {"pass": False, "reason": f"output shape {list(got.shape)}, expected {list(want.shape)}"}
    got64, want64 = got.astype(np.float64), want.astype(np.float64)
    err = np.abs(got64 - want64)
    bound = req["atol"] + req["rtol"] * np.abs(want64)
    bad = ~((err <= bound) | (np.isnan(got64) & np.isnan(want64)))
    max_err = float(np.nanmax(err)) if err.size else 0.0
    if bad.any():
        i = int(np.flatnonzero(bad)[0])
        return {"pass": False, "max_abs_err": max_err,
                "reason": f"{int(bad.sum())} of {bad.size} elements differ, first at {i}: "
                          f"{got64.flat[i]:.6g} vs {want64.flat[i]:.6g} (atol {req['atol']:.3g}, "
                          f"rtol {req['rtol']:g}); max abs error {max_err:.3g}"}
    return {"pass": True, "max_abs_err": max_err}


def op_time(req):
    ms = timed_calls(peer(req), read_tensor(req["input"]), req["iters"], req["warmup"])
    return {"ms": ms}


def op_overhead(req):
    """Per-call cost of a one-node model (Relu on 1x8) with the same settings."""
    path = os.path.join(tempfile.mkdtemp(prefix="zvp_relu_"), "relu.onnx")
    g = helper.make_graph([helper.make_node("Relu", ["x"], ["y"])], "relu",
                          [helper.make_tensor_value_info("x", TensorProto.FLOAT, [1, 8])],
                          [helper.make_tensor_value_info("y", TensorProto.FLOAT, [1, 8])])
    onnx.save(helper.make_model(g, opset_imports=[helper.make_opsetid("", 13)]), path)
    p = PEER_CLASSES[req["engine"]](path, req["threads"])
    x = np.random.default_rng(0).standard_normal((1, 8)).astype(np.float32)
    medians, mins = [], []
    for _ in range(req["repeats"]):
        ms = sorted(timed_calls(p, x, req["iters"], 20))
        medians.append(ms[len(ms) // 2])
        mins.append(ms[0])
    medians.sort()
    return {"median_ms": medians[len(medians) // 2], "min_ms": min(mins)}


def op_unload(req):
    loaded.clear()
    gc.collect()
    return {}


def op_plot(req):
    import matplotlib
    matplotlib.use("Agg")
    import matplotlib.pyplot as plt
    panels = req["panels"]
    width = max(8.0, 0.45 * max(len(p["models"]) for p in panels) + 2)
    fig, axes = plt.subplots(len(panels), 1, figsize=(width, 4.2 * len(panels)), squeeze=False)
    for ax, p in zip(axes[:, 0], panels):
        n, series = len(p["models"]), p["series"]
        bar = 0.8 / max(1, len(series))
        xs = np.arange(n)
        for k, (label, values) in enumerate(series.items()):
            vals = [np.nan if v is None else v for v in values]
            ax.bar(xs + (k - (len(series) - 1) / 2) * bar, vals, bar, label=label)
        ax.axhline(1.0, color="black", linewidth=1, linestyle="--", label="parity (1.0)")
        ax.set_xticks(xs)
        ax.set_xticklabels(p["models"], rotation=45, ha="right", fontsize=8)
        ax.set_xlim(-0.6, n - 0.4)
        top = max([v for vs in series.values() for v in vs if v is not None] or [1.0])
        ax.set_ylim(0, 1.25 * max(1.0, top))  # room for the legend above the bars
        ax.set_xlabel("model (batch 1, fp32)")
        ax.set_ylabel("Loom ms / peer ms (median)\nbelow 1: Loom faster", fontsize=9)
        ax.set_title(p["title"], fontsize=10)
        ax.grid(axis="y", alpha=0.3)
        ax.legend(fontsize=8, loc="best")
    fig.suptitle(req["title"], fontsize=10)
    fig.tight_layout()
    fig.savefig(req["path"], metadata={"Date": None})
    plt.close(fig)
    return {}


OPS = {"versions": op_versions, "load": op_load, "check": op_check, "time": op_time,
       "overhead": op_overhead, "unload": op_unload, "plot": op_plot}

for line in sys.stdin:
    try:
        req = json.loads(line)
        answer = OPS[req["op"]](req)
        answer["ok"] = True
    except Exception as ex:  # an answer, not a dead worker
        lines = [l for l in str(ex).splitlines() if l.strip()]
        answer = {"ok": False, "error": f"{type(ex).__name__}: {lines[0] if lines else ''}"[:400]}
    answers.write(json.dumps(answer) + "\n")
'''


# --- The peer worker ------------------------------------------------------------

def ensure_venv(venv):
    """The venv's python, after creating the venv and installing the peers if
    missing."""
    python = os.path.join(venv, "bin", "python")
    probe = "import onnxruntime, openvino, onnx, numpy, matplotlib"
    if os.path.exists(python) and subprocess.run([python, "-c", probe],
                                                 capture_output=True).returncode == 0:
        return python
    if not os.path.exists(python):
        print(f"creating {venv} ...", flush=True)
        subprocess.run([sys.executable, "-m", "venv", venv], check=True)
    print(f"installing {' '.join(PEER_PACKAGES)} into {venv} ...", flush=True)
    subprocess.run([python, "-m", "pip", "install", "--quiet", *PEER_PACKAGES], check=True)
    return python


class PeerWorker:
    """The long-lived worker process (PEER_WORKER under the venv's python)."""

    def __init__(self, python):
        self.python = python
        self.proc = None
        self.start()

    def start(self):
        self.proc = subprocess.Popen([self.python, "-c", PEER_WORKER], stdin=subprocess.PIPE,
                                     stdout=subprocess.PIPE, text=True, bufsize=1)

    def request(self, op, **fields):
        """The answer as a dict; raises RuntimeError with the reason when the
        request failed. A worker that died (a crash in a peer) is restarted,
        losing its loaded models."""
        try:
            self.proc.stdin.write(json.dumps(dict(op=op, **fields)) + "\n")
            self.proc.stdin.flush()
            line = self.proc.stdout.readline()
        except BrokenPipeError:
            line = ""
        if not line:
            rc = self.proc.wait()
            self.start()
            raise RuntimeError(f"peer worker died (exit {rc}) during {op}")
        answer = json.loads(line)
        if not answer.pop("ok"):
            raise RuntimeError(answer["error"])
        return answer

    def close(self):
        if self.proc and self.proc.poll() is None:
            self.proc.stdin.close()
            self.proc.wait(timeout=60)


# --- Models and checks ----------------------------------------------------------

def select_entries(args):
    """zoo.py's entries: the default set (CNNs and our own models) or those
    --models matches; then --max-params."""
    tv_entries, tv_version = zoo.torchvision_entries()
    entries = tv_entries + zoo.custom_entries()
    if args.models:
        entries = [e for e in entries if re.search(args.models, e.name)]
    else:
        entries = [e for e in entries
                   if e.family == "custom" or not TRANSFORMERS.search(e.name)]
    if args.max_params:
        entries = [e for e in entries if e.params is None or e.params <= args.max_params]
    return entries, tv_version


def exported_case(entry, opset, workdir):
    """(case_dir, meta): the export of entry, reused when meta.json is there."""
    case_dir = os.path.join(workdir, f"{entry.name}_op{opset}")
    meta_path = os.path.join(case_dir, "meta.json")
    if os.path.isfile(meta_path):
        with open(meta_path) as f:
            return case_dir, json.load(f)
    print(f"  exporting {entry.name} opset {opset} ...", flush=True)
    return case_dir, zoo.export_case(entry, opset, case_dir)


def zoo_args(args, threads):
    """The namespace zoo.check and zoo.case_tolerance read."""
    return types.SimpleNamespace(loomc=args.loomc, rtol=None, atol=None, threads=threads,
                                 compile_threads=args.compile_threads, timeout=args.timeout)


def check_loom(args, case_dir, meta):
    """(ok, reason) of `loomc check --engine compiled` at the first thread
    count, compiling into the run's cache."""
    zargs = zoo_args(args, args.thread_counts[0])
    rtol, atol, _ = zoo.case_tolerance(zargs, meta)
    status, reason, _ = zoo.check(zargs, case_dir, "compiled", args.cache_dir, (rtol, atol),
                                  threads=args.thread_counts[0])
    return status == "PASS", f"{status}: {reason}" if reason else status


def peer_tolerance(meta):
    """(rtol, atol) for the peers' outputs: see the module docstring."""
    atol = PEER_ATOL * max(1.0, meta.get("output_absmax") or 0.0)
    own = meta.get("torch_f32_abs_err")
    if own is not None:
        atol = max(atol, 2 * own)
    return PEER_RTOL, atol


def check_peer(worker, engine, case_dir, meta, threads):
    """(ok, reason, max_abs_err) of one peer's output on test_data_set_0."""
    data = os.path.join(case_dir, "test_data_set_0")
    rtol, atol = peer_tolerance(meta)
    try:
        worker.request("load", engine=engine, model=os.path.join(case_dir, "model.onnx"),
                       threads=threads)
        r = worker.request("check", engine=engine, model=os.path.join(case_dir, "model.onnx"),
                           threads=threads, input=os.path.join(data, "input_0.pb"),
                           output=os.path.join(data, "output_0.pb"), rtol=rtol, atol=atol)
    except RuntimeError as ex:
        return False, f"ERROR: {ex}", None
    if not r["pass"]:
        return False, f"FAIL: {r['reason']}", r.get("max_abs_err")
    return True, "", r.get("max_abs_err")


# --- Timing -----------------------------------------------------------------------

def time_loom(args, model, threads):
    """One round of `loomc bench`: its JSON object (median_ms, min_ms, ...)."""
    cmd = [args.loomc, "bench", model, "--threads", str(threads), "--iters", str(args.iters),
           "--warmup", str(args.warmup), "--json", "--cache-dir", args.cache_dir,
           "--compile-threads", str(args.compile_threads), "--quiet"]
    rc, out, _ = zoo.run_cmd(cmd, args.timeout)
    if rc is None:
        raise RuntimeError(f"loomc bench: over {args.timeout:g} s")
    for line in out.splitlines():
        if rc == 0 and line.strip().startswith("{"):
            return json.loads(line)
    raise RuntimeError(f"loomc bench: exit {rc}: {zoo.last_line(out)}")


def time_peer(args, worker, engine, model, input_pb, threads, overhead_ms):
    """One round of a peer: median and min, raw and less the per-call overhead."""
    ms = sorted(worker.request("time", engine=engine, model=model, threads=threads,
                               input=input_pb, iters=args.iters, warmup=args.warmup)["ms"])
    median, best = statistics.median(ms), ms[0]
    return {"median_ms": median - overhead_ms, "min_ms": best - overhead_ms,
            "raw_median_ms": median, "raw_min_ms": best, "ms": ms}


def rotated(engines, round_index):
    k = round_index % len(engines)
    return engines[k:] + engines[:k]


def time_model(args, worker, case_dir, threads, engines, overheads):
    """The interleaved rounds for one model at one thread count. Returns
    {engine: {"rounds": [...], "median_ms", "min_ms"} or {"error": reason}}."""
    model = os.path.join(case_dir, "model.onnx")
    input_pb = os.path.join(case_dir, "test_data_set_0", "input_0.pb")
    rounds = {e: [] for e in engines}
    errors = {}
    for r in range(args.rounds):
        for engine in rotated(list(engines), r):
            if engine in errors:
                continue
            try:
                if engine == "loom":
                    rounds[engine].append(time_loom(args, model, threads))
                else:
                    rounds[engine].append(time_peer(args, worker, engine, model, input_pb,
                                                    threads, overheads[engine]["median_ms"]))
            except RuntimeError as ex:
                errors[engine] = str(ex)
    result = {}
    for engine in engines:
        if engine in errors:
            result[engine] = {"error": errors[engine], "rounds": rounds[engine]}
            continue
        result[engine] = {"median_ms": statistics.median(x["median_ms"] for x in rounds[engine]),
                          "min_ms": min(x["min_ms"] for x in rounds[engine]),
                          "rounds": rounds[engine]}
    loom = result.get("loom", {})
    result["ratios"] = {}
    for p in PEERS:
        peer = result.get(p, {})
        if "median_ms" in loom and "median_ms" in peer and peer["median_ms"] > 0:
            result["ratios"][p] = loom["median_ms"] / peer["median_ms"]
    return result


def measure_overheads(worker, thread_counts):
    """{threads: {peer: {"median_ms", "min_ms"}}} on the one-node model."""
    out = {}
    for t in thread_counts:
        out[t] = {p: worker.request("overhead", engine=p, threads=t, iters=300, repeats=5)
                  for p in PEERS}
        print(f"peer per-call overhead, {t} thread(s): "
              + ", ".join(f"{SHORT[p]} {out[t][p]['median_ms'] * 1e3:.1f} us" for p in PEERS),
              flush=True)
    return out


# --- Report -----------------------------------------------------------------------

def geomean(values):
    values = [v for v in values if v and v > 0]
    return math.exp(sum(math.log(v) for v in values) / len(values)) if values else None


def fmt_ms(cell):
    if not cell or "median_ms" not in cell:
        return "-"
    return f"{cell['median_ms']:.3f} / {cell['min_ms']:.3f}"


def fmt_ratio(value):
    return "-" if value is None else f"{value:.2f}"


def results_table(run, threads):
    lines = [f"#### {threads} thread{'s' if threads > 1 else ''}", "",
             "| model | params | Loom ms | ORT ms | OpenVINO ms | Loom/ORT | Loom/OpenVINO |",
             "|---|---|---|---|---|---|---|"]
    ratios = {p: [] for p in PEERS}
    for m in run["models"]:
        timing = m.get("timing", {}).get(str(threads))
        if not timing:
            continue
        for p in PEERS:
            if p in timing["ratios"]:
                ratios[p].append(timing["ratios"][p])
        lines.append(f"| {m['model']} | {zoo.fmt_params(m.get('params'))} | "
                     f"{fmt_ms(timing.get('loom'))} | {fmt_ms(timing.get('ort'))} | "
                     f"{fmt_ms(timing.get('openvino'))} | "
                     f"{fmt_ratio(timing['ratios'].get('ort'))} | "
                     f"{fmt_ratio(timing['ratios'].get('openvino'))} |")
    means = {p: geomean(ratios[p]) for p in PEERS}
    counted = {p: f"{len(ratios[p])} model{'' if len(ratios[p]) == 1 else 's'}" for p in PEERS}
    lines.append(f"| **geometric mean** | | | | | **{fmt_ratio(means['ort'])}** "
                 f"({counted['ort']}) | **{fmt_ratio(means['openvino'])}** "
                 f"({counted['openvino']}) |")
    return lines, means


def not_timed_lines(run):
    lines = []
    for m in run["models"]:
        reasons = [f"{SHORT[e]} {r}" for e, r in m.get("failures", {}).items()]
        for t, timing in m.get("timing", {}).items():
            for e in ENGINES:
                if "error" in timing.get(e, {}):
                    reasons.append(f"{SHORT[e]} at {t} thread(s): {timing[e]['error']}")
        if reasons:
            lines.append(f"- {m['model']}: " + "; ".join(zoo.short(r, 300) for r in reasons))
    return lines


def report_section(run):
    v = run["versions"]
    a = run["settings"]
    lines = [
        f"## Model zoo against ONNX Runtime and OpenVINO ({run['date'][:10]})",
        "",
        "Generated by `benchmarks/zoo_vs_peers.py` (see its docstring); a manual command, "
        "not part of CI.",
        "",
        "```",
        run["command"],
        "```",
        "",
        f"- date: {run['date']}; wall time {run['elapsed_s'] / 60:.1f} min",
        f"- machine: {run['machine']}",
        f"- Loom: {v['loomc']}, commit {v['git']}; torch {v['torch']}, torchvision "
        f"{v['torchvision']} (export, opset {a['opset']})",
        f"- peers: ONNX Runtime {v['onnxruntime']} (CPU EP, ORT_ENABLE_ALL, intra-op = threads, "
        f"inter-op 1, sequential), OpenVINO {v['openvino']} (CPU, INFERENCE_NUM_THREADS = "
        f"threads, LATENCY hint, NUM_STREAMS 1, f32), Python {v['python']}, numpy {v['numpy']}",
        f"- timing: {a['rounds']} interleaved rounds (engine order rotated each round) of "
        f"{a['warmup']} warm-up + {a['iters']} timed calls per engine; each cell is the median of "
        "the round medians / the best minimum, in ms, batch 1, fp32. Loom: `loomc bench` (C++ "
        "timing, compile cache hit). Peers: time.perf_counter() around each call from Python, "
        "less the per-call overhead measured on a one-node model (Relu 1x8) with the same "
        "settings: "
        + "; ".join(f"{t} thread(s): " + ", ".join(
            f"{SHORT[p]} {run['overheads'][str(t)][p]['median_ms'] * 1e3:.1f} us" for p in PEERS)
            for t in a["threads"]),
        "- checks before timing: Loom `loomc check --engine compiled` PASS against PyTorch "
        "(zoo.py's tolerances); peers on input_0.pb against PyTorch's output_0.pb with rtol "
        f"{PEER_RTOL:g} and atol {PEER_ATOL:g} x max(1, max |output|) (or twice PyTorch's own "
        "f32 rounding error, if larger)",
        "- Loom/peer < 1: Loom is faster. Only ratios within one run mean anything on these "
        "shared machines.",
        "",
    ]
    for t in a["threads"]:
        table, _ = results_table(run, t)
        lines += table + [""]
    failed = not_timed_lines(run)
    if failed:
        lines += ["Not timed (a check failed or the engine could not run):", ""] + failed + [""]
    if run.get("plot"):
        lines += [f"Chart: `{run['plot']}` (Loom / peer latency per model).", ""]
    return "\n".join(lines).rstrip() + "\n"


def write_report(path, section):
    """Replaces the text between the markers, or appends markers and section."""
    old = ""
    if os.path.exists(path):
        with open(path) as f:
            old = f.read()
    block = f"{BEGIN}\n{section}{END}\n"
    start, end = old.find(BEGIN), old.find(END)
    if start >= 0 and end > start:
        end += len(END)
        if old[end:end + 1] == "\n":
            end += 1
        new = old[:start] + block + old[end:]
    else:
        new = old + ("" if not old or old.endswith("\n") else "\n") + ("\n" if old else "") + block
    os.makedirs(os.path.dirname(os.path.abspath(path)), exist_ok=True)
    with open(path, "w") as f:
        f.write(new)


def plot_request(run):
    panels = []
    for t in run["settings"]["threads"]:
        models, series = [], {LABEL[p]: [] for p in PEERS}
        for m in run["models"]:
            timing = m.get("timing", {}).get(str(t))
            if not timing or not timing["ratios"]:
                continue
            models.append(m["model"])
            for p in PEERS:
                series[LABEL[p]].append(timing["ratios"].get(p))
        _, means = results_table(run, t)
        title = (f"{t} thread{'s' if t > 1 else ''}; geometric mean "
                 + ", ".join(f"Loom/{SHORT[p]} {fmt_ratio(means[p])}" for p in PEERS))
        panels.append(dict(title=title, models=models, series=series))
    return panels


# --- Main -------------------------------------------------------------------------

def parse_args():
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0],
                                 formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--models", default=None, help="regex on zoo.py's model names (re.search)")
    ap.add_argument("--max-params", type=float, default=30e6)
    ap.add_argument("--opset", type=int, default=13)
    ap.add_argument("--threads", default="1,2")
    ap.add_argument("--rounds", type=int, default=5)
    ap.add_argument("--iters", type=int, default=30)
    ap.add_argument("--warmup", type=int, default=5)
    ap.add_argument("--workdir", default=DEFAULT_WORKDIR)
    ap.add_argument("--loomc", default=os.path.join(REPO, "build", "loomc"))
    ap.add_argument("--compile-threads", type=int, default=0)
    ap.add_argument("--timeout", type=float, default=900, help="per loomc command, s")
    ap.add_argument("--report", default=os.path.join(REPO, "docs", "performance.md"))
    ap.add_argument("--json", default=None, help="raw numbers (default WORKDIR/zoo_vs_peers.json)")
    ap.add_argument("--plot", default=os.path.join(REPO, "docs", "zoo_vs_peers.svg"))
    ap.add_argument("--venv", default=DEFAULT_VENV)
    ap.add_argument("--list", action="store_true", help="print the selected models and exit")
    ap.add_argument("--keep-cache", action="store_true",
                    help="keep the run's compile cache WORKDIR/cache-<time> afterwards")
    args = ap.parse_args()
    args.command = "/usr/bin/python3 benchmarks/zoo_vs_peers.py " + " ".join(
        shlex.quote(a) for a in sys.argv[1:])
    args.thread_counts = [int(t) for t in args.threads.split(",") if t]
    args.workdir = os.path.abspath(args.workdir)
    args.loomc = os.path.abspath(args.loomc)
    args.json = args.json or os.path.join(args.workdir, "zoo_vs_peers.json")
    return args


def run_model(args, worker, entry, overheads, index, total):
    """Export, checks and timing of one model: its row of the results."""
    row = dict(model=entry.name, family=entry.family, params=entry.params, failures={},
               timing={})
    try:
        case_dir, meta = exported_case(entry, args.opset, args.workdir)
    except Exception as ex:  # noqa: BLE001 - the exporter raises anything
        row["failures"]["loom"] = f"EXPORT-FAIL: {type(ex).__name__}: {zoo.last_line(str(ex))}"
        print(f"[{index}/{total}] {entry.name}: export failed: {row['failures']['loom']}",
              flush=True)
        return row
    row.update(params=meta["params"], input=meta["input"], case_dir=case_dir)
    ok, reason = check_loom(args, case_dir, meta)
    row["checks"] = {"loom": reason}
    if not ok:
        row["failures"]["loom"] = f"check {reason}"
        print(f"[{index}/{total}] {entry.name}: Loom check {reason}; not timed", flush=True)
        return row
    engines = ["loom"]
    for p in PEERS:
        ok, reason, err = check_peer(worker, p, case_dir, meta, args.thread_counts[0])
        row["checks"][p] = reason or "PASS"
        row.setdefault("peer_max_abs_err", {})[p] = err
        if ok:
            engines.append(p)
        else:
            row["failures"][p] = f"check {reason}"
            print(f"  {entry.name}: {SHORT[p]} check {reason}; {SHORT[p]} not timed", flush=True)
    for t in args.thread_counts:
        timing = time_model(args, worker, case_dir, t, engines, overheads[t])
        row["timing"][str(t)] = timing
        cells = ", ".join(f"{SHORT[e]} {timing[e]['median_ms']:.3f} ms" if "median_ms" in timing[e]
                          else f"{SHORT[e]} error" for e in engines)
        ratios = ", ".join(f"Loom/{SHORT[p]} {v:.2f}" for p, v in timing["ratios"].items())
        print(f"[{index}/{total}] {entry.name}, {t} thread(s): {cells}"
              + (f" ({ratios})" if ratios else ""), flush=True)
    try:
        worker.request("unload")
    except RuntimeError:
        pass  # a worker that died has nothing loaded
    return row


def main():
    args = parse_args()
    start = time.time()
    import torch
    import onnx
    torch.set_num_threads(1)
    entries, tv_version = select_entries(args)
    if args.list:
        for e in entries:
            print(f"{e.name:24} {e.family:12} {zoo.fmt_params(e.params):>8}  {e.input_desc}")
        print(f"{len(entries)} models")
        return
    if not entries:
        raise SystemExit("no model matches")
    print(f"{len(entries)} models: {', '.join(e.name for e in entries)}", flush=True)
    os.makedirs(args.workdir, exist_ok=True)
    zoo.wait_for(args.loomc)

    worker = PeerWorker(ensure_venv(args.venv))
    versions = worker.request("versions")
    versions.update(
        torch=torch.__version__, torchvision=tv_version, onnx_export=onnx.__version__,
        loomc=zoo.last_line(zoo.run_cmd([args.loomc, "--version"], 60)[1]),
        git=zoo.last_line(zoo.run_cmd(["git", "-C", REPO, "describe", "--always", "--dirty"],
                                      60)[1]) or "?")
    print(f"peers: ONNX Runtime {versions['onnxruntime']}, OpenVINO {versions['openvino']}; "
          f"{versions['loomc']}", flush=True)
    # One compile cache per run: the check compiles each model, bench rounds hit it.
    args.cache_dir = os.path.join(args.workdir, "cache-" + time.strftime("%Y%m%d-%H%M%S"))
    os.makedirs(args.cache_dir)

    overheads = measure_overheads(worker, args.thread_counts)
    run = dict(command=args.command, date=datetime.datetime.now().strftime("%Y-%m-%d %H:%M"),
               machine=zoo.machine(), versions=versions,
               settings=dict(opset=args.opset, threads=args.thread_counts, rounds=args.rounds,
                             iters=args.iters, warmup=args.warmup,
                             compile_threads=args.compile_threads, peer_rtol=PEER_RTOL,
                             peer_atol_relative=PEER_ATOL),
               overheads={str(t): v for t, v in overheads.items()}, models=[])
    try:
        for i, entry in enumerate(entries, 1):
            run["models"].append(run_model(args, worker, entry, overheads, i, len(entries)))
    finally:
        run["elapsed_s"] = time.time() - start
        if not args.keep_cache:
            shutil.rmtree(args.cache_dir, ignore_errors=True)
        os.makedirs(os.path.dirname(os.path.abspath(args.json)), exist_ok=True)
        with open(args.json, "w") as f:
            json.dump(run, f, indent=1)

    if args.plot:
        os.makedirs(os.path.dirname(os.path.abspath(args.plot)), exist_ok=True)
        try:
            worker.request("plot", path=os.path.abspath(args.plot), panels=plot_request(run),
                           title=f"Loom against ONNX Runtime and OpenVINO, {run['date'][:10]}, "
                                 f"{run['machine'].split(',')[0]}")
            run["plot"] = os.path.relpath(os.path.abspath(args.plot), REPO) \
                if os.path.abspath(args.plot).startswith(REPO + os.sep) else args.plot
        except RuntimeError as ex:
            print(f"plot failed: {ex}", flush=True)
    worker.close()
    write_report(args.report, report_section(run))
    with open(args.json, "w") as f:
        json.dump(run, f, indent=1)
    for t in args.thread_counts:
        _, means = results_table(run, t)
        print(f"{t} thread(s): geometric mean Loom/ORT {fmt_ratio(means['ort'])}, "
              f"Loom/OpenVINO {fmt_ratio(means['openvino'])}", flush=True)
    print(f"{run['elapsed_s'] / 60:.1f} min; report {args.report}, raw numbers {args.json}"
          + (f", plot {args.plot}" if run.get("plot") else ""), flush=True)


if __name__ == "__main__":
    main()
