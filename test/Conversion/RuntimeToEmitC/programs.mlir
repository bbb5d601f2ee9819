// RUN: cleave-opt %s --convert-cleave-runtime-to-emitc | FileCheck %s
// RUN: cleave-opt %s --convert-cleave-runtime-to-emitc="header=my/Runtime.h entry=my_ entry-args=7 file-per-program=1" | FileCheck %s --check-prefix=FILES
// RUN: cleave-opt %s --convert-cleave-runtime-to-emitc | cleave-translate --emit-cpp | FileCheck %s --check-prefix=CPP

// One generic rewrite: views become view/at calls, kernels calls of the
// helper of the same name and the status check, then the table and main.
cleave_rt.program @device_0 attributes {arena_size = 64 : i64, weights_size = 64 : i64, inputs = [#cleave_rt.io<"x", tensor<2x2xf32>>], outputs = [#cleave_rt.io<"y", tensor<2x2xf32>>]} {
  %x = cleave_rt.input 0 : !cleave_rt.view<tensor<2x2xf32>>
  %w = cleave_rt.weights[0] : !cleave_rt.view<tensor<2x2xf32>>
  %a = cleave_rt.arena[0] : !cleave_rt.view<tensor<2x2xf32>>
  %win = cleave_rt.window {kernel = array<i64: 2>, strides = array<i64: 1>, dilations = array<i64: 1>, begin = array<i64: 0>, end = array<i64: 1>, channels_last}
  cleave_rt.kernel "binary"(%x, %w, %a) ["CLEAVE_BINARY_ADD", 0 : index, 1 : index, 2 : index] : !cleave_rt.view<tensor<2x2xf32>>, !cleave_rt.view<tensor<2x2xf32>>, !cleave_rt.view<tensor<2x2xf32>>
  cleave_rt.kernel "resize"(%x, %a) [0 : index, array<f32: 1.0, 2.0>, 1 : i32, 1 : index] : !cleave_rt.view<tensor<2x2xf32>>, !cleave_rt.view<tensor<2x2xf32>>
  %y = cleave_rt.output 0 : !cleave_rt.view<tensor<2x2xf32>>
  cleave_rt.kernel "copy"(%a, %y) [0 : index, 1 : index] : !cleave_rt.view<tensor<2x2xf32>>, !cleave_rt.view<tensor<2x2xf32>>
}

cleave_rt.program @device_1 attributes {arena_size = 64 : i64, weights_size = 0 : i64, device = 1 : i64, inputs = [], outputs = []} {
  %a = cleave_rt.arena[0] : !cleave_rt.view<tensor<2xf32>>
  cleave_rt.recv %a from 0 tag 3 : !cleave_rt.view<tensor<2xf32>>
  cleave_rt.send %a to 2 tag 4 : !cleave_rt.view<tensor<2xf32>>
  cleave_rt.wait_sends
}

// CHECK: emitc.include "cleave/Runtime/Program.h"
// CHECK-LABEL: emitc.func @cleave_run_device_0(
// CHECK-SAME: %[[ARENA:.*]]: !emitc.ptr<!emitc.opaque<"char">>, %[[WEIGHTS:.*]]: !emitc.ptr<!emitc.opaque<"const char">>, %[[IN:.*]]: !emitc.ptr<!emitc.opaque<"const cleave_tensor">>, %[[OUT:.*]]: !emitc.ptr<!emitc.opaque<"const cleave_tensor">>)
// CHECK: %[[X:.*]] = call_opaque "cleave::program::at"(%[[IN]]) {args = [0 : index, 0]}
// CHECK: %[[W:.*]] = call_opaque "cleave::program::view"(%[[WEIGHTS]]) {args = [0 : index, #emitc.opaque<"CLEAVE_DTYPE_F32">, 0, #emitc.opaque<"{2, 2}">]}
// CHECK: %[[A:.*]] = call_opaque "cleave::program::view"(%[[ARENA]])
// CHECK: call_opaque "cleave::program::window"() {args = [#emitc.opaque<"{2}">, #emitc.opaque<"{1}">, #emitc.opaque<"{1}">, #emitc.opaque<"{0}">, #emitc.opaque<"{1}">, 1 : i32]}
// CHECK: %[[S:.*]] = call_opaque "cleave::program::binary"(%[[X]], %[[W]], %[[A]]) {args = [#emitc.opaque<"CLEAVE_BINARY_ADD">, 0 : index, 1 : index, 2 : index]}
// CHECK: call_opaque "CLEAVE_PROGRAM_CHECK"(%[[S]])
// CHECK: call_opaque "cleave::program::resize"(%[[X]], %[[A]]) {args = [0 : index, #emitc.opaque<"{1.000000000e+00f, 2.000000000e+00f}">, 1 : i32, 1 : index]}
// CHECK: %[[Y:.*]] = call_opaque "cleave::program::at"(%[[OUT]]) {args = [0 : index, 0]}
// CHECK: call_opaque "cleave::program::copy"(%[[A]], %[[Y]])
// CHECK: emitc.verbatim
// CHECK-SAME: static const cleave_program program = {\22device_0\22, 64, 64, 1, kInputs, 1, kOutputs, cleave_run_device_0};
// CHECK-SAME: return cleave_device_main(argc, argv, program);
// CHECK-LABEL: emitc.func @cleave_run_device_1(
// CHECK: call_opaque "cleave::program::recv"(%{{.*}}) {args = [0 : index, 0, 3]}
// CHECK: call_opaque "cleave::program::send"(%{{.*}}) {args = [0 : index, 2, 4]}
// CHECK: call_opaque "cleave::program::wait_sends"()
// CHECK: emitc.verbatim
// CHECK-SAME: {nullptr, CLEAVE_DTYPE_INVALID, 0, {}}
// CHECK-SAME: return cleave_transport_device_main(argc, argv, program, 1);

// FILES: emitc.file "device_0" {
// FILES-NEXT: include "my/Runtime.h"
// FILES: return my_device_main(argc, argv, program, 7);
// FILES: emitc.file "device_1" {
// FILES-NEXT: include "my/Runtime.h"
// FILES: return my_transport_device_main(argc, argv, program, 1, 7);

// CPP: cleave_status cleave_run_device_0(char* [[ARENA:v[0-9]+]], const char* {{v[0-9]+}}, const cleave_tensor* {{v[0-9]+}}, const cleave_tensor* {{v[0-9]+}}) {
// CPP: cleave_window {{v[0-9]+}} = cleave::program::window({2}, {1}, {1}, {0}, {1}, 1);
// CPP: int main(int argc, char **argv) {
