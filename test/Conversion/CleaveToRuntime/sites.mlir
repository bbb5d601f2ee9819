// RUN: cleave-opt %s --cleave-plan-memory --cleave-layout-weights --convert-cleave-to-runtime --mlir-print-debuginfo --mlir-print-local-scope | FileCheck %s

// Each call's location carries its #cleave_rt.site: what the profile and
// trace say of it (with the op's cost signature, by which a profile of the
// run becomes an op profile). In a training step the ops autodiff marked are forward
// (cleave.op_index) or backward (cleave.backward_of); a send takes the
// label of the value it sends, a receive that of its first reader; an
// unmarked op that reads a gradient is its microbatch's backward pass if it
// has a microbatch (the gradient sum), else the update. The arena in use
// is the memory plan's at that op; the predicted time the placement's.
func.func @device_0(%x: tensor<4xf32> {cleave.name = "x"}) -> (tensor<4xf32> {cleave.name = "y"}) attributes {cleave.device = 0 : i64} {
  %a = cleave.relu %x {cleave.op_index = 0 : i64, cleave.microbatch = 1 : i64, cleave.predicted_ms = 5.000000e-01 : f64} : (tensor<4xf32>) -> tensor<4xf32>
  cleave.send %a {peer = 1 : i64, tag = 0 : i64} : tensor<4xf32>
  %g = cleave.recv {peer = 1 : i64, tag = 1 : i64} : tensor<4xf32>
  %b = cleave.neg %g {cleave.backward_of = 0 : i64, cleave.microbatch = 1 : i64} : (tensor<4xf32>) -> tensor<4xf32>
  %s = cleave.add %b, %a {cleave.microbatch = 1 : i64} : (tensor<4xf32>, tensor<4xf32>) -> tensor<4xf32>
  %u = cleave.tanh %s : (tensor<4xf32>) -> tensor<4xf32>
  return %u : tensor<4xf32>
}

// CHECK: cleave_rt.kernel "unary"{{.*}}loc(fused<#cleave_rt.site<"cleave.relu", phase = "forward", microbatch = 1, arena = 64, predicted_ms = 5.000000e-01 : f64, signature = "{{[0-9a-f]+}}">>
// CHECK: cleave_rt.send {{.*}}loc(fused<#cleave_rt.site<"cleave.send", phase = "forward", microbatch = 1, arena = 64, predicted_ms = 0.000000e+00 : f64, signature = "{{[0-9a-f]+}}">>
// CHECK: cleave_rt.recv {{.*}}loc(fused<#cleave_rt.site<"cleave.recv", phase = "backward", microbatch = 1, arena = 128,
// CHECK: cleave_rt.kernel "unary"{{.*}}loc(fused<#cleave_rt.site<"cleave.neg", phase = "backward", microbatch = 1, arena = 128,
// CHECK: cleave_rt.kernel "binary"{{.*}}loc(fused<#cleave_rt.site<"cleave.add", phase = "backward", microbatch = 1,
// CHECK: cleave_rt.kernel "unary"{{.*}}loc(fused<#cleave_rt.site<"cleave.tanh", phase = "optimizer", microbatch = -1,

// Inference: no phase, no microbatch.
func.func @device_1(%x: tensor<4xf32> {cleave.name = "x"}) -> (tensor<4xf32> {cleave.name = "y"}) attributes {cleave.device = 1 : i64} {
  %a = cleave.relu %x : (tensor<4xf32>) -> tensor<4xf32>
  return %a : tensor<4xf32>
}
// CHECK-LABEL: cleave_rt.program @device_1
// CHECK: cleave_rt.kernel "unary"{{.*}}loc(fused<#cleave_rt.site<"cleave.relu", phase = "", microbatch = -1, arena = 64, predicted_ms = 0.000000e+00 : f64, signature = "{{[0-9a-f]+}}">>
