// RUN: cleave-opt %s --cleave-plan-memory --cleave-layout-weights --convert-cleave-to-emitc | FileCheck %s
// RUN: cleave-opt %s --cleave-plan-memory --cleave-layout-weights --convert-cleave-to-emitc | cleave-translate --emit-cpp | FileCheck %s --check-prefix=CPP

func.func @main(%x: tensor<2x4xf32> {cleave.name = "x"}) -> (tensor<2x3xf32> {cleave.name = "probs"}) {
  %w = cleave.constant dense<0.5> : tensor<4x3xf32>
  %b = cleave.constant dense<[0.0, 1.0, 2.0]> : tensor<3xf32>
  %0 = cleave.matmul %x, %w : (tensor<2x4xf32>, tensor<4x3xf32>) -> tensor<2x3xf32>
  %1 = cleave.add %0, %b : (tensor<2x3xf32>, tensor<3xf32>) -> tensor<2x3xf32>
  %2 = cleave.relu %1 : (tensor<2x3xf32>) -> tensor<2x3xf32>
  %3 = cleave.softmax %2 : (tensor<2x3xf32>) -> tensor<2x3xf32>
  return %3 : tensor<2x3xf32>
}

// CHECK: emitc.include "cleave/Runtime/Program.h"
// The calls go in parts (here one), each making the views it uses.
// CHECK-LABEL: emitc.func @cleave_run_main_0(
// CHECK-SAME:    %[[ARENA:.*]]: !emitc.ptr<!emitc.opaque<"char">>, %[[WEIGHTS:.*]]: !emitc.ptr<!emitc.opaque<"const char">>, %[[IN:.*]]: !emitc.ptr<!emitc.opaque<"const cleave_tensor">>, %[[OUT:.*]]: !emitc.ptr<!emitc.opaque<"const cleave_tensor">>)
// CHECK:   %[[X:.*]] = call_opaque "cleave::program::at"(%[[IN]]) {args = [0 : index, 0]}
// The weights sit at 64-byte aligned offsets: 48 bytes of w, then b at 64.
// CHECK:   %[[W:.*]] = call_opaque "cleave::program::view"(%[[WEIGHTS]]) {args = [0 : index, #emitc.opaque<"CLEAVE_DTYPE_F32">, 0, #emitc.opaque<"{4, 3}">]}
// CHECK:   %[[MM:.*]] = call_opaque "cleave::program::view"(%[[ARENA]]) {args = [0 : index, #emitc.opaque<"CLEAVE_DTYPE_F32">, 0, #emitc.opaque<"{2, 3}">]}
// CHECK:   %[[S0:.*]] = call_opaque "cleave::program::call"(%[[X]], %[[W]], %[[MM]]) {args = [{{[0-9]+}} : i32, #emitc.opaque<"cleave_cpu_matmul">, 0 : index, 1 : index, 0 : i32, 0 : i32, 2 : index]}
// CHECK:   call_opaque "CLEAVE_PROGRAM_CHECK"(%[[S0]])
// CHECK:   %[[B:.*]] = call_opaque "cleave::program::view"(%[[WEIGHTS]]) {args = [0 : index, #emitc.opaque<"CLEAVE_DTYPE_F32">, 64, #emitc.opaque<"{3}">]}
// The add, the relu and the softmax (InPlace) all take the matmul's
// buffer: the arena is 64 bytes.
// CHECK:   %[[ADD:.*]] = call_opaque "cleave::program::view"(%[[ARENA]]) {args = [0 : index, #emitc.opaque<"CLEAVE_DTYPE_F32">, 0, #emitc.opaque<"{2, 3}">]}
// CHECK:   call_opaque "cleave::program::call"(%[[MM]], %[[B]], %[[ADD]]) {args = [{{[0-9]+}} : i32, #emitc.opaque<"cleave_cpu_binary">, #emitc.opaque<"CLEAVE_BINARY_ADD">, 0 : index, 1 : index, 2 : index]}
// CHECK:   call_opaque "cleave::program::call"({{.*}}) {args = [{{[0-9]+}} : i32, #emitc.opaque<"cleave_cpu_unary">, #emitc.opaque<"CLEAVE_UNARY_RELU">, 0.000000e+00 : f32, 0.000000e+00 : f32, 0 : index, 1 : index]}
// The softmax, which only the return reads, writes the output itself.
// CHECK:   %[[Y:.*]] = call_opaque "cleave::program::at"(%[[OUT]]) {args = [0 : index, 0]}
// CHECK:   call_opaque "cleave::program::call"(%{{.*}}, %[[Y]]) {args = [{{[0-9]+}} : i32, #emitc.opaque<"cleave_cpu_softmax">, 0 : index, -1 : i32, 0 : i32, 1 : index]}
// CHECK-NOT: cleave_cpu_copy
// CHECK:   return
// CHECK-LABEL: emitc.func @cleave_run_main(
// CHECK:   %[[PART:.*]] = call @cleave_run_main_0(%arg0, %arg1, %arg2, %arg3)
// CHECK:   call_opaque "CLEAVE_PROGRAM_CHECK"(%[[PART]])
// CHECK: emitc.global static const @kOutputs : !emitc.array<1x!emitc.opaque<"cleave_program_io">> = #emitc.opaque<"{\0A  {\22probs\22, CLEAVE_DTYPE_F32, 2, {2, 3}},\0A}">
// CHECK: emitc.global static const @program : !emitc.opaque<"cleave_program"> = #emitc.opaque<"{\22main\22, 64, 128, 1, kInputs, 1, kOutputs, cleave_run_main, 1, {{[0-9]+}}, kSites}">

// CPP: #include "cleave/Runtime/Program.h"
// CPP: CLEAVE_PROGRAM_PART cleave_status cleave_run_main_0(char* [[ARENA:v[0-9]+]], const char* [[WEIGHTS:v[0-9]+]], const cleave_tensor* [[IN:v[0-9]+]], const cleave_tensor* [[OUT:v[0-9]+]]) {
// CPP:   cleave_tensor [[X:v[0-9]+]] = cleave::program::at([[IN]], 0);
// CPP:   cleave_status [[S:v[0-9]+]] = cleave::program::call({{[0-9]+}}, cleave_cpu_matmul, [[X]], {{v[0-9]+}}, 0, 0, {{v[0-9]+}});
// CPP:   CLEAVE_PROGRAM_CHECK([[S]]);
// CPP:   cleave_status [[OK:v[0-9]+]] = nullptr;
// CPP-NEXT:   return [[OK]];
// CPP: cleave_status cleave_run_main(char* [[ARENA:v[0-9]+]], const char* [[WEIGHTS:v[0-9]+]], const cleave_tensor* [[IN:v[0-9]+]], const cleave_tensor* [[OUT:v[0-9]+]]) {
// CPP-NEXT:   cleave_status [[P:v[0-9]+]] = cleave_run_main_0([[ARENA]], [[WEIGHTS]], [[IN]], [[OUT]]);
// CPP-NEXT:   CLEAVE_PROGRAM_CHECK([[P]]);
// CPP: static const cleave_program_io kInputs[1] = {
// CPP:   {"x", CLEAVE_DTYPE_F32, 2, {2, 4}},
// CPP: int main(int [[ARGC:v[0-9]+]], char** [[ARGV:v[0-9]+]]) {
// CPP-NEXT: int {{v[0-9]+}} = cleave_device_main([[ARGC]], [[ARGV]], program);
