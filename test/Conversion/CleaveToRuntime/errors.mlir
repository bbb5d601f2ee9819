// RUN: cleave-opt %s --split-input-file --verify-diagnostics --cleave-plan-memory --cleave-layout-weights --convert-cleave-to-runtime

// Ops no kernel runs are named with the reason.
func.func @main(%x: tensor<4xf64>) -> tensor<4xf64> {
  // expected-error @+1 {{'cleave.relu' cannot run on the CPU target yet: the unary kernel runs f32, f16, bf16 and integers, not f64}}
  %0 = cleave.relu %x : (tensor<4xf64>) -> tensor<4xf64>
  return %0 : tensor<4xf64>
}

// -----

func.func @main(%x: tensor<2x3xf32>, %a: tensor<1xi64>) -> tensor<2xf32> {
  // expected-error @+1 {{'cleave.reduce_sum' cannot run on the CPU target yet: axes must be a constant}}
  %0 = cleave.reduce_sum %x, %a {keepdims = 0 : i64} : (tensor<2x3xf32>, tensor<1xi64>) -> tensor<2xf32>
  return %0 : tensor<2xf32>
}

// -----

func.func @main(%x: tensor<2x3xf32>) -> tensor<2x3xf32> {
  // expected-error @+1 {{'cleave.size' cannot run on the CPU target yet: no CPU kernel for this op}}
  %0 = cleave.size %x : (tensor<2x3xf32>) -> tensor<i64>
  %1 = cleave.relu %x : (tensor<2x3xf32>) -> tensor<2x3xf32>
  return %1 : tensor<2x3xf32>
}
