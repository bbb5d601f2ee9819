#!/usr/bin/env python3
"""Latency of Cleave's CPU target against onnxruntime, side by side.

For each model of the real-model suite (test/models/suite.json) and the
bundled examples, with the same thread count for both: compile it with
cleave-compile (timed, from ONNX to executable), run it with
`cleave-run --benchmark`, run onnxruntime on the same inputs for the same
number of runs, and print each p50 latency, the ratio Cleave /
onnxruntime (below 1: Cleave is faster) and the largest difference
between the two programs' outputs, relative to the output's largest
magnitude.

  python3 bench/cpu_vs_onnxruntime.py --tools ../cleave-build/bin [--threads 1,2]
  python3 bench/cpu_vs_onnxruntime.py --only resnet50 --batch 8
  python3 bench/cpu_vs_onnxruntime.py --suite ../cleave-user-models/suite.json

A model that does not compile is listed at the end with the compiler's
first error line.
"""
import argparse
import gc
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
from onnx import numpy_helper

here = os.path.dirname(os.path.abspath(__file__))
root = os.path.join(here, "..")
sys.path.insert(0, os.path.join(root, "test", "e2e"))
from reference import random_inputs, safe  # noqa: E402


def suite(path=None):
    """(name, path, dims, int ranges, shapes, values) for every model
    benchmarked: the real-model suite and the bundled examples, or the
    suite.json at `path` (bench/export_user_models.py writes one; so does
    test/models/pypi: whole shapes for unnamed dims, inputs fixed at
    compile time)."""
    if path:
        with open(path) as f:
            models = json.load(f)["models"]
        for name, spec in models.items():
            yield (name, os.path.join(os.path.dirname(path), spec["file"]),
                   spec.get("dims", {}), spec.get("int_ranges", {}),
                   spec.get("shapes", {}), spec.get("values", {}))
        return
    with open(os.path.join(root, "test", "models", "suite.json")) as f:
        models = json.load(f)["models"]
    for name, spec in models.items():
        yield (name, os.path.join(root, "test", "models", name + ".onnx"),
               spec["dims"], spec.get("int_ranges", {}), {}, {})
    for name in ("tiny_mlp", "tiny_cnn"):
        yield (name, os.path.join(root, "examples", name + ".onnx"),
               {"N": 1}, {}, {}, {})


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
    # Gone before Cleave's next run: a live session's threads share the
    # cores with it.
    del session
    gc.collect()
    return statistics.median(times)


