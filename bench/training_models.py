"""The real-model suite's transformers, for the training benchmarks
(bench/pipeline_training.py, bench/data_parallel.py; each draws its own
random batches): name -> (model,
loss, global batch, batch dim, inputs: name -> (shape after the batch,
vocabulary, or None for floats), label: (name, shape after the batch,
classes, or None for floats))."""


def transformers(batch):
    return {
        "gpt2_lm": ("test/models/gpt2_lm.onnx",
                    "cross_entropy:logits=logits,labels=y", batch, "batch",
                    {"input_ids": ((32,), 2048)}, ("y", (32,), 2048)),
        "bert_encoder": ("test/models/bert_encoder.onnx",
                         "mse:prediction=pooler_output,target=t", batch,
                         "batch",
                         {"input_ids": ((32,), 1000),
                          "token_type_ids": ((32,), 2),
                          "attention_mask": ((32,), 2)},
                         ("t", (128,), None)),
        "vit": ("test/models/vit.onnx",
                "cross_entropy:logits=logits,labels=y", batch, "batch",
                {"images": ((3, 32, 32), None)}, ("y", (), 10)),
    }
