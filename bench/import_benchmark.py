#!/usr/bin/env python3
"""Import benchmark: a large ONNX model with external weights.

Writes a deep MLP (blocks of MatMul x[1,D] @ W[D,D] -> Add(bias) -> Relu,
padded with cheap elementwise nodes) with at least --nodes nodes and at
least --gb GiB of float32 weights kept as ONNX external data (one or a few
.bin files beside a small model.onnx). The weights are streamed to disk a
tensor at a time, so the generator never holds them all in memory.

Then runs

  cleave-compile model.onnx -o /dev/null --elide-weights

(import, verify, canonicalize + CSE, print the IR with weight blobs
elided) and reports its wall time and peak RSS. External weights are
memory-mapped by the importer and, with blobs elided, never read, so the
peak RSS should be a small fraction of the weight size. For comparison a
baseline child process reads every weight file into memory, as an importer
that copies the blobs would.

  python3 bench/import_benchmark.py --tools ../cleave-build/bin
  python3 bench/import_benchmark.py --gb 0.05 --nodes 500     # quick run

Exit status: 0 when the import succeeds (and, if --max-rss-ratio is given,
peak RSS / weight size stays at or under it), 1 otherwise.
"""
import argparse
import math
import os
import resource
import shutil
import subprocess
import sys
import tempfile
import threading
import time

import numpy as np
import onnx
from onnx import TensorProto, helper

REPO = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
GIB = 1 << 30
MIB = 1 << 20


# --------------------------------------------------------------------------
# Model generation
# --------------------------------------------------------------------------

def external_tensor(name, dims, location, offset, length):
    """A float32 initializer whose bytes live in `location` (by hand: no
    raw_data ever held in Python)."""
    t = TensorProto()
    t.name = name
    t.data_type = TensorProto.FLOAT
    t.dims.extend(dims)
    t.data_location = TensorProto.EXTERNAL
    for key, value in (("location", location), ("offset", str(offset)),
                       ("length", str(length))):
        entry = t.external_data.add()
        entry.key = key
        entry.value = value
    return t


class WeightWriter:
    """Appends float32 tensors to .bin files, each at an aligned offset."""

    def __init__(self, folder, files, align, seed):
        self.folder = folder
        self.names = (["weights.bin"] if files == 1 else
                      [f"weights-{i:02d}.bin" for i in range(files)])
        self.handles = [open(os.path.join(folder, n), "wb") for n in self.names]
        self.offsets = [0] * files
        self.align = align
        self.rng = np.random.default_rng(seed)
        self.total = 0

    def add(self, name, dims, file_index, chunk_elems=4 * MIB):
        f = self.handles[file_index]
        pad = -self.offsets[file_index] % self.align
        if pad:
            f.write(b"\0" * pad)
            self.offsets[file_index] += pad
        offset = self.offsets[file_index]
        count = math.prod(dims)
        scale = np.float32(1.0 / math.sqrt(dims[0]))
        left = count
        while left:  # at most chunk_elems floats (16 MiB) in memory
            n = min(left, chunk_elems)
            chunk = self.rng.standard_normal(n, dtype=np.float32)
            chunk *= scale
            f.write(chunk.tobytes())
            left -= n
        length = count * 4
        self.offsets[file_index] += length
        self.total += length
        return external_tensor(name, dims, self.names[file_index], offset,
                               length)

    def close(self):
        for f in self.handles:
            f.close()


