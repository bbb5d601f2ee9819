// RUN: cleave-opt %s --split-input-file --verify-diagnostics

func.func @read_early() -> tensor<4xf32> {
  %g = cleave.recv_start {peer = 1 : i64, tag = 0 : i64} : tensor<4xf32>
  // expected-error @+1 {{reads a received tensor before its cleave.recv_wait}}
  %h = cleave.relu %g : (tensor<4xf32>) -> tensor<4xf32>
  cleave.recv_wait %g {peer = 1 : i64, tag = 0 : i64} : tensor<4xf32>
  return %h : tensor<4xf32>
}

// -----

func.func @never_waited() -> tensor<4xf32> {
  // expected-error @+1 {{has no cleave.recv_wait}}
  %g = cleave.recv_start {peer = 1 : i64, tag = 0 : i64} : tensor<4xf32>
  return %g : tensor<4xf32>
}

// -----

func.func @other_tag() -> tensor<4xf32> {
  // expected-error @+1 {{is waited for with another peer or tag}}
  %g = cleave.recv_start {peer = 1 : i64, tag = 0 : i64} : tensor<4xf32>
  cleave.recv_wait %g {peer = 1 : i64, tag = 2 : i64} : tensor<4xf32>
  return %g : tensor<4xf32>
}

// -----

func.func @not_posted(%x: tensor<4xf32>) -> tensor<4xf32> {
  // expected-error @+1 {{waits for a tensor no cleave.recv_start posted}}
  cleave.recv_wait %x {peer = 1 : i64, tag = 0 : i64} : tensor<4xf32>
  return %x : tensor<4xf32>
}
