// RUN: cleave-opt %s --canonicalize --split-input-file | FileCheck %s

// Folders turn exporter-style shape computations into constants.

// CHECK-LABEL: func.func @shape_chain
// CHECK-NOT: cleave.shape
// CHECK-NOT: cleave.gather
// CHECK-NOT: cleave.concat
// CHECK: %[[SHAPE:.*]] = cleave.constant dense<[2, 12]> : tensor<2xi64>
// CHECK: cleave.reshape %{{.*}}, %[[SHAPE]] : (tensor<2x3x4xf32>, tensor<2xi64>) -> tensor<2x12xf32>
func.func @shape_chain(%x: tensor<2x3x4xf32>) -> tensor<2x12xf32> {
  %shape = cleave.shape %x : (tensor<2x3x4xf32>) -> tensor<3xi64>
  %zero = cleave.constant dense<0> : tensor<i64>
  %batch = cleave.gather %shape, %zero : (tensor<3xi64>, tensor<i64>) -> tensor<i64>
  %axes = cleave.constant dense<[0]> : tensor<1xi64>
  %batch1 = cleave.unsqueeze %batch, %axes : (tensor<i64>, tensor<1xi64>) -> tensor<1xi64>
  %rest = cleave.constant dense<[12]> : tensor<1xi64>
  %target = cleave.concat %batch1, %rest {axis = 0 : i64} : (tensor<1xi64>, tensor<1xi64>) -> tensor<2xi64>
  %y = cleave.reshape %x, %target : (tensor<2x3x4xf32>, tensor<2xi64>) -> tensor<2x12xf32>
  return %y : tensor<2x12xf32>
}

// -----

// CHECK-LABEL: func.func @shape_slice_and_size
// CHECK-DAG: cleave.constant dense<[3, 4]> : tensor<2xi64>
// CHECK-DAG: cleave.constant dense<24> : tensor<i64>
func.func @shape_slice_and_size(%x: tensor<2x3x4xf32>) -> (tensor<2xi64>, tensor<i64>) {
  %0 = cleave.shape %x {start = -2 : i64} : (tensor<2x3x4xf32>) -> tensor<2xi64>
  %1 = cleave.size %x : (tensor<2x3x4xf32>) -> tensor<i64>
  return %0, %1 : tensor<2xi64>, tensor<i64>
}

// -----

// CHECK-LABEL: func.func @identity_and_dropout
// CHECK-NEXT: return %arg0 : tensor<4xf32>
func.func @identity_and_dropout(%x: tensor<4xf32>) -> tensor<4xf32> {
  %0 = cleave.identity %x : (tensor<4xf32>) -> tensor<4xf32>
  %none = cleave.none
  %1:2 = cleave.dropout %0, %none, %none : (tensor<4xf32>, none, none) -> (tensor<4xf32>, tensor<4xi1>)
  return %1#0 : tensor<4xf32>
}

// -----

// Dropout in training mode stays.
// CHECK-LABEL: func.func @training_dropout
// CHECK: cleave.dropout
func.func @training_dropout(%x: tensor<4xf32>) -> tensor<4xf32> {
  %none = cleave.none
  %true = cleave.constant dense<true> : tensor<i1>
  %1:2 = cleave.dropout %x, %none, %true : (tensor<4xf32>, none, tensor<i1>) -> (tensor<4xf32>, tensor<4xi1>)
  return %1#0 : tensor<4xf32>
}

// -----

