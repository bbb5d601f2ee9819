#!/usr/bin/env python3
"""Cost-model accuracy on this machine: calibrate it (cleave-calibrate),
place each real model on 2 CPU devices with the calibrated machine file,
run the bundle (one thread per device, microbatched) and compare each
stage's predicted time with its measured busy time (the run minus waits for
the other device), per microbatch. Prints every stage and the mean absolute
percentage error (MAPE).

With --costs profile, each model is also placed with its op profile
(cleave-calibrate --model at the microbatch's shapes, by default one copy
alone: --profile-copies N times N at once): measured op times instead of
the calibrated roofline; with --costs placed, with that profile retimed as
a first placement's stages run the ops (cleave-calibrate --placed-devices).

  python3 bench/cost_model_accuracy.py --tools ../cleave-build/bin
      [--costs roofline,profile,placed|both|all]
"""
import argparse
import json
import os
import re
import subprocess
import sys
import tempfile

import numpy as np
import onnxruntime

here = os.path.dirname(os.path.abspath(__file__))
root = os.path.join(here, "..")
sys.path.insert(0, os.path.join(root, "test", "e2e"))
from reference import random_inputs, safe  # noqa: E402
sys.path.insert(0, here)
from placement_costs import add_costs_argument, cost_flags, cost_modes  # noqa: E402,E501


def main():
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawTextHelpFormatter)
    parser.add_argument("--tools", default=os.path.join(root, "..",
                                                        "cleave-build", "bin"))
    parser.add_argument("--microbatch", type=int, default=2)
    parser.add_argument("--microbatches", type=int, default=8)
    parser.add_argument("--runs", type=int, default=20)
    parser.add_argument("--only", action="append")
    add_costs_argument(parser)
    parser.add_argument("--profile-copies", type=int, default=1,
                        help="copies of the model timed at once for its "
                             "op profile")
    args = parser.parse_args()
    modes = cost_modes(args.costs)
    tool = lambda name: os.path.join(args.tools, name)
    with open(os.path.join(root, "test", "models", "suite.json")) as f:
        suite = json.load(f)["models"]

    errors = {mode: [] for mode in modes}
    with tempfile.TemporaryDirectory() as work:
        machine = os.path.join(work, "cpu.json")
        print(subprocess.run([tool("cleave-calibrate"), "--target=cpu", "-o",
                              machine, "--devices", "2"], check=True,
                             capture_output=True, text=True).stdout, end="")
        print(f"\n{'model':14} {'costs':9} {'device':8} {'predicted ms':>13} "
              f"{'measured ms':>12} {'error':>8}")
        for (name, spec), mode in ((m, c) for m in suite.items()
                                   for c in modes):
            if args.only and name not in args.only:
                continue
            path = os.path.join(root, "test", "models", name + ".onnx")
            bundle = os.path.join(work, name + "_" + mode)
            profile = cost_flags(mode, args.tools, path, args.microbatch,
                                 machine, 2, args.microbatches, work,
                                 args.profile_copies)
            subprocess.run([tool("cleave-compile"), path, "--target=cpu",
                            "-o", bundle, f"--dim=batch={args.microbatch}",
                            f"--machine={machine}", "--num-devices=2"] +
                           profile, check=True)
            session = onnxruntime.InferenceSession(
                path, providers=["CPUExecutionProvider"])
            feeds = random_inputs(
                session, dims={"batch": args.microbatch * args.microbatches},
                int_ranges=spec.get("int_ranges", {}))
            command = [tool("cleave-run"), bundle, "--benchmark", "--report",
                       "--num-threads", "1", "--repeat", str(args.runs),
                       f"--microbatches={args.microbatches}"]
            for input_name, value in feeds.items():
                file = os.path.join(work, safe(input_name) + ".npy")
                np.save(file, value)
                command += ["--input", f"{input_name}={file}"]
            out = subprocess.run(command, check=True, capture_output=True,
                                 text=True).stdout
            for device, predicted, measured in re.findall(
                    r"^(device_\d+)\s+([0-9.]+)\s+([0-9.]+)", out, re.M):
                predicted, measured = float(predicted), float(measured)
                error = (predicted - measured) / measured
                errors[mode].append(abs(error))
                print(f"{name:14} {mode:9} {device:8} {predicted:13.3f} "
                      f"{measured:12.3f} {100 * error:7.1f}%", flush=True)
    print()
    for mode, found in errors.items():
        print(f"{mode}: MAPE over {len(found)} stages "
              f"{100 * sum(found) / len(found):.1f}%, worst "
              f"{100 * max(found):.1f}%")
    return 0


if __name__ == "__main__":
    sys.exit(main())
