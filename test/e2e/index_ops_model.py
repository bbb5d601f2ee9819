#!/usr/bin/env python3
"""Writes index_ops.onnx: the integer and indexed ops real exports use, in
one graph, for cpu-index-ops.test.

- T5's relative position buckets take Abs of i64 offsets (and Sign, Neg);
- BERT from the dynamo exporter gathers rows with GatherND;
- Swin's shifted-window mask is built with ScatterND;
- ScatterElements with an add reduction (the deprecated Scatter's successor);
- a float16 Relu and Exp between Casts, as mixed-precision exports write.

  index_ops_model.py OUT_DIR
"""
import os
import sys

import numpy as np
import onnx
from onnx import TensorProto, helper, numpy_helper


def main():
    out = sys.argv[1]
    nodes = [
        helper.make_node("Abs", ["pos"], ["abs_pos"]),
        helper.make_node("Neg", ["pos"], ["neg_pos"]),
        helper.make_node("Sign", ["neg_pos"], ["sign_pos"]),
        helper.make_node("GatherND", ["x", "rows"], ["gathered"]),
        helper.make_node("Mul", ["gathered", "two"], ["doubled"]),
        helper.make_node("ScatterND", ["x", "rows", "doubled"], ["scattered"],
                         reduction="add"),
        helper.make_node("ScatterND", ["mask", "cells", "fill"], ["window"]),
        helper.make_node("Slice", ["x", "zero3", "part_end"], ["x_part"]),
        helper.make_node("ScatterElements", ["x", "cols", "x_part"],
                         ["spread"], axis=2, reduction="add"),
        helper.make_node("Cast", ["x"], ["x16"], to=TensorProto.FLOAT16),
        helper.make_node("Relu", ["x16"], ["relu16"]),
        helper.make_node("Exp", ["relu16"], ["exp16"]),
        helper.make_node("Cast", ["exp16"], ["exp32"], to=TensorProto.FLOAT),
    ]
    rng = np.random.default_rng(3)
    inits = [
        numpy_helper.from_array(np.array([[0, 1], [3, 5], [2, -1]], np.int64),
                                "rows"),
        numpy_helper.from_array(np.array(2.0, np.float32), "two"),
        numpy_helper.from_array(np.zeros((4, 4), np.float32), "mask"),
        numpy_helper.from_array(
            np.array([[0, 3], [1, 2], [3, 0]], np.int64), "cells"),
        numpy_helper.from_array(np.array([-100, -100, -100], np.float32),
                                "fill"),
        numpy_helper.from_array(
            rng.integers(-5, 5, (4, 6, 3)).astype(np.int64), "cols"),
        numpy_helper.from_array(np.zeros(3, np.int64), "zero3"),
        numpy_helper.from_array(np.array([4, 6, 3], np.int64), "part_end"),
    ]
    graph = helper.make_graph(
        nodes, "index_ops",
        [helper.make_tensor_value_info("pos", TensorProto.INT64, [4, 6]),
         helper.make_tensor_value_info("x", TensorProto.FLOAT, [4, 6, 5])],
        [helper.make_tensor_value_info(name, elem, None) for name, elem in [
            ("abs_pos", TensorProto.INT64), ("sign_pos", TensorProto.INT64),
            ("gathered", TensorProto.FLOAT), ("scattered", TensorProto.FLOAT),
            ("window", TensorProto.FLOAT), ("spread", TensorProto.FLOAT),
            ("exp32", TensorProto.FLOAT)]],
        inits)
    model = helper.make_model(graph,
                              opset_imports=[helper.make_opsetid("", 18)],
                              ir_version=9)
    onnx.save(model, os.path.join(out, "index_ops.onnx"))


if __name__ == "__main__":
    main()
