#!/usr/bin/env python3
"""Runs a model through Cleave and onnxruntime on the same random input and
says whether the outputs match (rtol 1e-4, atol 1e-5).

  check_example.py --tools BIN model.onnx --shape image:1x3x32x32 --work DIR
"""
import argparse
import os
import subprocess
import sys

import numpy as np

here = os.path.dirname(os.path.abspath(__file__))
e2e = os.path.join(here, "..", "test", "e2e")


def main():
    parser = argparse.ArgumentParser()
    parser.add_argument("model")
    parser.add_argument("--tools", required=True)
    parser.add_argument("--shape", action="append", default=[])
    parser.add_argument("--work", required=True)
    args = parser.parse_args()
    bundle = os.path.join(args.work, "bundle")
    shapes = [f"--input-shape={s}" for s in args.shape]
    run = lambda cmd: subprocess.run(cmd, check=True)
    print(f"compiling {args.model} for the CPU into {bundle}")
    run([os.path.join(args.tools, "cleave-compile"), args.model, *shapes,
         "--target=cpu", "-o", bundle])
    print("reference: onnxruntime on a random input")
    run([sys.executable, os.path.join(e2e, "reference.py"), args.model,
         *[f"--shape={s}" for s in args.shape], "--out", args.work])
    inputs = [f for f in sorted(os.listdir(args.work))
              if f.endswith(".npy") and not f.startswith(("ref_", "out_"))]
    outputs = [f[len("ref_"):-len(".npy")] for f in sorted(os.listdir(args.work))
               if f.startswith("ref_")]
    command = [os.path.join(args.tools, "cleave-run"), bundle, "--benchmark",
               "--repeat", "20"]
    for f in inputs:
        command += ["--input", f"{f[:-4]}={os.path.join(args.work, f)}"]
    for name in outputs:
        command += ["--output",
                    f"{name}={os.path.join(args.work, 'out_' + name + '.npy')}"]
    print("running the bundle with cleave-run")
    run(command)
    ok = True
    for name in outputs:
        got = np.load(os.path.join(args.work, f"out_{name}.npy"))
        want = np.load(os.path.join(args.work, f"ref_{name}.npy"))
        close = got.shape == want.shape and np.allclose(got, want, rtol=1e-4,
                                                        atol=1e-5)
        error = np.abs(got - want).max() if got.shape == want.shape else None
        print(f"output {name}: {list(got.shape)}, max abs error vs "
              f"onnxruntime {error:.3g}: {'MATCH' if close else 'MISMATCH'}")
        ok &= close
    return 0 if ok else 1


if __name__ == "__main__":
    sys.exit(main())
