#!/usr/bin/env python3
"""Pipeline-parallel training throughput: K one-thread stage processes
against one one-thread process, the same step (global batch, microbatches).

For each model, the step is compiled once for one device and once for K
pipeline stages (--num-devices=K, each schedule), all with M microbatches
(the same gradient accumulation, so the runs compute the same step), and
each bundle trains S steps from the same weights on the same seeded
batches. Runs alternate between the bundles, R rounds; the figure is the
median over rounds of the median step cleave-run prints (the slowest
process's). "waiting" is the stages' mean share of their step spent
waiting for other stages (cleave-run --report: the bubble and the
transfers), beside the schedule's bubble (p - 1) / (M + p - 1), or
(p - 1) / (v M + p - 1) for interleaved 1F1B with v stages per device.
"stage err" is the cost model's error on each device's compute per step
(cleave-run --report's predicted against measured, median over rounds),
averaged over the devices; the last line gives its mean over every
model, schedule and device (MAPE) and the worst.

    python3 bench/pipeline_training.py --tools ../cleave-build/bin
        [--steps 20] [--rounds 3] [--devices 2] [--microbatches 8]
        [--only gpt2_lm] [--schedules 1f1b gpipe interleaved:v=2 auto]
        [--machine cpu.json] [--op-profile [--profile-copies N]]
        [--unposted]

--unposted adds, for each schedule, the same bundle compiled with
--post-receives=false (each receive posted where its reader is, not one
receive ahead), run in the same rounds: what posting early saves.
"""
import argparse
import json
import os
import re
import statistics
import subprocess
import sys
import tempfile

import numpy as np

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from training_models import transformers  # noqa: E402

MODELS = transformers(16)


def parse(output, pattern, what):
    found = re.search(pattern, output)
    if not found:
        sys.exit(f"cleave-run printed no {what}:\n" + output)
    return float(found.group(1))


