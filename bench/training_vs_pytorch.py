#!/usr/bin/env python3
"""Training step time and peak memory: Cleave against PyTorch eager on the CPU.

Models: test/training's (make_references.py: an MLP classifier, one with
Dropout, a regressor, a one-block transformer LM, a small CNN; at their
own batch) and the real-model suite at training widths with the bundled
examples (make_suite_references.py: GPT-2, BERT, ViT, Inception, ResNet-50,
the LSTM LM, DeepSpeech 2, tiny_mlp, tiny_cnn; at --batch rows). For each model and thread count both train S
AdamW steps of the same model on the same batches, each in a process of
its own, and it prints side by side:

- the time of one step: Cleave's device timing of the whole run / S, as
  cleave-run prints it; PyTorch's median step after a fifth as warm-up;
  and their ratio (below 1: Cleave is faster);
- the peak resident memory of each process (cleave-run with its device
  program; the Python process that runs the PyTorch loop) and its ratio,
  with PyTorch's resident memory before its first step (the interpreter,
  torch and the model): what its steps add is the difference.

Needs torch.

    python3 bench/training_vs_pytorch.py --tools ../cleave-build/bin
        [--steps 100] [--threads 1 2] [--batch 16] [--only transformer gpt2_lm]
"""
import argparse
import json
import os
import re
import subprocess
import sys
import tempfile
import time

import numpy as np
import torch

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
TRAINING = os.path.join(ROOT, "test", "training")
sys.path.insert(0, TRAINING)
import make_references as refs  # noqa: E402
import make_suite_references as suite  # noqa: E402

OPTIMIZER = ("adamw:lr=0.001,weight_decay=0.01",
             lambda p: torch.optim.AdamW(p, lr=0.001, weight_decay=0.01))
SUITE = ["gpt2_lm", "bert_encoder", "vit", "inception", "resnet50",
         "mobilenet_v2", "lstm_lm", "deepspeech2", "tiny_mlp", "tiny_cnn"]


class Case:
    """One model as both sides train it: the ONNX file and cleave-compile's
    flags; the PyTorch module, its loss and its frozen parameters; the
    inputs and the target (S batches stacked on a new leading axis)."""

    def __init__(self, onnx_path, loss_flag, module, loss, feeds, target_name,
                 target, frozen=(), flags=()):
        self.onnx, self.module, self.loss = onnx_path, module, loss
        self.feeds, self.target_name, self.target = feeds, target_name, target
        self.frozen = set(frozen)
        shapes = [f"--input-shape={n}:" + "x".join(map(str, v.shape[1:]))
                  for n, v in feeds.items()]
        self.flags = ["--loss=" + loss_flag, *shapes, *flags]


