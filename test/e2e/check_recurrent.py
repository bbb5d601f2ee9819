#!/usr/bin/env python3
"""Checks RNN, GRU and LSTM layers against onnxruntime, attribute by
attribute.

Each case is a one-node model (random weights as initializers, a random
input sequence) compiled for the CPU with cleave-compile, run with
cleave-run, and compared output by output with onnxruntime's on the same
input. Cleave runs the common forms whole (the recurrent kernel: its own
step loop for small batches, lib/Runtime/RecurrentLoop.cpp, oneDNN's fused
primitives for large ones) and unrolls the others into graph ops
(cleave-decompose-recurrent); each case prints which. onnxruntime runs its
own kernels, so the two differ by float rounding through up to 12 steps of
small products and saturating activations: within 1e-4 relative and 1e-5
absolute (a wrong gate order, a missing bias or a mask off by one step is
off by O(0.1)).

check_recurrent.py --tools <bin folder> --work <scratch folder> [case...]
"""
import argparse
import os
import subprocess
import sys

import numpy as np
import onnxruntime as ort
from onnx import TensorProto, helper, numpy_helper

ort.set_default_logger_severity(3)
rng = np.random.default_rng(11)
SEQ, BATCH, INPUT, HIDDEN = 5, 3, 4, 6


def uniform(*shape, scale=0.6):
    return rng.uniform(-scale, scale, shape).astype(np.float32)


def case(op, directions=1, layout=0, bias=True, lengths=None, initial=False,
         peepholes=False, batch=BATCH, hidden=HIDDEN, **attrs):
    """(model, feeds, reference) for one layer: the reference is the model
    onnxruntime runs. onnxruntime has no batch-first (layout 1) kernels, so
    for those it is the same layer with layout 0 on transposed inputs, whose
    outputs are transposed back."""
    gates = {"RNN": 1, "GRU": 3, "LSTM": 4}[op]
    x_shape = [SEQ, batch, INPUT] if layout == 0 else [batch, SEQ, INPUT]
    state = ([directions, batch, hidden] if layout == 0
             else [batch, directions, hidden])
    inits = [numpy_helper.from_array(uniform(directions, gates * hidden, INPUT), "W"),
             numpy_helper.from_array(uniform(directions, gates * hidden, hidden), "R")]
    inputs = ["X", "W", "R"]
    inputs.append("B" if bias else "")
    if bias:
        inits.append(numpy_helper.from_array(
            uniform(directions, 2 * gates * hidden), "B"))
    inputs.append("lens" if lengths is not None else "")
    if lengths is not None:
        inits.append(numpy_helper.from_array(np.array(lengths, np.int32),
                                             "lens"))
    graph_inputs = [helper.make_tensor_value_info("X", TensorProto.FLOAT,
                                                  x_shape)]
    feeds = {"X": uniform(*x_shape, scale=1.0)}
    state_names = ["initial_h"] + (["initial_c"] if op == "LSTM" else [])
    for name in state_names:
        inputs.append(name if initial else "")
        if initial:
            graph_inputs.append(helper.make_tensor_value_info(
                name, TensorProto.FLOAT, state))
            feeds[name] = uniform(*state, scale=0.5)
    if op == "LSTM":
        inputs.append("P" if peepholes else "")
        if peepholes:
            inits.append(numpy_helper.from_array(
                uniform(directions, 3 * hidden), "P"))
    while inputs[-1] == "":
        inputs.pop()
    outputs = ["Y", "Y_h"] + (["Y_c"] if op == "LSTM" else [])
    direction = {1: attrs.pop("direction", "forward"), 2: "bidirectional"}[
        directions]
    node = helper.make_node(op, inputs, outputs, hidden_size=hidden,
                            direction=direction, layout=layout, **attrs)
    graph = helper.make_graph(
        [node], op.lower(), graph_inputs,
        [helper.make_tensor_value_info(o, TensorProto.FLOAT, None)
         for o in outputs], inits)
    model = helper.make_model(graph,
                              opset_imports=[helper.make_opsetid("", 14)],
                              ir_version=8)
    if layout == 0:
        return model, feeds, (model, feeds, {})
    reference = helper.make_model(graph,
                                  opset_imports=[helper.make_opsetid("", 14)],
                                  ir_version=8)
    for a in reference.graph.node[0].attribute:
        if a.name == "layout":
            a.i = 0
    swap = {"X": (1, 0, 2), "initial_h": (1, 0, 2), "initial_c": (1, 0, 2)}
    for value in reference.graph.input:
        dims = value.type.tensor_type.shape.dim
        sizes = [d.dim_value for d in dims]
        for d, axis in zip(dims, swap[value.name]):
            d.dim_value = sizes[axis]
    reference_feeds = {k: np.ascontiguousarray(v.transpose(swap[k]))
                       for k, v in feeds.items()}
    back = {"Y": (2, 0, 1, 3), "Y_h": (1, 0, 2), "Y_c": (1, 0, 2)}
    return model, feeds, (reference, reference_feeds, back)


