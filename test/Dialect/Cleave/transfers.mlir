// RUN: cleave-opt %s --cleave-insert-transfers | FileCheck %s --check-prefix=INSERT
// RUN: cleave-opt %s --cleave-insert-transfers --cleave-split-devices | FileCheck %s --check-prefix=SPLIT

// %a (device 0) is read on devices 1 (twice) and 2: one pair per
// destination, each receive right before its device's first reader. %b
// (device 1) is read on device 2. The graph input %x is read on devices 0
// and 2 and goes to both as an argument.
// INSERT-LABEL: func.func @main
// INSERT: %[[A:.*]] = cleave.relu %arg0 {cleave.device = 0 : i64}
// INSERT-NEXT: cleave.send %[[A]] {cleave.device = 0 : i64, peer = 1 : i64, tag = 0 : i64}
// INSERT-NEXT: cleave.send %[[A]] {cleave.device = 0 : i64, peer = 2 : i64, tag = 1 : i64}
// INSERT-NEXT: %[[R1:.*]] = cleave.recv {cleave.device = 1 : i64, peer = 0 : i64, tag = 0 : i64}
// INSERT-NEXT: %[[B:.*]] = cleave.exp %[[R1]] {cleave.device = 1 : i64}
// INSERT-NEXT: cleave.send %[[B]] {cleave.device = 1 : i64, peer = 2 : i64, tag = 2 : i64}
// INSERT-NEXT: %[[C:.*]] = cleave.add %[[R1]], %[[B]] {cleave.device = 1 : i64}
// INSERT-NEXT: %[[R2:.*]] = cleave.recv {cleave.device = 2 : i64, peer = 0 : i64, tag = 1 : i64}
// INSERT-NEXT: %[[R3:.*]] = cleave.recv {cleave.device = 2 : i64, peer = 1 : i64, tag = 2 : i64}
// INSERT-NEXT: %[[D:.*]] = cleave.sum %[[R2]], %[[R3]], %arg0 {cleave.device = 2 : i64}
// Nothing comes back to the senders: their sends are waited for at the
// end (transfers-send-done.mlir has the other case).
// INSERT-NEXT: cleave.send_done %[[A]] {cleave.device = 0 : i64, peer = 1 : i64, tag = 0 : i64}
// INSERT-NEXT: cleave.send_done %[[A]] {cleave.device = 0 : i64, peer = 2 : i64, tag = 1 : i64}
// INSERT-NEXT: cleave.send_done %[[B]] {cleave.device = 1 : i64, peer = 2 : i64, tag = 2 : i64}
// INSERT-NEXT: return %[[C]], %[[D]]

// SPLIT-LABEL: func.func @device_0(%arg0: tensor<4xf32> {cleave.name = "x"}) attributes {cleave.device = 0 : i64}
// SPLIT-NEXT: %[[A:.*]] = cleave.relu %arg0 :
// SPLIT-NEXT: cleave.send %[[A]] {peer = 1 : i64, tag = 0 : i64}
// SPLIT-NEXT: cleave.send %[[A]] {peer = 2 : i64, tag = 1 : i64}
// SPLIT-NEXT: cleave.send_done %[[A]] {peer = 1 : i64, tag = 0 : i64}
// SPLIT-NEXT: cleave.send_done %[[A]] {peer = 2 : i64, tag = 1 : i64}
// SPLIT-NEXT: return
// SPLIT-LABEL: func.func @device_1() -> (tensor<4xf32> {cleave.name = "c"}) attributes {cleave.device = 1 : i64}
// SPLIT-NEXT: %[[R:.*]] = cleave.recv {peer = 0 : i64, tag = 0 : i64}
// SPLIT-NEXT: %[[B:.*]] = cleave.exp %[[R]]
// SPLIT-NEXT: cleave.send %[[B]] {peer = 2 : i64, tag = 2 : i64}
// SPLIT-NEXT: %[[C:.*]] = cleave.add %[[R]], %[[B]]
// SPLIT-NEXT: cleave.send_done %[[B]] {peer = 2 : i64, tag = 2 : i64}
// SPLIT-NEXT: return %[[C]]
// SPLIT-LABEL: func.func @device_2(%arg0: tensor<4xf32> {cleave.name = "x"}) -> (tensor<4xf32> {cleave.name = "d"}) attributes {cleave.device = 2 : i64}
// SPLIT: cleave.sum
// SPLIT-NOT: func.func @main
func.func @main(%x: tensor<4xf32> {cleave.name = "x"}) -> (tensor<4xf32> {cleave.name = "c"}, tensor<4xf32> {cleave.name = "d"}) {
  %a = cleave.relu %x {cleave.device = 0 : i64} : (tensor<4xf32>) -> tensor<4xf32>
  %b = cleave.exp %a {cleave.device = 1 : i64} : (tensor<4xf32>) -> tensor<4xf32>
  %c = cleave.add %a, %b {cleave.device = 1 : i64} : (tensor<4xf32>, tensor<4xf32>) -> tensor<4xf32>
  %d = cleave.sum %a, %b, %x {cleave.device = 2 : i64} : (tensor<4xf32>, tensor<4xf32>, tensor<4xf32>) -> tensor<4xf32>
  return %c, %d : tensor<4xf32>, tensor<4xf32>
}

