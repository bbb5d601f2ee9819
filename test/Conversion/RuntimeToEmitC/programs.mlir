// RUN: rm -rf %t && split-file %s %t
// RUN: cleave-opt %t/one.mlir --convert-cleave-runtime-to-emitc | FileCheck %s
// RUN: cleave-opt %t/one.mlir --convert-cleave-runtime-to-emitc | cleave-translate --emit-cpp | FileCheck %s --check-prefix=CPP
// RUN: cleave-opt %t/rank.mlir --convert-cleave-runtime-to-emitc | FileCheck %s --check-prefix=RANK
// RUN: cleave-opt %t/replica.mlir --convert-cleave-runtime-to-emitc | FileCheck %s --check-prefix=REPLICA
// RUN: cleave-opt %t/two.mlir --convert-cleave-runtime-to-emitc="header=my/Runtime.h kernels=my_k_ entry=my_ entry-args=7 file-per-program=1" | FileCheck %s --check-prefix=FILES
// RUN: not cleave-opt %t/two.mlir --convert-cleave-runtime-to-emitc 2>&1 | FileCheck %s --check-prefix=SEVERAL
// RUN: cleave-opt %t/alone.mlir --convert-cleave-runtime-to-emitc | FileCheck %s --check-prefix=ALONE
// RUN: cleave-opt %t/parts.mlir --convert-cleave-runtime-to-emitc=calls-per-function=2 | FileCheck %s --check-prefix=PARTS

// One generic rewrite: views become view/at calls, kernels calls of the
// runtime kernel through cleave::program::call (which checks each argument
// against the kernel's C declaration) and the status check, then the
// tables, the program and a main that hands it to the device main.

