#!/usr/bin/env python3
"""Compiles the bundles that test/gpu/check.sh runs on the GPU machine (called
by prepare.sh; run here, where the compiler is).

  prepare_bundles.py --tools BUILD/bin --out STAGE [--target cuda]
      [--jobs 2] [--filter NAME] [--precisions fp32,tf32,bf16]

Writes into STAGE:
  node/<suite>-<test>/   for every ONNX backend test that passes numerically
                         on the CPU target (numeric_conformance.py's run, same
                         --input-value fix for small value inputs): the bundle
                         (--emit=sources: no executables), the test's input_*.pb and output_*.pb
                         and test.json {inputs: {name: file}, outputs: {name:
                         file}, ops}. node/prepared.json lists every test.
  models/<model>/        for each model of test/models/suite.json: inputs/
                         (random, seed 0, as the lit tests make them),
                         cpu/ (the CPU target's outputs for them), model.json,
                         b2-fp32/ (the bundle at the suite's dims) and
                         b8-<precision>/ (batch 8, for the benchmark).
  pipeline/              gpt2_lm at the suite's dims on 2 devices
                         (--num-devices=2): bundle/, inputs/, cpu/,
                         pipeline.json.
  training/<name>/       training bundles of test/training's models (AdamW,
                         SGD, 2 replicas, AdamW's state sharded over 2
                         replicas), their data and PyTorch
                         references: bundle/, *.npy, *.npz, training.json.
Identical files (weights shared by bundles) become hard links, so a tar of
STAGE stores them once.

--target cpu (prepare.sh's CLEAVE_GPU_TARGET=cpu) makes CPU bundles with
executables instead, to try check.sh's runners without a GPU.
"""
import argparse
import concurrent.futures
import hashlib
import json
import lzma
import os
import shutil
import subprocess
import sys
import tempfile

import numpy as np
import onnx
import onnxruntime

here = os.path.dirname(os.path.abspath(__file__))
root = os.path.normpath(os.path.join(here, "..", ".."))
sys.path.insert(0, os.path.join(root, "test", "conformance"))
sys.path.insert(0, os.path.join(root, "test", "e2e"))
import import_conformance as ic  # noqa: E402
import numeric_conformance as nc  # noqa: E402
from reference import random_inputs, safe  # noqa: E402

BENCH_BATCH = 8
# Node tests whose input and output files stay over this compressed are left
# out: one (MaxPool2d_stride_padding_dilation) would take 3.5 of the 35 MiB.
MAX_DATA = 1 << 20


def compile_flags(target, precision):
    """cleave-compile flags for a bundle without executables (cuda: its
    build.sh builds them there), or a CPU bundle with them (the dry run: CPU
    bundles have no precision)."""
    if target == "cpu":
        return ["--target=cpu"]
    return [f"--target={target}", "--emit=sources", f"--precision={precision}"]


def run(command, timeout=600):
    proc = subprocess.run(command, capture_output=True, text=True,
                          timeout=timeout)
    if proc.returncode != 0:
        raise RuntimeError(f"{' '.join(command)} failed:\n{proc.stderr}")
    return proc


