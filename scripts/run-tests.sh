#!/usr/bin/env bash
# Installs what is missing, builds, and runs every test (Catch2 through CTest, plus the
# ONNX conformance sweep with the reference engine).
set -euo pipefail
cd "$(dirname "$0")/.."
scripts/install-deps.sh
scripts/build.sh
ctest --test-dir build --output-on-failure --parallel "$(nproc)" --timeout 900
