// RUN: cleave-opt %s --cleave-plan-memory --split-input-file | FileCheck %s
// RUN: cleave-opt %s --cleave-plan-memory=in-place=false --split-input-file | FileCheck %s --check-prefix=NOREUSE

// A chain of same-size elementwise ops runs in one buffer, in place; each
// result dies at the next op.
// The bytes in use at each op (the trace's arena counter): one buffer
// throughout, the returned value's to the end.
// CHECK-LABEL: func.func @chain
// CHECK-SAME:    cleave.arena_in_use = array<i64: 64, 64, 64, 64>
// CHECK-SAME:    cleave.arena_size = 64 : i64
// CHECK:         cleave.relu {{.*}}cleave.arena_offsets = array<i64: 0>
// CHECK-NOT:     cleave.in_place
// CHECK:         cleave.sigmoid {{.*}}cleave.arena_offsets = array<i64: 0>, cleave.in_place
// CHECK:         cleave.tanh {{.*}}cleave.arena_offsets = array<i64: 0>, cleave.in_place
// Without in-place reuse, each result needs a fresh buffer while its input
// is alive: two buffers alternate.
// NOREUSE-LABEL: func.func @chain
// NOREUSE-SAME:    cleave.arena_size = 128 : i64
// NOREUSE:         cleave.relu {{.*}}array<i64: 0>
// NOREUSE:         cleave.sigmoid {{.*}}array<i64: 64>
// NOREUSE:         cleave.tanh {{.*}}array<i64: 0>
func.func @chain(%x: tensor<4x4xf32>) -> tensor<4x4xf32> {
  %0 = cleave.relu %x : (tensor<4x4xf32>) -> tensor<4x4xf32>
  %1 = cleave.sigmoid %0 : (tensor<4x4xf32>) -> tensor<4x4xf32>
  %2 = cleave.tanh %1 : (tensor<4x4xf32>) -> tensor<4x4xf32>
  return %2 : tensor<4x4xf32>
}

// -----

// An operand still used later is not overwritten: %0 feeds both the
// sigmoid and the add, so the sigmoid gets its own buffer; the add then
// reuses %0's, which dies there.
// CHECK-LABEL: func.func @fan_out
// CHECK-SAME:    cleave.arena_in_use = array<i64: 64, 128, 128, 64>
// CHECK-SAME:    cleave.arena_size = 128 : i64
// CHECK:         cleave.relu {{.*}}array<i64: 0>
// CHECK:         cleave.sigmoid {{.*}}cleave.arena_offsets = array<i64: 64>}
// CHECK:         cleave.add {{.*}}cleave.arena_offsets = array<i64: 0>, cleave.in_place
func.func @fan_out(%x: tensor<4x4xf32>) -> tensor<4x4xf32> {
  %0 = cleave.relu %x : (tensor<4x4xf32>) -> tensor<4x4xf32>
  %1 = cleave.sigmoid %0 : (tensor<4x4xf32>) -> tensor<4x4xf32>
  %2 = cleave.add %0, %1 : (tensor<4x4xf32>, tensor<4x4xf32>) -> tensor<4x4xf32>
  return %2 : tensor<4x4xf32>
}

// -----

// A reshape is a view: it shares its source's buffer, and keeps it alive.
// Graph inputs and weights are not in the arena.
// CHECK-LABEL: func.func @views
// CHECK-SAME:    cleave.arena_size = 128 : i64
// CHECK:         cleave.matmul {{.*}}cleave.arena_offsets = array<i64: [[M:[0-9]+]]>
// CHECK:         cleave.reshape {{.*}}cleave.arena_offsets = array<i64: [[M]]>
// CHECK-NOT:     cleave.in_place
// CHECK:         cleave.exp {{.*}}cleave.arena_offsets = array<i64: [[E:[0-9]+]]>
// CHECK:         cleave.add {{.*}}cleave.arena_offsets = array<i64: [[E]]>, cleave.in_place
func.func @views(%x: tensor<2x8xf32>) -> tensor<16xf32> {
  %w = cleave.constant dense<1.0> : tensor<8x8xf32>
  %shape = cleave.constant dense<[16]> : tensor<1xi64>
  %0 = cleave.matmul %x, %w : (tensor<2x8xf32>, tensor<8x8xf32>) -> tensor<2x8xf32>
  %1 = cleave.reshape %0, %shape : (tensor<2x8xf32>, tensor<1xi64>) -> tensor<16xf32>
  %2 = cleave.exp %1 : (tensor<16xf32>) -> tensor<16xf32>
  %3 = cleave.add %2, %1 : (tensor<16xf32>, tensor<16xf32>) -> tensor<16xf32>
  return %3 : tensor<16xf32>
}

// -----

// Types that differ are never shared (the compare makes i1), and a larger
// buffer freed early is reused for later, smaller ones: 4096 bytes for the
// exp, 128 for the sum beside it (both alive at the sum), then the 32-byte
// mask back at 0.
// CHECK-LABEL: func.func @sizes
// CHECK-SAME:    cleave.arena_size = 4224 : i64
// CHECK:         cleave.exp {{.*}}array<i64: 0>
// CHECK:         cleave.reduce_sum {{.*}}array<i64: 4096>
// CHECK:         cleave.less {{.*}}array<i64: 0>
func.func @sizes(%x: tensor<32x32xf32>) -> tensor<32x1xi1> {
  %none = cleave.none
  %0 = cleave.exp %x : (tensor<32x32xf32>) -> tensor<32x32xf32>
  %axes = cleave.constant dense<[1]> : tensor<1xi64>
  %1 = cleave.reduce_sum %0, %axes : (tensor<32x32xf32>, tensor<1xi64>) -> tensor<32x1xf32>
  %zero = cleave.constant dense<0.0> : tensor<f32>
  %2 = cleave.less %1, %zero : (tensor<32x1xf32>, tensor<f32>) -> tensor<32x1xi1>
  return %2 : tensor<32x1xi1>
}

