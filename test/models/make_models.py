#!/usr/bin/env python3
"""Exports the real-model suite from PyTorch: small but real architectures
with random weights, each an .onnx file beside this script.

  python3 test/models/make_models.py [--out test/models] [--only a,b]

  gpt2_lm.onnx       GPT-2-style causal LM (pre-LN, tanh GELU, tied LM head)
  bert_encoder.onnx  BERT-style encoder (post-LN, erf GELU, attention mask, pooler)
  vit.onnx           ViT (patch conv, class token, pre-LN encoder, head)
  resnet50.onnx      ResNet-50 (bottlenecks [3, 4, 6, 3]) at a quarter width
  mobilenet_v2.onnx  MobileNetV2 (inverted residuals, ReLU6) at half width
  inception.onnx     Inception-style branchy CNN (1x1, 3x3, double 3x3, pool)
  deepspeech2.onnx   DeepSpeech 2-style speech model (2-D convolutions over a
                     spectrogram, two bidirectional GRU layers, a per-frame
                     classifier)
  lstm_lm.onnx       LSTM language model (embedding, two LSTM layers, head)

Depths and block structure are the published ones; widths are cut so the
suite stays under 25 MB. The batch dim is symbolic ("batch"). Weights come
from PyTorch's default initialisation with seed 0, and batch-norm running
statistics are randomised so they matter. Needs torch (PyPI); the exported
files are committed, so tests need only onnxruntime.
"""
import argparse
import math
import os

import torch
from torch import nn
import torch.nn.functional as F

OPSET = 17


# --- Transformers ----------------------------------------------------------

