#!/usr/bin/env python3
"""Runs the prepared ONNX node tests (prepare_bundles.py's node/ folder) with
their built device_0 and compares each output with the expected output_*.pb
(rtol 1e-3, atol 1e-5, NaN equal to NaN), as numeric_conformance.py does on
the CPU.

  run_node_tests.py --root WORK/node [--jobs 16] [--timeout 60]
      [--budget SECONDS] [--json node.json]

Each test is passed, wrong result, error (the program failed or timed out),
not built (no device_0: its build failed or ran out of time) or not run (the
--budget ran out first; a test still running then is stopped, an error). Exits non-zero if a built test fails.
"""
import argparse
import collections
import concurrent.futures
import json
import os
import subprocess
import sys
import tempfile
import time

import numpy as np

here = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, os.path.join(here, "..", "conformance"))
from numeric_conformance import load_pb  # noqa: E402

RTOL, ATOL = 1e-3, 1e-5


def compare(got, want, rtol, atol):
    """None if `got` matches `want`, else what differs."""
    if got.shape != want.shape:
        return f"shape {list(got.shape)}, expected {list(want.shape)}"
    g, w = got.astype(np.float64), want.astype(np.float64)
    error = np.abs(g - w)
    bad = (error > atol + rtol * np.abs(w)) & ~(np.isnan(g) & np.isnan(w))
    if bad.any():
        return f"max abs error {float(np.nanmax(error)):.3g}"
    return None


def max_abs(got, want):
    """Largest |got - want| over elements where both are numbers."""
    if got.shape != want.shape or not got.size:
        return None
    error = np.abs(got.astype(np.float64) - want.astype(np.float64))
    return float(np.nanmax(error)) if not np.isnan(error).all() else 0.0


def device_command(bundle, inputs, outputs, program="device_0"):
    """Command line of a bundle's device program: inputs and outputs map
    names to files."""
    command = [os.path.join(bundle, program), "--weights",
               os.path.join(bundle, program + ".weights"),
               # Three runs: eager, then captured as a CUDA graph, then
               # replayed; the outputs are the last run's.
               "--repeat", "3"]
    for name, file in inputs.items():
        command += ["--input", f"{name}={file}"]
    for name, file in outputs.items():
        command += ["--output", f"{name}={file}"]
    return command


def error_line(text, fallback):
    """The first line of a program's output that says error, else its last
    line (mpirun ends with advice, not the cause)."""
    lines = [line.strip() for line in text.splitlines() if line.strip()]
    errors = [line for line in lines if "error" in line.lower()]
    return (errors or lines or [fallback])[0 if errors else -1][:300]


def run_test(bundle, timeout, deadline):
    name = os.path.basename(bundle)
    with open(os.path.join(bundle, "test.json")) as f:
        spec = json.load(f)
    result = {"test": name, "ops": spec.get("ops", [])}
    if not os.access(os.path.join(bundle, "device_0"), os.X_OK):
        return dict(result, status="not built")
    limit = min(timeout, deadline - time.time())
    if limit < 1:
        return dict(result, status="not run")
    with tempfile.TemporaryDirectory(prefix="cleave-node-") as work:
        outputs = {o: os.path.join(work, f"out_{i}.npy")
                   for i, o in enumerate(spec["outputs"])}
        command = device_command(
            bundle, {n: os.path.join(bundle, f)
                     for n, f in spec["inputs"].items()}, outputs)
        try:
            proc = subprocess.run(command, capture_output=True, text=True,
                                  timeout=limit)
        except subprocess.TimeoutExpired:
            return dict(result, status="error",
                        detail=f"timed out after {limit:.0f} s")
        if proc.returncode != 0:
            return dict(result, status="error", detail=error_line(
                proc.stderr, f"exit {proc.returncode}"))
        for output, file in spec["outputs"].items():
            if not os.path.exists(outputs[output]):
                return dict(result, status="error",
                            detail=f"{output}: not written")
            why = compare(np.load(outputs[output]),
                          load_pb(os.path.join(bundle, file)), RTOL, ATOL)
            if why:
                return dict(result, status="wrong result",
                            detail=f"{output}: {why}")
    return dict(result, status="passed")


def main():
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawTextHelpFormatter)
    parser.add_argument("--root", required=True)
    parser.add_argument("--jobs", type=int, default=os.cpu_count() or 2)
    parser.add_argument("--timeout", type=float, default=60)
    parser.add_argument("--budget", type=float, default=1e9,
                        help="stop every test after this many seconds")
    parser.add_argument("--json")
    args = parser.parse_args()
    deadline = time.time() + args.budget
    bundles = sorted(os.path.join(args.root, d) for d in os.listdir(args.root)
                     if os.path.exists(os.path.join(args.root, d,
                                                    "test.json")))
    with concurrent.futures.ThreadPoolExecutor(args.jobs) as pool:
        results = list(pool.map(
            lambda b: run_test(b, args.timeout, deadline), bundles))
    counts = collections.Counter(r["status"] for r in results)
    failures = [r for r in results
                if r["status"] in ("wrong result", "error")]
    failing_ops = collections.Counter(op for r in failures for op in r["ops"])
    summary = {"tests": len(results), "counts": dict(counts),
               "rtol": RTOL, "atol": ATOL,
               "failures": [{k: r[k] for k in ("test", "status", "detail")}
                            for r in failures],
               "failing_ops": dict(failing_ops.most_common()),
               "not_built": [r["test"] for r in results
                             if r["status"] == "not built"]}
    if args.json:
        with open(args.json, "w") as f:
            json.dump(summary, f, indent=1)
    for r in failures[:40]:
        print(f"FAIL {r['test']}: {r['status']}: {r['detail']}")
    if len(failures) > 40:
        print(f"... and {len(failures) - 40} more failures (see the JSON)")
    print(f"node tests: {len(results)}: " + ", ".join(
        f"{counts[s]} {s}" for s in ("passed", "wrong result", "error",
                                    "not built", "not run") if counts[s]))
    return 1 if failures else 0


if __name__ == "__main__":
    sys.exit(main())
