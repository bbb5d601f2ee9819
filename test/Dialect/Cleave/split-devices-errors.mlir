// RUN: not cleave-opt %s --cleave-split-devices 2>&1 | FileCheck %s

// A graph output that no device computes cannot be returned by a device.
// CHECK: error: cleave-split-devices: a graph output is a graph input or a constant, which no device computes
func.func @main(%x: tensor<4xf32>) -> (tensor<4xf32>, tensor<4xf32>) {
  %y = cleave.relu %x {cleave.device = 0 : i64} : (tensor<4xf32>) -> tensor<4xf32>
  return %x, %y : tensor<4xf32>, tensor<4xf32>
}
