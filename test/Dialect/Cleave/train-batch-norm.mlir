// RUN: cleave-opt %s --pass-pipeline='builtin.module(func.func(cleave-train-batch-norm))' | FileCheck %s

// Trained, a batch norm normalizes by the batch's statistics over axes 0,
// 2, 3; its running statistics become variables assigned their momentum
// updates (the variance corrected by n / (n - 1) = 8 / 7: 2 x 2 x 2 values
// per channel).
// CHECK-LABEL: func.func @norm
// CHECK-DAG: %[[MEAN_STATE:.*]] = cleave.variable "bn.running_mean"
// CHECK-DAG: %[[VAR_STATE:.*]] = cleave.variable "bn.running_var"
// CHECK: %[[AXES:.*]] = cleave.constant dense<[0, 2, 3]> : tensor<3xi64>
// CHECK: %[[MEAN:.*]] = cleave.reduce_mean %arg0, %[[AXES]]
// CHECK: %[[CENTRED:.*]] = cleave.sub %arg0, %[[MEAN]]
// CHECK: %[[VAR:.*]] = cleave.reduce_mean %{{.*}}, %{{.*}}
// CHECK: cleave.constant dense<9.99999974E-6>
// CHECK: cleave.assign %[[MEAN_STATE]], %{{.*}}
// CHECK: cleave.constant dense<0.114285{{[0-9]*}}>
// CHECK: cleave.assign %[[VAR_STATE]], %{{.*}}
// CHECK-NOT: cleave.batch_normalization
func.func @norm(%x: tensor<2x3x2x2xf32>) -> tensor<2x3x2x2xf32> {
  %scale = cleave.variable "bn.weight" dense<1.0> : tensor<3xf32>
  %bias = cleave.variable "bn.bias" dense<0.0> : tensor<3xf32>
  %mean = cleave.constant dense<0.0> : tensor<3xf32> loc(#initializer_mean)
  %var = cleave.constant dense<1.0> : tensor<3xf32> loc(#initializer_var)
  %y, %m, %v = cleave.batch_normalization %x, %scale, %bias, %mean, %var {epsilon = 1.0e-5 : f32, momentum = 0.9 : f32} : (tensor<2x3x2x2xf32>, tensor<3xf32>, tensor<3xf32>, tensor<3xf32>, tensor<3xf32>) -> (tensor<2x3x2x2xf32>, tensor<3xf32>, tensor<3xf32>)
  return %y : tensor<2x3x2x2xf32>
}
#mark = loc("onnx.initializer")
#initializer_mean = loc("bn.running_mean"(#mark))
#initializer_var = loc("bn.running_var"(#mark))