//--- one.mlir
cleave_rt.program @device_0 attributes {arena_size = 64 : i64, weights_size = 64 : i64, inputs = [#cleave_rt.io<"x", tensor<2x2xf32>>], outputs = [#cleave_rt.io<"y", tensor<2x2xf32>>]} {
  %x = cleave_rt.input 0 : !cleave_rt.view<tensor<2x2xf32>>
  %w = cleave_rt.weights[0] : !cleave_rt.view<tensor<2x2xf32>>
  %a = cleave_rt.arena[0] : !cleave_rt.view<tensor<2x2xf32>>
  %c = cleave_rt.arena[16] : !cleave_rt.view<tensor<4x2xf32>>
  %win = cleave_rt.window {kernel = array<i64: 2>, strides = array<i64: 1>, dilations = array<i64: 1>, begin = array<i64: 0>, end = array<i64: 1>, channels_last}
  cleave_rt.kernel "binary"(%x, %w, %a) ["CLEAVE_BINARY_ADD", 0 : index, 1 : index, 2 : index] : !cleave_rt.view<tensor<2x2xf32>>, !cleave_rt.view<tensor<2x2xf32>>, !cleave_rt.view<tensor<2x2xf32>>
  cleave_rt.kernel "resize"(%x, %a) [0 : index, array<f32: 1.0, 2.0>, 1 : i32, "CLEAVE_RESIZE_HALF_PIXEL", "CLEAVE_NEAREST_FLOOR", 1 : index] : !cleave_rt.view<tensor<2x2xf32>>, !cleave_rt.view<tensor<2x2xf32>>
  cleave_rt.kernel "gemm"(%x, %w, %a) [0 : index, 1 : index, unit, 1.0 : f32, 0.0 : f32, 0 : i32, 1 : i32, 2 : index] : !cleave_rt.view<tensor<2x2xf32>>, !cleave_rt.view<tensor<2x2xf32>>, !cleave_rt.view<tensor<2x2xf32>> loc(fused<#cleave_rt.site<"cleave.gemm", phase = "backward", microbatch = 1, arena = 128, predicted_ms = 2.500000e-01 : f64, signature = "00112233aabbccdd">>["fc"])
  cleave_rt.kernel "concat"(%x, %a, %c) [[0 : index, 1 : index], 2 : i32, 0 : i32, 2 : index] : !cleave_rt.view<tensor<2x2xf32>>, !cleave_rt.view<tensor<2x2xf32>>, !cleave_rt.view<tensor<4x2xf32>>
  cleave_rt.kernel "transpose"(%x, %a) [0 : index, array<i64: 1, 0>, 1 : index] : !cleave_rt.view<tensor<2x2xf32>>, !cleave_rt.view<tensor<2x2xf32>>
  %y = cleave_rt.output 0 : !cleave_rt.view<tensor<2x2xf32>>
  cleave_rt.kernel "copy"(%a, %y) [0 : index, 1 : index] : !cleave_rt.view<tensor<2x2xf32>>, !cleave_rt.view<tensor<2x2xf32>>
  cleave_rt.kernel "pool"(%x, %win, %a) ["CLEAVE_POOL_MAX", 0 : index, 1 : index, 2 : index] : !cleave_rt.view<tensor<2x2xf32>>, !cleave_rt.window, !cleave_rt.view<tensor<2x2xf32>>
}

// CHECK: emitc.include "cleave/Runtime/Program.h"
// CHECK-LABEL: emitc.func @cleave_run_device_0_0(
// CHECK-SAME: %[[ARENA:.*]]: !emitc.ptr<!emitc.opaque<"char">>, %[[WEIGHTS:.*]]: !emitc.ptr<!emitc.opaque<"const char">>, %[[IN:.*]]: !emitc.ptr<!emitc.opaque<"const cleave_tensor">>, %[[OUT:.*]]: !emitc.ptr<!emitc.opaque<"const cleave_tensor">>)
// CHECK: %[[X:.*]] = call_opaque "cleave::program::at"(%[[IN]]) {args = [0 : index, 0]}
// CHECK: %[[W:.*]] = call_opaque "cleave::program::view"(%[[WEIGHTS]]) {args = [0 : index, #emitc.opaque<"CLEAVE_DTYPE_F32">, 0, #emitc.opaque<"{2, 2}">]}
// CHECK: %[[A:.*]] = call_opaque "cleave::program::view"(%[[ARENA]])
// CHECK: %[[S:.*]] = call_opaque "cleave::program::call"(%[[X]], %[[W]], %[[A]]) {args = [{{[0-9]+}} : i32, #emitc.opaque<"cleave_cpu_binary">, #emitc.opaque<"CLEAVE_BINARY_ADD">, 0 : index, 1 : index, 2 : index]}
// CHECK: call_opaque "CLEAVE_PROGRAM_CHECK"(%[[S]])
// CHECK: call_opaque "cleave::program::call"(%[[X]], %[[A]]) {args = [{{[0-9]+}} : i32, #emitc.opaque<"cleave_cpu_resize">, 0 : index, #emitc.opaque<"std::array<float, 2>{1.000000000e+00f, 2.000000000e+00f}">, 1 : i32, #emitc.opaque<"CLEAVE_RESIZE_HALF_PIXEL">, #emitc.opaque<"CLEAVE_NEAREST_FLOOR">, 1 : index]}
// CHECK: call_opaque "cleave::program::call"(%[[X]], %[[W]], %[[A]]) {args = [{{[0-9]+}} : i32, #emitc.opaque<"cleave_cpu_gemm">, 0 : index, 1 : index, #emitc.opaque<"nullptr">, 1.000000e+00 : f32, 0.000000e+00 : f32, 0 : i32, 1 : i32, 2 : index]}
// CHECK: %[[C:.*]] = call_opaque "cleave::program::view"(%[[ARENA]])
// CHECK: %[[L:.*]] = call_opaque "cleave::program::tensors"(%[[X]], %[[A]]) : (!emitc.opaque<"cleave_tensor">, !emitc.opaque<"cleave_tensor">) -> !emitc.opaque<"std::array<const cleave_tensor *, 2>">
// CHECK: call_opaque "cleave::program::call"(%[[X]], %[[A]], %[[C]], %[[L]]) {args = [{{[0-9]+}} : i32, #emitc.opaque<"cleave_cpu_concat">, 3 : index, 2 : i32, 0 : i32, 2 : index]}
// CHECK: call_opaque "cleave::program::call"(%[[X]], %[[A]]) {args = [{{[0-9]+}} : i32, #emitc.opaque<"cleave_cpu_transpose">, 0 : index, #emitc.opaque<"std::array<int64_t, 2>{1, 0}">, 1 : index]}
// CHECK: %[[Y:.*]] = call_opaque "cleave::program::at"(%[[OUT]]) {args = [0 : index, 0]}
// CHECK: call_opaque "cleave::program::call"(%[[A]], %[[Y]]) {args = [{{[0-9]+}} : i32, #emitc.opaque<"cleave_cpu_copy">, 0 : index, 1 : index]}
// A view is made where it is first used.
// CHECK: %[[WIN:.*]] = call_opaque "cleave::program::window"() {args = [#emitc.opaque<"{2}">, #emitc.opaque<"{1}">, #emitc.opaque<"{1}">, #emitc.opaque<"{0}">, #emitc.opaque<"{1}">, 1 : i32]}
// CHECK: call_opaque "cleave::program::call"(%[[X]], %[[WIN]], %[[A]])
// CHECK-LABEL: emitc.func @cleave_run_device_0(
// CHECK: call @cleave_run_device_0_0(
// CHECK: emitc.global static const @kInputs : !emitc.array<1x!emitc.opaque<"cleave_program_io">> = #emitc.opaque<"{\0A  {\22x\22, CLEAVE_DTYPE_F32, 2, {2, 2}},\0A}">
// CHECK: emitc.global static const @kOutputs
// CHECK: emitc.global static const @program : !emitc.opaque<"cleave_program"> = #emitc.opaque<"{\22device_0\22, 64, 64, 1, kInputs, 1, kOutputs, cleave_run_device_0, 1, 7, kSites}">
// CHECK: emitc.func @main(%[[ARGC:.*]]: !emitc.opaque<"int">, %[[ARGV:.*]]: !emitc.ptr<!emitc.ptr<!emitc.opaque<"char">>>) -> !emitc.opaque<"int">
// CHECK: %[[RC:.*]] = call_opaque "cleave_device_main"(%[[ARGC]], %[[ARGV]]) {args = [0 : index, 1 : index, #emitc.opaque<"program">]}
// CHECK: return %[[RC]]

// CPP: CLEAVE_PROGRAM_PART cleave_status cleave_run_device_0_0(char* {{v[0-9]+}}, const char* {{v[0-9]+}}, const cleave_tensor* {{v[0-9]+}}, const cleave_tensor* {{v[0-9]+}}) {
// CPP: cleave_status [[S:v[0-9]+]] = cleave::program::call(2, cleave_cpu_gemm, [[X:v[0-9]+]], [[W:v[0-9]+]], nullptr, 1.000000000e+00f, 0.0e+00f, 0, 1, [[A:v[0-9]+]]);
// CPP-NEXT: CLEAVE_PROGRAM_CHECK([[S]]);
// CPP: std::array<const cleave_tensor *, 2> [[L:v[0-9]+]] = cleave::program::tensors([[X]], [[A]]);
// CPP: cleave::program::call({{[0-9]+}}, cleave_cpu_concat, [[L]], 2, 0, {{v[0-9]+}});
// CPP: cleave_window [[WIN:v[0-9]+]] = cleave::program::window({2}, {1}, {1}, {0}, {1}, 1);
// CPP-NEXT: cleave::program::call(6, cleave_cpu_pool, CLEAVE_POOL_MAX, [[X]], [[WIN]], {{v[0-9]+}});
// Every call has a site: what the profile and trace name it by (the graph
// op, ONNX node and #cleave_rt.site the lowering marks it with, and its
// views' shapes): kernel, op, node, shapes, phase, microbatch, peer, tag,
// bytes, arena in use, predicted ms, cost signature.
// CPP: static const cleave_program_site kSites[7] = {
// CPP-NEXT: {"binary", "cleave_rt.kernel", "", "2x2 2x2 2x2", "", -1, -1, -1, 0, 0, 0.000000e+00, ""},
// CPP-NEXT: {"resize", "cleave_rt.kernel", "", "2x2 2x2", "", -1, -1, -1, 0, 0, 0.000000e+00, ""},
// CPP-NEXT: {"gemm", "cleave.gemm", "fc", "2x2 2x2 2x2", "backward", 1, -1, -1, 0, 128, 2.500000e-01, "00112233aabbccdd"},
// CPP: static const cleave_program_io kInputs[1] = {
// CPP-NEXT: {"x", CLEAVE_DTYPE_F32, 2, {2, 2}},
// CPP: static const cleave_program program = {"device_0", 64, 64, 1, kInputs, 1, kOutputs, cleave_run_device_0, 1, 7, kSites};
// CPP: int main(int [[ARGC:v[0-9]+]], char** [[ARGV:v[0-9]+]]) {
// CPP-NEXT: int [[RC:v[0-9]+]] = cleave_device_main([[ARGC]], [[ARGV]], program);
// CPP-NEXT: return [[RC]];

//--- rank.mlir
// A device of a multi-device bundle: transfers, and a main that joins the
// MPI job as its rank; no inputs or outputs still make a (placeholder) table.
cleave_rt.program @device_1 attributes {arena_size = 64 : i64, weights_size = 0 : i64, device = 1 : i64, inputs = [], outputs = []} {
  %a = cleave_rt.arena[0] : !cleave_rt.view<tensor<2xf32>>
  cleave_rt.recv %a from 0 tag 3 : !cleave_rt.view<tensor<2xf32>>
  cleave_rt.send %a to 2 tag 4 : !cleave_rt.view<tensor<2xf32>>
  cleave_rt.recv_start %a from 2 tag 5 : !cleave_rt.view<tensor<2xf32>>
  cleave_rt.recv_wait %a from 2 tag 5 : !cleave_rt.view<tensor<2xf32>>
  cleave_rt.wait_sends
}

// RANK-LABEL: emitc.func @cleave_run_device_1_0(
// RANK: call_opaque "cleave::program::call"(%{{.*}}) {args = [{{[0-9]+}} : i32, #emitc.opaque<"cleave_transport_recv">, 0 : index, 0 : i32, 3 : i32]}
// RANK: call_opaque "cleave::program::call"(%{{.*}}) {args = [{{[0-9]+}} : i32, #emitc.opaque<"cleave_transport_send">, 0 : index, 2 : i32, 4 : i32]}
// RANK: call_opaque "cleave::program::call"(%{{.*}}) {args = [{{[0-9]+}} : i32, #emitc.opaque<"cleave_transport_recv_start">, 0 : index, 2 : i32, 5 : i32]}
// RANK: call_opaque "cleave::program::call"(%{{.*}}) {args = [{{[0-9]+}} : i32, #emitc.opaque<"cleave_transport_recv_wait">, 0 : index, 2 : i32, 5 : i32]}
// RANK: call_opaque "cleave::program::call"() {args = [{{[0-9]+}} : i32, #emitc.opaque<"cleave_transport_wait_sends">]}
// A transfer's site has its peer, tag and bytes.
// RANK: emitc.global static const @kSites : !emitc.array<5x!emitc.opaque<"cleave_program_site">> = #emitc.opaque<"{\0A  {\22recv\22, \22cleave_rt.recv\22, \22\22, \222\22, \22\22, -1, 0, 3, 8, 0, 0.000000e+00, \22\22},\0A  {\22send\22, \22cleave_rt.send\22, \22\22, \222\22, \22\22, -1, 2, 4, 8, 0, 0.000000e+00, \22\22},
// RANK: emitc.global static const @kInputs : !emitc.array<1x!emitc.opaque<"cleave_program_io">> = #emitc.opaque<"{{[{][{]}}nullptr, CLEAVE_DTYPE_INVALID, 0, {}}\0A}">
// RANK: call_opaque "cleave_transport_device_main"(%{{.*}}, %{{.*}}) {args = [0 : index, 1 : index, #emitc.opaque<"program">, 1]}

//--- replica.mlir
// A data-parallel replica: all-reduces in place, one call per view, and a
// main that joins the MPI job (device 0 of 2 replicas in its table).
cleave_rt.program @device_0 attributes {arena_size = 64 : i64, weights_size = 0 : i64, replicas = 2 : i64, inputs = [], outputs = []} {
  %a = cleave_rt.arena[0] : !cleave_rt.view<tensor<2xf32>>
  %b = cleave_rt.arena[32] : !cleave_rt.view<tensor<2xf32>>
  cleave_rt.all_reduce_start %a, %b : !cleave_rt.view<tensor<2xf32>>, !cleave_rt.view<tensor<2xf32>>
  cleave_rt.all_reduce_wait
  %c = cleave_rt.arena[0] : !cleave_rt.view<tensor<1xf32>>
  cleave_rt.all_gather %c into %a : !cleave_rt.view<tensor<1xf32>>, !cleave_rt.view<tensor<2xf32>>
  cleave_rt.reduce_scatter %b into %c : !cleave_rt.view<tensor<2xf32>>, !cleave_rt.view<tensor<1xf32>>
  cleave_rt.broadcast %b from 1 : !cleave_rt.view<tensor<2xf32>>
}

// REPLICA: call_opaque "cleave::program::call"(%[[A:.*]]) {args = [{{[0-9]+}} : i32, #emitc.opaque<"cleave_transport_all_reduce_start">, 0 : index]}
// REPLICA: call_opaque "cleave::program::call"(%[[B:.*]]) {args = [{{[0-9]+}} : i32, #emitc.opaque<"cleave_transport_all_reduce_start">, 0 : index]}
// REPLICA: call_opaque "cleave::program::call"() {args = [{{[0-9]+}} : i32, #emitc.opaque<"cleave_transport_all_reduce_wait">]}
// The other collectives: blocking calls, root as an int32.
// REPLICA: call_opaque "cleave::program::call"(%[[C:.*]], %[[A]]) {args = [{{[0-9]+}} : i32, #emitc.opaque<"cleave_transport_all_gather">, 0 : index, 1 : index]}
// REPLICA: call_opaque "cleave::program::call"(%[[B]], %[[C]]) {args = [{{[0-9]+}} : i32, #emitc.opaque<"cleave_transport_reduce_scatter">, 0 : index, 1 : index]}
// REPLICA: call_opaque "cleave::program::call"(%[[B]]) {args = [{{[0-9]+}} : i32, #emitc.opaque<"cleave_transport_broadcast">, 0 : index, 1 : i32]}
// REPLICA: #emitc.opaque<"{\22device_0\22, 64, 0, 0, kInputs, 0, kOutputs, cleave_run_device_0, 2, {{[0-9]+}}, kSites}">
// REPLICA: call_opaque "cleave_transport_device_main"(%{{.*}}, %{{.*}}) {args = [0 : index, 1 : index, #emitc.opaque<"program">, 0]}

//--- two.mlir
cleave_rt.program @device_0 attributes {arena_size = 0 : i64, weights_size = 0 : i64, inputs = [], outputs = []} {
}
cleave_rt.program @device_1 attributes {arena_size = 0 : i64, weights_size = 0 : i64, device = 1 : i64, inputs = [], outputs = []} {
}

// One emitc.file per program, with the target's header and device main.
// FILES: emitc.file "device_0" {
// FILES-NEXT: include "my/Runtime.h"
// FILES: call_opaque "my_device_main"(%{{.*}}, %{{.*}}) {args = [0 : index, 1 : index, #emitc.opaque<"program">, #emitc.opaque<"7">]}
// FILES: emitc.file "device_1" {
// FILES-NEXT: include "my/Runtime.h"
// FILES: call_opaque "my_transport_device_main"(%{{.*}}, %{{.*}}) {args = [0 : index, 1 : index, #emitc.opaque<"program">, 1, #emitc.opaque<"7">]}
// SEVERAL: error: several programs need file-per-program (each is a C++ file with its own main)

//--- alone.mlir
// A placement on one device: device 0 alone runs as a plain program.
cleave_rt.program @device_0 attributes {arena_size = 0 : i64, weights_size = 0 : i64, device = 0 : i64, inputs = [], outputs = []} {
}
// ALONE: call_opaque "cleave_device_main"(%{{.*}}, %{{.*}}) {args = [0 : index, 1 : index, #emitc.opaque<"program">]}

//--- parts.mlir
// At most 2 calls per function: 3 calls make two parts, each making the
// views it uses (views are pure: %w twice, once in each part), and the run
// function calls the parts in turn, returning the first failure.
cleave_rt.program @device_0 attributes {arena_size = 64 : i64, weights_size = 64 : i64, inputs = [], outputs = []} {
  %w = cleave_rt.weights[0] : !cleave_rt.view<tensor<2xf32>>
  %a = cleave_rt.arena[0] : !cleave_rt.view<tensor<2xf32>>
  %b = cleave_rt.arena[32] : !cleave_rt.view<tensor<2xf32>>
  cleave_rt.kernel "copy"(%w, %a) [0 : index, 1 : index] : !cleave_rt.view<tensor<2xf32>>, !cleave_rt.view<tensor<2xf32>>
  cleave_rt.kernel "copy"(%a, %b) [0 : index, 1 : index] : !cleave_rt.view<tensor<2xf32>>, !cleave_rt.view<tensor<2xf32>>
  cleave_rt.kernel "copy"(%w, %b) [0 : index, 1 : index] : !cleave_rt.view<tensor<2xf32>>, !cleave_rt.view<tensor<2xf32>>
}

// PARTS-LABEL: emitc.func @cleave_run_device_0_0(
// PARTS-SAME: specifiers = ["CLEAVE_PROGRAM_PART"]
// PARTS: %[[W0:.*]] = call_opaque "cleave::program::view"(%arg1) {args = [0 : index, #emitc.opaque<"CLEAVE_DTYPE_F32">, 0, #emitc.opaque<"{2}">]}
// PARTS: %[[A0:.*]] = call_opaque "cleave::program::view"(%arg0) {args = [0 : index, #emitc.opaque<"CLEAVE_DTYPE_F32">, 0, #emitc.opaque<"{2}">]}
// PARTS: call_opaque "cleave::program::call"(%[[W0]], %[[A0]]) {args = [0 : i32,
// PARTS: %[[B0:.*]] = call_opaque "cleave::program::view"(%arg0) {args = [0 : index, #emitc.opaque<"CLEAVE_DTYPE_F32">, 32, #emitc.opaque<"{2}">]}
// PARTS: call_opaque "cleave::program::call"(%[[A0]], %[[B0]]) {args = [1 : i32,
// PARTS: return
// PARTS-LABEL: emitc.func @cleave_run_device_0_1(
// PARTS: %[[W1:.*]] = call_opaque "cleave::program::view"(%arg1) {args = [0 : index, #emitc.opaque<"CLEAVE_DTYPE_F32">, 0, #emitc.opaque<"{2}">]}
// PARTS: %[[B1:.*]] = call_opaque "cleave::program::view"(%arg0) {args = [0 : index, #emitc.opaque<"CLEAVE_DTYPE_F32">, 32, #emitc.opaque<"{2}">]}
// PARTS: call_opaque "cleave::program::call"(%[[W1]], %[[B1]]) {args = [2 : i32,
// PARTS: return
// PARTS-LABEL: emitc.func @cleave_run_device_0(
// PARTS: %[[S0:.*]] = call @cleave_run_device_0_0(%arg0, %arg1, %arg2, %arg3)
// PARTS-NEXT: call_opaque "CLEAVE_PROGRAM_CHECK"(%[[S0]])
// PARTS-NEXT: %[[S1:.*]] = call @cleave_run_device_0_1(%arg0, %arg1, %arg2, %arg3)
// PARTS-NEXT: call_opaque "CLEAVE_PROGRAM_CHECK"(%[[S1]])
// PARTS: @program {{.*}}cleave_run_device_0, 1, 3, kSites}
