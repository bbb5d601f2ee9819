// RUN: cleave-opt %s --cleave-plan-memory --cleave-layout-weights --convert-cleave-to-runtime | FileCheck %s

// LayerNorm without its statistics used; LogSoftmax is softmax with log = 1.
func.func @main(%x: tensor<2x8xf32>) -> (tensor<2x8xf32>, tensor<2x8xf32>) {
  %s = cleave.constant dense<1.0> : tensor<8xf32>
  %b = cleave.constant dense<0.0> : tensor<8xf32>
  %0, %m, %r = cleave.layer_normalization %x, %s, %b {epsilon = 1.0e-5 : f32} : (tensor<2x8xf32>, tensor<8xf32>, tensor<8xf32>) -> (tensor<2x8xf32>, tensor<2x1xf32>, tensor<2x1xf32>)
  %1 = cleave.log_softmax %0 {axis = 1 : i64} : (tensor<2x8xf32>) -> tensor<2x8xf32>
  return %0, %1 : tensor<2x8xf32>, tensor<2x8xf32>
}

// CHECK: cleave_rt.kernel "layer_norm"(%{{.*}}, %{{.*}}, %{{.*}}, %[[Y:.*]]) [0 : index, 1 : index, 2 : index, 1 : i32, 9.99999974E-6 : f32, 3 : index]
// CHECK: cleave_rt.kernel "softmax"(%[[Y]], %{{.*}}) [0 : index, 1 : i32, 1 : i32, 1 : index]