// CHECK-LABEL: func.func @arithmetic
// CHECK-DAG: cleave.constant dense<[12, 8]> : tensor<2xi64>
// CHECK-DAG: cleave.constant dense<[-3, 2]> : tensor<2xi64>
// CHECK-DAG: cleave.constant dense<[false, true]> : tensor<2xi1>
// CHECK-DAG: cleave.constant dense<1> : tensor<2xi64>
// CHECK-NOT: cleave.mul
// CHECK-NOT: cleave.div
func.func @arithmetic() -> (tensor<2xi64>, tensor<2xi64>, tensor<2xi1>, tensor<2xi64>) {
  %a = cleave.constant dense<[6, 4]> : tensor<2xi64>
  %two = cleave.constant dense<2> : tensor<i64>
  %0 = cleave.mul %a, %two : (tensor<2xi64>, tensor<i64>) -> tensor<2xi64>
  %m = cleave.constant dense<[-7, 5]> : tensor<2xi64>
  %1 = cleave.div %m, %two : (tensor<2xi64>, tensor<i64>) -> tensor<2xi64>
  %2 = cleave.equal %1, %two : (tensor<2xi64>, tensor<i64>) -> tensor<2xi1>
  %3 = cleave.mod %m, %two : (tensor<2xi64>, tensor<i64>) -> tensor<2xi64>
  return %0, %1, %2, %3 : tensor<2xi64>, tensor<2xi64>, tensor<2xi1>, tensor<2xi64>
}

// -----

// CHECK-LABEL: func.func @data_movement
// CHECK-DAG: cleave.constant dense<{{\[}}[1, 4], [2, 5], [3, 6]]> : tensor<3x2xi32>
// CHECK-DAG: cleave.constant dense<[3, 1]> : tensor<2xi32>
// CHECK-DAG: cleave.constant dense<{{\[}}[1.000000e+00, 2.000000e+00, 3.000000e+00]]> : tensor<1x3xf32>
// CHECK-DAG: cleave.constant dense<[5, 6]> : tensor<2xi32>
func.func @data_movement() -> (tensor<3x2xi32>, tensor<2xi32>, tensor<1x3xf32>, tensor<2xi32>) {
  %m = cleave.constant dense<[[1, 2, 3], [4, 5, 6]]> : tensor<2x3xi32>
  %0 = cleave.transpose %m : (tensor<2x3xi32>) -> tensor<3x2xi32>
  %flat = cleave.constant dense<[4]> : tensor<1xi64>
  %starts = cleave.constant dense<[2]> : tensor<1xi64>
  %ends = cleave.constant dense<[-100]> : tensor<1xi64>
  %steps = cleave.constant dense<[-2]> : tensor<1xi64>
  %none = cleave.none
  %row = cleave.constant dense<[1, 2, 3]> : tensor<3xi32>
  %1 = cleave.slice %row, %starts, %ends, %none, %steps : (tensor<3xi32>, tensor<1xi64>, tensor<1xi64>, none, tensor<1xi64>) -> tensor<2xi32>
  %axes = cleave.constant dense<[0]> : tensor<1xi64>
  %castme = cleave.unsqueeze %row, %axes : (tensor<3xi32>, tensor<1xi64>) -> tensor<1x3xi32>
  %2 = cleave.cast %castme {to = f32} : (tensor<1x3xi32>) -> tensor<1x3xf32>
  %idx = cleave.constant dense<[-2, -1]> : tensor<2xi64>
  %3 = cleave.gather %m, %idx {axis = 1 : i64} : (tensor<2x3xi32>, tensor<2xi64>) -> tensor<2x2xi32>
  %one = cleave.constant dense<[1]> : tensor<1xi64>
  %4 = cleave.gather %3, %one : (tensor<2x2xi32>, tensor<1xi64>) -> tensor<1x2xi32>
  %shape = cleave.constant dense<[2]> : tensor<1xi64>
  %5 = cleave.reshape %4, %shape : (tensor<1x2xi32>, tensor<1xi64>) -> tensor<2xi32>
  return %0, %1, %2, %5 : tensor<3x2xi32>, tensor<2xi32>, tensor<1x3xf32>, tensor<2xi32>
}

// -----

