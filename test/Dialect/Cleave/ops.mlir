// RUN: cleave-opt %s | cleave-opt | FileCheck %s
// RUN: cleave-opt %s --mlir-print-op-generic | cleave-opt | FileCheck %s

// Round trip of every op family, with the result types the ops infer.

// CHECK-LABEL: func.func @unary
func.func @unary(%x: tensor<2x3xf32>, %b: tensor<2x3xi1>, %i: tensor<2x3xi32>) -> tensor<2x3xf32> {
  // CHECK: cleave.relu %{{.*}} : (tensor<2x3xf32>) -> tensor<2x3xf32>
  %0 = cleave.relu %x : (tensor<2x3xf32>) -> tensor<2x3xf32>
  // CHECK: cleave.elu %{{.*}} {alpha = 5.000000e-01 : f32}
  %1 = cleave.elu %0 {alpha = 0.5 : f32} : (tensor<2x3xf32>) -> tensor<2x3xf32>
  // CHECK: cleave.gelu %{{.*}} {approximate = "tanh"}
  %2 = cleave.gelu %1 {approximate = "tanh"} : (tensor<2x3xf32>) -> tensor<2x3xf32>
  // CHECK: cleave.softmax %{{.*}} {axis = 0 : i64}
  %3 = cleave.softmax %2 {axis = 0 : i64} : (tensor<2x3xf32>) -> tensor<2x3xf32>
  // CHECK: cleave.not %{{.*}} : (tensor<2x3xi1>) -> tensor<2x3xi1>
  %4 = cleave.not %b : (tensor<2x3xi1>) -> tensor<2x3xi1>
  // CHECK: cleave.abs %{{.*}} : (tensor<2x3xi32>) -> tensor<2x3xi32>
  %5 = cleave.abs %i : (tensor<2x3xi32>) -> tensor<2x3xi32>
  // CHECK: cleave.cast %{{.*}} {to = f16} : (tensor<2x3xf32>) -> tensor<2x3xf16>
  %6 = cleave.cast %3 {to = f16} : (tensor<2x3xf32>) -> tensor<2x3xf16>
  // CHECK: cleave.dropout %{{.*}}, %{{.*}}, %{{.*}} : (tensor<2x3xf32>, none, none) -> (tensor<2x3xf32>, tensor<2x3xi1>)
  %none = cleave.none
  %7:2 = cleave.dropout %3, %none, %none : (tensor<2x3xf32>, none, none) -> (tensor<2x3xf32>, tensor<2x3xi1>)
  // CHECK: cleave.clip %{{.*}}, %{{.*}}, %{{.*}} : (tensor<2x3xf32>, tensor<f32>, none) -> tensor<2x3xf32>
  %lo = cleave.constant dense<0.0> : tensor<f32>
  %8 = cleave.clip %7#0, %lo, %none : (tensor<2x3xf32>, tensor<f32>, none) -> tensor<2x3xf32>
  return %8 : tensor<2x3xf32>
}

// CHECK-LABEL: func.func @broadcast
func.func @broadcast(%a: tensor<2x1x4xf32>, %b: tensor<3x1xf32>, %c: tensor<4xf32>) -> tensor<2x3x4xf32> {
  // CHECK: cleave.add %{{.*}}, %{{.*}} : (tensor<2x1x4xf32>, tensor<3x1xf32>) -> tensor<2x3x4xf32>
  %0 = cleave.add %a, %b : (tensor<2x1x4xf32>, tensor<3x1xf32>) -> tensor<2x3x4xf32>
  // CHECK: cleave.less %{{.*}}, %{{.*}} : (tensor<2x3x4xf32>, tensor<4xf32>) -> tensor<2x3x4xi1>
  %1 = cleave.less %0, %c : (tensor<2x3x4xf32>, tensor<4xf32>) -> tensor<2x3x4xi1>
  // CHECK: cleave.where %{{.*}} : (tensor<2x3x4xi1>, tensor<2x3x4xf32>, tensor<4xf32>) -> tensor<2x3x4xf32>
  %2 = cleave.where %1, %0, %c : (tensor<2x3x4xi1>, tensor<2x3x4xf32>, tensor<4xf32>) -> tensor<2x3x4xf32>
  // CHECK: cleave.sum %{{.*}} : (tensor<2x3x4xf32>, tensor<3x1xf32>, tensor<4xf32>) -> tensor<2x3x4xf32>
  %3 = cleave.sum %2, %b, %c : (tensor<2x3x4xf32>, tensor<3x1xf32>, tensor<4xf32>) -> tensor<2x3x4xf32>
  // CHECK: cleave.pow %{{.*}} : (tensor<2x3x4xf32>, tensor<i64>) -> tensor<2x3x4xf32>
  %e = cleave.constant dense<2> : tensor<i64>
  %4 = cleave.pow %3, %e : (tensor<2x3x4xf32>, tensor<i64>) -> tensor<2x3x4xf32>
  return %4 : tensor<2x3x4xf32>
}

