// RUN: cleave-opt %s | cleave-opt | FileCheck %s

// Every op round-trips.
// CHECK-LABEL: cleave_rt.program @device_1 attributes {arena_size = 64 : i64, device = 1 : i64, inputs = [#cleave_rt.io<"x", tensor<2x2xf32>>], outputs = [#cleave_rt.io<"y", tensor<2x2xf32>>], weights_size = 64 : i64}
// CHECK: cleave_rt.input 0 : <tensor<2x2xf32>>
// CHECK: cleave_rt.weights[0] : <tensor<2x2xf32>>
// CHECK: cleave_rt.arena[0] : <tensor<2x2xf32>>
// CHECK: cleave_rt.window {begin = array<i64: 0>, channels_last, dilations = array<i64: 1>, end = array<i64: 0>, kernel = array<i64: 2>, strides = array<i64: 1>}
// CHECK: cleave_rt.kernel "binary"(%{{.*}}, %{{.*}}, %{{.*}}) ["CLEAVE_BINARY_ADD", 0 : index, 1 : index, 2 : index]
// CHECK: cleave_rt.kernel "pad"(%{{.*}}, %{{.*}}) [0 : index, array<i64: 0, 1>, "CLEAVE_PAD_CONSTANT", 5.000000e-01, 1 : index]
// CHECK: cleave_rt.recv %{{.*}} from 0 tag 3
// CHECK: cleave_rt.send %{{.*}} to 2 tag 4
// CHECK: cleave_rt.recv_start %{{.*}} from 1 tag 5
// CHECK: cleave_rt.recv_wait %{{.*}} from 1 tag 5
// CHECK: cleave_rt.output 0 : <tensor<2x2xf32>>
// CHECK: cleave_rt.wait_sends
cleave_rt.program @device_1 attributes {arena_size = 64 : i64, weights_size = 64 : i64, device = 1 : i64, inputs = [#cleave_rt.io<"x", tensor<2x2xf32>>], outputs = [#cleave_rt.io<"y", tensor<2x2xf32>>]} {
  %x = cleave_rt.input 0 : !cleave_rt.view<tensor<2x2xf32>>
  %w = cleave_rt.weights[0] : !cleave_rt.view<tensor<2x2xf32>>
  %a = cleave_rt.arena[0] : !cleave_rt.view<tensor<2x2xf32>>
  %win = cleave_rt.window {kernel = array<i64: 2>, strides = array<i64: 1>, dilations = array<i64: 1>, begin = array<i64: 0>, end = array<i64: 0>, channels_last}
  cleave_rt.kernel "binary"(%x, %w, %a) ["CLEAVE_BINARY_ADD", 0 : index, 1 : index, 2 : index] : !cleave_rt.view<tensor<2x2xf32>>, !cleave_rt.view<tensor<2x2xf32>>, !cleave_rt.view<tensor<2x2xf32>>
  cleave_rt.kernel "pad"(%x, %a) [0 : index, array<i64: 0, 1>, "CLEAVE_PAD_CONSTANT", 0.5, 1 : index] : !cleave_rt.view<tensor<2x2xf32>>, !cleave_rt.view<tensor<2x2xf32>>
  cleave_rt.recv %a from 0 tag 3 : !cleave_rt.view<tensor<2x2xf32>>
  cleave_rt.send %a to 2 tag 4 : !cleave_rt.view<tensor<2x2xf32>>
  cleave_rt.recv_start %a from 1 tag 5 : !cleave_rt.view<tensor<2x2xf32>>
  cleave_rt.recv_wait %a from 1 tag 5 : !cleave_rt.view<tensor<2x2xf32>>
  %y = cleave_rt.output 0 : !cleave_rt.view<tensor<2x2xf32>>
  cleave_rt.kernel "copy"(%a, %y) [0 : index, 1 : index] : !cleave_rt.view<tensor<2x2xf32>>, !cleave_rt.view<tensor<2x2xf32>>
  cleave_rt.wait_sends
}
