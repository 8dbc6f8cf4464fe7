#!/usr/bin/python3
"""Regenerates the ONNX conformance scope and report.

Runs `loomc check --engine reference` over every case of Debian's
libonnx-testdata (node/, pytorch-converted/, pytorch-operator/, simple/),
then `--engine compiled` over the cases in scope, and writes:
  tests/conformance/in_scope.txt  every case Loom does not report UNSUPPORTED,
                                  i.e. whose ops, attributes and dtypes are all
                                  in Loom's op set; CI requires each to PASS.
  tests/conformance/compiled_unsupported.txt
                                  the in-scope cases (RNN family aside, which
                                  has its own CI test) the compiled engine
                                  reports UNSUPPORTED, with the reason; CI
                                  requires exactly these.
  docs/conformance.md             per-case results of both engines, coverage
                                  per ONNX op, every UNSUPPORTED with its reason.

Run it after adding ops or fixing import gaps, and commit both files:
  /usr/bin/python3 scripts/update_conformance.py [--loomc build/loomc]
Needs Debian's python3-onnx (to list each model's op types); CI does not run it.
"""
import argparse
import collections
import os
import subprocess
import sys

import onnx

ROOT = "/usr/share/libonnx-testdata/data"
GROUPS = ["node", "pytorch-converted", "pytorch-operator", "simple"]
REPO = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))


def case_dirs():
    for group in GROUPS:
        base = os.path.join(ROOT, group)
        for name in sorted(os.listdir(base)):
            path = os.path.join(base, name)
            if os.path.isfile(os.path.join(path, "model.onnx")):
                yield f"{group}/{name}"


def run_check(loomc, cases, engine="reference"):
    proc = subprocess.run([loomc, "check", "--engine", engine] +
                          [os.path.join(ROOT, c) for c in cases],
                          capture_output=True, text=True, timeout=1800)
    lines = [l for l in proc.stdout.splitlines() if l.split(" ", 1)[0] in ("PASS", "FAIL", "UNSUPPORTED")]
    if len(lines) != len(cases):
        sys.exit(f"loomc check printed {len(lines)} result lines for {len(cases)} cases "
                 f"(exit {proc.returncode}); stderr:\n{proc.stderr[-2000:]}")
    results = {}
    for case, line in zip(cases, lines):
        status, _, rest = line.partition(" ")
        detail = rest.split(": ", 1)[1] if ": " in rest else ""
        results[case] = (status, detail)
    return results