// CHECK-LABEL: func.func @generators
// CHECK-DAG: cleave.constant dense<[1, 4, 7]> : tensor<3xi64>
// CHECK-DAG: cleave.constant dense<7> : tensor<2x3xi32>
func.func @generators() -> (tensor<3xi64>, tensor<2x3xi32>) {
  %start = cleave.constant dense<1> : tensor<i64>
  %limit = cleave.constant dense<9> : tensor<i64>
  %delta = cleave.constant dense<3> : tensor<i64>
  %0 = cleave.range %start, %limit, %delta : (tensor<i64>, tensor<i64>, tensor<i64>) -> tensor<3xi64>
  %shape = cleave.constant dense<[2, 3]> : tensor<2xi64>
  %1 = cleave.constant_of_shape %shape {value = dense<7> : tensor<1xi32>} : (tensor<2xi64>) -> tensor<2x3xi32>
  return %0, %1 : tensor<3xi64>, tensor<2x3xi32>
}

// -----

// A no-op reshape or transpose folds to its input, whatever its size.
// CHECK-LABEL: func.func @no_ops
// CHECK-NEXT: return %arg0, %arg0
func.func @no_ops(%x: tensor<2x3xf32>) -> (tensor<2x3xf32>, tensor<2x3xf32>) {
  %shape = cleave.constant dense<[2, 3]> : tensor<2xi64>
  %0 = cleave.reshape %x, %shape : (tensor<2x3xf32>, tensor<2xi64>) -> tensor<2x3xf32>
  %1 = cleave.transpose %x {perm = array<i64: 0, 1>} : (tensor<2x3xf32>) -> tensor<2x3xf32>
  return %0, %1 : tensor<2x3xf32>, tensor<2x3xf32>
}

// -----

// Weights are never copied by folding: a large blob stays a blob.
// CHECK-LABEL: func.func @large_weights_stay
// CHECK: cleave.constant dense_resource<big> : tensor<300x300xf32>
// CHECK: cleave.transpose
func.func @large_weights_stay() -> tensor<300x300xf32> {
  %w = cleave.constant dense_resource<big> : tensor<300x300xf32>
  %0 = cleave.transpose %w : (tensor<300x300xf32>) -> tensor<300x300xf32>
  return %0 : tensor<300x300xf32>
}

// -----

// The erf GELU as PyTorch exports it, and with the halving inside.
// CHECK-LABEL: func.func @gelu
// CHECK-SAME: (%[[X:.*]]: tensor<2x8xf32>, %[[Y:.*]]: tensor<2x8xf32>)
// CHECK-DAG: %[[G1:.*]] = cleave.gelu %[[X]] : (tensor<2x8xf32>) -> tensor<2x8xf32>
// CHECK-DAG: %[[G2:.*]] = cleave.gelu %[[Y]] : (tensor<2x8xf32>) -> tensor<2x8xf32>
// CHECK: return %[[G1]], %[[G2]]
func.func @gelu(%x: tensor<2x8xf32>, %y: tensor<2x8xf32>) -> (tensor<2x8xf32>, tensor<2x8xf32>) {
  %sqrt2 = cleave.constant dense<1.41421354> : tensor<f32>
  %one = cleave.constant dense<1.0> : tensor<f32>
  %half = cleave.constant dense<0.5> : tensor<f32>
  %inv = cleave.constant dense<0.707106769> : tensor<f32>
  %0 = cleave.div %x, %sqrt2 : (tensor<2x8xf32>, tensor<f32>) -> tensor<2x8xf32>
  %1 = cleave.erf %0 : (tensor<2x8xf32>) -> tensor<2x8xf32>
  %2 = cleave.add %1, %one : (tensor<2x8xf32>, tensor<f32>) -> tensor<2x8xf32>
  %3 = cleave.mul %x, %2 : (tensor<2x8xf32>, tensor<2x8xf32>) -> tensor<2x8xf32>
  %4 = cleave.mul %3, %half : (tensor<2x8xf32>, tensor<f32>) -> tensor<2x8xf32>
  %5 = cleave.mul %inv, %y : (tensor<f32>, tensor<2x8xf32>) -> tensor<2x8xf32>
  %6 = cleave.erf %5 : (tensor<2x8xf32>) -> tensor<2x8xf32>
  %7 = cleave.add %one, %6 : (tensor<f32>, tensor<2x8xf32>) -> tensor<2x8xf32>
  %8 = cleave.mul %half, %7 : (tensor<f32>, tensor<2x8xf32>) -> tensor<2x8xf32>
  %9 = cleave.mul %y, %8 : (tensor<2x8xf32>, tensor<2x8xf32>) -> tensor<2x8xf32>
  return %4, %9 : tensor<2x8xf32>, tensor<2x8xf32>
}

