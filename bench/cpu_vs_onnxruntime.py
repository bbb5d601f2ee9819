#!/usr/bin/env python3
"""Latency of Cleave's CPU target against onnxruntime, side by side.

For each model of the real-model suite (test/models/suite.json) and the
bundled examples, with the same thread count for both: compile it with
cleave-compile (timed, from ONNX to executable), run it with
`cleave-run --benchmark`, run onnxruntime on the same inputs for the same
number of runs, and print each p50 latency, the ratio Cleave /
onnxruntime (below 1: Cleave is faster) and the largest absolute
difference between the two programs' outputs.

  python3 bench/cpu_vs_onnxruntime.py --tools ../cleave-build/bin [--threads 1]
  python3 bench/cpu_vs_onnxruntime.py --only resnet50 --batch 8
"""
import argparse
import json
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
root = os.path.join(here, "..")
sys.path.insert(0, os.path.join(root, "test", "e2e"))
from reference import random_inputs, safe  # noqa: E402


def suite():
    """(name, path, dims, int ranges) for every model benchmarked."""
    with open(os.path.join(root, "test", "models", "suite.json")) as f:
        models = json.load(f)["models"]
    for name, spec in models.items():
        yield (name, os.path.join(root, "test", "models", name + ".onnx"),
               spec["dims"], spec.get("int_ranges", {}))
    for name in ("tiny_mlp", "tiny_cnn"):
        yield (name, os.path.join(root, "examples", name + ".onnx"),
               {"N": 1}, {})


def onnxruntime_p50(path, feeds, threads, runs):
    options = onnxruntime.SessionOptions()
    options.intra_op_num_threads = threads
    options.inter_op_num_threads = 1
    session = onnxruntime.InferenceSession(
        path, options, providers=["CPUExecutionProvider"])
    for _ in range(5):
        session.run(None, feeds)
    times = []
    for _ in range(runs):
        start = time.perf_counter()
        session.run(None, feeds)
        times.append((time.perf_counter() - start) * 1000)
    return statistics.median(times)


def cleave_p50(tools, bundle, inputs, outputs, threads, runs,
               microbatches=1):
    """p50 latency in ms of `cleave-run --benchmark`; also writes the
    outputs (name -> .npy path). Shared with pipeline_speedup.py."""
    command = [os.path.join(tools, "cleave-run"), bundle, "--benchmark",
               "--repeat", str(runs), "--num-threads", str(threads),
               f"--microbatches={microbatches}"]
    for name, path in inputs.items():
        command += ["--input", f"{name}={path}"]
    for name, path in outputs.items():
        command += ["--output", f"{name}={path}"]
    out = subprocess.run(command, check=True, capture_output=True,
                         text=True).stdout
    return float(re.search(r"p50 ([0-9.]+) ms", out).group(1))


def main():
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawTextHelpFormatter)
    parser.add_argument("--tools", default=os.path.join(root, "..",
                                                        "cleave-build", "bin"))
    parser.add_argument("--threads", type=int, default=1)
    parser.add_argument("--runs", type=int, default=30)
    parser.add_argument("--batch", type=int,
                        help="batch size of every model (default: the suite's)")
    parser.add_argument("--only", action="append",
                        help="benchmark only this model (repeatable)")
    args = parser.parse_args()

    rows = []
    with tempfile.TemporaryDirectory() as work:
        for name, path, dims, int_ranges in suite():
            if args.only and name not in args.only:
                continue
            if args.batch:  # The suite's batch dims are 'batch' or 'N'.
                dims = {d: args.batch if d in ("batch", "N") else size
                        for d, size in dims.items()}
            bundle = os.path.join(work, name)
            start = time.perf_counter()
            subprocess.run([os.path.join(args.tools, "cleave-compile"), path,
                            "--target=cpu", "-o", bundle] +
                           [f"--dim={d}={size}" for d, size in dims.items()],
                           check=True)
            compile_s = time.perf_counter() - start

            session = onnxruntime.InferenceSession(
                path, providers=["CPUExecutionProvider"])
            feeds = random_inputs(session, dims=dims, int_ranges=int_ranges)
            inputs = {}
            for input_name, value in feeds.items():
                inputs[input_name] = os.path.join(work, safe(input_name) +
                                                  ".npy")
                np.save(inputs[input_name], value)
            outputs = {o.name: os.path.join(work, "out_" + safe(o.name) +
                                            ".npy")
                       for o in session.get_outputs()}
            cleave_ms = cleave_p50(args.tools, bundle, inputs, outputs,
                                   args.threads, args.runs)
            error = max(float(np.abs(np.load(outputs[o.name]).astype(np.float64)
                                     - want).max())
                        for o, want in zip(session.get_outputs(),
                                           session.run(None, feeds)))
            ort_ms = onnxruntime_p50(path, feeds, args.threads, args.runs)
            shape = "x".join(str(d) for d in
                             next(iter(feeds.values())).shape)
            rows.append((name, shape, compile_s, cleave_ms, ort_ms, error))

    print(f"threads {args.threads}, {args.runs} runs, p50 latency")
    print(f"{'model':14} {'input':14} {'compile s':>9} {'cleave ms':>10} "
          f"{'ort ms':>9} {'ratio':>6} {'max err':>9}")
    for name, shape, compile_s, cleave_ms, ort_ms, error in rows:
        print(f"{name:14} {shape:14} {compile_s:9.2f} {cleave_ms:10.3f} "
              f"{ort_ms:9.3f} {cleave_ms / ort_ms:6.2f} {error:9.2g}")
    ratios = [row[3] / row[4] for row in rows]
    print(f"geomean ratio {np.exp(np.mean(np.log(ratios))):.2f}, "
          f"worst {max(ratios):.2f}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
