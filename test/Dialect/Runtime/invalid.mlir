// RUN: cleave-opt %s --split-input-file --verify-diagnostics

cleave_rt.program @p attributes {arena_size = 0 : i64, weights_size = 0 : i64, inputs = [], outputs = []} {
  // expected-error @+1 {{names input 0 of a program with 0}}
  %x = cleave_rt.input 0 : !cleave_rt.view<tensor<2xf32>>
}

// -----

// Kernel calls are checked against the runtime's declarations
// (include/cleave/Runtime/Kernels.def): name, arity, each argument's kind.

cleave_rt.program @p attributes {arena_size = 64 : i64, weights_size = 0 : i64, inputs = [], outputs = []} {
  %a = cleave_rt.arena[0] : !cleave_rt.view<tensor<2xf32>>
  // expected-error @+1 {{calls 'no_such_kernel', which is no runtime kernel (Kernels.def)}}
  cleave_rt.kernel "no_such_kernel"(%a) [0 : index] : !cleave_rt.view<tensor<2xf32>>
}

// -----

cleave_rt.program @p attributes {arena_size = 64 : i64, weights_size = 0 : i64, inputs = [], outputs = []} {
  %a = cleave_rt.arena[0] : !cleave_rt.view<tensor<2xf32>>
  // expected-error @+1 {{'copy' takes 2 arguments, not 3}}
  cleave_rt.kernel "copy"(%a) [0 : index, 0 : index, 0 : index] : !cleave_rt.view<tensor<2xf32>>
}

// -----

cleave_rt.program @p attributes {arena_size = 64 : i64, weights_size = 0 : i64, inputs = [], outputs = []} {
  %a = cleave_rt.arena[0] : !cleave_rt.view<tensor<2xf32>>
  // expected-error @+1 {{argument 1 ('y') of 'copy' must be a view operand's index or unit (NULL)}}
  cleave_rt.kernel "copy"(%a) [0 : index, 1 : index] : !cleave_rt.view<tensor<2xf32>>
}

// -----

cleave_rt.program @p attributes {arena_size = 64 : i64, weights_size = 0 : i64, inputs = [], outputs = []} {
  %a = cleave_rt.arena[0] : !cleave_rt.view<tensor<2xf32>>
  // expected-error @+1 {{argument 1 ('axis') of 'softmax' must be an integer}}
  cleave_rt.kernel "softmax"(%a) [0 : index, 1.0 : f32, 0 : i32, 0 : index] : !cleave_rt.view<tensor<2xf32>>
}

// -----

cleave_rt.program @p attributes {arena_size = 64 : i64, weights_size = 0 : i64, inputs = [], outputs = []} {
  %a = cleave_rt.arena[0] : !cleave_rt.view<tensor<2xf32>>
  // expected-error @+1 {{argument 0 ('op') of 'binary' must be an enumerator (CLEAVE_*)}}
  cleave_rt.kernel "binary"(%a) [0 : i32, 0 : index, 0 : index, 0 : index] : !cleave_rt.view<tensor<2xf32>>
}

// -----

cleave_rt.program @p attributes {arena_size = 64 : i64, weights_size = 0 : i64, inputs = [], outputs = []} {
  %a = cleave_rt.arena[0] : !cleave_rt.view<tensor<2xf32>>
  // expected-error @+1 {{argument 2 ('window') of 'pool' must be a window operand's index}}
  cleave_rt.kernel "pool"(%a) ["CLEAVE_POOL_MAX", 0 : index, 0 : index, 0 : index] : !cleave_rt.view<tensor<2xf32>>
}

// -----

cleave_rt.program @p attributes {arena_size = 64 : i64, weights_size = 0 : i64, inputs = [], outputs = []} {
  %a = cleave_rt.arena[0] : !cleave_rt.view<tensor<2xf32>>
  // expected-error @+1 {{argument 0 ('inputs') of 'concat' must be an array of view operands' indices}}
  cleave_rt.kernel "concat"(%a) [0 : index, 1 : i32, 0 : i32, 0 : index] : !cleave_rt.view<tensor<2xf32>>
}

// -----

cleave_rt.program @p attributes {arena_size = 64 : i64, weights_size = 0 : i64, inputs = [], outputs = []} {
  %a = cleave_rt.arena[0] : !cleave_rt.view<tensor<2xf32>>
  // expected-error @+1 {{argument 1 ('perm') of 'transpose' must be an array<i64>}}
  cleave_rt.kernel "transpose"(%a) [0 : index, array<f32: 0.0>, 0 : index] : !cleave_rt.view<tensor<2xf32>>
}

// -----

// expected-error @+1 {{memory sizes must not be negative}}
cleave_rt.program @p attributes {arena_size = -1 : i64, weights_size = 0 : i64, inputs = [], outputs = []} {
}
