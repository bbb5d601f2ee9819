#!/usr/bin/env python3
"""Runs the real models that prepare_bundles.py prepared and compares their
outputs, on the GPU machine.

  run_models.py models --root WORK/models [--json models.json]
  run_models.py pipeline --root WORK/pipeline [--json pipeline.json]
  run_models.py sanitize --root WORK/models [--json sanitize.json]
  run_models.py training --root WORK/training [--json training.json]

models: each model's b2-fp32/device_0 on the carried inputs, against
onnxruntime run here on the same inputs (rtol 1e-3, atol 1e-4: the test's
status) and against the carried CPU-target outputs (max abs error, and
whether within the same tolerance).
pipeline: the multi-device gpt2_lm bundle started with mpirun's MPMD form
(one process per device, as cleave-run does) with CLEAVE_TRANSPORT=mpi, so
that the processes share the one GPU; compared in the same way. Skipped when
no mpirun works here.
sanitize: gpt2_lm's and resnet50's b2-fp32 programs under compute-sanitizer's
memcheck (3 runs: eager, captured as a CUDA graph, replayed): any error it
finds (an out-of-bounds access, a misaligned one, a leak of device memory
is not counted) fails the model.
training: each training bundle (test/training's transformer with AdamW,
its CNN with SGD, the transformer on 2 replicas, on 2 pipeline stages
(1F1B) and on 2 devices of 2 interleaved stages: an MPMD job of a process
per device) for 10 steps, its losses (rtol 1e-4) and parameters (atol
1e-4) against PyTorch's references.
Exits non-zero if a model fails.
"""
import argparse
import json
import os
import shutil
import subprocess
import sys
import tempfile

import numpy as np
import onnxruntime

here = os.path.dirname(os.path.abspath(__file__))
root = os.path.normpath(os.path.join(here, "..", ".."))
sys.path.insert(0, here)
from run_node_tests import (compare, device_command, error_line,  # noqa: E402
                            max_abs)

RTOL, ATOL = 1e-3, 1e-4


def references(folder, info):
    """Inputs (name -> .npy path), onnxruntime's and the CPU's outputs."""
    inputs = {n: os.path.join(folder, f) for n, f in info["inputs"].items()}
    session = onnxruntime.InferenceSession(
        os.path.join(root, info["onnx"]), providers=["CPUExecutionProvider"])
    ort = dict(zip([o.name for o in session.get_outputs()], session.run(
        None, {n: np.load(f) for n, f in inputs.items()})))
    cpu = {n: np.load(os.path.join(folder, f))
           for n, f in info["cpu_outputs"].items()}
    return inputs, ort, cpu


def run_and_compare(command, outputs, ort, cpu, timeout, env=None):
    """Runs a bundle's program(s); {status, detail, outputs: per output
    errors against onnxruntime and the CPU target}."""
    try:
        proc = subprocess.run(command, capture_output=True, text=True,
                              timeout=timeout, env=env)
    except subprocess.TimeoutExpired:
        return {"status": "error",
                "detail": f"timed out after {timeout:.0f} s"}
    if proc.returncode != 0:
        return {"status": "error", "detail": error_line(
            proc.stderr + proc.stdout, f"exit {proc.returncode}")}
    result = {"status": "passed", "outputs": {}}
    for name, file in outputs.items():
        if not os.path.exists(file):
            return {"status": "error", "detail": f"{name}: not written"}
        got = np.load(file)
        vs_ort = compare(got, ort[name], RTOL, ATOL)
        result["outputs"][name] = {
            "max_abs_vs_onnxruntime": max_abs(got, ort[name]),
            "max_abs_vs_cpu": max_abs(got, cpu[name]),
            "matches_onnxruntime": vs_ort is None,
            "matches_cpu": compare(got, cpu[name], RTOL, ATOL) is None}
        if vs_ort and result["status"] == "passed":
            result.update(status="wrong result",
                          detail=f"{name} vs onnxruntime: {vs_ort}")
    return result