def generate(folder, weight_gib, min_nodes, dim, files, align, seed):
    """Writes model.onnx and its weight files; returns (path, stats)."""
    per_layer = (dim * dim + dim) * 4
    layers = max(1, math.ceil(weight_gib * GIB / per_layer))
    files = max(1, min(files, layers))
    pad_total = max(0, min_nodes - 3 * layers)

    writer = WeightWriter(folder, files, align, seed)
    inits, nodes = [], []
    # Two shared scalars for the padding ops, small enough to stay inline.
    inits.append(helper.make_tensor("pad.shift", TensorProto.FLOAT, [1], [0.0]))
    inits.append(helper.make_tensor("pad.scale", TensorProto.FLOAT, [1], [1.0]))

    h = "x"
    pad_done = 0
    for i in range(layers):
        file_index = i * files // layers
        w, b = f"layer{i}.weight", f"layer{i}.bias"
        inits.append(writer.add(w, [dim, dim], file_index))
        inits.append(writer.add(b, [dim], file_index))
        nodes.append(helper.make_node("MatMul", [h, w], [f"l{i}.mm"],
                                      name=f"l{i}.matmul"))
        nodes.append(helper.make_node("Add", [f"l{i}.mm", b], [f"l{i}.ab"],
                                      name=f"l{i}.bias"))
        nodes.append(helper.make_node("Relu", [f"l{i}.ab"], [f"l{i}.out"],
                                      name=f"l{i}.relu"))
        h = f"l{i}.out"
        # Spread the padding evenly over the layers.
        pad_here = pad_total * (i + 1) // layers - pad_done
        for j in range(pad_here):
            out = f"l{i}.p{j}"
            kind = (pad_done + j) % 3
            if kind == 0:
                nodes.append(helper.make_node("Add", [h, "pad.shift"], [out],
                                              name=out))
            elif kind == 1:
                nodes.append(helper.make_node("Mul", [h, "pad.scale"], [out],
                                              name=out))
            else:
                nodes.append(helper.make_node("Identity", [h], [out], name=out))
            h = out
        pad_done += pad_here
    nodes.append(helper.make_node("Identity", [h], ["y"], name="output"))
    writer.close()

    graph = helper.make_graph(
        nodes, "import_benchmark_mlp",
        [helper.make_tensor_value_info("x", TensorProto.FLOAT, [1, dim])],
        [helper.make_tensor_value_info("y", TensorProto.FLOAT, [1, dim])],
        initializer=inits)
    model = helper.make_model(graph, opset_imports=[helper.make_opsetid("", 17)],
                              producer_name="cleave-import-benchmark")
    model.ir_version = 8
    path = os.path.join(folder, "model.onnx")
    # Serialized directly: the initializers hold only external_data entries.
    with open(path, "wb") as f:
        f.write(model.SerializeToString())
    stats = {
        "nodes": len(nodes),
        "layers": layers,
        "initializers": len(inits),
        "weight_bytes": writer.total,
        "bin_files": [os.path.join(folder, n) for n in writer.names],
        "bin_bytes": sum(writer.offsets),
        "model_bytes": os.path.getsize(path),
    }
    return path, stats


# --------------------------------------------------------------------------
# Measurement
# --------------------------------------------------------------------------

def read_status_kib(pid, fields):
    """Selected /proc/<pid>/status fields in KiB; {} once the process is gone."""
    try:
        with open(f"/proc/{pid}/status") as f:
            text = f.read()
    except OSError:
        return {}
    out = {}
    for line in text.splitlines():
        key, _, rest = line.partition(":")
        if key in fields:
            out[key] = int(rest.split()[0])
    return out


def weight_rss_bytes(pid, weight_paths):
    """Resident bytes of the process's mappings of the weight files."""
    total, counting = 0, False
    try:
        with open(f"/proc/{pid}/smaps") as f:
            for line in f:
                first = line.split(None, 1)[0]
                if "-" in first and not first.endswith(":"):  # mapping header
                    counting = line.rstrip("\n").split(None, 5)[-1] in weight_paths
                elif counting and first == "Rss:":
                    total += int(line.split()[1]) * 1024
    except (OSError, ValueError, IndexError):
        pass
    return total


def measure(cmd, log_path, weight_paths=()):
    """Runs cmd; returns (exit code, wall s, peak RSS bytes, sampled peaks).

    Peak RSS is the kernel's ru_maxrss for this one child (os.wait4), so
    children run earlier do not leak into it. /proc sampling adds the peak
    anonymous vs file-backed split (RssAnon: heap copies; RssFile: touched
    pages of mapped files, shared libraries included) every ~5 ms, and the
    resident size of the child's mappings of the weight files (smaps) every
    ~100 ms."""
    weight_paths = {os.path.realpath(p) for p in weight_paths}
    peaks = {"RssAnon": 0, "RssFile": 0, "weights": 0}
    with open(log_path, "wb") as log:
        start = time.perf_counter()
        proc = subprocess.Popen(cmd, stdout=log, stderr=subprocess.STDOUT)
        done = threading.Event()

        def sample():
            tick = 0
            while not done.is_set():
                for k, v in read_status_kib(proc.pid, ("RssAnon", "RssFile")).items():
                    peaks[k] = max(peaks[k], v * 1024)
                if weight_paths and tick % 20 == 0:
                    peaks["weights"] = max(peaks["weights"],
                                           weight_rss_bytes(proc.pid, weight_paths))
                tick += 1
                done.wait(0.005)

        sampler = threading.Thread(target=sample, daemon=True)
        sampler.start()
        _, status, usage = os.wait4(proc.pid, 0)
        wall = time.perf_counter() - start
        done.set()
        sampler.join()
        proc.returncode = os.waitstatus_to_exitcode(status)
    # ru_maxrss is in KiB on Linux.
    return proc.returncode, wall, usage.ru_maxrss * 1024, peaks


