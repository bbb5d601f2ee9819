"""Runs a small ONNX model through Cleave and onnxruntime: the shared part
of the check_*.py scripts that compare one op case by case."""
import os
import subprocess

import numpy as np
import onnxruntime as ort

ort.set_default_logger_severity(3)


def run_both(tools, folder, model, feeds, reference=None):
    """Compiles `model` for the CPU into `folder`, runs it with cleave-run on
    `feeds` ({input name: array}) and returns (Cleave's first output,
    onnxruntime's on `reference` or `model`)."""
    os.makedirs(folder, exist_ok=True)
    path = os.path.join(folder, "model.onnx")
    with open(path, "wb") as f:
        f.write(model.SerializeToString())
    want = ort.InferenceSession(
        (reference or model).SerializeToString(),
        providers=["CPUExecutionProvider"]).run(None, feeds)[0]
    bundle = os.path.join(folder, "bundle")
    subprocess.run([os.path.join(tools, "cleave-compile"), path,
                    "--target=cpu", "-o", bundle], check=True)
    output = model.graph.output[0].name
    command = [os.path.join(tools, "cleave-run"), bundle,
               "--output", f"{output}={os.path.join(folder, 'out.npy')}"]
    for key, value in feeds.items():
        np.save(os.path.join(folder, key + ".npy"), value)
        command += ["--input", f"{key}={os.path.join(folder, key + '.npy')}"]
    subprocess.run(command, check=True, stdout=subprocess.DEVNULL)
    return np.load(os.path.join(folder, "out.npy")), want
