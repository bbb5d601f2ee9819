// RUN: cleave-opt %s --split-input-file --verify-diagnostics

func.func @wrong_result_type(%x: tensor<2x3xf32>) -> tensor<3x2xf32> {
  // expected-error @+2 {{'cleave.relu' op inferred type(s) 'tensor<2x3xf32>' are incompatible with return type(s) of operation 'tensor<3x2xf32>'}}
  // expected-error @+1 {{failed to infer returned types}}
  %0 = cleave.relu %x : (tensor<2x3xf32>) -> tensor<3x2xf32>
  return %0 : tensor<3x2xf32>
}

// -----

func.func @no_broadcast(%a: tensor<2x3xf32>, %b: tensor<4xf32>) -> tensor<2x3xf32> {
  // expected-error @+2 {{input shapes do not broadcast: [2, 3] and [4]}}
  // expected-error @+1 {{failed to infer returned types}}
  %0 = cleave.add %a, %b : (tensor<2x3xf32>, tensor<4xf32>) -> tensor<2x3xf32>
  return %0 : tensor<2x3xf32>
}

// -----

func.func @mixed_element_types(%a: tensor<2xf32>, %b: tensor<2xf16>) -> tensor<2xf32> {
  // expected-error @+2 {{inputs have different element types}}
  // expected-error @+1 {{failed to infer returned types}}
  %0 = cleave.mul %a, %b : (tensor<2xf32>, tensor<2xf16>) -> tensor<2xf32>
  return %0 : tensor<2xf32>
}

// -----

func.func @float_only(%x: tensor<2xi32>) -> tensor<2xi32> {
  // expected-error @+1 {{operand #0 must be statically shaped tensor of 16-bit float or bfloat16 type or 32-bit float or 64-bit float values}}
  %0 = cleave.exp %x : (tensor<2xi32>) -> tensor<2xi32>
  return %0 : tensor<2xi32>
}

// -----

func.func @dynamic_shape(%x: tensor<?xf32>) -> tensor<?xf32> {
  // expected-error @+1 {{operand #0 must be statically shaped tensor}}
  %0 = cleave.relu %x : (tensor<?xf32>) -> tensor<?xf32>
  return %0 : tensor<?xf32>
}

// -----

func.func @softmax_axis(%x: tensor<2x3xf32>) -> tensor<2x3xf32> {
  // expected-error @+1 {{axis 2 is out of range for rank 2}}
  %0 = cleave.softmax %x {axis = 2 : i64} : (tensor<2x3xf32>) -> tensor<2x3xf32>
  return %0 : tensor<2x3xf32>
}

// -----

func.func @gelu_mode(%x: tensor<2xf32>) -> tensor<2xf32> {
  // expected-error @+1 {{attribute 'approximate' failed to satisfy constraint: ONNX Gelu approximate ('none', 'tanh')}}
  %0 = cleave.gelu %x {approximate = "fast"} : (tensor<2xf32>) -> tensor<2xf32>
  return %0 : tensor<2xf32>
}

// -----

func.func @reshape_not_constant(%x: tensor<6xf32>, %s: tensor<2xi64>) -> tensor<2x4x1xf32> {
  // A shape that is not a constant gives unknown dims: the declared type
  // must still have the rank the shape operand gives.
  // expected-error @+2 {{'cleave.reshape' op inferred type(s) 'tensor<?x?xf32>' are incompatible with return type(s) of operation 'tensor<2x4x1xf32>'}}
  // expected-error @+1 {{failed to infer returned types}}
  %0 = cleave.reshape %x, %s : (tensor<6xf32>, tensor<2xi64>) -> tensor<2x4x1xf32>
  return %0 : tensor<2x4x1xf32>
}

// -----

func.func @reshape_count(%x: tensor<6xf32>) -> tensor<4x2xf32> {
  %s = cleave.constant dense<[4, 2]> : tensor<2xi64>
  // expected-error @+2 {{cannot reshape 6 elements into 8}}
  // expected-error @+1 {{failed to infer returned types}}
  %0 = cleave.reshape %x, %s : (tensor<6xf32>, tensor<2xi64>) -> tensor<4x2xf32>
  return %0 : tensor<4x2xf32>
}

// -----

