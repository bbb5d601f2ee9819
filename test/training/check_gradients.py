#!/usr/bin/env python3
"""Checks every gradient rule against central finite differences.

For each case, a one-op ONNX model whose operands are float initializers
(p0, p1, ...; integer operands such as shapes and axes stay constants) is
trained by Cleave for zero steps: compiled with --train, an MSE (or
cross-entropy) loss against a new input and --optimizer=none, the bundle's
outputs are the gradients of the loss for every operand. The reference
evaluates the same model in float64 with onnxruntime and differentiates
the loss by central differences (step 1e-5: truncation ~1e-10, rounding
~1e-11). Cleave computes in float32, so each gradient must match within
1e-4 + 1e-3 * |reference| (float32 rounding through a few ops is ~1e-6
relative; a wrong rule is off by O(1)).

check_gradients.py --tools <bin folder> --work <scratch folder> [case...]
"""
import argparse
import math
import os
import subprocess
import sys

import numpy as np
import onnx
import onnxruntime as ort
from onnx import TensorProto, helper, numpy_helper

rng = np.random.default_rng(7)
ort.set_default_logger_severity(3)


def uniform(*shape, low=-1.0, high=1.0):
    return rng.uniform(low, high, shape)


def away_from_zero(*shape):
    """Values whose sign is clear (Relu, Where at a kink would be FD noise)."""
    v = uniform(*shape, low=0.2, high=1.0)
    return v * rng.choice([-1.0, 1.0], shape)


def batch_norm_train(x, scale, bias, epsilon=1e-5):
    """BatchNormalization as model.train() computes it: the batch's mean and
    biased variance over every axis but the channel (1)."""
    axes = (0,) + tuple(range(2, x.ndim))
    shape = [1, -1] + [1] * (x.ndim - 2)
    mean = x.mean(axis=axes, keepdims=True)
    var = x.var(axis=axes, keepdims=True)
    return ((x - mean) / np.sqrt(var + epsilon) * scale.reshape(shape) +
            bias.reshape(shape))


# name: (op, float operands, integer/bool operands, attributes, loss)
# Float operands are differentiated; the others are fixed constants.
def gelu_erf(x):
    return 0.5 * x * (1 + np.vectorize(math.erf)(x / math.sqrt(2)))


def gelu_tanh(x):
    c = math.sqrt(2 / math.pi)
    return 0.5 * x * (1 + np.tanh(c * (x + 0.044715 * x ** 3)))