// -----

// Not GELU: the erf's argument is not the x that is multiplied, or the
// scale is not 0.5.
// CHECK-LABEL: func.func @not_gelu
// CHECK-NOT: cleave.gelu
func.func @not_gelu(%x: tensor<4xf32>, %z: tensor<4xf32>) -> (tensor<4xf32>, tensor<4xf32>) {
  %sqrt2 = cleave.constant dense<1.41421354> : tensor<f32>
  %one = cleave.constant dense<1.0> : tensor<f32>
  %half = cleave.constant dense<0.5> : tensor<f32>
  %third = cleave.constant dense<0.333> : tensor<f32>
  %0 = cleave.div %x, %sqrt2 : (tensor<4xf32>, tensor<f32>) -> tensor<4xf32>
  %1 = cleave.erf %0 : (tensor<4xf32>) -> tensor<4xf32>
  %2 = cleave.add %1, %one : (tensor<4xf32>, tensor<f32>) -> tensor<4xf32>
  %3 = cleave.mul %z, %2 : (tensor<4xf32>, tensor<4xf32>) -> tensor<4xf32>
  %4 = cleave.mul %3, %half : (tensor<4xf32>, tensor<f32>) -> tensor<4xf32>
  %5 = cleave.mul %x, %2 : (tensor<4xf32>, tensor<4xf32>) -> tensor<4xf32>
  %6 = cleave.mul %5, %third : (tensor<4xf32>, tensor<f32>) -> tensor<4xf32>
  return %4, %6 : tensor<4xf32>, tensor<4xf32>
}

// -----