// CHECK-LABEL: func.func @reductions
func.func @reductions(%x: tensor<2x3x4xf32>) -> (tensor<2x1x1xf32>, tensor<3x4xi64>, tensor<f32>) {
  %axes = cleave.constant dense<[1, -1]> : tensor<2xi64>
  %none = cleave.none
  // CHECK: cleave.reduce_sum {{.*}} -> tensor<2x1x1xf32>
  %0 = cleave.reduce_sum %x, %axes : (tensor<2x3x4xf32>, tensor<2xi64>) -> tensor<2x1x1xf32>
  // CHECK: cleave.arg_max {{.*}}keepdims = 0 : i64{{.*}} -> tensor<3x4xi64>
  %1 = cleave.arg_max %x {keepdims = 0 : i64} : (tensor<2x3x4xf32>) -> tensor<3x4xi64>
  // CHECK: cleave.reduce_mean {{.*}} -> tensor<f32>
  %2 = cleave.reduce_mean %x, %none {keepdims = 0 : i64} : (tensor<2x3x4xf32>, none) -> tensor<f32>
  return %0, %1, %2 : tensor<2x1x1xf32>, tensor<3x4xi64>, tensor<f32>
}

// CHECK-LABEL: func.func @data_movement
func.func @data_movement(%x: tensor<2x3x4xf32>, %idx: tensor<5xi64>) {
  %shape = cleave.constant dense<[4, -1]> : tensor<2xi64>
  // CHECK: cleave.reshape {{.*}} -> tensor<4x6xf32>
  %0 = cleave.reshape %x, %shape : (tensor<2x3x4xf32>, tensor<2xi64>) -> tensor<4x6xf32>
  // CHECK: cleave.transpose {{.*}}perm = array<i64: 2, 0, 1>{{.*}} -> tensor<4x2x3xf32>
  %1 = cleave.transpose %x {perm = array<i64: 2, 0, 1>} : (tensor<2x3x4xf32>) -> tensor<4x2x3xf32>
  // CHECK: cleave.concat {{.*}} -> tensor<2x6x4xf32>
  %2 = cleave.concat %x, %x {axis = 1 : i64} : (tensor<2x3x4xf32>, tensor<2x3x4xf32>) -> tensor<2x6x4xf32>
  // CHECK: cleave.gather {{.*}} -> tensor<2x5x4xf32>
  %3 = cleave.gather %x, %idx {axis = 1 : i64} : (tensor<2x3x4xf32>, tensor<5xi64>) -> tensor<2x5x4xf32>
  %none = cleave.none
  // CHECK: cleave.split {{.*}} -> (tensor<2x3x2xf32>, tensor<2x3x2xf32>)
  %4:2 = cleave.split %x, %none {axis = 2 : i64, num_outputs = 2 : i64} : (tensor<2x3x4xf32>, none) -> (tensor<2x3x2xf32>, tensor<2x3x2xf32>)
  %starts = cleave.constant dense<[-1]> : tensor<1xi64>
  %ends = cleave.constant dense<[-9223372036854775807]> : tensor<1xi64>
  %axes = cleave.constant dense<[2]> : tensor<1xi64>
  %steps = cleave.constant dense<[-2]> : tensor<1xi64>
  // CHECK: cleave.slice {{.*}} -> tensor<2x3x2xf32>
  %5 = cleave.slice %x, %starts, %ends, %axes, %steps : (tensor<2x3x4xf32>, tensor<1xi64>, tensor<1xi64>, tensor<1xi64>, tensor<1xi64>) -> tensor<2x3x2xf32>
  %k = cleave.constant dense<[2]> : tensor<1xi64>
  // CHECK: cleave.top_k {{.*}} -> (tensor<2x3x2xf32>, tensor<2x3x2xi64>)
  %6:2 = cleave.top_k %x, %k : (tensor<2x3x4xf32>, tensor<1xi64>) -> (tensor<2x3x2xf32>, tensor<2x3x2xi64>)
  // CHECK: cleave.einsum {{.*}} -> tensor<2x4x4xf32>
  %7 = cleave.einsum %x, %x {equation = "bij,bik->bjk"} : (tensor<2x3x4xf32>, tensor<2x3x4xf32>) -> tensor<2x4x4xf32>
  // CHECK: cleave.shape {{.*}} -> tensor<2xi64>
  %8 = cleave.shape %x {start = 1 : i64} : (tensor<2x3x4xf32>) -> tensor<2xi64>
  return
}

