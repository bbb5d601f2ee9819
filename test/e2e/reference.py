#!/usr/bin/env python3
"""Writes random inputs for a model and onnxruntime's outputs for them: the
independent reference the end-to-end tests compare Cleave against.

  reference.py model.onnx --shape x:4x16 --out DIR [--seed 0]

Writes DIR/<input>.npy for each graph input and DIR/ref_<output>.npy for
each graph output (names with '/' or ':' get '_').
"""
import argparse
import os

import numpy as np
import onnxruntime


def safe(name):
    return name.replace("/", "_").replace(":", "_")


def main():
    parser = argparse.ArgumentParser()
    parser.add_argument("model")
    parser.add_argument("--shape", action="append", default=[],
                        help="name:2x3, for inputs with symbolic dims")
    parser.add_argument("--out", required=True)
    parser.add_argument("--seed", type=int, default=0)
    args = parser.parse_args()
    shapes = {}
    for spec in args.shape:
        name, dims = spec.rsplit(":", 1)
        shapes[name] = [int(d) for d in dims.split("x")] if dims else []

    os.makedirs(args.out, exist_ok=True)
    rng = np.random.default_rng(args.seed)
    session = onnxruntime.InferenceSession(
        args.model, providers=["CPUExecutionProvider"])
    feeds = {}
    for i in session.get_inputs():
        shape = shapes.get(i.name) or i.shape
        if any(not isinstance(d, int) for d in shape):
            raise SystemExit(f"input {i.name} has symbolic dims {shape}: "
                             f"give --shape {i.name}:...")
        dtype = {"tensor(float)": np.float32, "tensor(int64)": np.int64,
                 "tensor(int32)": np.int32, "tensor(bool)": np.bool_}[i.type]
        value = (rng.standard_normal(shape).astype(dtype)
                 if dtype == np.float32 else np.zeros(shape, dtype))
        feeds[i.name] = value
        np.save(os.path.join(args.out, safe(i.name) + ".npy"), value)
    for o, value in zip(session.get_outputs(), session.run(None, feeds)):
        np.save(os.path.join(args.out, "ref_" + safe(o.name) + ".npy"), value)


if __name__ == "__main__":
    main()
