// RUN: cleave-opt %s --cleave-insert-transfers | FileCheck %s
// RUN: cleave-opt %s --cleave-insert-transfers --cleave-split-devices --cleave-plan-memory | FileCheck %s --check-prefix=PLAN

// Where a sent tensor's buffer is free again (cleave.send_done): on the
// sender, right after its first receive from the peer that the peer sends
// after receiving the tensor. %a goes from device 0 to 1, and %b, made
// from it on device 1, comes back: %a's send is done once %b arrives.
// %p, sent by device 1 before it received %a, arrives at device 0 later,
// but proves nothing about %a. Device 1 receives nothing after its sends:
// they are waited for at the end.
// CHECK-LABEL: func.func @main
// CHECK: %[[P:.*]] = cleave.tanh %arg0 {cleave.device = 1 : i64}
// CHECK-NEXT: cleave.send %[[P]] {cleave.device = 1 : i64, peer = 0 : i64, tag = 0 : i64}
// CHECK-NEXT: %[[A:.*]] = cleave.relu %arg0 {cleave.device = 0 : i64}
// CHECK-NEXT: cleave.send %[[A]] {cleave.device = 0 : i64, peer = 1 : i64, tag = 1 : i64}
// CHECK-NEXT: %[[RA:.*]] = cleave.recv {cleave.device = 1 : i64, peer = 0 : i64, tag = 1 : i64}
// CHECK-NEXT: %[[B:.*]] = cleave.exp %[[RA]] {cleave.device = 1 : i64}
// CHECK-NEXT: cleave.send %[[B]] {cleave.device = 1 : i64, peer = 0 : i64, tag = 2 : i64}
// CHECK-NEXT: %[[RP:.*]] = cleave.recv {cleave.device = 0 : i64, peer = 1 : i64, tag = 0 : i64}
// CHECK-NEXT: %[[Q:.*]] = cleave.add %[[RP]], %[[A]] {cleave.device = 0 : i64}
// CHECK-NEXT: %[[RB:.*]] = cleave.recv {cleave.device = 0 : i64, peer = 1 : i64, tag = 2 : i64}
// CHECK-NEXT: cleave.send_done %[[A]] {cleave.device = 0 : i64, peer = 1 : i64, tag = 1 : i64}
// CHECK-NEXT: %[[R:.*]] = cleave.mul %[[RB]], %[[Q]] {cleave.device = 0 : i64}
// CHECK-NEXT: cleave.send_done %[[P]] {cleave.device = 1 : i64, peer = 0 : i64, tag = 0 : i64}
// CHECK-NEXT: cleave.send_done %[[B]] {cleave.device = 1 : i64, peer = 0 : i64, tag = 2 : i64}
// CHECK-NEXT: return %[[R]]

// The memory plan frees %a (64 bytes) after its send_done, the sixth op:
// at the seventh, the mul, 128 bytes are in use (%q and %b, which %r
// reuses), not 192 as when a sent tensor lived to the end.
// PLAN-LABEL: func.func @device_0
// PLAN-SAME: cleave.arena_in_use = array<i64: 64, 64, 128, 128, 192, 192, 128, 64>
func.func @main(%x: tensor<4xf32> {cleave.name = "x"}) -> (tensor<4xf32> {cleave.name = "r"}) {
  %p = cleave.tanh %x {cleave.device = 1 : i64} : (tensor<4xf32>) -> tensor<4xf32>
  %a = cleave.relu %x {cleave.device = 0 : i64} : (tensor<4xf32>) -> tensor<4xf32>
  %b = cleave.exp %a {cleave.device = 1 : i64} : (tensor<4xf32>) -> tensor<4xf32>
  %q = cleave.add %p, %a {cleave.device = 0 : i64} : (tensor<4xf32>, tensor<4xf32>) -> tensor<4xf32>
  %r = cleave.mul %b, %q {cleave.device = 0 : i64} : (tensor<4xf32>, tensor<4xf32>) -> tensor<4xf32>
  return %r : tensor<4xf32>
}
