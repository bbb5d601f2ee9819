// RUN: cleave-opt %s --split-input-file --verify-diagnostics --pass-pipeline='builtin.module(func.func(cleave-autodiff))' -o /dev/null

func.func @no_rule(%x: tensor<4xf32>) -> (tensor<f32> {cleave.name = "loss"}) {
  %w = cleave.variable "w" dense<0.5> : tensor<4xf32>
  %y = cleave.mul %x, %w : (tensor<4xf32>, tensor<4xf32>) -> tensor<4xf32>
  // expected-error @+1 {{('cleave.hard_swish') has no gradient rule yet, and the loss depends on trainable initializers through it}}
  %c = cleave.hard_swish %y : (tensor<4xf32>) -> tensor<4xf32>
  %none = cleave.none
  %loss = cleave.reduce_sum %c, %none {keepdims = 0 : i64} : (tensor<4xf32>, none) -> tensor<f32>
  return %loss : tensor<f32>
}

// -----

// expected-error @+1 {{cleave-autodiff needs a function whose first result is a scalar float loss (cleave-add-loss)}}
func.func @not_scalar(%x: tensor<4xf32>) -> tensor<4xf32> {
  return %x : tensor<4xf32>
}

// -----

func.func @dropout_ratio(%x: tensor<4xf32>, %step: tensor<f32>) -> tensor<4xf32> {
  // expected-error @+1 {{ratio must be in (0, 1), not 1}}
  %m = cleave.dropout_mask %x, %step {ratio = 1.0 : f64, seed = 0 : i64} : (tensor<4xf32>, tensor<f32>) -> tensor<4xf32>
  return %m : tensor<4xf32>
}

// -----

func.func @dropout_microbatch(%x: tensor<4xf32>, %step: tensor<f32>) -> tensor<4xf32> {
  // expected-error @+1 {{microbatch must be in [0, microbatches)}}
  %m = cleave.dropout_mask %x, %step {ratio = 0.5 : f64, seed = 0 : i64, microbatch = 2 : i64, microbatches = 2 : i64} : (tensor<4xf32>, tensor<f32>) -> tensor<4xf32>
  return %m : tensor<4xf32>
}