func.func @reshape_two_minus_one(%x: tensor<6xf32>) -> tensor<6xf32> {
  %s = cleave.constant dense<[-1, -1]> : tensor<2xi64>
  // expected-error @+2 {{shape has more than one -1}}
  // expected-error @+1 {{failed to infer returned types}}
  %0 = cleave.reshape %x, %s : (tensor<6xf32>, tensor<2xi64>) -> tensor<6xf32>
  return %0 : tensor<6xf32>
}

// -----

func.func @transpose_perm(%x: tensor<2x3xf32>) -> tensor<3x2xf32> {
  // expected-error @+2 {{perm is not a permutation of 0..1}}
  // expected-error @+1 {{failed to infer returned types}}
  %0 = cleave.transpose %x {perm = array<i64: 0, 0>} : (tensor<2x3xf32>) -> tensor<3x2xf32>
  return %0 : tensor<3x2xf32>
}

// -----

func.func @concat_mismatch(%a: tensor<2x3xf32>, %b: tensor<3x3xf32>) -> tensor<2x6xf32> {
  // expected-error @+2 {{inputs differ in dimension 0 outside the concatenation axis}}
  // expected-error @+1 {{failed to infer returned types}}
  %0 = cleave.concat %a, %b {axis = 1 : i64} : (tensor<2x3xf32>, tensor<3x3xf32>) -> tensor<2x6xf32>
  return %0 : tensor<2x6xf32>
}

// -----

func.func @matmul_contraction(%a: tensor<2x3xf32>, %b: tensor<4x5xf32>) -> tensor<2x5xf32> {
  // expected-error @+2 {{contracting dimensions differ (3 and 4)}}
  // expected-error @+1 {{failed to infer returned types}}
  %0 = cleave.matmul %a, %b : (tensor<2x3xf32>, tensor<4x5xf32>) -> tensor<2x5xf32>
  return %0 : tensor<2x5xf32>
}

// -----

func.func @conv_groups(%x: tensor<1x4x8x8xf32>, %w: tensor<8x3x3x3xf32>) -> tensor<1x8x6x6xf32> {
  %none = cleave.none
  // expected-error @+2 {{X has 4 channels but W expects 3 per group for 1 groups}}
  // expected-error @+1 {{failed to infer returned types}}
  %0 = cleave.conv %x, %w, %none : (tensor<1x4x8x8xf32>, tensor<8x3x3x3xf32>, none) -> tensor<1x8x6x6xf32>
  return %0 : tensor<1x8x6x6xf32>
}

// -----

func.func @conv_residual(%x: tensor<1x4x8x8xf32>, %w: tensor<8x4x3x3xf32>, %z: tensor<1x8x8x6xf32>) -> tensor<1x8x6x6xf32> {
  %none = cleave.none
  // expected-error @+2 {{Z must have the output's shape}}
  // expected-error @+1 {{failed to infer returned types}}
  %0 = cleave.conv %x, %w, %none, %z : (tensor<1x4x8x8xf32>, tensor<8x4x3x3xf32>, none, tensor<1x8x8x6xf32>) -> tensor<1x8x6x6xf32>
  return %0 : tensor<1x8x6x6xf32>
}

// -----

func.func @conv_clip(%x: tensor<1x4x8x8xf32>, %w: tensor<8x4x3x3xf32>) -> tensor<1x8x6x6xf32> {
  %none = cleave.none
  // expected-error @+2 {{fused_clip must be [lo, hi] with lo <= hi}}
  // expected-error @+1 {{failed to infer returned types}}
  %0 = cleave.conv %x, %w, %none {fused_clip = array<f32: 1.0, 0.0>} : (tensor<1x4x8x8xf32>, tensor<8x4x3x3xf32>, none) -> tensor<1x8x6x6xf32>
  return %0 : tensor<1x8x6x6xf32>
}

// -----

func.func @pool_kernel(%x: tensor<1x1x4x4xf32>) -> tensor<1x1x4x4xf32> {
  // expected-error @+2 {{kernel_shape is required}}
  // expected-error @+1 {{failed to infer returned types}}
  %0 = cleave.average_pool %x : (tensor<1x1x4x4xf32>) -> tensor<1x1x4x4xf32>
  return %0 : tensor<1x1x4x4xf32>
}

// -----

func.func @split_sizes(%x: tensor<6xf32>) -> (tensor<2xf32>, tensor<2xf32>) {
  %s = cleave.constant dense<[2, 2]> : tensor<2xi64>
  // expected-error @+2 {{split sizes add up to 4 but the axis has size 6}}
  // expected-error @+1 {{failed to infer returned types}}
  %0:2 = cleave.split %x, %s : (tensor<6xf32>, tensor<2xi64>) -> (tensor<2xf32>, tensor<2xf32>)
  return %0#0, %0#1 : tensor<2xf32>, tensor<2xf32>
}

