#!/usr/bin/env python3
"""Compares two .npy tensors: same dtype and shape, and
|got - want| <= atol + rtol * |want| everywhere. Prints the largest error.

  compare.py got.npy want.npy [--rtol 1e-3] [--atol 1e-5]
"""
import argparse
import sys

import numpy as np


def main():
    parser = argparse.ArgumentParser()
    parser.add_argument("got")
    parser.add_argument("want")
    parser.add_argument("--rtol", type=float, default=1e-3)
    parser.add_argument("--atol", type=float, default=1e-5)
    args = parser.parse_args()
    got, want = np.load(args.got), np.load(args.want)
    if got.dtype != want.dtype or got.shape != want.shape:
        print(f"mismatch: got {got.dtype}{list(got.shape)}, "
              f"want {want.dtype}{list(want.shape)}")
        return 1
    error = np.abs(got.astype(np.float64) - want.astype(np.float64))
    bound = args.atol + args.rtol * np.abs(want.astype(np.float64))
    worst = float(error.max()) if error.size else 0.0
    if (error > bound).any():
        index = np.unravel_index(np.argmax(error - bound), error.shape)
        print(f"mismatch at {list(index)}: got {got[index]}, want {want[index]}"
              f" (max abs error {worst:.3g})")
        return 1
    print(f"match: max abs error {worst:.3g}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
