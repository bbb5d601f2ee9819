#!/usr/bin/env python3
"""Checks a `cleave-run --trace=<file>` against the bundle it ran.

The trace must be well-formed trace-event JSON with one process per device
(times replicas); on each track the spans must nest or follow each other,
never overlap; every send must have one receive, on its peer, with the same
tag and bytes, joined by a flow, and ending after the send started (the
devices' clocks are aligned); every call span must be a call site of its
device's generated source (kernel, graph op and ONNX node as the site table
says); the arena counter must stay within the device's arena; and each
device must show `--runs` run spans. With --phases, each step of each
device must show the forward (F<m>) and backward (B<m>) spans of every
microbatch, and the order of its first step's spans is printed.

  check_trace.py trace.json bundle/ --runs R [--phases M]
"""
import argparse
import collections
import json
import os
import re
import sys

# Spans are in microseconds with nanosecond digits; sums of two may be off
# by float rounding.
EPS = 1e-3


def site_tables(bundle, devices):
    """Per device: its (kernel, op, node) sites and its arena bytes."""
    tables = []
    for device in devices:
        with open(os.path.join(bundle, device["executable"] + ".cc")) as f:
            source = f.read()
        sites = set(re.findall(r'\{"([^"]*)", "([^"]*)", "([^"]*)", "', source))
        arena = int(re.search(r'cleave_program program = \{"[^"]*", (\d+),',
                              source).group(1))
        tables.append((sites, arena))
    return tables


