#!/usr/bin/env python3
"""Writes the ONNX files that PyPI packages ship, with random weights: the
structure exactly as shipped (operators, opsets, IR version, subgraphs,
graph inputs with their -1 and unnamed dims), every float weight of 16
elements or more replaced by normal draws with the original's mean and
standard deviation (seeded; non-negative where the original is), so no trained weights are committed and the
activations keep their scale. Licences: magika and rapidocr Apache-2.0,
silero-vad MIT.

  pip download --no-deps -d wheels magika==1.0.3 rapidocr-onnxruntime==1.4.4 silero-vad==6.2.3
  python3 test/models/pypi/make_pypi_models.py wheels --out test/models/pypi

PP-OCRv4's detector and recognizer (4.7 and 10.9 MB) are left out to keep
the committed models within their size budget; the direction classifier
from the same exporter (paddle2onnx) is in.
"""
import argparse
import glob
import os
import zipfile

import numpy as np
import onnx
from onnx import numpy_helper

# (wheel name prefix, file inside the wheel, file written)
MODELS = [
    ("magika", "magika/models/standard_v3_3/model.onnx", "magika.onnx"),
    ("rapidocr_onnxruntime",
     "rapidocr_onnxruntime/models/ch_ppocr_mobile_v2.0_cls_infer.onnx",
     "ppocr_cls.onnx"),
    ("silero_vad", "silero_vad/data/silero_vad.onnx", "silero_vad.onnx"),
]


def randomise(tensor, rng):
    """A float tensor of the same shape with the original's mean and std."""
    if tensor.data_type != onnx.TensorProto.FLOAT:
        return tensor
    value = numpy_helper.to_array(tensor)
    if value.size < 16:  # scalars and small constants keep their meaning
        return tensor
    drawn = rng.normal(value.mean(), value.std() or 1.0, value.shape)
    if value.min() >= 0:  # variances, scales: keep them non-negative
        drawn = np.abs(drawn)
    return numpy_helper.from_array(drawn.astype(np.float32), tensor.name)


def randomise_graph(graph, rng):
    for i, tensor in enumerate(graph.initializer):
        graph.initializer[i].CopyFrom(randomise(tensor, rng))
    for node in graph.node:
        for attribute in node.attribute:
            if attribute.type == onnx.AttributeProto.TENSOR:
                attribute.t.CopyFrom(randomise(attribute.t, rng))
            elif attribute.type == onnx.AttributeProto.GRAPH:
                randomise_graph(attribute.g, rng)
            elif attribute.type == onnx.AttributeProto.GRAPHS:
                for subgraph in attribute.graphs:
                    randomise_graph(subgraph, rng)


def main():
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawTextHelpFormatter)
    parser.add_argument("wheels", help="a folder with the downloaded wheels")
    parser.add_argument("--out", required=True)
    args = parser.parse_args()
    os.makedirs(args.out, exist_ok=True)
    for prefix, inner, written in MODELS:
        wheels = sorted(glob.glob(os.path.join(args.wheels, prefix + "-*.whl")))
        if not wheels:
            raise SystemExit(f"no {prefix} wheel in {args.wheels}")
        with zipfile.ZipFile(wheels[-1]) as wheel:
            model = onnx.load_from_string(wheel.read(inner))
        randomise_graph(model.graph, np.random.default_rng(0))
        path = os.path.join(args.out, written)
        onnx.save(model, path)
        print(f"{written}: from {os.path.basename(wheels[-1])}, "
              f"{os.path.getsize(path) / 1e6:.2f} MB")


if __name__ == "__main__":
    main()
