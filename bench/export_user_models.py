#!/usr/bin/env python3
"""Exports the models a user brings: small configurations of Hugging Face
transformers, torchvision and torchaudio models (random weights: nothing is
downloaded), through PyTorch's two ONNX exporters (`dynamo=True`, the
default, and the TorchScript one), into one folder with a suite.json that
bench/cpu_vs_onnxruntime.py reads (`--suite DIR/suite.json`).

  pip install torch torchvision torchaudio transformers onnxscript
  python3 bench/export_user_models.py --out ../cleave-user-models [--only gpt2]

Each model is exported at batch 1 with static shapes. A model that fails to
export is reported and skipped; the suite lists only those that exported.
"""
import argparse
import json
import os
import sys
import traceback
import warnings

import torch

warnings.filterwarnings("ignore")


def transformers_models():
    import transformers as hf

    def lm(model, vocab, seq=32):
        class Wrapped(torch.nn.Module):
            def __init__(self):
                super().__init__()
                self.model = model

            def forward(self, input_ids):
                return self.model(input_ids=input_ids).logits
        return Wrapped(), {"input_ids": torch.randint(0, vocab, (1, seq))}

    def hidden(model, feeds):
        class Wrapped(torch.nn.Module):
            def __init__(self):
                super().__init__()
                self.model = model

            def forward(self, *args):
                return self.model(*args).last_hidden_state
        return Wrapped(), feeds

    yield "gpt2", lambda: lm(hf.GPT2LMHeadModel(hf.GPT2Config(
        n_layer=2, n_embd=128, n_head=4, n_positions=128)), 50257)
    yield "llama", lambda: lm(hf.LlamaForCausalLM(hf.LlamaConfig(
        hidden_size=128, intermediate_size=344, num_hidden_layers=2,
        num_attention_heads=4, num_key_value_heads=2, vocab_size=32000,
        max_position_embeddings=128)), 32000)
    yield "t5_encoder", lambda: hidden(hf.T5EncoderModel(hf.T5Config(
        d_model=128, d_ff=512, num_layers=2, num_heads=4, d_kv=32,
        vocab_size=32128)), {"input_ids": torch.randint(0, 32128, (1, 32))})
    yield "bert", lambda: hidden(hf.BertModel(hf.BertConfig(
        hidden_size=128, num_hidden_layers=2, num_attention_heads=4,
        intermediate_size=512)), {"input_ids": torch.randint(0, 30522, (1, 32))})
    yield "vit", lambda: hidden(hf.ViTModel(hf.ViTConfig(
        hidden_size=192, num_hidden_layers=4, num_attention_heads=3,
        intermediate_size=768, image_size=224, patch_size=16)),
        {"pixel_values": torch.randn(1, 3, 224, 224)})
    yield "whisper_encoder", lambda: hidden(
        hf.WhisperModel(hf.WhisperConfig(
            d_model=128, encoder_layers=2, decoder_layers=1,
            encoder_attention_heads=4, decoder_attention_heads=4,
            encoder_ffn_dim=512, decoder_ffn_dim=512)).encoder,
        {"input_features": torch.randn(1, 80, 3000)})
    yield "wav2vec2", lambda: hidden(hf.Wav2Vec2Model(hf.Wav2Vec2Config(
        hidden_size=128, num_hidden_layers=2, num_attention_heads=4,
        intermediate_size=512, conv_dim=(128,) * 7)),
        {"input_values": torch.randn(1, 16000)})


def torchvision_models():
    import torchvision.models as tv
    image = lambda: {"image": torch.randn(1, 3, 224, 224)}  # noqa: E731
    for name in ("resnet18", "mobilenet_v3_small", "efficientnet_b0",
                 "convnext_tiny", "squeezenet1_1", "shufflenet_v2_x1_0",
                 "regnet_y_400mf", "densenet121", "swin_t"):
        yield name, (lambda n=name: (getattr(tv, n)(weights=None), image()))


def torchaudio_models():
    import torchaudio.models as ta
    yield "wav2letter", lambda: (ta.Wav2Letter(num_classes=40, input_type="mfcc",
                                               num_features=13),
                                 {"mfcc": torch.randn(1, 13, 400)})
    # Stacked bidirectional recurrent layers (torchaudio's DeepSpeech is the
    # fully connected variant with one; Conformer-free and small).
    yield "deepspeech", lambda: (ta.DeepSpeech(n_feature=40, n_hidden=128,
                                               n_class=29),
                                 {"spectrogram": torch.randn(1, 1, 100, 40)})


def export(model, feeds, path, dynamo):
    model.eval()
    args = tuple(feeds.values())
    with torch.no_grad():
        if dynamo:
            torch.onnx.export(model, args, path, dynamo=True,
                              input_names=list(feeds), output_names=["output"],
                              external_data=False)
        else:
            torch.onnx.export(model, args, path, dynamo=False, opset_version=17,
                              input_names=list(feeds), output_names=["output"])


def main():
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawTextHelpFormatter)
    parser.add_argument("--out", required=True)
    parser.add_argument("--only", action="append", default=[])
    args = parser.parse_args()
    os.makedirs(args.out, exist_ok=True)
    torch.manual_seed(0)
    suite = {}
    for group in (transformers_models, torchvision_models, torchaudio_models):
        for name, make in group():
            if args.only and not any(o in name for o in args.only):
                continue
            for dynamo in (True, False):
                tag = f"{name}_{'dynamo' if dynamo else 'torchscript'}"
                path = os.path.join(args.out, tag + ".onnx")
                try:
                    model, feeds = make()
                    export(model, feeds, path, dynamo)
                except Exception as error:  # an exporter's failure: skip it
                    print(f"{tag}: export failed: {str(error)[:200]}",
                          file=sys.stderr)
                    if os.environ.get("CLEAVE_TRACEBACK"):
                        traceback.print_exc()
                    continue
                ranges = {k: [0, int(v.max()) + 1] for k, v in feeds.items()
                          if not v.is_floating_point()}
                suite[tag] = {"file": tag + ".onnx", "dims": {},
                              "int_ranges": ranges,
                              "shapes": {k: list(v.shape)
                                         for k, v in feeds.items()}}
                print(f"{tag}: {os.path.getsize(path) / 1e6:.1f} MB")
    with open(os.path.join(args.out, "suite.json"), "w") as f:
        json.dump({"models": suite}, f, indent=1)


if __name__ == "__main__":
    main()
