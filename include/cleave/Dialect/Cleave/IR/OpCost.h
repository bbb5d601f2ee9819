//===- OpCost.h - the work an op does ----------------------------*- C++ -*-===//

#ifndef CLEAVE_DIALECT_CLEAVE_IR_OPCOST_H
#define CLEAVE_DIALECT_CLEAVE_IR_OPCOST_H

#include "mlir/IR/OpDefinition.h"
#include "mlir/IR/Operation.h"
#include <cstdint>

namespace cleave::graph {

struct OpCost {
  /// Arithmetic operations (a multiply-add counts two).
  double flops = 0;
  int64_t bytesRead = 0, bytesWritten = 0;
  /// Bytes of constant operands (weights), part of bytesRead.
  int64_t weightBytes = 0;
  /// The kind of kernel that runs it, for per-kind efficiencies: "matmul",
  /// "conv", "dwconv" (grouped), "pool", "norm", "softmax", "eltwise",
  /// "data" or "reduce".
  const char *kind = "eltwise";
};

/// The work of a cleave op from its operand and result types: matrix
/// products and convolutions count their multiply-adds, pooling its windows,
/// normalisations and softmax a few operations per element, elementwise ops
/// one per output element; views (reshape and friends) move nothing.
OpCost estimateCost(mlir::Operation *op);

} // namespace cleave::graph

#include "cleave/Dialect/Cleave/IR/CostInterface.h.inc"

#endif // CLEAVE_DIALECT_CLEAVE_IR_OPCOST_H