def prepare_node_test(tools, target, suite, name, out, work):
    """CPU run first; for a test that passes, the target bundle and data."""
    result = nc.run_test(tools, suite, name, work)
    entry = {"test": f"{suite}-{name}", "cpu": result["status"]}
    if result["status"] != "passed":
        return entry
    test_dir = os.path.join(ic.DATA_ROOT, suite, name)
    data_dir = os.path.join(test_dir, "test_data_set_0")
    model_path = os.path.join(test_dir, "model.onnx")
    model = onnx.load(model_path, load_external_data=False)
    fixed = (ic.small_inputs(test_dir, model)
             if result["detail"] == "value inputs fixed" else [])
    bundle = os.path.join(out, entry["test"])
    proc = subprocess.run(
        [os.path.join(tools, "cleave-compile"), model_path, "-o", bundle] +
        compile_flags(target, "fp32") + fixed,
        capture_output=True, text=True, timeout=300)
    if proc.returncode != 0:
        shutil.rmtree(bundle, ignore_errors=True)
        lines = proc.stderr.strip().splitlines() or [f"exit {proc.returncode}"]
        entry.update(status="compile error", detail=lines[0])
        return entry
    # Same input numbering as numeric_conformance.py: graph inputs that are
    # not initializers, minus the ones fixed at compile time.
    fixed_names = {f.split("=", 1)[1].split("=")[0] for f in fixed}
    inits = {t.name for t in model.graph.initializer}
    inputs = [i.name for i in model.graph.input if i.name not in inits]
    spec = {"inputs": {}, "outputs": {}, "ops": result["ops"]}
    for index, input_name in enumerate(inputs):
        if input_name not in fixed_names:
            spec["inputs"][input_name] = f"input_{index}.pb"
    for index, output in enumerate(model.graph.output):
        spec["outputs"][output.name] = f"output_{index}.pb"
    files = list(spec["inputs"].values()) + list(spec["outputs"].values())
    data = b""
    for file in files:
        with open(os.path.join(data_dir, file), "rb") as f:
            data += f.read()
    if len(data) > MAX_DATA and len(lzma.compress(data, preset=1)) > MAX_DATA:
        shutil.rmtree(bundle, ignore_errors=True)
        entry.update(status="left out", detail=f"its data is {len(data)} "
                     f"bytes, over {MAX_DATA} even compressed")
        return entry
    for file in files:
        shutil.copy(os.path.join(data_dir, file), bundle)
    with open(os.path.join(bundle, "test.json"), "w") as f:
        json.dump(spec, f, indent=1)
    entry["status"] = "prepared"
    return entry


def prepare_node(args, out):
    tests = [(suite, name) for suite in ic.SUITES
             for name in sorted(os.listdir(os.path.join(ic.DATA_ROOT, suite)))
             if args.filter in name and os.path.exists(
                 os.path.join(ic.DATA_ROOT, suite, name, "model.onnx"))]
    os.makedirs(out, exist_ok=True)
    with tempfile.TemporaryDirectory(prefix="cleave-gpu-node-") as work, \
            concurrent.futures.ThreadPoolExecutor(args.jobs) as pool:
        entries = list(pool.map(lambda t: prepare_node_test(
            args.tools, args.target, *t, out, work), tests))
    passed = [e for e in entries if e["cpu"] == "passed"]
    prepared = [e["test"] for e in passed if e.get("status") == "prepared"]
    failed = [e for e in passed if e.get("status") == "compile error"]
    left_out = [e for e in passed if e.get("status") == "left out"]
    with open(os.path.join(out, "prepared.json"), "w") as f:
        json.dump({"target": args.target, "tests": len(tests),
                   "cpu_passed": len(passed), "prepared": prepared,
                   "compile_errors": failed, "left_out": left_out}, f,
                  indent=1)
    print(f"node: {len(tests)} tests, {len(passed)} pass on the CPU, "
          f"{len(prepared)} prepared for {args.target}, "
          f"{len(failed)} do not compile for it, {len(left_out)} left out "
          f"(data over {MAX_DATA >> 20} MiB)")
    for e in failed[:20] + left_out:
        print(f"  {e['test']}: {e['detail']}")


def save_arrays(folder, arrays):
    """Saves {name: array} as folder/<safe name>.npy; returns {name: path
    relative to folder's parent}."""
    os.makedirs(folder, exist_ok=True)
    files = {}
    for name, value in arrays.items():
        np.save(os.path.join(folder, safe(name) + ".npy"), value)
        files[name] = os.path.join(os.path.basename(folder),
                                   safe(name) + ".npy")
    return files


def cpu_outputs(tools, path, dims, folder, inputs):
    """Compiles the model for the CPU target and runs it on `inputs` (name ->
    .npy path); returns {output name: array}."""
    with tempfile.TemporaryDirectory(prefix="cleave-gpu-cpu-") as work:
        bundle = os.path.join(work, "bundle")
        run([os.path.join(tools, "cleave-compile"), path, "--target=cpu",
             "-o", bundle] + [f"--dim={d}={n}" for d, n in dims.items()])
        with open(os.path.join(bundle, "manifest.json")) as f:
            names = [o["name"] for o in json.load(f)["outputs"]]
        command = [os.path.join(tools, "cleave-run"), bundle]
        for name, file in inputs.items():
            command += ["--input", f"{name}={os.path.join(folder, file)}"]
        for name in names:
            command += ["--output",
                        f"{name}={os.path.join(work, safe(name) + '.npy')}"]
        run(command)
        return {name: np.load(os.path.join(work, safe(name) + ".npy"))
                for name in names}


