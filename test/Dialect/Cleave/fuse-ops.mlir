// RUN: cleave-opt %s --split-input-file --cleave-fuse-ops | FileCheck %s

// Relu and a Clip with constant bounds fold into the convolution before
// them; a Clip with bounds known only at run time, or a convolution with a
// second user, stays as it is.
// CHECK-LABEL: func.func @conv_activations
// CHECK: %[[A:.*]] = cleave.conv {{.*}}fused_clip = array<f32: 0.000000e+00, 0x7F800000>
// CHECK: %[[B:.*]] = cleave.conv %[[A]], {{.*}}fused_clip = array<f32: 0.000000e+00, 6.000000e+00>
// CHECK: %[[C:.*]] = cleave.conv %[[B]]
// CHECK-NOT: fused_clip
// CHECK: cleave.clip %[[C]], %arg2, %arg2
// CHECK: %[[D:.*]] = cleave.conv
// CHECK: cleave.relu %[[D]]
// CHECK: cleave.add %[[D]]
func.func @conv_activations(%x: tensor<1x2x4x4xf32>, %w: tensor<2x2x1x1xf32>, %lo: tensor<f32>) -> (tensor<1x2x4x4xf32>, tensor<1x2x4x4xf32>, tensor<1x2x4x4xf32>) {
  %none = cleave.none
  %zero = cleave.constant dense<0.0> : tensor<f32>
  %six = cleave.constant dense<6.0> : tensor<f32>
  %0 = cleave.conv %x, %w, %none : (tensor<1x2x4x4xf32>, tensor<2x2x1x1xf32>, none) -> tensor<1x2x4x4xf32>
  %1 = cleave.relu %0 : (tensor<1x2x4x4xf32>) -> tensor<1x2x4x4xf32>
  %2 = cleave.conv %1, %w, %none : (tensor<1x2x4x4xf32>, tensor<2x2x1x1xf32>, none) -> tensor<1x2x4x4xf32>
  %3 = cleave.clip %2, %zero, %six : (tensor<1x2x4x4xf32>, tensor<f32>, tensor<f32>) -> tensor<1x2x4x4xf32>
  %4 = cleave.conv %3, %w, %none : (tensor<1x2x4x4xf32>, tensor<2x2x1x1xf32>, none) -> tensor<1x2x4x4xf32>
  %5 = cleave.clip %4, %lo, %lo : (tensor<1x2x4x4xf32>, tensor<f32>, tensor<f32>) -> tensor<1x2x4x4xf32>
  %6 = cleave.conv %5, %w, %none : (tensor<1x2x4x4xf32>, tensor<2x2x1x1xf32>, none) -> tensor<1x2x4x4xf32>
  %7 = cleave.relu %6 : (tensor<1x2x4x4xf32>) -> tensor<1x2x4x4xf32>
  %8 = cleave.add %6, %6 : (tensor<1x2x4x4xf32>, tensor<1x2x4x4xf32>) -> tensor<1x2x4x4xf32>
  return %5, %7, %8 : tensor<1x2x4x4xf32>, tensor<1x2x4x4xf32>, tensor<1x2x4x4xf32>
}

// -----

// A residual Add joins the convolution as its operand Z, then the Relu
// after it as the clamp: y = relu(conv + z). When z is computed after the
// convolution, the convolution moves down to the Add. A Relu before the Add
// keeps the Add apart (the clamp comes first there).
// CHECK-LABEL: func.func @residual
// CHECK-SAME: (%[[X:[^:]*]]: tensor<1x2x4x4xf32>
// CHECK: %[[LATE:.*]] = cleave.exp %[[X]]
// CHECK: %[[R:.*]] = cleave.conv %[[X]], %{{.*}}, %{{.*}}, %[[LATE]] {fused_clip = array<f32: 0.000000e+00, 0x7F800000>} : (tensor<1x2x4x4xf32>, tensor<2x2x1x1xf32>, none, tensor<1x2x4x4xf32>) -> tensor<1x2x4x4xf32>
// CHECK: %[[P:.*]] = cleave.conv %[[R]], {{.*}}fused_clip
// CHECK: %[[S:.*]] = cleave.add %[[P]], %[[X]]
// CHECK: return %[[S]]
func.func @residual(%x: tensor<1x2x4x4xf32>, %w: tensor<2x2x1x1xf32>) -> tensor<1x2x4x4xf32> {
  %none = cleave.none
  %0 = cleave.conv %x, %w, %none : (tensor<1x2x4x4xf32>, tensor<2x2x1x1xf32>, none) -> tensor<1x2x4x4xf32>
  %late = cleave.exp %x : (tensor<1x2x4x4xf32>) -> tensor<1x2x4x4xf32>
  %1 = cleave.add %0, %late : (tensor<1x2x4x4xf32>, tensor<1x2x4x4xf32>) -> tensor<1x2x4x4xf32>
  %2 = cleave.relu %1 : (tensor<1x2x4x4xf32>) -> tensor<1x2x4x4xf32>
  %3 = cleave.conv %2, %w, %none : (tensor<1x2x4x4xf32>, tensor<2x2x1x1xf32>, none) -> tensor<1x2x4x4xf32>
  %4 = cleave.relu %3 : (tensor<1x2x4x4xf32>) -> tensor<1x2x4x4xf32>
  %5 = cleave.add %4, %x : (tensor<1x2x4x4xf32>, tensor<1x2x4x4xf32>) -> tensor<1x2x4x4xf32>
  return %5 : tensor<1x2x4x4xf32>
}

