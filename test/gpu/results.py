#!/usr/bin/env python3
"""check.sh's helpers for the results file.

  results.py env STEPS/env.json         the machine: GPU, driver, nvcc, Python
                                        packages, mpirun (printed and saved)
  results.py build WORK STEPS/build.json   the bundle builds' outcomes
  results.py merge STEPS PREPARED.json RESULTS.json
                                        every step's status (STEPS/<step>.status,
                                        "rc seconds limit") and data
                                        (STEPS/<step>.json) in one file
  results.py summary RESULTS.json       one line per step; exit 1 unless
                                        every step is ok
"""
import glob
import json
import os
import platform
import shutil
import subprocess
import sys
import time

STEPS = ["unpack", "env", "build", "node", "models", "pipeline", "training",
         "bench", "sanitize"]


def output(command):
    try:
        proc = subprocess.run(command, capture_output=True, text=True,
                              timeout=10)
        return (proc.stdout + proc.stderr).strip()
    except (OSError, subprocess.TimeoutExpired) as e:
        return f"({e})"


def env_info(path):
    info = {"host": platform.node(), "python": sys.version.split()[0]}
    info["nvidia_smi"] = output(["nvidia-smi", "--query-gpu=name,driver_version,"
                                 "memory.total,clocks.max.sm",
                                 "--format=csv,noheader"])
    info["nvcc"] = output(["nvcc", "--version"]).splitlines()[-1:]
    for module in ("torch", "onnx", "onnxruntime", "numpy"):
        try:
            info[module] = __import__(module).__version__
        except Exception as e:  # Recorded, not fatal.
            info[module] = f"({type(e).__name__}: {e})"
    try:
        import torch
        info["torch_cuda"] = torch.version.cuda
        info["torch_gpu"] = (torch.cuda.get_device_name(0)
                             if torch.cuda.is_available() else None)
    except Exception as e:
        info["torch_gpu"] = f"({type(e).__name__}: {e})"
    mpirun = shutil.which("mpirun")
    info["mpirun"] = mpirun
    if mpirun:
        info["mpirun_version"] = output([mpirun, "--version"]).splitlines()[:1]
        try:
            probe = subprocess.run([mpirun, "--allow-run-as-root", "-np", "2",
                                    "true"], capture_output=True, text=True,
                                   timeout=10)
            info["mpirun_np2_true"] = (
                "ok" if probe.returncode == 0 else f"exit {probe.returncode}: "
                + (probe.stderr + probe.stdout)[-2000:])
        except subprocess.TimeoutExpired:
            info["mpirun_np2_true"] = "timed out after 10 s"
    for key in ("LD_LIBRARY_PATH", "CLEAVE_LIB_DIR", "CLEAVE_CUDA_ARCH"):
        info[key] = os.environ.get(key)
    print(json.dumps(info, indent=1))
    with open(path, "w") as f:
        json.dump(info, f, indent=1)


def build_summary(work, path):
    """Every bundle with a build.sh: built (exit 0), failed, or not built
    (no exit code: the step ran out of time first)."""
    counts = {"built": 0, "failed": 0, "not built": 0}
    failures = []
    scripts = sorted(glob.glob(os.path.join(work, "*", "*", "build.sh")) +
                     glob.glob(os.path.join(work, "*", "*", "*", "build.sh")))
    for script in scripts:
        folder = os.path.dirname(script)
        name = os.path.relpath(folder, work)
        rc_file = os.path.join(folder, "build.rc")
        if not os.path.exists(rc_file):
            counts["not built"] += 1
            continue
        with open(rc_file) as f:
            rc = int(f.read().strip() or -1)
        if rc == 0:
            counts["built"] += 1
            continue
        counts["failed"] += 1
        log = ""
        if os.path.exists(os.path.join(folder, "build.log")):
            with open(os.path.join(folder, "build.log"),
                      errors="replace") as f:
                log = f.read()
        # The first failures in full (their log's end), the rest by name.
        failures.append({"bundle": name, "rc": rc,
                         "log_tail": log[-3000:] if len(failures) < 10
                         else (log.strip().splitlines() or [""])[-1]})
    summary = {"bundles": len(scripts), "counts": counts,
               "failures": failures}
    with open(path, "w") as f:
        json.dump(summary, f, indent=1)
    print(f"builds: {len(scripts)} bundles: " +
          ", ".join(f"{n} {k}" for k, n in counts.items()))
    for failure in failures[:10]:
        print(f"FAILED {failure['bundle']} (exit {failure['rc']}):")
        print("\n".join(failure["log_tail"].splitlines()[-15:]))
    return 1 if failures else 0


def merge(steps_dir, prepared, path):
    results = {"written": time.strftime("%Y-%m-%d %H:%M:%S"), "steps": {}}
    if os.path.exists(prepared):
        with open(prepared) as f:
            results["prepared"] = json.load(f)
    for step in STEPS:
        status_file = os.path.join(steps_dir, step + ".status")
        if not os.path.exists(status_file):
            continue
        with open(status_file) as f:
            rc, seconds, limit = f.read().split()
        entry = {"status": {"0": "ok", "124": "timed out", "137": "timed out",
                            "skip": "skipped"}.get(rc, "failed"),
                 "rc": int(rc) if rc.isdigit() else None,
                 "seconds": int(seconds), "limit_s": int(limit)}
        data = os.path.join(steps_dir, step + ".json")
        if os.path.exists(data):
            try:
                with open(data) as f:
                    entry["data"] = json.load(f)
            except ValueError as e:
                entry["data_error"] = str(e)
        log = os.path.join(steps_dir, step + ".log")
        if entry["status"] != "ok" and os.path.exists(log):
            with open(log, errors="replace") as f:
                entry["log_tail"] = f.read()[-4000:]
        results["steps"][step] = entry
    with open(path + ".tmp", "w") as f:
        json.dump(results, f, indent=1)
    os.replace(path + ".tmp", path)


def summary(path):
    with open(path) as f:
        steps = json.load(f)["steps"]
    for step, entry in steps.items():
        data, note = entry.get("data", {}), ""
        if step in ("build", "node"):
            note = ", ".join(f"{n} {k}" for k, n in
                             data.get("counts", {}).items())
        elif step in ("models", "sanitize", "training"):
            note = ", ".join(f"{m['model']} {m['status']}"
                             for m in data.get("models", []))
        elif step == "pipeline":
            note = f"{data.get('status', '')} {data.get('detail', '')}"
        elif step == "bench" and data.get("rows"):
            note = (f"{sum('ratio' in r for r in data['rows'])} of "
                    f"{len(data['rows'])} measured")
        print(f"{step:9} {entry['status']:9} {entry['seconds']:4}s  "
              f"{note.strip()}")
    return 0 if all(e["status"] == "ok" for e in steps.values()) else 1


def main():
    what = sys.argv[1] if len(sys.argv) > 1 else ""
    if what == "env":
        env_info(sys.argv[2])
    elif what == "build":
        return build_summary(sys.argv[2], sys.argv[3])
    elif what == "merge":
        merge(*sys.argv[2:5])
    elif what == "summary":
        return summary(sys.argv[2])
    else:
        sys.exit(__doc__)
    return 0


if __name__ == "__main__":
    sys.exit(main())
