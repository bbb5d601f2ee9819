#!/usr/bin/env python3
"""Writes opset28.onnx (IR version 10, opset 28), its inputs and the
expected outputs, for cpu-opset28.test.

The ops are those that opsets 22 to 28 added or changed and Cleave imports:
RMSNormalization (23), Swish (24), SwiGLU (28), SpaceToDepth with mode CRD
(28), Cast with round_mode (24). The expected outputs are the ONNX
definitions written in numpy in float64 (RMSNormalization's function body,
x * sigmoid(alpha x), SpaceToDepth's reshape-transpose-reshape); the round
trip SpaceToDepth -> DepthToSpace in the same mode must give x back.

  opset28_model.py OUT_DIR
"""
import os
import sys

import numpy as np
import onnx
from onnx import TensorProto, helper, numpy_helper


def sigmoid(x):
    return 1.0 / (1.0 + np.exp(-x))


def main():
    out = sys.argv[1]
    rng = np.random.default_rng(5)
    x = rng.standard_normal((2, 3, 8)).astype(np.float32)
    a = rng.standard_normal((2, 3, 8)).astype(np.float32)
    image = rng.standard_normal((1, 2, 4, 6)).astype(np.float32)
    scale = rng.standard_normal(8).astype(np.float32)
    nodes = [
        helper.make_node("RMSNormalization", ["x", "scale"], ["rms"],
                         epsilon=1e-3),
        helper.make_node("RMSNormalization", ["x", "one"], ["rms2"], axis=1),
        helper.make_node("Swish", ["x"], ["swish"], alpha=0.5),
        helper.make_node("SwiGLU", ["a", "x"], ["swiglu"]),
        helper.make_node("SpaceToDepth", ["image"], ["crd"], blocksize=2,
                         mode="CRD"),
        helper.make_node("DepthToSpace", ["crd"], ["crd_back"], blocksize=2,
                         mode="CRD"),
        helper.make_node("SpaceToDepth", ["image"], ["dcr"], blocksize=2),
        helper.make_node("Cast", ["x"], ["x64"], to=TensorProto.DOUBLE,
                         round_mode="nearest"),
    ]
    graph = helper.make_graph(
        nodes, "opset28",
        [helper.make_tensor_value_info("x", TensorProto.FLOAT, x.shape),
         helper.make_tensor_value_info("a", TensorProto.FLOAT, a.shape),
         helper.make_tensor_value_info("image", TensorProto.FLOAT,
                                       image.shape)],
        [helper.make_tensor_value_info(name, elem, None) for name, elem in [
            ("rms", TensorProto.FLOAT), ("rms2", TensorProto.FLOAT),
            ("swish", TensorProto.FLOAT), ("swiglu", TensorProto.FLOAT),
            ("crd", TensorProto.FLOAT), ("crd_back", TensorProto.FLOAT),
            ("dcr", TensorProto.FLOAT), ("x64", TensorProto.DOUBLE)]],
        [numpy_helper.from_array(scale, "scale"),
         numpy_helper.from_array(np.ones((3, 8), np.float32), "one")])
    model = helper.make_model(graph,
                              opset_imports=[helper.make_opsetid("", 28)],
                              ir_version=10)
    onnx.save(model, os.path.join(out, "opset28.onnx"))

    d = x.astype(np.float64)
    expected = {
        "rms": d / np.sqrt((d * d).mean(-1, keepdims=True) + np.float32(1e-3))
        * scale,
        "rms2": d / np.sqrt((d * d).mean((1, 2), keepdims=True) + 1e-5),
        "swish": d * sigmoid(0.5 * d),
        "swiglu": a * sigmoid(a.astype(np.float64)) * d,
        "crd": image.reshape(1, 2, 2, 2, 3, 2).transpose(0, 1, 3, 5, 2, 4)
        .reshape(1, 8, 2, 3),
        "crd_back": image,
        "dcr": image.reshape(1, 2, 2, 2, 3, 2).transpose(0, 3, 5, 1, 2, 4)
        .reshape(1, 8, 2, 3),
        "x64": d,
    }
    for name, value in {"x": x, "a": a, "image": image}.items():
        np.save(os.path.join(out, name + ".npy"), value)
    for name, value in expected.items():
        dtype = np.float64 if name == "x64" else np.float32
        np.save(os.path.join(out, "ref_" + name + ".npy"), value.astype(dtype))


if __name__ == "__main__":
    main()
