#!/usr/bin/env python3
"""Training step time: Cleave against PyTorch eager on the CPU.

For each model of test/training (make_references.py defines them) and each
thread count, both train S steps with the same optimizer from the same
weights on the same batches; the figure is the time of one step (Cleave's
device timing of the whole run / S, as cleave-run prints it; PyTorch's
median step after a fifth of the steps as warm-up)
and their ratio (below 1: Cleave is faster). Needs torch.

    python3 bench/training_vs_pytorch.py --tools ../cleave-build/bin
        [--steps 100] [--threads 1 2] [--only transformer]
"""
import argparse
import os
import re
import subprocess
import sys
import tempfile
import time

import numpy as np
import torch

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
TRAINING = os.path.join(ROOT, "test", "training")
sys.path.insert(0, TRAINING)
import make_references as refs  # noqa: E402

# Cleave's --loss for each loss kind of make_references.MODELS.
LOSSES = {"cross_entropy": "cross_entropy:logits=out,labels=y",
          "tokens": "cross_entropy:logits=out,labels=y",
          "mse": "mse:prediction=out,target=y"}
OPTIMIZER = ("adamw:lr=0.01,weight_decay=0.01",
             lambda p: torch.optim.AdamW(p, lr=0.01, weight_decay=0.01))


def data(name, steps):
    x = np.load(os.path.join(TRAINING, f"{name}.x.npy"))
    y = np.load(os.path.join(TRAINING, f"{name}.y.npy"))
    reps = -(-steps // len(x))
    return np.concatenate([x] * reps)[:steps], np.concatenate([y] * reps)[:steps]


def torch_step_ms(name, x, y, threads):
    torch.set_num_threads(threads)
    make, _, loss, _ = refs.MODELS[name]
    torch.manual_seed(0)
    model = make()
    optimizer = OPTIMIZER[1](model.parameters())
    times = []
    for step in range(len(x)):
        start = time.perf_counter()
        optimizer.zero_grad()
        out = model(torch.from_numpy(x[step]))
        value = refs.loss_of(loss, out, torch.from_numpy(y[step]))
        value.backward()
        optimizer.step()
        times.append(time.perf_counter() - start)
    return float(np.median(times[len(times) // 5:])) * 1e3


def cleave_step_ms(name, x, y, threads, tools, work):
    bundle = os.path.join(work, name)
    subprocess.run([os.path.join(tools, "cleave-compile"),
                    os.path.join(TRAINING, f"{name}.onnx"), "--train",
                    "--loss=" + LOSSES[refs.MODELS[name][2]],
                    "--optimizer=" + OPTIMIZER[0],
                    "--target=cpu", "-o", bundle], check=True)
    np.save(os.path.join(work, "x.npy"), x)
    np.save(os.path.join(work, "y.npy"), y)
    run = subprocess.run([os.path.join(tools, "cleave-run"), bundle,
                          f"--steps={len(x)}", f"--num-threads={threads}",
                          "--input", "x=" + os.path.join(work, "x.npy"),
                          "--input", "y=" + os.path.join(work, "y.npy")],
                         check=True, capture_output=True, text=True)
    return float(re.search(r"([0-9.]+) ms per step", run.stdout).group(1))


def main():
    parser = argparse.ArgumentParser()
    parser.add_argument("--tools", required=True)
    parser.add_argument("--steps", type=int, default=100)
    parser.add_argument("--threads", type=int, nargs="+", default=[1, 2])
    parser.add_argument("--only", nargs="*")
    args = parser.parse_args()
    names = args.only or list(refs.MODELS)
    print(f"{'model':<12} {'threads':>7} {'cleave ms':>10} {'pytorch ms':>11} "
          f"{'ratio':>6}")
    with tempfile.TemporaryDirectory() as work:
        for name in names:
            x, y = data(name, args.steps)
            for threads in args.threads:
                ours = cleave_step_ms(name, x, y, threads, args.tools, work)
                theirs = torch_step_ms(name, x, y, threads)
                print(f"{name:<12} {threads:>7} {ours:>10.3f} {theirs:>11.3f} "
                      f"{ours / theirs:>6.2f}")


if __name__ == "__main__":
    main()
