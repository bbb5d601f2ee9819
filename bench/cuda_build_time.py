#!/usr/bin/env python3
"""How long the CUDA target takes to build each real model, without a GPU.

For each model of test/models/suite.json: the time from ONNX to a cuda
bundle's sources (import, passes, EmitC: `--emit=sources`), the time nvcc
takes to build and link its executable (the bundle's build.sh, default
sm_80 + sm_90 + PTX), and beside them the CPU target's whole compile
(ONNX to executable) for comparison. Median of --runs runs each.

  python3 bench/cuda_build_time.py --tools ../cleave-build/bin [--runs 3]
"""
import argparse
import json
import os
import statistics
import subprocess
import tempfile
import time

here = os.path.dirname(os.path.abspath(__file__))
root = os.path.join(here, "..")


def timed(command):
    start = time.perf_counter()
    subprocess.run(command, check=True, stdout=subprocess.DEVNULL)
    return time.perf_counter() - start


def main():
    parser = argparse.ArgumentParser()
    parser.add_argument("--tools", default=os.path.join(root, "..",
                                                         "cleave-build", "bin"))
    parser.add_argument("--runs", type=int, default=3)
    parser.add_argument("--precision", default="fp32")
    args = parser.parse_args()
    compile_ = os.path.join(args.tools, "cleave-compile")
    with open(os.path.join(root, "test", "models", "suite.json")) as f:
        models = json.load(f)["models"]
    print(f"{'model':14} {'cuda sources s':>15} {'nvcc build+link s':>18} "
          f"{'cuda total s':>13} {'cpu total s':>12}")
    with tempfile.TemporaryDirectory() as work:
        for name, spec in models.items():
            model = os.path.join(root, "test", "models", name + ".onnx")
            dims = [f"--dim={k}={v}" for k, v in spec["dims"].items()]
            sources, builds, cpus = [], [], []
            for run in range(args.runs):
                cuda = os.path.join(work, f"{name}-cuda-{run}")
                sources.append(timed([compile_, model, *dims, "--target=cuda",
                                      f"--precision={args.precision}",
                                      "--emit=sources", "-o", cuda]))
                builds.append(timed(["bash", os.path.join(cuda, "build.sh")]))
                cpus.append(timed([compile_, model, *dims, "--target=cpu",
                                   "-o", os.path.join(work, f"{name}-cpu")]))
            s, b, c = (statistics.median(v) for v in (sources, builds, cpus))
            print(f"{name:14} {s:15.2f} {b:18.2f} {s + b:13.2f} {c:12.2f}")


if __name__ == "__main__":
    main()