def run_models(args):
    results = []
    for model in sorted(os.listdir(args.root)):
        folder = os.path.join(args.root, model)
        if not os.path.exists(os.path.join(folder, "model.json")):
            continue
        with open(os.path.join(folder, "model.json")) as f:
            info = json.load(f)
        bundle = os.path.join(folder, "b2-fp32")
        with open(os.path.join(bundle, "manifest.json")) as f:
            device = json.load(f)["devices"][0]
        entry = {"model": model, "dims": info["dims"]}
        if not os.access(os.path.join(bundle, device["executable"]), os.X_OK):
            results.append(dict(entry, status="not built"))
        else:
            try:
                inputs, ort, cpu = references(folder, info)
                with tempfile.TemporaryDirectory(prefix="cleave-model-") as w:
                    outputs = {n: os.path.join(w, f"out_{i}.npy")
                               for i, n in enumerate(ort)}
                    entry.update(run_and_compare(
                        device_command(bundle, inputs, outputs,
                                       device["executable"]),
                        outputs, ort, cpu, args.timeout))
            except Exception as e:  # Recorded; the other models still run.
                entry.update(status="error", detail=f"{type(e).__name__}: {e}")
            results.append(entry)
        print(f"{model}: {entry['status']} " + " ".join(
            f"{n}: max abs {o['max_abs_vs_onnxruntime']:.3g} vs onnxruntime, "
            f"{o['max_abs_vs_cpu']:.3g} vs cpu"
            for n, o in entry.get("outputs", {}).items()) +
            (" " + entry["detail"] if "detail" in entry else ""))
    return {"rtol": RTOL, "atol": ATOL, "models": results}


def working_mpirun():
    """(mpirun path, None) or (None, why not)."""
    mpirun = shutil.which("mpirun")
    if not mpirun:
        return None, "no mpirun on PATH"
    try:
        proc = subprocess.run([mpirun, "--allow-run-as-root", "-np", "1",
                               "true"], capture_output=True, text=True,
                              timeout=30)
    except subprocess.TimeoutExpired:
        return None, "mpirun -np 1 true timed out"
    if proc.returncode != 0:
        return None, "mpirun -np 1 true failed: " + error_line(
            proc.stderr + proc.stdout, f"exit {proc.returncode}")
    return mpirun, None


def run_pipeline(args):
    with open(os.path.join(args.root, "pipeline.json")) as f:
        info = json.load(f)
    bundle = os.path.join(args.root, "bundle")
    with open(os.path.join(bundle, "manifest.json")) as f:
        devices = json.load(f)["devices"]
    entry = {"model": info["model"], "dims": info["dims"],
             "devices": len(devices), "transport": "mpi (CLEAVE_TRANSPORT)"}
    missing = [d["executable"] for d in devices if not os.access(
        os.path.join(bundle, d["executable"]), os.X_OK)]
    mpirun, why = working_mpirun()
    if missing:
        entry.update(status="not built", detail=", ".join(missing))
    elif len(devices) > 1 and not mpirun:
        entry.update(status="skipped", detail=why)
    else:
        inputs, ort, cpu = references(args.root, info)
        env = dict(os.environ, CLEAVE_TRANSPORT="mpi")
        with tempfile.TemporaryDirectory(prefix="cleave-pipeline-") as work:
            outputs = {n: os.path.join(work, f"out_{i}.npy")
                       for i, n in enumerate(ort)}
            # MPMD: -np 1 device_0 ... : -np 1 device_1 ..., each with the
            # inputs it reads and the outputs it makes.
            command = [mpirun, "--allow-run-as-root", "--oversubscribe",
                       "-x", "CLEAVE_TRANSPORT"] if len(devices) > 1 else []
            for k, device in enumerate(devices):
                if len(devices) > 1:
                    command += [":"] * (k > 0) + ["-np", "1"]
                command += device_command(
                    bundle, {n: inputs[n] for n in device["inputs"]},
                    {n: outputs[n] for n in device["outputs"]},
                    device["executable"])
            entry["command"] = " ".join(os.path.relpath(c, args.root)
                                        if c.startswith(args.root) else c
                                        for c in command)
            entry.update(run_and_compare(command, outputs, ort, cpu,
                                         args.timeout, env))
    print(f"pipeline {info['model']} on {len(devices)} devices: "
          f"{entry['status']} {entry.get('detail', '')}" + " ".join(
              f"{n}: max abs {o['max_abs_vs_cpu']:.3g} vs cpu, "
              f"{o['max_abs_vs_onnxruntime']:.3g} vs onnxruntime"
              for n, o in entry.get("outputs", {}).items()))
    return entry


