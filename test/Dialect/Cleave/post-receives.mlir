// RUN: cleave-opt %s --split-input-file --cleave-post-receives | FileCheck %s
// RUN: cleave-opt %s --split-input-file --cleave-post-receives --cleave-plan-memory | FileCheck %s --check-prefix=PLAN

// Each receive is posted right after the device's previous receive has
// arrived (the first at the start) and waited for where it was: %g1 lands
// while the device computes %f, and %g2 while it computes %h.
// CHECK-LABEL: func.func @device_0
// CHECK-NEXT: %[[G1:.*]] = cleave.recv_start {peer = 1 : i64, tag = 3 : i64} : tensor<4xf32>
// CHECK-NEXT: %[[F:.*]] = cleave.relu %arg0
// CHECK-NEXT: cleave.send %[[F]] {peer = 1 : i64, tag = 0 : i64}
// CHECK-NEXT: cleave.recv_wait %[[G1]] {peer = 1 : i64, tag = 3 : i64} : tensor<4xf32>
// CHECK-NEXT: %[[G2:.*]] = cleave.recv_start {peer = 1 : i64, tag = 4 : i64} : tensor<4xf32>
// CHECK-NEXT: %[[H:.*]] = cleave.mul %[[G1]], %[[F]]
// CHECK-NEXT: cleave.recv_wait %[[G2]] {peer = 1 : i64, tag = 4 : i64} : tensor<4xf32>
// CHECK-NEXT: %[[R:.*]] = cleave.add %[[G2]], %[[H]]
// CHECK-NEXT: cleave.send_done %[[F]]
// CHECK-NEXT: return %[[R]]

// The received tensors' buffers live from their posts (64 bytes each, as
// aligned): %g1 from the first op, beside %f at the relu; %g2 from its
// post, beside %g1 (which the mul then overwrites) and %f.
// PLAN-LABEL: func.func @device_0
// PLAN-SAME: cleave.arena_in_use = array<i64: 64, 128, 128, 128, 192, 192, 192, 192, 128, 64>
func.func @device_0(%x: tensor<4xf32> {cleave.name = "x"}) -> (tensor<4xf32> {cleave.name = "r"}) attributes {cleave.device = 0 : i64} {
  %f = cleave.relu %x : (tensor<4xf32>) -> tensor<4xf32>
  cleave.send %f {peer = 1 : i64, tag = 0 : i64} : tensor<4xf32>
  %g1 = cleave.recv {peer = 1 : i64, tag = 3 : i64} : tensor<4xf32>
  %h = cleave.mul %g1, %f : (tensor<4xf32>, tensor<4xf32>) -> tensor<4xf32>
  %g2 = cleave.recv {peer = 1 : i64, tag = 4 : i64} : tensor<4xf32>
  %r = cleave.add %g2, %h : (tensor<4xf32>, tensor<4xf32>) -> tensor<4xf32>
  cleave.send_done %f {peer = 1 : i64, tag = 0 : i64} : tensor<4xf32>
  return %r : tensor<4xf32>
}

// -----

// A device that receives nothing is unchanged.
// CHECK-LABEL: func.func @device_1
// CHECK-NEXT: cleave.relu
// CHECK-NEXT: return
func.func @device_1(%x: tensor<4xf32> {cleave.name = "x"}) -> (tensor<4xf32> {cleave.name = "r"}) attributes {cleave.device = 1 : i64} {
  %f = cleave.relu %x : (tensor<4xf32>) -> tensor<4xf32>
  return %f : tensor<4xf32>
}
