#!/usr/bin/env python3
"""Predicted pipeline-training throughput of Cleave's placement against two
splits people use by hand, on GPU server presets.

For each model of the real-model suite, each machine preset and each
device count K, the AdamW training step (batch 32, 8 microbatches, 1F1B)
is placed three ways and the cost model predicts each step:

- cleave: cleave-compile's own placement (the pipeline DP over the
  forward ops, which also picks how many of the K devices to use);
- uniform: the ONNX nodes in order, cut into K runs of equal node counts
  (what a split by layer count does);
- params: cut into K runs of equal parameter bytes (what a split by
  parameter count does).

It prints each predicted step (ms), the speed-up of Cleave's over each
split, and Cleave's over the lower bound: the whole step's compute spread
evenly over K devices with no bubble and no transfers; and the same
placement with interleaved 1F1B (--schedule=interleaved, 2 stages per
device, a bubble of (K - 1) / (2 M + K - 1)) against the bound.

    python3 bench/pipeline_placement.py --tools ../cleave-build/bin
        [--machines h100-sxm-x8 h200-x8] [--devices 2 4 8] [--only gpt2_lm]
"""
import argparse
import json
import os
import re
import subprocess
import sys
import tempfile

import numpy as np
import onnx

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))

MODELS = {
    "gpt2_lm": "cross_entropy:logits=logits,labels=y",
    "bert_encoder": "mse:prediction=pooler_output,target=t",
    "vit": "cross_entropy:logits=logits,labels=y",
    "resnet50": "cross_entropy:logits=logits,labels=y",
    "inception": "cross_entropy:logits=logits,labels=y",
    "mobilenet_v2": "cross_entropy:logits=logits,labels=y",
}


def compile_report(tools, model, loss, machine, devices, extra):
    out = subprocess.run(
        [os.path.join(tools, "cleave-compile"), model, "--train",
         f"--loss={loss}", "--optimizer=adamw:lr=1e-3", "--microbatches=8",
         "--dim=batch=32", f"--machine={machine}", f"--num-devices={devices}",
         "--report", "--compile-to=placed", "-o", os.devnull] + extra,
        capture_output=True, text=True)
    if out.returncode:
        sys.exit(out.stderr)
    return out.stdout


def predicted_step(report):
    found = re.search(r"predicted step: ([0-9.]+) ms", report)
    if found:
        return float(found.group(1))
    # One stage: its time is the step.
    return float(re.search(r"bottleneck ([0-9.]+) ms", report).group(1))


def total_compute(report):
    """The sum of the stages' predicted times: the whole step's compute."""
    rows = re.findall(r"^\S+\s+\d+\s+[0-9.]+\s+[0-9.]+\s+([0-9.]+)\s",
                      report, re.M)
    return sum(float(ms) for ms in rows)


def split(nodes, weights, parts):
    """Contiguous runs of `nodes` with about equal total `weights`."""
    total = sum(weights) or 1
    devices, running = {}, 0.0
    for node, weight in zip(nodes, weights):
        devices[node] = min(parts - 1, int(running / total * parts))
        running += weight
    return devices


def main():
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--tools", required=True)
    parser.add_argument("--machines", nargs="*",
                        default=["h100-sxm-x8", "h200-x8"])
    parser.add_argument("--devices", nargs="*", type=int, default=[2, 4, 8])
    parser.add_argument("--only", nargs="*")
    args = parser.parse_args()
    print(f"{'model':<13} {'machine':<12} {'K':>2} {'stages':>6} "
          f"{'cleave ms':>10} {'uniform ms':>11} {'params ms':>10} "
          f"{'vs uniform':>10} {'vs params':>10} {'vs bound':>9} "
          f"{'interleaved ms':>14} {'vs bound':>9}")
    with tempfile.TemporaryDirectory() as work:
        for name, loss in MODELS.items():
            if args.only and name not in args.only:
                continue
            path = os.path.join(ROOT, "test", "models", name + ".onnx")
            graph = onnx.load(path, load_external_data=False).graph
            sizes = {i.name: 4 * int(np.prod(i.dims))
                     for i in graph.initializer}
            for machine in args.machines:
                for k in args.devices:
                    placement = os.path.join(work, "cleave.json")
                    report = compile_report(args.tools, path, loss, machine, k,
                                            [f"--placement-out={placement}",
                                             "--schedule=1f1b"])
                    cleave = predicted_step(report)
                    stages = len(set(json.load(open(placement))["ops"]
                                     .values()))
                    bound = total_compute(report) / k
                    placed = json.load(open(placement))["ops"]
                    nodes = [n.name for n in graph.node if n.name in placed]
                    steps = []
                    for weights in ([1] * len(nodes),
                                    [sum(sizes.get(i, 0) for i in n.input)
                                     for n in graph.node
                                     if n.name in placed]):
                        by_hand = os.path.join(work, "split.json")
                        # Ops of no ONNX node (the loss the training
                        # step adds) go to the last stage.
                        ops = {op: k - 1 for op in placed}
                        ops.update(split(nodes, weights, k))
                        json.dump({"format": "cleave-placement", "version": 1,
                                   "ops": ops}, open(by_hand, "w"))
                        steps.append(predicted_step(compile_report(
                            args.tools, path, loss, machine, k,
                            [f"--placement-in={by_hand}"])))
                    interleaved = predicted_step(compile_report(
                        args.tools, path, loss, machine, k,
                        ["--schedule=interleaved"]))
                    print(f"{name:<13} {machine:<12} {k:>2} {stages:>6} "
                          f"{cleave:>10.3f} {steps[0]:>11.3f} "
                          f"{steps[1]:>10.3f} {steps[0] / cleave:>9.2f}x "
                          f"{steps[1] / cleave:>9.2f}x "
                          f"{bound / cleave:>8.2f}x "
                          f"{interleaved:>14.3f} {bound / interleaved:>8.2f}x")


if __name__ == "__main__":
    main()
