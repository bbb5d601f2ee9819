// RUN: cleave-opt %s --split-input-file --cleave-channels-last | FileCheck %s

// Two convolutions with a Relu between: one transpose into NHWC before the
// first, one back after the last, nothing in between.
// CHECK-LABEL: func.func @chain
// CHECK-SAME: (%[[X:.*]]: tensor<1x4x8x8xf32>
// CHECK: %[[IN:.*]] = cleave.transpose %[[X]] {perm = array<i64: 0, 2, 3, 1>} : (tensor<1x4x8x8xf32>) -> tensor<1x8x8x4xf32>
// CHECK: %[[C1:.*]] = cleave.conv %[[IN]], %{{.*}}, %{{.*}} {channels_last, {{.*}}} : (tensor<1x8x8x4xf32>, tensor<8x4x3x3xf32>, none) -> tensor<1x8x8x8xf32>
// CHECK: %[[R:.*]] = cleave.relu %[[C1]] : (tensor<1x8x8x8xf32>) -> tensor<1x8x8x8xf32>
// CHECK: %[[C2:.*]] = cleave.conv %[[R]], %{{.*}}, %{{.*}} {channels_last} : (tensor<1x8x8x8xf32>, tensor<8x8x1x1xf32>, tensor<8xf32>) -> tensor<1x8x8x8xf32>
// CHECK: %[[OUT:.*]] = cleave.transpose %[[C2]] {perm = array<i64: 0, 3, 1, 2>} : (tensor<1x8x8x8xf32>) -> tensor<1x8x8x8xf32>
// CHECK: return %[[OUT]]
func.func @chain(%x: tensor<1x4x8x8xf32>, %w1: tensor<8x4x3x3xf32>, %w2: tensor<8x8x1x1xf32>, %b2: tensor<8xf32>) -> tensor<1x8x8x8xf32> {
  %none = cleave.none
  %0 = cleave.conv %x, %w1, %none {pads = array<i64: 1, 1, 1, 1>} : (tensor<1x4x8x8xf32>, tensor<8x4x3x3xf32>, none) -> tensor<1x8x8x8xf32>
  %1 = cleave.relu %0 : (tensor<1x8x8x8xf32>) -> tensor<1x8x8x8xf32>
  %2 = cleave.conv %1, %w2, %b2 : (tensor<1x8x8x8xf32>, tensor<8x8x1x1xf32>, tensor<8xf32>) -> tensor<1x8x8x8xf32>
  return %2 : tensor<1x8x8x8xf32>
}

// -----

// A residual Add of two convolutions, a Clip with scalar bounds and a Mul
// by a constant of full rank (transposed at compile time) run in NHWC; an
// Add with a per-channel bias of lower rank stops the sinking, so the
// transpose back comes before it.
// CHECK-LABEL: func.func @residual
// CHECK-DAG: %[[K4:.*]] = cleave.constant dense<2.000000e+00> : tensor<1x1x1x4xf32>
// CHECK-DAG: %[[C1:.*]] = cleave.conv {{.*}}channels_last
// CHECK-DAG: %[[C2:.*]] = cleave.conv {{.*}}channels_last
// CHECK: %[[A:.*]] = cleave.add %[[C1]], %[[C2]] : (tensor<1x6x6x4xf32>, tensor<1x6x6x4xf32>) -> tensor<1x6x6x4xf32>
// CHECK: %[[K:.*]] = cleave.clip %[[A]], %{{.*}}, %{{.*}} : (tensor<1x6x6x4xf32>, tensor<f32>, tensor<f32>) -> tensor<1x6x6x4xf32>
// CHECK: %[[M:.*]] = cleave.mul %[[K]], %[[K4]] : (tensor<1x6x6x4xf32>, tensor<1x1x1x4xf32>) -> tensor<1x6x6x4xf32>
// CHECK: %[[T:.*]] = cleave.transpose %[[M]] {perm = array<i64: 0, 3, 1, 2>}
// CHECK: cleave.add %[[T]], %{{.*}} : (tensor<1x4x6x6xf32>, tensor<4x1x1xf32>)
func.func @residual(%x: tensor<1x4x6x6xf32>, %w: tensor<4x4x3x3xf32>, %lo: tensor<f32>, %hi: tensor<f32>, %bias: tensor<4x1x1xf32>) -> tensor<1x4x6x6xf32> {
  %none = cleave.none
  %scale = cleave.constant dense<2.0> : tensor<1x4x1x1xf32>
  %0 = cleave.conv %x, %w, %none {pads = array<i64: 1, 1, 1, 1>} : (tensor<1x4x6x6xf32>, tensor<4x4x3x3xf32>, none) -> tensor<1x4x6x6xf32>
  %1 = cleave.conv %x, %w, %none {pads = array<i64: 1, 1, 1, 1>, strides = array<i64: 1, 1>} : (tensor<1x4x6x6xf32>, tensor<4x4x3x3xf32>, none) -> tensor<1x4x6x6xf32>
  %2 = cleave.add %0, %1 : (tensor<1x4x6x6xf32>, tensor<1x4x6x6xf32>) -> tensor<1x4x6x6xf32>
  %3 = cleave.clip %2, %lo, %hi : (tensor<1x4x6x6xf32>, tensor<f32>, tensor<f32>) -> tensor<1x4x6x6xf32>
  %4 = cleave.mul %3, %scale : (tensor<1x4x6x6xf32>, tensor<1x4x1x1xf32>) -> tensor<1x4x6x6xf32>
  %5 = cleave.add %4, %bias : (tensor<1x4x6x6xf32>, tensor<4x1x1xf32>) -> tensor<1x4x6x6xf32>
  return %5 : tensor<1x4x6x6xf32>
}

