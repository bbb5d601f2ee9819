#!/usr/bin/env python3
"""Numeric conformance of the CPU target over the ONNX backend test data.

For every test of the node, pytorch-converted, pytorch-operator and simple
suites whose model imports: compile it with `cleave-compile --target=cpu`,
run the bundle with cleave-run on test_data_set_0's inputs, and compare each
output with the expected output_*.pb (rtol 1e-3, atol 1e-5).

Categories:
  passed        every output within tolerance
  wrong result  an output differs (the worst element is reported)
  no kernel     the model imports but uses an op or type the CPU target
                cannot run yet (the compiler names it)
  error         compiling or running failed for another reason
A Dropout in training mode draws its mask from a generator (NumPy's in the
test data), so a test of that op alone whose values differ is checked by
what every draw satisfies: kept elements are x / (1 - ratio), dropped ones
0, the mask says which, and the number dropped is within 5 standard
deviations of ratio * n.
Tests that do not import (unsupported ops or types, see the importer
conformance) are skipped, and so are those with bfloat16 graph inputs or
outputs: ONNX 1.12's test data stores those tensors as uint16. The exit code is non-zero if a test compiles but
gives a wrong result or fails to run.

  python3 test/conformance/numeric_conformance.py --tools build/bin \\
      --report build/conformance/numeric-report.md
"""
import argparse
import collections
import concurrent.futures
import os
import re
import shutil
import subprocess
import sys
import tempfile

import numpy as np
import onnx
from onnx import numpy_helper

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import import_conformance as ic  # noqa: E402

RTOL, ATOL = 1e-3, 1e-5
# --keep-sources: where to copy each passing test's device_0.cc.
KEEP_SOURCES = ""


def load_pb(path):
    tensor = onnx.TensorProto()
    with open(path, "rb") as f:
        tensor.ParseFromString(f.read())
    return numpy_helper.to_array(tensor)


