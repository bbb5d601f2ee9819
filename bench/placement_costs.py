"""What a benchmark places a model's devices by (--costs): the calibrated
roofline, an op profile of the model (cleave-calibrate --model: each op
timed in the whole model, on one device), or the profile retimed as placed
(--placed-devices: each op timed as the stages of a first placement run
it, beside each other). Shared by the placement benchmarks."""
import os
import subprocess

COSTS = ["roofline", "profile", "placed"]


def add_costs_argument(parser, default="roofline"):
    parser.add_argument(
        "--costs", default=default,
        help="comma-separated, of " + ", ".join(COSTS) + ", or all "
             "(both: roofline,profile)")


def cost_modes(value):
    if value == "all":
        return list(COSTS)
    if value == "both":
        return ["roofline", "profile"]
    modes = value.split(",")
    for mode in modes:
        if mode not in COSTS:
            raise SystemExit(f"--costs: unknown '{mode}' (expected "
                             f"{', '.join(COSTS)}, both or all)")
    return modes


def cost_flags(mode, tools, model, micro, machine, devices, microbatches,
               work, copies=1):
    """cleave-compile's flags for `mode` (the op profile made first)."""
    if mode == "roofline":
        return []
    ops = os.path.join(work, f"{os.path.basename(model)}_{mode}_ops.json")
    command = [os.path.join(tools, "cleave-calibrate"), "--model", model,
               f"--dim=batch={micro}", "--devices", str(copies), "-o", ops]
    if mode == "placed":
        command += [f"--placed-devices={devices}", f"--machine={machine}",
                    f"--microbatches={microbatches}"]
    subprocess.run(command, check=True, capture_output=True)
    return [f"--op-profile={ops}"]