// -----

// Branches joined on the channel axis concatenate on the last axis in NHWC;
// average pooling runs channels-last too.
// CHECK-LABEL: func.func @branches
// CHECK: cleave.average_pool {{.*}}channels_last{{.*}} : (tensor<2x5x5x3xf32>) -> tensor<2x5x5x3xf32>
// CHECK: %[[J:.*]] = cleave.concat %{{.*}}, %{{.*}} {axis = 3 : i64} : (tensor<2x5x5x6xf32>, tensor<2x5x5x3xf32>) -> tensor<2x5x5x9xf32>
// CHECK: cleave.transpose %[[J]] {perm = array<i64: 0, 3, 1, 2>} : (tensor<2x5x5x9xf32>) -> tensor<2x9x5x5xf32>
func.func @branches(%x: tensor<2x3x5x5xf32>, %w: tensor<6x3x1x1xf32>) -> tensor<2x9x5x5xf32> {
  %none = cleave.none
  %0 = cleave.conv %x, %w, %none : (tensor<2x3x5x5xf32>, tensor<6x3x1x1xf32>, none) -> tensor<2x6x5x5xf32>
  %1 = cleave.average_pool %x {kernel_shape = array<i64: 3, 3>, pads = array<i64: 1, 1, 1, 1>} : (tensor<2x3x5x5xf32>) -> tensor<2x3x5x5xf32>
  %2 = cleave.concat %0, %1 {axis = 1 : i64} : (tensor<2x6x5x5xf32>, tensor<2x3x5x5xf32>) -> tensor<2x9x5x5xf32>
  return %2 : tensor<2x9x5x5xf32>
}

// -----

// MaxPool whose indices are used keeps ONNX's layout (indices are NCHW
// offsets); one whose indices are unused does not.
// CHECK-LABEL: func.func @pool_indices
// CHECK: cleave.max_pool %{{.*}} {kernel_shape = array<i64: 2, 2>, strides = array<i64: 2, 2>} : (tensor<1x2x4x4xf32>)
// CHECK: cleave.max_pool %{{.*}} {channels_last, {{.*}}} : (tensor<1x4x4x2xf32>)
func.func @pool_indices(%x: tensor<1x2x4x4xf32>) -> (tensor<1x2x2x2xf32>, tensor<1x2x2x2xi64>, tensor<1x2x2x2xf32>) {
  %y, %i = cleave.max_pool %x {kernel_shape = array<i64: 2, 2>, strides = array<i64: 2, 2>} : (tensor<1x2x4x4xf32>) -> (tensor<1x2x2x2xf32>, tensor<1x2x2x2xi64>)
  %z, %unused = cleave.max_pool %x {kernel_shape = array<i64: 2, 2>, strides = array<i64: 2, 2>} : (tensor<1x2x4x4xf32>) -> (tensor<1x2x2x2xf32>, tensor<1x2x2x2xi64>)
  return %y, %i, %z : tensor<1x2x2x2xf32>, tensor<1x2x2x2xi64>, tensor<1x2x2x2xf32>
}

// -----