def run_test(tools, suite, name, work):
    test_dir = os.path.join(ic.DATA_ROOT, suite, name)
    model_path = os.path.join(test_dir, "model.onnx")
    model = onnx.load(model_path, load_external_data=False)
    ops = sorted(ic.graph_ops(model.graph))
    result = {"suite": suite, "name": name, "ops": ops, "detail": ""}
    if set(ops) - ic.SUPPORTED_OPS or ic.uses_unsupported_type(model):
        result["status"] = "skipped"
        return result
    bf16 = onnx.TensorProto.BFLOAT16
    if any(v.type.tensor_type.elem_type == bf16
           for v in list(model.graph.input) + list(model.graph.output)):
        result.update(status="skipped", detail="bfloat16 stored as uint16")
        return result
    data_dir = os.path.join(test_dir, "test_data_set_0")
    bundle = os.path.join(work, f"{suite}-{name}")

    def run(cmd):
        try:
            return subprocess.run(cmd, capture_output=True, text=True,
                                  timeout=300)
        except subprocess.TimeoutExpired:
            return subprocess.CompletedProcess(cmd, 124, "", "timed out")

    compile_cmd = [os.path.join(tools, "cleave-compile"), model_path,
                   "--target=cpu", "-o", bundle]
    proc = run(compile_cmd)
    fixed = []
    # Inputs that fix shapes (import) or kernel parameters (a Clip bound, a
    # Trilu diagonal) must be compile-time values: fix the small ones.
    if proc.returncode != 0 and re.search(
            r"not a constant|must be (a )?constants?|are a constant",
            proc.stderr):
        fixed = ic.small_inputs(test_dir, model)
        proc = run(compile_cmd + fixed)
    if proc.returncode != 0:
        message = proc.stderr.strip().splitlines()
        first = message[0] if message else f"exit {proc.returncode}"
        if "cannot run on the CPU target yet" in proc.stderr:
            op = re.search(r"'(cleave\.[a-z_0-9]+)'", proc.stderr)
            why = re.search(r"target yet: (.*)", proc.stderr)
            result.update(status="no kernel",
                          detail=f"{op.group(1) if op else '?'}: "
                                 f"{why.group(1) if why else ''}")
        elif ("import" in first or "unsupported" in first or
              "depends on the values" in first):
            result.update(status="skipped", detail=first)
        else:
            result.update(status="error", detail=first)
        return result

    fixed_names = {f.split("=", 1)[1].split("=")[0] for f in fixed}
    inits = {t.name for t in model.graph.initializer}
    inputs = [i.name for i in model.graph.input if i.name not in inits]
    command = [os.path.join(tools, "cleave-run"), bundle]
    for index, input_name in enumerate(inputs):
        if input_name in fixed_names:
            continue
        command += ["--input",
                    f"{input_name}={os.path.join(data_dir, f'input_{index}.pb')}"]
    outputs = [o.name for o in model.graph.output]
    for index, output_name in enumerate(outputs):
        command += ["--output",
                    f"{output_name}={os.path.join(bundle, f'out_{index}.npy')}"]
    proc = run(command)
    if proc.returncode != 0:
        lines = (proc.stderr.strip() or f"exit {proc.returncode}").splitlines()
        result.update(status="error", detail=lines[0])
        return result
    got_all = [np.load(os.path.join(bundle, f"out_{index}.npy"))
               for index in range(len(outputs))]
    mismatch, note = None, ""
    for index, output_name in enumerate(outputs):
        got = got_all[index]
        want = load_pb(os.path.join(data_dir, f"output_{index}.pb"))
        if got.shape != want.shape:
            mismatch = (f"{output_name}: shape {list(got.shape)}, "
                        f"expected {list(want.shape)}")
            break
        g, w = got.astype(np.float64), want.astype(np.float64)
        error = np.abs(g - w)
        bad = (error > ATOL + RTOL * np.abs(w)) & ~(np.isnan(g) & np.isnan(w))
        if bad.any():
            mismatch = (f"{output_name}: max abs error "
                        f"{float(np.nanmax(error)):.3g}")
            break
    if (mismatch and "shape" not in mismatch and
            set(result["ops"]) == {"Dropout"}):
        # A training-mode Dropout's mask comes from a generator (NumPy's in
        # the test data): check what any mask must satisfy instead.
        holds, note = dropout_holds(data_dir, inputs, got_all)
        mismatch = None if holds else note
    if mismatch:
        result.update(status="wrong result", detail=mismatch)
        return result
    if KEEP_SOURCES:
        shutil.copy(os.path.join(bundle, "device_0.cc"),
                    os.path.join(KEEP_SOURCES, f"{suite}-{name}.cc"))
    shutil.rmtree(bundle, ignore_errors=True)
    result.update(status="passed",
                  detail=note or ("value inputs fixed" if fixed else ""))
    return result


def dropout_holds(data_dir, inputs, got):
    """Whether a Dropout's outputs are a valid draw: each y is x / (1 - r)
    where kept and 0 where dropped, the mask (if asked for) says which, and
    the number dropped is within 5 standard deviations of r n."""
    x = load_pb(os.path.join(data_dir, "input_0.pb")).astype(np.float64)
    ratio = 0.5
    if len(inputs) > 1:
        ratio = float(load_pb(os.path.join(data_dir, "input_1.pb")))
    training = (len(inputs) > 2 and
                bool(load_pb(os.path.join(data_dir, "input_2.pb"))))
    if not training:
        ratio = 0.0
    y = got[0].astype(np.float64)
    dropped = (y == 0) & (x != 0)
    kept = ~dropped
    scaled = x / (1 - ratio)
    if not np.allclose(y[kept], scaled[kept], rtol=1e-6, atol=0):
        return False, "random: a kept element is not x / (1 - ratio)"
    if len(got) > 1 and not np.array_equal(got[1][x != 0],
                                           kept[x != 0]):
        return False, "random: the mask differs from the elements kept"
    n, count = x.size, int(dropped.sum())
    spread = 5 * np.sqrt(n * ratio * (1 - ratio)) + 1
    if abs(count - ratio * n) > spread:
        return False, (f"random: {count} of {n} dropped, expected about "
                       f"{ratio * n:.0f}")
    return True, (f"random: checked by property ({count} of {n} dropped at "
                  f"ratio {ratio:g}; kept ones x / (1 - ratio))")


