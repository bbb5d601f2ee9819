// RUN: cleave-opt %s --cleave-plan-memory --cleave-layout-weights --convert-cleave-to-runtime | FileCheck %s

// A variable's next value is computed straight into the variable when only
// its assignment reads it, no later op reads the variable, and the op reads
// the variable only where it writes it (elementwise ops, AdamW); otherwise
// it is computed in the arena and copied at the assignment.

// CHECK-LABEL: cleave_rt.program @adamw
// CHECK-DAG: %[[W:.*]] = cleave_rt.weights[0] : <tensor<3x2xf32>>
// CHECK-DAG: %[[M:.*]] = cleave_rt.weights[64] : <tensor<3x2xf32>>
// CHECK-DAG: %[[V:.*]] = cleave_rt.weights[128] : <tensor<3x2xf32>>
// CHECK: cleave_rt.kernel "adamw"(%[[W]], %{{.*}}, %[[M]], %[[V]], %{{.*}}, %{{.*}}, %{{.*}}, %[[W]], %[[M]], %[[V]])
// CHECK-NOT: "copy"(%{{.*}}, %[[W]])
// CHECK-NOT: "copy"(%{{.*}}, %[[M]])
// CHECK-NOT: "copy"(%{{.*}}, %[[V]])
// CHECK: }
func.func @adamw(%g: tensor<3x2xf32>) -> (tensor<3x2xf32> {cleave.name = "g"}) {
  %w = cleave.variable "w" dense<5.000000e-01> : tensor<3x2xf32>
  %m = cleave.variable "w.exp_avg" dense<0.000000e+00> : tensor<3x2xf32>
  %v = cleave.variable "w.exp_avg_sq" dense<0.000000e+00> : tensor<3x2xf32>
  %lr = cleave.variable "optimizer.lr" dense<5.000000e-01> : tensor<f32>
  %c = cleave.constant dense<1.000000e-01> : tensor<f32>
  %p, %pm, %pv = cleave.adamw %w, %g, %m, %v, %lr, %c, %c {beta1 = 9.000000e-01 : f64, beta2 = 0.999 : f64, eps = 1.0e-8 : f64, weight_decay = 1.000000e-02 : f64} : (tensor<3x2xf32>, tensor<3x2xf32>, tensor<3x2xf32>, tensor<3x2xf32>, tensor<f32>, tensor<f32>, tensor<f32>) -> (tensor<3x2xf32>, tensor<3x2xf32>, tensor<3x2xf32>)
  cleave.assign %m, %pm : tensor<3x2xf32>, tensor<3x2xf32>
  cleave.assign %v, %pv : tensor<3x2xf32>, tensor<3x2xf32>
  cleave.assign %w, %p : tensor<3x2xf32>, tensor<3x2xf32>
  return %g : tensor<3x2xf32>
}

// An elementwise update of the variable (SGD's w - lr g) writes it in place;
// a sum whose chain starts from another input, a product (which reads
// other elements than it writes) and a value whose variable a later op
// still reads each go through the arena and a copy.
// CHECK-LABEL: cleave_rt.program @others
// CHECK-DAG: %[[A:.*]] = cleave_rt.weights[0] : <tensor<2x2xf32>>
// CHECK-DAG: %[[B:.*]] = cleave_rt.weights[64] : <tensor<2x2xf32>>
// CHECK-DAG: %[[C:.*]] = cleave_rt.weights[128] : <tensor<2x2xf32>>
// CHECK-DAG: %[[D:.*]] = cleave_rt.weights[192] : <tensor<2x2xf32>>
// CHECK: cleave_rt.kernel "binary"(%[[A]], %{{.*}}, %[[A]]) ["CLEAVE_BINARY_SUB"
// CHECK: cleave_rt.kernel "binary"(%[[SUM:.*]], %[[B]], %[[SUM]]) ["CLEAVE_BINARY_ADD"
// CHECK: cleave_rt.kernel "matmul"(%[[C]], %{{.*}}, %[[PRODUCT:.*]]) [
// CHECK: cleave_rt.kernel "binary"(%[[D]], %{{.*}}, %[[NEXT:.*]]) ["CLEAVE_BINARY_MUL"
// CHECK: cleave_rt.kernel "unary"(%[[D]], %{{.*}}) ["CLEAVE_UNARY_RELU"
// CHECK-NOT: cleave_rt.kernel "copy"(%{{.*}}, %[[A]])
// CHECK-DAG: cleave_rt.kernel "copy"(%[[SUM]], %[[B]])
// CHECK-DAG: cleave_rt.kernel "copy"(%[[PRODUCT]], %[[C]])
// CHECK-DAG: cleave_rt.kernel "copy"(%[[NEXT]], %[[D]])
func.func @others(%x: tensor<2x2xf32>) -> (tensor<2x2xf32> {cleave.name = "y"}) {
  %a = cleave.variable "a" dense<1.000000e+00> : tensor<2x2xf32>
  %b = cleave.variable "b" dense<2.000000e+00> : tensor<2x2xf32>
  %c = cleave.variable "c" dense<3.000000e+00> : tensor<2x2xf32>
  %d = cleave.variable "d" dense<4.000000e+00> : tensor<2x2xf32>
  %0 = cleave.sub %a, %x : (tensor<2x2xf32>, tensor<2x2xf32>) -> tensor<2x2xf32>
  %1 = cleave.sum %x, %x, %b : (tensor<2x2xf32>, tensor<2x2xf32>, tensor<2x2xf32>) -> tensor<2x2xf32>
  %2 = cleave.matmul %c, %x : (tensor<2x2xf32>, tensor<2x2xf32>) -> tensor<2x2xf32>
  %3 = cleave.mul %d, %x : (tensor<2x2xf32>, tensor<2x2xf32>) -> tensor<2x2xf32>
  %4 = cleave.relu %d : (tensor<2x2xf32>) -> tensor<2x2xf32>
  cleave.assign %a, %0 : tensor<2x2xf32>, tensor<2x2xf32>
  cleave.assign %b, %1 : tensor<2x2xf32>, tensor<2x2xf32>
  cleave.assign %c, %2 : tensor<2x2xf32>, tensor<2x2xf32>
  cleave.assign %d, %3 : tensor<2x2xf32>, tensor<2x2xf32>
  return %4 : tensor<2x2xf32>
}