// A squeeze-excitation block as the dynamo exporter writes it: a mean over
// H and W (ReduceMean, keepdims), two 1x1 convolutions, a HardSigmoid and
// a Mul that broadcasts the [N,C,1,1] scale over [N,C,H,W]. The mean, the
// HardSigmoid and the broadcasting Mul all run in NHWC: one transpose in,
// one out. A global average pool of a transposed tensor becomes the same
// mean, and a mean without kept dims whose remaining axes keep their order
// needs no transpose at all.
// CHECK-LABEL: func.func @squeeze_excite
// CHECK-DAG: %[[AXES:.*]] = cleave.constant dense<[1, 2]> : tensor<2xi64>
// CHECK-DAG: cleave.transpose %arg0 {perm = array<i64: 0, 2, 3, 1>}
// CHECK: %[[C:.*]] = cleave.conv {{.*}}channels_last{{.*}} -> tensor<1x4x4x8xf32>
// CHECK: %[[M:.*]] = cleave.reduce_mean %[[C]], %[[AXES]] : (tensor<1x4x4x8xf32>, tensor<2xi64>) -> tensor<1x1x1x8xf32>
// CHECK: cleave.hard_sigmoid {{.*}} -> tensor<1x1x1x8xf32>
// CHECK: %[[S:.*]] = cleave.mul %[[C]], %{{.*}} : (tensor<1x4x4x8xf32>, tensor<1x1x1x8xf32>) -> tensor<1x4x4x8xf32>
// CHECK: cleave.transpose %[[S]] {perm = array<i64: 0, 3, 1, 2>}
// CHECK-NOT: cleave.transpose
// CHECK: return
func.func @squeeze_excite(%x: tensor<1x8x4x4xf32>, %w: tensor<8x8x1x1xf32>) -> tensor<1x8x4x4xf32> {
  %none = cleave.none
  %axes = cleave.constant dense<[2, 3]> : tensor<2xi64>
  %c = cleave.conv %x, %w, %none : (tensor<1x8x4x4xf32>, tensor<8x8x1x1xf32>, none) -> tensor<1x8x4x4xf32>
  %m = cleave.reduce_mean %c, %axes : (tensor<1x8x4x4xf32>, tensor<2xi64>) -> tensor<1x8x1x1xf32>
  %r = cleave.conv %m, %w, %none : (tensor<1x8x1x1xf32>, tensor<8x8x1x1xf32>, none) -> tensor<1x8x1x1xf32>
  %h = cleave.hard_sigmoid %r : (tensor<1x8x1x1xf32>) -> tensor<1x8x1x1xf32>
  %s = cleave.mul %c, %h : (tensor<1x8x4x4xf32>, tensor<1x8x1x1xf32>) -> tensor<1x8x4x4xf32>
  return %s : tensor<1x8x4x4xf32>
}

// CHECK-LABEL: func.func @pooled
// CHECK: %[[C:.*]] = cleave.conv {{.*}}channels_last{{.*}} -> tensor<1x4x4x8xf32>
// CHECK: cleave.reduce_mean %[[C]], %{{.*}} : (tensor<1x4x4x8xf32>, tensor<2xi64>) -> tensor<1x1x1x8xf32>
// CHECK: %[[F:.*]] = cleave.reduce_max %[[C]], %{{.*}} {keepdims = 0 : i64} : (tensor<1x4x4x8xf32>, tensor<2xi64>) -> tensor<1x8xf32>
// CHECK-NOT: cleave.global_average_pool
// CHECK: return %{{.*}}, %[[F]]
func.func @pooled(%x: tensor<1x8x4x4xf32>, %w: tensor<8x8x1x1xf32>) -> (tensor<1x8x1x1xf32>, tensor<1x8xf32>) {
  %none = cleave.none
  %axes = cleave.constant dense<[2, 3]> : tensor<2xi64>
  %c = cleave.conv %x, %w, %none : (tensor<1x8x4x4xf32>, tensor<8x8x1x1xf32>, none) -> tensor<1x8x4x4xf32>
  %g = cleave.global_average_pool %c : (tensor<1x8x4x4xf32>) -> tensor<1x8x1x1xf32>
  %f = cleave.reduce_max %c, %axes {keepdims = 0 : i64} : (tensor<1x8x4x4xf32>, tensor<2xi64>) -> tensor<1x8xf32>
  return %g, %f : tensor<1x8x1x1xf32>, tensor<1x8xf32>
}

// -----

