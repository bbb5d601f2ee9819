// RUN: cleave-opt %s --pass-pipeline='builtin.module(func.func(cleave-autodiff,cleave-accumulate-gradients{replicas=2},cleave-optimize{optimizer=adamw:lr=0.1}),canonicalize,func.func(cleave-shard-optimizer))' | FileCheck %s
// RUN: cleave-opt %s --pass-pipeline='builtin.module(func.func(cleave-autodiff,cleave-optimize{optimizer=adamw:lr=0.1}),canonicalize,func.func(cleave-shard-optimizer))' | FileCheck %s --check-prefix=ONE

// Two replicas: w's leading dimension (4) splits in two, so its gradient
// is reduce-scattered, its moments are 2x3 slices (replica_shard), the
// update reads its 4x3 parameter and makes the replica's 2x3 slice, and
// the slices are all-gathered into w. b (3 rows) stays whole: its
// gradient stays in the all-reduce with the loss.
// CHECK-LABEL: func.func @affine
// CHECK: %[[W:.*]] = cleave.variable "w" dense<5.000000e-01> : tensor<4x3xf32>
// CHECK: %[[B:.*]] = cleave.variable "b"
// CHECK: %[[DW:.*]] = cleave.matmul {{.*}}cleave.backward_of = 0
// CHECK-NEXT: %[[SLICE:.*]] = cleave.reduce_scatter %[[DW]] {replicas = 2 : i64} : tensor<4x3xf32> -> tensor<2x3xf32>
// CHECK-NEXT: %[[SUMS:.*]]:2 = cleave.all_reduce %{{.*}}, %{{.*}} : tensor<f32>, tensor<3xf32>
// CHECK: %[[M:.*]] = cleave.variable "w.exp_avg" {replica_shard} dense<0.000000e+00> : tensor<2x3xf32>
// CHECK-NEXT: %[[V:.*]] = cleave.variable "w.exp_avg_sq" {replica_shard} dense<0.000000e+00> : tensor<2x3xf32>
// CHECK-NEXT: %[[P1:.*]], %[[M1:.*]], %[[V1:.*]] = cleave.adamw %[[W]], %[[SLICE]], %[[M]], %[[V]], {{.*}}grad_scale = 5.000000e-01 {{.*}} -> (tensor<2x3xf32>, tensor<2x3xf32>, tensor<2x3xf32>)
// CHECK-NEXT: %[[WHOLE:.*]] = cleave.all_gather %[[P1]] {replicas = 2 : i64} : tensor<2x3xf32> -> tensor<4x3xf32>
// CHECK: %[[BM:.*]] = cleave.variable "b.exp_avg" dense<0.000000e+00> : tensor<3xf32>
// CHECK: cleave.adamw %[[B]], %[[SUMS]]#1, %[[BM]]
// CHECK-SAME: -> (tensor<3xf32>, tensor<3xf32>, tensor<3xf32>)
// CHECK: cleave.assign %[[M]], %[[M1]] : tensor<2x3xf32>, tensor<2x3xf32>
// CHECK-NEXT: cleave.assign %[[V]], %[[V1]] : tensor<2x3xf32>, tensor<2x3xf32>
// CHECK-NEXT: cleave.assign %[[W]], %[[WHOLE]] : tensor<4x3xf32>, tensor<4x3xf32>

// One replica: nothing to shard.
// ONE-LABEL: func.func @affine
// ONE-NOT: replica_shard
// ONE-NOT: cleave.reduce_scatter
// ONE-NOT: cleave.all_gather
func.func @affine(%x: tensor<2x4xf32>) -> (tensor<f32> {cleave.name = "loss"}) {
  %w = cleave.variable "w" dense<0.5> : tensor<4x3xf32>
  %b = cleave.variable "b" dense<0.25> : tensor<3xf32>
  %y = cleave.matmul %x, %w : (tensor<2x4xf32>, tensor<4x3xf32>) -> tensor<2x3xf32>
  %z = cleave.add %y, %b : (tensor<2x3xf32>, tensor<3xf32>) -> tensor<2x3xf32>
  %none = cleave.none
  %loss = cleave.reduce_sum %z, %none {keepdims = 0 : i64} : (tensor<2x3xf32>, none) -> tensor<f32>
  return %loss : tensor<f32>
}
