#!/usr/bin/env python3
"""Writes the tensor-file fixtures of the runtime unit tests with NumPy and
ONNX's own helpers, the independent truth the readers are checked against.

  python3 test/Unit/Inputs/make_fixtures.py
"""
import os

import numpy as np
import onnx
from onnx import helper, numpy_helper

here = os.path.dirname(os.path.abspath(__file__))


def save(name, array, **kwargs):
    with open(os.path.join(here, name), "wb") as f:
        np.lib.format.write_array(f, array, **kwargs)


# Every dtype the runtime knows: values 0, 1, 2, ... (bool: alternating).
for dtype in ["float32", "float64", "float16", "int8", "int16", "int32",
              "int64", "uint8", "uint16", "uint32", "uint64"]:
    save(f"iota_{dtype}.npy", np.arange(6).reshape(2, 3).astype(dtype))
save("iota_bool.npy", (np.arange(6) % 2 == 1).reshape(2, 3))
save("scalar_int64.npy", np.array(-7, dtype=np.int64))
save("vector_float32.npy", np.array([1.5, -2.5, 3.25], dtype=np.float32))
save("empty_float32.npy", np.zeros((0, 3), dtype=np.float32))
save("version2_float32.npy", np.arange(4, dtype=np.float32), version=(2, 0))
save("fortran_float32.npy", np.asfortranarray(
    np.arange(6, dtype=np.float32).reshape(2, 3)))
save("bigendian_float32.npy", np.arange(3, dtype=">f4"))

# TensorProto files: raw_data, and the typed fields ONNX also allows.
values = np.arange(-3, 3, dtype=np.float32).reshape(2, 3) / 2
for name, tensor in [
        ("raw_float32.pb", numpy_helper.from_array(values, "x")),
        ("typed_float32.pb", helper.make_tensor(
            "x", onnx.TensorProto.FLOAT, [2, 3], values.flatten().tolist())),
        ("typed_int64.pb", helper.make_tensor(
            "n", onnx.TensorProto.INT64, [4], [-2, 0, 5, 1 << 40])),
        # make_tensor stores float16 values as bit patterns in int32_data.
        ("typed_float16.pb", helper.make_tensor(
            "h", onnx.TensorProto.FLOAT16, [3], [1.0, -0.5, 2.0])),
        ("typed_bool.pb", helper.make_tensor(
            "b", onnx.TensorProto.BOOL, [3], [True, False, True])),
]:
    with open(os.path.join(here, name), "wb") as f:
        f.write(tensor.SerializeToString())
# The same values as .npy, for comparing the two readers.
save("raw_float32.npy", values)
save("typed_int64.npy", np.array([-2, 0, 5, 1 << 40], dtype=np.int64))
save("typed_float16.npy", np.array([1.0, -0.5, 2.0], np.float16))
save("typed_bool.npy", np.array([True, False, True]))
