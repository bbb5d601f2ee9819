#!/usr/bin/env python3
"""Importer conformance over the ONNX backend test data (libonnx-testdata).

For every test model (suites node, pytorch-converted, pytorch-operator,
simple): import it with cleave-translate, then check that each output of
@main has the dtype and shape of the expected test_data_set_0/output_*.pb.

Each test lands in one category:
  passed         every output type matches
  wrong type     imported, but an output type differs from the expected one
  import error   the importer rejected a model whose ops are all supported
  unsupported    the model uses an op outside Cleave's supported set
  unsupported type  the model uses strings, sequences, maps or optionals
  data-dependent shape  an output's shape depends on input values (NonZero,
                 Compress) that the test feeds at run time, too large for
                 the harness to fix (the importer says so)

Cleave needs static shapes. When a test feeds a shape-determining value
(a Reshape target, Resize scales, Range bounds, ...) as a graph input, the
harness fixes the small inputs to their test values with --input-value, as
a user compiling for a known shape would; such passes are counted apart.
Documented exception: ONNX 1.12's data stores BFLOAT16 outputs as UINT16, so
a declared bf16 output matches an expected ui16 tensor of the same shape.

A markdown report lists results by test and by op. The exit code is non-zero
when any test whose ops are all supported fails, so CI catches regressions.

  python3 test/conformance/import_conformance.py --tools build/bin \
      --report build/conformance/import-report.md
"""
import argparse
import collections
import concurrent.futures
import os
import re
import subprocess
import sys

import onnx

DATA_ROOT = "/usr/share/libonnx-testdata/data"
SUITES = ["node", "pytorch-converted", "pytorch-operator", "simple"]

# The ONNX operators the foundation issue asks for (default domain): the
# importer must handle every one of them (set_supported_ops checks).
REQUIRED_OPS = set("""
Abs Add And ArgMax ArgMin AveragePool BatchNormalization Cast Ceil Clip Concat
Constant ConstantOfShape Conv ConvTranspose Cos CumSum Div Dropout Einsum Elu
Equal Erf Exp Expand Flatten Floor Gather GatherElements Gelu Gemm
GlobalAveragePool GlobalMaxPool Greater GreaterOrEqual HardSigmoid HardSwish
Identity InstanceNormalization LayerNormalization LeakyRelu Less LessOrEqual
Log LogSoftmax LRN MatMul Max MaxPool Mean Min Mod Mul Neg Not Or Pad Pow PRelu
Range Reciprocal ReduceL2 ReduceLogSumExp ReduceMax ReduceMean ReduceMin
ReduceProd ReduceSum ReduceSumSquare Relu Reshape Resize Round Selu Shape
Sigmoid Sign Sin Size Slice Softmax Softplus Softsign Split Sqrt Squeeze Sub Sum
Tanh Tile TopK Transpose Trilu Unsqueeze Where Xor
""".split())

# What the importer supports (cleave-compile --list-onnx-ops): tests whose
# ops are all in it must import.
SUPPORTED_OPS = set()


def set_supported_ops(tools):
    """Reads the importer's operators; fails if a required one is missing."""
    listed = subprocess.run(
        [os.path.join(tools, "cleave-compile"), "--list-onnx-ops"],
        capture_output=True, text=True, check=True).stdout.split()
    missing = REQUIRED_OPS - set(listed)
    if missing:
        sys.exit(f"the importer lost required operators: {sorted(missing)}")
    SUPPORTED_OPS.clear()
    SUPPORTED_OPS.update(listed)

MLIR_ELEMENT = {
    onnx.TensorProto.FLOAT: "f32", onnx.TensorProto.DOUBLE: "f64",
    onnx.TensorProto.FLOAT16: "f16", onnx.TensorProto.BFLOAT16: "bf16",
    onnx.TensorProto.INT8: "i8", onnx.TensorProto.INT16: "i16",
    onnx.TensorProto.INT32: "i32", onnx.TensorProto.INT64: "i64",
    onnx.TensorProto.UINT8: "ui8", onnx.TensorProto.UINT16: "ui16",
    onnx.TensorProto.UINT32: "ui32", onnx.TensorProto.UINT64: "ui64",
    onnx.TensorProto.BOOL: "i1",
}


def graph_ops(graph):
    """Op types used by a graph, subgraphs included."""
    ops = set()
    for node in graph.node:
        ops.add(node.op_type if node.domain in ("", "ai.onnx")
                else f"{node.domain}.{node.op_type}")
        for attr in node.attribute:
            if attr.type == onnx.AttributeProto.GRAPH:
                ops |= graph_ops(attr.g)
            for g in attr.graphs:
                ops |= graph_ops(g)
    return ops


