// RUN: cleave-opt %s --cleave-plan-memory --cleave-layout-weights --convert-cleave-to-runtime | FileCheck %s

// Reductions write the kept-dims shape (the same bytes as keepdims = 0).
func.func @main(%x: tensor<2x3x4xf32>, %a: tensor<1xi64>) -> (tensor<2x4xf32>, tensor<2x1x4xi64>, tensor<2x4xf32>) {
  %axes = cleave.constant dense<1> : tensor<1xi64>
  %0 = cleave.reduce_mean %x, %axes {keepdims = 0 : i64} : (tensor<2x3x4xf32>, tensor<1xi64>) -> tensor<2x4xf32>
  %1 = cleave.arg_max %x {axis = 1 : i64, select_last_index = 1 : i64} : (tensor<2x3x4xf32>) -> tensor<2x1x4xi64>
  %2 = cleave.reduce_l2 %x, %axes {keepdims = 0 : i64} : (tensor<2x3x4xf32>, tensor<1xi64>) -> tensor<2x4xf32>
  return %0, %1, %2 : tensor<2x4xf32>, tensor<2x1x4xi64>, tensor<2x4xf32>
}

// CHECK: %[[MEAN:.*]] = cleave_rt.arena[64] : <tensor<2x4xf32>>
// CHECK: %[[KEPT:.*]] = cleave_rt.arena[64] : <tensor<2x1x4xf32>>
// CHECK: cleave_rt.kernel "reduce"(%{{.*}}, %[[KEPT]]) ["CLEAVE_REDUCE_MEAN", 0 : index, 1 : index]
// CHECK: cleave_rt.kernel "arg_reduce"(%{{.*}}, %{{.*}}) [0 : index, 1 : i32, 1 : i32, 1 : i32, 1 : index]
// CHECK: cleave_rt.kernel "reduce"(%{{.*}}, %{{.*}}) ["CLEAVE_REDUCE_L2", 0 : index, 1 : index]
// CHECK: cleave_rt.kernel "copy"(%[[MEAN]], %{{.*}})