CASES = {
    "rnn_default": lambda: case("RNN", bias=False),
    "rnn_bidirectional_leaky": lambda: case(
        "RNN", directions=2, initial=True,
        activations=["LeakyRelu", "Tanh"], activation_alpha=[0.2]),
    "rnn_reverse_lengths": lambda: case("RNN", direction="reverse",
                                        lengths=[5, 2, 4]),
    "rnn_bidirectional_relu": lambda: case(
        "RNN", directions=2, initial=True, activations=["Relu", "Relu"]),
    "gru_default": lambda: case("GRU"),
    "gru_bidirectional_linear_before_reset": lambda: case(
        "GRU", directions=2, linear_before_reset=1),
    "gru_reverse_initial": lambda: case("GRU", direction="reverse",
                                        initial=True),
    "gru_linear_before_reset": lambda: case("GRU", linear_before_reset=1,
                                            initial=True),
    "gru_bidirectional_batch_first_lengths": lambda: case(
        "GRU", directions=2, layout=1, lengths=[3, 5, 1], initial=True),
    "gru_clip_hardsigmoid": lambda: case(
        "GRU", clip=0.5, activations=["HardSigmoid", "Softsign"],
        activation_alpha=[0.3], activation_beta=[0.4]),
    "lstm_default": lambda: case("LSTM"),
    "lstm_peepholes_initial": lambda: case("LSTM", peepholes=True,
                                           initial=True),
    "lstm_bidirectional_peepholes": lambda: case(
        "LSTM", directions=2, peepholes=True, initial=True),
    "lstm_reverse": lambda: case("LSTM", direction="reverse", bias=False),
    "lstm_bidirectional_lengths": lambda: case(
        "LSTM", directions=2, lengths=[2, 5, 4], peepholes=True,
        initial=True),
    "lstm_batch_first_reverse_clip": lambda: case(
        "LSTM", layout=1, direction="reverse", clip=0.7, initial=True),
    "lstm_input_forget": lambda: case("LSTM", input_forget=1, initial=True),
    # Batch 24, hidden 64: oneDNN's primitive; the cases above run the
    # kernel's own step loop (small batches).
    "rnn_bidirectional_large_batch": lambda: case(
        "RNN", directions=2, initial=True, batch=24, hidden=64),
    "gru_linear_before_reset_large_batch": lambda: case(
        "GRU", linear_before_reset=1, initial=True, batch=24, hidden=64),
    "lstm_bidirectional_peepholes_large_batch": lambda: case(
        "LSTM", directions=2, peepholes=True, initial=True, batch=24,
        hidden=64),
    "lstm_custom_activations": lambda: case(
        "LSTM", activations=["HardSigmoid", "Elu", "Softplus"],
        activation_alpha=[0.25, 0.9], activation_beta=[0.45]),
}


def run_case(name, tools, work):
    model, feeds, (reference, reference_feeds, back) = CASES[name]()
    folder = os.path.join(work, name)
    os.makedirs(folder, exist_ok=True)
    path = os.path.join(folder, "model.onnx")
    with open(path, "wb") as f:
        f.write(model.SerializeToString())
    session = ort.InferenceSession(reference.SerializeToString(),
                                   providers=["CPUExecutionProvider"])
    expected = {o.name: (v.transpose(back[o.name]) if o.name in back else v)
                for o, v in zip(session.get_outputs(),
                                session.run(None, reference_feeds))}
    bundle = os.path.join(folder, "bundle")
    subprocess.run([os.path.join(tools, "cleave-compile"), path,
                    "--target=cpu", "-o", bundle], check=True)
    command = [os.path.join(tools, "cleave-run"), bundle]
    for key, value in feeds.items():
        np.save(os.path.join(folder, key + ".npy"), value)
        command += ["--input", f"{key}={os.path.join(folder, key + '.npy')}"]
    for key in expected:
        command += ["--output", f"{key}={os.path.join(folder, key + '.npy')}"]
    subprocess.run(command, check=True, stdout=subprocess.DEVNULL)
    sources = [os.path.join(bundle, f) for f in os.listdir(bundle)
               if f.endswith(".cc")]
    fused = any("cleave_cpu_recurrent" in open(f).read() for f in sources)
    worst = 0.0
    for key, want in expected.items():
        got = np.load(os.path.join(folder, key + ".npy"))
        if got.shape != want.shape:
            print(f"{name}: {key} has shape {got.shape}, not {want.shape}")
            return False, worst, fused
        error = np.abs(got - want)
        worst = max(worst, float(error.max()))
        if (error > 1e-5 + 1e-4 * np.abs(want)).any():
            print(f"{name}: {key} differs by {error.max():.3g}")
            return False, worst, fused
    return True, worst, fused


def main():
    parser = argparse.ArgumentParser()
    parser.add_argument("--tools", required=True)
    parser.add_argument("--work", required=True)
    parser.add_argument("cases", nargs="*")
    args = parser.parse_args()
    cases = args.cases or list(CASES)
    passed = 0
    for name in cases:
        ok, worst, fused = run_case(name, args.tools, args.work)
        if ok:
            path = "fused" if fused else "unrolled"
            print(f"{name}: ok, {path} (max abs error {worst:.2g})")
            passed += 1
    print(f"{passed} of {len(cases)} recurrent layers match onnxruntime")
    return 0 if passed == len(cases) else 1


if __name__ == "__main__":
    sys.exit(main())
