// RUN: cleave-opt %s --cleave-plan-memory --cleave-layout-weights --convert-cleave-to-runtime | FileCheck %s

// Windows: ONNX's pads resolved into begin and end; a fused bias and Relu6
// pick conv_bias and its bounds; a global pool is a pool over the image.
func.func @main(%x: tensor<1x2x8x8xf32>) -> (tensor<1x4x8x8xf32>, tensor<1x2x4x4xf32>, tensor<1x2x1x1xf32>) {
  %w = cleave.constant dense<0.1> : tensor<4x2x3x3xf32>
  %b = cleave.constant dense<0.2> : tensor<4xf32>
  %0 = cleave.conv %x, %w, %b {pads = array<i64: 1, 1, 1, 1>, fused_clip = array<f32: 0.0, 6.0>} : (tensor<1x2x8x8xf32>, tensor<4x2x3x3xf32>, tensor<4xf32>) -> tensor<1x4x8x8xf32>
  %1, %i = cleave.max_pool %x {kernel_shape = array<i64: 2, 2>, strides = array<i64: 2, 2>} : (tensor<1x2x8x8xf32>) -> (tensor<1x2x4x4xf32>, tensor<1x2x4x4xi64>)
  %2 = cleave.global_average_pool %x : (tensor<1x2x8x8xf32>) -> tensor<1x2x1x1xf32>
  return %0, %1, %2 : tensor<1x4x8x8xf32>, tensor<1x2x4x4xf32>, tensor<1x2x1x1xf32>
}

// CHECK: %[[W:.*]] = cleave_rt.window {begin = array<i64: 1, 1>, dilations = array<i64: 1, 1>, end = array<i64: 1, 1>, kernel = array<i64: 3, 3>, strides = array<i64: 1, 1>}
// CHECK: cleave_rt.kernel "conv_fused"(%{{.*}}, %{{.*}}, %{{.*}}, %[[W]], %{{.*}}) [0 : index, 1 : index, 2 : index, unit, 3 : index, 1, 0.000000e+00 : f32, 6.000000e+00 : f32, 0 : i32, 4 : index]
// CHECK: %[[P:.*]] = cleave_rt.window {begin = array<i64: 0, 0>, dilations = array<i64: 1, 1>, end = array<i64: 0, 0>, kernel = array<i64: 2, 2>, strides = array<i64: 2, 2>}
// CHECK: cleave_rt.kernel "pool"(%{{.*}}, %[[P]], %{{.*}}) ["CLEAVE_POOL_MAX", 0 : index, 1 : index, 2 : index]
// CHECK: %[[G:.*]] = cleave_rt.window {{{.*}}kernel = array<i64: 8, 8>
// CHECK: cleave_rt.kernel "pool"(%{{.*}}, %[[G]], %{{.*}}) ["CLEAVE_POOL_AVG_EXCLUDE_PAD"
