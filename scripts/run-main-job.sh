#!/usr/bin/env bash
# The main job: install what is missing, build, then compile and run the bundled example model
# (a small CRNN text recognizer written with the C++ GraphBuilder), printing its output and timing.
set -euo pipefail
cd "$(dirname "$0")/.."
scripts/install-deps.sh
scripts/build.sh
./build/crnn_example --save-ir build/crnn_small.loom
echo
echo "== IR of the example model (loomc ir build/crnn_small.loom) =="
./build/loomc ir build/crnn_small.loom