// -----

func.func @squeeze_non_unit(%x: tensor<2x3xf32>) -> tensor<3xf32> {
  %axes = cleave.constant dense<[0]> : tensor<1xi64>
  // expected-error @+2 {{cannot squeeze axis 0 of size 2}}
  // expected-error @+1 {{failed to infer returned types}}
  %0 = cleave.squeeze %x, %axes : (tensor<2x3xf32>, tensor<1xi64>) -> tensor<3xf32>
  return %0 : tensor<3xf32>
}

// -----

func.func @where_types(%c: tensor<2xi1>, %x: tensor<2xf32>, %y: tensor<2xi32>) -> tensor<2xf32> {
  // expected-error @+1 {{X and Y must have the same element type}}
  %0 = cleave.where %c, %x, %y : (tensor<2xi1>, tensor<2xf32>, tensor<2xi32>) -> tensor<2xf32>
  return %0 : tensor<2xf32>
}

// -----

// expected-error @+1 {{'cleave.name' must be a string}}
func.func @name_not_string(%x: tensor<2xf32> {cleave.name = 3 : i64}) {
  return
}

// -----

// expected-error @+1 {{unknown attribute 'cleave.other' on a function argument or result}}
func.func @unknown_arg_attr(%x: tensor<2xf32> {cleave.other = "x"}) {
  return
}

// -----

func.func @offsets_per_result(%x: tensor<2xf32>) -> tensor<2xf32> {
  // expected-error @+1 {{'cleave.arena_offsets' must list one offset per result}}
  %0 = cleave.relu %x {cleave.arena_offsets = array<i64: 0, 64>} : (tensor<2xf32>) -> tensor<2xf32>
  return %0 : tensor<2xf32>
}

// -----

// expected-error @+1 {{unknown attribute 'cleave.arena'}}
func.func @unknown_op_attr() attributes {cleave.arena = 1 : i64} {
  return
}

// -----

func.func @gather_nd_index_too_long(%x: tensor<4x6xf32>, %i: tensor<3x3xi64>) -> tensor<3xf32> {
  // expected-error @+2 {{the indices' last dimension (3) must be 1 to data's rank less batch_dims (2)}}
  // expected-error @+1 {{failed to infer returned types}}
  %0 = cleave.gather_nd %x, %i : (tensor<4x6xf32>, tensor<3x3xi64>) -> tensor<3xf32>
  return %0 : tensor<3xf32>
}

// -----

func.func @gather_nd_batch_mismatch(%x: tensor<4x6xf32>, %i: tensor<3x1xi64>) -> tensor<3xf32> {
  // expected-error @+2 {{data and indices differ in their batch dims}}
  // expected-error @+1 {{failed to infer returned types}}
  %0 = cleave.gather_nd %x, %i {batch_dims = 1 : i64} : (tensor<4x6xf32>, tensor<3x1xi64>) -> tensor<3xf32>
  return %0 : tensor<3xf32>
}

// -----

func.func @scatter_nd_bad_updates(%x: tensor<4x6xf32>, %i: tensor<3x1xi64>, %u: tensor<3x5xf32>) -> tensor<4x6xf32> {
  // expected-error @+2 {{updates must be 'tensor<3x6xf32>' (indices' shape without the last axis, then data's after axis 0)}}
  // expected-error @+1 {{failed to infer returned types}}
  %0 = cleave.scatter_nd %x, %i, %u : (tensor<4x6xf32>, tensor<3x1xi64>, tensor<3x5xf32>) -> tensor<4x6xf32>
  return %0 : tensor<4x6xf32>
}

// -----

func.func @scatter_elements_types(%x: tensor<4x6xf32>, %i: tensor<4x2xi64>, %u: tensor<4x2xf16>) -> tensor<4x6xf32> {
  // expected-error @+2 {{data and updates differ in element type}}
  // expected-error @+1 {{failed to infer returned types}}
  %0 = cleave.scatter_elements %x, %i, %u {axis = 1 : i64} : (tensor<4x6xf32>, tensor<4x2xi64>, tensor<4x2xf16>) -> tensor<4x6xf32>
  return %0 : tensor<4x6xf32>
}

