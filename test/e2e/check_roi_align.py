#!/usr/bin/env python3
"""Checks RoiAlign against onnxruntime: avg and max mode, opset 10 (no
coordinate_transformation_mode: output_half_pixel) and opset 16 with each
mode, an adaptive sampling grid (sampling_ratio 0) and a fixed one.

Each case is a one-node model compiled for the CPU with cleave-compile, run
with cleave-run and compared with onnxruntime on the same image and regions.
The regions reach past the image (samples more than a pixel outside count
as 0, those within a pixel read the edge), include one narrower than a
pixel (opset 10 widens it to one) and read both images of the batch. Both
compute in float, summing in the same order: within 1e-5 (an off-by-half
region or a wrong corner weight is off by O(0.1)).

check_roi_align.py --tools <bin folder> --work <scratch folder>
"""
import itertools
import os
import sys

import numpy as np
from onnx import TensorProto, helper
sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from one_node import arguments, run_both, tally  # noqa: E402

rng = np.random.default_rng(7)
N, C, H, W, R, HO, WO = 2, 3, 10, 12, 5, 3, 2
ROIS = np.array([[0.0, 0.0, 9.0, 9.0],     # inside
                 [-3.0, 2.5, 6.2, 14.0],   # past the top-left and bottom
                 [4.0, 4.0, 4.6, 4.3],     # narrower than a pixel
                 [10.5, 8.0, 13.0, 11.5],  # past the bottom-right corner
                 [1.3, 0.7, 7.9, 5.1]], np.float32)
BATCH = np.array([0, 1, 1, 0, 1], np.int64)


def model(opset, mode, sampling_ratio, coordinates):
    attributes = dict(mode=mode, output_height=HO, output_width=WO,
                      sampling_ratio=sampling_ratio, spatial_scale=0.5
                      if sampling_ratio else 1.0)
    if coordinates:
        attributes["coordinate_transformation_mode"] = coordinates
    node = helper.make_node("RoiAlign", ["X", "rois", "batch_indices"], ["Y"],
                            **attributes)
    graph = helper.make_graph(
        [node], "roi_align",
        [helper.make_tensor_value_info("X", TensorProto.FLOAT, [N, C, H, W]),
         helper.make_tensor_value_info("rois", TensorProto.FLOAT, [R, 4]),
         helper.make_tensor_value_info("batch_indices", TensorProto.INT64,
                                       [R])],
        [helper.make_tensor_value_info("Y", TensorProto.FLOAT, None)])
    return helper.make_model(graph, opset_imports=[
        helper.make_opsetid("", opset)], ir_version=8)


def run_case(tools, work, opset, mode, sampling_ratio, coordinates):
    name = f"opset{opset}_{mode}_ratio{sampling_ratio}" + (
        f"_{coordinates}" if coordinates else "")
    feeds = {"X": rng.standard_normal((N, C, H, W)).astype(np.float32),
             "rois": ROIS, "batch_indices": BATCH}
    got, want = run_both(tools, os.path.join(work, name),
                         model(opset, mode, sampling_ratio, coordinates),
                         feeds)
    error = float(np.abs(got - want).max())
    ok = got.shape == want.shape and error <= 1e-5
    print(f"{name}: {'ok' if ok else 'differs'} (max abs error {error:.2g})")
    return ok


def main():
    args = arguments()
    cases = [(10, mode, ratio, None)
             for mode, ratio in itertools.product(["avg", "max"], [0, 2])]
    cases += [(16, mode, ratio, coordinates)
              for mode, ratio, coordinates in itertools.product(
                  ["avg", "max"], [0, 2], ["half_pixel", "output_half_pixel"])]
    return tally([run_case(args.tools, args.work, *case) for case in cases],
                 "RoiAligns")


if __name__ == "__main__":
    sys.exit(main())
