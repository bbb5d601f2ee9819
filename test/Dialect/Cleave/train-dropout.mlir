// RUN: cleave-opt %s --pass-pipeline='builtin.module(func.func(cleave-train-dropout))' | FileCheck %s
// RUN: cleave-opt %s --pass-pipeline='builtin.module(func.func(cleave-train-dropout{enabled=false}))' | FileCheck %s --check-prefix=OFF

// Trained, a Dropout (in inference mode here, as exported for inference)
// multiplies by a mask of the step counter, which goes up by one at the
// end of the step; its boolean mask is the mask's nonzeros. Off, it is the
// identity and its mask all true.
// CHECK-LABEL: func.func @drop
// CHECK: %[[STEP:.*]] = cleave.variable "dropout.step" dense<0.000000e+00> : tensor<f32>
// CHECK: %[[MASK:.*]] = cleave.dropout_mask %arg0, %[[STEP]] {ratio = 2.500000e-01 : f64, seed = {{-?[0-9]+}} : i64}
// CHECK: %[[Y:.*]] = cleave.mul %arg0, %[[MASK]]
// CHECK: %[[KEEP:.*]] = cleave.cast %[[MASK]] {to = i1}
// CHECK: %[[NEXT:.*]] = cleave.add %[[STEP]], %{{.*}}
// CHECK: cleave.assign %[[STEP]], %[[NEXT]]
// CHECK: return %[[Y]], %[[KEEP]]
// OFF-LABEL: func.func @drop
// OFF-NOT: dropout
// OFF: %[[TRUE:.*]] = cleave.constant dense<true> : tensor<4x8xi1>
// OFF: return %arg0, %[[TRUE]]
func.func @drop(%x: tensor<4x8xf32>) -> (tensor<4x8xf32>, tensor<4x8xi1>) {
  %ratio = cleave.constant dense<0.25> : tensor<f32>
  %none = cleave.none
  %y, %mask = cleave.dropout %x, %ratio, %none : (tensor<4x8xf32>, tensor<f32>, none) -> (tensor<4x8xf32>, tensor<4x8xi1>)
  return %y, %mask : tensor<4x8xf32>, tensor<4x8xi1>
}