def weights_variables(bundle, folder):
    """The variables of the device weights files in `folder` (what the
    devices' --weights-out wrote), by the manifest's name, offset, dtype and
    shape: cleave-run's checkpoint is not made here, the devices run alone."""
    dtypes = {"f32": np.float32, "f64": np.float64, "i64": np.int64}
    with open(os.path.join(bundle, "manifest.json")) as f:
        manifest = json.load(f)
    variables = {}
    for device in manifest["devices"]:
        with open(os.path.join(folder, device["weights"]), "rb") as f:
            payload = f.read()[64:]  # after the CLVWGHT1 header
        for v in device.get("variables", []):
            count = int(np.prod(v["shape"], dtype=np.int64))
            array = np.frombuffer(payload, dtypes[v["dtype"]], count,
                                  v["offset"])
            variables[v["name"]] = array.reshape(v["shape"])
    return variables


def run_training(args):
    """Each training bundle for 10 steps (replicas under mpirun, host-staged
    MPI as they share the GPU), its losses and final parameters against
    PyTorch's (test/training/check_training.py's tolerances)."""
    mpirun, why = working_mpirun()
    results = []
    for name in sorted(os.listdir(args.root)):
        folder = os.path.join(args.root, name)
        if not os.path.isfile(os.path.join(folder, "training.json")):
            continue
        with open(os.path.join(folder, "training.json")) as f:
            info = json.load(f)
        bundle = os.path.join(folder, "bundle")
        with open(os.path.join(bundle, "manifest.json")) as f:
            devices = json.load(f)["devices"]
        entry = {"model": name, "optimizer": info["optimizer"],
                 "replicas": info["replicas"], "devices": len(devices)}
        processes = info["replicas"] * len(devices)
        if not all(os.access(os.path.join(bundle, d["executable"]), os.X_OK)
                   for d in devices):
            entry.update(status="not built")
        elif processes > 1 and not mpirun:
            entry.update(status="skipped", detail=why)
        else:
            with tempfile.TemporaryDirectory(prefix="cleave-train-") as work:
                model = info["model"]

                def device_args(device):
                    args = [os.path.join(bundle, device["executable"]),
                            "--weights",
                            os.path.join(bundle, device["weights"]),
                            "--steps", str(info["steps"])]
                    for n in device["inputs"]:
                        args += ["--input", f"{n}={folder}/{model}.{n}.npy"]
                    for n in device["outputs"]:
                        args += ["--output", f"{n}={work}/{n}.npy"]
                    return args + ["--weights-out",
                                   os.path.join(work, device["weights"])]

                if len(devices) == 1:
                    command = device_args(devices[0])
                    if info["replicas"] > 1:
                        command = [mpirun, "--allow-run-as-root",
                                   "--oversubscribe", "-x", "CLEAVE_TRANSPORT",
                                   "-np", str(info["replicas"])] + command
                else:
                    # MPMD, a process per stage device (replicas: 1).
                    command = [mpirun, "--allow-run-as-root",
                               "--oversubscribe", "-x", "CLEAVE_TRANSPORT"]
                    for k, device in enumerate(devices):
                        command += [":"] * (k > 0) + ["-np", "1"]
                        command += device_args(device)
                env = dict(os.environ, CLEAVE_TRANSPORT="mpi")
                try:
                    proc = subprocess.run(command, capture_output=True,
                                          text=True, timeout=args.timeout,
                                          env=env)
                except subprocess.TimeoutExpired:
                    proc = None
                if proc is None or proc.returncode != 0:
                    entry.update(status="failed", detail="timed out" if not proc
                                 else error_line(proc.stdout + proc.stderr,
                                                 "failed"))
                else:
                    reference = np.load(os.path.join(folder, info["reference"]))
                    with open(os.path.join(folder, info["names"])) as f:
                        names = json.load(f)
                    saved = weights_variables(bundle, work)
                    losses = np.load(os.path.join(work, "loss.npy"))
                    loss_error = float(np.max(np.abs(
                        losses - reference["losses"]) /
                        np.abs(reference["losses"])))
                    worst = 0.0
                    for onnx_name, value in saved.items():
                        param, transposed = names.get(onnx_name,
                                                      [onnx_name, False])
                        if param in reference.files:
                            want = reference[param]
                            worst = max(worst, float(np.max(np.abs(
                                (value.T if transposed else value) - want))))
                    ok = loss_error <= 1e-4 and worst <= 1e-4
                    entry.update(status="passed" if ok else "failed",
                                 loss_rel_error=loss_error,
                                 param_max_abs=worst)
        results.append(entry)
        print(f"training {name}: {entry['status']} "
              f"{entry.get('detail', '')}{entry.get('param_max_abs', '')}")
    return {"models": results}


