#!/usr/bin/env bash
# Installs the Debian 12 packages Loom builds and tests with; idempotent.
# Only packages that are missing are installed, so a second run does nothing.
set -euo pipefail

packages=(
  build-essential cmake ninja-build ccache pkg-config git
  llvm-14-dev libhalide14-0-dev
  libfmt-dev catch2
  libonnx-dev libprotobuf-dev protobuf-compiler
  libonnx-testdata
)
# Fixture generation and peer comparison only (not needed to build or test).
if [[ "${LOOM_WITH_PYTHON:-0}" == 1 ]]; then
  packages+=(python3-torch python3-onnx python3-numpy)
fi

missing=()
for p in "${packages[@]}"; do
  if ! dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q "install ok installed"; then
    missing+=("$p")
  fi
done

if ((${#missing[@]})); then
  echo "install-deps: installing ${missing[*]}"
  SUDO=""
  if [[ $(id -u) -ne 0 ]]; then SUDO="sudo"; fi
  $SUDO apt-get update -q
  DEBIAN_FRONTEND=noninteractive $SUDO apt-get install -y -q --no-install-recommends "${missing[@]}"
else
  echo "install-deps: all packages present"
fi
