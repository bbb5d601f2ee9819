#!/usr/bin/env python3
"""Exact scaling of gradient accumulation and data parallelism.

exact_scaling.py <tools folder> <work folder>

DeepSpeed's check: two Linear(1, 1) layers without bias, both weights 1,
input 1, target 0, MSE, one SGD step at lr 0.1. Every sample's gradient of
the first weight is exactly 2 (d/dw1 (w2 w1 x)^2), so with a batch of two
such samples the weight after the step is exactly 1 - 2 lr for a mean loss
(the mean of 2 and 2) and 1 - 4 lr for a sum (2 + 2), whether the batch runs
whole, as 2 microbatches, as 2 replicas, or both (4 parts of 1 sample for a
batch of 4, where the sum gives 1 - 8 lr). All of it is exact in float32:
a wrong scale (a missing 1/M, a sum counted twice) changes the value.
Prints one line per case and exits 1 on the first wrong one.
"""
import os
import subprocess
import sys

import numpy as np
import onnx
from onnx import TensorProto, helper

sys.path.insert(0, os.path.dirname(__file__))
from check_training import saved_variables  # noqa: E402


def model(path, batch):
    one = np.ones((1, 1), np.float32)
    graph = helper.make_graph(
        [helper.make_node("MatMul", ["x", "w1"], ["h"], name="first"),
         helper.make_node("MatMul", ["h", "w2"], ["out"], name="second")],
        "two_linears",
        [helper.make_tensor_value_info("x", TensorProto.FLOAT, [batch, 1])],
        [helper.make_tensor_value_info("out", TensorProto.FLOAT, [batch, 1])],
        [onnx.numpy_helper.from_array(one, "w1"),
         onnx.numpy_helper.from_array(one.copy(), "w2")])
    onnx.save(helper.make_model(graph, opset_imports=[
        helper.make_opsetid("", 17)]), path)


def main():
    tools, work = sys.argv[1], sys.argv[2]
    os.makedirs(work, exist_ok=True)
    lr = np.float32(0.1)
    failed = False
    for batch, microbatches, replicas in [(2, 1, 1), (2, 2, 1), (2, 1, 2),
                                          (4, 2, 2)]:
        path = os.path.join(work, f"linears{batch}.onnx")
        model(path, batch)
        x = os.path.join(work, f"x{batch}.npy")
        t = os.path.join(work, f"t{batch}.npy")
        np.save(x, np.ones((1, batch, 1), np.float32))
        np.save(t, np.zeros((1, batch, 1), np.float32))
        for reduction in ["mean", "sum"]:
            name = f"b{batch}-m{microbatches}-r{replicas}-{reduction}"
            bundle = os.path.join(work, name)
            subprocess.run(
                [os.path.join(tools, "cleave-compile"), path, "--train",
                 f"--loss=mse:prediction=out,target=t,reduction={reduction}",
                 "--optimizer=sgd:lr=0.1", f"--microbatches={microbatches}",
                 f"--dp={replicas}", "--target=cpu", "-o", bundle],
                check=True)
            subprocess.run(
                [os.path.join(tools, "cleave-run"), bundle, "--steps=1",
                 "--input", f"x={x}", "--input", f"t={t}",
                 f"--save={bundle}.saved"], check=True,
                stdout=subprocess.DEVNULL)
            w1 = saved_variables(bundle + ".saved")["w1"].item()
            gradient = np.float32(2 if reduction == "mean" else 2 * batch)
            expected = np.float32(1) - lr * gradient
            ok = w1 == expected
            failed |= not ok
            print(f"{name}: w1 {float(w1)!r} expected {float(expected)!r} "
                  f"{'exact' if ok else 'WRONG'}")
    sys.exit(1 if failed else 0)


if __name__ == "__main__":
    main()
