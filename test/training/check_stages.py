#!/usr/bin/env python3
"""Parallel equivalence of pipelined training: one model trained on one
device and on pipeline stages (and replicas) must give the same steps.

  check_stages.py model.onnx --work DIR --machine m.json --microbatches M
      --flags "--train --loss=... --optimizer=... [--dim=...]"
      --input name=file.npy ... [--steps 3]
      --runs 4:gpipe 4:1f1b 4:interleaved 2x2:1f1b

Each run "K:schedule" compiles the step for K pipeline stages with that
schedule and M microbatches; "KxN:schedule" for K stages times N
data-parallel replicas, each with M / N microbatches (the same
microbatches, so the same gradient accumulation; BatchNormalization's
running statistics are left out there: each replica chains them over its
own microbatches, and the checkpoint keeps replica 0's, as DDP's default
broadcast of rank 0's buffers does). Every bundle trains
--steps steps on the same inputs from the same weights, and each must use
its K devices and match the one-device run (compare_runs.py: losses rtol,
parameters and optimizer state atol). Prints one line per run; exits
non-zero on the first difference.
"""
import argparse
import json
import os
import shlex
import subprocess
import sys

import onnx

here = os.path.dirname(os.path.abspath(__file__))


def run(command):
    result = subprocess.run(command, capture_output=True, text=True)
    if result.returncode != 0:
        sys.exit(f"failed: {shlex.join(command)}\n"
                 f"{result.stdout}{result.stderr}")
    return result.stdout


def train(args, name, extra):
    """Compiles and trains one bundle; returns its checkpoint and losses."""
    bundle = os.path.join(args.work, name)
    run(["cleave-compile", args.model] + shlex.split(args.flags) + extra +
        ["--target=cpu", "-o", bundle])
    losses = os.path.join(args.work, name + ".loss.npy")
    saved = os.path.join(args.work, name + ".saved")
    feeds = [flag for feed in args.input for flag in ("--input", feed)]
    run(["cleave-run", bundle, f"--steps={args.steps}", "--num-threads=1",
         "--output", f"loss={losses}", f"--save={saved}"] + feeds)
    return bundle, saved, losses


def main():
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("model")
    parser.add_argument("--work", required=True)
    parser.add_argument("--machine", required=True)
    parser.add_argument("--microbatches", type=int, required=True)
    parser.add_argument("--flags", required=True)
    parser.add_argument("--input", action="append", default=[])
    parser.add_argument("--steps", type=int, default=3)
    parser.add_argument("--runs", nargs="+", required=True)
    parser.add_argument("--rtol", type=float, default=1e-5)
    parser.add_argument("--atol", type=float, default=1e-5)
    args = parser.parse_args()
    os.makedirs(args.work, exist_ok=True)
    m = args.microbatches
    # The running statistics: inputs 3 and 4 of each BatchNormalization.
    running = [name for node in onnx.load(args.model).graph.node
               if node.op_type == "BatchNormalization"
               for name in node.input[3:5]]
    _, saved_one, losses_one = train(args, "one", [f"--microbatches={m}"])
    for spec in args.runs:
        layout, _, schedule = spec.partition(":")
        stages, _, replicas = layout.partition("x")
        stages, replicas = int(stages), int(replicas or 1)
        if m % replicas:
            sys.exit(f"{spec}: {m} microbatches do not split among "
                     f"{replicas} replicas")
        name = spec.replace(":", "-").replace("=", "")
        bundle, saved, losses = train(args, name, [
            f"--microbatches={m // replicas}", f"--dp={replicas}",
            f"--machine={args.machine}", f"--num-devices={stages}",
            f"--schedule={schedule}"])
        with open(os.path.join(bundle, "manifest.json")) as f:
            used = len(json.load(f)["devices"])
        if used != stages:
            sys.exit(f"{spec}: the placement used {used} of {stages} devices")
        same = run([sys.executable, os.path.join(here, "compare_runs.py"),
                    saved, losses, saved_one, losses_one,
                    "--rtol", str(args.rtol), "--atol", str(args.atol)] +
                   (["--skip"] + running if replicas > 1 and running else []))
        print(f"{os.path.basename(args.model)} {spec}: {same.strip()}")


if __name__ == "__main__":
    main()
