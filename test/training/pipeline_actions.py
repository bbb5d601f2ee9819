#!/usr/bin/env python3
"""Prints the order in which each device runs its training actions.

pipeline_actions.py <split.mlir>

Reads the IR of `cleave-compile --compile-to=split` and prints, per device
function, the sequence of actions its ops belong to: F<m> for a forward op
of microbatch m (cleave.op_index), B<m> for a backward op
(cleave.backward_of), consecutive repeats collapsed:
    device_0: F0 F1 B0 F2 B1 F3 B2 B3
Where a device runs several stages (an interleaved schedule), each action
names its stage first, from the `cleave.stage` of the op index's anchor:
    device_0: 0F0 0F1 2F0 2F1 0F2 2B0 ...
"""
import re
import sys


def main():
    lines = open(sys.argv[1]).read().splitlines()
    # op index -> stage, from the anchors.
    stage_of = {}
    for line in lines:
        index = re.search(r"cleave\.op_index = (\d+)", line)
        stage = re.search(r"cleave\.stage = (\d+)", line)
        if index and stage:
            stage_of[index.group(1)] = stage.group(1)
    device = None
    actions = {}
    for line in lines:
        header = re.match(r"\s*func\.func @(device_\d+)", line)
        if header:
            device = header.group(1)
            actions[device] = []
            continue
        microbatch = re.search(r"cleave\.microbatch = (\d+)", line)
        if device is None or not microbatch:
            continue
        backward = re.search(r"cleave\.backward_of = (\d+)", line)
        forward = re.search(r"cleave\.op_index = (\d+)", line)
        if not backward and not forward:
            continue
        index = (backward or forward).group(1)
        action = (stage_of.get(index, "") + ("B" if backward else "F") +
                  microbatch.group(1))
        if not actions[device] or actions[device][-1] != action:
            actions[device].append(action)
    for device in sorted(actions):
        print(f"{device}: {' '.join(actions[device])}")


if __name__ == "__main__":
    main()
