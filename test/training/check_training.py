#!/usr/bin/env python3
"""Compares a Cleave training run with its PyTorch reference.

check_training.py <bundle> <saved folder> <reference.npz> <losses.npy>
    [--rtol R] [--atol A] [--names names.json] [--onnx trained.onnx]
    [--ignore SUBSTRING]

The saved folder is what `cleave-run --save` wrote: checkpoint.safetensors,
read here with Hugging Face's own reader. Every parameter of the reference
must match the checkpoint's tensor of its name (within atol), and the loss
of every step must match (within rtol). With --onnx, the parameters are
read from the ONNX model `cleave-run --export-onnx` wrote instead, and
onnxruntime must run it.
Prints one "match: ..." line, or the mismatches and exits 1.
"""
import argparse
import json
import os
import sys

import numpy as np

def saved_variables(saved):
    from safetensors.numpy import load_file
    return load_file(os.path.join(saved, "checkpoint.safetensors"))


def main():
    parser = argparse.ArgumentParser()
    parser.add_argument("bundle")
    parser.add_argument("saved")
    parser.add_argument("reference")
    parser.add_argument("losses")
    parser.add_argument("--rtol", type=float, default=1e-4)
    parser.add_argument("--atol", type=float, default=1e-4)
    parser.add_argument("--names", help="names.json of make_references.py: "
                        "the ONNX initializer of each parameter")
    parser.add_argument("--onnx", help="an exported model to check instead")
    parser.add_argument("--ignore", action="append", default=[],
                        help="skip the references whose name contains this")
    args = parser.parse_args()
    reference = np.load(args.reference)
    if args.onnx:
        import onnx
        import onnxruntime as ort
        model = onnx.load(args.onnx)
        variables = {i.name: onnx.numpy_helper.to_array(i)
                     for i in model.graph.initializer}
        session = ort.InferenceSession(args.onnx,
                                       providers=["CPUExecutionProvider"])
        feeds = {i.name: np.zeros([d if isinstance(d, int) else 1
                                   for d in i.shape],
                                  np.int64 if "int64" in i.type else np.float32)
                 for i in session.get_inputs()}
        if not np.all(np.isfinite(session.run(None, feeds)[0])):
            sys.exit("the exported model computes non-finite outputs")
    else:
        variables = saved_variables(args.saved)
    if args.names:
        for onnx_name, (param, transposed) in json.load(open(args.names)).items():
            if onnx_name in variables:
                value = variables.pop(onnx_name)
                variables[param] = value.T if transposed else value
    problems, worst = [], 0.0
    for name in reference.files:
        if name == "losses" or any(i in name for i in args.ignore):
            continue
        if name not in variables:
            problems.append(f"parameter '{name}' was not trained")
            continue
        expected, got = reference[name], variables[name]
        error = float(np.max(np.abs(expected - got)))
        worst = max(worst, error)
        if expected.shape != got.shape or error > args.atol:
            problems.append(f"parameter '{name}': max abs error {error:.3g}")
    losses, expected = np.load(args.losses).reshape(-1), reference["losses"]
    if losses.shape != expected.shape:
        problems.append(f"{losses.size} losses, expected {expected.size}")
    else:
        for step, (a, b) in enumerate(zip(losses, expected)):
            if abs(a - b) > args.rtol * abs(b) + 1e-7:
                problems.append(f"step {step}: loss {a:.7g}, expected {b:.7g}")
    if problems:
        print("\n".join(problems))
        sys.exit(1)
    checked = [n for n in reference.files if n != "losses" and
               not any(i in n for i in args.ignore)]
    print(f"match: {len(checked)} parameters (max abs error "
          f"{worst:.2g}), {losses.size} losses")


if __name__ == "__main__":
    main()
