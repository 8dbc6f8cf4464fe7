#!/usr/bin/python3
"""Model zoo: exports ordinary PyTorch models to ONNX and checks Loom against them.

Usage (Debian's interpreter, which has python3-torch, python3-torchvision,
python3-onnx and python3-numpy; the `python3` on PATH may not):

    /usr/bin/python3 scripts/zoo.py                      # everything, opsets 13 and 17
    /usr/bin/python3 scripts/zoo.py --list               # model names, params, input
    /usr/bin/python3 scripts/zoo.py --models '^(resnet18|mobilenet_v2|speech)$'
    /usr/bin/python3 scripts/zoo.py --max-params 30e6 --opsets 17
    /usr/bin/python3 scripts/zoo.py --skip-export        # re-check the exported folders
    /usr/bin/python3 scripts/zoo.py --merge A/results.json B/results.json  # one report of runs
                                     # (a model/opset in several runs: the last run's row)

Options: --out DIR (work folder, default /tmp/loom-zoo), --report FILE (Markdown
table, default docs/zoo.md), --models REGEX (re.search on the name), --opsets
13,17, --max-params N (skip larger models), --skip-export (reuse folders from an
earlier run; export only those missing), --skip-reference (the compiled engine
only: the naive reference engine takes most of the time on the largest
models), --jobs N (checks run in parallel,
default 1), --timeout S (per loomc command, default 600), --loomc PATH
(default build/loomc), --rtol/--atol (passed to `loomc check`), --threads and
--compile-threads (passed to the compiled engine, default 1 each; --threads
1,2 checks at each count, all must pass), --clean
(delete each case folder once checked), --keep-cache (keep OUT/cache/<case>).

What it does, per model and opset:
  1. Builds the model with random weights (torchvision: weights=None; nothing
     is downloaded), eval mode, torch.manual_seed fixed per model, batch 1.
  2. Exports it with plain torch.onnx.export(model, x, path, opset_version=N,
     input_names=["input"], output_names=["output"]) into OUT/<model>_op<N>/
     in the ONNX backend-test layout (model.onnx, test_data_set_0/input_0.pb,
     output_0.pb), the expected output being PyTorch's on a fixed random input.
  3. Runs `loomc check --engine reference` and `loomc check --engine compiled`
     on the folder, and `loomc bench model.onnx --iters 1 --warmup 0 --json`
     for the compile time: compile_ms against an empty compile cache of the
     case's own, OUT/cache/<case> (seeded with the Halide runtime object only),
     which the compiled check then reuses, so each model is compiled once. The
     folder is deleted afterwards unless --keep-cache.
     The tolerances are loomc's defaults (or --rtol/--atol), except that atol
     is raised to twice the largest error PyTorch's own f32 output has against
     the same model run in f64, where that is larger (deep random-weight nets
     such as resnet152 have outputs of 1e8 and round by 1e2).
  4. Records PASS / FAIL / UNSUPPORTED (or EXPORT-FAIL, TIMEOUT, CRASH) with the
     first line of the reason, and writes the Markdown table to --report and
     every detail to OUT/results.json.

Models: every classification model torchvision provides (torchvision.models.
list_models(module=torchvision.models); input 1x3x224x224, inception_v3
1x3x299x299; googlenet and inception_v3 with aux_logits=False,
init_weights=True), and small CNN+RNN models defined below (speech, ocr_crnn,
kws, text_classifier, tcn, unet_small_*). The transformers (vit_*, swin_*,
swin_v2_*, maxvit_t) are included and may legitimately fail: the exports
compute shapes at run time (vit: Expand of the class token to a Shape-derived
size) and use Mod, ScatterND and Dropout with training_mode=true (swin's
F.dropout(p=0) without training=) -- see docs/zoo.md for the current reasons.

This is a manual command, not part of CI: the whole zoo takes hours and
needs tens of GB of disk for the exports.
"""

import argparse
import concurrent.futures
import copy
import datetime
import json
import os
import platform
import re
import shlex
import shutil
import subprocess
import sys
import threading
import time
import warnings
import zlib

import numpy as np
import onnx
import torch
import torch.nn as nn
import torch.nn.functional as F
from onnx import numpy_helper

REPO = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
DEFAULT_OUT = "/tmp/loom-zoo"
DEFAULT_RTOL, DEFAULT_ATOL = 1e-3, 1e-5  # loomc check's defaults
DEFAULT_REPORT = os.path.join(REPO, "docs", "zoo.md")
DEFAULT_LOOMC = os.path.join(REPO, "build", "loomc")


# --- Models of our own: small but realistic CNN+RNN shapes -------------------

class Speech(nn.Module):
    """DeepSpeech2-like: strided Conv2d front end over a spectrogram with BN and
    Hardtanh(0, 20), the frequency axis folded into channels, a 2-layer
    bidirectional GRU over time, and a per-step Linear to the characters."""

    def __init__(self, n_freq=80, hidden=128, classes=29):
        super().__init__()
        self.conv = nn.Sequential(
            nn.Conv2d(1, 32, (11, 41), stride=(2, 2), padding=(5, 20), bias=False),
            nn.BatchNorm2d(32), nn.Hardtanh(0, 20, inplace=True),
            nn.Conv2d(32, 32, (11, 21), stride=(1, 2), padding=(5, 10), bias=False),
            nn.BatchNorm2d(32), nn.Hardtanh(0, 20, inplace=True),
        )
        freq = n_freq // 4  # both convs halve the frequency axis
        self.rnn = nn.GRU(32 * freq, hidden, num_layers=2, bidirectional=True)
        self.fc = nn.Linear(2 * hidden, classes)

    def forward(self, x):                      # x: [N, 1, T, F]
        x = self.conv(x)                       # [N, 32, T/2, F/4]
        n, c, t, f = x.shape
        x = x.permute(2, 0, 1, 3).reshape(t, n, c * f)  # [T', N, C*F']
        y, _ = self.rnn(x)                     # [T', N, 2*hidden]
        return self.fc(y)                      # [T', N, classes]


