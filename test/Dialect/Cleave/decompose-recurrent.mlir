// RUN: cleave-opt %s --pass-pipeline='builtin.module(func.func(cleave-decompose-recurrent{all=false}))' | FileCheck %s --check-prefix=KEEP
// RUN: cleave-opt %s --pass-pipeline='builtin.module(func.func(cleave-decompose-recurrent))' | FileCheck %s --check-prefix=ALL

// The default LSTM has a fused CPU kernel: it stays whole unless all layers
// are unrolled (training). Unrolled over 2 steps: one input projection for
// the whole sequence, then per step one recurrent product, three sigmoids
// and two tanhs (the candidate and the output's), and the steps' outputs
// stacked into Y.
// KEEP-LABEL: func.func @lstm
// KEEP: cleave.lstm
// ALL-LABEL: func.func @lstm
// ALL-NOT: cleave.lstm
// ALL: cleave.matmul {{.*}}transpose_b{{.*}} : (tensor<2x3x4xf32>, tensor<20x4xf32>) -> tensor<2x3x20xf32>
// ALL-COUNT-2: cleave.matmul {{.*}} : (tensor<3x5xf32>, tensor<20x5xf32>) -> tensor<3x20xf32>
// ALL-NOT: cleave.matmul
// ALL: cleave.concat {{.*}} -> tensor<2x1x3x5xf32>
// ALL: return
func.func @lstm(%x: tensor<2x3x4xf32>, %w: tensor<1x20x4xf32>, %r: tensor<1x20x5xf32>) -> (tensor<2x1x3x5xf32>, tensor<1x3x5xf32>) {
  %none = cleave.none
  %y:3 = cleave.lstm %x, %w, %r, %none, %none, %none, %none, %none {hidden_size = 5 : i64} : (tensor<2x3x4xf32>, tensor<1x20x4xf32>, tensor<1x20x5xf32>, none, none, none, none, none) -> (tensor<2x1x3x5xf32>, tensor<1x3x5xf32>, tensor<1x3x5xf32>)
  return %y#0, %y#2 : tensor<2x1x3x5xf32>, tensor<1x3x5xf32>
}

// Clip has no fused kernel: unrolled either way, each gate clipped.
// KEEP-LABEL: func.func @gru_clip
// KEEP-NOT: cleave.gru
// KEEP-COUNT-3: cleave.clip
// KEEP-NOT: cleave.clip
// KEEP: return
func.func @gru_clip(%x: tensor<1x2x3xf32>, %w: tensor<1x12x3xf32>, %r: tensor<1x12x4xf32>) -> tensor<1x2x4xf32> {
  %none = cleave.none
  %y:2 = cleave.gru %x, %w, %r, %none, %none, %none {clip = 0.5 : f32} : (tensor<1x2x3xf32>, tensor<1x12x3xf32>, tensor<1x12x4xf32>, none, none, none) -> (tensor<1x1x2x4xf32>, tensor<1x2x4xf32>)
  return %y#1 : tensor<1x2x4xf32>
}

// A bidirectional Relu RNN is fused; Y stacks both directions per step.
// KEEP-LABEL: func.func @rnn_bidirectional
// KEEP: cleave.rnn
// ALL-LABEL: func.func @rnn_bidirectional
// ALL-COUNT-6: cleave.relu
// ALL-NOT: cleave.relu
// ALL: return
func.func @rnn_bidirectional(%x: tensor<3x2x3xf32>, %w: tensor<2x4x3xf32>, %r: tensor<2x4x4xf32>) -> tensor<3x2x2x4xf32> {
  %none = cleave.none
  %y:2 = cleave.rnn %x, %w, %r, %none, %none, %none {activations = ["Relu", "Relu"], direction = "bidirectional"} : (tensor<3x2x3xf32>, tensor<2x4x3xf32>, tensor<2x4x4xf32>, none, none, none) -> (tensor<3x2x2x4xf32>, tensor<2x2x4xf32>)
  return %y#0 : tensor<3x2x2x4xf32>
}
