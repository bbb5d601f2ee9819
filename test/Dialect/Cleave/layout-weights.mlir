// RUN: cleave-opt %s --cleave-layout-weights | FileCheck %s

// Constants, in op order, at 64-byte aligned offsets of the weights file:
// 12 bytes, then 256, then one i1 byte per boolean; the function gets the
// payload size (the last constant's end, aligned).
// CHECK-LABEL: func.func @main
// CHECK-SAME: cleave.weights_size = 384 : i64
// CHECK: cleave.constant {cleave.weight_offset = 0 : i64} dense<1.000000e+00> : tensor<3xf32>
// CHECK: cleave.constant {cleave.weight_offset = 64 : i64} dense<2.000000e+00> : tensor<64xf32>
// CHECK: cleave.constant {cleave.weight_offset = 320 : i64} dense<true> : tensor<8xi1>
func.func @main(%x: tensor<3xf32>) -> tensor<3xf32> {
  %a = cleave.constant dense<1.0> : tensor<3xf32>
  %b = cleave.constant dense<2.0> : tensor<64xf32>
  %c = cleave.constant dense<true> : tensor<8xi1>
  %0 = cleave.add %x, %a : (tensor<3xf32>, tensor<3xf32>) -> tensor<3xf32>
  return %0 : tensor<3xf32>
}