BASELINE = r"""
import sys
blobs = [open(p, "rb").read() for p in sys.argv[1:]]
print(sum(len(b) for b in blobs))
"""


def find_tools(given):
    """The folder holding cleave-compile (and cleave-translate)."""
    candidates = [given] if given else [
        os.path.join(os.environ["CLEAVE_BUILD_DIR"], "bin")
        if os.environ.get("CLEAVE_BUILD_DIR") else None,
        os.path.join(REPO, "..", "cleave-build", "bin"),
        os.path.join(REPO, "..", "build", "bin"),
    ]
    for folder in filter(None, candidates):
        if os.access(os.path.join(folder, "cleave-compile"), os.X_OK):
            return os.path.abspath(folder)
    sys.exit("import_benchmark: no cleave-compile in " +
             ", ".join(filter(None, candidates)) + " (give --tools)")


def main():
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawTextHelpFormatter)
    parser.add_argument("--tools", help="folder holding cleave-compile "
                        "(default: $CLEAVE_BUILD_DIR/bin, else "
                        "../cleave-build/bin, else ../build/bin beside the repo)")
    parser.add_argument("--workdir", help="where to write the model (default: "
                        "a temporary folder, deleted at the end)")
    parser.add_argument("--keep", action="store_true",
                        help="keep the generated model (a --workdir is "
                        "always kept)")
    parser.add_argument("--gb", type=float, default=1.0,
                        help="weight size in GiB (default 1.0)")
    parser.add_argument("--nodes", type=int, default=5000,
                        help="minimum node count (default 5000)")
    parser.add_argument("--dim", type=int, default=1024,
                        help="hidden size D; each matrix is D*D float32 "
                        "(default 1024: 4 MiB)")
    parser.add_argument("--bin-files", type=int, default=1,
                        help="number of weight files (default 1)")
    parser.add_argument("--align", type=int, default=4096,
                        help="alignment of each tensor's offset (default 4096)")
    parser.add_argument("--repeat", type=int, default=1,
                        help="runs of each measured command; the table shows "
                        "the fastest time and the highest peaks (default 1)")
    parser.add_argument("--no-baseline", action="store_true",
                        help="skip the read-all-weights baseline")
    parser.add_argument("--max-rss-ratio", type=float,
                        help="exit 1 when cleave-compile's peak RSS / weight "
                        "size exceeds this (default: report only)")
    parser.add_argument("--seed", type=int, default=0)
    args = parser.parse_args()
    if args.align <= 0 or args.align % 4:
        parser.error("--align must be a positive multiple of 4")
    if args.gb <= 0 or args.nodes < 1 or args.dim < 1 or args.bin_files < 1 \
            or args.repeat < 1:
        parser.error("--gb, --nodes, --dim, --bin-files and --repeat must be "
                     "positive")

    tools = find_tools(args.tools)
    if args.workdir:
        os.makedirs(args.workdir, exist_ok=True)
        workdir, owned = os.path.abspath(args.workdir), False
    else:
        workdir, owned = tempfile.mkdtemp(prefix="cleave-import-bench-"), True
    try:
        return run(args, tools, workdir)
    finally:
        if owned and not args.keep:
            shutil.rmtree(workdir, ignore_errors=True)
        else:
            print(f"model kept in {workdir}")