// CHECK-LABEL: func.func @nn
func.func @nn(%x: tensor<1x4x9x9xf32>, %w: tensor<8x2x3x3xf32>, %a: tensor<2x1x3x4xf32>, %b: tensor<5x4x6xf32>) {
  %none = cleave.none
  // CHECK: cleave.conv {{.*}} -> tensor<1x8x5x5xf32>
  %0 = cleave.conv %x, %w, %none {group = 2 : i64, pads = array<i64: 1, 1, 1, 1>, strides = array<i64: 2, 2>} : (tensor<1x4x9x9xf32>, tensor<8x2x3x3xf32>, none) -> tensor<1x8x5x5xf32>
  // CHECK: cleave.max_pool {{.*}} -> (tensor<1x4x5x5xf32>, tensor<1x4x5x5xi64>)
  %1:2 = cleave.max_pool %x {ceil_mode = 1 : i64, kernel_shape = array<i64: 2, 2>, strides = array<i64: 2, 2>} : (tensor<1x4x9x9xf32>) -> (tensor<1x4x5x5xf32>, tensor<1x4x5x5xi64>)
  // VALID padding ignores ceil_mode: ceil((in - kernel + 1) / stride).
  // CHECK: cleave.max_pool {{.*}} -> (tensor<1x1x2x3xf32>, tensor<1x1x2x3xi64>)
  %v = cleave.constant dense<0.0> : tensor<1x1x6x7xf32>
  %valid:2 = cleave.max_pool %v {auto_pad = "VALID", ceil_mode = 1 : i64, kernel_shape = array<i64: 3, 3>, strides = array<i64: 2, 2>} : (tensor<1x1x6x7xf32>) -> (tensor<1x1x2x3xf32>, tensor<1x1x2x3xi64>)
  // CHECK: cleave.global_average_pool {{.*}} -> tensor<1x4x1x1xf32>
  %2 = cleave.global_average_pool %x : (tensor<1x4x9x9xf32>) -> tensor<1x4x1x1xf32>
  // CHECK: cleave.matmul {{.*}} -> tensor<2x5x3x6xf32>
  %3 = cleave.matmul %a, %b : (tensor<2x1x3x4xf32>, tensor<5x4x6xf32>) -> tensor<2x5x3x6xf32>
  %scale = cleave.constant dense<1.0> : tensor<9xf32>
  // CHECK: cleave.layer_normalization {{.*}} -> (tensor<1x4x9x9xf32>, tensor<1x4x9x1xf32>, tensor<1x4x9x1xf32>)
  %4:3 = cleave.layer_normalization %x, %scale, %none : (tensor<1x4x9x9xf32>, tensor<9xf32>, none) -> (tensor<1x4x9x9xf32>, tensor<1x4x9x1xf32>, tensor<1x4x9x1xf32>)
  return
}

// CHECK-LABEL: func.func @weights
func.func @weights() -> tensor<2xf32> {
  // CHECK: cleave.constant dense_resource<w> : tensor<2xf32>
  %0 = cleave.constant dense_resource<w> : tensor<2xf32>
  return %0 : tensor<2xf32>
}

{-#
  dialect_resources: {
    builtin: {
      w: "0x040000000000803F00000040"
    }
  }
#-}

// CHECK-LABEL: func.func @gather_scatter_nd
func.func @gather_scatter_nd(%x: tensor<4x6x7xf32>, %i: tensor<3x2xi64>, %b: tensor<4x5x1xi32>, %u: tensor<3x7xf32>, %e: tensor<4x6x2xi64>, %v: tensor<4x6x2xf32>) -> (tensor<3x7xf32>, tensor<4x5x7xf32>, tensor<4x6x7xf32>, tensor<4x6x7xf32>) {
  // CHECK: cleave.gather_nd %{{.*}}, %{{.*}} : (tensor<4x6x7xf32>, tensor<3x2xi64>) -> tensor<3x7xf32>
  %0 = cleave.gather_nd %x, %i : (tensor<4x6x7xf32>, tensor<3x2xi64>) -> tensor<3x7xf32>
  // CHECK: cleave.gather_nd {{.*}} {batch_dims = 1 : i64} : (tensor<4x6x7xf32>, tensor<4x5x1xi32>) -> tensor<4x5x7xf32>
  %1 = cleave.gather_nd %x, %b {batch_dims = 1 : i64} : (tensor<4x6x7xf32>, tensor<4x5x1xi32>) -> tensor<4x5x7xf32>
  // CHECK: cleave.scatter_nd {{.*}} {reduction = "max"} : (tensor<4x6x7xf32>, tensor<3x2xi64>, tensor<3x7xf32>) -> tensor<4x6x7xf32>
  %2 = cleave.scatter_nd %x, %i, %u {reduction = "max"} : (tensor<4x6x7xf32>, tensor<3x2xi64>, tensor<3x7xf32>) -> tensor<4x6x7xf32>
  // CHECK: cleave.scatter_elements {{.*}} {axis = 2 : i64} : (tensor<4x6x7xf32>, tensor<4x6x2xi64>, tensor<4x6x2xf32>) -> tensor<4x6x7xf32>
  %3 = cleave.scatter_elements %x, %e, %v {axis = 2 : i64} : (tensor<4x6x7xf32>, tensor<4x6x2xi64>, tensor<4x6x2xf32>) -> tensor<4x6x7xf32>
  return %0, %1, %2, %3 : tensor<3x7xf32>, tensor<4x5x7xf32>, tensor<4x6x7xf32>, tensor<4x6x7xf32>
}
