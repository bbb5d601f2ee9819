//===- TrainBatchNorm.cpp - BatchNormalization as model.train() runs it --===//
//
// A model exported for inference normalizes with its running statistics;
// trained, it normalizes with the batch's (mean and biased variance over
// every axis but the channel) and updates the running statistics as
// torch.nn.BatchNorm does: running = momentum * running + (1 - momentum) *
// batch (ONNX's momentum, PyTorch's 1 - momentum), the variance unbiased.
// The statistics become variables (never trained: the loss does not read
// them) assigned where their new value is made, so each microbatch updates
// them in turn, as each forward pass does in PyTorch.
//
//===----------------------------------------------------------------------===//

#include "cleave/Dialect/Cleave/Autodiff/GradientBuilder.h"
#include "cleave/Dialect/Cleave/IR/CleaveOps.h"
#include "cleave/Dialect/Cleave/Transforms/Passes.h"
#include "mlir/Dialect/Func/IR/FuncOps.h"

namespace cleave::graph {
#define GEN_PASS_DEF_TRAINBATCHNORMPASS
#include "cleave/Dialect/Cleave/Transforms/Passes.h.inc"
} // namespace cleave::graph

using namespace mlir;
using namespace cleave::graph;

namespace {

/// The variable holding a running statistic: the operand's own, or a new
/// one made from its initializer; null if it is neither.
Value statistic(OpBuilder &builder, Value operand) {
  if (operand.getDefiningOp<VariableOp>())
    return operand;
  auto constant = operand.getDefiningOp<ConstantOp>();
  if (!constant || parameterName(constant).empty())
    return Value();
  OpBuilder::InsertionGuard guard(builder);
  builder.setInsertionPoint(constant);
  Value variable = VariableOp::create(builder, constant.getLoc(),
                                      parameterName(constant),
                                      constant.getValue());
  constant.replaceAllUsesWith(variable);
  constant.erase();
  return variable;
}

struct TrainBatchNormPass
    : public cleave::graph::impl::TrainBatchNormPassBase<TrainBatchNormPass> {
  void runOnOperation() override {
    SmallVector<BatchNormalizationOp> norms;
    getOperation().walk([&](BatchNormalizationOp op) { norms.push_back(op); });
    for (BatchNormalizationOp op : norms) {
      OpBuilder builder(op);
      GradientBuilder b(builder, op.getLoc());
      Value x = op.getX();
      auto type = cast<ShapedType>(x.getType());
      Type element = type.getElementType();
      int64_t channels = type.getDimSize(1), count = type.getNumElements() /
                                                     std::max<int64_t>(1, channels);
      SmallVector<int64_t> axes = {0}, broadcast(type.getRank(), 1);
      for (int64_t i = 2; i < type.getRank(); ++i)
        axes.push_back(i);
      broadcast[1] = channels;
      Value mean = b.create<ReduceMeanOp>(x, b.i64s(axes), /*keepdims=*/1);
      Value centred = b.create<SubOp>(x, mean);
      Value variance = b.create<ReduceMeanOp>(
          b.create<MulOp>(centred, centred), b.i64s(axes), /*keepdims=*/1);
      Value inverse = b.create<ReciprocalOp>(b.create<SqrtOp>(b.create<AddOp>(
          variance, b.scalar(op.getEpsilon().convertToDouble(), element))));
      Value y = b.create<AddOp>(
          b.create<MulOp>(b.create<MulOp>(centred, inverse),
                          b.reshape(op.getScale(), broadcast)),
          b.reshape(op.getB(), broadcast));
      double momentum = op.getMomentum().convertToDouble();
      // The running statistics' next values (unbiased variance).
      Value runningMean = statistic(builder, op.getInputMean());
      Value runningVar = statistic(builder, op.getInputVar());
      auto update = [&](Value running, Value batch, double correction) {
        Value next = b.create<AddOp>(
            b.create<MulOp>(running, b.scalar(momentum, element)),
            b.create<MulOp>(b.reshape(batch, {channels}),
                            b.scalar((1 - momentum) * correction, element)));
        AssignOp::create(builder, op.getLoc(), running, next);
        return next;
      };
      Value nextMean = runningMean ? update(runningMean, mean, 1.0) : Value();
      Value nextVar =
          runningVar ? update(runningVar, variance,
                              count > 1 ? double(count) / (count - 1) : 1.0)
                     : Value();
      op.getY().replaceAllUsesWith(y);
      if (nextMean)
        op.getRunningMean().replaceAllUsesWith(nextMean);
      if (nextVar)
        op.getRunningVar().replaceAllUsesWith(nextVar);
      if (!op.getRunningMean().use_empty() || !op.getRunningVar().use_empty()) {
        op.emitError("BatchNormalization's running statistics are read but "
                     "are not initializers");
        return signalPassFailure();
      }
      op.erase();
    }
  }
};

} // namespace
