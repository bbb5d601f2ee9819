#!/usr/bin/env bash
# The main job on the bundled example: set up, build, then import
# examples/tiny_cnn.onnx (batch 1) and print its verified graph IR and a
# per-op summary.
set -euo pipefail
root=$(cd "$(dirname "$0")/.." && pwd)
build=${CLEAVE_BUILD_DIR:-$root/../cleave-build}
"$root/scripts/install-deps.sh"
"$root/scripts/build.sh"
"$build/bin/cleave-compile" "$root/examples/tiny_cnn.onnx" \
  --input-shape=image:1x3x32x32 --emit=mlir --summary \
  --elide-weights
