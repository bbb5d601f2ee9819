#!/usr/bin/env bash
# Installs everything Cleave needs to build and test on Debian 12 (bookworm):
# LLVM/MLIR 22, ONNX 1.12 and its test data, Protocol Buffers, GoogleTest,
# oneDNN (the runtime's CPU kernels), OpenMPI (transfers between device
# processes), Graphviz (placement graphs),
# CMake/Ninja/ccache, and the Python packages the test scripts use.
# Safe to run again: it only installs what is missing.
set -euo pipefail

packages=(
  cmake ninja-build ccache g++ python3
  llvm-22-dev llvm-22-tools libmlir-22-dev mlir-22-tools
  libonnx-testdata libprotobuf-dev protobuf-compiler
  libgtest-dev libdnnl-dev graphviz libopenmpi-dev openmpi-bin
  nlohmann-json3-dev
)

SUDO=""
[ "$(id -u)" -ne 0 ] && SUDO=sudo

missing=()
for p in "${packages[@]}"; do
  dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q "install ok installed" \
    || missing+=("$p")
done
if [ ${#missing[@]} -gt 0 ]; then
  echo "installing: ${missing[*]}"
  $SUDO apt-get update -qq
  APT_UPDATED=1
  DEBIAN_FRONTEND=noninteractive $SUDO apt-get install -y -qq "${missing[@]}" >/dev/null
fi

# Test-only Python packages: reading ONNX test data, writing example models,
# onnxruntime as the reference the end-to-end tests compare against, and
# Hugging Face's safetensors reader for the training checkpoints.
PYTHON=${PYTHON:-python3}
if ! "$PYTHON" -c "import onnx, numpy, onnxruntime, safetensors" 2>/dev/null; then
  if ! "$PYTHON" -m pip --version >/dev/null 2>&1; then
    [ -n "${APT_UPDATED:-}" ] || $SUDO apt-get update -qq
    DEBIAN_FRONTEND=noninteractive $SUDO apt-get install -y -qq python3-pip >/dev/null
  fi
  pip_install() {
    "$PYTHON" -m pip install -q --disable-pip-version-check "$@" "onnx==1.17.0" numpy onnxruntime safetensors
  }
  # Debian's own Python refuses system-wide installs unless told otherwise.
  pip_install 2>/dev/null || pip_install --break-system-packages
fi
