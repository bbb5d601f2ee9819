// RUN: cleave-opt %s --pass-pipeline='builtin.module(func.func(cleave-train-dropout,cleave-accumulate-gradients{microbatches=2}))' | FileCheck %s --check-prefix=SPLIT

// Split into microbatches, each clone's mask covers its part of the batch,
// and the counter goes up once, after both.
// SPLIT-LABEL: func.func @loss
// SPLIT: cleave.dropout_mask %{{.*}} {cleave.microbatch = 0 : i64, microbatches = 2 : i64
// SPLIT: cleave.dropout_mask %{{.*}} {cleave.microbatch = 1 : i64, microbatch = 1 : i64, microbatches = 2 : i64
// SPLIT: %[[SUM:.*]] = cleave.add %{{.*}}, %{{.*}} {cleave.microbatch = 1 : i64}
// SPLIT-NEXT: cleave.assign
func.func @loss(%x: tensor<4x8xf32>) -> (tensor<f32> {cleave.name = "loss"}) {
  %ratio = cleave.constant dense<0.5> : tensor<f32>
  %none = cleave.none
  %y, %mask = cleave.dropout %x, %ratio, %none : (tensor<4x8xf32>, tensor<f32>, none) -> (tensor<4x8xf32>, tensor<4x8xi1>)
  %axes = cleave.constant dense<[0, 1]> : tensor<2xi64>
  %sum = cleave.reduce_sum %y, %axes {keepdims = 0 : i64} : (tensor<4x8xf32>, tensor<2xi64>) -> tensor<f32>
  return %sum : tensor<f32>
}
