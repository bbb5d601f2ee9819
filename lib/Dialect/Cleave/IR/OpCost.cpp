//===- OpCost.cpp - the work an op does ------------------------------------===//

#include "cleave/Dialect/Cleave/IR/OpCost.h"
#include "cleave/Dialect/Cleave/IR/CleaveOps.h"
#include "llvm/ADT/TypeSwitch.h"

using namespace mlir;

#include "cleave/Dialect/Cleave/IR/CostInterface.cpp.inc"

namespace cleave::graph {

namespace {

int64_t elements(Value v) {
  auto type = dyn_cast<RankedTensorType>(v.getType());
  return type ? type.getNumElements() : 0;
}

int64_t bytes(Value v) {
  auto type = dyn_cast<RankedTensorType>(v.getType());
  if (!type)
    return 0;
  int64_t width = std::max<int64_t>(type.getElementTypeBitWidth() / 8, 1);
  return type.getNumElements() * width;
}

int64_t product(ArrayRef<int64_t> dims) {
  int64_t p = 1;
  for (int64_t d : dims)
    p *= d;
  return p;
}

/// Arithmetic of `op` (see estimateCost).
double flopsOf(Operation *op) {
  auto resultElements = [&] {
    return op->getNumResults() ? (double)elements(op->getResult(0)) : 0.0;
  };
  return llvm::TypeSwitch<Operation *, double>(op)
      // Views and data movement compute nothing.
      .Case<ReshapeOp, SqueezeOp, UnsqueezeOp, FlattenOp, IdentityOp,
            TransposeOp, SliceOp, ConcatOp, SplitOp, GatherOp,
            GatherElementsOp, ExpandOp, TileOp, PadOp, ShapeOp, SizeOp,
            CastOp>([](Operation *) { return 0.0; })
      .Case([&](MatMulOp o) {
        auto a = cast<RankedTensorType>(o.getA().getType());
        return 2.0 * resultElements() * a.getShape().back();
      })
      .Case([&](GemmOp o) {
        auto a = cast<RankedTensorType>(o.getA().getType());
        int64_t k = o.getTransA() ? a.getDimSize(0) : a.getDimSize(1);
        return 2.0 * resultElements() * k + resultElements();
      })
      .Case([&](ConvOp o) {
        auto w = cast<RankedTensorType>(o.getW().getType());
        // Each output: C/group input channels times the kernel window.
        return 2.0 * resultElements() * product(w.getShape().drop_front());
      })
      .Case([&](ConvTransposeOp o) {
        auto w = cast<RankedTensorType>(o.getW().getType());
        return 2.0 * elements(o.getX()) * product(w.getShape().drop_front());
      })
      .Case<MaxPoolOp, AveragePoolOp>([&](Operation *pool) {
        auto kernel = pool->getAttrOfType<DenseI64ArrayAttr>("kernel_shape");
        return resultElements() * (kernel ? product(kernel.asArrayRef()) : 1);
      })
      .Case<SoftmaxOp, LogSoftmaxOp>(
          [&](Operation *) { return 5.0 * resultElements(); })
      .Case<LayerNormalizationOp, InstanceNormalizationOp>(
          [&](Operation *) { return 8.0 * resultElements(); })
      .Case([&](BatchNormalizationOp) { return 2.0 * resultElements(); })
      // Reductions read every input element once.
      .Default([&](Operation *) {
        double in = op->getNumOperands() ? (double)elements(op->getOperand(0))
                                         : 0.0;
        return std::max(in, resultElements());
      });
}

} // namespace

const char *kindOf(Operation *op) {
  return llvm::TypeSwitch<Operation *, const char *>(op)
      .Case<MatMulOp, GemmOp>([](Operation *) { return "matmul"; })
      // Grouped (depthwise) convolutions do little work per byte and run
      // far from the dense ones' rate: a kind of their own.
      .Case([](ConvOp o) { return o.getGroup() > 1 ? "dwconv" : "conv"; })
      .Case([](ConvTransposeOp) { return "conv"; })
      .Case<MaxPoolOp, AveragePoolOp, GlobalAveragePoolOp, GlobalMaxPoolOp>(
          [](Operation *) { return "pool"; })
      .Case<LayerNormalizationOp, InstanceNormalizationOp,
            BatchNormalizationOp>([](Operation *) { return "norm"; })
      .Case<SoftmaxOp, LogSoftmaxOp>([](Operation *) { return "softmax"; })
      .Case<TransposeOp, SliceOp, ConcatOp, SplitOp, GatherOp,
            GatherElementsOp, ExpandOp, TileOp, PadOp, CastOp>(
          [](Operation *) { return "data"; })
      .Case<ReduceSumOp, ReduceMeanOp, ReduceMaxOp, ReduceMinOp, ReduceProdOp,
            ArgMaxOp, ArgMinOp>([](Operation *) { return "reduce"; })
      .Default([](Operation *) { return "eltwise"; });
}

OpCost estimateCost(Operation *op) {
  OpCost cost;
  cost.kind = kindOf(op);
  bool view =
      isa<ReshapeOp, SqueezeOp, UnsqueezeOp, FlattenOp, IdentityOp>(op);
  if (view)
    return cost; // The result is the operand's bytes.
  cost.flops = flopsOf(op);
  for (Value operand : op->getOperands()) {
    if (operand.getDefiningOp<ConstantOp>())
      cost.weightBytes += bytes(operand);
    // Gathers and slices read only what they return of their data (an
    // embedding lookup touches its rows, not the table).
    if (isa<GatherOp, SliceOp>(op) && operand == op->getOperand(0))
      continue;
    cost.bytesRead += bytes(operand);
  }
  if (isa<GatherOp, SliceOp>(op))
    cost.bytesRead += bytes(op->getResult(0));
  for (Value result : op->getResults())
    cost.bytesWritten += bytes(result);
  return cost;
}

} // namespace cleave::graph
