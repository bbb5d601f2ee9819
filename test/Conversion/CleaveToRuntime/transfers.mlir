// RUN: cleave-opt %s --cleave-plan-memory --cleave-layout-weights --convert-cleave-to-runtime | FileCheck %s

// A device's sends and receives; the program waits for its sends at the
// end, and a device of a multi-device bundle carries its rank.
func.func @device_0(%x: tensor<4xf32> {cleave.name = "x"}) -> (tensor<4xf32> {cleave.name = "y"}) attributes {cleave.device = 0 : i64} {
  %a = cleave.relu %x : (tensor<4xf32>) -> tensor<4xf32>
  cleave.send %a {peer = 1 : i64, tag = 0 : i64} : tensor<4xf32>
  %r = cleave.recv {peer = 1 : i64, tag = 1 : i64} : tensor<4xf32>
  return %r : tensor<4xf32>
}

// CHECK-LABEL: cleave_rt.program @device_0 attributes {arena_size = {{.*}}, device = 0 : i64
// CHECK: %[[A:.*]] = cleave_rt.arena
// CHECK: cleave_rt.kernel "unary"(%{{.*}}, %[[A]]) ["CLEAVE_UNARY_RELU"
// CHECK: cleave_rt.send %[[A]] to 1 tag 0 : <tensor<4xf32>>
// CHECK: %[[R:.*]] = cleave_rt.arena
// CHECK: cleave_rt.recv %[[R]] from 1 tag 1 : <tensor<4xf32>>
// CHECK: cleave_rt.kernel "copy"(%[[R]], %{{.*}})
// CHECK-NEXT: cleave_rt.wait_sends
