#!/usr/bin/env python3
"""Prints the order in which each device runs its training actions.

pipeline_actions.py <split.mlir>

Reads the IR of `cleave-compile --compile-to=split` and prints, per device
function, the sequence of actions its ops belong to: F<m> for a forward op
of microbatch m (cleave.op_index), B<m> for a backward op
(cleave.backward_of), consecutive repeats collapsed:
    device_0: F0 F1 B0 F2 B1 F3 B2 B3
"""
import re
import sys


def main():
    device = None
    actions = {}
    for line in open(sys.argv[1]):
        header = re.match(r"\s*func\.func @(device_\d+)", line)
        if header:
            device = header.group(1)
            actions[device] = []
            continue
        microbatch = re.search(r"cleave\.microbatch = (\d+)", line)
        if device is None or not microbatch:
            continue
        if "cleave.backward_of" in line:
            action = "B" + microbatch.group(1)
        elif "cleave.op_index" in line:
            action = "F" + microbatch.group(1)
        else:
            continue
        if not actions[device] or actions[device][-1] != action:
            actions[device].append(action)
    for device in sorted(actions):
        print(f"{device}: {' '.join(actions[device])}")


if __name__ == "__main__":
    main()