def run(args, tools, workdir):
    need = int(args.gb * GIB * 1.01) + 256 * MIB
    free = shutil.disk_usage(workdir).free
    if free < need:
        print(f"import_benchmark: {workdir} has {free / GIB:.2f} GiB free; "
              f"needs about {need / GIB:.2f} GiB", file=sys.stderr)
        return 1

    t0 = time.perf_counter()
    model_path, stats = generate(workdir, args.gb, args.nodes, args.dim,
                                 args.bin_files, args.align, args.seed)
    gen_s = time.perf_counter() - t0
    gen_rss = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss * 1024
    weight = stats["weight_bytes"]
    bins = stats["bin_files"]
    print(f"generated {model_path}: {stats['nodes']} nodes, "
          f"{stats['layers']} layers, {stats['initializers']} initializers, "
          f"{weight / GIB:.3f} GiB of weights in {len(bins)} file(s), "
          f"model.onnx {stats['model_bytes'] / 1024:.0f} KiB "
          f"({gen_s:.1f} s, generator peak RSS {gen_rss / MIB:.0f} MiB)")

    # (label, command, required): the first is the benchmark proper.
    commands = [
        ("cleave-compile (import+cleanup+print)",
         [os.path.join(tools, "cleave-compile"), model_path, "-o", "/dev/null",
          "--elide-weights"], True),
    ]
    translate = os.path.join(tools, "cleave-translate")
    if os.access(translate, os.X_OK):
        # Import and verify, then print only "module {...}": no blob is
        # printed, so this isolates the importer from the IR printer.
        commands.append(("import+verify only (cleave-translate)",
                         [translate, "--import-onnx", model_path, "-o",
                          "/dev/null", "--mlir-print-skip-regions"], False))
    if not args.no_baseline:
        commands.append(("baseline: python reads all .bin bytes",
                         [sys.executable, "-c", BASELINE] + bins, False))

    rows = []
    for index, (label, cmd, required) in enumerate(commands):
        print("running: " + " ".join(cmd[:2] + ["..."] if label.startswith(
            "baseline") else cmd))
        best = None
        for i in range(args.repeat):
            log = os.path.join(workdir, f"run-{index}-{i}.log")
            rc, wall, rss, peaks = measure(cmd, log, bins)
            if rc != 0:
                with open(log, errors="replace") as f:
                    sys.stderr.write(f.read()[-4000:])
                print(f"import_benchmark: {label} failed (exit {rc})",
                      file=sys.stderr)
                if required:
                    return 1
                best = None
                break
            if best is None:
                best = [wall, rss, dict(peaks)]
            else:
                best[0] = min(best[0], wall)
                best[1] = max(best[1], rss)
                for k in peaks:
                    best[2][k] = max(best[2][k], peaks[k])
        if best:
            rows.append((label, *best))

    print()
    print(f"nodes    {stats['nodes']}")
    print(f"weights  {weight / 1e9:.3f} GB ({weight / GIB:.3f} GiB) in "
          f"{stats['initializers'] - 2} external tensors, {len(bins)} file(s)")
    print()
    header = (f"{'process':<40} {'wall s':>7} {'peak RSS MB':>12} "
              f"{'RSS/weights':>12} {'anon MB':>8} {'file MB':>8} "
              f"{'weights MB':>11}")
    print(header)
    print("-" * len(header))
    for label, wall, rss, peaks in rows:
        mapped = ("-" if label.startswith("baseline")
                  else f"{peaks['weights'] / 1e6:.1f}")
        print(f"{label:<40} {wall:>7.2f} {rss / 1e6:>12.1f} "
              f"{rss / weight:>12.3f} {peaks['RssAnon'] / 1e6:>8.1f} "
              f"{peaks['RssFile'] / 1e6:>8.1f} {mapped:>11}")
    print()
    print("peak RSS: the child's ru_maxrss. anon/file: sampled peaks of RssAnon/"
          "RssFile (file includes\nshared libraries). weights: sampled peak of "
          "the child's resident pages of the .bin mappings.")
    ratio = rows[0][2] / weight
    if rows[0][3]["weights"] > weight / 2:
        print(f"note: cleave-compile touched "
              f"{rows[0][3]['weights'] / weight:.0%} of the mapped weight "
              f"pages: something reads the blobs")
    if args.max_rss_ratio is not None and ratio > args.max_rss_ratio:
        print(f"import_benchmark: peak RSS / weights {ratio:.3f} is over "
              f"--max-rss-ratio {args.max_rss_ratio}", file=sys.stderr)
        return 1
    return 0


if __name__ == "__main__":
    sys.exit(main())
