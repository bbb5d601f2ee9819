// RUN: cleave-opt %s --pass-pipeline='builtin.module(func.func(cleave-autodiff))' | FileCheck %s --check-prefix=GRAD
// RUN: cleave-opt %s --pass-pipeline='builtin.module(func.func(cleave-autodiff,cleave-optimize{optimizer=sgd:lr=0.5}))' | FileCheck %s --check-prefix=SGD
// RUN: cleave-opt %s --pass-pipeline='builtin.module(func.func(cleave-autodiff,cleave-optimize{optimizer=adamw:lr=0.5,beta2=0.99,eps=1e-6}))' | FileCheck %s --check-prefix=ADAMW

// loss = sum(x @ w): d loss / d w = x^T @ ones. The forward op is numbered,
// its gradient's ops name it, and the gradient is the result
// grad:<variable>.
// GRAD-LABEL: func.func @linear
// GRAD-SAME: -> (tensor<f32> {cleave.name = "loss"}, tensor<3x2xf32> {cleave.name = "grad:w"})
// GRAD: %[[W:.*]] = cleave.variable "w"
// GRAD: %[[Y:.*]] = cleave.matmul %{{.*}}, %[[W]] {cleave.op_index = 0 : i64}
// GRAD: cleave.reduce_sum %[[Y]], %{{.*}} {cleave.op_index = 1 : i64
// GRAD: %[[SEED:.*]] = cleave.constant dense<1.000000e+00> : tensor<f32>
// GRAD: %[[DY:.*]] = cleave.expand {{.*}}cleave.backward_of = 1 : i64
// GRAD: %[[XT:.*]] = cleave.transpose %arg0 {cleave.backward_of = 0 : i64, perm = array<i64: 1, 0>}
// GRAD: %[[DW:.*]] = cleave.matmul %[[XT]], %[[DY]] {cleave.backward_of = 0 : i64}
// GRAD: return %{{.*}}, %[[DW]]

// With sgd, w -= lr * grad, with the learning rate a variable; the assignment
// is last and the function returns the loss alone.
// SGD-LABEL: func.func @linear
// SGD-SAME: -> (tensor<f32> {cleave.name = "loss"})
// SGD: %[[W:.*]] = cleave.variable "w"
// SGD: %[[LR:.*]] = cleave.variable "optimizer.lr" dense<5.000000e-01> : tensor<f32>
// SGD: %[[STEP:.*]] = cleave.mul %{{.*}}, %[[LR]]
// SGD: %[[NEXT:.*]] = cleave.sub %[[W]], %[[STEP]]
// SGD: cleave.assign %[[W]], %[[NEXT]]
// SGD-NEXT: return
// With adamw, one cleave.adamw per parameter reads it, its gradient, its
// two moments (new variables), the learning rate and the bias corrections
// 1 - beta^t of this step's count t, computed at run time; its three
// results are assigned.
// ADAMW-LABEL: func.func @linear
// ADAMW: %[[W:.*]] = cleave.variable "w"
// ADAMW: %[[DW:.*]] = cleave.matmul {{.*}}cleave.backward_of = 0 {{.*}} -> tensor<3x2xf32>
// ADAMW: %[[LR:.*]] = cleave.variable "optimizer.lr" dense<5.000000e-01>
// ADAMW: %[[STEP:.*]] = cleave.variable "optimizer.step"
// ADAMW: %[[T:.*]] = cleave.add %[[STEP]]
// ADAMW: %[[P1:.*]] = cleave.pow %{{.*}}, %[[T]]
// ADAMW: %[[C1:.*]] = cleave.sub %{{.*}}, %[[P1]]
// ADAMW: %[[P2:.*]] = cleave.pow %{{.*}}, %[[T]]
// ADAMW: %[[C2:.*]] = cleave.sub %{{.*}}, %[[P2]]
// ADAMW: %[[M:.*]] = cleave.variable "w.exp_avg" dense<0.000000e+00>
// ADAMW: %[[V:.*]] = cleave.variable "w.exp_avg_sq" dense<0.000000e+00>
// ADAMW: %[[P:.*]], %[[NM:.*]], %[[NV:.*]] = cleave.adamw %[[W]], %[[DW]], %[[M]], %[[V]], %[[LR]], %[[C1]], %[[C2]] {beta1 = 9.000000e-01 : f64, beta2 = 0.98999999999999999 : f64, eps = 9.9999999999999995E-7 : f64, weight_decay = 1.000000e-02 : f64}
// ADAMW: cleave.assign %[[M]], %[[NM]]
// ADAMW: cleave.assign %[[V]], %[[NV]]
// ADAMW: cleave.assign %[[W]], %[[P]]
// ADAMW-NEXT: return
func.func @linear(%x: tensor<4x3xf32>) -> (tensor<f32> {cleave.name = "loss"}) {
  %w = cleave.variable "w" dense<0.5> : tensor<3x2xf32>
  %y = cleave.matmul %x, %w : (tensor<4x3xf32>, tensor<3x2xf32>) -> tensor<4x2xf32>
  %none = cleave.none
  %loss = cleave.reduce_sum %y, %none {keepdims = 0 : i64} : (tensor<4x2xf32>, none) -> tensor<f32>
  return %loss : tensor<f32>
}

