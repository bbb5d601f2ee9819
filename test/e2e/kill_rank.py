#!/usr/bin/env python3
"""Starts `cleave-run BUNDLE ARGS... --repeat <many>` (a training bundle:
with the --steps among ARGS), kills device N's
process after some seconds, and checks that cleave-run exits non-zero
within a deadline. Prints cleave-run's errors and how long it took.

  kill_rank.py bundle/ --device 1 --after 2 --within 10 -- --input x=x.npy
"""
import argparse
import os
import signal
import subprocess
import sys
import time


def pids_of(executable):
    """Processes running `executable` (by the path of their binary)."""
    found = []
    for pid in os.listdir("/proc"):
        if pid.isdigit():
            try:
                if os.readlink(f"/proc/{pid}/exe") == executable:
                    found.append(int(pid))
            except OSError:
                pass
    return found


def main():
    parser = argparse.ArgumentParser()
    parser.add_argument("bundle")
    parser.add_argument("--device", type=int, default=1)
    parser.add_argument("--after", type=float, default=2)
    parser.add_argument("--within", type=float, default=10)
    argv = sys.argv[1:]
    split = argv.index("--") if "--" in argv else len(argv)
    args = parser.parse_args(argv[:split])
    extra = argv[split + 1:]  # cleave-run's own arguments
    executable = os.path.realpath(
        os.path.join(args.bundle, f"device_{args.device}"))
    # Inference repeats; a training bundle runs the --steps it is given.
    repeat = [] if any(a.startswith("--steps") for a in extra) else [
        "--repeat", "1000000000"]
    runner = subprocess.Popen(
        ["cleave-run", args.bundle] + repeat + extra,
        stdout=subprocess.DEVNULL, stderr=subprocess.PIPE, text=True)
    time.sleep(args.after)
    victims = pids_of(executable)
    if not victims:
        runner.kill()
        _, errors = runner.communicate()
        sys.exit(f"no process runs {executable}; cleave-run said:\n{errors}")
    for pid in victims:
        os.kill(pid, signal.SIGKILL)
    killed = time.monotonic()
    try:
        _, errors = runner.communicate(timeout=args.within)
    except subprocess.TimeoutExpired:
        runner.kill()
        sys.exit(f"cleave-run still runs {args.within} s after the kill")
    took = time.monotonic() - killed
    print(errors, end="")
    if runner.returncode == 0:
        sys.exit("cleave-run exited with 0 after a device was killed")
    print(f"cleave-run exited with {runner.returncode} {took:.1f} s after the "
          f"kill (limit {args.within:g} s)")


if __name__ == "__main__":
    main()
