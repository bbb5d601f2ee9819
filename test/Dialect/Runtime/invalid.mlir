// RUN: cleave-opt %s --split-input-file --verify-diagnostics

cleave_rt.program @p attributes {arena_size = 0 : i64, weights_size = 0 : i64, inputs = [], outputs = []} {
  // expected-error @+1 {{names input 0 of a program with 0}}
  %x = cleave_rt.input 0 : !cleave_rt.view<tensor<2xf32>>
}

// -----

cleave_rt.program @p attributes {arena_size = 64 : i64, weights_size = 0 : i64, inputs = [], outputs = []} {
  %a = cleave_rt.arena[0] : !cleave_rt.view<tensor<2xf32>>
  // expected-error @+1 {{argument 1 names no operand}}
  cleave_rt.kernel "copy"(%a) [0 : index, 1 : index] : !cleave_rt.view<tensor<2xf32>>
}

// -----

cleave_rt.program @p attributes {arena_size = 64 : i64, weights_size = 0 : i64, inputs = [], outputs = []} {
  %a = cleave_rt.arena[0] : !cleave_rt.view<tensor<2xf32>>
  // expected-error @+1 {{arguments are operand indices, integers, floats, lists or C++ tokens (strings)}}
  cleave_rt.kernel "copy"(%a) [0 : index, unit] : !cleave_rt.view<tensor<2xf32>>
}

// -----

// expected-error @+1 {{memory sizes must not be negative}}
cleave_rt.program @p attributes {arena_size = -1 : i64, weights_size = 0 : i64, inputs = [], outputs = []} {
}
