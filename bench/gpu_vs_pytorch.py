#!/usr/bin/env python3
"""Latency of Cleave's CUDA target against PyTorch eager, side by side.

For each model of the real-model suite (test/models/suite.json) and each
precision: run the device_0 of the Cleave bundle compiled for it
(`cleave-compile --target=cuda --precision=P --dim=batch=8`, prepared by
test/gpu/prepare.sh and built by test/gpu/check.sh) with --repeat N --warmup W
and read p50_ms from its cleave-timing line; build the same architecture in
PyTorch from test/models/make_models.py (random weights: speed does not
depend on them) and time it eagerly on the GPU at the same batch and
precision: W warm-up runs, then the median of N runs timed with CUDA events,
under torch.no_grad(). Prints model / precision / cleave ms / torch ms and the
ratio torch / cleave (above 1: Cleave is faster).

PyTorch's precisions: fp32 is float32 with TF32 off
(torch.backends.cuda.matmul.allow_tf32 = torch.backends.cudnn.allow_tf32 =
False), tf32 float32 with both on, bf16 the module and its float inputs in
bfloat16. Two pre-hooks let make_models.py's modules run so, unchanged: every
embedding moves its indices to its weight's device (the position ids come
from torch.arange on the CPU), and in bf16 each BERT layer casts the additive
attention mask (float32 there) to the activations' type.

  python3 bench/gpu_vs_pytorch.py --bundles WORK/models [--only gpt2_lm]
      [--precision bf16] [--runs 50] [--warmup 10] [--json bench.json]
  python3 bench/gpu_vs_pytorch.py --dry-run   # no GPU: checks the arguments
                                              # and runs each module on the CPU

BUNDLES/<model>/b<batch>-<precision>/ holds manifest.json and the built
device_0 (test/gpu/prepare_bundles.py's layout). Inputs are random, in the
manifest's shapes and types, integers in suite.json's ranges (else zeros).
A failed measurement is recorded in its row; the exit code is 1 if any row
has no ratio.
"""
import argparse
import json
import math
import os
import re
import statistics
import subprocess
import sys
import tempfile
import time

import numpy as np
import torch
from torch import nn

here = os.path.dirname(os.path.abspath(__file__))
root = os.path.normpath(os.path.join(here, ".."))
sys.path.insert(0, os.path.join(root, "test", "models"))
import make_models  # noqa: E402

PRECISIONS = ("fp32", "tf32", "bf16")
NUMPY_TYPES = {"f32": np.float32, "f16": np.float16, "f64": np.float64,
               "i8": np.int8, "i16": np.int16, "i32": np.int32,
               "i64": np.int64, "u8": np.uint8, "u16": np.uint16,
               "u32": np.uint32, "u64": np.uint64, "bool": np.bool_}


def suite():
    with open(os.path.join(root, "test", "models", "suite.json")) as f:
        return json.load(f)["models"]


def torch_modules():
    """{model: (module, input names, example inputs at batch 2)}, built as
    make_models.py exports them, with the pre-hooks of the docstring."""
    torch.manual_seed(0)
    modules = {}
    for name, module, example, input_names, _ in make_models.models():
        for m in module.modules():
            if isinstance(m, nn.Embedding):
                m.register_forward_pre_hook(
                    lambda mod, a: (a[0].to(mod.weight.device),))
            if isinstance(m, make_models.BertLayer):
                m.register_forward_pre_hook(
                    lambda mod, a: (a[0], a[1].to(a[0].dtype)))
        modules[name] = (module.eval(), input_names, example)
    return modules


def set_precision(precision):
    """The float type of the precision; sets TF32 on for tf32 only."""
    torch.backends.cuda.matmul.allow_tf32 = precision == "tf32"
    torch.backends.cudnn.allow_tf32 = precision == "tf32"
    return torch.bfloat16 if precision == "bf16" else torch.float32