// -----

func.func @scatter_elements_shapes(%x: tensor<4x6xf32>, %i: tensor<5x2xi64>, %u: tensor<5x2xf32>) -> tensor<4x6xf32> {
  // expected-error @+2 {{indices' dimension 0 (5) exceeds data's (4)}}
  // expected-error @+1 {{failed to infer returned types}}
  %0 = cleave.scatter_elements %x, %i, %u {axis = 1 : i64} : (tensor<4x6xf32>, tensor<5x2xi64>, tensor<5x2xf32>) -> tensor<4x6xf32>
  return %0 : tensor<4x6xf32>
}

// -----

func.func @scatter_reduction(%x: tensor<4xf32>, %i: tensor<4xi64>) -> tensor<4xf32> {
  // expected-error @+1 {{reduction}}
  %0 = cleave.scatter_elements %x, %i, %x {reduction = "sum"} : (tensor<4xf32>, tensor<4xi64>, tensor<4xf32>) -> tensor<4xf32>
  return %0 : tensor<4xf32>
}

// -----

func.func @rnn_direction(%x: tensor<3x2x3xf32>, %w: tensor<1x4x3xf32>, %r: tensor<1x4x4xf32>) {
  %none = cleave.none
  // expected-error @+1 {{direction 'sideways' is not forward, reverse or bidirectional}}
  %y:2 = cleave.rnn %x, %w, %r, %none, %none, %none {direction = "sideways"} : (tensor<3x2x3xf32>, tensor<1x4x3xf32>, tensor<1x4x4xf32>, none, none, none) -> (tensor<3x1x2x4xf32>, tensor<1x2x4xf32>)
  return
}

// -----

func.func @gru_r_shape(%x: tensor<3x2x3xf32>, %w: tensor<1x12x3xf32>, %r: tensor<1x8x4xf32>) {
  %none = cleave.none
  // expected-error @+1 {{R has shape [1, 8, 4], not [num_directions, 3 * 4, 4]}}
  %y:2 = cleave.gru %x, %w, %r, %none, %none, %none : (tensor<3x2x3xf32>, tensor<1x12x3xf32>, tensor<1x8x4xf32>, none, none, none) -> (tensor<3x1x2x4xf32>, tensor<1x2x4xf32>)
  return
}

// -----

func.func @lstm_activations(%x: tensor<3x2x3xf32>, %w: tensor<1x16x3xf32>, %r: tensor<1x16x4xf32>) {
  %none = cleave.none
  // expected-error @+1 {{has 2 activations; it needs 3}}
  %y:3 = cleave.lstm %x, %w, %r, %none, %none, %none, %none, %none {activations = ["Sigmoid", "Tanh"]} : (tensor<3x2x3xf32>, tensor<1x16x3xf32>, tensor<1x16x4xf32>, none, none, none, none, none) -> (tensor<3x1x2x4xf32>, tensor<1x2x4xf32>, tensor<1x2x4xf32>)
  return
}

// -----

func.func @grid_sample_grid(%x: tensor<1x3x8x8xf32>, %grid: tensor<1x4x4x3xf32>) {
  // expected-error @+2 {{grid must be [N, spatial out..., 2] for X of rank 4}}
  // expected-error @+1 {{failed to infer returned types}}
  %y = cleave.grid_sample %x, %grid : (tensor<1x3x8x8xf32>, tensor<1x4x4x3xf32>) -> tensor<1x3x4x4xf32>
  return
}

// -----

func.func @roi_align_indices(%x: tensor<2x3x8x8xf32>, %rois: tensor<4x4xf32>, %batch: tensor<3xi64>) {
  // expected-error @+2 {{batch_indices must be [num_rois] (4)}}
  // expected-error @+1 {{failed to infer returned types}}
  %y = cleave.roi_align %x, %rois, %batch : (tensor<2x3x8x8xf32>, tensor<4x4xf32>, tensor<3xi64>) -> tensor<4x3x1x1xf32>
  return
}

// -----

func.func @roi_align_mode(%x: tensor<2x3x8x8xf32>, %rois: tensor<4x4xf32>, %batch: tensor<4xi64>) {
  // expected-error @+1 {{mode}}
  %y = cleave.roi_align %x, %rois, %batch {mode = "min"} : (tensor<2x3x8x8xf32>, tensor<4x4xf32>, tensor<4xi64>) -> tensor<4x3x1x1xf32>
  return
}
