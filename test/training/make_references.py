#!/usr/bin/env python3
"""Writes the training references: small models trained by PyTorch.

For each model: <name>.onnx (exported from PyTorch, initializers named as
the parameters), its data for S steps (<name>.x.npy and the labels or
targets, S batches stacked on a new leading axis), and for each optimizer
<name>.<optimizer>.npz with the loss of every step ("losses") and every
parameter after the last step (by name). Dropout is off in the references
(Cleave's --dropout=off), so the steps are deterministic; PyTorch runs in
float32 on the CPU like Cleave.

Run: python3 test/training/make_references.py  (needs torch, onnx, numpy);
the outputs are committed, so the tests need no PyTorch. <name>.names.json
maps each ONNX initializer to its parameter (and whether the exporter
stored it transposed).
"""
import json
import os

import numpy as np
import onnx
import torch
import torch.nn.functional as F

HERE = os.path.dirname(os.path.abspath(__file__))
STEPS = 10
# name: (cleave's --optimizer, torch's optimizer[, --clip-grad-norm])
OPTIMIZERS = {
    "sgd": ("sgd:lr=0.1,momentum=0.9",
            lambda p: torch.optim.SGD(p, lr=0.1, momentum=0.9)),
    "nesterov": ("sgd:lr=0.05,momentum=0.9,nesterov=1,weight_decay=0.01",
                 lambda p: torch.optim.SGD(p, lr=0.05, momentum=0.9,
                                           nesterov=True, weight_decay=0.01)),
    "adamw": ("adamw:lr=0.01,weight_decay=0.01",
              lambda p: torch.optim.AdamW(p, lr=0.01, weight_decay=0.01)),
    # A norm the gradients exceed at every step.
    "clipped": ("sgd:lr=0.1,momentum=0.9",
                lambda p: torch.optim.SGD(p, lr=0.1, momentum=0.9), 0.05),
}


def warmup_cosine(warmup, total):
    """transformers' get_cosine_schedule_with_warmup, as a LambdaLR."""
    import math

    def factor(s):
        if s < warmup:
            return s / warmup
        progress = min(1.0, (s - warmup) / max(1, total - warmup))
        return 0.5 * (1 + math.cos(math.pi * progress))
    return lambda o: torch.optim.lr_scheduler.LambdaLR(o, factor)


# name: (cleave-run's --lr-schedule, the optimizer's name above, torch's
# scheduler), for the classifier: <name>.<schedule>.npz.
SCHEDULES = {
    "steplr": ("step:every=3,gamma=0.5", "sgd",
               lambda o: torch.optim.lr_scheduler.StepLR(o, 3, 0.5)),
    "cosine": ("cosine:total=10,warmup=3", "adamw", warmup_cosine(3, 10)),
}


class Classifier(torch.nn.Module):
    """MatMul/Gemm, Add, Relu and a cross-entropy loss over the logits."""

    def __init__(self):
        super().__init__()
        self.fc1 = torch.nn.Linear(16, 32)
        self.fc2 = torch.nn.Linear(32, 10)

    def forward(self, x):
        return self.fc2(torch.relu(self.fc1(x)))


class DropoutClassifier(torch.nn.Module):
    """The classifier with a Dropout between its layers, exported in
    training mode so that the ONNX model keeps it."""

    def __init__(self):
        super().__init__()
        self.fc1 = torch.nn.Linear(16, 32)
        self.drop = torch.nn.Dropout(0.3)
        self.fc2 = torch.nn.Linear(32, 10)

    def forward(self, x):
        return self.fc2(self.drop(torch.relu(self.fc1(x))))


class Regressor(torch.nn.Module):
    """Tanh, Sigmoid, broadcasting Mul and Sub, and a mean squared error."""

    def __init__(self):
        super().__init__()
        self.fc1 = torch.nn.Linear(8, 16)
        self.fc2 = torch.nn.Linear(16, 4)
        self.scale = torch.nn.Parameter(torch.full((4,), 1.5))

    def forward(self, x):
        h = torch.tanh(self.fc1(x))
        return torch.sigmoid(self.fc2(h)) * self.scale - 0.25


