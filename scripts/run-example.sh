#!/usr/bin/env bash
# The main job on the bundled example: set up and build, print the verified
# graph IR of examples/tiny_cnn.onnx with a per-op summary, then compile it
# for the CPU, run it with cleave-run and check its output against
# onnxruntime on the same input.
set -euo pipefail
root=$(cd "$(dirname "$0")/.." && pwd)
build=${CLEAVE_BUILD_DIR:-$root/../cleave-build}
"$root/scripts/install-deps.sh"
"$root/scripts/build.sh"
"$build/bin/cleave-compile" "$root/examples/tiny_cnn.onnx" \
  --input-shape=image:1x3x32x32 --emit=mlir --summary --elide-weights
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT
"${PYTHON:-python3}" "$root/examples/check_example.py" \
  "$root/examples/tiny_cnn.onnx" --tools "$build/bin" \
  --shape image:1x3x32x32 --work "$work"
