// RUN: cleave-opt %s --cleave-plan-memory --cleave-layout-weights --convert-cleave-to-runtime | FileCheck %s

// Data movement: permutations and slices as lists, axes made positive.
func.func @main(%x: tensor<2x3x4xf32>, %i: tensor<2xi64>) -> (tensor<4x3x2xf32>, tensor<6x4xf32>, tensor<2x6x4xf32>, tensor<2x1x4xf32>, tensor<2x2x4xf32>) {
  %shape = cleave.constant dense<[6, 4]> : tensor<2xi64>
  %s = cleave.constant dense<[1]> : tensor<1xi64>
  %e = cleave.constant dense<[2]> : tensor<1xi64>
  %ax = cleave.constant dense<[1]> : tensor<1xi64>
  %n = cleave.none
  %0 = cleave.transpose %x : (tensor<2x3x4xf32>) -> tensor<4x3x2xf32>
  %1 = cleave.reshape %x, %shape : (tensor<2x3x4xf32>, tensor<2xi64>) -> tensor<6x4xf32>
  %2 = cleave.concat %x, %x {axis = -2 : i64} : (tensor<2x3x4xf32>, tensor<2x3x4xf32>) -> tensor<2x6x4xf32>
  %3 = cleave.slice %x, %s, %e, %ax, %n : (tensor<2x3x4xf32>, tensor<1xi64>, tensor<1xi64>, tensor<1xi64>, none) -> tensor<2x1x4xf32>
  %4 = cleave.gather %x, %i {axis = 1 : i64} : (tensor<2x3x4xf32>, tensor<2xi64>) -> tensor<2x2x4xf32>
  return %0, %1, %2, %3, %4 : tensor<4x3x2xf32>, tensor<6x4xf32>, tensor<2x6x4xf32>, tensor<2x1x4xf32>, tensor<2x2x4xf32>
}

// CHECK: cleave_rt.kernel "transpose"(%[[X:.*]], %{{.*}}) [0 : index, array<i64: 2, 1, 0>, 1 : index]
// The reshape of a graph input copies (the input is not in the arena).
// CHECK: cleave_rt.kernel "copy"(%[[X]], %{{.*}}) [0 : index, 1 : index]
// CHECK: cleave_rt.kernel "concat"(%[[X]], %[[X]], %{{.*}}) [{{\[}}0 : index, 1 : index], 2 : i32, 1 : i32, 2 : index]
// CHECK: cleave_rt.kernel "slice"(%[[X]], %{{.*}}) [0 : index, array<i64: 0, 1, 0>, array<i64: 1, 1, 1>, 1 : index]
// CHECK: cleave_rt.kernel "gather"(%[[X]], %{{.*}}, %{{.*}}) [0 : index, 1 : index, 1 : i32, 2 : index]