// -----

// A scatter updates its data in place when nothing reads the data later
// (the UpdatesOperand trait).
// CHECK-LABEL: func.func @scatter_in_place
// CHECK:         cleave.relu {{.*}}cleave.arena_offsets = array<i64: [[D:[0-9]+]]>
// CHECK:         cleave.scatter_nd {{.*}}cleave.arena_offsets = array<i64: [[D]]>
// CHECK:         cleave.scatter_elements {{.*}}cleave.arena_offsets = array<i64: [[D]]>
// NOREUSE-LABEL: func.func @scatter_in_place
// NOREUSE:         cleave.relu {{.*}}cleave.arena_offsets = array<i64: [[D:[0-9]+]]>
// NOREUSE-NOT:     cleave.scatter_nd {{.*}}array<i64: [[D]]>
// NOREUSE:         cleave.scatter_elements
func.func @scatter_in_place(%x: tensor<4x4xf32>, %i: tensor<2x1xi64>, %u: tensor<2x4xf32>, %j: tensor<4x4xi64>, %v: tensor<4x4xf32>) -> tensor<4x4xf32> {
  %0 = cleave.relu %x : (tensor<4x4xf32>) -> tensor<4x4xf32>
  %1 = cleave.scatter_nd %0, %i, %u : (tensor<4x4xf32>, tensor<2x1xi64>, tensor<2x4xf32>) -> tensor<4x4xf32>
  %2 = cleave.scatter_elements %1, %j, %v {reduction = "add"} : (tensor<4x4xf32>, tensor<4x4xi64>, tensor<4x4xf32>) -> tensor<4x4xf32>
  return %2 : tensor<4x4xf32>
}

// -----

// Not when the data is read again later...
// CHECK-LABEL: func.func @scatter_data_read_later
// CHECK:         cleave.relu {{.*}}cleave.arena_offsets = array<i64: [[D:[0-9]+]]>
// CHECK-NOT:     cleave.scatter_nd {{.*}}array<i64: [[D]]>
// CHECK:         cleave.add
func.func @scatter_data_read_later(%x: tensor<4x4xf32>, %i: tensor<2x1xi64>, %u: tensor<2x4xf32>) -> tensor<4x4xf32> {
  %0 = cleave.relu %x : (tensor<4x4xf32>) -> tensor<4x4xf32>
  %1 = cleave.scatter_nd %0, %i, %u : (tensor<4x4xf32>, tensor<2x1xi64>, tensor<2x4xf32>) -> tensor<4x4xf32>
  %2 = cleave.add %1, %0 : (tensor<4x4xf32>, tensor<4x4xf32>) -> tensor<4x4xf32>
  return %2 : tensor<4x4xf32>
}

// -----

// ...nor when the data is also the updates (the kernel reads them while it
// writes).
// CHECK-LABEL: func.func @scatter_into_itself
// CHECK:         cleave.relu {{.*}}cleave.arena_offsets = array<i64: [[D:[0-9]+]]>
// CHECK-NOT:     array<i64: [[D]]>
// CHECK:         return
func.func @scatter_into_itself(%x: tensor<4x4xf32>, %j: tensor<4x4xi64>) -> tensor<4x4xf32> {
  %0 = cleave.relu %x : (tensor<4x4xf32>) -> tensor<4x4xf32>
  %1 = cleave.scatter_elements %0, %j, %0 : (tensor<4x4xf32>, tensor<4x4xi64>, tensor<4x4xf32>) -> tensor<4x4xf32>
  return %1 : tensor<4x4xf32>
}

// -----

// A softmax (InPlace) overwrites its input where nothing reads it later;
// the second reads x, which the return still needs, so it gets a buffer
// of its own. A layer norm's Y takes X's buffer, its statistics their own.
// CHECK-LABEL: func.func @rows_in_place
// CHECK:         %[[S:.*]] = cleave.softmax {{.*}}cleave.arena_offsets = array<i64: [[A:[0-9]+]]>, cleave.in_place
// CHECK:         cleave.layer_normalization %[[S]], {{.*}}cleave.arena_offsets = array<i64: [[A]], {{[0-9]+}}, {{[0-9]+}}>, cleave.in_place
// CHECK:         cleave.softmax %arg0
// CHECK-NOT:     cleave.in_place
// CHECK:         return
func.func @rows_in_place(%x: tensor<4x8xf32>, %g: tensor<8xf32>) -> (tensor<4x8xf32>, tensor<4x8xf32>, tensor<4x8xf32>) {
  %none = cleave.none
  %0 = cleave.exp %x : (tensor<4x8xf32>) -> tensor<4x8xf32>
  %1 = cleave.softmax %0 : (tensor<4x8xf32>) -> tensor<4x8xf32>
  %2:3 = cleave.layer_normalization %1, %g, %none : (tensor<4x8xf32>, tensor<8xf32>, none) -> (tensor<4x8xf32>, tensor<4x1xf32>, tensor<4x1xf32>)
  %3 = cleave.softmax %x : (tensor<4x8xf32>) -> tensor<4x8xf32>
  return %2#0, %3, %x : tensor<4x8xf32>, tensor<4x8xf32>, tensor<4x8xf32>
}
