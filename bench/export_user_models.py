#!/usr/bin/env python3
"""Exports the models a user brings: small configurations of Hugging Face
transformers, torchvision and torchaudio models (random weights: nothing is
downloaded), through PyTorch's two ONNX exporters (`dynamo=True`, the
default, and the TorchScript one), into one folder with a suite.json that
bench/cpu_vs_onnxruntime.py reads (`--suite DIR/suite.json`).

  pip install torch torchvision torchaudio transformers onnxscript
  python3 bench/export_user_models.py --out ../cleave-user-models [--only gpt2]
  python3 bench/export_user_models.py --small --out test/models/user

Each model is exported at batch 1 with static shapes. With --small, narrow
and shallow configurations of the same classes are exported at batch 2 with
a symbolic batch dim (as users export for serving): the files committed in
test/models/user, which the lit suite runs on 1, 2 and 4 devices. A model
that fails to export is reported and skipped; the suite lists only those
that exported.
"""
import argparse
import json
import os
import sys
import traceback
import warnings

import torch

warnings.filterwarnings("ignore")


def transformers_models(small):
    import transformers as hf
    batch = 2 if small else 1
    # The small configurations keep each model's structure (its layers, its
    # attention and position schemes, a tied head) at widths that fit the
    # test suite's size budget.
    width, vocab = (64, 1000) if small else (128, None)

    def tokens(vocab, seq=16 if small else 32):
        return torch.randint(0, vocab, (batch, seq))

    def lm(model):
        class Wrapped(torch.nn.Module):
            def __init__(self):
                super().__init__()
                self.model = model

            def forward(self, input_ids):
                return self.model(input_ids=input_ids).logits
        return Wrapped(), {"input_ids": tokens(model.config.vocab_size)}

    def hidden(model, feeds):
        class Wrapped(torch.nn.Module):
            def __init__(self):
                super().__init__()
                self.model = model

            def forward(self, features):  # one input each: an export
                return self.model(features).last_hidden_state  # names it
        return Wrapped(), feeds

    def vocab_of(default):
        return {"vocab_size": vocab or default}

    yield "gpt2", lambda: lm(hf.GPT2LMHeadModel(hf.GPT2Config(
        n_layer=2, n_embd=width, n_head=4, n_positions=128,
        **vocab_of(50257))))
    yield "llama", lambda: lm(hf.LlamaForCausalLM(hf.LlamaConfig(
        hidden_size=width, intermediate_size=width * 43 // 16,
        num_hidden_layers=2, num_attention_heads=4, num_key_value_heads=2,
        max_position_embeddings=128, **vocab_of(32000))))
    yield "t5_encoder", lambda: hidden(hf.T5EncoderModel(hf.T5Config(
        d_model=width, d_ff=4 * width, num_layers=2, num_heads=4,
        d_kv=width // 4, **vocab_of(32128))),
        {"input_ids": tokens(vocab or 32128)})
    yield "bert", lambda: hidden(hf.BertModel(hf.BertConfig(
        hidden_size=width, num_hidden_layers=2, num_attention_heads=4,
        intermediate_size=4 * width, **vocab_of(30522))),
        {"input_ids": tokens(vocab or 30522)})
    image, patch = (32, 8) if small else (224, 16)
    yield "vit", lambda: hidden(hf.ViTModel(hf.ViTConfig(
        hidden_size=width if small else 192,
        num_hidden_layers=2 if small else 4,
        num_attention_heads=4 if small else 3,
        intermediate_size=4 * (width if small else 192),
        image_size=image, patch_size=patch)),
        {"pixel_values": torch.randn(batch, 3, image, image)})
    # Whisper's encoder reads 2 x max_source_positions mel frames.
    frames = 100 if small else 3000
    yield "whisper_encoder", lambda: hidden(
        hf.WhisperModel(hf.WhisperConfig(
            d_model=width, encoder_layers=2, decoder_layers=1,
            encoder_attention_heads=4, decoder_attention_heads=4,
            encoder_ffn_dim=4 * width, decoder_ffn_dim=4 * width,
            max_source_positions=frames // 2)).encoder,
        {"input_features": torch.randn(batch, 80, frames)})
    yield "wav2vec2", lambda: hidden(hf.Wav2Vec2Model(hf.Wav2Vec2Config(
        hidden_size=width, num_hidden_layers=2, num_attention_heads=4,
        intermediate_size=4 * width, conv_dim=((32 if small else 128),) * 7,
        num_conv_pos_embeddings=16 if small else 128)),
        {"input_values": torch.randn(batch, 4000 if small else 16000)})


def torchvision_models(small):
    import torchvision.models as tv
    if not small:
        image = lambda: {"image": torch.randn(1, 3, 224, 224)}  # noqa: E731
        for name in ("resnet18", "mobilenet_v3_small", "efficientnet_b0",
                     "convnext_tiny", "squeezenet1_1", "shufflenet_v2_x1_0",
                     "regnet_y_400mf", "densenet121", "swin_t"):
            yield name, (lambda n=name: (getattr(tv, n)(weights=None), image()))
        return
    # torchvision's own classes with narrower and shallower settings (its
    # ResNets hard-code their widths; test/models/resnet50 covers them).
    from torchvision.models import convnext, efficientnet, regnet
    image = lambda: {"image": torch.randn(2, 3, 64, 64)}  # noqa: E731
    classes = {"num_classes": 10}

    def efficientnet_b0():
        setting, last = efficientnet._efficientnet_conf(
            "efficientnet_b0", width_mult=0.25, depth_mult=0.5)
        return tv.EfficientNet(setting, 0.2, last_channel=last, **classes)

    def convnext_tiny():
        block = convnext.CNBlockConfig
        return tv.ConvNeXt([block(16, 32, 1), block(32, 64, 1),
                            block(64, 128, 1), block(128, None, 1)],
                           **classes)

    makers = {
        "mobilenet_v3_small": lambda: tv.mobilenet_v3_small(
            width_mult=0.25, **classes),
        "efficientnet_b0": efficientnet_b0,
        "convnext_tiny": convnext_tiny,
        "squeezenet1_1": lambda: tv.squeezenet1_1(**classes),
        "shufflenet_v2_x1_0": lambda: tv.ShuffleNetV2(
            [2, 2, 2], [8, 16, 32, 64, 128], **classes),
        "regnet_y_400mf": lambda: tv.RegNet(regnet.BlockParams.from_init_params(
            depth=4, w_0=16, w_a=8.0, w_m=2.0, group_width=8,
            se_ratio=0.25), **classes),
        "densenet121": lambda: tv.DenseNet(8, (2, 2, 2, 2), 16, **classes),
        "swin_t": lambda: tv.SwinTransformer(
            [4, 4], 8, [2, 2, 2, 2], [1, 2, 2, 4], [4, 4], **classes),
    }
    for name, make in makers.items():
        yield name, (lambda m=make: (m(), image()))


def torchaudio_models(small):
    import torchaudio.models as ta
    batch = 2 if small else 1
    if not small:  # Its convolutions have fixed widths of 250 to 2000.
        yield "wav2letter", lambda: (
            ta.Wav2Letter(num_classes=40, input_type="mfcc", num_features=13),
            {"mfcc": torch.randn(1, 13, 400)})
    # Stacked bidirectional recurrent layers (torchaudio's DeepSpeech is the
    # fully connected variant with one; Conformer-free and small).
    yield "deepspeech", lambda: (ta.DeepSpeech(
        n_feature=40, n_hidden=32 if small else 128, n_class=29),
        {"spectrogram": torch.randn(batch, 1, 50 if small else 100, 40)})


def export(model, feeds, path, dynamo, dynamic_batch):
    """Exports with a symbolic leading dim 'batch' when dynamic_batch (the
    dim Cleave binds with --dim and splits into microbatches)."""
    model.eval()
    args = tuple(feeds.values())
    with torch.no_grad():
        if dynamo:
            shapes = None
            if dynamic_batch:
                batch = torch.export.Dim("batch", min=1, max=64)
                shapes = tuple({0: batch} for _ in feeds)
            torch.onnx.export(model, args, path, dynamo=True,
                              input_names=list(feeds), output_names=["output"],
                              dynamic_shapes=shapes, external_data=False)
        else:
            axes = ({name: {0: "batch"} for name in [*feeds, "output"]}
                    if dynamic_batch else None)
            torch.onnx.export(model, args, path, dynamo=False, opset_version=17,
                              input_names=list(feeds), output_names=["output"],
                              dynamic_axes=axes)


def main():
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawTextHelpFormatter)
    parser.add_argument("--out", required=True)
    parser.add_argument("--only", action="append", default=[])
    parser.add_argument("--small", action="store_true",
                        help="the test suite's configurations: narrow, batch "
                        "2 as a symbolic dim 'batch' (test/models/user)")
    args = parser.parse_args()
    os.makedirs(args.out, exist_ok=True)
    torch.manual_seed(0)
    suite = {}
    for group in (transformers_models, torchvision_models, torchaudio_models):
        for name, make in group(args.small):
            if args.only and not any(o in name for o in args.only):
                continue
            for dynamo in (True, False):
                tag = f"{name}_{'dynamo' if dynamo else 'torchscript'}"
                path = os.path.join(args.out, tag + ".onnx")
                try:
                    torch.manual_seed(0)
                    model, feeds = make()
                    export(model, feeds, path, dynamo, args.small)
                except Exception as error:  # an exporter's failure: skip it
                    print(f"{tag}: export failed: {str(error)[:200]}",
                          file=sys.stderr)
                    if os.environ.get("CLEAVE_TRACEBACK"):
                        traceback.print_exc()
                    continue
                ranges = {k: [0, int(v.max()) + 1] for k, v in feeds.items()
                          if not v.is_floating_point()}
                entry = {"file": tag + ".onnx", "int_ranges": ranges}
                if args.small:
                    entry["dims"] = {"batch": 2}
                else:
                    entry["dims"] = {}
                    entry["shapes"] = {k: list(v.shape)
                                       for k, v in feeds.items()}
                suite[tag] = entry
                print(f"{tag}: {os.path.getsize(path) / 1e6:.2f} MB")
    comment = (f"Written by bench/export_user_models.py{' --small' if args.small else ''} "
               f"(torch {torch.__version__}): each model's file, the symbolic "
               "dims to bind and the ranges of integer inputs.")
    with open(os.path.join(args.out, "suite.json"), "w") as f:
        json.dump({"comment": comment, "models": suite}, f, indent=1)


if __name__ == "__main__":
    main()