def prepare_model(args, name, spec, out):
    """models/<name>/: inputs, CPU outputs, the batch-2 and bench bundles."""
    path = os.path.join(root, "test", "models", name + ".onnx")
    folder = os.path.join(out, name)
    dims, int_ranges = spec["dims"], spec.get("int_ranges", {})
    session = onnxruntime.InferenceSession(
        path, providers=["CPUExecutionProvider"])
    feeds = random_inputs(session, dims=dims, int_ranges=int_ranges)
    inputs = save_arrays(os.path.join(folder, "inputs"), feeds)
    cpu = cpu_outputs(args.tools, path, dims, folder, inputs)
    ort = dict(zip([o.name for o in session.get_outputs()],
                   session.run(None, feeds)))
    info = {"onnx": os.path.relpath(path, root), "dims": dims,
            "inputs": inputs,
            "cpu_outputs": save_arrays(os.path.join(folder, "cpu"), cpu),
            "cpu_vs_onnxruntime_max_abs": max(
                float(np.abs(cpu[o].astype(np.float64) - ort[o]).max())
                for o in ort)}
    bench_dims = {d: BENCH_BATCH if d in ("batch", "N") else n
                  for d, n in dims.items()}
    jobs = [("b2-fp32", dims, "fp32")] + [
        (f"b{BENCH_BATCH}-{p}", bench_dims, p) for p in args.precisions]
    for label, bundle_dims, precision in jobs:
        run([os.path.join(args.tools, "cleave-compile"), path, "-o",
             os.path.join(folder, label)] +
            [f"--dim={d}={n}" for d, n in bundle_dims.items()] +
            compile_flags(args.target, precision))
    with open(os.path.join(folder, "model.json"), "w") as f:
        json.dump(info, f, indent=1)
    print(f"models: {name}: {', '.join(j[0] for j in jobs)}; CPU target vs "
          f"onnxruntime max abs {info['cpu_vs_onnxruntime_max_abs']:.3g}")
    return info


def prepare_pipeline(args, models, out):
    """pipeline/: gpt2_lm on 2 devices, with the models/ inputs and outputs."""
    source = os.path.join(args.out, "models", "gpt2_lm")
    path = os.path.join(root, "test", "models", "gpt2_lm.onnx")
    os.makedirs(out, exist_ok=True)
    run([os.path.join(args.tools, "cleave-compile"), path, "-o",
         os.path.join(out, "bundle"), "--num-devices=2"] +
        [f"--dim={d}={n}" for d, n in models["gpt2_lm"]["dims"].items()] +
        compile_flags(args.target, "fp32"))
    for sub in ("inputs", "cpu"):
        shutil.copytree(os.path.join(source, sub), os.path.join(out, sub))
    with open(os.path.join(out, "bundle", "manifest.json")) as f:
        devices = len(json.load(f)["devices"])
    with open(os.path.join(out, "pipeline.json"), "w") as f:
        json.dump({"model": "gpt2_lm", "devices": devices,
                   "dims": models["gpt2_lm"]["dims"],
                   "onnx": models["gpt2_lm"]["onnx"],
                   "inputs": models["gpt2_lm"]["inputs"],
                   "cpu_outputs": models["gpt2_lm"]["cpu_outputs"]}, f,
                  indent=1)
    print(f"pipeline: gpt2_lm placed on {devices} device(s)")
    if devices != 2:
        print("warning: the placement used one device: the pipeline step "
              "will run it alone")


