// RUN: cleave-opt %s --cleave-plan-memory --cleave-layout-weights --convert-cleave-to-runtime | FileCheck %s

// Products: operands then the Gemm's scalars, in the helpers' order.
func.func @main(%x: tensor<2x4xf32>, %y: tensor<4x3xf32>) -> (tensor<2x3xf32>, tensor<2x3xf32>, tensor<2x3xf32>) {
  %c = cleave.constant dense<1.0> : tensor<3xf32>
  %n = cleave.none
  %0 = cleave.matmul %x, %y : (tensor<2x4xf32>, tensor<4x3xf32>) -> tensor<2x3xf32>
  %1 = cleave.gemm %x, %y, %c {alpha = 2.0 : f32, beta = 0.5 : f32} : (tensor<2x4xf32>, tensor<4x3xf32>, tensor<3xf32>) -> tensor<2x3xf32>
  %2 = cleave.gemm %x, %y, %n : (tensor<2x4xf32>, tensor<4x3xf32>, none) -> tensor<2x3xf32>
  return %0, %1, %2 : tensor<2x3xf32>, tensor<2x3xf32>, tensor<2x3xf32>
}

// CHECK: cleave_rt.kernel "matmul"(%[[X:.*]], %[[Y:.*]], %{{.*}}) [0 : index, 1 : index, 0 : i32, 0 : i32, 2 : index]
// CHECK: cleave_rt.kernel "gemm"(%[[X]], %[[Y]], %{{.*}}, %{{.*}}) [0 : index, 1 : index, 2 : index, 2.000000e+00 : f32, 5.000000e-01 : f32, 0 : i32, 0 : i32, 3 : index]
// CHECK: cleave_rt.kernel "gemm"(%[[X]], %[[Y]], %{{.*}}) [0 : index, 1 : index, unit, 1.000000e+00 : f32, 0.000000e+00 : f32, 0 : i32, 0 : i32, 2 : index]
