#!/usr/bin/env python3
"""Writes the training references of the real-model suite and the bundled
examples: each trained by PyTorch for 10 steps, into suite/ beside this
script.

The suite's architectures come from test/models/make_models.py (the same
classes, depths and blocks) at training widths, so that CI trains every
one in seconds and the references stay small. Unlike the inference
suite, they are exported without constant folding: folding would merge
each batch norm into its convolution, untie GPT-2's LM head from its
token embedding and merge equal LayerNorm parameters into one
initializer, so the ONNX model would no longer be the PyTorch module
that trains. The bundled examples (examples/*.onnx) are trained as they
are, by PyTorch modules that mirror them with their initializers.

For each model: suite/<name>.onnx (the examples: the file in examples/),
one .npy per input (suite/<name>.<input>.npy, S batches stacked on a new
leading axis, labels and targets included), suite/<name>.names.json
(the parameter of each initializer) and suite/<name>.<run>.npz, the loss
of every step and every parameter and running statistic after the last:

  sgd, adamw  the whole batch, SGD with momentum and AdamW;
  mb4         (models with batch norms) gradient accumulation over 4
              microbatches, as a PyTorch loop does it: each microbatch
              normalizes with its own statistics and updates the running
              ones in turn; the loss is the mean of the microbatches'.
  dp2         (models with batch norms) two data-parallel replicas, as
              DistributedDataParallel: the gradients of the two halves
              are averaged; the running statistics are replica 0's
              (SGD, as mb4: AdamW scales the float32 noise of these
              batch norms over few values up to the tolerance).

Without batch norms, 4 microbatches and 2 replicas take the whole
batch's steps, and the tests compare them with sgd and adamw.

Run: python3 test/training/make_suite_references.py [model ...]
(needs torch, onnx, numpy); the outputs are committed.
"""
import copy
import json
import os
import sys

import numpy as np
import onnx
import torch
import torch.nn.functional as F
from torch import nn

HERE = os.path.dirname(os.path.abspath(__file__))
ROOT = os.path.dirname(os.path.dirname(HERE))
sys.path.insert(0, os.path.join(ROOT, "test", "models"))
sys.path.insert(0, HERE)
import make_models  # noqa: E402
import make_references  # noqa: E402

OUT = os.path.join(HERE, "suite")
STEPS, BATCH = 10, 4
OPTIMIZERS = {
    "sgd": lambda p: torch.optim.SGD(p, lr=0.01, momentum=0.9),
    # eps 1e-6 (RoBERTa's): attention's key bias has no gradient but
    # rounding noise (softmax ignores it), which AdamW divides by its own
    # size; with eps 1e-8 the two sides' noise becomes steps of lr / 10.
    "adamw": lambda p: torch.optim.AdamW(p, lr=1e-3, eps=1e-6,
                                         weight_decay=0.01),
}


# --- The bundled examples, as PyTorch modules over their initializers -----

class TinyMlp(nn.Module):
    def __init__(self, init):
        super().__init__()
        for name in ("fc1.weight", "fc1.bias", "fc2.weight", "fc2.bias"):
            self.register_parameter(name.replace(".", "_"),
                                    nn.Parameter(init[name]))

    def forward(self, x):
        h = torch.relu(x @ self.fc1_weight + self.fc1_bias)
        return torch.softmax(h @ self.fc2_weight + self.fc2_bias, -1)


class TinyCnn(nn.Module):
    """Conv (with bias) -> BatchNormalization (ONNX's defaults: epsilon
    1e-5, momentum 0.9, PyTorch's 0.1) -> Relu -> MaxPool, twice; global
    average pool, Gemm (transB) and Softmax."""

    def __init__(self, init):
        super().__init__()
        self.convs, self.norms = nn.ModuleList(), nn.ModuleList()
        for i in (1, 2):
            w = init[f"conv{i}.weight"]
            conv = nn.Conv2d(w.shape[1], w.shape[0], 3, padding=1)
            conv.weight.data.copy_(w)
            conv.bias.data.copy_(init[f"conv{i}.bias"])
            norm = nn.BatchNorm2d(w.shape[0], eps=1e-5, momentum=0.1)
            norm.weight.data.copy_(init[f"bn{i}.scale"])
            norm.bias.data.copy_(init[f"bn{i}.bias"])
            norm.running_mean.copy_(init[f"bn{i}.mean"])
            norm.running_var.copy_(init[f"bn{i}.var"])
            self.convs.append(conv)
            self.norms.append(norm)
        self.fc = nn.Linear(16, 10)
        self.fc.weight.data.copy_(init["fc.weight"])
        self.fc.bias.data.copy_(init["fc.bias"])

    def forward(self, x):
        for conv, norm in zip(self.convs, self.norms):
            x = F.max_pool2d(torch.relu(norm(conv(x))), 2)
        return torch.softmax(self.fc(x.mean((2, 3))), -1)


