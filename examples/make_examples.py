#!/usr/bin/env python3
"""Writes the bundled example models (random weights, fixed seed).

tiny_cnn.onnx: a small image classifier, Conv/BN/Relu/MaxPool twice, then
global pooling, a reshape computed from the input's shape (as exporters
emit it), Gemm and Softmax. Batch is a symbolic dim ("N"), so the README's
command binds it with --input-shape.

Run: python3 examples/make_examples.py  (needs the onnx and numpy packages)
"""
import os

import numpy as np
import onnx
from onnx import TensorProto, helper, numpy_helper

rng = np.random.default_rng(0)


def weight(name, *shape):
    return numpy_helper.from_array(
        (rng.standard_normal(shape) * 0.1).astype(np.float32), name)


def conv_block(nodes, inits, x, cin, cout, idx):
    w = f"conv{idx}.weight"
    inits += [weight(w, cout, cin, 3, 3), weight(f"conv{idx}.bias", cout)]
    inits += [weight(f"bn{idx}.{p}", cout) for p in ("scale", "bias", "mean")]
    inits.append(numpy_helper.from_array(
        np.abs(rng.standard_normal(cout)).astype(np.float32) + 0.5,
        f"bn{idx}.var"))
    nodes += [
        helper.make_node("Conv", [x, w, f"conv{idx}.bias"], [f"c{idx}"],
                         name=f"conv{idx}", pads=[1, 1, 1, 1]),
        helper.make_node("BatchNormalization",
                         [f"c{idx}"] + [f"bn{idx}.{p}" for p in
                                        ("scale", "bias", "mean", "var")],
                         [f"b{idx}"], name=f"bn{idx}"),
        helper.make_node("Relu", [f"b{idx}"], [f"r{idx}"], name=f"relu{idx}"),
        helper.make_node("MaxPool", [f"r{idx}"], [f"p{idx}"],
                         name=f"pool{idx}", kernel_shape=[2, 2],
                         strides=[2, 2]),
    ]
    return f"p{idx}"


def tiny_cnn():
    nodes, inits = [], []
    x = conv_block(nodes, inits, "image", 3, 8, 1)
    x = conv_block(nodes, inits, x, 8, 16, 2)
    inits += [weight("fc.weight", 10, 16), weight("fc.bias", 10),
              numpy_helper.from_array(np.array([0], np.int64), "zero"),
              numpy_helper.from_array(np.array([-1], np.int64), "minus_one")]
    nodes += [
        helper.make_node("GlobalAveragePool", [x], ["gap"], name="gap"),
        # Exporters compute target shapes from Shape; Cleave folds these.
        helper.make_node("Shape", ["gap"], ["gap_shape"], name="shape"),
        helper.make_node("Gather", ["gap_shape", "zero"], ["batch"],
                         name="batch", axis=0),
        helper.make_node("Concat", ["batch", "minus_one"], ["flat_shape"],
                         name="flat_shape", axis=0),
        helper.make_node("Reshape", ["gap", "flat_shape"], ["flat"],
                         name="flatten"),
        helper.make_node("Gemm", ["flat", "fc.weight", "fc.bias"], ["logits"],
                         name="fc", transB=1),
        helper.make_node("Softmax", ["logits"], ["probs"], name="softmax",
                         axis=-1),
    ]
    graph = helper.make_graph(
        nodes, "tiny_cnn",
        [helper.make_tensor_value_info("image", TensorProto.FLOAT,
                                       ["N", 3, 32, 32])],
        [helper.make_tensor_value_info("probs", TensorProto.FLOAT, ["N", 10])],
        inits)
    model = helper.make_model(graph, opset_imports=[helper.make_opsetid("", 17)],
                              producer_name="cleave-examples")
    model.ir_version = 8
    onnx.checker.check_model(model, full_check=True)
    return model


def tiny_mlp():
    """x[N,16] -> MatMul/Add/Relu -> MatMul/Add -> Softmax: the ops the CPU
    target runs end to end today."""
    inits = [weight("fc1.weight", 16, 32), weight("fc1.bias", 32),
             weight("fc2.weight", 32, 10), weight("fc2.bias", 10)]
    nodes = [
        helper.make_node("MatMul", ["x", "fc1.weight"], ["h0"], name="fc1"),
        helper.make_node("Add", ["h0", "fc1.bias"], ["h1"], name="fc1_bias"),
        helper.make_node("Relu", ["h1"], ["h2"], name="relu"),
        helper.make_node("MatMul", ["h2", "fc2.weight"], ["h3"], name="fc2"),
        helper.make_node("Add", ["h3", "fc2.bias"], ["logits"],
                         name="fc2_bias"),
        helper.make_node("Softmax", ["logits"], ["probs"], name="softmax",
                         axis=-1),
    ]
    graph = helper.make_graph(
        nodes, "tiny_mlp",
        [helper.make_tensor_value_info("x", TensorProto.FLOAT, ["N", 16])],
        [helper.make_tensor_value_info("probs", TensorProto.FLOAT, ["N", 10])],
        inits)
    model = helper.make_model(graph, opset_imports=[helper.make_opsetid("", 17)],
                              producer_name="cleave-examples")
    model.ir_version = 8
    onnx.checker.check_model(model, full_check=True)
    return model


if __name__ == "__main__":
    here = os.path.dirname(os.path.abspath(__file__))
    onnx.save(tiny_cnn(), os.path.join(here, "tiny_cnn.onnx"))
    onnx.save(tiny_mlp(), os.path.join(here, "tiny_mlp.onnx"))
