#!/usr/bin/env python3
"""The main job on one model: partition it over CPU devices, run it as one
MPI job with microbatches pipelined through the stages, trace the run, and
check the outputs against onnxruntime on the same random input.

  check_example.py model.onnx --tools BIN --out DIR [--dim batch=8]
      [--int-range input_ids:0:2048] [--shape x:1x16] [--devices 2]
      [--microbatches 4]

With --microbatches M the model is compiled for a batch of B / M (the
`batch` dim) and run on B. DIR gets the bundle, the placement picture
(placement.svg, when Graphviz is installed) and the trace (trace.json).
The outputs must match onnxruntime within rtol 1e-3, atol 1e-4: the two
sum float32 products in different orders (oneDNN picks its kernels by
shape and CPU), which moves the last bits of sums over hundreds of terms.
"""
import argparse
import os
import shutil
import subprocess
import sys

import numpy as np
import onnxruntime

here = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, os.path.join(here, "..", "test", "e2e"))
from reference import random_inputs  # noqa: E402


def main():
    parser = argparse.ArgumentParser()
    parser.add_argument("model")
    parser.add_argument("--tools", required=True)
    parser.add_argument("--out", required=True)
    parser.add_argument("--dim", action="append", default=[])
    parser.add_argument("--shape", action="append", default=[])
    parser.add_argument("--int-range", action="append", default=[])
    parser.add_argument("--devices", type=int, default=1)
    parser.add_argument("--microbatches", type=int, default=1)
    args = parser.parse_args()
    dims = {k: int(v) for k, v in (d.split("=") for d in args.dim)}
    shapes = {k: [int(n) for n in v.split("x")]
              for k, v in (s.rsplit(":", 1) for s in args.shape)}
    ranges = {k: (int(lo), int(hi)) for k, lo, hi in
              (r.rsplit(":", 2) for r in args.int_range)}
    tool = lambda name: os.path.join(args.tools, name)
    run = lambda command: subprocess.run(command, check=True)
    os.makedirs(args.out, exist_ok=True)
    bundle = os.path.join(args.out, "bundle")
    picture = os.path.join(args.out, "placement.svg")
    trace = os.path.join(args.out, "trace.json")

    # Compiled for one microbatch: the batch dim divided by M.
    m = args.microbatches
    compile_flags = [f"--dim={k}={v // m if k == 'batch' else v}"
                     for k, v in dims.items()]
    compile_flags += [f"--input-shape={k}:" + "x".join(map(str, v))
                      for k, v in shapes.items()]
    if args.devices > 1:
        compile_flags += [f"--num-devices={args.devices}", "--report"]
        if shutil.which("dot"):
            compile_flags.append(f"--report-graph={picture}")
    print(f"== compiling {os.path.basename(args.model)} for {args.devices} "
          f"CPU device(s), for microbatches of 1/{m} of the batch",
          flush=True)
    run([tool("cleave-compile"), args.model, *compile_flags, "--target=cpu",
         "--verbose", "-o", bundle])

    print("== reference: onnxruntime on a random input", flush=True)
    session = onnxruntime.InferenceSession(
        args.model, providers=["CPUExecutionProvider"])
    feeds = random_inputs(session, shapes, dims, ranges)
    names = [o.name for o in session.get_outputs()]
    want = dict(zip(names, session.run(names, feeds)))

    # One thread per device process: the devices share this machine's cores.
    command = [tool("cleave-run"), bundle, f"--microbatches={m}",
               "--num-threads=1", "--warmup=3", "--repeat=20",
               f"--trace={trace}", "--report"]
    for i, (name, value) in enumerate(feeds.items()):
        file = os.path.join(args.out, f"input_{i}.npy")
        np.save(file, value)
        command += ["--input", f"{name}={file}"]
    outputs = {name: os.path.join(args.out, f"output_{i}.npy")
               for i, name in enumerate(names)}
    for name, file in outputs.items():
        command += ["--output", f"{name}={file}"]
    print(f"== running the bundle: {args.devices} process(es) as one MPI "
          f"job, {m} microbatches, 20 timed runs", flush=True)
    run(command)

    ok = True
    for name, file in outputs.items():
        got = np.load(file)
        close = got.shape == want[name].shape and np.allclose(
            got, want[name], rtol=1e-3, atol=1e-4)
        error = (np.abs(got - want[name]).max()
                 if got.shape == want[name].shape else float("nan"))
        print(f"output {name}: {list(got.shape)}, max abs error vs "
              f"onnxruntime {error:.3g}: {'MATCH' if close else 'MISMATCH'}")
        ok &= close
    print(f"\nthe timeline of every device: open {trace} in "
          "https://ui.perfetto.dev (or chrome://tracing)")
    if os.path.exists(picture):
        print(f"the placement, ops coloured by device: {picture}")
    return 0 if ok else 1


if __name__ == "__main__":
    sys.exit(main())