class SelfAttention(nn.Module):
    def __init__(self, dim, heads, causal=False, max_len=0):
        super().__init__()
        self.heads = heads
        self.qkv = nn.Linear(dim, 3 * dim)
        self.proj = nn.Linear(dim, dim)
        if causal:
            mask = torch.tril(torch.ones(max_len, max_len, dtype=torch.bool))
            self.register_buffer("causal", mask.view(1, 1, max_len, max_len))
        else:
            self.causal = None

    def forward(self, x, additive_mask=None):
        b, t, d = x.shape
        q, k, v = self.qkv(x).split(d, dim=2)
        shape = (b, t, self.heads, d // self.heads)
        q, k, v = (y.view(shape).transpose(1, 2) for y in (q, k, v))
        scores = q @ k.transpose(-2, -1) / math.sqrt(d // self.heads)
        if self.causal is not None:
            scores = scores.masked_fill(~self.causal[:, :, :t, :t],
                                        float("-inf"))
        if additive_mask is not None:
            scores = scores + additive_mask
        y = F.softmax(scores, dim=-1) @ v
        return self.proj(y.transpose(1, 2).reshape(b, t, d))


class PreLnBlock(nn.Module):
    """GPT-2 and ViT: x + attn(ln(x)), then x + mlp(ln(x))."""

    def __init__(self, dim, heads, gelu, causal=False, max_len=0):
        super().__init__()
        self.ln1 = nn.LayerNorm(dim)
        self.attn = SelfAttention(dim, heads, causal, max_len)
        self.ln2 = nn.LayerNorm(dim)
        self.mlp = nn.Sequential(nn.Linear(dim, 4 * dim),
                                 nn.GELU(approximate=gelu),
                                 nn.Linear(4 * dim, dim))

    def forward(self, x):
        x = x + self.attn(self.ln1(x))
        return x + self.mlp(self.ln2(x))


class Gpt2(nn.Module):
    def __init__(self, vocab=2048, dim=128, layers=4, heads=4, max_len=64):
        super().__init__()
        self.wte = nn.Embedding(vocab, dim)
        self.wpe = nn.Embedding(max_len, dim)
        self.blocks = nn.ModuleList(
            PreLnBlock(dim, heads, "tanh", causal=True, max_len=max_len)
            for _ in range(layers))
        self.ln_f = nn.LayerNorm(dim)

    def forward(self, input_ids):
        positions = torch.arange(input_ids.shape[1], dtype=torch.int64)
        x = self.wte(input_ids) + self.wpe(positions)
        for block in self.blocks:
            x = block(x)
        return self.ln_f(x) @ self.wte.weight.t()  # Tied LM head.


class BertLayer(nn.Module):
    """Post-LN: ln(x + attn(x)), then ln(x + ffn(x))."""

    def __init__(self, dim, heads):
        super().__init__()
        self.attn = SelfAttention(dim, heads)
        self.ln1 = nn.LayerNorm(dim, eps=1e-12)
        self.ffn = nn.Sequential(nn.Linear(dim, 4 * dim), nn.GELU(),
                                 nn.Linear(4 * dim, dim))
        self.ln2 = nn.LayerNorm(dim, eps=1e-12)

    def forward(self, x, additive_mask):
        x = self.ln1(x + self.attn(x, additive_mask))
        return self.ln2(x + self.ffn(x))


class Bert(nn.Module):
    def __init__(self, vocab=2048, dim=128, layers=4, heads=4, max_len=64):
        super().__init__()
        self.words = nn.Embedding(vocab, dim)
        self.positions = nn.Embedding(max_len, dim)
        self.token_types = nn.Embedding(2, dim)
        self.ln = nn.LayerNorm(dim, eps=1e-12)
        self.layers = nn.ModuleList(BertLayer(dim, heads)
                                    for _ in range(layers))
        self.pooler = nn.Linear(dim, dim)

    def forward(self, input_ids, token_type_ids, attention_mask):
        positions = torch.arange(input_ids.shape[1], dtype=torch.int64)
        x = self.ln(self.words(input_ids) + self.positions(positions) +
                    self.token_types(token_type_ids))
        additive = (1.0 - attention_mask[:, None, None, :].float()) * -10000.0
        for layer in self.layers:
            x = layer(x, additive)
        return x, torch.tanh(self.pooler(x[:, 0]))


class Vit(nn.Module):
    def __init__(self, image=32, patch=4, dim=96, layers=4, heads=4,
                 classes=10):
        super().__init__()
        self.patch = nn.Conv2d(3, dim, patch, stride=patch)
        self.cls = nn.Parameter(torch.randn(1, 1, dim) * 0.02)
        self.pos = nn.Parameter(torch.randn(1, (image // patch) ** 2 + 1, dim)
                                * 0.02)
        self.blocks = nn.ModuleList(PreLnBlock(dim, heads, "none")
                                    for _ in range(layers))
        self.ln = nn.LayerNorm(dim)
        self.head = nn.Linear(dim, classes)

    def forward(self, images):
        x = self.patch(images).flatten(2).transpose(1, 2)
        x = torch.cat([self.cls.expand(x.shape[0], -1, -1), x], dim=1)
        x = x + self.pos
        for block in self.blocks:
            x = block(x)
        return self.head(self.ln(x)[:, 0])


# --- CNNs ------------------------------------------------------------------

def conv_bn(cin, cout, kernel, stride=1, groups=1, act=nn.ReLU):
    layers = [nn.Conv2d(cin, cout, kernel, stride, kernel // 2, groups=groups,
                        bias=False), nn.BatchNorm2d(cout)]
    if act is not None:
        layers.append(act(inplace=True))
    return nn.Sequential(*layers)


class Bottleneck(nn.Module):
    def __init__(self, cin, width, stride):
        super().__init__()
        cout = 4 * width
        self.body = nn.Sequential(conv_bn(cin, width, 1),
                                  conv_bn(width, width, 3, stride),
                                  conv_bn(width, cout, 1, act=None))
        self.shortcut = (conv_bn(cin, cout, 1, stride, act=None)
                         if stride != 1 or cin != cout else nn.Identity())

    def forward(self, x):
        return F.relu(self.body(x) + self.shortcut(x))


class ResNet50(nn.Module):
    def __init__(self, base=16, classes=100):
        super().__init__()
        layers = [nn.Conv2d(3, base, 7, 2, 3, bias=False),
                  nn.BatchNorm2d(base), nn.ReLU(inplace=True),
                  nn.MaxPool2d(3, 2, 1)]
        cin = base
        for i, blocks in enumerate([3, 4, 6, 3]):
            width = base * 2 ** i
            for j in range(blocks):
                layers.append(Bottleneck(cin, width, 2 if j == 0 and i else 1))
                cin = 4 * width
        self.features = nn.Sequential(*layers)
        self.fc = nn.Linear(cin, classes)

    def forward(self, x):
        return self.fc(torch.flatten(F.adaptive_avg_pool2d(self.features(x),
                                                           1), 1))


class InvertedResidual(nn.Module):
    def __init__(self, cin, cout, stride, expand):
        super().__init__()
        hidden = cin * expand
        layers = [] if expand == 1 else [conv_bn(cin, hidden, 1, act=nn.ReLU6)]
        layers += [conv_bn(hidden, hidden, 3, stride, groups=hidden,
                           act=nn.ReLU6),
                   conv_bn(hidden, cout, 1, act=None)]
        self.body = nn.Sequential(*layers)
        self.residual = stride == 1 and cin == cout

    def forward(self, x):
        return x + self.body(x) if self.residual else self.body(x)


class MobileNetV2(nn.Module):
    SETTINGS = [(1, 16, 1, 1), (6, 24, 2, 2), (6, 32, 3, 2), (6, 64, 4, 2),
                (6, 96, 3, 1), (6, 160, 3, 2), (6, 320, 1, 1)]

    def __init__(self, width=0.5, last=640, classes=100):
        super().__init__()
        cin = int(32 * width)
        layers = [conv_bn(3, cin, 3, 2, act=nn.ReLU6)]
        for expand, channels, repeats, stride in self.SETTINGS:
            cout = int(channels * width)
            for i in range(repeats):
                layers.append(InvertedResidual(cin, cout, stride if i == 0
                                               else 1, expand))
                cin = cout
        layers.append(conv_bn(cin, last, 1, act=nn.ReLU6))
        self.features = nn.Sequential(*layers)
        self.classifier = nn.Sequential(nn.Dropout(0.2),
                                        nn.Linear(last, classes))

    def forward(self, x):
        x = F.adaptive_avg_pool2d(self.features(x), 1)
        return self.classifier(torch.flatten(x, 1))


class InceptionBlock(nn.Module):
    """Four branches concatenated: 1x1; 1x1 then 3x3; 1x1 then two 3x3
    (Inception-v3's factorised 5x5); 3x3 average pool then 1x1."""

    def __init__(self, cin, b1, b3, b5, pool):
        super().__init__()
        self.b1 = conv_bn(cin, b1, 1)
        self.b3 = nn.Sequential(conv_bn(cin, b3 // 2, 1),
                                conv_bn(b3 // 2, b3, 3))
        self.b5 = nn.Sequential(conv_bn(cin, b5 // 2, 1),
                                conv_bn(b5 // 2, b5, 3), conv_bn(b5, b5, 3))
        self.pool = nn.Sequential(nn.AvgPool2d(3, 1, 1), conv_bn(cin, pool, 1))

    def forward(self, x):
        return torch.cat([self.b1(x), self.b3(x), self.b5(x), self.pool(x)], 1)


class Inception(nn.Module):
    def __init__(self, classes=100, width=1.0):
        super().__init__()
        c = lambda n: int(n * width)  # noqa: E731
        blocks = [(c(32), c(48), c(24), c(24)), (c(48), c(64), c(32), c(32)),
                  (c(64), c(96), c(48), c(48)), (c(96), c(128), c(64), c(64))]
        self.stem = nn.Sequential(conv_bn(3, c(32), 3, 2),
                                  conv_bn(c(32), c(48), 3),
                                  nn.MaxPool2d(3, 2, 1))
        cins = [c(48)] + [sum(b) for b in blocks[:-1]]
        self.blocks = nn.Sequential(InceptionBlock(cins[0], *blocks[0]),
                                    InceptionBlock(cins[1], *blocks[1]),
                                    nn.MaxPool2d(3, 2, 1),
                                    InceptionBlock(cins[2], *blocks[2]),
                                    InceptionBlock(cins[3], *blocks[3]))
        self.fc = nn.Linear(sum(blocks[-1]), classes)

    def forward(self, x):
        x = F.adaptive_avg_pool2d(self.blocks(self.stem(x)), 1)
        return self.fc(torch.flatten(x, 1))


# --- Export ----------------------------------------------------------------

# --- Recurrent -----------------------------------------------------------

class DeepSpeech2(nn.Module):
    """Spectrogram [batch, 1, time, features] -> per-frame log-probabilities
    [batch, time / 2, classes]."""

    def __init__(self, features=32, channels=16, hidden=48, layers=2,
                 classes=29):
        super().__init__()
        self.conv = nn.Sequential(
            nn.Conv2d(1, channels, (11, 5), stride=(2, 2), padding=(5, 2)),
            nn.BatchNorm2d(channels), nn.Hardtanh(0, 20),
            nn.Conv2d(channels, channels, (11, 5), stride=(1, 2),
                      padding=(5, 2)),
            nn.BatchNorm2d(channels), nn.Hardtanh(0, 20))
        self.rnn = nn.GRU(channels * (features // 4), hidden,
                          num_layers=layers, bidirectional=True)
        self.fc = nn.Linear(2 * hidden, classes)

    def forward(self, spectrogram):
        x = self.conv(spectrogram)
        b, c, t, f = x.shape
        x, _ = self.rnn(x.permute(2, 0, 1, 3).reshape(t, b, c * f))
        return self.fc(x.transpose(0, 1)).log_softmax(-1)


class LstmLm(nn.Module):
    def __init__(self, vocab=512, dim=64, hidden=96, layers=2):
        super().__init__()
        self.embed = nn.Embedding(vocab, dim)
        self.lstm = nn.LSTM(dim, hidden, num_layers=layers, batch_first=True)
        self.head = nn.Linear(hidden, vocab)

    def forward(self, input_ids):
        x, _ = self.lstm(self.embed(input_ids))
        return self.head(x)


def randomise_batch_norms(model, generator):
    for m in model.modules():
        if isinstance(m, nn.BatchNorm2d):
            m.running_mean.copy_(torch.randn(m.num_features,
                                             generator=generator) * 0.1)
            m.running_var.copy_(torch.rand(m.num_features,
                                           generator=generator) + 0.5)
            m.weight.data.copy_(torch.rand(m.num_features,
                                           generator=generator) + 0.5)
            m.bias.data.copy_(torch.randn(m.num_features,
                                          generator=generator) * 0.1)


def models():
    """(file name, model, example inputs, input names, output names)."""
    ids = torch.randint(0, 2048, (2, 32))
    yield ("gpt2_lm", Gpt2(), (ids,), ["input_ids"], ["logits"])
    yield ("bert_encoder", Bert(),
           (ids, torch.zeros_like(ids), torch.ones_like(ids)),
           ["input_ids", "token_type_ids", "attention_mask"],
           ["last_hidden_state", "pooler_output"])
    yield ("vit", Vit(), (torch.randn(2, 3, 32, 32),), ["images"], ["logits"])
    yield ("resnet50", ResNet50(), (torch.randn(2, 3, 64, 64),), ["images"],
           ["logits"])
    yield ("mobilenet_v2", MobileNetV2(), (torch.randn(2, 3, 96, 96),),
           ["images"], ["logits"])
    yield ("inception", Inception(), (torch.randn(2, 3, 64, 64),), ["images"],
           ["logits"])
    # Seeded apart, so that --only gives the same weights as a full run.
    torch.manual_seed(1)
    yield ("deepspeech2", DeepSpeech2(), (torch.randn(2, 1, 40, 32),),
           ["spectrogram"], ["log_probs"])
    torch.manual_seed(2)
    yield ("lstm_lm", LstmLm(), (torch.randint(0, 512, (2, 24)),),
           ["input_ids"], ["logits"])


def main():
    parser = argparse.ArgumentParser(description=__doc__,
                                     formatter_class=argparse.RawTextHelpFormatter)
    parser.add_argument("--out", default=os.path.dirname(os.path.abspath(__file__)))
    parser.add_argument("--only", default="",
                        help="comma-separated model names to write")
    args = parser.parse_args()
    only = set(filter(None, args.only.split(",")))
    torch.manual_seed(0)
    generator = torch.Generator().manual_seed(0)
    for name, model, inputs, input_names, output_names in models():
        randomise_batch_norms(model, generator)
        if only and name not in only:
            continue
        model.eval()
        path = os.path.join(args.out, name + ".onnx")
        with torch.no_grad():
            torch.onnx.export(
                model, inputs, path, input_names=input_names,
                output_names=output_names, opset_version=OPSET, dynamo=False,
                dynamic_axes={n: {0: "batch"}
                              for n in input_names + output_names})
        params = sum(p.numel() for p in model.parameters())
        print(f"{name}: {params / 1e6:.2f} M parameters, "
              f"{os.path.getsize(path) / 1e6:.2f} MB")


if __name__ == "__main__":
    main()
