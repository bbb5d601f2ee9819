// RUN: cleave-opt %s --split-input-file --verify-diagnostics

func.func @gather_rows(%x: tensor<2x5xf32>) -> tensor<5x5xf32> attributes {cleave.replicas = 2 : i64} {
  // expected-error @+1 {{gathers 2 x 2 rows but its result has 5}}
  %0 = cleave.all_gather %x {replicas = 2 : i64} : tensor<2x5xf32> -> tensor<5x5xf32>
  return %0 : tensor<5x5xf32>
}

// -----

func.func @gather_replicas(%x: tensor<2x5xf32>) -> tensor<4x5xf32> {
  // expected-error @+1 {{runs over 2 replicas but its function has 1}}
  %0 = cleave.all_gather %x {replicas = 2 : i64} : tensor<2x5xf32> -> tensor<4x5xf32>
  return %0 : tensor<4x5xf32>
}

// -----

func.func @gather_trailing(%x: tensor<2x5xf32>) -> tensor<4x6xf32> attributes {cleave.replicas = 2 : i64} {
  // expected-error @+1 {{needs an operand and a result that differ only in their leading dimension}}
  %0 = cleave.all_gather %x {replicas = 2 : i64} : tensor<2x5xf32> -> tensor<4x6xf32>
  return %0 : tensor<4x6xf32>
}

// -----

func.func @scatter_rows(%x: tensor<5x4xf32>) -> tensor<2x4xf32> attributes {cleave.replicas = 2 : i64} {
  // expected-error @+1 {{scatters 5 rows over 2 replicas but its result has 2}}
  %0 = cleave.reduce_scatter %x {replicas = 2 : i64} : tensor<5x4xf32> -> tensor<2x4xf32>
  return %0 : tensor<2x4xf32>
}

// -----

func.func @broadcast_root(%x: tensor<4xf32>) -> tensor<4xf32> attributes {cleave.replicas = 2 : i64} {
  // expected-error @+1 {{has root 2 but its function has 2 replicas}}
  %0 = cleave.broadcast %x {root = 2 : i64} : tensor<4xf32>
  return %0 : tensor<4xf32>
}

// -----

// A sharded AdamW update (ZeRO stage 1): the parameter holds one slice of
// its gradient's leading dimension per replica, and no other shape.
func.func @adamw_slice(%p: tensor<6x3xf32>, %g: tensor<2x3xf32>, %lr: tensor<f32>) -> tensor<2x3xf32> attributes {cleave.replicas = 2 : i64} {
  // expected-error @+1 {{needs a parameter of its gradient's type, or with 2 times its leading dimension (one slice per replica)}}
  %p1, %m1, %v1 = cleave.adamw %p, %g, %g, %g, %lr, %lr, %lr {beta1 = 9.000000e-01 : f64, beta2 = 0.999 : f64, eps = 1.0e-8 : f64, weight_decay = 0.0 : f64} : (tensor<6x3xf32>, tensor<2x3xf32>, tensor<2x3xf32>, tensor<2x3xf32>, tensor<f32>, tensor<f32>, tensor<f32>) -> (tensor<2x3xf32>, tensor<2x3xf32>, tensor<2x3xf32>)
  return %p1 : tensor<2x3xf32>
}
