#!/usr/bin/env python3
"""Latency of Cleave's CPU target against onnxruntime, side by side.

For each model (default: the bundled examples at a few batch sizes), with
the same thread count for both: compile it with cleave-compile (timed, from
ONNX to executable), run it with `cleave-run --benchmark`, run onnxruntime
on the same input for the same number of runs, and print each p50 latency
and the ratio Cleave / onnxruntime (below 1 means Cleave is faster).

  python3 bench/cpu_vs_onnxruntime.py --tools ../cleave-build/bin [--threads 1]
  python3 bench/cpu_vs_onnxruntime.py --model m.onnx:x:8x3x224x224
"""
import argparse
import os
import re
import statistics
import subprocess
import sys
import tempfile
import time

import numpy as np
import onnxruntime

here = os.path.dirname(os.path.abspath(__file__))
examples = os.path.join(here, "..", "examples")
DEFAULT_MODELS = [
    f"{examples}/tiny_mlp.onnx:x:1x16", f"{examples}/tiny_mlp.onnx:x:256x16",
    f"{examples}/tiny_cnn.onnx:image:1x3x32x32",
    f"{examples}/tiny_cnn.onnx:image:32x3x32x32",
]


def main():
    parser = argparse.ArgumentParser(description=__doc__,
                                     formatter_class=argparse.RawTextHelpFormatter)
    parser.add_argument("--tools", default=os.path.join(here, "..", "..",
                                                        "cleave-build", "bin"))
    parser.add_argument("--model", action="append",
                        help="path:input:shape (repeatable)")
    parser.add_argument("--threads", type=int, default=1)
    parser.add_argument("--runs", type=int, default=50)
    args = parser.parse_args()

    rows = []
    with tempfile.TemporaryDirectory() as work:
        for spec in args.model or DEFAULT_MODELS:
            path, name, shape = spec.rsplit(":", 2)
            dims = [int(d) for d in shape.split("x")]
            bundle = os.path.join(work, "bundle")
            start = time.perf_counter()
            subprocess.run([os.path.join(args.tools, "cleave-compile"), path,
                            f"--input-shape={name}:{shape}", "--target=cpu",
                            "-o", bundle], check=True)
            compile_s = time.perf_counter() - start
            x = np.random.default_rng(0).standard_normal(dims).astype(np.float32)
            np.save(os.path.join(work, "x.npy"), x)
            out = subprocess.run(
                [os.path.join(args.tools, "cleave-run"), bundle, "--input",
                 f"{name}={os.path.join(work, 'x.npy')}", "--benchmark",
                 "--repeat", str(args.runs), "--num-threads",
                 str(args.threads)], check=True, capture_output=True,
                text=True).stdout
            cleave_ms = float(re.search(r"p50 ([0-9.]+) ms", out).group(1))

            options = onnxruntime.SessionOptions()
            options.intra_op_num_threads = args.threads
            options.inter_op_num_threads = 1
            session = onnxruntime.InferenceSession(
                path, options, providers=["CPUExecutionProvider"])
            for _ in range(5):
                session.run(None, {name: x})
            times = []
            for _ in range(args.runs):
                t = time.perf_counter()
                session.run(None, {name: x})
                times.append((time.perf_counter() - t) * 1000)
            ort_ms = statistics.median(times)
            rows.append((os.path.basename(path), shape, compile_s, cleave_ms,
                         ort_ms))

    print(f"threads {args.threads}, {args.runs} runs, p50 latency")
    print(f"{'model':16} {'input':16} {'compile s':>9} {'cleave ms':>10} "
          f"{'ort ms':>9} {'ratio':>6}")
    for model, shape, compile_s, cleave_ms, ort_ms in rows:
        print(f"{model:16} {shape:16} {compile_s:9.2f} {cleave_ms:10.3f} "
              f"{ort_ms:9.3f} {cleave_ms / ort_ms:6.2f}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
