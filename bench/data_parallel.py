#!/usr/bin/env python3
"""Data-parallel training throughput: --dp=N one-thread processes against
one one-thread process on the same global batch.

For each model, both train S steps from the same weights on the same
batches (random tokens or inputs, seeded); the figure is the median step as
cleave-run prints it (the slowest process's), and the
throughput ratio one process / N replicas (N would be perfect), for the
replicas as they are by default (each updates a whole copy of the AdamW
state) and with --zero=1 (each updates its 1/N of it: ZeRO stage 1). The
losses of the runs are compared too (they differ only in float rounding).
Microbatches (--microbatches M) can be added to all.

    python3 bench/data_parallel.py --tools ../cleave-build/bin
        [--steps 20] [--replicas 2] [--microbatches 1] [--only gpt2_lm]
        [--batch-scale 2] [--rounds 3]

--batch-scale multiplies the global batch of the real-model suite's
transformers (GPT-2, BERT, ViT: 8 rows; the test transformer's ONNX file
fixes its batch): the step's compute grows with it, the all-reduce and the
replicated optimizer update do not.

"bound" (the models whose batch is free) is one process's step on the whole
batch over one process's step on one replica's share of it: the ratio
N replicas would reach if their collectives took no time. Work that does
not shrink with the batch (the optimizer update, per-kernel overheads,
products that run less efficiently on fewer rows) keeps it below N.
"""
import argparse
import os
import re
import subprocess
import sys
import tempfile

import numpy as np

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from training_models import transformers  # noqa: E402

# The suite's transformers (training_models.py) and test/training's, whose
# ONNX file fixes its batch (no batch dim).
MODELS = {
    **transformers(8),
    "transformer": ("test/training/transformer.onnx",
                    "cross_entropy:logits=out,labels=y", 4, None,
                    {"x": ((8,), 16)}, ("y", (8,), 16)),
}


def batches(rng, steps, batch, shape, classes):
    """`steps` batches of random tokens (or floats when `classes` is
    None)."""
    if classes is None:
        return rng.standard_normal((steps, batch) + shape).astype(np.float32)
    return rng.integers(0, classes, (steps, batch) + shape, np.int64)


def step_ms(output):
    found = re.search(r"median step ([0-9.]+) ms", output)
    if not found:
        sys.exit("cleave-run printed no step time:\n" + output)
    return float(found.group(1))


def losses(output):
    return [float(v) for v in re.findall(r"loss ([-0-9.e+]+)", output)]


def main():
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--tools", required=True)
    parser.add_argument("--steps", type=int, default=20)
    parser.add_argument("--replicas", type=int, default=2)
    parser.add_argument("--microbatches", type=int, default=1)
    parser.add_argument("--only", nargs="*")
    parser.add_argument("--batch-scale", type=int, default=1)
    parser.add_argument("--rounds", type=int, default=3)
    args = parser.parse_args()
    rng = np.random.default_rng(0)
    print(f"{'model':<12} {'batch':>5} {'1 process ms':>13} "
          f"{f'dp={args.replicas} ms':>10} "
          f"{'throughput':>11} {'zero=1 ms':>9} {'throughput':>11} "
          f"{'bound':>7} {'max loss diff':>14}")
    with tempfile.TemporaryDirectory() as work:
        for name, (path, loss, batch, dim, inputs, label) in MODELS.items():
            if args.only and name not in args.only:
                continue
            if dim:  # Otherwise the ONNX file fixes the batch.
                batch *= args.batch_scale
            files = []
            label_name, label_shape, classes = label
            for input, (shape, vocabulary) in list(inputs.items()) + [
                    (label_name, (label_shape, classes))]:
                np.save(os.path.join(work, f"{name}.{input}.npy"),
                        batches(rng, args.steps, batch, shape, vocabulary))
                files.append(f"{input}={work}/{name}.{input}.npy")
            def build(replicas, rows, tag, extra=()):
                """A bundle of `replicas` replicas on `rows` rows of each
                batch each (the first ones), and its cleave-run command."""
                specs, total = [], rows * replicas
                for spec in files:
                    input_name, file = spec.split("=", 1)
                    if total != batch:
                        file = file.replace(".npy", f".{total}.npy")
                        np.save(file, np.load(spec.split("=", 1)[1])[:, :total])
                    specs.append(f"{input_name}={file}")
                bundle = os.path.join(work, f"{name}-{tag}")
                subprocess.run(
                    [os.path.join(args.tools, "cleave-compile"),
                     os.path.join(ROOT, path), "--train", f"--loss={loss}",
                     "--optimizer=adamw:lr=1e-3", f"--dp={replicas}",
                     f"--microbatches={args.microbatches}",
                     "--target=cpu", "-o", bundle, *extra]
                    + ([f"--dim={dim}={total}"] if dim else []),
                    check=True)
                command = [os.path.join(args.tools, "cleave-run"), bundle,
                           f"--steps={args.steps}", "--num-threads=1"]
                for spec in specs:
                    command += ["--input", spec]
                return command

            half = batch // args.replicas
            commands = [build(1, batch, "one"),
                        build(args.replicas, half, "dp"),
                        build(args.replicas, half, "zero", ["--zero=1"])]
            if dim:
                commands.append(build(1, half, "share"))
            # The runs take turns, --rounds times, so that a slow spell of
            # this shared machine falls on all of them; each figure is the
            # median of its rounds' median steps.
            steps = [[] for _ in commands]
            runs = [None] * len(commands)
            for _ in range(args.rounds):
                for k, command in enumerate(commands):
                    out = subprocess.run(command, check=True,
                                         capture_output=True,
                                         text=True).stdout
                    steps[k].append(step_ms(out))
                    runs[k] = losses(out)
            times = [float(np.median(t)) for t in steps]
            bound = f"{times[0] / times[3]:.2f}x" if len(times) > 3 else "-"
            runs = runs[:3]
            diff = max(abs(a - b) for run in runs[1:]
                       for a, b in zip(runs[0], run))
            print(f"{name:<12} {batch:>5} {times[0]:>13.3f} {times[1]:>10.3f} "
                  f"{times[0] / times[1]:>10.2f}x {times[2]:>9.3f} "
                  f"{times[0] / times[2]:>10.2f}x {bound:>7} {diff:>14.2e}")


if __name__ == "__main__":
    main()