def op_types(case):
    try:
        model = onnx.load(os.path.join(ROOT, case, "model.onnx"), load_external_data=False)
    except Exception as e:  # a deliberately broken model in the test data
        return {f"<unreadable: {type(e).__name__}>"}
    ops = set()

    def walk(graph):
        for n in graph.node:
            ops.add(n.op_type if n.domain in ("", "ai.onnx") else f"{n.domain}.{n.op_type}")
            for a in n.attribute:
                if a.type == onnx.AttributeProto.GRAPH:
                    walk(a.g)
                for g in a.graphs:
                    walk(g)
    walk(model.graph)
    return ops


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--loomc", default=os.path.join(REPO, "build", "loomc"))
    args = ap.parse_args()
    cases = list(case_dirs())
    results = run_check(args.loomc, cases)
    in_scope = [c for c in cases if results[c][0] != "UNSUPPORTED"]
    compiled = run_check(args.loomc, in_scope, "compiled")
    rnn = lambda c: any(f"/test_{k}_" in c for k in ("lstm", "gru", "rnn", "simple_rnn"))
    with open(os.path.join(REPO, "tests", "conformance", "compiled_unsupported.txt"), "w") as f:
        f.write("# In-scope ONNX cases the compiled engine reports UNSUPPORTED (never PASS by\n"
                "# falling back to the interpreter), with the reason loomc prints.\n"
                "# run_compiled_in_scope.sh fails when a case outside this list is unsupported,\n"
                "# or a case in it starts passing. Regenerate with scripts/update_conformance.py.\n")
        for c in in_scope:
            if compiled[c][0] == "UNSUPPORTED" and not rnn(c):
                f.write(f"{c.split('/', 1)[1]}  # {compiled[c][1][:200]}\n")

    with open(os.path.join(REPO, "tests", "conformance", "in_scope.txt"), "w") as f:
        f.write("# ONNX backend-test cases (relative to /usr/share/libonnx-testdata/data) whose ops,\n"
                "# attributes and dtypes are all in Loom's op set. CI runs each with the reference\n"
                "# engine and requires PASS. Regenerate with scripts/update_conformance.py.\n")
        for c in in_scope:
            f.write(c + "\n")

    per_op = collections.defaultdict(lambda: collections.Counter())
    for c in cases:
        for op in op_types(c):
            per_op[op][results[c][0]] += 1
            if c in compiled:
                per_op[op]["compiled " + compiled[c][0]] += 1
    counts = collections.Counter(s for s, _ in results.values())
    ccounts = collections.Counter(s for s, _ in compiled.values())

    out = []
    out.append("# ONNX conformance (reference and compiled engines)\n")
    out.append("Generated by `scripts/update_conformance.py` from Debian's `libonnx-testdata` "
               "(ONNX 1.12 backend tests). Do not edit by hand.\n")
    out.append(f"- cases: {len(cases)}; in scope: {len(in_scope)}; "
               f"PASS {counts['PASS']}, FAIL {counts['FAIL']}, UNSUPPORTED {counts['UNSUPPORTED']}\n")
    out.append("- in scope = every case Loom does not reject as unsupported (its ops, attribute values "
               "and dtypes are all in Loom's op set); the list CI enforces is "
               "`tests/conformance/in_scope.txt`.\n")
    out.append(f"- compiled engine on the {len(in_scope)} in-scope cases: PASS {ccounts['PASS']}, "
               f"FAIL {ccounts['FAIL']}, UNSUPPORTED {ccounts['UNSUPPORTED']}\n")
    out.append("- tolerances: rtol 1e-3, atol 1e-5 (`loomc check` defaults).\n")
    out.append("\n## Coverage per op\n")
    out.append("| op | cases using it | reference PASS | FAIL | UNSUPPORTED | compiled PASS | compiled FAIL | compiled UNSUPPORTED |")
    out.append("|---|---|---|---|---|---|---|---|")
    for op in sorted(per_op, key=lambda o: (-(per_op[o]["PASS"] + per_op[o]["FAIL"]), o)):
        c = per_op[op]
        total = c["PASS"] + c["FAIL"] + c["UNSUPPORTED"]
        out.append(f"| {op} | {total} | {c['PASS']} | {c['FAIL']} | {c['UNSUPPORTED']} | "
                   f"{c['compiled PASS']} | {c['compiled FAIL']} | {c['compiled UNSUPPORTED']} |")
    out.append("\n## Cases in scope\n")
    out.append("| case | reference | compiled | detail |")
    out.append("|---|---|---|---|")
    for c in in_scope:
        status, detail = results[c]
        cstatus, cdetail = compiled[c]
        d = detail or cdetail
        out.append(f"| {c} | {status} | {cstatus} | {d.replace('|', '/')[:120]} |")
    out.append("\n## In scope but UNSUPPORTED by the compiled engine, by reason\n")
    creasons = collections.Counter()
    for c in in_scope:
        if compiled[c][0] == "UNSUPPORTED":
            creasons[compiled[c][1][:150].replace("|", "/")] += 1
    out.append("| cases | reason (first 150 characters) |")
    out.append("|---|---|")
    for r, n in creasons.most_common():
        out.append(f"| {n} | {r} |")
    out.append("\n## Out of scope (UNSUPPORTED), by reason\n")
    reasons = collections.Counter()
    for c in cases:
        if results[c][0] == "UNSUPPORTED":
            reasons[results[c][1][:110].replace("|", "/")] += 1
    out.append("| cases | reason (first 110 characters) |")
    out.append("|---|---|")
    for r, n in reasons.most_common():
        out.append(f"| {n} | {r} |")
    with open(os.path.join(REPO, "docs", "conformance.md"), "w") as f:
        f.write("\n".join(out) + "\n")
    print(f"{len(cases)} cases, {len(in_scope)} in scope: PASS {counts['PASS']}, "
          f"FAIL {counts['FAIL']}, UNSUPPORTED {counts['UNSUPPORTED']}; compiled PASS "
          f"{ccounts['PASS']}, FAIL {ccounts['FAIL']}, UNSUPPORTED {ccounts['UNSUPPORTED']}")


if __name__ == "__main__":
    main()