# Training steps the GPU runs against the PyTorch references of
# test/training: name: (model, --loss, --optimizer, reference, replicas,
# other flags).
TRAINING = {
    "transformer-adamw": ("transformer", "cross_entropy:logits=out,labels=y",
                          "adamw:lr=0.01,weight_decay=0.01", "adamw", 1, []),
    "cnn-sgd": ("cnn", "cross_entropy:logits=out,labels=y",
                "sgd:lr=0.1,momentum=0.9", "sgd", 1, []),
    "transformer-dp2": ("transformer", "cross_entropy:logits=out,labels=y",
                        "sgd:lr=0.1,momentum=0.9", "sgd", 2, []),
    # AdamW's moments sharded over the replicas: reduce-scatters and
    # all-gathers.
    "transformer-zero2": ("transformer", "cross_entropy:logits=out,labels=y",
                          "adamw:lr=0.01,weight_decay=0.01", "adamw", 2,
                          ["--zero=1"]),
    # Pipeline stages, two processes on the one GPU (host-staged MPI):
    # 1F1B on 2 stages, and interleaved 1F1B, 2 stages on each of 2 devices.
    "transformer-stages2": ("transformer", "cross_entropy:logits=out,labels=y",
                            "sgd:lr=0.1,momentum=0.9", "sgd", 1,
                            ["--num-devices=2", "--placement=manual",
                             "--cuts=/norm2/LayerNormalization",
                             "--microbatches=2", "--schedule=1f1b"]),
    "transformer-interleaved": ("transformer",
                                "cross_entropy:logits=out,labels=y",
                                "adamw:lr=0.01,weight_decay=0.01", "adamw", 1,
                                ["--num-devices=2", "--microbatches=2",
                                 "--schedule=interleaved"]),
}


def prepare_training(args, out):
    """training/<name>/: a training bundle of test/training's models, its
    data and PyTorch's reference (losses and parameters after 10 steps)."""
    data = os.path.join(root, "test", "training")
    for name, (model, loss, optimizer, reference, replicas,
               flags) in TRAINING.items():
        folder = os.path.join(out, name)
        os.makedirs(folder, exist_ok=True)
        run([os.path.join(args.tools, "cleave-compile"),
             os.path.join(data, f"{model}.onnx"), "-o",
             os.path.join(folder, "bundle"), "--train", f"--loss={loss}",
             f"--optimizer={optimizer}", f"--dp={replicas}", *flags] +
            compile_flags(args.target, "fp32"))
        for file in (f"{model}.x.npy", f"{model}.y.npy",
                     f"{model}.{reference}.npz", f"{model}.names.json"):
            shutil.copy(os.path.join(data, file), folder)
        with open(os.path.join(folder, "training.json"), "w") as f:
            json.dump({"model": model, "optimizer": optimizer,
                       "replicas": replicas, "steps": 10,
                       "reference": f"{model}.{reference}.npz",
                       "names": f"{model}.names.json"}, f, indent=1)
    print(f"training: {', '.join(TRAINING)}")


def link_duplicates(folder, min_bytes=1 << 16):
    """Replaces files with the same bytes as an earlier one by hard links."""
    seen, saved = {}, 0
    for dirpath, _, files in sorted(os.walk(folder)):
        for file in sorted(files):
            path = os.path.join(dirpath, file)
            size = os.path.getsize(path)
            if size < min_bytes or os.path.islink(path):
                continue
            with open(path, "rb") as f:
                key = (size, hashlib.sha256(f.read()).hexdigest())
            if key in seen:
                os.remove(path)
                os.link(seen[key], path)
                saved += size
            else:
                seen[key] = path
    print(f"duplicates linked: {saved / 2**20:.1f} MiB stored once")


def main():
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawTextHelpFormatter)
    parser.add_argument("--tools", required=True)
    parser.add_argument("--out", required=True)
    parser.add_argument("--target", default="cuda")
    parser.add_argument("--jobs", type=int, default=2)
    parser.add_argument("--filter", default="",
                        help="only node tests whose name contains this")
    parser.add_argument("--precisions", default="fp32,tf32,bf16",
                        help="precisions of the batch-8 benchmark bundles")
    args = parser.parse_args()
    args.precisions = [p for p in args.precisions.split(",") if p]

    with open(os.path.join(root, "test", "models", "suite.json")) as f:
        suite = json.load(f)["models"]
    models_out = os.path.join(args.out, "models")
    with concurrent.futures.ThreadPoolExecutor(args.jobs) as pool:
        infos = dict(zip(suite, pool.map(
            lambda item: prepare_model(args, *item, models_out),
            suite.items())))
    prepare_pipeline(args, infos, os.path.join(args.out, "pipeline"))
    prepare_training(args, os.path.join(args.out, "training"))
    prepare_node(args, os.path.join(args.out, "node"))
    link_duplicates(args.out)
    return 0


if __name__ == "__main__":
    sys.exit(main())