// -----

// A batch norm after a convolution folds into its weights and bias: with
// scale 2, var 3 and epsilon 1, s = 2 / sqrt(4) = 1, so W' = W = 1.0 and
// B' = (0 - mean 0.5) * 1 + bias 1 = 0.5. The Relu after it then fuses.
// CHECK-LABEL: func.func @batch_norm
// CHECK-DAG: %[[W:.*]] = cleave.constant dense_resource<folded_bn_w> : tensor<2x2x1x1xf32>
// CHECK-DAG: %[[B:.*]] = cleave.constant dense_resource<folded_bn_b> : tensor<2xf32>
// CHECK: %[[Y:.*]] = cleave.conv %arg0, %[[W]], %[[B]] {fused_clip = array<f32: 0.000000e+00, 0x7F800000>}
// CHECK-NOT: cleave.batch_normalization
// CHECK: return %[[Y]]
// CHECK-DAG: folded_bn_w: "0x040000000000803F0000803F0000803F0000803F"
// CHECK-DAG: folded_bn_b: "0x040000000000003F0000003F"
func.func @batch_norm(%x: tensor<1x2x4x4xf32>) -> tensor<1x2x4x4xf32> {
  %none = cleave.none
  %w = cleave.constant dense<1.0> : tensor<2x2x1x1xf32>
  %scale = cleave.constant dense<2.0> : tensor<2xf32>
  %bias = cleave.constant dense<1.0> : tensor<2xf32>
  %mean = cleave.constant dense<0.5> : tensor<2xf32>
  %var = cleave.constant dense<3.0> : tensor<2xf32>
  %0 = cleave.conv %x, %w, %none : (tensor<1x2x4x4xf32>, tensor<2x2x1x1xf32>, none) -> tensor<1x2x4x4xf32>
  %1:3 = cleave.batch_normalization %0, %scale, %bias, %mean, %var {epsilon = 1.0 : f32} : (tensor<1x2x4x4xf32>, tensor<2xf32>, tensor<2xf32>, tensor<2xf32>, tensor<2xf32>) -> (tensor<1x2x4x4xf32>, tensor<2xf32>, tensor<2xf32>)
  %2 = cleave.relu %1#0 : (tensor<1x2x4x4xf32>) -> tensor<1x2x4x4xf32>
  return %2 : tensor<1x2x4x4xf32>
}

// -----

