// The CUDA target's lowering is the CPU one with CudaProgram.h (the same
// helpers on device memory) and a main that starts the GPU at the precision.
// RUN: cleave-opt %s --cleave-plan-memory --cleave-layout-weights --convert-cleave-to-emitc="target=cuda precision=bf16" | cleave-translate --emit-cpp | FileCheck %s
// RUN: not cleave-opt %s --cleave-plan-memory --cleave-layout-weights --convert-cleave-to-emitc="target=cuda precision=fp8" 2>&1 | FileCheck %s --check-prefix=PRECISION
// RUN: not cleave-opt %s --cleave-plan-memory --cleave-layout-weights --convert-cleave-to-emitc="target=tpu" 2>&1 | FileCheck %s --check-prefix=TARGET

func.func @main(%x: tensor<2x4xf32> {cleave.name = "x"}) -> (tensor<2x3xf32> {cleave.name = "y"}) {
  %w = cleave.constant dense<0.5> : tensor<4x3xf32>
  %0 = cleave.matmul %x, %w : (tensor<2x4xf32>, tensor<4x3xf32>) -> tensor<2x3xf32>
  %1 = cleave.relu %0 : (tensor<2x3xf32>) -> tensor<2x3xf32>
  return %1 : tensor<2x3xf32>
}

// CHECK: #include "cleave/Runtime/CudaProgram.h"
// CHECK: cleave::program::call({{[0-9]+}}, cleave_cuda_matmul,
// CHECK: cleave::program::call({{[0-9]+}}, cleave_cuda_unary, CLEAVE_UNARY_RELU,
// CHECK: = cleave_cuda_device_main({{v[0-9]+}}, {{v[0-9]+}}, program, CLEAVE_PRECISION_BF16);
// PRECISION: error: unknown precision 'fp8'; expected fp32, tf32, fp16 or bf16
// TARGET: error: unknown target 'tpu'; expected cpu or cuda
