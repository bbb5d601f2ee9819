#!/usr/bin/env python3
"""Checks Resize's tf_crop_and_resize against onnxruntime: nearest, linear
and cubic, a region inside the image and one reaching past it on both
sides (those outputs take extrapolation_value), over all axes (opset 13)
and over two named axes (opset 18's `axes`). Float sums in a different
order: within 1e-5 (a region off by a pixel is off by O(0.1)).

check_resize_crop.py --tools <bin folder> --work <scratch folder>
"""
import os
import sys

import numpy as np
from onnx import TensorProto, helper, numpy_helper
sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from one_node import arguments, run_both, tally  # noqa: E402

rng = np.random.default_rng(3)
X = rng.standard_normal((1, 2, 6, 7)).astype(np.float32)


def model(mode, roi, axes, sizes=(1, 2, 5, 4), scales=None):
    opset = 18 if axes else 13
    attributes = dict(mode=mode, coordinate_transformation_mode=
                      "tf_crop_and_resize", extrapolation_value=7.5)
    if axes:
        attributes["axes"] = axes
        sizes = sizes[2:]
    given = (numpy_helper.from_array(np.array(scales, np.float32), "scales")
             if scales else
             numpy_helper.from_array(np.array(sizes, np.int64), "sizes"))
    node = helper.make_node(
        "Resize", ["X", "roi"] + (["scales"] if scales else ["", "sizes"]),
        ["Y"], **attributes)
    graph = helper.make_graph(
        [node], "crop",
        [helper.make_tensor_value_info("X", TensorProto.FLOAT, X.shape)],
        [helper.make_tensor_value_info("Y", TensorProto.FLOAT, None)],
        [numpy_helper.from_array(np.array(roi, np.float32), "roi"), given])
    return helper.make_model(graph, opset_imports=[
        helper.make_opsetid("", opset)], ir_version=8)


def run(tools, work, name, m):
    got, want = run_both(tools, os.path.join(work, name), m, {"X": X})
    error = float(np.abs(got - want).max()) if got.shape == want.shape \
        else float("inf")
    ok = error <= 1e-5
    extrapolated = int((want == 7.5).sum())
    print(f"{name}: {'ok' if ok else 'differs'} (max abs error {error:.2g}, "
          f"{extrapolated} extrapolated)")
    return ok


def main():
    args = arguments()
    inside = [0, 0, 0.2, 0.1, 1, 1, 0.9, 0.7]
    past = [0, 0, -0.3, 0.4, 1, 1, 0.8, 1.4]
    cases = [(f"{mode}_{where}", model(mode, roi, None))
             for mode in ("nearest", "linear", "cubic")
             for where, roi in (("inside", inside), ("past", past))]
    cases.append(("linear_past_axes", model("linear", past[2:4] + past[6:],
                                            [2, 3])))
    # An output of one row (the region's centre) and sizes from scales
    # (6 x 0.5 = 3 rows, 7 x 0.6 = 4.2: 4 columns).
    cases.append(("linear_one_row", model("linear", inside, None,
                                          sizes=(1, 2, 1, 3))))
    cases.append(("cubic_scales", model("cubic", past, None,
                                        scales=[1, 1, 0.5, 0.6])))
    return tally([run(args.tools, args.work, *c) for c in cases],
                 "crop-and-resizes")


if __name__ == "__main__":
    sys.exit(main())