class Transformer(torch.nn.Module):
    """A one-block transformer language model: an embedding (Gather), a
    learned position table, LayerNorm, single-head attention (batched
    MatMul, Transpose, Softmax), GELU in its erf form, residual Adds and a
    cross-entropy over the vocabulary at every position."""

    def __init__(self, vocab=20, width=16, length=8):
        super().__init__()
        self.embed = torch.nn.Embedding(vocab, width)
        self.position = torch.nn.Parameter(torch.randn(length, width) * 0.1)
        self.norm1 = torch.nn.LayerNorm(width)
        self.query = torch.nn.Linear(width, width)
        # No key bias: softmax ignores it, so its gradient is rounding
        # noise, which AdamW would scale up into different steps.
        self.key = torch.nn.Linear(width, width, bias=False)
        self.value = torch.nn.Linear(width, width)
        self.project = torch.nn.Linear(width, width)
        self.norm2 = torch.nn.LayerNorm(width)
        self.up = torch.nn.Linear(width, 2 * width)
        self.down = torch.nn.Linear(2 * width, width)
        self.head = torch.nn.Linear(width, vocab)
        self.scale = width ** -0.5
        # Distinct LayerNorm parameters: the exporter would merge equal
        # initializers into one, which trains them as one.
        with torch.no_grad():
            for norm in (self.norm1, self.norm2):
                norm.weight.add_(torch.randn(width) * 0.1)
                norm.bias.add_(torch.randn(width) * 0.1)

    def forward(self, tokens):
        h = self.embed(tokens) + self.position
        x = self.norm1(h)
        q, k, v = self.query(x), self.key(x), self.value(x)
        weights = torch.softmax(q @ k.transpose(1, 2) * self.scale, dim=-1)
        h = h + self.project(weights @ v)
        h = h + self.down(F.gelu(self.up(self.norm2(h))))
        return self.head(h)


class Cnn(torch.nn.Module):
    """Conv (padded; strided and grouped), BatchNormalization trained with
    batch statistics, Relu, MaxPool, GlobalAveragePool, Flatten, Gemm."""

    def __init__(self):
        super().__init__()
        # No bias before a batch norm: its gradient is zero but for
        # rounding, which AdamW would scale up to full steps.
        self.conv1 = torch.nn.Conv2d(3, 8, 3, padding=1, bias=False)
        self.bn1 = torch.nn.BatchNorm2d(8)
        self.conv2 = torch.nn.Conv2d(8, 8, 3, stride=2, padding=1, groups=2,
                                     bias=False)
        self.bn2 = torch.nn.BatchNorm2d(8)
        self.fc = torch.nn.Linear(8, 5)
        # Distinct values everywhere: the exporter merges equal
        # initializers (both norms' ones and zeros) into one.
        with torch.no_grad():
            for bn in (self.bn1, self.bn2):
                bn.weight.uniform_(0.5, 1.5)
                bn.bias.uniform_(-0.5, 0.5)
                bn.running_mean.uniform_(-0.5, 0.5)
                bn.running_var.uniform_(0.5, 1.5)

    def forward(self, x):
        h = F.max_pool2d(torch.relu(self.bn1(self.conv1(x))), 2)
        h = torch.relu(self.bn2(self.conv2(h)))
        return self.fc(torch.flatten(F.adaptive_avg_pool2d(h, 1), 1))


MODELS = {
    # name: (module, input shape, loss, targets)
    "classifier": (Classifier, (8, 16), "cross_entropy", 10),
    "dropout": (DropoutClassifier, (8, 16), "cross_entropy", 10),
    "regressor": (Regressor, (6, 8), "mse", 4),
    "transformer": (Transformer, (4, 8), "tokens", 20),
    "cnn": (Cnn, (4, 3, 8, 8), "cross_entropy", 5),
}


def loss_of(loss, out, target):
    """The model's loss in PyTorch's definition."""
    if loss == "tokens":
        return F.cross_entropy(out.reshape(-1, out.shape[-1]),
                               target.reshape(-1))
    if loss == "cross_entropy":
        return F.cross_entropy(out, target)
    return F.mse_loss(out, target)


