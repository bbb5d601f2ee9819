// RUN: cleave-opt %s --cleave-plan-memory --cleave-layout-weights --convert-cleave-to-runtime | FileCheck %s

// Elementwise ops lower by the kernel their ODS definition names: the unary
// kernel with the op's scalars, the binary kernel (variadic ops chain it
// through the output), the comparison.
func.func @main(%x: tensor<2x4xf32> {cleave.name = "x"}, %c: tensor<2x4xi1> {cleave.name = "c"}) -> (tensor<2x4xf32> {cleave.name = "y"}, tensor<2x4xi1> {cleave.name = "l"}) {
  %b = cleave.constant dense<1.0> : tensor<4xf32>
  %0 = cleave.add %x, %b : (tensor<2x4xf32>, tensor<4xf32>) -> tensor<2x4xf32>
  %1 = cleave.elu %0 {alpha = 0.5 : f32} : (tensor<2x4xf32>) -> tensor<2x4xf32>
  %2 = cleave.sum %1, %x, %0 : (tensor<2x4xf32>, tensor<2x4xf32>, tensor<2x4xf32>) -> tensor<2x4xf32>
  %3 = cleave.less %2, %x : (tensor<2x4xf32>, tensor<2x4xf32>) -> tensor<2x4xi1>
  %4 = cleave.and %3, %c : (tensor<2x4xi1>, tensor<2x4xi1>) -> tensor<2x4xi1>
  %5 = cleave.gelu %2 {approximate = "tanh"} : (tensor<2x4xf32>) -> tensor<2x4xf32>
  return %5, %4 : tensor<2x4xf32>, tensor<2x4xi1>
}

// CHECK-LABEL: cleave_rt.program @main attributes {arena_size = 128 : i64, inputs = [#cleave_rt.io<"x", tensor<2x4xf32>>, #cleave_rt.io<"c", tensor<2x4xi1>>], outputs = [#cleave_rt.io<"y", tensor<2x4xf32>>, #cleave_rt.io<"l", tensor<2x4xi1>>], weights_size = 64 : i64}
// CHECK: %[[X:.*]] = cleave_rt.input 0 : <tensor<2x4xf32>>
// CHECK: %[[C:.*]] = cleave_rt.input 1 : <tensor<2x4xi1>>
// CHECK: %[[B:.*]] = cleave_rt.weights[0] : <tensor<4xf32>>
// CHECK: %[[ADD:.*]] = cleave_rt.arena[0] : <tensor<2x4xf32>>
// CHECK: cleave_rt.kernel "binary"(%[[X]], %[[B]], %[[ADD]]) ["CLEAVE_BINARY_ADD", 0 : index, 1 : index, 2 : index]
// CHECK: %[[ELU:.*]] = cleave_rt.arena[64]
// CHECK: cleave_rt.kernel "unary"(%[[ADD]], %[[ELU]]) ["CLEAVE_UNARY_ELU", 5.000000e-01 : f32, 0.000000e+00 : f32, 0 : index, 1 : index]
// CHECK: %[[SUM:.*]] = cleave_rt.arena[64]
// CHECK: cleave_rt.kernel "expand"(%[[ELU]], %[[SUM]]) [0 : index, 1 : index]
// CHECK: cleave_rt.kernel "binary"(%[[SUM]], %[[X]], %[[SUM]]) ["CLEAVE_BINARY_ADD"
// CHECK: cleave_rt.kernel "binary"(%[[SUM]], %[[ADD]], %[[SUM]]) ["CLEAVE_BINARY_ADD"
// CHECK: %[[LESS:.*]] = cleave_rt.arena[0] : <tensor<2x4xi1>>
// CHECK: cleave_rt.kernel "compare"(%[[SUM]], %[[X]], %[[LESS]]) ["CLEAVE_COMPARE_LESS", 0 : index, 1 : index, 2 : index]
// Results only the return reads are computed into the outputs: no copy.
// CHECK: %[[L:.*]] = cleave_rt.output 1 : <tensor<2x4xi1>>
// CHECK: cleave_rt.kernel "binary"(%[[LESS]], %[[C]], %[[L]]) ["CLEAVE_BINARY_AND"
// CHECK: %[[Y:.*]] = cleave_rt.output 0 : <tensor<2x4xf32>>
// CHECK: cleave_rt.kernel "unary"(%[[SUM]], %[[Y]]) ["CLEAVE_UNARY_GELU_TANH"
// CHECK-NOT: "copy"