class OcrCRNN(nn.Module):
    """CRNN text recognizer: VGG-style Conv+BN+ReLU+MaxPool stack, height pooled
    to 1, width as time through two BiLSTM+Linear blocks, log-probabilities."""

    def __init__(self, classes=37, hidden=128):
        super().__init__()

        def block(ci, co):
            return [nn.Conv2d(ci, co, 3, padding=1, bias=False), nn.BatchNorm2d(co),
                    nn.ReLU(inplace=True)]

        self.features = nn.Sequential(
            *block(1, 32), nn.MaxPool2d(2),              # 16 x 64
            *block(32, 64), nn.MaxPool2d(2),             # 8 x 32
            *block(64, 128), *block(128, 128), nn.MaxPool2d((2, 1)),  # 4 x 32
            *block(128, 256), *block(256, 256), nn.MaxPool2d((2, 1)),  # 2 x 32
            nn.AdaptiveAvgPool2d((1, 32)),                # 1 x 32
        )
        self.rnn1 = nn.LSTM(256, hidden, bidirectional=True)
        self.fc1 = nn.Linear(2 * hidden, hidden)
        self.rnn2 = nn.LSTM(hidden, hidden, bidirectional=True)
        self.fc2 = nn.Linear(2 * hidden, classes)

    def forward(self, x):                      # x: [N, 1, 32, 128]
        f = self.features(x).squeeze(2)        # [N, 256, 32]
        f = f.permute(2, 0, 1)                 # [W, N, 256]
        y, _ = self.rnn1(f)
        y, _ = self.rnn2(self.fc1(y))
        return F.log_softmax(self.fc2(y), dim=2)  # [W, N, classes]


class KeywordSpotter(nn.Module):
    """Keyword spotter: strided Conv1d over MFCC frames, a GRU, the last time
    step, and a Linear to the keyword classes."""

    def __init__(self, n_mfcc=40, channels=64, hidden=128, classes=12):
        super().__init__()
        self.conv = nn.Sequential(
            nn.Conv1d(n_mfcc, channels, 5, stride=2, padding=2, bias=False),
            nn.BatchNorm1d(channels), nn.ReLU(inplace=True),
            nn.Conv1d(channels, channels, 3, padding=1, bias=False),
            nn.BatchNorm1d(channels), nn.ReLU(inplace=True),
        )
        self.gru = nn.GRU(channels, hidden, batch_first=True)
        self.fc = nn.Linear(hidden, classes)

    def forward(self, x):                      # x: [N, n_mfcc, T]
        h = self.conv(x).transpose(1, 2)       # [N, T/2, channels]
        y, _ = self.gru(h)                     # [N, T/2, hidden]
        return self.fc(y[:, -1])               # [N, classes]


class TextClassifier(nn.Module):
    """Embedding over int64 token ids, an LSTM, max over time, a Linear."""

    def __init__(self, vocab=5000, dim=64, hidden=128, classes=4):
        super().__init__()
        self.vocab = vocab
        self.embed = nn.Embedding(vocab, dim)
        self.lstm = nn.LSTM(dim, hidden, batch_first=True)
        self.fc = nn.Linear(hidden, classes)

    def forward(self, tokens):                 # tokens: [N, L] int64
        y, _ = self.lstm(self.embed(tokens))   # [N, L, hidden]
        return self.fc(torch.max(y, dim=1).values)


class CausalConv1d(nn.Module):
    def __init__(self, ci, co, k, dilation):
        super().__init__()
        self.pad = (k - 1) * dilation
        self.conv = nn.Conv1d(ci, co, k, dilation=dilation)

    def forward(self, x):
        return self.conv(F.pad(x, (self.pad, 0)))


class TemporalBlock(nn.Module):
    def __init__(self, ci, co, k, dilation):
        super().__init__()
        self.conv1 = CausalConv1d(ci, co, k, dilation)
        self.conv2 = CausalConv1d(co, co, k, dilation)
        self.down = nn.Conv1d(ci, co, 1) if ci != co else None

    def forward(self, x):
        y = F.relu(self.conv2(F.relu(self.conv1(x))))
        res = x if self.down is None else self.down(x)
        return F.relu(y + res)


class TCN(nn.Module):
    """Temporal convolutional network: causal (left-padded) dilated Conv1d
    blocks with residuals, dilations 1, 2, 4, 8, a 1x1 Conv1d head."""

    def __init__(self, ci=8, channels=32, k=3, classes=5):
        super().__init__()
        blocks, c = [], ci
        for d in (1, 2, 4, 8):
            blocks.append(TemporalBlock(c, channels, k, d))
            c = channels
        self.blocks = nn.Sequential(*blocks)
        self.head = nn.Conv1d(channels, classes, 1)

    def forward(self, x):                      # x: [N, ci, T]
        return self.head(self.blocks(x))       # [N, classes, T]


