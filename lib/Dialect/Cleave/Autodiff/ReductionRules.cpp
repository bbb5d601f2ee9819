//===- ReductionRules.cpp - gradients of reductions and softmax -----------===//
//
// A sum sends dy to every element it added (dy in the kept-dims shape,
// broadcast); a mean also divides by the count. Softmax and LogSoftmax use
// their outputs: dx = y * (dy - sum(dy * y)) and dx = dy - exp(y) * sum(dy)
// along the axis, each one cleave.softmax_grad.
//
//===----------------------------------------------------------------------===//

#include "Rules.h"
#include "cleave/Dialect/Cleave/IR/ConstantUtils.h"

using namespace mlir;

namespace cleave::graph::autodiff {

namespace {

/// The reduced axes of a reduction (all without `axes`), non-negative;
/// failure when they are not constants.
template <typename Op>
FailureOr<SmallVector<int64_t>> reducedAxes(Op op) {
  int64_t rank = cast<ShapedType>(op.getData().getType()).getRank();
  SmallVector<int64_t> axes;
  if (isNone(op.getAxes())) {
    if (op.getNoopWithEmptyAxes())
      return axes;
    for (int64_t i = 0; i < rank; ++i)
      axes.push_back(i);
    return axes;
  }
  std::optional<SmallVector<int64_t>> given = getConstantInts(op.getAxes());
  if (!given)
    return op.emitError("the gradient of a reduction needs constant axes");
  // Empty axes reduce everything unless noop_with_empty_axes.
  if (given->empty() && !op.getNoopWithEmptyAxes())
    for (int64_t i = 0; i < rank; ++i)
      given->push_back(i);
  for (int64_t a : *given)
    if (!llvm::is_contained(axes, a < 0 ? a + rank : a))
      axes.push_back(a < 0 ? a + rank : a);
  return axes;
}

/// dy broadcast back over the reduced axes of `op`.
template <typename Op>
FailureOr<Value> spread(Op op, GradientBuilder &b, Value dy,
                        ArrayRef<int64_t> axes) {
  auto input = cast<ShapedType>(op.getData().getType());
  SmallVector<int64_t> kept(input.getShape());
  for (int64_t a : axes)
    kept[a] = 1;
  return b.expandTo(b.reshape(dy, kept), input);
}

LogicalResult reduceSum(ReduceSumOp op, GradientBuilder &b, ArrayRef<Value> dy,
                        MutableArrayRef<Value> dx) {
  FailureOr<SmallVector<int64_t>> axes = reducedAxes(op);
  if (failed(axes))
    return failure();
  FailureOr<Value> spreadOut = spread(op, b, dy[0], *axes);
  if (failed(spreadOut))
    return failure();
  dx[0] = *spreadOut;
  return success();
}

LogicalResult reduceMean(ReduceMeanOp op, GradientBuilder &b,
                         ArrayRef<Value> dy, MutableArrayRef<Value> dx) {
  FailureOr<SmallVector<int64_t>> axes = reducedAxes(op);
  if (failed(axes))
    return failure();
  auto input = cast<ShapedType>(op.getData().getType());
  int64_t count = 1;
  for (int64_t a : *axes)
    count *= input.getDimSize(a);
  Value scaled = b.create<DivOp>(
      dy[0], b.scalar((double)count, input.getElementType()));
  FailureOr<Value> spreadOut = spread(op, b, scaled, *axes);
  if (failed(spreadOut))
    return failure();
  dx[0] = *spreadOut;
  return success();
}

int64_t softmaxAxis(Operation *op, int64_t axis) {
  int64_t rank = cast<ShapedType>(op->getOperand(0).getType()).getRank();
  return axis < 0 ? axis + rank : axis;
}

LogicalResult softmax(SoftmaxOp op, GradientBuilder &b, ArrayRef<Value> dy,
                      MutableArrayRef<Value> dx) {
  int64_t axis = softmaxAxis(op, op.getAxis());
  dx[0] = SoftmaxGradOp::create(b.builder, b.loc, op.getY().getType(), dy[0],
                                op.getY(), axis, /*log=*/false);
  return success();
}

LogicalResult logSoftmax(LogSoftmaxOp op, GradientBuilder &b,
                         ArrayRef<Value> dy, MutableArrayRef<Value> dx) {
  int64_t axis = softmaxAxis(op, op.getAxis());
  dx[0] = SoftmaxGradOp::create(b.builder, b.loc, op.getY().getType(), dy[0],
                                op.getY(), axis, /*log=*/true);
  return success();
}

} // namespace

void attachReductionRules(MLIRContext *ctx) {
  attach<ReduceSumOp, reduceSum>(ctx);
  attach<ReduceMeanOp, reduceMean>(ctx);
  attach<SoftmaxOp, softmax>(ctx);
  attach<LogSoftmaxOp, logSoftmax>(ctx);
}

} // namespace cleave::graph::autodiff
