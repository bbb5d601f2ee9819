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
    for index, output_name in enumerate(outputs):
        got = np.load(os.path.join(bundle, f"out_{index}.npy"))
        want = load_pb(os.path.join(data_dir, f"output_{index}.pb"))
        if got.shape != want.shape:
            result.update(status="wrong result",
                          detail=f"{output_name}: shape {list(got.shape)}, "
                                 f"expected {list(want.shape)}")
            return result
        g, w = got.astype(np.float64), want.astype(np.float64)
        error = np.abs(g - w)
        bad = (error > ATOL + RTOL * np.abs(w)) & ~(np.isnan(g) & np.isnan(w))
        if bad.any():
            result.update(status="wrong result",
                          detail=f"{output_name}: max abs error "
                                 f"{float(np.nanmax(error)):.3g}")
            return result
    if KEEP_SOURCES:
        shutil.copy(os.path.join(bundle, "device_0.cc"),
                    os.path.join(KEEP_SOURCES, f"{suite}-{name}.cc"))
    shutil.rmtree(bundle, ignore_errors=True)
    result.update(status="passed",
                  detail="value inputs fixed" if fixed else "")
    return result


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
