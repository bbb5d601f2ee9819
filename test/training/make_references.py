#!/usr/bin/env python3
"""Writes the training references: small models trained by PyTorch.

For each model: <name>.onnx (exported from PyTorch, initializers named as
the parameters), its data for S steps (<name>.x.npy and the labels or
targets, S batches stacked on a new leading axis), and for each optimizer
<name>.<optimizer>.npz with the loss of every step ("losses") and every
parameter after the last step (by name). Dropout is absent, so the steps
are deterministic; PyTorch runs in float32 on the CPU like Cleave.

Run: python3 test/training/make_references.py  (needs torch, onnx, numpy);
the outputs are committed, so the tests need no PyTorch.
"""
import os

import numpy as np
import torch
import torch.nn.functional as F

HERE = os.path.dirname(os.path.abspath(__file__))
STEPS = 10
OPTIMIZERS = {
    "sgd": ("sgd:lr=0.1,momentum=0.9",
            lambda p: torch.optim.SGD(p, lr=0.1, momentum=0.9)),
    "nesterov": ("sgd:lr=0.05,momentum=0.9,nesterov=1,weight_decay=0.01",
                 lambda p: torch.optim.SGD(p, lr=0.05, momentum=0.9,
                                           nesterov=True, weight_decay=0.01)),
    "adamw": ("adamw:lr=0.01,weight_decay=0.01",
              lambda p: torch.optim.AdamW(p, lr=0.01, weight_decay=0.01)),
}


class Classifier(torch.nn.Module):
    """MatMul/Gemm, Add, Relu and a cross-entropy loss over the logits."""

    def __init__(self):
        super().__init__()
        self.fc1 = torch.nn.Linear(16, 32)
        self.fc2 = torch.nn.Linear(32, 10)

    def forward(self, x):
        return self.fc2(torch.relu(self.fc1(x)))


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


MODELS = {
    # name: (module, input shape, loss, targets)
    "classifier": (Classifier, (8, 16), "cross_entropy", 10),
    "regressor": (Regressor, (6, 8), "mse", 4),
}


def main():
    for name, (make, shape, loss, width) in MODELS.items():
        torch.manual_seed(0)
        model = make()
        initial = {k: v.detach().clone() for k, v in model.named_parameters()}
        rng = np.random.default_rng(1)
        x = rng.standard_normal((STEPS,) + shape).astype(np.float32)
        if loss == "cross_entropy":
            y = rng.integers(0, width, (STEPS, shape[0])).astype(np.int64)
        else:
            y = rng.standard_normal((STEPS, shape[0], width)).astype(np.float32)
        np.save(os.path.join(HERE, f"{name}.x.npy"), x)
        np.save(os.path.join(HERE, f"{name}.y.npy"), y)
        torch.onnx.export(model, (torch.from_numpy(x[0]),),
                          os.path.join(HERE, f"{name}.onnx"),
                          input_names=["x"], output_names=["out"],
                          dynamo=False)
        for key, (_, make_optimizer) in OPTIMIZERS.items():
            with torch.no_grad():
                for k, v in model.named_parameters():
                    v.copy_(initial[k])
            optimizer = make_optimizer(model.parameters())
            losses = []
            for step in range(STEPS):
                optimizer.zero_grad()
                out = model(torch.from_numpy(x[step]))
                target = torch.from_numpy(y[step])
                value = (F.cross_entropy(out, target) if loss == "cross_entropy"
                         else F.mse_loss(out, target))
                value.backward()
                optimizer.step()
                losses.append(value.item())
            params = {k: v.detach().numpy() for k, v in model.named_parameters()}
            np.savez(os.path.join(HERE, f"{name}.{key}.npz"),
                     losses=np.array(losses, np.float32), **params)


if __name__ == "__main__":
    main()