def conv_reference(strides=None, pads=None, dilations=None, group=1,
                   same_upper=False):
    """ONNX Conv in numpy (float64), by its definition."""
    def forward(x, w, b=None):
        rank = x.ndim - 2
        s = strides or [1] * rank
        d = dilations or [1] * rank
        k = w.shape[2:]
        if same_upper:
            out = [-(-x.shape[2 + i] // s[i]) for i in range(rank)]
            total = [max(0, (out[i] - 1) * s[i] + (k[i] - 1) * d[i] + 1 -
                         x.shape[2 + i]) for i in range(rank)]
            p = [t // 2 for t in total] + [t - t // 2 for t in total]
        else:
            p = pads or [0] * (2 * rank)
        padded = np.pad(x, [(0, 0), (0, 0)] +
                        [(p[i], p[rank + i]) for i in range(rank)])
        out = [(padded.shape[2 + i] - (k[i] - 1) * d[i] - 1) // s[i] + 1
               for i in range(rank)]
        n, m, cg = x.shape[0], w.shape[0], w.shape[1]
        y = np.zeros([n, m] + out)
        for o in np.ndindex(*out):
            for kk in np.ndindex(*k):
                at = tuple(o[i] * s[i] + kk[i] * d[i] for i in range(rank))
                patch = padded[(slice(None), slice(None)) + at]  # [N, C]
                for g in range(group):
                    mg = slice(g * (m // group), (g + 1) * (m // group))
                    y[(slice(None), mg) + o] += (
                        patch[:, g * cg:(g + 1) * cg] @
                        w[(mg, slice(None)) + kk].T)
        if b is not None:
            y += b.reshape([1, m] + [1] * rank)
        return y
    return forward


def average_pool_reference(kernel, strides, pads, include_pad):
    """ONNX AveragePool (no ceil_mode, no dilation) in numpy (float64)."""
    def forward(x):
        rank = x.ndim - 2
        padded = np.pad(x, [(0, 0), (0, 0)] +
                        [(pads[i], pads[rank + i]) for i in range(rank)])
        ones = np.pad(np.ones(x.shape[2:]),
                      [(pads[i], pads[rank + i]) for i in range(rank)])
        out = [(padded.shape[2 + i] - kernel[i]) // strides[i] + 1
               for i in range(rank)]
        y = np.zeros(list(x.shape[:2]) + out)
        for o in np.ndindex(*out):
            window = tuple(slice(o[i] * strides[i], o[i] * strides[i] +
                                 kernel[i]) for i in range(rank))
            total = padded[(slice(None), slice(None)) + window].sum(
                axis=tuple(range(2, 2 + rank)))
            count = np.prod(kernel) if include_pad else ones[window].sum()
            y[(slice(None), slice(None)) + o] = total / count
        return y
    return forward


# "_reference": the forward in numpy, where onnxruntime has no float64
# kernel (Gelu, Erf).
def lstm_reference(x, w, r, b):
    """ONNX LSTM, forward, default activations (gates i, o, f, c): Y."""
    sigmoid = lambda v: 1 / (1 + np.exp(-v))
    hidden = r.shape[2]
    h = np.zeros((x.shape[1], hidden))
    c = np.zeros_like(h)
    ys = []
    for t in range(x.shape[0]):
        gates = x[t] @ w[0].T + h @ r[0].T + b[0, :4 * hidden] + b[0, 4 * hidden:]
        i, o, f, g = np.split(gates, 4, axis=-1)
        c = sigmoid(f) * c + sigmoid(i) * np.tanh(g)
        h = sigmoid(o) * np.tanh(c)
        ys.append(h)
    return np.stack(ys)[:, None]


CASES = {
    "relu": ("Relu", [away_from_zero(3, 4)], {}, {}),
    "leaky_relu": ("LeakyRelu", [away_from_zero(3, 4)], {}, {"alpha": 0.2}),
    "clip": ("Clip", [uniform(3, 4)],
             {"min": (1, np.array(-0.5, np.float32)),
              "max": (2, np.array(0.5, np.float32))},
             {"_reference": lambda x: np.clip(x, -0.5, 0.5)}),
    "clip_min_only": ("Clip", [uniform(3, 4)],
                      {"min": (1, np.array(0.1, np.float32))},
                      {"_reference": lambda x: np.maximum(x, 0.1)}),
    "pow": ("Pow", [uniform(3, 4, low=0.5, high=2.0),
                    uniform(4, low=0.5, high=2.5)], {}, {}),
    "pow_square": ("Pow", [uniform(3, 4)],
                   {"y": (1, np.array(2.0, np.float32))},
                   {"_reference": lambda x: x ** 2}),
    "tanh": ("Tanh", [uniform(3, 4)], {}, {}),
    "sigmoid": ("Sigmoid", [uniform(3, 4)], {}, {}),
    "exp": ("Exp", [uniform(3, 4)], {}, {}),
    "log": ("Log", [uniform(3, 4, low=0.5, high=2.0)], {}, {}),
    "sqrt": ("Sqrt", [uniform(3, 4, low=0.5, high=2.0)], {}, {}),
    "erf": ("Erf", [uniform(3, 4, low=-2, high=2)], {},
            {"_reference": np.vectorize(math.erf)}),
    "sin": ("Sin", [uniform(3, 4, low=-3, high=3)], {}, {}),
    "cos": ("Cos", [uniform(3, 4, low=-3, high=3)], {}, {}),
    "neg": ("Neg", [uniform(3, 4)], {}, {}),
    "reciprocal": ("Reciprocal", [uniform(3, 4, low=0.5, high=2.0)], {}, {}),
    "identity": ("Identity", [uniform(3, 4)], {}, {}),
    "add_broadcast": ("Add", [uniform(2, 3, 4), uniform(3, 1)], {}, {}),
    "sub_broadcast": ("Sub", [uniform(3, 1), uniform(2, 3, 4)], {}, {}),
    "mul_broadcast": ("Mul", [uniform(2, 3, 4), uniform(4)], {}, {}),
    "div_broadcast": ("Div", [uniform(2, 3, 4),
                              uniform(1, 3, 1, low=0.5, high=2.0)], {}, {}),
    "where": ("Where", [uniform(3, 4), uniform(4)],
              {"cond": (0, rng.random((3, 4)) > 0.5)}, {}),
    "matmul": ("MatMul", [uniform(3, 5), uniform(5, 4)], {}, {}),
    "matmul_batched": ("MatMul", [uniform(2, 3, 5), uniform(5, 4)], {}, {}),
    "matmul_shared_left": ("MatMul", [uniform(3, 5), uniform(2, 5, 4)], {},
                           {}),
    "matmul_broadcast": ("MatMul", [uniform(2, 1, 3, 5), uniform(3, 5, 4)],
                         {}, {}),
    "gemm": ("Gemm", [uniform(3, 5), uniform(5, 4), uniform(4)], {},
             {"alpha": 0.7, "beta": 1.3}),
    "gemm_transposed": ("Gemm", [uniform(5, 3), uniform(4, 5), uniform(3, 1)],
                        {}, {"transA": 1, "transB": 1}),
    "reshape": ("Reshape", [uniform(2, 6)],
                {"shape": (1, np.array([3, 4], np.int64))}, {}),
    "flatten": ("Flatten", [uniform(2, 3, 4)], {}, {"axis": 2}),
    "transpose": ("Transpose", [uniform(2, 3, 4)], {}, {"perm": [2, 0, 1]}),
    "unsqueeze": ("Unsqueeze", [uniform(3, 4)],
                  {"axes": (1, np.array([1], np.int64))}, {}),
    "squeeze": ("Squeeze", [uniform(3, 1, 4)],
                {"axes": (1, np.array([1], np.int64))}, {}),
    "expand": ("Expand", [uniform(3, 1)],
               {"shape": (1, np.array([2, 3, 4], np.int64))}, {}),
    "reduce_sum": ("ReduceSum", [uniform(2, 3, 4)],
                   {"axes": (1, np.array([1], np.int64))}, {"keepdims": 0}),
    "reduce_sum_empty_axes": ("ReduceSum", [uniform(2, 3)],
                              {"axes": (1, np.array([], np.int64))},
                              {"keepdims": 0}),
    "reduce_mean": ("ReduceMean", [uniform(2, 3, 4)],
                    {"axes": (1, np.array([0, 2], np.int64))}, {}),
    "softmax": ("Softmax", [uniform(3, 5)], {}, {"axis": -1}),
    "log_softmax": ("LogSoftmax", [uniform(3, 5)], {}, {"axis": 1}),
    "softmax_middle": ("Softmax", [uniform(2, 4, 3)], {}, {"axis": 1}),
    "log_softmax_first": ("LogSoftmax", [uniform(4, 3)], {}, {"axis": 0}),
    "cross_entropy": ("Identity", [uniform(4, 6) * 3], {},
                      {"_loss": "cross_entropy"}),
    "gelu": ("Gelu", [uniform(3, 4, low=-3, high=3)], {},
             {"_opset": 20, "_reference": gelu_erf}),
    "swish": ("Swish", [uniform(3, 4, low=-3, high=3)], {},
              {"alpha": 1.5, "_opset": 24,
               "_reference": lambda x: x / (1 + np.exp(-1.5 * x))}),
    "gelu_tanh": ("Gelu", [uniform(3, 4, low=-3, high=3)], {},
                  {"approximate": "tanh", "_opset": 20,
                   "_reference": gelu_tanh}),
    "layer_norm": ("LayerNormalization",
                   [uniform(2, 3, 5), uniform(5, low=0.5, high=1.5),
                    uniform(5)], {}, {}),
    "layer_norm_2d": ("LayerNormalization",
                      [uniform(2, 3, 4), uniform(3, 4, low=0.5, high=1.5),
                       uniform(3, 4)], {}, {"axis": 1}),
    "slice": ("Slice", [uniform(4, 6)],
              {"starts": (1, np.array([1, 2], np.int64)),
               "ends": (2, np.array([3, 100], np.int64)),
               "axes": (3, np.array([0, 1], np.int64))}, {}),
    "gather": ("Gather", [uniform(5, 3)],
               {"indices": (1, np.array([[0, 3], [3, -1], [2, 0]], np.int64))},
               {}),
    "gather_axis1": ("Gather", [uniform(2, 5, 3)],
                     {"indices": (1, np.array([4, 1, 4], np.int32))},
                     {"axis": 1}),
    "concat": ("Concat", [uniform(2, 3), uniform(2, 4)], {}, {"axis": -1}),
    "conv": ("Conv", [uniform(2, 3, 5, 5), uniform(4, 3, 3, 3), uniform(4)],
             {}, {"pads": [1, 1, 1, 1],
                  "_reference": conv_reference(pads=[1, 1, 1, 1])}),
    "conv_one_image": ("Conv", [uniform(1, 3, 9, 9), uniform(8, 3, 3, 3)],
                       {}, {"pads": [1, 1, 1, 1], "strides": [2, 2],
                            "_reference": conv_reference([2, 2],
                                                         [1, 1, 1, 1])}),
    "conv_strided_dilated": (
        "Conv", [uniform(1, 2, 7, 6), uniform(3, 2, 2, 3)], {},
        {"strides": [2, 1], "dilations": [2, 1], "pads": [0, 1, 1, 0],
         "_reference": conv_reference([2, 1], [0, 1, 1, 0], [2, 1])}),
    "conv_grouped": ("Conv", [uniform(2, 4, 5, 5), uniform(4, 2, 3, 3),
                              uniform(4)], {},
                     {"group": 2, "_reference": conv_reference(group=2)}),
    "conv_depthwise_same": (
        "Conv", [uniform(1, 3, 4, 4), uniform(3, 1, 3, 3)], {},
        {"group": 3, "auto_pad": "SAME_UPPER", "strides": [2, 2],
         "_reference": conv_reference([2, 2], group=3, same_upper=True)}),
    # Depthwise convolutions take Cleave's own backward loops: stride 1
    # with padding (MobileNet's), a dilated and asymmetrically padded one
    # with a row stride, and two output channels per input channel.
    "conv_depthwise": (
        "Conv", [uniform(2, 3, 5, 6), uniform(3, 1, 3, 3), uniform(3)], {},
        {"group": 3, "pads": [1, 1, 1, 1],
         "_reference": conv_reference(pads=[1, 1, 1, 1], group=3)}),
    "conv_depthwise_dilated": (
        "Conv", [uniform(2, 2, 7, 8), uniform(2, 1, 2, 3)], {},
        {"group": 2, "strides": [1, 2], "dilations": [2, 2],
         "pads": [1, 2, 0, 1],
         "_reference": conv_reference([1, 2], [1, 2, 0, 1], [2, 2],
                                      group=2)}),
    "conv_depthwise_multiplier": (
        "Conv", [uniform(1, 2, 5, 5), uniform(4, 1, 3, 3)], {},
        {"group": 2, "strides": [2, 2], "pads": [1, 0, 0, 1],
         "_reference": conv_reference([2, 2], [1, 0, 0, 1], group=2)}),
    "conv_1d": ("Conv", [uniform(2, 3, 8), uniform(2, 3, 3), uniform(2)], {},
                {"strides": [2], "_reference": conv_reference([2])}),
    # Trained, a batch norm normalizes with the batch's statistics; its
    # running statistics (constants here) only change, never reach the loss.
    "batch_norm_train": (
        "BatchNormalization",
        [uniform(3, 4, 2, 3), uniform(4, low=0.5, high=1.5), uniform(4)],
        {"mean": (3, np.zeros(4, np.float32)),
         "var": (4, np.ones(4, np.float32))},
        {"_reference": batch_norm_train}),
    "batch_norm_train_2d": (
        "BatchNormalization",
        [uniform(6, 3), uniform(3, low=0.5, high=1.5), uniform(3)],
        {"mean": (3, np.zeros(3, np.float32)),
         "var": (4, np.ones(3, np.float32))},
        {"epsilon": 1e-3,
         "_reference": lambda x, s, b: batch_norm_train(x, s, b, 1e-3)}),
    "max_pool": ("MaxPool", [uniform(2, 3, 4, 6)], {},
                 {"kernel_shape": [2, 2], "strides": [2, 2]}),
    "max_pool_padded": ("MaxPool", [uniform(1, 2, 5, 5)], {},
                        {"kernel_shape": [3, 3], "strides": [2, 2],
                         "pads": [1, 1, 1, 1]}),
    "average_pool": ("AveragePool", [uniform(1, 2, 5, 5)], {},
                     {"kernel_shape": [3, 3], "strides": [2, 2],
                      "pads": [1, 1, 1, 1],
                      "_reference": average_pool_reference(
                          [3, 3], [2, 2], [1, 1, 1, 1], False)}),
    "average_pool_include_pad": (
        "AveragePool", [uniform(1, 2, 5, 5)], {},
        {"kernel_shape": [3, 2], "strides": [1, 2], "pads": [1, 0, 1, 0],
         "count_include_pad": 1,
         "_reference": average_pool_reference([3, 2], [1, 2], [1, 0, 1, 0],
                                              True)}),
    "global_average_pool": ("GlobalAveragePool", [uniform(2, 3, 4, 5)], {},
                            {"_reference": lambda x: x.mean(axis=(2, 3),
                                                            keepdims=True)}),
    "gather_elements": ("GatherElements", [uniform(3, 4)],
                        {"idx": (1, np.array([[0, 3], [2, 2], [1, -1]],
                                             np.int64))},
                        {"axis": 1}),
    "gather_nd": ("GatherND", [uniform(3, 4, 2)],
                  {"idx": (1, np.array([[0, 1], [2, -1], [0, 1]], np.int64))},
                  {}),
    # Scatters without a reduction: distinct indices (with repeats only the
    # last update lands, and finite differences see only it).
    "scatter_nd": ("ScatterND", [uniform(4, 3), uniform(2, 3)],
                   {"idx": (1, np.array([[1], [-1]], np.int64))}, {}),
    "scatter_nd_add": ("ScatterND", [uniform(4, 3), uniform(3, 3)],
                       {"idx": (1, np.array([[1], [1], [2]], np.int64))},
                       {"reduction": "add"}),
    "scatter_elements": ("ScatterElements", [uniform(3, 4), uniform(3, 2)],
                         {"idx": (1, np.array([[0, 3], [2, 1], [1, -1]],
                                              np.int64))},
                         {"axis": 1}),
    "scatter_elements_add": (
        "ScatterElements", [uniform(3, 4), uniform(2, 4)],
        {"idx": (1, np.array([[1, 0, 2, 2], [1, 2, 2, 0]], np.int64))},
        {"reduction": "add"}),
    # An LSTM imports as unrolled graph ops: its gradient is theirs.
    "lstm": ("LSTM", [uniform(3, 2, 3), uniform(1, 8, 3), uniform(1, 8, 2),
                      uniform(1, 16)], {},
             {"hidden_size": 2, "_reference": lstm_reference, "_opset": 14}),
    "split": ("Split", [uniform(5, 4)],
              {"sizes": (1, np.array([2, 3], np.int64))},
              {"axis": -2, "_outputs": 2}),
}


def model(case, dtype):
    """The case's model with its float operands in `dtype`."""
    op, floats, fixed, attrs = CASES[case]
    opset = attrs.get("_opset", 18)
    outputs = ["out"] + [f"unused{i}" for i in range(1, attrs.get("_outputs", 1))]
    attrs = {k: v for k, v in attrs.items() if not k.startswith("_")}
    elem = TensorProto.FLOAT if dtype == np.float32 else TensorProto.DOUBLE
    inputs = [f"p{i}" for i in range(len(floats))]
    inits = [numpy_helper.from_array(v.astype(dtype), f"p{i}")
             for i, v in enumerate(floats)]
    for name, (position, value) in fixed.items():
        inputs.insert(position, name)
        inits.append(numpy_helper.from_array(value, name))
    node = helper.make_node(op, inputs, outputs, name="op", **attrs)
    graph = helper.make_graph([node], case, [],
                              [helper.make_tensor_value_info("out", elem, None)],
                              inits)
    return helper.make_model(graph,
                             opset_imports=[helper.make_opsetid("", opset)],
                             ir_version=9)


def loss_of(case, out, target):
    if CASES[case][3].get("_loss") == "cross_entropy":
        shifted = out - out.max(axis=-1, keepdims=True)
        logp = shifted - np.log(np.exp(shifted).sum(axis=-1, keepdims=True))
        return -np.mean(np.take_along_axis(logp, target[:, None], -1))
    return np.mean((out - target) ** 2)


def reference(case, target):
    """Central differences of the loss in float64, per operand."""
    base = model(case, np.float64)
    floats = [p.astype(np.float64) for p in CASES[case][1]]
    forward = CASES[case][3].get("_reference")

    def loss(values):
        if forward:
            return loss_of(case, forward(*values), target)
        m = onnx.ModelProto()
        m.CopyFrom(base)
        for i, v in enumerate(values):
            m.graph.initializer[i].CopyFrom(numpy_helper.from_array(v, f"p{i}"))
        session = ort.InferenceSession(m.SerializeToString(),
                                       providers=["CPUExecutionProvider"])
        return loss_of(case, session.run(None, {})[0], target)

    grads, h = [], 1e-5
    for i, p in enumerate(floats):
        g = np.zeros_like(p)
        for index in np.ndindex(p.shape):
            values = [v.copy() for v in floats]
            values[i][index] += h
            up = loss(values)
            values[i][index] -= 2 * h
            g[index] = (up - loss(values)) / (2 * h)
        grads.append(g)
    return grads


def run_case(case, tools, work):
    folder = os.path.join(work, case)
    os.makedirs(folder, exist_ok=True)
    path = os.path.join(folder, "model.onnx")
    onnx.save(model(case, np.float32), path)
    forward = CASES[case][3].get("_reference")
    if forward:
        shape = forward(*CASES[case][1]).shape
    else:
        session = ort.InferenceSession(
            model(case, np.float64).SerializeToString(),
            providers=["CPUExecutionProvider"])
        shape = session.run(None, {})[0].shape
    if CASES[case][3].get("_loss") == "cross_entropy":
        target = rng.integers(0, shape[-1], shape[:-1]).astype(np.int64)
        loss = "cross_entropy:logits=out,labels=t"
    else:
        target = rng.uniform(-1, 1, shape)
        loss = "mse:prediction=out,target=t"
    stored = target if target.dtype == np.int64 else target.astype(np.float32)
    np.save(os.path.join(folder, "t.npy"), stored[None])
    bundle = os.path.join(folder, "bundle")
    subprocess.run([os.path.join(tools, "cleave-compile"), path, "--train",
                    "--loss=" + loss, "--optimizer=none", "--trainable=p*",
                    "--target=cpu", "-o", bundle], check=True)
    count = len(CASES[case][1])
    command = [os.path.join(tools, "cleave-run"), bundle, "--steps=1",
               "--input", "t=" + os.path.join(folder, "t.npy")]
    for i in range(count):
        command += ["--output",
                    f"grad:p{i}=" + os.path.join(folder, f"grad{i}.npy")]
    subprocess.run(command, check=True, stdout=subprocess.DEVNULL)
    expected = reference(case, target)
    worst = 0.0
    for i, e in enumerate(expected):
        got = np.load(os.path.join(folder, f"grad{i}.npy"))[0]
        error = np.abs(got - e) - 1e-3 * np.abs(e)
        worst = max(worst, float(np.max(np.abs(got - e))))
        if got.shape != e.shape or np.max(error) > 1e-4:
            print(f"{case}: gradient of p{i} differs by {np.max(error):.3g}")
            return False, worst
    return True, worst


def main():
    parser = argparse.ArgumentParser()
    parser.add_argument("--tools", required=True)
    parser.add_argument("--work", required=True)
    parser.add_argument("cases", nargs="*")
    args = parser.parse_args()
    cases = args.cases or list(CASES)
    failed = []
    for case in cases:
        ok, worst = run_case(case, args.tools, args.work)
        print(f"{case}: {'ok' if ok else 'FAILED'} (max abs error {worst:.2g})")
        if not ok:
            failed.append(case)
    print(f"{len(cases) - len(failed)} of {len(cases)} gradient rules match "
          "finite differences")
    sys.exit(1 if failed else 0)


if __name__ == "__main__":
    main()