// DenseNet's pattern: the concatenation of two convolutions' outputs, a
// batch norm (no convolution's weights can absorb it), a Relu and a 1x1
// convolution all stay in NHWC: the norm takes its channels_last form and
// no transpose remains between the convolutions.
// CHECK-LABEL: func.func @dense_block
// CHECK: %[[C1:.*]] = cleave.conv {{.*}}channels_last
// CHECK: %[[C2:.*]] = cleave.conv {{.*}}channels_last
// CHECK: %[[CAT:.*]] = cleave.concat %[[C1]], %[[C2]] {axis = 3 : i64}
// CHECK: %[[BN:.*]], %{{.*}}, %{{.*}} = cleave.batch_normalization %[[CAT]], {{.*}} {channels_last} : (tensor<1x6x6x8xf32>, tensor<8xf32>, tensor<8xf32>, tensor<8xf32>, tensor<8xf32>) -> (tensor<1x6x6x8xf32>, tensor<8xf32>, tensor<8xf32>)
// CHECK: %[[R:.*]] = cleave.relu %[[BN]] : (tensor<1x6x6x8xf32>)
// CHECK: %[[C3:.*]] = cleave.conv %[[R]], {{.*}}channels_last
// CHECK-NEXT: cleave.transpose %[[C3]] {perm = array<i64: 0, 3, 1, 2>}
func.func @dense_block(%x: tensor<1x4x6x6xf32>, %w: tensor<4x4x3x3xf32>, %s: tensor<8xf32>, %b: tensor<8xf32>, %m: tensor<8xf32>, %v: tensor<8xf32>, %w3: tensor<4x8x1x1xf32>) -> tensor<1x4x6x6xf32> {
  %none = cleave.none
  %0 = cleave.conv %x, %w, %none {pads = array<i64: 1, 1, 1, 1>} : (tensor<1x4x6x6xf32>, tensor<4x4x3x3xf32>, none) -> tensor<1x4x6x6xf32>
  %1 = cleave.conv %x, %w, %none {pads = array<i64: 1, 1, 1, 1>, strides = array<i64: 1, 1>} : (tensor<1x4x6x6xf32>, tensor<4x4x3x3xf32>, none) -> tensor<1x4x6x6xf32>
  %2 = cleave.concat %0, %1 {axis = 1 : i64} : (tensor<1x4x6x6xf32>, tensor<1x4x6x6xf32>) -> tensor<1x8x6x6xf32>
  %3:3 = cleave.batch_normalization %2, %s, %b, %m, %v : (tensor<1x8x6x6xf32>, tensor<8xf32>, tensor<8xf32>, tensor<8xf32>, tensor<8xf32>) -> (tensor<1x8x6x6xf32>, tensor<8xf32>, tensor<8xf32>)
  %4 = cleave.relu %3#0 : (tensor<1x8x6x6xf32>) -> tensor<1x8x6x6xf32>
  %5 = cleave.conv %4, %w3, %none : (tensor<1x8x6x6xf32>, tensor<4x8x1x1xf32>, none) -> tensor<1x4x6x6xf32>
  return %5 : tensor<1x4x6x6xf32>
}

// -----

// A one-column convolution ([N, C, H, 1] by a k x 1 kernel) is turned on
// its side first: reshapes (views) to [N, C, 1, H] and a 1 x k kernel, the
// strides, dilations and pads swapped, then channels-last as any other.
// CHECK-LABEL: func.func @tall
// CHECK-SAME: (%[[X:.*]]: tensor<2x4x16x1xf32>, %[[W:.*]]: tensor<8x4x5x1xf32>
// CHECK-DAG: %[[XS:.*]] = cleave.reshape %[[X]], %{{.*}} : (tensor<2x4x16x1xf32>, tensor<4xi64>) -> tensor<2x4x1x16xf32>
// CHECK-DAG: %[[WS:.*]] = cleave.reshape %[[W]], %{{.*}} : (tensor<8x4x5x1xf32>, tensor<4xi64>) -> tensor<8x4x1x5xf32>
// CHECK: %[[IN:.*]] = cleave.transpose %[[XS]] {perm = array<i64: 0, 2, 3, 1>} : (tensor<2x4x1x16xf32>) -> tensor<2x1x16x4xf32>
// CHECK: %[[C:.*]] = cleave.conv %[[IN]], %[[WS]], %{{.*}} {channels_last, dilations = array<i64: 1, 1>, pads = array<i64: 0, 1, 0, 2>, strides = array<i64: 1, 2>} : (tensor<2x1x16x4xf32>, tensor<8x4x1x5xf32>, none) -> tensor<2x1x8x8xf32>
// CHECK: %[[OUT:.*]] = cleave.transpose %[[C]] {perm = array<i64: 0, 3, 1, 2>} : (tensor<2x1x8x8xf32>) -> tensor<2x8x1x8xf32>
// CHECK: %[[Y:.*]] = cleave.reshape %[[OUT]], %{{.*}} : (tensor<2x8x1x8xf32>, tensor<4xi64>) -> tensor<2x8x8x1xf32>
// CHECK: return %[[Y]]
func.func @tall(%x: tensor<2x4x16x1xf32>, %w: tensor<8x4x5x1xf32>) -> tensor<2x8x8x1xf32> {
  %none = cleave.none
  %0 = cleave.conv %x, %w, %none {pads = array<i64: 1, 0, 2, 0>, strides = array<i64: 2, 1>, dilations = array<i64: 1, 1>} : (tensor<2x4x16x1xf32>, tensor<8x4x5x1xf32>, none) -> tensor<2x8x8x1xf32>
  return %0 : tensor<2x8x8x1xf32>
}
