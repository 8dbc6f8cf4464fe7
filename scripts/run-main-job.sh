#!/usr/bin/env bash
# The main job: install what is missing, build, then compile the bundled example model (a small
# CRNN text recognizer written with the C++ GraphBuilder: Halide conv/pool/classifier kernels, an
# LLVM-JITted LSTM) and run it, printing its output, the difference from the reference
# interpreter, compile time and the latency of both engines.
set -euo pipefail
cd "$(dirname "$0")/.."
scripts/install-deps.sh
scripts/build.sh
./build/crnn_example --save-ir build/crnn_small.loom
echo
echo "== IR of the example model (loomc ir build/crnn_small.loom) =="
./build/loomc ir build/crnn_small.loom
echo
echo "== loomc run build/crnn_small.loom --dump-schedule build/crnn_small.schedule.json =="
./build/loomc run build/crnn_small.loom --dump-schedule build/crnn_small.schedule.json