// A Transpose that swaps a MatMul operand's last two axes becomes the
// product's transpose flag (the copy goes); one that also moves other axes
// keeps a row-preserving copy of the rest ([B, T, H, D] -> [B, H, T, D]);
// one whose last axis stays last, or that feeds other users too and would
// still need a copy, stays.
// CHECK-LABEL: func.func @transposed_operands
// CHECK-SAME: (%[[X:[a-z0-9]+]]: tensor<3x4xf32>, %[[W:[a-z0-9]+]]: tensor<5x4xf32>, %[[K:[a-z0-9]+]]: tensor<2x6x3x4xf32>, %[[Q:[a-z0-9]+]]: tensor<2x3x5x4xf32>
// CHECK: %[[Y:.*]] = cleave.matmul %[[X]], %[[W]] {transpose_b} : (tensor<3x4xf32>, tensor<5x4xf32>) -> tensor<3x5xf32>
// CHECK: %[[G:.*]] = cleave.matmul %[[X]], %[[Y]] {transpose_a} : (tensor<3x4xf32>, tensor<3x5xf32>) -> tensor<4x5xf32>
// CHECK: %[[KT:.*]] = cleave.transpose %[[K]] {perm = array<i64: 0, 2, 1, 3>}
// CHECK: %[[S:.*]] = cleave.matmul %[[Q]], %[[KT]] {transpose_b} : (tensor<2x3x5x4xf32>, tensor<2x3x6x4xf32>) -> tensor<2x3x5x6xf32>
// CHECK: %[[P:.*]] = cleave.transpose %[[Q]] {perm = array<i64: 0, 2, 1, 3>}
// CHECK: cleave.matmul %[[P]], %{{.*}} : (tensor<2x5x3x4xf32>
// CHECK: %[[R:.*]] = cleave.transpose %[[K]] {perm = array<i64: 0, 2, 3, 1>}
// CHECK: cleave.matmul %{{.*}}, %[[R]] : (
// CHECK: return %[[Y]], %[[G]], %[[S]], {{.*}}, %[[R]]
func.func @transposed_operands(%x: tensor<3x4xf32>, %w: tensor<5x4xf32>, %k: tensor<2x6x3x4xf32>, %q: tensor<2x3x5x4xf32>, %e: tensor<2x5x4x2xf32>, %f: tensor<2x3x5x4xf32>) -> (tensor<3x5xf32>, tensor<4x5xf32>, tensor<2x3x5x6xf32>, tensor<2x5x3x2xf32>, tensor<2x3x5x6xf32>, tensor<2x3x4x6xf32>) {
  %wt = cleave.transpose %w {perm = array<i64: 1, 0>} : (tensor<5x4xf32>) -> tensor<4x5xf32>
  %y = cleave.matmul %x, %wt : (tensor<3x4xf32>, tensor<4x5xf32>) -> tensor<3x5xf32>
  %xt = cleave.transpose %x : (tensor<3x4xf32>) -> tensor<4x3xf32>
  %g = cleave.matmul %xt, %y : (tensor<4x3xf32>, tensor<3x5xf32>) -> tensor<4x5xf32>
  %kt = cleave.transpose %k {perm = array<i64: 0, 2, 3, 1>} : (tensor<2x6x3x4xf32>) -> tensor<2x3x4x6xf32>
  %s = cleave.matmul %q, %kt : (tensor<2x3x5x4xf32>, tensor<2x3x4x6xf32>) -> tensor<2x3x5x6xf32>
  %p = cleave.transpose %q {perm = array<i64: 0, 2, 1, 3>} : (tensor<2x3x5x4xf32>) -> tensor<2x5x3x4xf32>
  %h = cleave.matmul %p, %e : (tensor<2x5x3x4xf32>, tensor<2x5x4x2xf32>) -> tensor<2x5x3x2xf32>
  %r = cleave.transpose %k {perm = array<i64: 0, 2, 3, 1>} : (tensor<2x6x3x4xf32>) -> tensor<2x3x4x6xf32>
  %u = cleave.matmul %f, %r : (tensor<2x3x5x4xf32>, tensor<2x3x4x6xf32>) -> tensor<2x3x5x6xf32>
  return %y, %g, %s, %h, %u, %r : tensor<3x5xf32>, tensor<4x5xf32>, tensor<2x3x5x6xf32>, tensor<2x5x3x2xf32>, tensor<2x3x5x6xf32>, tensor<2x3x4x6xf32>
}

// -----

// (A B)^T = B^T A^T: a Transpose of a product's last two axes becomes the
// product with its operands swapped and their flags flipped; a product
// with another user stays.
// CHECK-LABEL: func.func @transposed_product
// CHECK-SAME: (%[[X:[a-z0-9]+]]: tensor<6x4xf32>, %[[D:[a-z0-9]+]]: tensor<6x5xf32>
// CHECK: %[[G:.*]] = cleave.matmul %[[D]], %[[X]] {transpose_a} : (tensor<6x5xf32>, tensor<6x4xf32>) -> tensor<5x4xf32>
// CHECK: %[[P:.*]] = cleave.matmul %[[X]], %[[D]] {transpose_a}
// CHECK: cleave.transpose %[[P]]
// CHECK: return %[[G]]
func.func @transposed_product(%x: tensor<6x4xf32>, %d: tensor<6x5xf32>) -> (tensor<5x4xf32>, tensor<5x4xf32>, tensor<4x5xf32>) {
  %xt = cleave.transpose %x {perm = array<i64: 1, 0>} : (tensor<6x4xf32>) -> tensor<4x6xf32>
  %g = cleave.matmul %xt, %d : (tensor<4x6xf32>, tensor<6x5xf32>) -> tensor<4x5xf32>
  %gt = cleave.transpose %g {perm = array<i64: 1, 0>} : (tensor<4x5xf32>) -> tensor<5x4xf32>
  %p = cleave.matmul %xt, %d : (tensor<4x6xf32>, tensor<6x5xf32>) -> tensor<4x5xf32>
  %pt = cleave.transpose %p {perm = array<i64: 1, 0>} : (tensor<4x5xf32>) -> tensor<5x4xf32>
  return %gt, %pt, %p : tensor<5x4xf32>, tensor<5x4xf32>, tensor<4x5xf32>
}