// GPT-2's tanh GELU as PyTorch exports it, with x^3 as x * x * x and as
// Pow; a wrong constant inside is not GELU.
// CHECK-LABEL: func.func @gelu_tanh
// CHECK-SAME: (%[[X:.*]]: tensor<2x8xf32>, %[[Y:.*]]: tensor<2x8xf32>)
// CHECK-DAG: %[[G1:.*]] = cleave.gelu %[[X]] {approximate = "tanh"}
// CHECK-DAG: %[[G2:.*]] = cleave.gelu %[[Y]] {approximate = "tanh"}
// CHECK: cleave.tanh
// CHECK-NOT: cleave.gelu
// CHECK: return %[[G1]], %[[G2]], %
func.func @gelu_tanh(%x: tensor<2x8xf32>, %y: tensor<2x8xf32>) -> (tensor<2x8xf32>, tensor<2x8xf32>, tensor<2x8xf32>) {
  %k = cleave.constant dense<0.044715> : tensor<f32>
  %c = cleave.constant dense<0.797884583> : tensor<f32>
  %one = cleave.constant dense<1.0> : tensor<f32>
  %half = cleave.constant dense<0.5> : tensor<f32>
  %three = cleave.constant dense<3.0> : tensor<f32>
  %wrong = cleave.constant dense<0.05> : tensor<f32>
  %0 = cleave.mul %x, %x : (tensor<2x8xf32>, tensor<2x8xf32>) -> tensor<2x8xf32>
  %1 = cleave.mul %0, %x : (tensor<2x8xf32>, tensor<2x8xf32>) -> tensor<2x8xf32>
  %2 = cleave.mul %1, %k : (tensor<2x8xf32>, tensor<f32>) -> tensor<2x8xf32>
  %3 = cleave.add %x, %2 : (tensor<2x8xf32>, tensor<2x8xf32>) -> tensor<2x8xf32>
  %4 = cleave.mul %3, %c : (tensor<2x8xf32>, tensor<f32>) -> tensor<2x8xf32>
  %5 = cleave.tanh %4 : (tensor<2x8xf32>) -> tensor<2x8xf32>
  %6 = cleave.add %one, %5 : (tensor<f32>, tensor<2x8xf32>) -> tensor<2x8xf32>
  %7 = cleave.mul %x, %6 : (tensor<2x8xf32>, tensor<2x8xf32>) -> tensor<2x8xf32>
  %8 = cleave.mul %half, %7 : (tensor<f32>, tensor<2x8xf32>) -> tensor<2x8xf32>
  %p = cleave.pow %y, %three : (tensor<2x8xf32>, tensor<f32>) -> tensor<2x8xf32>
  %q = cleave.mul %k, %p : (tensor<f32>, tensor<2x8xf32>) -> tensor<2x8xf32>
  %r = cleave.add %q, %y : (tensor<2x8xf32>, tensor<2x8xf32>) -> tensor<2x8xf32>
  %s = cleave.mul %c, %r : (tensor<f32>, tensor<2x8xf32>) -> tensor<2x8xf32>
  %t = cleave.tanh %s : (tensor<2x8xf32>) -> tensor<2x8xf32>
  %u = cleave.add %t, %one : (tensor<2x8xf32>, tensor<f32>) -> tensor<2x8xf32>
  %v = cleave.mul %half, %y : (tensor<f32>, tensor<2x8xf32>) -> tensor<2x8xf32>
  %w = cleave.mul %v, %u : (tensor<2x8xf32>, tensor<2x8xf32>) -> tensor<2x8xf32>
  %n0 = cleave.mul %1, %wrong : (tensor<2x8xf32>, tensor<f32>) -> tensor<2x8xf32>
  %n1 = cleave.add %x, %n0 : (tensor<2x8xf32>, tensor<2x8xf32>) -> tensor<2x8xf32>
  %n2 = cleave.mul %n1, %c : (tensor<2x8xf32>, tensor<f32>) -> tensor<2x8xf32>
  %n3 = cleave.tanh %n2 : (tensor<2x8xf32>) -> tensor<2x8xf32>
  %n4 = cleave.add %one, %n3 : (tensor<f32>, tensor<2x8xf32>) -> tensor<2x8xf32>
  %n5 = cleave.mul %x, %n4 : (tensor<2x8xf32>, tensor<2x8xf32>) -> tensor<2x8xf32>
  %n6 = cleave.mul %half, %n5 : (tensor<f32>, tensor<2x8xf32>) -> tensor<2x8xf32>
  return %8, %w, %n6 : tensor<2x8xf32>, tensor<2x8xf32>, tensor<2x8xf32>
}

// -----

