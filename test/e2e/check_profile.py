#!/usr/bin/env python3
"""Checks a `cleave-run --profile=<file>` against the bundle it ran.

Each device program's calls are the `cleave::program::call(site, ...)` of its
generated source, so the profile must hold every one of those sites, each
called once per microbatch of every timed run, named by the graph op and
the model's ONNX node it came from, with a positive time.

  check_profile.py profile.json bundle/ model.onnx --runs R --microbatches M
"""
import argparse
import json
import os
import re
import sys

import onnx


def main():
    parser = argparse.ArgumentParser()
    parser.add_argument("profile")
    parser.add_argument("bundle")
    parser.add_argument("model")
    parser.add_argument("--runs", type=int, required=True)
    parser.add_argument("--microbatches", type=int, default=1)
    args = parser.parse_args()
    with open(args.profile) as f:
        profiles = json.load(f)
    with open(os.path.join(args.bundle, "manifest.json")) as f:
        devices = json.load(f)["devices"]
    model = onnx.load(args.model)
    names = {n.name for n in model.graph.node}
    names |= {o.name for o in model.graph.output}  # output copies
    failures = []
    if len(profiles) != len(devices):
        failures.append(f"{len(profiles)} profiles for {len(devices)} devices")
    for profile, device in zip(profiles, devices):
        program = profile["program"]
        with open(os.path.join(args.bundle, program + ".cc")) as f:
            source = f.read()
        expected = {int(s) for s in
                    re.findall(r"cleave::program::call\((\d+), ", source)}
        sites = {s["site"]: s for s in profile["sites"]}
        if profile["runs"] != args.runs:
            failures.append(f"{program}: {profile['runs']} runs, "
                            f"expected {args.runs}")
        if set(sites) != expected:
            failures.append(f"{program}: profiled sites {sorted(sites)} are "
                            f"not the source's {sorted(expected)}")
        for s in sites.values():
            where = f"{program} site {s['site']} ({s['kernel']})"
            if s["calls"] != args.runs * args.microbatches:
                failures.append(f"{where}: {s['calls']} calls")
            if not s["ms"] > 0:
                failures.append(f"{where}: no time")
            if s["op"].startswith("cleave.") and s["node"] not in names:
                failures.append(f"{where}: node '{s['node']}' is not one of "
                                "the model's")
        kinds = sorted({s["kernel"] for s in sites.values()})
        print(f"{program}: {len(sites)} sites, each called "
              f"{args.runs * args.microbatches} times: {' '.join(kinds)}")
    for failure in failures:
        print("FAIL:", failure)
    return 1 if failures else 0


if __name__ == "__main__":
    sys.exit(main())
