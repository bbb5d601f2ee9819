#!/usr/bin/env python3
"""The cost model on training steps: calibrate this machine
(cleave-calibrate), compile each training test's AdamW step on one CPU
device with the calibrated machine file, run it (one thread) and print the
predicted step time beside the measured median step, with the mean
absolute percentage error (MAPE).

The models, their flags and their ten batches are the lit tests' own: the
first AdamW (else first) cleave-compile and cleave-run lines of
test/training/train.test and test/training/suite/*.test.

    python3 bench/training_cost_model.py --tools ../cleave-build/bin
        [--only gpt2_lm vit] [--costs roofline|profile|both]

With --costs profile (or both) each step is also compiled with its op
profile (cleave-calibrate --model with the test's compile flags).
"""
import argparse
import glob
import os
import re
import shlex
import subprocess
import sys
import tempfile

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
TESTS = os.path.join(ROOT, "test", "training")


def commands(test):
    """The test's first AdamW compile and its run (else its first pair),
    with %S filled in; None when it has none."""
    lines = [line.split("RUN:", 1)[1].strip() for line in open(test)
             if "RUN:" in line]
    pairs = []
    for i, line in enumerate(lines):
        words = shlex.split(line)
        if words[0] != "cleave-compile" or "--train" not in words or \
                "-o" not in words or "--dp=" in line or \
                "--microbatches" in line or "|" in words:
            continue
        out = words[words.index("-o") + 1]
        run = next((r for r in lines[i + 1:]
                    if r.startswith("cleave-run " + out + " ")), None)
        if run:
            pairs.append((line, run))
    if not pairs:
        return None
    compile_line, run_line = next(
        (p for p in pairs if "adamw" in p[0]), pairs[0])
    folder = os.path.dirname(test)
    fill = lambda s: shlex.split(s.replace("%S", folder))  # noqa: E731
    return fill(compile_line), fill(run_line)


def op_profile(tools, work, name, compile_args):
    """An op profile of the step (cleave-calibrate --model with the
    compile's own flags), for --op-profile."""
    model = compile_args[1]
    flags = [a for a in compile_args[2:] if not a.startswith("--target")]
    profile = os.path.join(work, name + "_ops.json")
    subprocess.run([os.path.join(tools, "cleave-calibrate"), "--model", model,
                    "--compile-flags", " ".join(flags), "-o", profile],
                   check=True, capture_output=True)
    return [f"--op-profile={profile}"]


def measured(tools, work, name, compile_args, run_args, machine, costs):
    """(ops, predicted ms, measured median ms) of one training step."""
    bundle = os.path.join(work, name + "_" + costs)
    out = compile_args.index("-o")
    compile_args = compile_args[:out] + compile_args[out + 2:]
    profile = (op_profile(tools, work, name, compile_args)
               if costs == "profile" else [])
    report = subprocess.run(
        [os.path.join(tools, "cleave-compile"), *compile_args[1:],
         "--num-devices=1", f"--machine={machine}", "--report", "-o", bundle,
         *profile],
        check=True, stdout=subprocess.PIPE, stderr=subprocess.STDOUT,
        text=True).stdout
    found = re.search(r"^cpu\S*\s+(\d+)", report, re.M)
    if not found:
        sys.exit(f"{name}: cleave-compile printed no report:\n{report}")
    ops = int(found.group(1))
    # The run's own flags, without its outputs and checkpoints.
    words = run_args[2:run_args.index(">")] if ">" in run_args else run_args[2:]
    keep, skip = [], False
    for word in words:
        if skip or word.startswith(("--output=", "--save", "--loss-out")):
            skip = False
        elif word == "--output":
            skip = True
        else:
            keep.append(word)
    text = subprocess.run(
        [os.path.join(tools, "cleave-run"), bundle, *keep, "--num-threads=1",
         "--report"], check=True, capture_output=True, text=True).stdout
    found = re.search(r"device_0\s+([0-9.]+)\s+([0-9.]+)", text)
    if not found:
        sys.exit(f"{name}: cleave-run printed no report:\n{text}")
    return ops, float(found.group(1)), float(found.group(2))


def main():
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--tools", default=os.path.join(ROOT, "..",
                                                        "cleave-build", "bin"))
    parser.add_argument("--only", nargs="*")
    parser.add_argument("--costs", choices=["roofline", "profile", "both"],
                        default="roofline")
    args = parser.parse_args()
    modes = ["roofline", "profile"] if args.costs == "both" else [args.costs]
    tests = [os.path.join(TESTS, "train.test")] + sorted(
        glob.glob(os.path.join(TESTS, "suite", "*.test")))
    errors = {mode: [] for mode in modes}
    with tempfile.TemporaryDirectory() as work:
        machine = os.path.join(work, "cpu.json")
        subprocess.run([os.path.join(args.tools, "cleave-calibrate"),
                        "--target=cpu", "-o", machine, "--devices", "1"],
                       check=True, capture_output=True)
        print(f"{'test':16} {'costs':9} {'ops':>6} {'predicted ms':>13} "
              f"{'measured ms':>12} {'error':>8}")
        for test, mode in ((t, m) for t in tests for m in modes):
            name = os.path.splitext(os.path.basename(test))[0]
            if args.only and name not in args.only:
                continue
            pair = commands(test)
            if not pair:
                continue
            try:
                ops, predicted, actual = measured(args.tools, work, name,
                                                  *pair, machine, mode)
            except subprocess.CalledProcessError as e:
                print(f"{name:16} skipped: {(e.stderr or '').strip()[:70]}")
                continue
            error = (predicted - actual) / actual
            errors[mode].append(abs(error))
            print(f"{name:16} {mode:9} {ops:>6} {predicted:>13.3f} "
                  f"{actual:>12.3f} {error * 100:>7.1f}%", flush=True)
    for mode, found in errors.items():
        if found:
            print(f"{mode}: MAPE over {len(found)} training steps "
                  f"{100 * sum(found) / len(found):.1f}%")


if __name__ == "__main__":
    main()
