#!/usr/bin/env python3
"""Compiles a model of the real-model suite for one device and for several
(the pipeline placement on a machine file), runs every bundle with
cleave-run (several devices start under mpirun) and checks that each
multi-device run gives the single-device outputs, and that those match
onnxruntime. Each device count also runs with --microbatches M (compiled
for batch / M): the microbatches pipeline through the devices, and the
joined outputs must equal one device's on the same microbatches (same
shapes, same kernels), which must match the whole batch's within float
rounding (other shapes may get other kernels).

  check_devices.py gpt2_lm --devices 2,3,4 --machine cpu-x4.json
  check_devices.py gpt2_dynamo vit_dynamo --suite ../models/user/suite.json ...

Prints one line per model and device count; exits non-zero on the first
mismatch.
"""
import argparse
import json
import os
import subprocess
import sys
import tempfile

import numpy as np
import onnxruntime
from onnx import numpy_helper

here = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, here)
from reference import random_inputs, safe  # noqa: E402


def run(command):
    result = subprocess.run(command, capture_output=True, text=True)
    if result.returncode != 0:
        sys.exit(f"failed: {' '.join(command)}\n{result.stdout}{result.stderr}")
    return result.stdout


def main():
    parser = argparse.ArgumentParser()
    parser.add_argument("models", nargs="+", help="names in the suite")
    parser.add_argument("--suite", default=os.path.join(
        here, "..", "models", "suite.json"), help="a suite.json (default: "
        "the real-model suite, test/models/suite.json)")
    parser.add_argument("--devices", default="2,3,4")
    parser.add_argument("--machine", required=True)
    parser.add_argument("--microbatches", type=int, default=2)
    parser.add_argument("--rtol", type=float, default=1e-3)
    parser.add_argument("--atol", type=float, default=1e-4)
    args = parser.parse_args()

    with open(args.suite) as f:
        suite = json.load(f)["models"]
    for model in args.models:
        if model not in suite:
            sys.exit(f"{model} is not in {args.suite}")
        check(model, suite[model], args)


def check(model, spec, args):
    path = os.path.join(os.path.dirname(os.path.abspath(args.suite)),
                        spec.get("file", model + ".onnx"))
    # The suite names the symbolic dims to bind ("dims"), the whole shapes
    # of inputs whose dims are unnamed ("shapes": -1 or '?'), which dim is
    # the batch ("batch_dim", else "batch"; unnamed dims split on axis 0),
    # "microbatches": 1 for models whose inputs do not all lead with the
    # batch (a recurrent state), and "values" for inputs fixed at compile
    # time with --input-value (a sample rate an If chooses by).
    dims, shapes = spec.get("dims", {}), spec.get("shapes", {})
    values = spec.get("values", {})
    batch_dim = spec.get("batch_dim", "batch")
    session = onnxruntime.InferenceSession(
        path, providers=["CPUExecutionProvider"])
    feeds = random_inputs(session, shapes=shapes, dims=dims,
                          int_ranges=spec.get("int_ranges", {}))
    for name, value in values.items():
        feeds[name] = np.array(value, dtype=feeds[name].dtype).reshape(
            feeds[name].shape)
    want = dict(zip([o.name for o in session.get_outputs()],
                    session.run(None, feeds)))

    with tempfile.TemporaryDirectory() as work:
        input_flags, value_flags = [], []
        for name, value in feeds.items():
            if name in values:
                file = os.path.join(work, safe(name) + ".pb")
                with open(file, "wb") as f:
                    f.write(numpy_helper.from_array(value, name)
                            .SerializeToString())
                value_flags.append(f"--input-value={name}={file}")
                continue
            file = os.path.join(work, safe(name) + ".npy")
            np.save(file, value)
            input_flags += ["--input", f"{name}={file}"]

        def compile_and_run(label, placement, microbatches=1):
            bundle = os.path.join(work, label)
            flags = [f"--dim={d}={n // microbatches if d == batch_dim else n}"
                     for d, n in dims.items()]
            flags += ["--input-shape=" + name + ":" + "x".join(
                str(n // microbatches if axis == 0 else n)
                for axis, n in enumerate(shape))
                for name, shape in shapes.items() if name not in values]
            flags += value_flags
            run(["cleave-compile", path, "--target=cpu", "-o", bundle] +
                flags + placement)
            with open(os.path.join(bundle, "manifest.json")) as f:
                used = len(json.load(f)["devices"])
            outputs = {name: os.path.join(work, f"{label}_{safe(name)}.npy")
                       for name in want}
            run(["cleave-run", bundle, "--num-threads", "1",
                 f"--microbatches={microbatches}"] + input_flags +
                [f for name, file in outputs.items()
                 for f in ("--output", f"{name}={file}")])
            return used, {name: np.load(file) for name, file in outputs.items()}

        _, single = compile_and_run("single", [])
        for name, value in single.items():
            if not np.allclose(value, want[name], rtol=args.rtol,
                               atol=args.atol):
                sys.exit(f"{model}: single device differs from "
                         f"onnxruntime on {name}")
        print(f"{model}: one device matches onnxruntime")

        def worst(got, reference):
            return max(float(np.abs(value.astype(np.float64) -
                                    reference[name]).max())
                       for name, value in got.items())

        # One device on microbatches: its products have other shapes than
        # the whole batch's, and oneDNN picks kernels (blockings, summation
        # orders) by shape and CPU, so it may differ in the last bits: a
        # length-K dot product's float32 error is up to about K eps times
        # its terms' size. rtol 1e-4 covers K in the thousands at the
        # activations' magnitudes (2.3e-5 seen on an AMD EPYC for GPT-2).
        singles = {1: single}
        split = spec.get("microbatches", args.microbatches)
        for microbatches in sorted({1, split} - {1}):
            _, singles[microbatches] = compile_and_run(
                f"single_{microbatches}", [], microbatches)
            for name, value in singles[microbatches].items():
                if not np.allclose(value, single[name], rtol=1e-4, atol=1e-5):
                    sys.exit(f"{model}: {name} with {microbatches} "
                             f"microbatches on one device differs from the "
                             f"whole batch by {worst(singles[microbatches], single):.3g}")
        for count in [int(c) for c in args.devices.split(",")]:
            for microbatches in sorted({1, split}):
                what = f"{count} devices" + (
                    f", {microbatches} microbatches" if microbatches > 1
                    else "")
                used, got = compile_and_run(
                    f"devices{count}_{microbatches}",
                    [f"--machine={args.machine}", f"--num-devices={count}"],
                    microbatches)
                # The placement may leave devices idle where a small model
                # gains nothing from them; the line says so (and a test that
                # expects every device used fails on it).
                if used > count or used < 2:
                    sys.exit(f"{model}: placed on {used} devices, "
                             f"not {count}")
                if used != count:
                    what = what.replace(f"{count} devices",
                                        f"{count} devices ({used} used)")
                # Against one device on the same microbatches: the same
                # shapes, so the same kernels, equal up to fusions a cut
                # splits.
                reference = singles[microbatches]
                for name, value in got.items():
                    if value.shape != reference[name].shape:
                        sys.exit(f"{model}: {name} has shape "
                                 f"{value.shape} on {what}")
                    if not np.allclose(value, reference[name], rtol=1e-5,
                                       atol=1e-6):
                        sys.exit(f"{model}: {name} on {what} differs "
                                 f"from one device by "
                                 f"{worst(got, reference):.3g}")
                print(f"{model}: {what} match one device "
                      f"(max abs difference {worst(got, reference):.3g})")

if __name__ == "__main__":
    main()
