// RUN: cleave-opt %s --pass-pipeline='builtin.module(func.func(cleave-autodiff,cleave-accumulate-gradients{microbatches=2}))' | FileCheck %s --check-prefix=MB
// RUN: cleave-opt %s --pass-pipeline='builtin.module(func.func(cleave-autodiff,cleave-accumulate-gradients{replicas=2}))' | FileCheck %s --check-prefix=DP
// RUN: cleave-opt %s --pass-pipeline='builtin.module(func.func(cleave-autodiff,cleave-accumulate-gradients{microbatches=2 replicas=2 bucket-bytes=1}))' | FileCheck %s --check-prefix=BUCKETS

// Two microbatches: the input doubles along axis 0, each microbatch is a
// slice of it, its forward and backward ops are cloned in turn (marked
// with their microbatch), the parts are added as they appear, and the
// mean loss's sums are halved at the end.
// MB-LABEL: func.func @linear
// MB-SAME: (%[[X:.*]]: tensor<8x3xf32>)
// MB: %[[W:.*]] = cleave.variable "w"
// MB: %[[X0:.*]] = cleave.slice %[[X]]
// MB-SAME: -> tensor<4x3xf32>
// MB: cleave.matmul %[[X0]], %[[W]] {cleave.microbatch = 0 : i64, cleave.op_index = 0 : i64}
// MB: %[[DW0:.*]] = cleave.matmul {{.*}}cleave.backward_of = 0 : i64, cleave.microbatch = 0 : i64
// MB: %[[X1:.*]] = cleave.slice %[[X]]
// MB: cleave.matmul %[[X1]], %[[W]] {cleave.microbatch = 1 : i64, cleave.op_index = 0 : i64}
// MB: %[[DW1:.*]] = cleave.matmul {{.*}}cleave.backward_of = 0 : i64, cleave.microbatch = 1 : i64
// MB-NEXT: %[[SUM:.*]] = cleave.add %[[DW0]], %[[DW1]] {cleave.microbatch = 1 : i64}
// MB: %[[HALF:.*]] = cleave.constant dense<5.000000e-01>
// MB: %[[LOSS:.*]] = cleave.mul %{{.*}}, %[[HALF]]
// MB: %[[GRAD:.*]] = cleave.mul %[[SUM]], %{{.*}} : (tensor<3x2xf32>, tensor<f32>)
// MB: return %[[LOSS]], %[[GRAD]]

// Two replicas: the inputs keep their shape (each replica has its share),
// the loss and the gradient are summed over the replicas and halved.
// DP-LABEL: func.func @linear
// DP-SAME: (%{{.*}}: tensor<4x3xf32>)
// DP-SAME: cleave.replicas = 2 : i64
// DP: %[[SUMS:.*]]:2 = cleave.all_reduce %{{.*}}, %{{.*}} : tensor<f32>, tensor<3x2xf32>
// DP: cleave.mul %[[SUMS]]#0
// DP: cleave.mul %[[SUMS]]#1

// Buckets of one byte: one all-reduce per value, each right after the
// value is final (the loss before the backward pass).
// BUCKETS-LABEL: func.func @linear
// BUCKETS: %[[L0:.*]] = cleave.reduce_sum {{.*}}cleave.microbatch = 0
// BUCKETS: %[[L1:.*]] = cleave.reduce_sum {{.*}}cleave.microbatch = 1
// BUCKETS-NEXT: %[[LOSS:.*]] = cleave.add %[[L0]], %[[L1]]
// BUCKETS-NEXT: cleave.all_reduce %[[LOSS]] : tensor<f32>
// BUCKETS: %[[GRAD:.*]] = cleave.add {{.*}}cleave.microbatch = 1
// BUCKETS-NEXT: cleave.all_reduce %[[GRAD]] : tensor<3x2xf32>
func.func @linear(%x: tensor<4x3xf32>) -> (tensor<f32> {cleave.name = "loss"}) {
  %w = cleave.variable "w" dense<0.5> : tensor<3x2xf32>
  %y = cleave.matmul %x, %w : (tensor<4x3xf32>, tensor<3x2xf32>) -> tensor<4x2xf32>
  %none = cleave.none
  %loss = cleave.reduce_sum %y, %none {keepdims = 0 : i64} : (tensor<4x2xf32>, none) -> tensor<f32>
  return %loss : tensor<f32>
}

// A running statistic (a variable assigned from the batch) is carried from
// one microbatch to the next, as M forward passes update it in turn: the
// second microbatch decays the first one's value, and only the last value
// is assigned.
// MB-LABEL: func.func @running
// MB: %[[S:.*]] = cleave.variable "s"
// MB: %[[D0:.*]] = cleave.mul %[[S]], %{{.*}} {cleave.microbatch = 0
// MB: %[[N0:.*]] = cleave.add %[[D0]], %{{.*}} {cleave.microbatch = 0
// MB-NOT: cleave.assign
// MB: %[[D1:.*]] = cleave.mul %[[N0]], %{{.*}} {cleave.microbatch = 1
// MB: %[[N1:.*]] = cleave.add %[[D1]], %{{.*}} {cleave.microbatch = 1
// MB: cleave.assign %[[S]], %[[N1]]
// MB-NOT: cleave.assign
// MB: return
func.func @running(%x: tensor<4x3xf32>) -> (tensor<f32> {cleave.name = "loss"}) {
  %w = cleave.variable "w" dense<0.5> : tensor<3x2xf32>
  %s = cleave.variable "s" dense<0.0> : tensor<3xf32>
  %y = cleave.matmul %x, %w : (tensor<4x3xf32>, tensor<3x2xf32>) -> tensor<4x2xf32>
  %none = cleave.none
  %loss = cleave.reduce_sum %y, %none {keepdims = 0 : i64} : (tensor<4x2xf32>, none) -> tensor<f32>
  %axes = cleave.constant dense<0> : tensor<1xi64>
  %mean = cleave.reduce_mean %x, %axes {keepdims = 0 : i64} : (tensor<4x3xf32>, tensor<1xi64>) -> tensor<3xf32>
  %decay = cleave.constant dense<0.9> : tensor<f32>
  %kept = cleave.mul %s, %decay : (tensor<3xf32>, tensor<f32>) -> tensor<3xf32>
  %next = cleave.add %kept, %mean : (tensor<3xf32>, tensor<3xf32>) -> tensor<3xf32>
  cleave.assign %s, %next : tensor<3xf32>, tensor<3xf32>
  return %loss : tensor<f32>
}