def uses_unsupported_type(model):
    """True if the model needs strings or non-tensor values."""
    def bad_value(info):
        t = info.type
        return (not t.HasField("tensor_type") or
                t.tensor_type.elem_type == onnx.TensorProto.STRING)
    g = model.graph
    if any(bad_value(v) for v in list(g.input) + list(g.output)):
        return True
    if any(t.data_type == onnx.TensorProto.STRING for t in g.initializer):
        return True
    for node in g.node:
        for attr in node.attribute:
            if node.op_type == "Cast" and attr.name == "to" and \
                    attr.i == onnx.TensorProto.STRING:
                return True
    return False


def small_inputs(test_dir, model):
    """--input-value flags for the test's inputs of at most 64 elements."""
    data_dir = os.path.join(test_dir, "test_data_set_0")
    inits = {t.name for t in model.graph.initializer}
    names = [i.name for i in model.graph.input if i.name not in inits]
    flags = []
    for index, name in enumerate(names):
        pb = os.path.join(data_dir, f"input_{index}.pb")
        if not os.path.exists(pb):
            continue
        tensor = onnx.TensorProto()
        with open(pb, "rb") as f:
            tensor.ParseFromString(f.read())
        count = 1
        for d in tensor.dims:
            count *= d
        if count <= 64:
            flags.append(f"--input-value={name}={pb}")
    return flags


def types_match(expected, got):
    if len(expected) != len(got):
        return False
    for e, g in zip(expected, got):
        if e != g and not (g.endswith("xbf16>") and
                           e == g[:-len("bf16>")] + "ui16>"):
            return False
    return True


def expected_types(test_dir):
    """MLIR tensor types of output_*.pb, or None if one is not a tensor."""
    data_dir = os.path.join(test_dir, "test_data_set_0")
    files = sorted((f for f in os.listdir(data_dir) if f.startswith("output_")),
                   key=lambda f: int(re.findall(r"\d+", f)[0]))
    types = []
    for name in files:
        tensor = onnx.TensorProto()
        with open(os.path.join(data_dir, name), "rb") as f:
            tensor.ParseFromString(f.read())
        if tensor.data_type not in MLIR_ELEMENT:
            return None
        dims = "".join(f"{d}x" for d in tensor.dims)
        types.append(f"tensor<{dims}{MLIR_ELEMENT[tensor.data_type]}>")
    return types


def returned_types(mlir_text):
    """Types after ':' on the return of @main."""
    match = re.search(r"^\s*return\s+[^:]*:\s*(.*)$", mlir_text, re.M)
    if not match:
        return []
    return re.findall(r"tensor<[^>]*>", match.group(1))


def run_test(tools, suite, name):
    test_dir = os.path.join(DATA_ROOT, suite, name)
    model_path = os.path.join(test_dir, "model.onnx")
    model = onnx.load(model_path, load_external_data=False)
    ops = graph_ops(model.graph)
    result = {"suite": suite, "name": name, "ops": sorted(ops)}
    unsupported = sorted(ops - SUPPORTED_OPS)
    if unsupported:
        result.update(status="unsupported", detail=", ".join(unsupported))
        return result
    if uses_unsupported_type(model):
        result.update(status="unsupported type", detail="")
        return result
    command = [os.path.join(tools, "cleave-translate"), "--import-onnx",
               model_path, "--mlir-elide-resource-strings-if-larger=16"]
    def run(cmd):
        try:
            return subprocess.run(cmd, capture_output=True, text=True,
                                  timeout=300)
        except subprocess.TimeoutExpired:
            return subprocess.CompletedProcess(cmd, 124, "",
                                               "timed out after 300 s")
    proc = run(command)
    fixed = False
    if proc.returncode != 0 and "constant" in proc.stderr:
        flags = small_inputs(test_dir, model)
        if flags:
            proc = run(command + flags)
            fixed = True
    if proc.returncode != 0:
        detail = (proc.stderr.strip() or f"exit {proc.returncode}")
        status = ("data-dependent shape" if "depends on the values" in detail
                  else "import error")
        result.update(status=status, detail=detail.splitlines()[0])
        return result
    expected = expected_types(test_dir)
    got = returned_types(proc.stdout)
    if expected is not None and not types_match(expected, got):
        result.update(status="wrong type",
                      detail=f"expected {expected}, got {got}")
        return result
    result.update(status="passed",
                  detail="value inputs fixed" if fixed else "")
    return result


# Why each operator outside the supported set is, so the report lists the
# tests left out by reason.
SEQUENCES = ("sequence or optional values: Cleave's graphs and bundles hold "
             "tensors only")
TRAINING = ("ONNX's preview training ops: Cleave differentiates the graph "
            "itself (cleave-compile --train)")
RANDOM = ("random values: the expected outputs come from NumPy's generator, "
          "which a compiled kernel does not reproduce")