def repeat(value, steps):
    return np.concatenate([value] * -(-steps // len(value)))[:steps]


def training_case(name, steps):
    make, _, loss, _ = refs.MODELS[name]
    torch.manual_seed(0)
    flag = ("mse:prediction=out,target=y" if loss == "mse"
            else "cross_entropy:logits=out,labels=y")
    x = repeat(np.load(os.path.join(TRAINING, f"{name}.x.npy")), steps)
    y = repeat(np.load(os.path.join(TRAINING, f"{name}.y.npy")), steps)
    return Case(os.path.join(TRAINING, f"{name}.onnx"), flag, make(),
                lambda out, t: refs.loss_of(loss, out[0], t), {"x": x}, "y", y,
                flags=["--dropout=off"] if name == "dropout" else [])


def suite_case(name, batch, steps):
    """make_suite_references' model of this name, built as its main()
    builds them (the same order of random draws), at `batch` rows."""
    suite.BATCH, suite.STEPS = batch, steps
    torch.manual_seed(0)
    generator = torch.Generator().manual_seed(0)
    rng = np.random.default_rng(0)
    for (model_name, model, feeds, outputs, loss, target_name,
         target) in suite.suite_models(rng):
        suite.randomise_norms(model, generator)
        if model_name != name:
            continue
        kind = loss.split(":")[0]
        flag = (f"mse:prediction={loss.split(':')[1]},target={target_name}"
                if kind == "mse" else
                f"cross_entropy:logits={outputs[0]},labels={target_name}")
        return Case(os.path.join(TRAINING, "suite", f"{name}.onnx"), flag,
                    model, lambda out, t: suite.loss_of(kind, out, t), feeds,
                    target_name, target)
    for (model_name, model, feeds, path, loss, target_name,
         target) in suite.example_models(rng):
        if model_name == name:
            frozen = ({"convs.0.bias", "convs.1.bias"}
                      if name == "tiny_cnn" else ())
            flags = ["--frozen=conv*.bias"] if frozen else []
            return Case(path, "mse:prediction=probs,target=target", model,
                        lambda out, t: suite.loss_of("mse", out, t), feeds,
                        target_name, target, frozen, flags)
    for (model_name, model, feeds, outputs, loss, target_name, target,
         _, frozen) in suite.recurrent_models():
        if model_name == name:
            return Case(os.path.join(TRAINING, "suite", f"{name}.onnx"),
                        f"cross_entropy:logits={outputs[0]},"
                        f"labels={target_name}", model,
                        lambda out, t: suite.loss_of("tokens", out, t),
                        feeds, target_name, target, frozen,
                        [f"--frozen={n}" for n in frozen])
    for (model_name, model, feeds, outputs, loss, target_name, target,
         _, frozen) in suite.deep_cnns(batch):
        if model_name == name:
            return Case(os.path.join(TRAINING, "suite", f"{name}.onnx"),
                        f"cross_entropy:logits={outputs[0]},"
                        f"labels={target_name}", model,
                        lambda out, t: suite.loss_of("cross_entropy", out, t),
                        feeds, target_name, target, frozen,
                        [f"--frozen={n}" for n in frozen])
    sys.exit(f"unknown model '{name}'")


def make_case(name, batch, steps):
    if name in refs.MODELS:
        return training_case(name, steps)
    return suite_case(name, batch, steps)


def resident_kb(field):
    with open("/proc/self/status") as f:
        for line in f:
            if line.startswith(field + ":"):
                return int(line.split()[1])
    return 0


def torch_worker(name, batch, steps, threads):
    """Runs in a process of its own: prints the median step and the
    resident memory before the first step and at its peak."""
    torch.set_num_threads(threads)
    case = make_case(name, batch, steps)
    model = case.module
    model.train()
    for m in model.modules():
        if isinstance(m, torch.nn.Dropout):  # as --dropout=off
            m.eval()
    for n, p in model.named_parameters():
        p.requires_grad_(n not in case.frozen)
    optimizer = OPTIMIZER[1]([p for n, p in model.named_parameters()
                              if n not in case.frozen])
    feeds = [torch.from_numpy(v) for v in case.feeds.values()]
    target = torch.from_numpy(case.target)
    start_kb = resident_kb("VmRSS")
    times = []
    for step in range(steps):
        begin = time.perf_counter()
        optimizer.zero_grad()
        out = model(*(f[step] for f in feeds))
        case.loss(out if isinstance(out, tuple) else (out,),
                  target[step]).backward()
        optimizer.step()
        times.append(time.perf_counter() - begin)
    print(json.dumps({"ms": float(np.median(times[len(times) // 5:])) * 1e3,
                      "start_kb": start_kb, "peak_kb": resident_kb("VmHWM")}))


def run(command):
    """Runs a command; returns its stdout (and stderr), or exits with them."""
    done = subprocess.run(command, stdout=subprocess.PIPE,
                          stderr=subprocess.STDOUT, text=True)
    if done.returncode:
        sys.exit(f"{' '.join(command)} failed:\n{done.stdout}")
    return done.stdout


def cleave(case, name, steps, threads, tools, work):
    bundle = os.path.join(work, name)
    if not os.path.isdir(bundle):
        subprocess.run([os.path.join(tools, "cleave-compile"), case.onnx,
                        "--train", *case.flags, "--optimizer=" + OPTIMIZER[0],
                        "--target=cpu", "-o", bundle], check=True)
    inputs = []
    for input_name, value in {**case.feeds,
                              case.target_name: case.target}.items():
        path = os.path.join(work, f"{name}.{input_name}.npy")
        np.save(path, value)
        inputs += ["--input", f"{input_name}={path}"]
    text = run(
        [os.path.join(tools, "cleave-run"), bundle, f"--steps={steps}",
         f"--num-threads={threads}", *inputs])
    found = re.search(r"median step ([0-9.]+) ms  peak memory ([0-9.]+) MB",
                      text)
    if not found:
        sys.exit(f"cleave-run printed no step time:\n{text}")
    return float(found.group(1)), float(found.group(2)) * 1024


def main():
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--tools", required=True)
    parser.add_argument("--steps", type=int, default=100)
    parser.add_argument("--threads", type=int, nargs="+", default=[1, 2])
    parser.add_argument("--batch", type=int, default=16,
                        help="rows per step of the suite's models")
    parser.add_argument("--only", nargs="*")
    parser.add_argument("--torch-worker", help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.torch_worker:
        return torch_worker(args.torch_worker, args.batch, args.steps,
                            args.threads[0])
    names = args.only or list(refs.MODELS) + SUITE
    print(f"{'model':<13} {'threads':>7} {'cleave ms':>10} {'pytorch ms':>11} "
          f"{'ratio':>6} {'cleave MB':>10} {'pytorch MB':>11} "
          f"{'(at start)':>10} {'ratio':>6}")
    # PyTorch's figure "at start" is the interpreter, torch (with its CUDA
    # libraries) and the model before the first step; peak - start is what
    # its steps add, to set beside Cleave's whole process.
    with tempfile.TemporaryDirectory() as work:
        for name in names:
            case = make_case(name, args.batch, args.steps)
            for threads in args.threads:
                ours, our_kb = cleave(case, name, args.steps, threads,
                                      args.tools, work)
                text = run(
                    [sys.executable, os.path.abspath(__file__), "--tools",
                     args.tools, "--steps", str(args.steps), "--batch",
                     str(args.batch), "--threads", str(threads),
                     "--torch-worker", name])
                theirs = json.loads(text.strip().splitlines()[-1])
                print(f"{name:<13} {threads:>7} {ours:>10.3f} "
                      f"{theirs['ms']:>11.3f} {ours / theirs['ms']:>6.2f} "
                      f"{our_kb / 1024:>10.1f} "
                      f"{theirs['peak_kb'] / 1024:>11.1f} "
                      f"{theirs['start_kb'] / 1024:>10.1f} "
                      f"{our_kb / theirs['peak_kb']:>6.2f}", flush=True)


if __name__ == "__main__":
    main()