def main():
    import sys
    only = sys.argv[1:]  # regenerate these models only (default: all)
    for name, (make, shape, loss, width) in MODELS.items():
        if only and name not in only:
            continue
        torch.manual_seed(0)
        model = make()
        initial = {k: v.detach().clone() for k, v in model.named_parameters()}
        buffers = {k: v.detach().clone() for k, v in model.named_buffers()
                   if "running" in k}
        rng = np.random.default_rng(1)
        x = rng.standard_normal((STEPS,) + shape).astype(np.float32)
        if loss == "tokens":
            x = rng.integers(0, width, (STEPS,) + shape).astype(np.int64)
            y = rng.integers(0, width, (STEPS,) + shape).astype(np.int64)
        elif loss == "cross_entropy":
            y = rng.integers(0, width, (STEPS, shape[0])).astype(np.int64)
        else:
            y = rng.standard_normal((STEPS, shape[0], width)).astype(np.float32)
        np.save(os.path.join(HERE, f"{name}.x.npy"), x)
        np.save(os.path.join(HERE, f"{name}.y.npy"), y)
        path = os.path.join(HERE, f"{name}.onnx")
        # Exported for inference (batch norms keep their running
        # statistics; constant folding would merge them into the convs);
        # trained as model.train() runs.
        norms = any(isinstance(m, torch.nn.BatchNorm2d)
                    for m in model.modules())
        # Dropouts only stay in a training-mode export.
        dropouts = [m for m in model.modules()
                    if isinstance(m, torch.nn.Dropout)]
        model.eval()
        torch.onnx.export(model, (torch.from_numpy(x[0]),), path,
                          input_names=["x"], output_names=["out"],
                          opset_version=17, dynamo=False,
                          do_constant_folding=not norms and not dropouts,
                          training=torch.onnx.TrainingMode.TRAINING
                          if dropouts else torch.onnx.TrainingMode.EVAL)
        model.train()
        for m in dropouts:  # off, as --dropout=off
            m.eval()
        # The exporter renames the weights it transposes for MatMul
        # (onnx::MatMul_62 = query.weight^T): record which is which.
        names = {}
        for init in onnx.load(path).graph.initializer:
            value = onnx.numpy_helper.to_array(init)
            for k, v in initial.items():
                v = v.numpy()
                if value.shape == v.shape and np.array_equal(value, v):
                    names[init.name] = [k, False]
                elif value.shape == v.T.shape and np.array_equal(value, v.T):
                    names[init.name] = [k, True]
        with open(os.path.join(HERE, f"{name}.names.json"), "w") as f:
            json.dump(names, f, indent=1, sort_keys=True)
        runs = [(key, make_optimizer, clip, None)
                for key, (_, make_optimizer, *clip) in OPTIMIZERS.items()]
        if name == "classifier":
            runs += [(key, OPTIMIZERS[optimizer][1], [], make_scheduler)
                     for key, (_, optimizer, make_scheduler)
                     in SCHEDULES.items()]
        for key, make_optimizer, clip, make_scheduler in runs:
            with torch.no_grad():
                for k, v in model.named_parameters():
                    v.copy_(initial[k])
                for k, v in model.named_buffers():
                    if k in buffers:
                        v.copy_(buffers[k])
            optimizer = make_optimizer(model.parameters())
            scheduler = make_scheduler(optimizer) if make_scheduler else None
            losses = []
            for step in range(STEPS):
                optimizer.zero_grad()
                out = model(torch.from_numpy(x[step]))
                target = torch.from_numpy(y[step])
                value = loss_of(loss, out, target)
                value.backward()
                if clip:
                    torch.nn.utils.clip_grad_norm_(model.parameters(), clip[0])
                optimizer.step()
                if scheduler:
                    scheduler.step()
                losses.append(value.item())
            params = {k: v.detach().numpy() for k, v in model.named_parameters()}
            params.update({k: v.detach().numpy().copy()
                           for k, v in model.named_buffers() if k in buffers})
            np.savez(os.path.join(HERE, f"{name}.{key}.npz"),
                     losses=np.array(losses, np.float32), **params)

if __name__ == "__main__":
    main()
