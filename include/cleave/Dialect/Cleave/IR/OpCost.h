//===- OpCost.h - the work an op does ----------------------------*- C++ -*-===//

#ifndef CLEAVE_DIALECT_CLEAVE_IR_OPCOST_H
#define CLEAVE_DIALECT_CLEAVE_IR_OPCOST_H

#include "cleave/Dialect/Cleave/IR/CleaveTraits.h"
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
  /// The kind of kernel that runs it (CostOpInterface::getCostKind).
  llvm::StringRef kind = "eltwise";
};

/// What a collective sends over the link between the replicas of its
/// device, per replica (CostOpInterface::getLinkTraffic).
struct LinkTraffic {
  double bytes = 0;
  /// Messages sent one after another, each waiting out the link's latency.
  int64_t messages = 0;
};

/// Bytes of a ranked tensor value (at least one per element; 0 for
/// anything else).
int64_t bytes(mlir::Value value);

/// Elements of a ranked tensor value (0 for anything else).
double numElements(mlir::Value value);

/// CostOpInterface's defaults: "data" for views and data movement, else
/// "eltwise"; no arithmetic for views and data movement, else one
/// operation per element of the larger of operand 0 and result 0.
llvm::StringRef defaultCostKind(mlir::Operation *op);
double defaultFlops(mlir::Operation *op);

/// The work of `op` given its kind and arithmetic: the bytes of its
/// operands (only what it returns of operand 0 for a PartialRead) and
/// results, and of the constants among the operands; views move nothing.
OpCost estimateCost(mlir::Operation *op, llvm::StringRef kind, double flops);

} // namespace cleave::graph

#include "cleave/Dialect/Cleave/IR/CostInterface.h.inc"

#endif // CLEAVE_DIALECT_CLEAVE_IR_OPCOST_H