def write_report(path, results):
    os.makedirs(os.path.dirname(os.path.abspath(path)), exist_ok=True)
    counts = collections.Counter(r["status"] for r in results)
    kernels = collections.Counter(r["detail"].split(":")[0] for r in results
                                  if r["status"] == "no kernel")
    by_op = collections.defaultdict(collections.Counter)
    for r in results:
        if r["status"] not in ("skipped", "no kernel"):
            for op in r["ops"]:
                by_op[op][r["status"]] += 1
    with open(path, "w") as f:
        f.write("# CPU numeric conformance (ONNX backend test data)\n\n"
                f"Tolerance: rtol {RTOL}, atol {ATOL}.\n\n")
        for status in ("passed", "wrong result", "error", "no kernel",
                       "skipped"):
            f.write(f"- {status}: {counts[status]}\n")
        f.write("\n## By op (tests that compiled)\n\n"
                "| op | passed | wrong result | error |\n|---|---|---|---|\n")
        for op in sorted(by_op):
            c = by_op[op]
            f.write(f"| {op} | {c['passed']} | {c['wrong result']} | "
                    f"{c['error']} |\n")
        f.write("\n## Ops without a CPU kernel yet (tests blocked)\n\n")
        for op, n in kernels.most_common():
            f.write(f"- {op}: {n}\n")
        f.write("\n## By test\n\n| suite | test | status | detail |\n"
                "|---|---|---|---|\n")
        for r in results:
            if r["status"] != "skipped":
                detail = r["detail"].replace("|", "\\|")
                f.write(f"| {r['suite']} | {r['name']} | {r['status']} | "
                        f"{detail} |\n")


def main():
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawTextHelpFormatter)
    parser.add_argument("--tools", required=True)
    parser.add_argument("--report", default="numeric-report.md")
    parser.add_argument("--jobs", type=int, default=os.cpu_count() or 2)
    parser.add_argument("--filter", default="")
    parser.add_argument("--keep-sources", default="",
                        help="copy each test's device_0.cc here (to diff the "
                             "code a compiler change emits)")
    args = parser.parse_args()
    ic.set_supported_ops(args.tools)
    tests = [(suite, name) for suite in ic.SUITES
             for name in sorted(os.listdir(os.path.join(ic.DATA_ROOT, suite)))
             if args.filter in name and os.path.exists(
                 os.path.join(ic.DATA_ROOT, suite, name, "model.onnx"))]
    global KEEP_SOURCES
    KEEP_SOURCES = args.keep_sources
    if KEEP_SOURCES:
        os.makedirs(KEEP_SOURCES, exist_ok=True)
    work = tempfile.mkdtemp(prefix="cleave-numeric-")
    try:
        with concurrent.futures.ThreadPoolExecutor(args.jobs) as pool:
            results = list(pool.map(
                lambda t: run_test(args.tools, *t, work), tests))
    finally:
        shutil.rmtree(work, ignore_errors=True)
    write_report(args.report, results)
    failures = [r for r in results if r["status"] in ("wrong result", "error")]
    for r in failures:
        print(f"FAIL {r['suite']}/{r['name']}: {r['status']}: {r['detail']}")
    counts = collections.Counter(r["status"] for r in results)
    ran = counts["passed"] + len(failures)
    print(f"numeric conformance (cpu): {counts['passed']} of {ran} compiled "
          f"tests match; {counts['no kernel']} wait for a kernel; "
          f"report: {args.report}")
    print(f"{counts['passed']} passed, {len(failures)} failed")
    return 1 if failures else 0


if __name__ == "__main__":
    sys.exit(main())