TINY_CNN_NAMES = {  # initializer: the TinyCnn parameter or buffer
    **{f"conv{i}.{p}": f"convs.{i - 1}.{p}" for i in (1, 2)
       for p in ("weight", "bias")},
    **{f"bn{i}.{onnx_name}": f"norms.{i - 1}.{torch_name}" for i in (1, 2)
       for onnx_name, torch_name in (("scale", "weight"), ("bias", "bias"),
                                     ("mean", "running_mean"),
                                     ("var", "running_var"))},
    "fc.weight": "fc.weight", "fc.bias": "fc.bias",
}


def randomise_norms(model, generator):
    """Distinct affine parameters everywhere: the exporter merges equal
    initializers (every LayerNorm's ones and zeros) into one, which would
    train them as one; batch norms' running statistics too."""
    make_models.randomise_batch_norms(model, generator)
    for m in model.modules():
        if isinstance(m, nn.LayerNorm):
            m.weight.data.copy_(torch.rand(m.weight.shape,
                                           generator=generator) + 0.5)
            m.bias.data.copy_(torch.randn(m.bias.shape,
                                          generator=generator) * 0.1)


# --- The models ------------------------------------------------------------

def ids(rng, high, shape):
    return rng.integers(0, high, (STEPS,) + shape).astype(np.int64)


def images(rng, size):
    return rng.standard_normal((STEPS, BATCH, 3, size, size)).astype(np.float32)


def classes(rng, count):
    return ids(rng, count, (BATCH,))


