// RUN: cleave-opt %s --split-input-file --cleave-split-devices | FileCheck %s

// Devices 1 and 3 of the machine are used: they become 0 and 1 (in order
// of first use), send and receive peers with them, and each device's
// function gets its entry of the placement's prediction.
// CHECK-LABEL: func.func @device_0(%arg0: tensor<4xf32> {cleave.name = "x"}) attributes {cleave.device = 0 : i64, cleave.predicted_ms = 2.500000e+00 : f64}
// CHECK-NEXT: %[[A:.*]] = cleave.relu %arg0
// CHECK-NEXT: cleave.send %[[A]] {peer = 1 : i64, tag = 0 : i64}
// CHECK-LABEL: func.func @device_1() -> (tensor<4xf32> {cleave.name = "y"}) attributes {cleave.device = 1 : i64, cleave.predicted_ms = 4.000000e+00 : f64}
// CHECK-NEXT: %[[R:.*]] = cleave.recv {peer = 0 : i64, tag = 0 : i64}
// CHECK-NOT: func.func @device_2
func.func @main(%x: tensor<4xf32> {cleave.name = "x"}) -> (tensor<4xf32> {cleave.name = "y"}) attributes {cleave.predicted_ms = array<f64: 0.0, 2.5, 0.0, 4.0>} {
  %a = cleave.relu %x {cleave.device = 1 : i64} : (tensor<4xf32>) -> tensor<4xf32>
  cleave.send %a {cleave.device = 1 : i64, peer = 3 : i64, tag = 0 : i64} : tensor<4xf32>
  %r = cleave.recv {cleave.device = 3 : i64, peer = 1 : i64, tag = 0 : i64} : tensor<4xf32>
  %b = cleave.exp %r {cleave.device = 3 : i64} : (tensor<4xf32>) -> tensor<4xf32>
  return %b : tensor<4xf32>
}

// -----

// Unplaced, @main is the one device's program, constants and all.
// CHECK-LABEL: func.func @device_0(%arg0: tensor<4xf32>) -> (tensor<4xf32>, tensor<4xf32>) {
// CHECK-NEXT: cleave.constant
// CHECK-NEXT: cleave.relu
// CHECK-NOT: cleave.device
func.func @main(%x: tensor<4xf32>) -> (tensor<4xf32>, tensor<4xf32>) {
  %c = cleave.constant dense<1.0> : tensor<4xf32>
  %y = cleave.relu %x : (tensor<4xf32>) -> tensor<4xf32>
  return %c, %y : tensor<4xf32>, tensor<4xf32>
}