def main():
    parser = argparse.ArgumentParser()
    parser.add_argument("trace")
    parser.add_argument("bundle")
    parser.add_argument("--runs", type=int, required=True)
    parser.add_argument("--phases", type=int, default=0)
    args = parser.parse_args()
    with open(args.trace) as f:
        trace = json.load(f)
    with open(os.path.join(args.bundle, "manifest.json")) as f:
        manifest = json.load(f)
    devices = manifest["devices"]
    replicas = manifest.get("replicas", 1)
    tables = site_tables(args.bundle, devices)
    failures = []
    events = trace["traceEvents"]

    names = {e["pid"]: e["args"]["name"] for e in events
             if e["ph"] == "M" and e["name"] == "process_name"}
    # How far each process's clock may be from device 0's, in microseconds.
    skew = {e["pid"]: e["args"]["clock_uncertainty_ns"] / 1e3 for e in events
            if e["ph"] == "M" and e["name"] == "process_labels"}
    expected = {r * len(devices) + k for r in range(replicas)
                for k in range(len(devices))}
    if set(names) != expected:
        failures.append(f"processes {sorted(names)}, expected "
                        f"{sorted(expected)}")

    spans = [e for e in events if e["ph"] == "X"]
    for e in events:
        if e["ph"] != "M" and not (e["ts"] >= 0 and "pid" in e):
            failures.append(f"event without a time or process: {e}")
    for e in spans:
        if not e["dur"] >= 0:
            failures.append(f"span with a negative duration: {e}")

    # Nested or disjoint on every track.
    tracks = collections.defaultdict(list)
    for e in spans:
        tracks[(e["pid"], e["tid"])].append(e)
    for track, items in tracks.items():
        items.sort(key=lambda e: (e["ts"], -e["dur"]))
        open_spans = []
        for e in items:
            while open_spans and open_spans[-1]["ts"] + open_spans[-1]["dur"] <= e["ts"] + EPS:
                open_spans.pop()
            if open_spans and e["ts"] + e["dur"] > open_spans[-1]["ts"] + open_spans[-1]["dur"] + EPS:
                failures.append(f"process {track[0]} track {track[1]}: "
                                f"'{e['name']}' at {e['ts']} overlaps "
                                f"'{open_spans[-1]['name']}'")
                break
            open_spans.append(e)

    # Every call span is a site of its device's program.
    for e in spans:
        a = e.get("args", {})
        if "kernel" not in a:
            continue
        sites, arena = tables[e["pid"] % len(devices)]
        op = "cleave." + e["name"] if "cleave." + e["name"] in {
            s[1] for s in sites} else e["name"]
        if (a["kernel"], op, a["node"]) not in sites:
            failures.append(f"process {e['pid']}: span {e['name']} "
                            f"({a['kernel']}, node '{a['node']}') is no site "
                            "of its program")
    for e in events:
        if e["ph"] == "C":
            _, arena = tables[e["pid"] % len(devices)]
            if not 0 <= e["args"]["MB"] * 2**20 <= arena + 1:
                failures.append(f"process {e['pid']}: arena in use "
                                f"{e['args']['MB']} MB beyond its {arena} bytes")

    # Sends and receives, joined by flows.
    sends = {}
    receives = {}
    for e in spans:
        a = e.get("args", {})
        if a.get("kernel") in ("send", "recv", "recv_wait"):
            if "flow" not in a:
                failures.append(f"process {e['pid']}: a {a['kernel']} without "
                                f"a flow (tag {a['tag']})")
                continue
            table = sends if a["kernel"] == "send" else receives
            # A posted receive's flow ends at its wait.
            if a["flow"] in table:
                failures.append(f"flow {a['flow']} has two {a['kernel']}s")
            table[a["flow"]] = e
    if set(sends) != set(receives):
        failures.append(f"flows of sends {sorted(sends)[:5]}... and receives "
                        f"{sorted(receives)[:5]}... differ")
    arrows = collections.Counter((e["ph"], e["id"]) for e in events
                                 if e["ph"] in ("s", "f"))
    for flow, send in sends.items():
        recv = receives.get(flow)
        if not recv:
            continue
        s, r = send["args"], recv["args"]
        replica = send["pid"] // len(devices)
        if recv["pid"] != replica * len(devices) + s["peer"] or \
                send["pid"] != replica * len(devices) + r["peer"]:
            failures.append(f"flow {flow}: process {send['pid']} sends to "
                            f"{s['peer']}, process {recv['pid']} receives "
                            f"from {r['peer']}")
        if (s["tag"], s["bytes"]) != (r["tag"], r["bytes"]):
            failures.append(f"flow {flow}: tag/bytes {s['tag']}/{s['bytes']} "
                            f"sent, {r['tag']}/{r['bytes']} received")
        slack = EPS + skew.get(send["pid"], 0) + skew.get(recv["pid"], 0)
        if recv["ts"] + recv["dur"] + slack < send["ts"]:
            failures.append(f"flow {flow}: received at "
                            f"{recv['ts'] + recv['dur']}, before the send "
                            f"started at {send['ts']}")
        if arrows[("s", flow)] != 1 or arrows[("f", flow)] != 1:
            failures.append(f"flow {flow}: no arrow")

    # Runs and phases per process.
    for pid in sorted(names):
        mine = [e for e in spans if e["pid"] == pid]
        runs = [e for e in mine if e.get("cat") == "run"]
        if len(runs) != args.runs:
            failures.append(f"process {pid}: {len(runs)} run spans, expected "
                            f"{args.runs}")
        phases = collections.Counter(e["name"] for e in mine
                                     if e.get("cat") == "phase")
        if args.phases:
            for m in range(args.phases):
                for kind in "FB":
                    if phases[f"{kind}{m}"] < args.runs:
                        failures.append(f"process {pid}: {phases[kind + str(m)]}"
                                        f" spans {kind}{m} in {args.runs} steps")
        if args.phases and runs:
            first = min(runs, key=lambda e: e["ts"])
            order = [e["name"] for e in sorted(mine, key=lambda e: e["ts"])
                     if e.get("cat") == "phase" and
                     first["ts"] - EPS <= e["ts"] <= first["ts"] + first["dur"]]
            print(f"{names[pid]} {first['name']}: {' '.join(order)}")
        kinds = collections.Counter(
            {"recv_wait": "recv"}.get(e["args"]["kernel"], e["args"]["kernel"])
            if e.get("args", {}).get("kernel") in
            ("send", "recv", "recv_wait") else e.get("cat") for e in mine)
        print(f"{names[pid]}: " + ", ".join(
            f"{kinds[k]} {k}" for k in sorted(kinds)))
    print(f"{len(sends)} flows")
    for failure in failures:
        print("FAIL:", failure)
    return 1 if failures else 0


if __name__ == "__main__":
    sys.exit(main())