def suite_models(rng):
    """(name, module, inputs (name: S stacked batches), output names, loss,
    its target's name and S stacked targets)."""
    t = 16
    yield ("gpt2_lm", make_models.Gpt2(vocab=256, dim=32, layers=4, heads=4,
                                       max_len=t),
           {"input_ids": ids(rng, 256, (BATCH, t))}, ["logits"],
           "tokens", "labels", ids(rng, 256, (BATCH, t)))
    lengths = rng.integers(t // 2, t + 1, (STEPS, BATCH))
    mask = (np.arange(t) < lengths[..., None]).astype(np.int64)
    yield ("bert_encoder", make_models.Bert(vocab=256, dim=32, layers=4,
                                            heads=4, max_len=t),
           {"input_ids": ids(rng, 256, (BATCH, t)),
            "token_type_ids": ids(rng, 2, (BATCH, t)),
            "attention_mask": mask},
           ["last_hidden_state", "pooler_output"], "mse:pooler_output",
           "target",
           (rng.standard_normal((STEPS, BATCH, 32)) * 0.5).astype(np.float32))
    yield ("vit", make_models.Vit(image=16, patch=4, dim=32, layers=4,
                                  heads=4, classes=10),
           {"images": images(rng, 16)}, ["logits"], "cross_entropy",
           "labels", classes(rng, 10))
    # ResNet-50 and MobileNetV2: deep_cnns.
    yield ("inception", make_models.Inception(classes=10, width=0.25),
           {"images": images(rng, 32)}, ["logits"], "cross_entropy",
           "labels", classes(rng, 10))


def grid_images(rng, batch, size=64):
    """S batches of normal images on a grid of 1/16 (exact in float32; git
    packs them to a quarter)."""
    images = rng.standard_normal((STEPS, batch, 3, size, size))
    return (np.clip(np.round(images * 16), -127, 127) / 16).astype(np.float32)


def small_steps(sgd_lr):
    """SGD with momentum at sgd_lr and AdamW at 1e-4: the deep CNNs'
    optimizers."""
    return {
        "sgd": lambda p: torch.optim.SGD(p, lr=sgd_lr, momentum=0.9),
        "adamw": lambda p: torch.optim.AdamW(p, lr=1e-4, eps=1e-6,
                                             weight_decay=0.01),
    }


def deep_cnns(batch=8):
    """ResNet-50 and MobileNetV2 at training widths: (name, module,
    inputs, output names, loss, target name, targets, optimizers, frozen
    parameters).

    Ten steps of a deep network of batch norms over few values are
    chaotic: float32 rounding grows step after step, so two float32
    programs (PyTorch's and Cleave's, or PyTorch's on two machines) part
    further than any tolerance. The settings keep the trajectory stable:
    64-pixel images (the last stage normalizes 2 x 2 values per image), a
    batch of 8 (2 per microbatch), the last batch norm of each residual
    branch at a tenth of its scale (as torchvision's zero_init_residual,
    milder) and small steps (SGD lr 1e-3, AdamW lr 1e-4). PyTorch's own
    float32 and float64 runs then agree within 5e-7 after 10 steps (SGD,
    4 microbatches) and 1.3e-6 (AdamW), where at 32 pixels, batch 4 and
    lr 1e-2 they differ by 1 or more. Two replicas (4 rows each) are
    still chaotic: float32 and float64 part by 5.8e-4 (measured
    2026-12-08, PyTorch 2.15); Cleave matches that reference within
    2.4e-7 because its batch norm's ops round as PyTorch's do, and a
    batch norm that summed in double ended 6e-4 away, as far as float64
    (so does Inception's run of 4 microbatches of one image: 1.2e-4).
    Settings that calm both are still to be found: 96 pixels, or Inception
    at 64 pixels, made it worse.
    The images lie on a grid of 1/16 (exact in float32; git packs them to
    a quarter).

    MobileNetV2 needs one more setting: its ReLU6 inputs kept clear of
    the kinks at 0 and 6. With randomise_batch_norms alone, about 950
    ReLU6 inputs of a 10-step run lie within 1e-4 of a kink; float32
    rounding flips some of their masks, and one flipped element moves the
    gradient of every earlier layer by percents (batch norms over 2 x 2
    maps give each element a large share), so PyTorch's float32 and
    float64 runs part by 1e-1 to 3 in the parameters. With each ReLU6's
    batch norm at half its scale and its shift raised by 2 (the inputs
    about 2 +- 0.5), and each block's projection batch norm at a tenth of
    its scale (as ResNet-50's residual branches), 2-15 inputs lie that
    close, and float32 stays within 2e-5 of float64 (SGD, 4 microbatches,
    2 replicas; 3e-5 with AdamW) at seeds 0 and 1, while the median
    parameter moves 1.5-2e-4, above the tolerance (SGD lr 1e-2). The ReLU6 masks' own gradients are
    checked against finite differences in gradients.test.
    Its projection batch norms' shifts are frozen: every path from them
    reaches a batch norm through convolutions of 1 x 1 (or the residual
    adds before those), which takes any per-channel constant away, so
    their gradient is zero but rounding noise, which AdamW scales up to
    steps of lr (as tiny_cnn's convolution biases)."""
    torch.manual_seed(0)
    generator = torch.Generator().manual_seed(0)
    rng = np.random.default_rng(0)
    model = make_models.ResNet50(base=4, classes=10)
    make_models.randomise_batch_norms(model, generator)
    for block in model.modules():
        if isinstance(block, make_models.Bottleneck):
            block.body[2][1].weight.data.mul_(0.1)
    yield ("resnet50", model, {"images": grid_images(rng, batch)}, ["logits"],
           "cross_entropy", "labels",
           rng.integers(0, 10, (STEPS, batch)).astype(np.int64),
           small_steps(sgd_lr=1e-3), ())

    # MobileNetV2 with streams of its own, after ResNet-50's.
    torch.manual_seed(1)
    generator = torch.Generator().manual_seed(1)
    rng = np.random.default_rng(1)
    model = make_models.MobileNetV2(width=0.25, last=320, classes=10)
    make_models.randomise_batch_norms(model, generator)
    for layer in model.modules():
        if isinstance(layer, nn.Sequential) and \
                isinstance(layer[-1], nn.ReLU6):
            layer[1].weight.data.mul_(0.5)
            layer[1].bias.data.add_(2.0)
        if isinstance(layer, make_models.InvertedResidual):
            layer.body[-1][1].weight.data.mul_(0.1)
    images = grid_images(rng, batch)
    frozen = tuple(f"{name}.body.{len(block.body) - 1}.1.bias"
                   for name, block in model.named_modules()
                   if isinstance(block, make_models.InvertedResidual))
    yield ("mobilenet_v2", model, {"images": images}, ["logits"],
           "cross_entropy", "labels",
           rng.integers(0, 10, (STEPS, batch)).astype(np.int64),
           small_steps(sgd_lr=1e-2), frozen)


def recurrent_models():
    """The recurrent models (LSTM LM, DeepSpeech 2's convolutions and
    bidirectional GRUs) at training widths, as suite_models yields them.
    The exporter (without constant folding) keeps PyTorch's gate weights
    as initializers and reorders them into ONNX's with Slice and Concat
    in the graph, so Cleave trains PyTorch's parameters through them.
    Larger steps than the suite's (SGD lr 0.1, AdamW lr 3e-3), so that
    every gate weight moves well beyond the tolerance in 10 steps.
    DeepSpeech 2's convolution biases, before batch norms, are frozen as
    tiny_cnn's are: no gradient but rounding noise, which AdamW scales up."""
    torch.manual_seed(0)
    generator = torch.Generator().manual_seed(0)
    rng = np.random.default_rng(0)
    t = 16
    optimizers = {
        "sgd": lambda p: torch.optim.SGD(p, lr=0.1, momentum=0.9),
        "adamw": lambda p: torch.optim.AdamW(p, lr=3e-3, eps=1e-6,
                                             weight_decay=0.01),
    }
    yield ("lstm_lm", make_models.LstmLm(vocab=256, dim=32, hidden=48,
                                         layers=2),
           {"input_ids": ids(rng, 256, (BATCH, t))}, ["logits"], "tokens",
           "labels", ids(rng, 256, (BATCH, t)), optimizers, ())
    model = make_models.DeepSpeech2(features=32, channels=8, hidden=32,
                                    layers=2, classes=29)
    make_models.randomise_batch_norms(model, generator)
    spectrograms = rng.standard_normal((STEPS, BATCH, 1, 2 * t, 32))
    yield ("deepspeech2", model,
           {"spectrogram": spectrograms.astype(np.float32)},
           ["log_probs"], "tokens", "labels", ids(rng, 29, (BATCH, t)),
           optimizers, ("conv.0.bias", "conv.3.bias"))


def export(name, model, inputs, output_names):
    """suite/<name>.onnx: the module as it trains (no constant folding)."""
    path = os.path.join(OUT, f"{name}.onnx")
    os.makedirs(OUT, exist_ok=True)
    model.eval()
    with torch.no_grad():
        torch.onnx.export(
            model, tuple(torch.from_numpy(v[0]) for v in inputs.values()),
            path, input_names=list(inputs), output_names=output_names,
            opset_version=make_models.OPSET, dynamo=False,
            do_constant_folding=False,
            dynamic_axes={n: {0: "batch"}
                          for n in list(inputs) + output_names})
    return path


def example_models(rng):
    for name, make, shape in (("tiny_mlp", TinyMlp, (BATCH, 16)),
                              ("tiny_cnn", TinyCnn, (BATCH, 3, 32, 32))):
        path = os.path.join(ROOT, "examples", f"{name}.onnx")
        init = {i.name: torch.from_numpy(onnx.numpy_helper.to_array(i).copy())
                for i in onnx.load(path).graph.initializer}
        target = rng.random((STEPS, BATCH, 10)).astype(np.float32)
        target /= target.sum(-1, keepdims=True)
        inputs = {"x" if name == "tiny_mlp" else "image":
                  rng.standard_normal((STEPS,) + shape).astype(np.float32)}
        yield name, make(init), inputs, path, "mse:probs", "target", target


def loss_of(loss, outputs, target):
    """make_references.py's loss of the first output (mse: the last)."""
    return make_references.loss_of(
        loss, outputs[-1] if loss == "mse" else outputs[0], target)


def run(model, inputs, target, loss, kind, make_optimizer, frozen):
    """Trains a copy of the model for STEPS steps; returns the losses and
    the state (parameters and running statistics) after the last."""
    model = copy.deepcopy(model)
    model.train()
    for m in model.modules():
        if isinstance(m, nn.Dropout):  # as --dropout=off
            m.eval()
    params = [p for n, p in model.named_parameters() if n not in frozen]
    for n, p in model.named_parameters():
        p.requires_grad_(n not in frozen)
    optimizer = make_optimizer(params)
    parts = {"mb4": 4, "dp2": 2}.get(kind, 1)
    batch = len(next(iter(inputs.values()))[0])
    losses = []
    for step in range(STEPS):
        optimizer.zero_grad()
        total = 0.0
        replica0_stats = None
        for part in range(parts):
            rows = slice(part * batch // parts, (part + 1) * batch // parts)
            feeds = [torch.from_numpy(v[step][rows]) for v in inputs.values()]
            outputs = model(*feeds)
            outputs = outputs if isinstance(outputs, tuple) else (outputs,)
            value = loss_of(loss, outputs, torch.from_numpy(target[step][rows]))
            (value / parts).backward()
            total += value.item() / parts
            if kind == "dp2" and part == 0:
                replica0_stats = {n: b.clone()
                                  for n, b in model.named_buffers()}
        if replica0_stats:
            with torch.no_grad():
                for n, b in model.named_buffers():
                    b.copy_(replica0_stats[n])
        optimizer.step()
        losses.append(total)
    state = {n: p.detach().numpy().copy()
             for n, p in model.named_parameters() if n not in frozen}
    state.update({n: b.detach().numpy().copy()
                  for n, b in model.named_buffers() if "running" in n})
    return np.array(losses, np.float32), state


def match_names(path, model):
    """The parameter or running statistic each initializer holds, matched
    by value (the exporter may rename or transpose them)."""
    state = {n: v.detach().numpy() for n, v in model.state_dict().items()
             if v.dtype == torch.float32}
    names = {}
    for init in onnx.load(path).graph.initializer:
        value = onnx.numpy_helper.to_array(init)
        for k, v in state.items():
            if value.shape == v.shape and np.array_equal(value, v):
                names[init.name] = [k, False]
            elif v.ndim == 2 and value.shape == v.T.shape and \
                    np.array_equal(value, v.T):
                names[init.name] = [k, True]
    return names


def write(name, model, inputs, target_name, target, loss, path, names,
          frozen=(), optimizers=OPTIMIZERS):
    os.makedirs(OUT, exist_ok=True)
    for input_name, value in inputs.items():
        np.save(os.path.join(OUT, f"{name}.{input_name}.npy"), value)
    np.save(os.path.join(OUT, f"{name}.{target_name}.npy"), target)
    with open(os.path.join(OUT, f"{name}.names.json"), "w") as f:
        json.dump(names, f, indent=1, sort_keys=True)
    norms = any(isinstance(m, nn.BatchNorm2d) for m in model.modules())
    kinds = [("sgd", "sgd"), ("adamw", "adamw")]
    if norms:
        kinds += [("mb4", "sgd"), ("dp2", "sgd")]
    loss_kind = loss.split(":")[0]
    for kind, optimizer in kinds:
        losses, state = run(model, inputs, target, loss_kind, kind,
                            optimizers[optimizer], frozen)
        np.savez(os.path.join(OUT, f"{name}.{kind}.npz"), losses=losses,
                 **state)
        print(f"{name} {kind}: loss {losses[0]:.4f} -> {losses[-1]:.4f}")


def main():
    only = sys.argv[1:]
    torch.manual_seed(0)
    generator = torch.Generator().manual_seed(0)
    rng = np.random.default_rng(0)
    for (name, model, inputs, output_names, loss, target_name,
         target) in suite_models(rng):
        randomise_norms(model, generator)
        if only and name not in only:
            continue
        path = export(name, model, inputs, output_names)
        names = match_names(path, model)
        write(name, model, inputs, target_name, target, loss, path, names)
        params = sum(p.numel() for p in model.parameters())
        print(f"{name}: {params / 1e3:.1f} k parameters, "
              f"{os.path.getsize(path) / 1e3:.0f} kB")
    for name, model, inputs, path, loss, target_name, target in \
            example_models(rng):
        if only and name not in only:
            continue
        names = ({k: [v, False] for k, v in TINY_CNN_NAMES.items()}
                 if name == "tiny_cnn" else
                 {n: [n.replace(".", "_"), False] for n in
                  ("fc1.weight", "fc1.bias", "fc2.weight", "fc2.bias")})
        # The convolutions' biases, before batch norms, have no gradient
        # but rounding noise, which AdamW scales up to full steps: frozen
        # (cleave-compile --frozen='conv*.bias').
        frozen = {"convs.0.bias", "convs.1.bias"} if name == "tiny_cnn" else ()
        write(name, model, inputs, target_name, target, loss, path, names,
              frozen)
    # After the others, with random streams of their own, so that adding
    # them changed none of the others' references.
    for (name, model, inputs, output_names, loss, target_name, target,
         optimizers, frozen) in recurrent_models():
        if only and name not in only:
            continue
        path = export(name, model, inputs, output_names)
        write(name, model, inputs, target_name, target, loss, path,
              match_names(path, model), frozen, optimizers)
    for (name, model, inputs, output_names, loss, target_name, target,
         optimizers, frozen) in deep_cnns():
        if only and name not in only:
            continue
        path = export(name, model, inputs, output_names)
        write(name, model, inputs, target_name, target, loss, path,
              match_names(path, model), frozen, optimizers)


if __name__ == "__main__":
    main()