NOT_YET = "not yet: no importer rule"
UNSUPPORTED_REASONS = {
    **{op: SEQUENCES for op in (
        "SequenceAt", "SequenceConstruct", "SequenceEmpty", "SequenceErase",
        "SequenceInsert", "SequenceLength", "SequenceMap", "SplitToSequence",
        "ConcatFromSequence", "Optional", "OptionalGetElement",
        "OptionalHasElement")},
    **{op: TRAINING for op in (
        "ai.onnx.preview.training.Adagrad", "ai.onnx.preview.training.Adam",
        "ai.onnx.preview.training.Momentum",
        "ai.onnx.preview.training.Gradient")},
    "StringNormalizer": "strings: Cleave has no string tensors",
    "Bernoulli": RANDOM,
    "RandomUniformLike": RANDOM,
    "NonMaxSuppression": ("data-dependent shape: the number of boxes kept "
                          "depends on the scores"),
}


def write_report(path, results):
    os.makedirs(os.path.dirname(os.path.abspath(path)), exist_ok=True)
    counts = collections.Counter(r["status"] for r in results)
    by_op = collections.defaultdict(collections.Counter)
    unsupported_by_op = collections.defaultdict(list)
    for r in results:
        if r["status"] == "unsupported type":
            continue
        if r["status"] == "unsupported":
            for op in r["detail"].split(", "):
                unsupported_by_op[op].append(r["name"])
        else:
            for op in r["ops"]:
                by_op[op][r["status"]] += 1
    with open(path, "w") as f:
        f.write("# Importer conformance (ONNX backend test data)\n\n")
        for status in ("passed", "wrong type", "import error", "unsupported",
                       "unsupported type", "data-dependent shape"):
            f.write(f"- {status}: {counts[status]}\n")
        fixed = sum(1 for r in results if r["detail"] == "value inputs fixed")
        f.write(f"- passed with small inputs fixed by --input-value: {fixed}\n")
        f.write(f"- total: {len(results)}\n\n## By supported op\n\n")
        f.write("| op | passed | wrong type | import error |\n|---|---|---|---|\n")
        for op in sorted(by_op):
            c = by_op[op]
            f.write(f"| {op} | {c['passed']} | {c['wrong type']} | "
                    f"{c['import error']} |\n")
        f.write("\n## Unsupported ops (tests using them, and why)\n\n")
        for op in sorted(unsupported_by_op, key=lambda o: -len(unsupported_by_op[o])):
            why = UNSUPPORTED_REASONS.get(op, NOT_YET)
            f.write(f"- {op}: {len(unsupported_by_op[op])} ({why})\n")
        reasons = collections.Counter()
        for r in results:
            if r["status"] == "unsupported":
                reasons[sorted(UNSUPPORTED_REASONS.get(op, NOT_YET)
                               for op in r["detail"].split(", "))[0]] += 1
            elif r["status"] == "unsupported type":
                reasons["strings, sequences, maps or optionals as values "
                        "(unsupported types)"] += 1
        f.write("\n## Tests left out, by reason\n\n")
        for why, count in reasons.most_common():
            f.write(f"- {count}: {why}\n")
        f.write("\n## By test\n\n| suite | test | status | detail |\n"
                "|---|---|---|---|\n")
        for r in results:
            detail = r["detail"].replace("|", "\\|")
            f.write(f"| {r['suite']} | {r['name']} | {r['status']} | {detail} |\n")


def main():
    parser = argparse.ArgumentParser(description=__doc__,
                                     formatter_class=argparse.RawTextHelpFormatter)
    parser.add_argument("--tools", required=True, help="folder of cleave-translate")
    parser.add_argument("--report", default="import-report.md")
    parser.add_argument("--jobs", type=int, default=os.cpu_count() or 2)
    parser.add_argument("--filter", default="", help="only tests containing this")
    args = parser.parse_args()
    set_supported_ops(args.tools)

    tests = [(suite, name) for suite in SUITES
             for name in sorted(os.listdir(os.path.join(DATA_ROOT, suite)))
             if args.filter in name and
             os.path.exists(os.path.join(DATA_ROOT, suite, name, "model.onnx"))]
    with concurrent.futures.ThreadPoolExecutor(args.jobs) as pool:
        results = list(pool.map(lambda t: run_test(args.tools, *t), tests))
    write_report(args.report, results)

    failures = [r for r in results if r["status"] in ("wrong type", "import error")]
    for r in failures:
        print(f"FAIL {r['suite']}/{r['name']}: {r['status']}: {r['detail']}")
    counts = collections.Counter(r["status"] for r in results)
    apart = ("unsupported", "unsupported type", "data-dependent shape")
    supported = len(results) - sum(counts[a] for a in apart)
    print(f"import conformance: {counts['passed']} of {supported} tests with "
          f"supported ops pass; {counts['unsupported']} use unsupported ops, "
          f"{counts['unsupported type']} unsupported types, "
          f"{counts['data-dependent shape']} data-dependent shapes; "
          f"report: {args.report}")
    print(f"{counts['passed']} passed, {len(failures)} failed")
    return 1 if failures else 0


if __name__ == "__main__":
    sys.exit(main())
