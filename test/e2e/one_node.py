"""Runs a small ONNX model through Cleave and onnxruntime: the shared part
of the check_*.py scripts that compare one op case by case."""
import argparse
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


def arguments(extra=None):
    """The check scripts' command line: --tools (the bin folder), --work (a
    scratch folder), and what `extra(parser)` adds."""
    parser = argparse.ArgumentParser()
    parser.add_argument("--tools", required=True)
    parser.add_argument("--work", required=True)
    if extra:
        extra(parser)
    return parser.parse_args()


def tally(outcomes, what):
    """Prints how many of the cases (one bool each) matched onnxruntime and
    returns the exit code: 0 when all did."""
    passed = sum(outcomes)
    print(f"{passed} of {len(outcomes)} {what} match onnxruntime")
    return 0 if passed == len(outcomes) else 1
