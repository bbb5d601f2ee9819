//===- LossRules.cpp - gradients of the losses ----------------------------===//

#include "Rules.h"

using namespace mlir;

namespace cleave::graph::autodiff {

namespace {

/// The fused softmax-minus-onehot kernel; labels take no gradient.
LogicalResult crossEntropy(CrossEntropyOp op, GradientBuilder &b,
                           ArrayRef<Value> dy, MutableArrayRef<Value> dx) {
  dx[0] = b.create<CrossEntropyGradOp>(op.getLogits(), op.getLabels(), dy[0],
                                       op.getReductionAttr(),
                                       op.getIgnoreIndexAttr());
  return success();
}

} // namespace

void attachLossRules(MLIRContext *ctx) {
  attach<CrossEntropyOp, crossEntropy>(ctx);
}

} // namespace cleave::graph::autodiff
