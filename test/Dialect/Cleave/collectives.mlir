// RUN: cleave-opt %s | cleave-opt | FileCheck %s

// The collectives over a function's replicas round-trip; all-gather and
// reduce-scatter act on the leading axis.
// CHECK-LABEL: func.func @collectives
// CHECK: %[[G:.*]] = cleave.all_gather %{{.*}} {replicas = 3 : i64} : tensor<2x5xi64> -> tensor<6x5xi64>
// CHECK: %[[S:.*]] = cleave.reduce_scatter %{{.*}} {replicas = 3 : i64} : tensor<6x4xf32> -> tensor<2x4xf32>
// CHECK: cleave.broadcast %[[S]] {root = 2 : i64} : tensor<2x4xf32>
func.func @collectives(%ids: tensor<2x5xi64>, %g: tensor<6x4xf32>)
    -> (tensor<6x5xi64>, tensor<2x4xf32>) attributes {cleave.replicas = 3 : i64} {
  %all = cleave.all_gather %ids {replicas = 3 : i64} : tensor<2x5xi64> -> tensor<6x5xi64>
  %mine = cleave.reduce_scatter %g {replicas = 3 : i64} : tensor<6x4xf32> -> tensor<2x4xf32>
  %root = cleave.broadcast %mine {root = 2 : i64} : tensor<2x4xf32>
  return %all, %root : tensor<6x5xi64>, tensor<2x4xf32>
}
