#!/usr/bin/env python3
"""How long cleave-compile takes, per model, for 1 and 2 CPU devices.

Compiles every model of the real-model suite (test/models/suite.json),
the user models of bench/export_user_models.py if their folder is given
(--user-models DIR, with its suite.json) and any other ONNX file given with
its input shapes (--model file.onnx:x=1x3x48x320), with ccache off, and
prints each compile's wall time and where it went (cleave-compile
--verbose: the phases, then the device builds, which run side by side).
The issue's goal: no model above 10 s on the development machine.

  bench/compile_time.py --tools ../cleave-build/bin [--user-models DIR]
      [--model file.onnx:name=dims[,name=dims]] [--devices 1 2]
"""
import argparse
import json
import os
import re
import subprocess
import sys
import tempfile
import time

here = os.path.dirname(os.path.abspath(__file__))


def suite_models(folder):
    """(name, file, compile flags) of a suite.json's models."""
    with open(os.path.join(folder, "suite.json")) as f:
        suite = json.load(f)["models"]
    for name, spec in suite.items():
        flags = [f"--dim={k}={v}" for k, v in spec.get("dims", {}).items()]
        flags += [f"--input-shape={k}:" + "x".join(map(str, v))
                  for k, v in spec.get("shapes", {}).items()]
        yield name, os.path.join(folder, spec.get("file", name + ".onnx")), flags


def main():
    parser = argparse.ArgumentParser()
    parser.add_argument("--tools", required=True)
    parser.add_argument("--user-models")
    parser.add_argument("--model", action="append", default=[])
    parser.add_argument("--devices", type=int, nargs="+", default=[1, 2])
    args = parser.parse_args()
    models = list(suite_models(os.path.join(here, "..", "test", "models")))
    if args.user_models:
        models += list(suite_models(args.user_models))
    for spec in args.model:
        path, _, shapes = spec.partition(":")
        flags = [f"--input-shape={s.replace('=', ':')}"
                 for s in shapes.split(",") if s]
        models.append((os.path.basename(path)[:-5], path, flags))

    environment = dict(os.environ, CCACHE_DISABLE="1")
    compiler = os.path.join(args.tools, "cleave-compile")
    print(f"{'model':34} {'devices':>7} {'total s':>8} {'to sources s':>12} "
          f"{'builds s':>8}")
    slowest = (0, "")
    with tempfile.TemporaryDirectory() as work:
        for name, path, flags in models:
            for devices in args.devices:
                bundle = os.path.join(work, f"{name}_{devices}")
                placement = [f"--num-devices={devices}"] if devices > 1 else []
                start = time.perf_counter()
                run = subprocess.run(
                    [compiler, path, *flags, *placement, "--target=cpu",
                     "--verbose", "-o", bundle],
                    capture_output=True, text=True, env=environment)
                total = time.perf_counter() - start
                if run.returncode:
                    print(f"{name:34} {devices:>7} failed: "
                          f"{run.stderr.strip().splitlines()[-1]}")
                    continue
                # The time at which the sources were written.
                sources = [float(m.group(1)) for m in re.finditer(
                    r"\[\s*([0-9.]+) s\] wrote", run.stderr)]
                written = sources[0] if sources else 0.0
                print(f"{name:34} {devices:>7} {total:8.2f} {written:12.2f} "
                      f"{total - written:8.2f}")
                slowest = max(slowest, (total, f"{name} on {devices}"))
    print(f"slowest: {slowest[1]}, {slowest[0]:.2f} s")
    return 0


if __name__ == "__main__":
    sys.exit(main())
