#!/usr/bin/env python3
"""Checks ConvInteger and QLinearConv against onnxruntime: 1 to 3 spatial
dims, groups, strides, dilations and padding, uint8 and int8 weights, zero
points per tensor and per output channel, and a case whose int32 sums pass
2^24 (64 channels of 5x5 taps of up to 255 x 255), which a float
convolution would round. ConvInteger must be equal; QLinearConv's scaling
happens in float, so its outputs may differ by one step where the scaled
value lies within rounding of a .5 tie.

check_quantized_conv.py --tools <bin folder> --work <scratch folder>
"""
import os
import sys

import numpy as np
from onnx import TensorProto, helper, numpy_helper
sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from one_node import arguments, run_both, tally  # noqa: E402

rng = np.random.default_rng(11)
TYPES = {np.uint8: TensorProto.UINT8, np.int8: TensorProto.INT8}


def ints(dtype, shape):
    info = np.iinfo(dtype)
    return rng.integers(info.min, info.max + 1, shape).astype(dtype)


def conv_integer(name, x_shape, w_shape, w_dtype, per_channel, **attributes):
    x, w = ints(np.uint8, x_shape), ints(w_dtype, w_shape)
    inits = [numpy_helper.from_array(w, "w"),
             numpy_helper.from_array(np.array(7, np.uint8), "xzp"),
             numpy_helper.from_array(
                 ints(w_dtype, (w_shape[0],)) if per_channel
                 else np.array(3, w_dtype), "wzp")]
    node = helper.make_node("ConvInteger", ["x", "w", "xzp", "wzp"], ["y"],
                            **attributes)
    return name, node, inits, x, TensorProto.INT32


def qlinear_conv(name, x_dtype, per_channel, bias, **attributes):
    M, C = 6, 4
    x, w = ints(x_dtype, (2, C, 9, 8)), ints(np.int8, (M, C // 2, 3, 3))
    scale = (rng.uniform(0.001, 0.01, M) if per_channel
             else np.array(0.004)).astype(np.float32)
    inits = [numpy_helper.from_array(np.array(0.02, np.float32), "xs"),
             numpy_helper.from_array(np.array(5, x_dtype), "xzp"),
             numpy_helper.from_array(w, "w"),
             numpy_helper.from_array(scale, "ws"),
             numpy_helper.from_array(np.zeros(M if per_channel else (),
                                              np.int8), "wzp"),
             numpy_helper.from_array(np.array(0.05, np.float32), "ys"),
             numpy_helper.from_array(np.array(-3 if x_dtype == np.int8
                                              else 120, x_dtype), "yzp")]
    inputs = ["x", "xs", "xzp", "w", "ws", "wzp", "ys", "yzp"]
    if bias:
        inits.append(numpy_helper.from_array(
            rng.integers(-2000, 2000, M).astype(np.int32), "b"))
        inputs.append("b")
    node = helper.make_node("QLinearConv", inputs, ["y"], group=2,
                            **attributes)
    return name, node, inits, x, TYPES[x_dtype]


def run(tools, work, name, node, inits, x, y_type):
    graph = helper.make_graph(
        [node], name,
        [helper.make_tensor_value_info("x", TYPES[x.dtype.type], x.shape)],
        [helper.make_tensor_value_info("y", y_type, None)], inits)
    model = helper.make_model(graph, opset_imports=[
        helper.make_opsetid("", 13)], ir_version=8)
    got, want = run_both(tools, os.path.join(work, name), model, {"x": x})
    steps = np.abs(got.astype(np.int64) - want.astype(np.int64))
    exact = node.op_type == "ConvInteger"
    ok = (got.shape == want.shape and got.dtype == want.dtype and
          steps.max() <= (0 if exact else 1))
    print(f"{name}: {'ok' if ok else 'differs'} (largest |y| "
          f"{int(np.abs(want.astype(np.int64)).max())}, max difference "
          f"{int(steps.max())})")
    return ok


def main():
    args = arguments()
    cases = [
        conv_integer("convinteger_1d_strided", (2, 3, 11), (4, 3, 3),
                     np.uint8, False, strides=[2], pads=[1, 2]),
        conv_integer("convinteger_2d_groups_dilated", (1, 4, 9, 10),
                     (6, 2, 3, 2), np.uint8, False, group=2,
                     dilations=[2, 1], pads=[1, 0, 2, 1]),
        conv_integer("convinteger_3d_same", (1, 2, 4, 5, 6), (3, 2, 3, 3, 3),
                     np.uint8, False, auto_pad="SAME_UPPER"),
        conv_integer("convinteger_past_2_24", (1, 64, 7, 7), (2, 64, 5, 5),
                     np.uint8, False),
        qlinear_conv("qlinearconv_u8_per_tensor", np.uint8, False, False,
                     pads=[1, 1, 1, 1]),
        qlinear_conv("qlinearconv_i8_per_channel_bias", np.int8, True, True,
                     strides=[2, 1]),
    ]
    return tally([run(args.tools, args.work, *c) for c in cases],
                 "quantized convolutions")


if __name__ == "__main__":
    sys.exit(main())
