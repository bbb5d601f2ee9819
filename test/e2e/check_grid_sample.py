#!/usr/bin/env python3
"""Checks GridSample against onnxruntime, mode by padding by align_corners.

Each case is a one-node model (opset 16's spellings, or opset 20's with
--opset 20) compiled for the CPU with cleave-compile, run with cleave-run,
and compared with onnxruntime on the same input and grid. The grid reaches
past [-1, 1] (to +-1.6), so every padding mode moves coordinates, and holds
points exactly on pixel centres and edges, where nearest mode's ties and
bilinear's zero weights matter. Both compute in float with different sum
orders: within 1e-5 (a wrong corner, an off-by-half unnormalisation or a
reflection about the wrong bound is off by O(0.1)).

check_grid_sample.py --tools <bin folder> --work <scratch folder>
"""
import itertools
import os
import sys

import numpy as np
from onnx import TensorProto, helper
sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from one_node import arguments, run_both, tally  # noqa: E402

rng = np.random.default_rng(5)
N, C, H, W, HO, WO = 2, 3, 5, 7, 4, 6


def grid():
    g = rng.uniform(-1.6, 1.6, (N, HO, WO, 2)).astype(np.float32)
    # Exact pixel centres and edges in both conventions, and the corners.
    g[0, 0, :, 0] = np.linspace(-1, 1, WO)
    g[0, 1, :, 1] = np.linspace(-1, 1, WO)
    g[1, 0, :3, :] = [[-1, -1], [1, 1], [0, 0]]
    return g


def model(mode, padding, align, opset):
    node = helper.make_node("GridSample", ["X", "grid"], ["Y"], mode=mode,
                            padding_mode=padding, align_corners=align)
    graph = helper.make_graph(
        [node], "grid_sample",
        [helper.make_tensor_value_info("X", TensorProto.FLOAT, [N, C, H, W]),
         helper.make_tensor_value_info("grid", TensorProto.FLOAT,
                                       [N, HO, WO, 2])],
        [helper.make_tensor_value_info("Y", TensorProto.FLOAT, None)])
    return helper.make_model(graph, opset_imports=[
        helper.make_opsetid("", opset)], ir_version=8)


def run_case(tools, work, mode, padding, align, opset):
    name = f"{mode}_{padding}_align{align}"
    feeds = {"X": rng.standard_normal((N, C, H, W)).astype(np.float32),
             "grid": grid()}
    # onnxruntime's kernel is opset 16's; opset 20's names mean the same.
    reference = model({"linear": "bilinear", "cubic": "bicubic"}.get(mode, mode),
                      padding, align, 16)
    got, want = run_both(tools, os.path.join(work, name),
                         model(mode, padding, align, opset), feeds, reference)
    error = float(np.abs(got - want).max())
    ok = got.shape == want.shape and error <= 1e-5
    print(f"{name}: {'ok' if ok else 'differs'} (max abs error {error:.2g})")
    return ok


def main():
    args = arguments(lambda parser: parser.add_argument(
        "--opset", type=int, default=16))
    modes = (["bilinear", "nearest", "bicubic"] if args.opset < 20
             else ["linear", "nearest", "cubic"])
    cases = list(itertools.product(modes, ["zeros", "border", "reflection"],
                                   [0, 1]))
    return tally([run_case(args.tools, args.work, *case, args.opset)
                  for case in cases], "grid samplings")


if __name__ == "__main__":
    sys.exit(main())