def random_inputs(manifest, int_ranges, seed=0):
    """{name: array} in the manifest's shapes and types."""
    rng = np.random.default_rng(seed)
    arrays = {}
    for spec in manifest["inputs"]:
        dtype = NUMPY_TYPES[spec["dtype"]]
        if np.issubdtype(dtype, np.floating):
            value = rng.standard_normal(spec["shape"]).astype(dtype)
        elif spec["name"] in int_ranges:
            value = rng.integers(*int_ranges[spec["name"]],
                                 spec["shape"]).astype(dtype)
        else:
            value = np.zeros(spec["shape"], dtype)
        arrays[spec["name"]] = value
    return arrays


def cleave_p50(bundle, manifest, files, runs, warmup, timeout):
    """p50_ms of the bundle's device_0 on the input files."""
    device = manifest["devices"][0]
    command = [os.path.join(bundle, device["executable"]), "--weights",
               os.path.join(bundle, device["weights"]), "--repeat", str(runs),
               "--warmup", str(warmup)]
    for name, file in files.items():
        command += ["--input", f"{name}={file}"]
    proc = subprocess.run(command, capture_output=True, text=True,
                          timeout=timeout)
    if proc.returncode != 0:
        lines = (proc.stderr or proc.stdout).strip().splitlines()
        raise RuntimeError(lines[-1] if lines else f"exit {proc.returncode}")
    timing = re.findall(r"^cleave-timing (.*)$", proc.stdout, re.M)
    if not timing:
        raise RuntimeError("no cleave-timing line")
    return json.loads(timing[-1])["p50_ms"]


def torch_p50(module, args, runs, warmup, device):
    """Median latency in ms of module(*args): CUDA events on a GPU, the
    wall clock on the CPU."""
    cuda = device.type == "cuda"
    times = []
    with torch.no_grad():
        for _ in range(warmup):
            module(*args)
        if cuda:
            torch.cuda.synchronize(device)
            start, end = (torch.cuda.Event(enable_timing=True)
                          for _ in range(2))
        for _ in range(runs):
            if cuda:
                start.record()
                module(*args)
                end.record()
                end.synchronize()
                times.append(start.elapsed_time(end))
            else:
                began = time.perf_counter()
                module(*args)
                times.append((time.perf_counter() - began) * 1000)
    return statistics.median(times)


def dry_run(modules, models):
    """Each module on the CPU at batch 2, in float32 and bfloat16."""
    for name in models:
        module, _, example = modules[name]
        for dtype in (torch.float32, torch.bfloat16):
            module.to(dtype=dtype)
            args = [x.to(dtype) if x.is_floating_point() else x
                    for x in example]
            with torch.no_grad():
                out = module(*args)
            shapes = [tuple(o.shape) for o in
                      (out if isinstance(out, tuple) else (out,))]
            print(f"{name}: {dtype} on the CPU gives {shapes}")
    print("dry run: arguments and modules are fine")
    return 0


