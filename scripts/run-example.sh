#!/usr/bin/env bash
# The main job on a bundled example: set up and build, then partition a
# transformer of the real-model suite (test/models/bert_encoder.onnx, a
# 4-layer BERT encoder) over 2 CPU devices with the placement report and
# its picture, run it as one MPI job with 4 microbatches pipelined through
# the 2 stages, write a trace of the run, and check the outputs against
# onnxruntime. The bundle, placement.svg and trace.json stay in
# $CLEAVE_BUILD_DIR/example (open the trace in ui.perfetto.dev).
set -euo pipefail
root=$(cd "$(dirname "$0")/.." && pwd)
build=${CLEAVE_BUILD_DIR:-$root/../cleave-build}
"$root/scripts/install-deps.sh"
"$root/scripts/build.sh"
rm -rf "$build/example"
"${PYTHON:-python3}" "$root/examples/check_example.py" \
  "$root/test/models/bert_encoder.onnx" --tools "$build/bin" \
  --out "$build/example" --dim batch=8 --int-range input_ids:0:2048 \
  --int-range token_type_ids:0:2 --int-range attention_mask:0:2 \
  --devices 2 --microbatches 4
