#!/usr/bin/env python3
"""Dropout while training: the mask's values, rate and gradient.

dropout_check.py <tools folder> <work folder>

The model is out = Dropout(x * w, ratio 0.3) with x all ones and w (one
weight per column) starting at 1, trained on the target 0 by a summed
MSE with the gradients as outputs (--optimizer=none). Where the mask
keeps an element it is 1 / (1 - 0.3) = s, so the loss is s^2 times the
count of kept elements, and the gradient of w_j is 2 s^2 times the count
kept in column j: both must be whole counts, agree with each other, keep
about 70% of the elements (within 5 standard deviations of a binomial),
differ between steps and repeat between runs. With --dropout=off the
loss counts every element.
Prints one line per check and exits 1 on the first that fails.
"""
import os
import subprocess
import sys

import numpy as np
import onnx
from onnx import TensorProto, helper

ROWS, COLUMNS, RATIO, STEPS = 64, 256, 0.3, 3


def model(path):
    graph = helper.make_graph(
        [helper.make_node("Mul", ["x", "w"], ["h"], name="scale"),
         helper.make_node("Constant", [], ["ratio"], name="ratio_value",
                          value=onnx.numpy_helper.from_array(
                              np.array(RATIO, np.float32))),
         helper.make_node("Dropout", ["h", "ratio"], ["out"], name="drop")],
        "dropout",
        [helper.make_tensor_value_info("x", TensorProto.FLOAT,
                                       [ROWS, COLUMNS])],
        [helper.make_tensor_value_info("out", TensorProto.FLOAT,
                                       [ROWS, COLUMNS])],
        [onnx.numpy_helper.from_array(np.ones(COLUMNS, np.float32), "w")])
    onnx.save(helper.make_model(graph, opset_imports=[
        helper.make_opsetid("", 17)]), path)


def run(tools, work, name, *options):
    bundle = os.path.join(work, name)
    subprocess.run([os.path.join(tools, "cleave-compile"),
                    os.path.join(work, "dropout.onnx"), "--train",
                    "--loss=mse:prediction=out,target=t,reduction=sum",
                    "--optimizer=none", "--target=cpu", "-o", bundle,
                    *options], check=True)
    subprocess.run([os.path.join(tools, "cleave-run"), bundle,
                    f"--steps={STEPS}",
                    "--input", f"x={work}/x.npy", "--input", f"t={work}/t.npy",
                    "--output", f"loss={bundle}.loss.npy",
                    "--output", f"grad:w={bundle}.grad.npy"],
                   check=True, stdout=subprocess.DEVNULL)
    return (np.load(f"{bundle}.loss.npy").reshape(-1),
            np.load(f"{bundle}.grad.npy").reshape(STEPS, COLUMNS))


def main():
    tools, work = sys.argv[1], sys.argv[2]
    os.makedirs(work, exist_ok=True)
    model(os.path.join(work, "dropout.onnx"))
    np.save(os.path.join(work, "x.npy"),
            np.ones((STEPS, ROWS, COLUMNS), np.float32))
    np.save(os.path.join(work, "t.npy"),
            np.zeros((STEPS, ROWS, COLUMNS), np.float32))
    s2 = (1 / (1 - np.float64(np.float32(RATIO)))) ** 2
    checks = []
    losses, grads = run(tools, work, "on")
    kept = losses / s2
    per_column = grads / (2 * s2)
    checks.append(("whole counts",
                   np.allclose(kept, np.round(kept), atol=1e-3 * ROWS) and
                   np.allclose(per_column, np.round(per_column), atol=1e-3)))
    checks.append(("loss and gradient agree",
                   np.allclose(np.round(per_column).sum(1), np.round(kept))))
    size = ROWS * COLUMNS
    bound = 5 * np.sqrt(RATIO * (1 - RATIO) / size)
    fractions = np.round(kept) / size
    print("kept fractions", " ".join(f"{f:.4f}" for f in fractions))
    checks.append(("about 70% kept",
                   bool(np.all(np.abs(fractions - (1 - RATIO)) < bound))))
    checks.append(("new masks each step",
                   len({tuple(np.round(g)) for g in per_column}) == STEPS))
    again, _ = run(tools, work, "again")
    checks.append(("the same on a rerun", np.array_equal(losses, again)))
    other, _ = run(tools, work, "seeded", "--seed=7")
    checks.append(("another seed, other masks",
                   not np.array_equal(losses, other)))
    off, _ = run(tools, work, "off", "--dropout=off")
    checks.append(("off: every element counts",
                   np.allclose(off, size, rtol=1e-6)))
    for name, ok in checks:
        print(f"{name}: {'ok' if ok else 'FAILED'}")
        if not ok:
            sys.exit(1)


if __name__ == "__main__":
    main()
