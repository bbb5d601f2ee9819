// RUN: cleave-opt %s --pass-pipeline='builtin.module(func.func(cleave-accumulate-gradients{microbatches=2}))' --split-input-file --verify-diagnostics

// A scalar input has no batch to split.
// expected-error @+1 {{cleave-accumulate-gradients: input 's' has no batch axis to split into 2 microbatches}}
func.func @scalar(%s: tensor<f32> {cleave.name = "s"}) -> (tensor<f32> {cleave.name = "loss"}) {
  return %s : tensor<f32>
}

// -----

// Only the loss and gradients may be outputs.
// expected-error @+1 {{cleave-accumulate-gradients: output 'logits' is neither the (scalar) loss nor a gradient (run cleave-autodiff first)}}
func.func @forward(%x: tensor<4x3xf32>) -> (tensor<4x3xf32> {cleave.name = "logits"}) {
  return %x : tensor<4x3xf32>
}