def double_conv(ci, co):
    return nn.Sequential(
        nn.Conv2d(ci, co, 3, padding=1, bias=False), nn.BatchNorm2d(co), nn.ReLU(inplace=True),
        nn.Conv2d(co, co, 3, padding=1, bias=False), nn.BatchNorm2d(co), nn.ReLU(inplace=True))


class Up(nn.Module):
    def __init__(self, ci, co, mode):
        super().__init__()
        if mode == "convt":
            self.up = nn.ConvTranspose2d(ci, ci // 2, 2, stride=2)
        else:
            align = {} if mode == "nearest" else {"align_corners": False}
            self.up = nn.Sequential(nn.Upsample(scale_factor=2, mode=mode, **align),
                                    nn.Conv2d(ci, ci // 2, 1))
        self.conv = double_conv(ci, co)

    def forward(self, x, skip):
        return self.conv(torch.cat([skip, self.up(x)], dim=1))


class UNetSmall(nn.Module):
    """2-level U-Net: double convs, MaxPool down, ConvTranspose2d or
    nn.Upsample (+1x1 conv) up, torch.cat skip connections, 1x1 head."""

    def __init__(self, mode, ci=3, classes=2, base=16):
        super().__init__()
        self.enc1 = double_conv(ci, base)
        self.enc2 = double_conv(base, 2 * base)
        self.mid = double_conv(2 * base, 4 * base)
        self.up2 = Up(4 * base, 2 * base, mode)
        self.up1 = Up(2 * base, base, mode)
        self.head = nn.Conv2d(base, classes, 1)

    def forward(self, x):                      # x: [N, 3, H, W]
        e1 = self.enc1(x)
        e2 = self.enc2(F.max_pool2d(e1, 2))
        m = self.mid(F.max_pool2d(e2, 2))
        return self.head(self.up1(self.up2(m, e2), e1))


def custom_input(shape):
    return lambda: torch.randn(*shape)


# name -> (builder, input maker, description)
CUSTOM = {
    "speech": (Speech, custom_input((1, 1, 100, 80)),
               "Conv2d x2 (strided) + BN + Hardtanh, 2-layer BiGRU, Linear; 1x1x100x80"),
    "ocr_crnn": (OcrCRNN, custom_input((1, 1, 32, 128)),
                 "VGG Conv+BN+ReLU+MaxPool, AdaptiveAvgPool2d to height 1, 2x (BiLSTM + "
                 "Linear), log_softmax; 1x1x32x128"),
    "kws": (KeywordSpotter, custom_input((1, 40, 98)),
            "Conv1d x2 + BN + ReLU, GRU, last step y[:, -1], Linear; 1x40x98"),
    "text_classifier": (TextClassifier, lambda: torch.randint(0, 5000, (1, 64), dtype=torch.int64),
                        "Embedding (int64 ids) + LSTM + max over time + Linear; 1x64 int64"),
    "tcn": (TCN, custom_input((1, 8, 200)),
            "causal F.pad + dilated Conv1d (1,2,4,8) blocks, residuals, ReLU; 1x8x200"),
    "unet_small_convt": (lambda: UNetSmall("convt"), custom_input((1, 3, 64, 64)),
                         "2-level U-Net, ConvTranspose2d up, cat skips; 1x3x64x64"),
    "unet_small_bilinear": (lambda: UNetSmall("bilinear"), custom_input((1, 3, 64, 64)),
                            "2-level U-Net, Upsample bilinear (align_corners=False) + 1x1 "
                            "conv, cat skips; 1x3x64x64"),
    "unet_small_nearest": (lambda: UNetSmall("nearest"), custom_input((1, 3, 64, 64)),
                           "2-level U-Net, Upsample nearest + 1x1 conv, cat skips; 1x3x64x64"),
}


# --- The list of models -------------------------------------------------------

class Entry:
    def __init__(self, name, family, params, input_desc, build, make_input):
        self.name, self.family, self.params = name, family, params
        self.input_desc, self.build, self.make_input = input_desc, build, make_input


def torchvision_entries():
    import torchvision
    from torchvision import models
    entries = []
    for name in models.list_models(module=models):
        kwargs = {"weights": None}
        if name in ("googlenet", "inception_v3"):
            kwargs.update(aux_logits=False, init_weights=True)
        size = 299 if name == "inception_v3" else 224
        try:
            params = models.get_model_weights(name).DEFAULT.meta["num_params"]
        except Exception:  # no weights enum: count after building
            params = None

        def build(name=name, kwargs=kwargs):
            return models.get_model(name, **kwargs)

        entries.append(Entry(name, "torchvision", params, f"1x3x{size}x{size}", build,
                             lambda size=size: torch.randn(1, 3, size, size)))
    return entries, torchvision.__version__


def custom_entries():
    entries = []
    for name, (build, make_input, desc) in CUSTOM.items():
        torch.manual_seed(0)
        params = sum(p.numel() for p in build().parameters())
        entries.append(Entry(name, "custom", params, desc.rsplit("; ", 1)[1], build,
                             make_input))
    return entries


def seed_of(name):
    return zlib.crc32(name.encode()) & 0x7FFFFFFF


# --- Export -------------------------------------------------------------------

def write_tensor(path, array):
    with open(path, "wb") as f:
        f.write(numpy_helper.from_array(array).SerializeToString())


def folder_size(path):
    total = 0
    for root, _, files in os.walk(path):
        for f in files:
            if f.endswith(".pb") and "test_data_set" in root:
                continue
            total += os.path.getsize(os.path.join(root, f))
    return total


def f32_rounding_error(model, x, expected):
    """The largest absolute difference between PyTorch's own f32 output and
    the same model run in f64: how much f32 rounding moves this model's
    output. Deep random-weight nets round far beyond loomc check's default
    atol (resnet152's outputs reach 1e8 and PyTorch's f32 result is off by
    up to 134). None if the model cannot run in f64."""
    try:
        m64 = copy.deepcopy(model).double()
        x64 = x.double() if x.is_floating_point() else x
        with torch.no_grad():
            ref = m64(x64)
        if isinstance(ref, (tuple, list)):
            ref = ref[0]
        ref = ref.detach().numpy()
    except Exception:  # noqa: BLE001 - some modules have no f64 kernels
        return None
    got = expected.numpy().astype(np.float64)
    return float(np.max(np.abs(got - ref))) if got.size else 0.0


def case_tolerance(args, meta):
    """(rtol, atol, raised) a case is checked with: --rtol/--atol (default
    loomc's), with atol raised to twice PyTorch's own f32 rounding error on
    that model when that is larger: Loom may be off by as much as PyTorch
    itself, twice over, on any element. A per-element relative rule alone
    fails deep nets on their few small outputs, where the absolute rounding
    of the large ones lands."""
    rtol = args.rtol if args.rtol is not None else DEFAULT_RTOL
    atol = args.atol if args.atol is not None else DEFAULT_ATOL
    own = (meta or {}).get("torch_f32_abs_err")
    if own is not None and 2 * own > atol:
        return rtol, float(f"{2 * own:.2g}"), True
    return rtol, atol, False


def export_case(entry, opset, case_dir):
    """Writes case_dir in the backend-test layout and case_dir/meta.json.
    Returns the meta dict; raises on export failure."""
    if os.path.isdir(case_dir):
        shutil.rmtree(case_dir)
    data_dir = os.path.join(case_dir, "test_data_set_0")
    os.makedirs(data_dir)
    t0 = time.time()
    torch.manual_seed(seed_of(entry.name))
    model = entry.build().eval()
    params = sum(p.numel() for p in model.parameters())
    torch.manual_seed(seed_of(entry.name) + 1)
    x = entry.make_input()
    # Not under torch.no_grad(): without autograd, nn.MultiheadAttention and
    # nn.TransformerEncoderLayer take a fused fast path (the ViTs' encoder)
    # that the exporter cannot write. The expected values come from the same
    # path the exporter traces.
    expected = model(x)
    if isinstance(expected, (tuple, list)):
        expected = expected[0]
    expected = expected.detach()
    torch_f32_abs_err = f32_rounding_error(model, x, expected)
    path = os.path.join(case_dir, "model.onnx")
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")  # the exporter's shape-inference chatter
        torch.onnx.export(model, x, path, opset_version=opset,
                          input_names=["input"], output_names=["output"])
    export_s = time.time() - t0
    write_tensor(os.path.join(data_dir, "input_0.pb"), x.numpy())
    write_tensor(os.path.join(data_dir, "output_0.pb"), expected.numpy())
    proto = onnx.load(path, load_external_data=False)
    ops = sorted({n.op_type for n in proto.graph.node})
    out = expected.numpy()
    meta = dict(model=entry.name, family=entry.family, opset=opset, params=params,
                input=list(x.shape), input_dtype=str(x.dtype).replace("torch.", ""),
                output=list(out.shape), output_absmax=float(np.abs(out).max()),
                bytes=folder_size(case_dir), export_s=round(export_s, 2), ops=ops,
                nodes=len(proto.graph.node), torch_f32_abs_err=torch_f32_abs_err)
    with open(os.path.join(case_dir, "meta.json"), "w") as f:
        json.dump(meta, f, indent=1)
    return meta


# --- Checking with loomc --------------------------------------------------------

def wait_for(loomc, seconds=180):
    """The binary may be replaced by a rebuild under us; wait for it."""
    deadline = time.time() + seconds
    while not os.access(loomc, os.X_OK):
        if time.time() > deadline:
            raise SystemExit(f"{loomc}: not found or not executable")
        time.sleep(5)


def run_cmd(cmd, timeout):
    """Runs cmd in its own process group; returns (rc, output, seconds).
    rc is None on timeout (the group is killed)."""
    for attempt in range(60):
        try:
            t0 = time.time()
            p = subprocess.Popen(cmd, stdout=subprocess.PIPE, stderr=subprocess.STDOUT,
                                 text=True, errors="replace", start_new_session=True)
            break
        except OSError:  # loomc being relinked: missing, not executable, text busy
            if attempt == 59:
                raise
            time.sleep(5)
    try:
        out, _ = p.communicate(timeout=timeout)
        rc = p.returncode
    except subprocess.TimeoutExpired:
        os.killpg(p.pid, 9)
        out, _ = p.communicate()
        rc = None
    return rc, out, time.time() - t0


def last_line(text):
    lines = [l.strip() for l in text.splitlines() if l.strip()]
    return lines[-1] if lines else ""


def check(args, case_dir, engine, cache_dir=None, tolerance=None, threads=None):
    """Returns (status, reason, seconds) for one `loomc check` run."""
    name = os.path.basename(case_dir)
    cmd = [args.loomc, "check", case_dir, "--engine", engine]
    rtol, atol = tolerance or (args.rtol, args.atol)
    if rtol is not None:
        cmd += ["--rtol", str(rtol)]
    if atol is not None:
        cmd += ["--atol", str(atol)]
    if engine == "compiled":
        cmd += ["--threads", str(threads or args.thread_counts[0]), "--compile-threads",
                str(args.compile_threads), "--cache-dir", cache_dir, "--quiet"]
    wait_for(args.loomc)
    rc, out, secs = run_cmd(cmd, args.timeout)
    if rc is None:
        return "TIMEOUT", f"over {args.timeout:g} s", secs
    m = re.search(rf"^(PASS|FAIL|UNSUPPORTED) {re.escape(name)}(?:: (.*))?$", out, re.M)
    if m:
        return m.group(1), (m.group(2) or "").strip(), secs
    if rc < 0:
        return "CRASH", f"signal {-rc}; {last_line(out)}".strip("; "), secs
    return "ERROR", f"exit {rc}: {last_line(out)}", secs


def bench(args, case_dir, cache_dir):
    """(compile_ms, cache status) from `loomc bench --json`, or (None, reason)."""
    cmd = [args.loomc, "bench", os.path.join(case_dir, "model.onnx"), "--iters", "1",
           "--warmup", "0", "--json", "--threads", str(args.thread_counts[0]),
           "--compile-threads", str(args.compile_threads), "--cache-dir", cache_dir,
           "--quiet"]
    wait_for(args.loomc)
    rc, out, secs = run_cmd(cmd, args.timeout)
    if rc is None:
        return None, "timeout"
    for line in out.splitlines():
        line = line.strip()
        if rc == 0 and line.startswith("{"):
            try:
                j = json.loads(line)
                return j.get("compile_ms"), j.get("cache")
            except ValueError:
                pass
    return None, last_line(out)


def loomc_stamp(args):
    try:
        st = os.stat(args.loomc)
        return (st.st_size, st.st_mtime_ns)
    except OSError:
        return None


def prime_runtime(args):
    """The compile cache's Halide runtime object (it depends only on the Loom
    build and the target): compiled once by benchmarking a one-op model into
    an empty folder, found there by the key in its header. Each case's cache
    folder is seeded with it, so compile_ms counts the model's kernels only.
    Redone when loomc is rebuilt (the build is part of every cache key).
    Returns its path, or None (then compile times include about a second of
    runtime compilation)."""
    from onnx import helper, TensorProto
    with args.runtime_lock:
        stamp = loomc_stamp(args)
        if args.runtime_stamp == stamp and args.runtime_stamp is not None:
            return args.runtime_object
        d = os.path.join(args.cache_root, "_runtime")
        shutil.rmtree(d, ignore_errors=True)
        os.makedirs(d)
        g = helper.make_graph(
            [helper.make_node("Relu", ["x"], ["y"])], "relu",
            [helper.make_tensor_value_info("x", TensorProto.FLOAT, [1, 8])],
            [helper.make_tensor_value_info("y", TensorProto.FLOAT, [1, 8])])
        path = os.path.join(d, "relu.onnx")
        onnx.save(helper.make_model(g, opset_imports=[helper.make_opsetid("", 13)]), path)
        wait_for(args.loomc)
        run_cmd([args.loomc, "bench", path, "--iters", "1", "--warmup", "0", "--json",
                 "--cache-dir", d, "--quiet"], args.timeout)
        args.runtime_object = None
        for f in os.listdir(d):
            if f.endswith(".halide.o"):
                with open(os.path.join(d, f), "rb") as fh:
                    if b"halide standalone runtime" in fh.read(4096):
                        args.runtime_object = os.path.join(d, f)
        args.runtime_stamp = stamp
        return args.runtime_object


def check_case(args, row):
    try:
        return check_case_inner(args, row)
    except Exception as ex:  # noqa: BLE001 - a row, not a dead run
        row.setdefault("reference", "ERROR")
        row.setdefault("reference_reason", f"zoo.py: {type(ex).__name__}: {ex}")
        row["compiled"], row["compiled_reason"] = "ERROR", f"zoo.py: {type(ex).__name__}: {ex}"
        return row


def build_time(args):
    stamp = loomc_stamp(args)
    if not stamp:
        return "?"
    return datetime.datetime.fromtimestamp(stamp[1] / 1e9).strftime("%Y-%m-%d %H:%M:%S")


def check_case_inner(args, row):
    case_dir = row["dir"]
    row["loomc_build"] = build_time(args)
    rtol, atol, raised = case_tolerance(args, row)
    tolerance = None
    if raised:
        row["atol"] = atol
        tolerance = (rtol, atol)
    if args.skip_reference:
        row["reference"], row["reference_reason"], row["reference_s"] = "-", "not run", None
    else:
        row["reference"], row["reference_reason"], row["reference_s"] = \
            check(args, case_dir, "reference", tolerance=tolerance)
    # bench compiles into an empty per-case cache (seeded with the Halide
    # runtime only) and reports compile_ms; check --engine compiled then finds
    # every kernel in that cache, so the model is compiled once.
    cache_dir = os.path.join(args.cache_root, os.path.basename(case_dir))
    if os.path.isdir(cache_dir):
        shutil.rmtree(cache_dir)
    os.makedirs(cache_dir)
    runtime = prime_runtime(args)
    if runtime:
        shutil.copy(runtime, cache_dir)
    ms, cache = bench(args, case_dir, cache_dir)
    if cache == "timeout":  # the compiled check would spend as long compiling it
        row["compiled"], row["compiled_reason"], row["compiled_s"] = \
            "TIMEOUT", f"compiling took over {args.timeout:g} s (loomc bench)", None
        ms = None
    else:
        # Every thread count must pass (schedules differ with threads); the
        # first failure is the row's reason, its thread count named.
        for n in args.thread_counts:
            status, reason, secs = check(args, case_dir, "compiled", cache_dir,
                                         tolerance=tolerance, threads=n)
            if n == args.thread_counts[0]:
                row["compiled_s"] = secs
            if status != "PASS" or n == args.thread_counts[-1]:
                if len(args.thread_counts) > 1 and status != "PASS":
                    reason = f"at {n} thread(s): {reason}"
                row["compiled"], row["compiled_reason"] = status, reason
                break
    row["compile_ms"], row["cache"] = ms, cache
    if ms is None and row["compiled"] in ("PASS", "FAIL"):
        # bench could not run it (e.g. its random int64 inputs); the wall
        # time of the compiled check, which then compiled it, is an upper bound.
        row["compile_ms"], row["cache"] = row["compiled_s"] * 1000, "wall"
        row["bench_reason"] = cache
    if not args.keep_cache:
        shutil.rmtree(cache_dir, ignore_errors=True)
    if args.clean:
        shutil.rmtree(case_dir, ignore_errors=True)
    return row


# --- Report -----------------------------------------------------------------------

def fmt_params(n):
    if n is None:
        return "?"
    return f"{n / 1e6:.1f}M" if n >= 1e5 else f"{n / 1e3:.0f}k"


def fmt_bytes(n):
    if n is None:
        return ""
    return f"{n / 1e6:.1f} MB" if n >= 1e6 else f"{n / 1e3:.0f} kB"


def short(text, limit=240):
    text = text.replace("|", "\\|")
    return text if len(text) <= limit else text[:limit - 3] + "..."


def generic_reason(text):
    """The reason with names blanked: 'node '/a/b' (Pad, opset 13)' -> node (Pad)."""
    text = re.sub(r"(node|input \d+|output \d+) '[^']*'", r"\1", text)
    text = re.sub(r", opset \d+\)", ")", text)
    text = re.sub(r"the model has \d+ nodes", "the model has nodes", text)
    text = re.sub(r" \(model opset \d+\)", "", text)
    return text


def summarize(text):
    """A 'the model has N nodes Loom does not support: A; B; ...' list shortened
    to one example per distinct kind of problem, with how many nodes share it."""
    parts = text.split("; ")
    if len(parts) < 3:
        return text
    head = ""
    m = re.match(r"(.*?: )(node .*)$", parts[0])
    if m:
        head, parts[0] = m.group(1), m.group(2)
    seen = {}
    for p in parts:
        seen.setdefault(generic_reason(p), [p, 0])[1] += 1
    return head + "; ".join(p if n == 1 else f"{p} (and {n - 1} more like it)"
                            for p, n in seen.values())


def reason_of(row):
    if row["reference"] == "EXPORT-FAIL":
        return row["reference_reason"]
    parts = []
    rr = summarize(row.get("reference_reason", ""))
    cr = summarize(row.get("compiled_reason", ""))
    if row["reference"] != "PASS" and row["compiled"] != "PASS" and rr == cr:
        return rr
    if row["reference"] != "PASS":
        parts.append(f"reference: {rr}")
    if row["compiled"] != "PASS":
        parts.append(f"compiled: {cr}")
    return "; ".join(parts)


def note_of(row):
    note = reason_of(row)
    if row.get("atol"):
        own = row.get("torch_f32_abs_err")
        note = (f"checked at atol {row['atol']:g}: PyTorch's own f32 output is up to "
                f"{own:.3g} from f64" + (f"; {note}" if note else ""))
    return note


def machine():
    cpu = platform.processor() or platform.machine()
    try:
        with open("/proc/cpuinfo") as f:
            for line in f:
                if line.startswith("model name"):
                    cpu = line.split(":", 1)[1].strip()
                    break
    except OSError:
        pass
    return f"{cpu}, {os.cpu_count()} logical CPUs, {platform.system()} {platform.release()}"


def write_report(args, rows, versions, elapsed):
    ok = [r for r in rows if r["compiled"] == "PASS"]
    ref_ok = [r for r in rows if r["reference"] == "PASS"]
    builds = sorted({r["loomc_build"] for r in rows if r.get("loomc_build")}) or ["?"]
    counts = {}
    for r in rows:
        counts[r["compiled"]] = counts.get(r["compiled"], 0) + 1
    lines = [
        "# Model zoo",
        "",
        "Ordinary models exported from PyTorch with random weights and checked with",
        "`loomc check` against PyTorch's own output on a fixed random input. Generated by",
        "`scripts/zoo.py` (a manual command, not part of CI); see its docstring for the options.",
        "",
        "```",
        f"{args.command}",
        "```",
        "",
        f"- date: {datetime.datetime.now().strftime('%Y-%m-%d %H:%M')}",
        f"- torch {versions['torch']}, torchvision {versions['torchvision']}, "
        f"onnx {versions['onnx']}, {versions['loomc']}",
        f"- Loom: commit {versions['git']}"
        + (" (built from a working tree with uncommitted changes)"
           if versions["git"].endswith("-dirty") else "")
        + ", loomc binary of "
        + ", ".join(builds)
        + ((" (one per merged run)" if getattr(args, "merged", False) else
            " -- **loomc was rebuilt during the run: rows come from different builds**")
           if len(builds) > 1 else ""),
        f"- machine: {machine()}",
        (f"- compiled engine: --threads and --compile-threads as each command above; tolerances: "
         if getattr(args, "merged", False) else
         f"- compiled engine: --threads {args.threads} (each must pass), --compile-threads "
         f"{args.compile_threads}; tolerances: ")
        + (f"--rtol {args.rtol} --atol {args.atol}" if args.rtol or args.atol
           else "loomc defaults (rtol 1e-3, atol 1e-5)")
        + "; where PyTorch's own f32 output is further than that from the same model run "
        "in f64, atol is raised to twice PyTorch's own largest error (the *note* column "
        "says so)",
        f"- wall time of the run{'s' if getattr(args, 'merged', False) else ''}: "
        f"{elapsed / 60:.1f} min",
        "",
        "Export: plain `torch.onnx.export(model, x, path, opset_version=N, "
        "input_names=[\"input\"], output_names=[\"output\"])`, eval mode, batch 1. "
        "torchvision models take 1x3x224x224 (inception_v3 1x3x299x299). "
        "*compile* is `compile_ms` of `loomc bench --iters 1` against an empty compile "
        "cache (shown where the compiled engine builds the model). *size* is model.onnx.",
        "",
        f"**Compiled engine: {len(ok)} pass of {len(rows)}** "
        f"({', '.join(f'{v} {k}' for k, v in sorted(counts.items()))}); "
        f"reference engine: {len(ref_ok)} pass of "
        f"{sum(r['reference'] not in ('-', 'EXPORT-FAIL') for r in rows)} run"
        + (f" ({sum(r['reference'] == '-' for r in rows)} checked with the compiled engine only, "
           f"--skip-reference)" if any(r['reference'] == '-' for r in rows) else "") + ".",
        "",
        "| model | opset | params | size | reference | compiled | compile | note (reason if not PASS) |",
        "|---|---|---|---|---|---|---|---|",
    ]
    for r in rows:
        ms = r.get("compile_ms")
        compile_s = "" if ms is None else f"{ms / 1000:.1f} s"
        if ms is not None and r.get("cache") not in ("miss", "none", None):
            compile_s += f" ({r['cache']})"
        lines.append(f"| {r['model']} | {r['opset']} | {fmt_params(r.get('params'))} | "
                     f"{fmt_bytes(r.get('bytes'))} | {r['reference']} | {r['compiled']} | "
                     f"{compile_s} | {short(note_of(r))} |")
    # The reasons grouped, most common first: node and tensor names and the
    # opset are blanked, so one missing op or one limitation is one line.
    groups = {}
    for r in rows:
        engines = [e for e in ("reference", "compiled") if r[e] not in ("PASS", "-")]
        if not engines:
            continue
        keys = {}
        for e in engines:
            reason = generic_reason(summarize(r[e + "_reason"]))
            keys.setdefault((r[e], re.sub(r" \(and \d+ more like it\)", "", reason)),
                            []).append(e)
        for (status, reason), es in keys.items():
            key = f"{' and '.join(es)} {status}: {short(reason, 300)}"
            groups.setdefault(key, []).append(f"{r['model']}/{r['opset']}")
    if groups:
        lines += ["", "## Reasons, grouped", ""]
        for key, cases in sorted(groups.items(), key=lambda kv: (-len(kv[1]), kv[0])):
            lines.append(f"- {key} ({len(cases)}: {', '.join(cases)})")
    custom = [e for e in args.entries if e.family == "custom"]
    if custom:
        lines += ["", "## Models of our own", "", "Defined in `scripts/zoo.py`:", ""]
        for e in custom:
            lines.append(f"- `{e.name}`: {CUSTOM[e.name][2]}")
    os.makedirs(os.path.dirname(os.path.abspath(args.report)), exist_ok=True)
    with open(args.report, "w") as f:
        f.write("\n".join(lines) + "\n")


def merge_reports(args, all_entries):
    """One report from several runs' results.json: every row, sorted by model
    family, name and opset; the header lists each run's command."""
    by_case, commands, elapsed, versions = {}, [], 0.0, None
    for path in args.merge:
        with open(path) as f:
            run = json.load(f)
        for row in run["rows"]:  # a later run's row replaces an earlier one's
            by_case[(row["model"], row["opset"])] = row
        commands.append(run["command"])
        elapsed += run.get("elapsed_s", 0.0)
        versions = versions or run["versions"]
    rows = list(by_case.values())
    order = {e.name: i for i, e in enumerate(all_entries)}
    rows.sort(key=lambda r: (order.get(r["model"], len(order)), r["opset"]))
    args.command = "\n".join(commands)
    args.entries = all_entries
    args.merged = True
    versions.setdefault("git", "?")
    write_report(args, rows, versions, elapsed)
    print(f"merged {len(rows)} rows from {len(args.merge)} runs into {args.report}")


# --- Main -------------------------------------------------------------------------

def main():
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0],
                                 formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--out", default=DEFAULT_OUT)
    ap.add_argument("--report", default=DEFAULT_REPORT)
    ap.add_argument("--models", default=None, help="regex on the model name (re.search)")
    ap.add_argument("--opsets", default="13,17")
    ap.add_argument("--max-params", type=float, default=None)
    ap.add_argument("--skip-export", action="store_true")
    ap.add_argument("--skip-reference", action="store_true",
                    help="only the compiled engine (the reference engine takes most of the "
                         "time on the largest models)")
    ap.add_argument("--jobs", type=int, default=1)
    ap.add_argument("--timeout", type=float, default=600)
    ap.add_argument("--loomc", default=DEFAULT_LOOMC)
    ap.add_argument("--rtol", type=float, default=None)
    ap.add_argument("--atol", type=float, default=None)
    ap.add_argument("--threads", default="1",
                    help="thread counts of the compiled check, e.g. 1,2 (each must pass)")
    ap.add_argument("--compile-threads", type=int, default=1)
    ap.add_argument("--keep-cache", action="store_true",
                    help="keep each case's compile cache OUT/cache/<case> after checking it")
    ap.add_argument("--clean", action="store_true",
                    help="delete each case folder after checking it (full runs on a small disk)")
    ap.add_argument("--list", action="store_true")
    ap.add_argument("--merge", nargs="+", metavar="RESULTS_JSON",
                    help="write one report from the results.json of several earlier runs "
                         "(runs split by size or opset); exports and checks nothing")
    args = ap.parse_args()
    args.thread_counts = [int(t) for t in str(args.threads).split(",") if t.strip()]
    if not args.thread_counts or min(args.thread_counts) < 1:
        ap.error(f"--threads {args.threads}: expected positive counts such as 1,2")
    args.command = "/usr/bin/python3 scripts/zoo.py " + " ".join(
        shlex.quote(a) for a in sys.argv[1:])
    args.loomc = os.path.abspath(args.loomc)
    opsets = [int(o) for o in args.opsets.split(",") if o]

    torch.set_num_threads(1)
    tv_entries, tv_version = torchvision_entries()
    entries = tv_entries + custom_entries()
    if args.models:
        entries = [e for e in entries if re.search(args.models, e.name)]
    if args.max_params:
        entries = [e for e in entries if e.params is None or e.params <= args.max_params]
    args.entries = entries
    if args.merge:
        merge_reports(args, tv_entries + custom_entries())
        return
    if args.list:
        for e in entries:
            print(f"{e.name:24} {e.family:12} {fmt_params(e.params):>8}  {e.input_desc}")
        print(f"{len(entries)} models")
        return
    if not entries:
        raise SystemExit("no model matches")

    wait_for(args.loomc)
    versions = dict(torch=torch.__version__, torchvision=tv_version, onnx=onnx.__version__,
                    loomc=last_line(run_cmd([args.loomc, "--version"], 60)[1]),
                    git=last_line(run_cmd(["git", "-C", REPO, "describe", "--always",
                                           "--dirty"], 60)[1]) or "?")
    os.makedirs(args.out, exist_ok=True)
    args.cache_root = os.path.join(os.path.abspath(args.out), "cache")
    if os.path.isdir(args.cache_root):
        shutil.rmtree(args.cache_root)
    args.runtime_lock, args.runtime_stamp, args.runtime_object = threading.Lock(), None, None

    cases = [(e, o) for e in entries for o in opsets]
    total = len(cases)
    start = time.time()
    rows = [None] * total
    lock = threading.Lock()
    done = [0]

    def finish(i, row):
        rows[i] = row
        with lock:
            done[0] += 1
            ms = row.get("compile_ms")
            extra = f", compile {ms / 1000:.1f} s" if ms is not None else ""
            reason = "" if row["compiled"] == "PASS" else f"  {short(reason_of(row), 140)}"
            print(f"[{done[0]}/{total}] {row['model']} opset {row['opset']}: reference "
                  f"{row['reference']}, compiled {row['compiled']}{extra} "
                  f"({time.time() - start:.0f} s){reason}", flush=True)

    pool = concurrent.futures.ThreadPoolExecutor(max_workers=args.jobs) if args.jobs > 1 \
        else None
    futures = []
    for i, (e, opset) in enumerate(cases):
        case_dir = os.path.join(os.path.abspath(args.out), f"{e.name}_op{opset}")
        row = dict(model=e.name, family=e.family, opset=opset, params=e.params, dir=case_dir)
        meta_path = os.path.join(case_dir, "meta.json")
        try:
            if args.skip_export and os.path.isfile(meta_path):
                with open(meta_path) as f:
                    meta = json.load(f)
            else:
                print(f"  exporting {e.name} opset {opset} ...", flush=True)
                meta = export_case(e, opset, case_dir)
            row.update(params=meta["params"], bytes=meta["bytes"], ops=meta["ops"],
                       export_s=meta["export_s"], torch_f32_abs_err=meta.get("torch_f32_abs_err"))
        except Exception as ex:  # noqa: BLE001 - the exporter raises anything
            msg = last_line(str(ex)) or type(ex).__name__
            row.update(reference="EXPORT-FAIL", reference_reason=f"{type(ex).__name__}: {msg}",
                       compiled="-", compiled_reason="", compile_ms=None)
            finish(i, row)
            continue
        if pool:
            fut = pool.submit(check_case, args, row)
            fut.add_done_callback(lambda f, i=i: finish(i, f.result()))
            futures.append(fut)
        else:
            finish(i, check_case(args, row))
    if pool:
        pool.shutdown(wait=True)
    elapsed = time.time() - start

    with open(os.path.join(args.out, "results.json"), "w") as f:
        json.dump(dict(command=args.command, versions=versions, elapsed_s=elapsed, rows=rows),
                  f, indent=1)
    write_report(args, rows, versions, elapsed)
    n_pass = sum(r["compiled"] == "PASS" for r in rows)
    n_ref = sum(r["reference"] == "PASS" for r in rows)
    print(f"compiled: {n_pass} pass of {total}; reference: {n_ref} pass of {total}; "
          f"{elapsed / 60:.1f} min; report {args.report}, details "
          f"{os.path.join(args.out, 'results.json')}")


if __name__ == "__main__":
    main()