def run_sanitize(args):
    sanitizer = shutil.which("compute-sanitizer")
    results = []
    for model in ("gpt2_lm", "resnet50"):
        folder = os.path.join(args.root, model)
        entry = {"model": model}
        bundle = os.path.join(folder, "b2-fp32")
        if not sanitizer:
            entry.update(status="skipped", detail="no compute-sanitizer")
        elif not os.path.exists(os.path.join(bundle, "device_0")):
            entry.update(status="not built")
        else:
            with open(os.path.join(folder, "model.json")) as f:
                info = json.load(f)
            with open(os.path.join(bundle, "manifest.json")) as f:
                device = json.load(f)["devices"][0]
            inputs = {n: os.path.join(folder, f)
                      for n, f in info["inputs"].items()}
            command = [sanitizer, "--tool", "memcheck", "--error-exitcode",
                       "99", *device_command(bundle, inputs, {},
                                                  device["executable"])]
            try:
                proc = subprocess.run(command, capture_output=True, text=True,
                                      timeout=args.timeout)
                text = proc.stdout + proc.stderr
                found = [l for l in text.splitlines() if "ERROR SUMMARY" in l]
                entry.update(status="passed" if proc.returncode == 0
                             else "failed", rc=proc.returncode,
                             summary=found[-1] if found else "",
                             tail=text[-3000:] if proc.returncode else "")
            except subprocess.TimeoutExpired:
                entry.update(status="skipped",
                             detail=f"timed out after {args.timeout:.0f} s")
        print(f"sanitize {model}: {entry['status']} "
              f"{entry.get('summary', entry.get('detail', ''))}")
        results.append(entry)
    return {"models": results}


def main():
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawTextHelpFormatter)
    parser.add_argument("what",
                        choices=["models", "pipeline", "sanitize", "training"])
    parser.add_argument("--root", required=True)
    parser.add_argument("--timeout", type=float, default=120,
                        help="seconds for each run of a bundle")
    parser.add_argument("--json")
    args = parser.parse_args()
    args.root = os.path.abspath(args.root)
    summary = {"models": run_models, "pipeline": run_pipeline,
               "sanitize": run_sanitize, "training": run_training}[args.what](args)
    if args.json:
        with open(args.json, "w") as f:
            json.dump(summary, f, indent=1)
    entries = summary.get("models", [summary])
    return 0 if all(e["status"] in ("passed", "skipped")
                    for e in entries) else 1


if __name__ == "__main__":
    sys.exit(main())
