#!/usr/bin/env python3
"""What `cleave-run --trace` costs: the same runs with and without it.

Two jobs, each on 2 one-thread CPU devices: GPT-2 (test/models) inference
with 4 microbatches (cleave-run --benchmark, p50 latency) and a GPT-2
training step pipelined on 2 stages with 1F1B and 4 microbatches (the
median step over --steps steps). Runs alternate between traced and
untraced, --rounds times; the figure is the ratio of the medians. Tracing
records two clock reads and a push per kernel call; the events are written
after the run (not timed), so the ratio is what recording costs.

    python3 bench/trace_overhead.py --tools ../cleave-build/bin
        [--rounds 5] [--steps 20]
"""
import argparse
import os
import re
import statistics
import subprocess
import sys
import tempfile

import numpy as np

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
GPT2 = os.path.join(ROOT, "test", "models", "gpt2_lm.onnx")


def run(command):
    done = subprocess.run(command, capture_output=True, text=True)
    if done.returncode:
        sys.exit(" ".join(command) + " failed:\n" + done.stderr)
    return done.stdout


def main():
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--tools", required=True)
    parser.add_argument("--rounds", type=int, default=5)
    parser.add_argument("--steps", type=int, default=20)
    args = parser.parse_args()
    compile_ = os.path.join(args.tools, "cleave-compile")
    cleave_run = os.path.join(args.tools, "cleave-run")
    rng = np.random.default_rng(0)
    with tempfile.TemporaryDirectory() as work:
        ids = os.path.join(work, "ids.npy")
        np.save(ids, rng.integers(0, 2048, (8, 32)).astype(np.int64))
        steps_ids = os.path.join(work, "steps_ids.npy")
        labels = os.path.join(work, "labels.npy")
        np.save(steps_ids,
                rng.integers(0, 2048, (args.steps, 8, 32)).astype(np.int64))
        np.save(labels,
                rng.integers(0, 2048, (args.steps, 8, 32)).astype(np.int64))
        infer = os.path.join(work, "infer")
        run([compile_, GPT2, "--dim=batch=2", "--num-devices=2",
             "--target=cpu", "-o", infer])
        train = os.path.join(work, "train")
        run([compile_, GPT2, "--train", "--dim=batch=8",
             "--loss=cross_entropy:logits=logits,labels=labels",
             "--optimizer=sgd:lr=0.01", "--microbatches=4",
             "--num-devices=2", "--schedule=1f1b", "--target=cpu", "-o",
             train])
        trace = os.path.join(work, "trace.json")
        jobs = {
            "GPT-2 inference, 4 microbatches (p50 ms)": (
                [cleave_run, infer, "--input", f"input_ids={ids}",
                 "--microbatches=4", "--num-threads=1", "--benchmark",
                 "--repeat=30"], r"p50 ([0-9.]+) ms"),
            "GPT-2 training step, 2 stages 1F1B (median ms)": (
                [cleave_run, train, f"--steps={args.steps}",
                 "--input", f"input_ids={steps_ids}",
                 "--input", f"labels={labels}", "--num-threads=1"],
                r"median step ([0-9.]+) ms"),
        }
        print(f"{'job':50} {'off':>8} {'traced':>8} {'ratio':>6}")
        for name, (command, pattern) in jobs.items():
            times = {False: [], True: []}
            for _ in range(args.rounds):
                for traced in (False, True):
                    extra = [f"--trace={trace}"] if traced else []
                    output = run(command + extra)
                    times[traced].append(
                        float(re.search(pattern, output).group(1)))
            off = statistics.median(times[False])
            on = statistics.median(times[True])
            print(f"{name:50} {off:8.3f} {on:8.3f} {on / off:6.3f}")
        print(f"a traced training run's file: "
              f"{os.path.getsize(trace) / 1e6:.1f} MB for {args.steps} steps")
    return 0


if __name__ == "__main__":
    sys.exit(main())
