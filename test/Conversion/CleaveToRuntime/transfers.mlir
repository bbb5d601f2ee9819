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

// A posted receive: its buffer is the one view of the start and the wait.
func.func @posted(%x: tensor<4xf32> {cleave.name = "x"}) -> (tensor<4xf32> {cleave.name = "y"}) attributes {cleave.device = 1 : i64} {
  %g = cleave.recv_start {peer = 0 : i64, tag = 0 : i64} : tensor<4xf32>
  %a = cleave.relu %x : (tensor<4xf32>) -> tensor<4xf32>
  cleave.recv_wait %g {peer = 0 : i64, tag = 0 : i64} : tensor<4xf32>
  %r = cleave.add %g, %a : (tensor<4xf32>, tensor<4xf32>) -> tensor<4xf32>
  return %r : tensor<4xf32>
}

// CHECK-LABEL: cleave_rt.program @posted
// CHECK: %[[G:.*]] = cleave_rt.arena
// CHECK-NEXT: cleave_rt.recv_start %[[G]] from 0 tag 0 : <tensor<4xf32>>
// CHECK: cleave_rt.kernel "unary"
// CHECK-NEXT: cleave_rt.recv_wait %[[G]] from 0 tag 0 : <tensor<4xf32>>
// CHECK: cleave_rt.kernel "binary"(%[[G]],
// CHECK: cleave_rt.wait_sends

// A data-parallel step: the all-reduce sums in place where its operand
// dies (a), copies first where the operand is read later (b), and the
// first op that reads a sum waits for them all; the program carries its
// replicas.
func.func @device_1(%x: tensor<4xf32> {cleave.name = "x"}) -> (tensor<4xf32> {cleave.name = "y"}) attributes {cleave.replicas = 2 : i64} {
  %a = cleave.relu %x : (tensor<4xf32>) -> tensor<4xf32>
  %b = cleave.tanh %x : (tensor<4xf32>) -> tensor<4xf32>
  %s:2 = cleave.all_reduce %a, %b : tensor<4xf32>, tensor<4xf32>
  %c = cleave.neg %b : (tensor<4xf32>) -> tensor<4xf32>
  %d = cleave.add %s#0, %s#1 : (tensor<4xf32>, tensor<4xf32>) -> tensor<4xf32>
  %e = cleave.add %d, %c : (tensor<4xf32>, tensor<4xf32>) -> tensor<4xf32>
  return %e : tensor<4xf32>
}

// CHECK-LABEL: cleave_rt.program @device_1 attributes {{{.*}}replicas = 2 : i64
// CHECK: %[[A:.*]] = cleave_rt.arena[[[OA:[0-9]+]]]
// CHECK: cleave_rt.kernel "unary"(%{{.*}}, %[[A]])
// CHECK: %[[B:.*]] = cleave_rt.arena
// CHECK: cleave_rt.kernel "unary"(%{{.*}}, %[[B]])
// CHECK: %[[SA:.*]] = cleave_rt.arena[[[OA]]]
// CHECK: %[[SB:.*]] = cleave_rt.arena
// CHECK-NOT: cleave_rt.kernel "copy"(%[[A]]
// CHECK: cleave_rt.kernel "copy"(%[[B]], %[[SB]])
// CHECK-NEXT: cleave_rt.all_reduce_start %[[SA]], %[[SB]]
// CHECK: cleave_rt.kernel "unary"(%[[B]]
// CHECK-NEXT: cleave_rt.all_reduce_wait
// CHECK-NEXT: %{{.*}} = cleave_rt.arena
// CHECK-NEXT: cleave_rt.kernel "binary"(%[[SA]], %[[SB]]

// The other collectives: an all-gather and a reduce-scatter write results
// of their own; a broadcast replaces its operand where that dies (%b),
// and copies it first where it is read later (%a).
func.func @collectives(%x: tensor<2x3xf32> {cleave.name = "x"}) -> (tensor<4x3xf32> {cleave.name = "g"}, tensor<1x3xf32> {cleave.name = "s"}, tensor<2x3xf32> {cleave.name = "b"}) attributes {cleave.replicas = 2 : i64} {
  %a = cleave.relu %x : (tensor<2x3xf32>) -> tensor<2x3xf32>
  %g = cleave.all_gather %a {replicas = 2 : i64} : tensor<2x3xf32> -> tensor<4x3xf32>
  %s = cleave.reduce_scatter %a {replicas = 2 : i64} : tensor<2x3xf32> -> tensor<1x3xf32>
  %ba = cleave.broadcast %a {root = 1 : i64} : tensor<2x3xf32>
  %n = cleave.neg %a : (tensor<2x3xf32>) -> tensor<2x3xf32>
  %b = cleave.tanh %x : (tensor<2x3xf32>) -> tensor<2x3xf32>
  %bb = cleave.broadcast %b {root = 0 : i64} : tensor<2x3xf32>
  %sum = cleave.add %ba, %bb : (tensor<2x3xf32>, tensor<2x3xf32>) -> tensor<2x3xf32>
  %out = cleave.add %sum, %n : (tensor<2x3xf32>, tensor<2x3xf32>) -> tensor<2x3xf32>
  return %g, %s, %out : tensor<4x3xf32>, tensor<1x3xf32>, tensor<2x3xf32>
}

// CHECK-LABEL: cleave_rt.program @collectives
// CHECK: %[[A:.*]] = cleave_rt.arena[[[OA:[0-9]+]]] : <tensor<2x3xf32>>
// CHECK: %[[G:.*]] = cleave_rt.arena{{.*}} : <tensor<4x3xf32>>
// CHECK-NEXT: cleave_rt.all_gather %[[A]] into %[[G]] : <tensor<2x3xf32>>, <tensor<4x3xf32>>
// CHECK: %[[S:.*]] = cleave_rt.arena{{.*}} : <tensor<1x3xf32>>
// CHECK-NEXT: cleave_rt.reduce_scatter %[[A]] into %[[S]] : <tensor<2x3xf32>>, <tensor<1x3xf32>>
// CHECK: %[[BA:.*]] = cleave_rt.arena{{.*}} : <tensor<2x3xf32>>
// CHECK-NEXT: cleave_rt.kernel "copy"(%[[A]], %[[BA]])
// CHECK-NEXT: cleave_rt.broadcast %[[BA]] from 1 : <tensor<2x3xf32>>
// CHECK: "CLEAVE_UNARY_NEG"
// CHECK-NEXT: cleave_rt.arena[[[OB:[0-9]+]]] : <tensor<2x3xf32>>
// CHECK-NEXT: cleave_rt.kernel "unary"{{.*}}"CLEAVE_UNARY_TANH"
// CHECK-NEXT: %[[BB:.*]] = cleave_rt.arena[[[OB]]] : <tensor<2x3xf32>>
// CHECK-NEXT: cleave_rt.broadcast %[[BB]] from 0 : <tensor<2x3xf32>>
