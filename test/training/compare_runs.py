#!/usr/bin/env python3
"""Compares two Cleave training runs of the same model.

compare_runs.py <saved A> <losses A.npy> <saved B> <losses B.npy>
    [--rtol R] [--atol A] [--skip NAME ...]

Each saved folder is what `cleave-run --save` wrote. Every variable of A
(parameters and optimizer state) must match B's within atol, but those
named by --skip, and every step's loss within rtol. Prints one "same: ..." line, or the mismatches and
exits 1.
"""
import argparse
import os
import sys

import numpy as np
from safetensors.numpy import load_file


def main():
    parser = argparse.ArgumentParser()
    parser.add_argument("saved_a")
    parser.add_argument("losses_a")
    parser.add_argument("saved_b")
    parser.add_argument("losses_b")
    parser.add_argument("--rtol", type=float, default=1e-5)
    parser.add_argument("--atol", type=float, default=1e-5)
    parser.add_argument("--skip", nargs="*", default=[])
    args = parser.parse_args()
    a = load_file(os.path.join(args.saved_a, "checkpoint.safetensors"))
    b = load_file(os.path.join(args.saved_b, "checkpoint.safetensors"))
    errors = []
    if sorted(a) != sorted(b):
        errors.append(f"variables differ: {sorted(set(a) ^ set(b))}")
    worst = 0.0
    skipped = set(args.skip) & set(a)
    for name in sorted(set(a) & set(b) - skipped):
        diff = float(np.max(np.abs(a[name].astype(np.float64) - b[name]),
                            initial=0.0))
        worst = max(worst, diff)
        if diff > args.atol:
            errors.append(f"{name}: max abs difference {diff:.3g}")
    la, lb = np.load(args.losses_a), np.load(args.losses_b)
    if la.shape != lb.shape or not np.allclose(la, lb, rtol=args.rtol, atol=0):
        errors.append(f"losses differ: {la} against {lb}")
    if errors:
        sys.exit("\n".join(errors))
    print(f"same: {len(a) - len(skipped)} variables (max abs difference "
          f"{worst:.2g}), {la.size} losses" +
          (f", {len(skipped)} skipped" if skipped else ""))


if __name__ == "__main__":
    main()