// -----

// A SiLU (Swish of alpha 1) and a HardSwish fold into the convolution
// before them, after its clip; a Swish of another alpha, an activation of a
// convolution with a second user, and an Add after a fused activation stay
// apart (the residual comes before the activation).
// CHECK-LABEL: func.func @conv_swish
// CHECK: %[[A:.*]] = cleave.conv {{.*}}fused_activation = "swish"
// CHECK: %[[B:.*]] = cleave.conv %[[A]], {{.*}}fused_activation = "hard_swish", fused_clip = array<f32: 0.000000e+00, 0x7F800000>
// CHECK: %[[C:.*]] = cleave.conv %[[B]]
// CHECK-NOT: fused_activation
// CHECK: %[[S:.*]] = cleave.swish %[[C]] {alpha = 2.000000e+00 : f32}
// CHECK: %[[D:.*]] = cleave.conv %[[S]]
// CHECK-NOT: fused_activation
// CHECK: cleave.hard_swish %[[D]]
// CHECK: cleave.add %[[D]]
// CHECK: cleave.add
func.func @conv_swish(%x: tensor<1x2x4x4xf32>, %w: tensor<2x2x1x1xf32>, %z: tensor<1x2x4x4xf32>) -> (tensor<1x2x4x4xf32>, tensor<1x2x4x4xf32>, tensor<1x2x4x4xf32>) {
  %none = cleave.none
  %0 = cleave.conv %x, %w, %none : (tensor<1x2x4x4xf32>, tensor<2x2x1x1xf32>, none) -> tensor<1x2x4x4xf32>
  %2 = cleave.swish %0 : (tensor<1x2x4x4xf32>) -> tensor<1x2x4x4xf32>
  %3 = cleave.conv %2, %w, %none : (tensor<1x2x4x4xf32>, tensor<2x2x1x1xf32>, none) -> tensor<1x2x4x4xf32>
  %4 = cleave.relu %3 : (tensor<1x2x4x4xf32>) -> tensor<1x2x4x4xf32>
  %5 = cleave.hard_swish %4 : (tensor<1x2x4x4xf32>) -> tensor<1x2x4x4xf32>
  %6 = cleave.conv %5, %w, %none : (tensor<1x2x4x4xf32>, tensor<2x2x1x1xf32>, none) -> tensor<1x2x4x4xf32>
  %7 = cleave.swish %6 {alpha = 2.0 : f32} : (tensor<1x2x4x4xf32>) -> tensor<1x2x4x4xf32>
  %8 = cleave.conv %7, %w, %none : (tensor<1x2x4x4xf32>, tensor<2x2x1x1xf32>, none) -> tensor<1x2x4x4xf32>
  %9 = cleave.hard_swish %8 : (tensor<1x2x4x4xf32>) -> tensor<1x2x4x4xf32>
  %10 = cleave.add %8, %8 : (tensor<1x2x4x4xf32>, tensor<1x2x4x4xf32>) -> tensor<1x2x4x4xf32>
  %11 = cleave.conv %x, %w, %none : (tensor<1x2x4x4xf32>, tensor<2x2x1x1xf32>, none) -> tensor<1x2x4x4xf32>
  %12 = cleave.hard_swish %11 : (tensor<1x2x4x4xf32>) -> tensor<1x2x4x4xf32>
  %13 = cleave.add %12, %z : (tensor<1x2x4x4xf32>, tensor<1x2x4x4xf32>) -> tensor<1x2x4x4xf32>
  return %9, %10, %13 : tensor<1x2x4x4xf32>, tensor<1x2x4x4xf32>, tensor<1x2x4x4xf32>
}