// The 1 / (M N) of a mean over microbatches and replicas folds into the
// AdamW update that alone reads the scaled gradient (the kernel multiplies
// in f32, as the mul did); 1/3 is rounded to f32 first. A scaled gradient
// that something else reads too stays a mul.
// CHECK-LABEL: func.func @adamw_grad_scale
// CHECK-NOT:     cleave.mul
// CHECK:         cleave.adamw %arg0, %arg1, {{.*}}grad_scale = 0.3333333432674408 : f64
// CHECK-LABEL: func.func @adamw_grad_scale_shared
// CHECK:         %[[S:.*]] = cleave.mul %arg1
// CHECK:         cleave.adamw %arg0, %[[S]], {{.*}}weight_decay = 0.000000e+00 : f64}
func.func @adamw_grad_scale(%p: tensor<4xf32>, %g: tensor<4xf32>, %m: tensor<4xf32>, %v: tensor<4xf32>, %lr: tensor<f32>) -> (tensor<4xf32>, tensor<4xf32>, tensor<4xf32>) {
  %c = cleave.constant dense<0.333333343> : tensor<f32>
  %s = cleave.mul %c, %g : (tensor<f32>, tensor<4xf32>) -> tensor<4xf32>
  %a, %b, %d = cleave.adamw %p, %s, %m, %v, %lr, %lr, %lr {beta1 = 9.000000e-01 : f64, beta2 = 0.999 : f64, eps = 1.0e-8 : f64, weight_decay = 0.0 : f64} : (tensor<4xf32>, tensor<4xf32>, tensor<4xf32>, tensor<4xf32>, tensor<f32>, tensor<f32>, tensor<f32>) -> (tensor<4xf32>, tensor<4xf32>, tensor<4xf32>)
  return %a, %b, %d : tensor<4xf32>, tensor<4xf32>, tensor<4xf32>
}
func.func @adamw_grad_scale_shared(%p: tensor<4xf32>, %g: tensor<4xf32>, %m: tensor<4xf32>, %v: tensor<4xf32>, %lr: tensor<f32>) -> (tensor<4xf32>, tensor<4xf32>, tensor<4xf32>, tensor<4xf32>) {
  %c = cleave.constant dense<5.000000e-01> : tensor<f32>
  %s = cleave.mul %g, %c : (tensor<4xf32>, tensor<f32>) -> tensor<4xf32>
  %a, %b, %d = cleave.adamw %p, %s, %m, %v, %lr, %lr, %lr {beta1 = 9.000000e-01 : f64, beta2 = 0.999 : f64, eps = 1.0e-8 : f64, weight_decay = 0.0 : f64} : (tensor<4xf32>, tensor<4xf32>, tensor<4xf32>, tensor<4xf32>, tensor<f32>, tensor<f32>, tensor<f32>) -> (tensor<4xf32>, tensor<4xf32>, tensor<4xf32>)
  return %a, %b, %d, %s : tensor<4xf32>, tensor<4xf32>, tensor<4xf32>, tensor<4xf32>
}

// -----

// x^2 is x * x (RMSNorm's Pow(x, 2)); other exponents, an exponent that
// broadcasts x, and integer powers stay Pow.
// CHECK-LABEL: func.func @square
// CHECK:         %[[SQ:.*]] = cleave.mul %arg0, %arg0 : (tensor<2x8xf32>, tensor<2x8xf32>) -> tensor<2x8xf32>
// CHECK:         %[[CUBE:.*]] = cleave.pow %arg0
// CHECK:         %[[WIDE:.*]] = cleave.pow %arg1
// CHECK:         %[[INT:.*]] = cleave.pow %arg2
// CHECK:         return %[[SQ]], %[[CUBE]], %[[WIDE]], %[[INT]]
func.func @square(%x: tensor<2x8xf32>, %row: tensor<8xf32>, %i: tensor<4xi64>) -> (tensor<2x8xf32>, tensor<2x8xf32>, tensor<2x8xf32>, tensor<4xi64>) {
  %two = cleave.constant dense<2.0> : tensor<f32>
  %three = cleave.constant dense<3.0> : tensor<f32>
  %twos = cleave.constant dense<2.0> : tensor<2x8xf32>
  %itwo = cleave.constant dense<2> : tensor<i64>
  %sq = cleave.pow %x, %two : (tensor<2x8xf32>, tensor<f32>) -> tensor<2x8xf32>
  %cube = cleave.pow %x, %three : (tensor<2x8xf32>, tensor<f32>) -> tensor<2x8xf32>
  %wide = cleave.pow %row, %twos : (tensor<8xf32>, tensor<2x8xf32>) -> tensor<2x8xf32>
  %int = cleave.pow %i, %itwo : (tensor<4xi64>, tensor<i64>) -> tensor<4xi64>
  return %sq, %cube, %wide, %int : tensor<2x8xf32>, tensor<2x8xf32>, tensor<2x8xf32>, tensor<4xi64>
}

