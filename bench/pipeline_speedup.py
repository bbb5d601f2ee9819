#!/usr/bin/env python3
"""Pipeline speed-up on this machine: a model on 2 CPU devices of one core
each (two processes, one thread each, placed by the pipeline DP on this
machine as cleave-calibrate measures it) against 1 device of one core, both running the same batch as M microbatches. Prints
each throughput (inferences/s, from cleave-run --benchmark's p50) and
their ratio.

  python3 bench/pipeline_speedup.py --tools ../cleave-build/bin
  python3 bench/pipeline_speedup.py --only resnet50 --batch 16 --microbatches 8
  python3 bench/pipeline_speedup.py --costs placed --placement auto
"""
import argparse
import json
import os
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
from cpu_vs_onnxruntime import cleave_p50  # noqa: E402
from placement_costs import add_costs_argument, cost_flags, cost_modes  # noqa: E402,E501


def main():
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawTextHelpFormatter)
    parser.add_argument("--tools", default=os.path.join(root, "..",
                                                        "cleave-build", "bin"))
    parser.add_argument("--machine",
                        help="machine file for the placement (default: "
                             "calibrate this host)")
    parser.add_argument("--batch", type=int, default=16)
    parser.add_argument("--microbatches", type=int, default=8)
    parser.add_argument("--runs", type=int, default=60,
                        help="runs per round (each a p50)")
    parser.add_argument("--rounds", type=int, default=5,
                        help="rounds in which the bundles take turns")
    parser.add_argument("--only", action="append")
    add_costs_argument(parser)
    parser.add_argument("--placement", default="pipeline",
                        help="cleave-compile's --placement for the 2 "
                             "devices (auto: stages, or data-parallel "
                             "replicas where they predict 10%% more)")
    args = parser.parse_args()
    modes = cost_modes(args.costs)
    with open(os.path.join(root, "test", "models", "suite.json")) as f:
        suite = json.load(f)["models"]

    rows = []
    with tempfile.TemporaryDirectory() as work:
        if not args.machine:
            args.machine = os.path.join(work, "cpu.json")
            subprocess.run([os.path.join(args.tools, "cleave-calibrate"),
                            "--target=cpu", "-o", args.machine,
                            "--devices", "2"], check=True,
                           capture_output=True)
        for name, spec in suite.items():
            if args.only and name not in args.only:
                continue
            path = os.path.join(root, "test", "models", name + ".onnx")
            session = onnxruntime.InferenceSession(
                path, providers=["CPUExecutionProvider"])
            feeds = random_inputs(session, dims={"batch": args.batch},
                                  int_ranges=spec.get("int_ranges", {}))
            inputs = {}
            for input_name, value in feeds.items():
                inputs[input_name] = os.path.join(work, safe(input_name) +
                                                  ".npy")
                np.save(inputs[input_name], value)
            micro = args.batch // args.microbatches
            results, bundles = {}, {}
            for devices in [1] + [(2, mode) for mode in modes]:
                label = devices if devices == 1 else f"2_{devices[1]}"
                bundle = os.path.join(work, f"{name}_{label}")
                command = [os.path.join(args.tools, "cleave-compile"), path,
                           "--target=cpu", "-o", bundle, f"--dim=batch={micro}"]
                if devices != 1:
                    command += [f"--machine={args.machine}",
                                "--num-devices=2",
                                f"--placement={args.placement}"]
                if devices != 1:
                    command += cost_flags(devices[1], args.tools, path, micro,
                                          args.machine, 2, args.microbatches,
                                          work)
                subprocess.run(command, check=True)
                with open(os.path.join(bundle, "manifest.json")) as f:
                    manifest = json.load(f)
                    used = (f'{len(manifest["devices"])}x'
                            f'{manifest.get("replicas", 1)}')
                bundles[devices] = (bundle, used)
            # The bundles take turns, each figure the median of its rounds'
            # p50s: a slow spell of this shared machine hits every bundle
            # of a round, not one bundle's whole measurement.
            times = {devices: [] for devices in bundles}
            for _ in range(args.rounds):
                for devices, (bundle, _) in bundles.items():
                    times[devices].append(cleave_p50(
                        args.tools, bundle, inputs, {}, 1, args.runs,
                        args.microbatches))
            for devices, (bundle, used) in bundles.items():
                ms = float(np.median(times[devices]))
                results[devices] = (used, args.batch * 1000.0 / ms)
            rows.append((name, results))

    print(f"batch {args.batch} as {args.microbatches} microbatches, one "
          f"thread per device, median of {args.rounds} rounds' p50 of "
          f"{args.runs} runs, --placement={args.placement}")
    print(f"{'model':14} {'costs':9} {'1 device /s':>12} {'2 devices /s':>13} "
          f"{'used':>5} {'speed-up':>9}")
    print("(used: stages x data-parallel replicas)")
    for name, results in rows:
        one = results[1][1]
        for mode in modes:
            used, two = results[(2, mode)]
            print(f"{name:14} {mode:9} {one:12.1f} {two:13.1f} {used:>5} "
                  f"{two / one:9.2f}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