def cleave_p50(tools, bundle, inputs, outputs, threads, runs,
               microbatches=1, profile=False):
    """p50 latency in ms of `cleave-run --benchmark`; also writes the
    outputs (name -> .npy path). Shared with pipeline_speedup.py. With
    `profile`, a second run prints cleave-run's --profile tables."""
    if profile:
        command = [os.path.join(tools, "cleave-run"), bundle, "--profile",
                   "--repeat", str(runs), "--warmup", "3",
                   "--num-threads", str(threads)]
        for name, path in inputs.items():
            command += ["--input", f"{name}={path}"]
        print(subprocess.run(command, check=True, capture_output=True,
                             text=True).stdout, flush=True)
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
    parser.add_argument("--threads", default="1",
                        help="thread counts, comma-separated (default 1)")
    parser.add_argument("--runs", type=int, default=30)
    parser.add_argument("--batch", type=int,
                        help="batch size of every model (default: the suite's)")
    parser.add_argument("--suite",
                        help="a suite.json of other models (default: the "
                        "real-model suite and the examples)")
    parser.add_argument("--only", action="append",
                        help="benchmark only models whose name has this "
                        "(repeatable)")
    parser.add_argument("--profile", action="store_true",
                        help="print each model's cleave-run --profile too")
    args = parser.parse_args()
    threads = [int(t) for t in args.threads.split(",")]

    rows, failed = [], []
    with tempfile.TemporaryDirectory() as work:
        for name, path, dims, int_ranges, shapes, values in suite(args.suite):
            if args.only and not any(o in name for o in args.only):
                continue
            if args.batch:  # The suite's batch dims are 'batch' or 'N'.
                dims = {d: args.batch if d in ("batch", "N") else size
                        for d, size in dims.items()}
            session = onnxruntime.InferenceSession(
                path, providers=["CPUExecutionProvider"])
            feeds = random_inputs(session, shapes=shapes, dims=dims,
                                  int_ranges=int_ranges)
            fixed = []
            for input_name, value in values.items():
                feeds[input_name] = np.array(
                    value, dtype=feeds[input_name].dtype).reshape(
                        feeds[input_name].shape)
                pb = os.path.join(work, safe(input_name) + ".pb")
                with open(pb, "wb") as f:
                    f.write(numpy_helper.from_array(
                        feeds[input_name], input_name).SerializeToString())
                fixed.append(f"--input-value={input_name}={pb}")
            bundle = os.path.join(work, name)
            start = time.perf_counter()
            built = subprocess.run(
                [os.path.join(args.tools, "cleave-compile"), path,
                 "--target=cpu", "-o", bundle] + fixed +
                [f"--dim={d}={size}" for d, size in dims.items()] +
                [f"--input-shape={n}:" + "x".join(map(str, shape))
                 for n, shape in shapes.items() if n not in values],
                capture_output=True, text=True)
            compile_s = time.perf_counter() - start
            if built.returncode != 0:
                why = (built.stderr.strip().splitlines() or ["?"])[0]
                failed.append((name, why))
                continue

            inputs = {}
            for input_name, value in feeds.items():
                if input_name in values:
                    continue
                inputs[input_name] = os.path.join(work, safe(input_name) +
                                                  ".npy")
                np.save(inputs[input_name], value)
            outputs = {o.name: os.path.join(work, "out_" + safe(o.name) +
                                            ".npy")
                       for o in session.get_outputs()}
            # Alternate the two programs, one thread count at a time.
            times = []
            for t in threads:
                cleave_ms = cleave_p50(args.tools, bundle, inputs, outputs,
                                       t, args.runs, profile=args.profile)
                if args.profile:
                    print(f"{name}, {t} thread(s), above", flush=True)
                ort_ms = onnxruntime_p50(path, feeds, t, args.runs)
                times.append((cleave_ms, ort_ms))
            # Relative to the output's scale: untrained exports can have
            # outputs near 1e-20.
            error = max(float(np.abs(np.load(outputs[o.name]).astype(np.float64)
                                     - want).max() /
                              max(np.abs(want).max(), 1e-30))
                        for o, want in zip(session.get_outputs(),
                                           session.run(None, feeds)))
            rows.append((name, compile_s, times, error))

    print(f"{args.runs} runs, p50 latency; ratio = cleave / onnxruntime")
    header = f"{'model':28} {'compile s':>9}"
    for t in threads:
        header += f" | {t}T cleave ms {'ort ms':>8} {'ratio':>6}"
    print(header + f" | {'rel err':>8}")
    for name, compile_s, times, error in rows:
        line = f"{name:28} {compile_s:9.2f}"
        for cleave_ms, ort_ms in times:
            line += f" | {cleave_ms:12.3f} {ort_ms:8.3f} {cleave_ms / ort_ms:6.2f}"
        print(line + f" | {error:8.2g}")
    for i, t in enumerate(threads):
        ratios = [row[2][i][0] / row[2][i][1] for row in rows]
        if ratios:
            worst = max(range(len(rows)), key=lambda r: ratios[r])
            print(f"{t} thread(s): geomean ratio "
                  f"{np.exp(np.mean(np.log(ratios))):.2f} over {len(ratios)} "
                  f"models, worst {ratios[worst]:.2f} ({rows[worst][0]})")
    for name, why in failed:
        print(f"{name}: does not compile: {why}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