// -----

// SiLU in both operand orders becomes one swish (alpha 1, the default);
// x times the sigmoid of anything else (y, or a c that broadcasts) stays.
// CHECK-LABEL: func.func @silu
// CHECK-SAME: (%[[X:.*]]: tensor<2x8xf32>, %[[Y:.*]]: tensor<2x8xf32>, %[[C:.*]]: tensor<8xf32>)
// CHECK-DAG: %[[S1:.*]] = cleave.swish %[[X]] : (tensor<2x8xf32>) -> tensor<2x8xf32>
// CHECK-DAG: %[[S2:.*]] = cleave.swish %[[Y]] : (tensor<2x8xf32>) -> tensor<2x8xf32>
// CHECK-DAG: %[[G:.*]] = cleave.sigmoid %[[Y]]
// CHECK-DAG: %[[N:.*]] = cleave.mul %[[X]], %[[G]]
// CHECK-DAG: %[[GC:.*]] = cleave.sigmoid %[[C]]
// CHECK-DAG: %[[NC:.*]] = cleave.mul %[[X]], %[[GC]]
// CHECK: return %[[S1]], %[[S2]], %[[N]], %[[NC]]
func.func @silu(%x: tensor<2x8xf32>, %y: tensor<2x8xf32>, %c: tensor<8xf32>) -> (tensor<2x8xf32>, tensor<2x8xf32>, tensor<2x8xf32>, tensor<2x8xf32>) {
  %0 = cleave.sigmoid %x : (tensor<2x8xf32>) -> tensor<2x8xf32>
  %1 = cleave.mul %x, %0 : (tensor<2x8xf32>, tensor<2x8xf32>) -> tensor<2x8xf32>
  %2 = cleave.sigmoid %y : (tensor<2x8xf32>) -> tensor<2x8xf32>
  %3 = cleave.mul %2, %y : (tensor<2x8xf32>, tensor<2x8xf32>) -> tensor<2x8xf32>
  %4 = cleave.mul %x, %2 : (tensor<2x8xf32>, tensor<2x8xf32>) -> tensor<2x8xf32>
  %5 = cleave.sigmoid %c : (tensor<8xf32>) -> tensor<8xf32>
  %6 = cleave.mul %x, %5 : (tensor<2x8xf32>, tensor<8xf32>) -> tensor<2x8xf32>
  return %1, %3, %4, %6 : tensor<2x8xf32>, tensor<2x8xf32>, tensor<2x8xf32>, tensor<2x8xf32>
}

// -----

// Unary kernels fold on small float constants with the kernel's own
// element function: T5's relative position buckets (log of a constant
// table, scaled, cast, clamped by Min) become one constant.
// CHECK-LABEL: func.func @position_buckets
// CHECK-NEXT: %[[C:.*]] = cleave.constant dense<[0, 5, 10, 10]> : tensor<4xi64>
// CHECK-NEXT: return %[[C]]
func.func @position_buckets() -> tensor<4xi64> {
  %table = cleave.constant dense<[1.0, 2.0, 4.0, 8.0]> : tensor<4xf32>
  %log = cleave.log %table : (tensor<4xf32>) -> tensor<4xf32>
  %scale = cleave.constant dense<7.5> : tensor<f32>
  %scaled = cleave.mul %log, %scale : (tensor<4xf32>, tensor<f32>) -> tensor<4xf32>
  %int = cleave.cast %scaled {to = i64} : (tensor<4xf32>) -> tensor<4xi64>
  %limit = cleave.constant dense<10> : tensor<4xi64>
  %bucket = cleave.min %int, %limit : (tensor<4xi64>, tensor<4xi64>) -> tensor<4xi64>
  return %bucket : tensor<4xi64>
}

// -----

