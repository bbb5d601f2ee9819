#!/usr/bin/env python3
"""A classifier learns a synthetic task with Cleave.

convergence.py <tools folder> <work folder>

Four Gaussian blobs in 8 dimensions (seeded), an MLP 8-32-4 with random
initial weights, 200 steps of SGD with momentum on batches of 32 (as 2
replicas of 2 microbatches each), then the exported ONNX model classifies
1,000 held-out points under onnxruntime. The oracle is the nearest centre
(the best rule for equal spherical blobs); the trained model must come
within 3% of its accuracy, while the untrained one is near chance (25%).
Prints the three accuracies and whether the model learned.
"""
import os
import subprocess
import sys

import numpy as np
import onnx
import onnxruntime as ort
from onnx import TensorProto, helper

CLASSES, FEATURES, HIDDEN, BATCH, STEPS = 4, 8, 32, 32, 200


def blobs(rng, centres, count):
    labels = rng.integers(0, CLASSES, count)
    points = centres[labels] + rng.standard_normal((count, FEATURES))
    return points.astype(np.float32), labels.astype(np.int64)


def model(path, rng):
    def init(name, shape):
        bound = 1 / np.sqrt(shape[0])
        return onnx.numpy_helper.from_array(
            rng.uniform(-bound, bound, shape).astype(np.float32), name)
    graph = helper.make_graph(
        [helper.make_node("Gemm", ["x", "w1", "b1"], ["h"], name="fc1"),
         helper.make_node("Relu", ["h"], ["a"], name="relu"),
         helper.make_node("Gemm", ["a", "w2", "b2"], ["out"], name="fc2")],
        "mlp",
        [helper.make_tensor_value_info("x", TensorProto.FLOAT,
                                       ["batch", FEATURES])],
        [helper.make_tensor_value_info("out", TensorProto.FLOAT,
                                       ["batch", CLASSES])],
        [init("w1", (FEATURES, HIDDEN)), init("b1", (HIDDEN,)),
         init("w2", (HIDDEN, CLASSES)), init("b2", (CLASSES,))])
    onnx.save(helper.make_model(graph, opset_imports=[
        helper.make_opsetid("", 17)]), path)


def accuracy(path, points, labels):
    session = ort.InferenceSession(path, providers=["CPUExecutionProvider"])
    logits = session.run(None, {"x": points})[0]
    return float(np.mean(np.argmax(logits, axis=1) == labels))


def main():
    tools, work = sys.argv[1], sys.argv[2]
    os.makedirs(work, exist_ok=True)
    rng = np.random.default_rng(7)
    centres = rng.standard_normal((CLASSES, FEATURES))
    centres *= 4 / np.linalg.norm(centres, axis=1, keepdims=True)
    x, y = blobs(rng, centres, STEPS * BATCH)
    test_x, test_y = blobs(rng, centres, 1000)
    path = os.path.join(work, "mlp.onnx")
    model(path, rng)
    np.save(os.path.join(work, "x.npy"), x.reshape(STEPS, BATCH, FEATURES))
    np.save(os.path.join(work, "y.npy"), y.reshape(STEPS, BATCH))
    bundle = os.path.join(work, "bundle")
    subprocess.run(
        [os.path.join(tools, "cleave-compile"), path, "--train",
         "--loss=cross_entropy:logits=out,labels=y",
         "--optimizer=sgd:lr=0.1,momentum=0.9", "--dp=2", "--microbatches=2",
         f"--dim=batch={BATCH}", "--target=cpu", "-o", bundle], check=True)
    trained = os.path.join(work, "trained.onnx")
    subprocess.run(
        [os.path.join(tools, "cleave-run"), bundle, f"--steps={STEPS}",
         "--input", f"x={work}/x.npy", "--input", f"y={work}/y.npy",
         f"--export-onnx={trained}"], check=True, stdout=subprocess.DEVNULL)
    before = accuracy(path, test_x, test_y)
    after = accuracy(trained, test_x, test_y)
    distances = np.linalg.norm(test_x[:, None, :] - centres[None], axis=2)
    oracle = float(np.mean(np.argmin(distances, axis=1) == test_y))
    learned = after >= 0.97 * oracle
    print(f"accuracy before {before:.3f} after {after:.3f} (nearest centre "
          f"{oracle:.3f}): {'learned' if learned else 'NOT LEARNED'}")
    sys.exit(0 if learned else 1)


if __name__ == "__main__":
    main()
