#!/usr/bin/env python3
"""Writes random inputs for a model and onnxruntime's outputs for them: the
independent reference the end-to-end tests compare Cleave against.

  reference.py model.onnx --shape x:4x16 --out DIR [--seed 0]
  reference.py model.onnx --dim batch=2 --int-range input_ids:0:2048 --out DIR

Float inputs are standard normal; integer inputs are uniform in the
--int-range given for them, zeros otherwise. Writes DIR/<input>.npy for each
graph input and DIR/ref_<output>.npy for each graph output (names with '/'
or ':' get '_').
"""
import argparse
import os

import numpy as np
import onnxruntime


def safe(name):
    return name.replace("/", "_").replace(":", "_")


def random_inputs(session, shapes=None, dims=None, int_ranges=None, seed=0):
    """{input name: array} for an onnxruntime session's inputs. `shapes`
    gives whole shapes by input name, `dims` symbolic dims by name, and
    `int_ranges` (low, high) per integer input; float inputs are standard
    normal and other integers zero."""
    shapes, dims, int_ranges = shapes or {}, dims or {}, int_ranges or {}
    rng = np.random.default_rng(seed)
    feeds = {}
    for i in session.get_inputs():
        shape = shapes.get(i.name) or [dims.get(d, d) for d in i.shape]
        if any(not isinstance(d, int) for d in shape):
            raise SystemExit(f"input {i.name} has symbolic dims {shape}: "
                             f"give --shape {i.name}:... or --dim")
        dtype = {"tensor(float)": np.float32, "tensor(int64)": np.int64,
                 "tensor(int32)": np.int32, "tensor(bool)": np.bool_}[i.type]
        if dtype == np.float32:
            value = rng.standard_normal(shape).astype(dtype)
        elif i.name in int_ranges:
            value = rng.integers(*int_ranges[i.name], shape).astype(dtype)
        else:
            value = np.zeros(shape, dtype)
        feeds[i.name] = value
    return feeds


def main():
    parser = argparse.ArgumentParser()
    parser.add_argument("model")
    parser.add_argument("--shape", action="append", default=[],
                        help="name:2x3, for inputs with symbolic dims")
    parser.add_argument("--dim", action="append", default=[],
                        help="batch=2: a symbolic dim's size, by name")
    parser.add_argument("--int-range", action="append", default=[],
                        help="name:low:high: integer input values in [low, high)")
    parser.add_argument("--out", required=True)
    parser.add_argument("--seed", type=int, default=0)
    args = parser.parse_args()
    shapes = {}
    for spec in args.shape:
        name, dims = spec.rsplit(":", 1)
        shapes[name] = [int(d) for d in dims.split("x")] if dims else []
    dims = dict((name, int(size)) for name, size in
                (spec.split("=") for spec in args.dim))
    int_ranges = {}
    for spec in args.int_range:
        name, low, high = spec.rsplit(":", 2)
        int_ranges[name] = (int(low), int(high))

    os.makedirs(args.out, exist_ok=True)
    session = onnxruntime.InferenceSession(
        args.model, providers=["CPUExecutionProvider"])
    feeds = random_inputs(session, shapes, dims, int_ranges, args.seed)
    for name, value in feeds.items():
        np.save(os.path.join(args.out, safe(name) + ".npy"), value)
    for o, value in zip(session.get_outputs(), session.run(None, feeds)):
        np.save(os.path.join(args.out, "ref_" + safe(o.name) + ".npy"), value)


if __name__ == "__main__":
    main()
