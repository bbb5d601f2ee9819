//===- OpCost.cpp - the work an op does ------------------------------------===//
//
// The defaults of CostOpInterface, and the arithmetic of the ops that have
// a formula of their own (products, convolutions, pooling windows).
//
//===----------------------------------------------------------------------===//

#include "cleave/Dialect/Cleave/IR/OpCost.h"
#include "cleave/Dialect/Cleave/IR/CleaveOps.h"

using namespace mlir;

#include "cleave/Dialect/Cleave/IR/CostInterface.cpp.inc"

namespace cleave::graph {

namespace {

double product(ArrayRef<int64_t> dims) {
  double p = 1;
  for (int64_t d : dims)
    p *= (double)d;
  return p;
}

/// Each output element of a pooling window reads the whole window.
double windowFlops(Operation *op) {
  auto kernel = op->getAttrOfType<DenseI64ArrayAttr>("kernel_shape");
  return numElements(op->getResult(0)) *
         (kernel ? product(kernel.asArrayRef()) : 1);
}

} // namespace

int64_t bytes(Value v) {
  auto type = dyn_cast<RankedTensorType>(v.getType());
  if (!type)
    return 0;
  int64_t width = std::max<int64_t>(type.getElementTypeBitWidth() / 8, 1);
  return type.getNumElements() * width;
}

double numElements(Value value) {
  auto type = dyn_cast<RankedTensorType>(value.getType());
  return type ? (double)type.getNumElements() : 0.0;
}

llvm::StringRef defaultCostKind(Operation *op) {
  return isView(op) || isDataMovement(op) ? "data" : "eltwise";
}

double defaultFlops(Operation *op) {
  if (isView(op) || isDataMovement(op))
    return 0;
  double in = op->getNumOperands() ? numElements(op->getOperand(0)) : 0.0;
  double out = op->getNumResults() ? numElements(op->getResult(0)) : 0.0;
  return std::max(in, out);
}

OpCost estimateCost(Operation *op, llvm::StringRef kind, double flops) {
  OpCost cost;
  cost.kind = kind;
  if (isView(op))
    return cost; // The result is the operand's bytes.
  cost.flops = flops;
  bool partial = op->hasTrait<OpTrait::PartialRead>();
  for (Value operand : op->getOperands()) {
    if (Operation *def = operand.getDefiningOp(); def && isWeights(def))
      cost.weightBytes += bytes(operand);
    if (partial && operand == op->getOperand(0))
      continue;
    cost.bytesRead += bytes(operand);
  }
  if (partial)
    cost.bytesRead += bytes(op->getResult(0));
  for (Value result : op->getResults())
    cost.bytesWritten += bytes(result);
  return cost;
}

double MatMulOp::getFlops() {
  ArrayRef<int64_t> a = getA().getType().getShape();
  int64_t k = getTransposeA() ? a[a.size() - 2] : a.back();
  return 2.0 * numElements(getY()) * k;
}

// An LU factorisation per matrix: 2 M^3 / 3.
double DetOp::getFlops() {
  auto x = getX().getType();
  double m = (double)x.getShape().back();
  return numElements(getY()) * 2.0 * m * m * m / 3.0;
}

double GemmOp::getFlops() {
  auto a = getA().getType();
  int64_t k = getTransA() ? a.getDimSize(0) : a.getDimSize(1);
  return 2.0 * numElements(getY()) * k + numElements(getY());
}

// Each output: C/group input channels times the kernel window.
double ConvOp::getFlops() {
  return 2.0 * numElements(getY()) *
         product(getW().getType().getShape().drop_front());
}

double ConvIntegerOp::getFlops() {
  return 2.0 * numElements(getY()) *
         product(getW().getType().getShape().drop_front());
}

double ConvTransposeOp::getFlops() {
  return 2.0 * numElements(getX()) *
         product(getW().getType().getShape().drop_front());
}

// Grouped (depthwise) convolutions do little work per byte and run far
// from the dense ones' rate: a kind of their own.
llvm::StringRef ConvOp::getCostKind() {
  return getGroup() > 1 ? "dwconv" : "conv";
}

double MaxPoolOp::getFlops() { return windowFlops(getOperation()); }
double AveragePoolOp::getFlops() { return windowFlops(getOperation()); }

} // namespace cleave::graph