// CHECK-LABEL: func.func @unary_kernels_fold
// CHECK-DAG: cleave.constant dense<[0.000000e+00, 1.000000e+00, 2.000000e+00]> : tensor<3xf32>
// CHECK-DAG: cleave.constant dense<3.000000e-01> : tensor<2x2xf32>
// CHECK-DAG: cleave.constant dense<[3, -1]> : tensor<2xi64>
// CHECK-DAG: cleave.constant dense<[2.000000e+00, 0x7FC00000]> : tensor<2xf32>
// CHECK-NOT: cleave.sqrt
// CHECK-NOT: cleave.hard_sigmoid
// CHECK-NOT: cleave.max
func.func @unary_kernels_fold() -> (tensor<3xf32>, tensor<2x2xf32>, tensor<2xi64>, tensor<2xf32>) {
  %squares = cleave.constant dense<[0.0, 1.0, 4.0]> : tensor<3xf32>
  %roots = cleave.sqrt %squares : (tensor<3xf32>) -> tensor<3xf32>
  // A splat stays a splat; the op's alpha and beta reach the kernel.
  %zero = cleave.constant dense<0.0> : tensor<2x2xf32>
  %hard = cleave.hard_sigmoid %zero {alpha = 2.0 : f32, beta = 0.3 : f32} : (tensor<2x2xf32>) -> tensor<2x2xf32>
  %a = cleave.constant dense<[3, -4]> : tensor<2xi64>
  %b = cleave.constant dense<-1> : tensor<i64>
  %max = cleave.max %a, %b : (tensor<2xi64>, tensor<i64>) -> tensor<2xi64>
  // NaN wins, as in the kernel.
  %c = cleave.constant dense<[1.0, 0x7FC00000]> : tensor<2xf32>
  %d = cleave.constant dense<[2.0, 5.0]> : tensor<2xf32>
  %fmax = cleave.max %c, %d : (tensor<2xf32>, tensor<2xf32>) -> tensor<2xf32>
  return %roots, %hard, %max, %fmax : tensor<3xf32>, tensor<2x2xf32>, tensor<2xi64>, tensor<2xf32>
}

// -----

// A unary op on a value computed at run time stays.
// CHECK-LABEL: func.func @runtime_operand_stays
// CHECK: cleave.log %arg0
func.func @runtime_operand_stays(%x: tensor<4xf32>) -> tensor<4xf32> {
  %y = cleave.log %x : (tensor<4xf32>) -> tensor<4xf32>
  return %y : tensor<4xf32>
}

// -----

// Casts of floats to integers fold as the kernels cast (ONNX leaves NaN
// and out-of-range values undefined): NaN and infinities to 0, others
// truncated to int64 and wrapped to the width; beyond int64, no fold.
// CHECK-LABEL: func.func @cast_as_the_kernels
// CHECK-DAG: cleave.constant dense<[0, 0, 0, -2]> : tensor<4xi64>
// CHECK-DAG: cleave.constant dense<[255, 44]> : tensor<2xui8>
// CHECK-DAG: cleave.cast %{{.*}} {to = i64} : (tensor<1xf32>)
func.func @cast_as_the_kernels() -> (tensor<4xi64>, tensor<2xui8>, tensor<1xi64>) {
  %x = cleave.constant dense<[0xFF800000, 0x7F800000, 0x7FC00000, -2.7]> : tensor<4xf32>
  %y = cleave.cast %x {to = i64} : (tensor<4xf32>) -> tensor<4xi64>
  %a = cleave.constant dense<[-1.0, 300.5]> : tensor<2xf32>
  %b = cleave.cast %a {to = ui8} : (tensor<2xf32>) -> tensor<2xui8>
  %big = cleave.constant dense<1.0e30> : tensor<1xf32>
  %c = cleave.cast %big {to = i64} : (tensor<1xf32>) -> tensor<1xi64>
  return %y, %b, %c : tensor<4xi64>, tensor<2xui8>, tensor<1xi64>
}
