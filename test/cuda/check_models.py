#!/usr/bin/env python3
"""Runs every real model (test/models/suite.json) on the cuda target and
compares each output with onnxruntime; then gpt2_lm split over two processes
on the same GPU with the host-staged MPI transport (CLEAVE_TRANSPORT=mpi).
Prints '<model>: match (max abs error E)' or '<model>: mismatch ...'.

  check_models.py --tools build/bin --models test/models --work DIR
"""
import argparse
import json
import os
import subprocess
import sys

import numpy as np
import onnxruntime

sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)),
                                "..", "e2e"))
import reference  # noqa: E402

RTOL, ATOL = 1e-3, 1e-4


def check(tools, model_path, dims, int_ranges, work, label, extra=(),
          env=None):
    session = onnxruntime.InferenceSession(model_path)
    feeds = reference.random_inputs(session, dims=dims, int_ranges=int_ranges)
    want = dict(zip([o.name for o in session.get_outputs()],
                    session.run(None, feeds)))
    bundle = os.path.join(work, label.replace(" ", "_"))
    dim_flags = [f"--dim={k}={v}" for k, v in dims.items()]
    subprocess.run([os.path.join(tools, "cleave-compile"), model_path,
                    "--target=cuda", "-o", bundle, *dim_flags, *extra],
                   check=True)
    # Three runs: the first eager, then a captured CUDA graph replayed.
    command = [os.path.join(tools, "cleave-run"), bundle, "--repeat", "3"]
    for name, value in feeds.items():
        path = os.path.join(bundle, f"in_{reference.safe(name)}.npy")
        np.save(path, value)
        command += ["--input", f"{name}={path}"]
    for name in want:
        command += ["--output",
                    f"{name}={os.path.join(bundle, 'out_' + reference.safe(name) + '.npy')}"]
    run = subprocess.run(command, capture_output=True, text=True,
                         env={**os.environ, **(env or {})})
    if run.returncode != 0:
        print(f"{label}: error: {run.stderr.strip()[-500:]}")
        return False
    worst = 0.0
    for name, expected in want.items():
        got = np.load(os.path.join(bundle, f"out_{reference.safe(name)}.npy"))
        error = np.abs(got.astype(np.float64) - expected.astype(np.float64))
        worst = max(worst, float(error.max()) if error.size else 0.0)
        if got.shape != expected.shape or (
                error > ATOL + RTOL * np.abs(expected)).any():
            print(f"{label}: mismatch in {name} (max abs error "
                  f"{float(error.max()):.3g})")
            return False
    print(f"{label}: match (max abs error {worst:.3g})")
    return True


def main():
    parser = argparse.ArgumentParser()
    parser.add_argument("--tools", required=True)
    parser.add_argument("--models", required=True)
    parser.add_argument("--work", required=True)
    args = parser.parse_args()
    with open(os.path.join(args.models, "suite.json")) as f:
        suite = json.load(f)["models"]
    ok = True
    for name, spec in suite.items():
        ok &= check(args.tools, os.path.join(args.models, name + ".onnx"),
                    spec["dims"], spec.get("int_ranges", {}), args.work, name)
    gpt2 = suite["gpt2_lm"]
    ok &= check(args.tools, os.path.join(args.models, "gpt2_lm.onnx"),
                gpt2["dims"], gpt2.get("int_ranges", {}), args.work,
                "gpt2_lm x2 (mpi)", extra=["--num-devices=2"],
                env={"CLEAVE_TRANSPORT": "mpi"})
    return 0 if ok else 1


if __name__ == "__main__":
    sys.exit(main())