def main():
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--tools", required=True)
    parser.add_argument("--steps", type=int, default=20)
    parser.add_argument("--rounds", type=int, default=3)
    parser.add_argument("--devices", type=int, default=2)
    parser.add_argument("--microbatches", type=int, default=8)
    parser.add_argument("--schedules", nargs="*",
                        default=["1f1b", "gpipe", "interleaved"])
    parser.add_argument("--only", nargs="*")
    parser.add_argument("--machine", help="a machine file for the stages "
                        "(cleave-calibrate's; default: K one-core devices "
                        "of the local-cpu preset's figures)")
    parser.add_argument("--op-profile", action="store_true",
                        help="place the stages by measured op times "
                        "(cleave-calibrate --model of each step, one "
                        "thread) instead of the roofline")
    parser.add_argument("--profile-copies", type=int,
                        help="--op-profile: copies of the step timed at "
                        "once (cleave-calibrate --devices; default: as "
                        "many as --devices, the stages' contention)")
    parser.add_argument("--placed", action="store_true",
                        help="--op-profile: retime the ops as a first "
                        "placement's stages run them (cleave-calibrate "
                        "--placed-devices; the whole step timed alone "
                        "first)")
    parser.add_argument("--unposted", action="store_true",
                        help="also each schedule with --post-receives=false")
    args = parser.parse_args()
    if args.unposted:
        args.schedules = [tag for schedule in args.schedules
                          for tag in (schedule, schedule + " unposted")]
    rng = np.random.default_rng(0)
    p, m = args.devices, args.microbatches
    print(f"{'model':<13} {'schedule':<21} {'1 process ms':>13} "
          f"{f'{p} stages ms':>12} {'throughput':>11} {'waiting':>8} "
          f"{'bubble':>7} {'stage err':>11}")
    all_errors = []
    with tempfile.TemporaryDirectory() as work:
        for name, (path, loss, batch, dim, inputs, label) in MODELS.items():
            if args.only and name not in args.only:
                continue
            feeds = []
            for input, (shape, vocabulary) in list(inputs.items()) + [
                    (label[0], (label[1], label[2]))]:
                size = (args.steps, batch) + shape
                data = (rng.integers(0, vocabulary, size, np.int64)
                        if vocabulary else
                        rng.standard_normal(size).astype(np.float32))
                if input == "attention_mask":
                    data = np.ones(size, np.int64)
                file = os.path.join(work, f"{name}.{input}.npy")
                np.save(file, data)
                feeds += ["--input", f"{input}={file}"]

            step = [os.path.join(ROOT, path), "--train", f"--loss={loss}",
                    "--optimizer=adamw:lr=1e-3", f"--microbatches={m}",
                    f"--dim={dim}={batch}"]

            def compile(tag, extra):
                bundle = os.path.join(work, f"{name}-{tag}")
                subprocess.run(
                    [os.path.join(args.tools, "cleave-compile")] + step +
                    ["--target=cpu", "-o", bundle] + extra, check=True)
                return bundle

            profile = []
            if args.op_profile:
                ops = os.path.join(work, f"{name}-ops.json")
                subprocess.run(
                    [os.path.join(args.tools, "cleave-calibrate"), "--model",
                     step[0], "--compile-flags", " ".join(step[1:]),
                     f"--devices={args.profile_copies or (1 if args.placed else p)}",
                     "-o", ops] +
                    ([f"--placed-devices={p}", "--machine=" + (
                        args.machine or machine_file(work, p))]
                     if args.placed else []),
                    check=True, capture_output=True)
                profile = [f"--op-profile={ops}"]
            bundles = {"one": compile("one", [])}
            for tag in args.schedules:
                schedule, _, unposted = tag.partition(" ")
                bundles[tag] = compile(
                    tag.replace(" ", "-"),
                    (["--post-receives=false"] if unposted else []) +
                    [f"--num-devices={p}", f"--schedule={schedule}",
                               "--machine=" + (args.machine or
                                               machine_file(work, p))] +
                    profile)
            # What --schedule=auto chose, as the bundle records it.
            shown = {}
            for tag in args.schedules:
                with open(os.path.join(bundles[tag], "manifest.json")) as f:
                    chosen = json.load(f).get("schedule", "")
                shown[tag] = (tag.replace("auto", f"auto={chosen}")
                              if tag.startswith("auto") else tag)
            steps = {tag: [] for tag in bundles}
            waiting = {tag: [] for tag in bundles}
            errors = {tag: {} for tag in bundles}
            bubble = {}
            for _ in range(args.rounds):
                for tag, bundle in bundles.items():
                    out = subprocess.run(
                        [os.path.join(args.tools, "cleave-run"), bundle,
                         f"--steps={args.steps}", "--num-threads=1",
                         "--report"] + feeds,
                        check=True, capture_output=True, text=True).stdout
                    steps[tag].append(parse(out, r"median step ([0-9.]+) ms",
                                            "step time"))
                    if tag != "one":
                        waiting[tag].append(parse(
                            out, r"wait ([0-9.]+)% of their step",
                            "waiting share"))
                        bubble[tag] = parse(
                            out, r"bubble \(p - 1\) / \([^)]*\) = "
                            r"([0-9.]+)%", "bubble")
                        # Each device's predicted against measured compute.
                        for device, error in re.findall(
                                r"^device_(\d+)\s+[0-9.]+\s+[0-9.]+\s+"
                                r"(-?[0-9.]+)%", out, re.M):
                            errors[tag].setdefault(device, []).append(
                                abs(float(error)))
            one = statistics.median(steps["one"])
            for schedule in args.schedules:
                staged = statistics.median(steps[schedule])
                stage_errors = [statistics.median(e)
                                for e in errors[schedule].values()]
                all_errors.extend(stage_errors)
                print(f"{name:<13} {shown[schedule]:<21} {one:>13.3f} "
                      f"{staged:>12.3f} "
                      f"{one / staged:>10.2f}x "
                      f"{statistics.median(waiting[schedule]):>7.1f}% "
                      f"{bubble[schedule]:>6.1f}% "
                      f"{statistics.mean(stage_errors or [0]):>10.1f}%")
    if all_errors:
        print(f"cost model per stage (device): mean absolute error "
              f"{statistics.mean(all_errors):.1f}%, worst "
              f"{max(all_errors):.1f}%, over {len(all_errors)} stages")


def machine_file(work, devices):
    """One-core CPU devices, as many as asked (local-cpu has one per core
    of this machine, which may be fewer)."""
    path = os.path.join(work, f"cpu-x{devices}.json")
    with open(path, "w") as f:
        f.write('{"name": "cpu-bench", "devices": [{"name": "cpu", '
                '"kind": "cpu", "count": %d, "peak_flops": {"f32": 80e9}, '
                '"memory_bandwidth": 10e9, "memory_capacity": 8e9, '
                '"launch_overhead": 2e-6}], "links": [{"level": "node", '
                '"bandwidth": 5e9, "latency": 2e-6}]}' % devices)
    return path


if __name__ == "__main__":
    main()