def main():
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawTextHelpFormatter)
    parser.add_argument("--bundles", help="folder of <model>/b<batch>-<p>/")
    parser.add_argument("--only", action="append", help="model (repeatable)")
    parser.add_argument("--precision", action="append", choices=PRECISIONS,
                        help="precision (repeatable; default all)")
    parser.add_argument("--batch", type=int, default=8)
    parser.add_argument("--runs", type=int, default=50)
    parser.add_argument("--warmup", type=int, default=10)
    parser.add_argument("--device", default="cuda",
                        help="PyTorch's device (cpu only to try the script)")
    parser.add_argument("--budget", type=float, default=1e9,
                        help="start no measurement after this many seconds")
    parser.add_argument("--json", help="write the rows here too")
    parser.add_argument("--dry-run", action="store_true")
    args = parser.parse_args()
    spec = suite()
    models = args.only or list(spec)
    unknown = sorted(set(models) - set(spec))
    if unknown:
        parser.error(f"not in test/models/suite.json: {', '.join(unknown)}")
    precisions = args.precision or list(PRECISIONS)
    if args.runs < 1 or args.warmup < 0 or args.batch < 1:
        parser.error("--runs and --batch must be positive, --warmup >= 0")
    if not args.dry_run and not args.bundles:
        parser.error("--bundles is required (or --dry-run)")
    modules = torch_modules()
    if args.dry_run:
        return dry_run(modules, models)

    deadline = time.time() + args.budget
    device = torch.device(args.device)
    rows = []
    report = {"device": (torch.cuda.get_device_name(device)
                         if device.type == "cuda" and torch.cuda.is_available()
                         else str(device)),
              "torch": torch.__version__, "batch": args.batch,
              "runs": args.runs, "warmup": args.warmup, "rows": rows}
    for name in models:
        module, input_names, _ = modules[name]
        for precision in precisions:
            row = {"model": name, "precision": precision,
                   "batch": args.batch}
            rows.append(row)
            bundle = os.path.join(args.bundles, name,
                                  f"b{args.batch}-{precision}")
            left = deadline - time.time()
            if left < 5:
                row["error"] = "not run: out of time"
                continue
            try:
                with open(os.path.join(bundle, "manifest.json")) as f:
                    manifest = json.load(f)
                arrays = random_inputs(manifest,
                                       spec[name].get("int_ranges", {}))
            except (OSError, KeyError, ValueError) as e:
                row["error"] = f"bundle: {type(e).__name__}: {e}"
                continue
            with tempfile.TemporaryDirectory(prefix="cleave-bench-") as work:
                files = {}
                for input_name, value in arrays.items():
                    files[input_name] = os.path.join(work, f"{len(files)}.npy")
                    np.save(files[input_name], value)
                try:
                    row["cleave_ms"] = cleave_p50(bundle, manifest, files,
                                                  args.runs, args.warmup,
                                                  min(120, left))
                except Exception as e:  # Recorded in the row.
                    row["cleave_error"] = f"{type(e).__name__}: {e}"[-500:]
            try:
                dtype = set_precision(precision)
                module.to(device=device, dtype=dtype)
                tensors = [torch.from_numpy(arrays[n]).to(device)
                           for n in input_names]
                tensors = [t.to(dtype) if t.is_floating_point() else t
                           for t in tensors]
                row["torch_ms"] = torch_p50(module, tensors, args.runs,
                                            args.warmup, device)
            except Exception as e:  # Recorded in the row.
                row["torch_error"] = f"{type(e).__name__}: {e}"[-500:]
            if "cleave_ms" in row and "torch_ms" in row:
                row["ratio"] = row["torch_ms"] / row["cleave_ms"]
            print(json.dumps(row), flush=True)
            if args.json:
                with open(args.json, "w") as f:
                    json.dump(report, f, indent=1)
    if args.json:
        with open(args.json, "w") as f:
            json.dump(report, f, indent=1)

    def ms(value):
        return f"{value:.3f}" if value is not None else "-"

    print(f"\n{report['device']}, torch {torch.__version__}, batch "
          f"{args.batch}, p50 of {args.runs} runs after {args.warmup}")
    print(f"{'model':14} {'precision':9} {'cleave ms':>10} {'torch ms':>10} "
          f"{'torch/cleave':>12}")
    for row in rows:
        ratio = f"{row['ratio']:.2f}" if "ratio" in row else "-"
        note = " ".join(row.get(k, "") for k in
                        ("error", "cleave_error", "torch_error"))
        print(f"{row['model']:14} {row['precision']:9} "
              f"{ms(row.get('cleave_ms')):>10} {ms(row.get('torch_ms')):>10} "
              f"{ratio:>12}  {note.strip()[:120]}")
    for precision in precisions:
        ratios = [r["ratio"] for r in rows
                  if r["precision"] == precision and "ratio" in r]
        if ratios:
            print(f"{precision}: geomean torch/cleave "
                  f"{math.exp(statistics.mean(map(math.log, ratios))):.2f} "
                  f"over {len(ratios)} models")
    return 0 if all("ratio" in row for row in rows) else 1


if __name__ == "__main__":
    sys.exit(main())
