//===- ShapeRules.cpp - gradients of views and data movement --------------===//
//
// Ops that only rearrange elements send the gradient back the same way: a
// reshape back to the operand's shape, the inverse permutation, the sum
// over what Expand broadcast.
//
//===----------------------------------------------------------------------===//

#include "Rules.h"

using namespace mlir;

namespace cleave::graph::autodiff {

namespace {

/// Same elements in another shape: dx is dy in the operand's shape.
template <typename Op>
LogicalResult reshapeBack(Op op, GradientBuilder &b, ArrayRef<Value> dy,
                          MutableArrayRef<Value> dx) {
  Value input = op->getOperand(0);
  dx[0] = b.reshape(dy[0], cast<ShapedType>(input.getType()).getShape());
  return success();
}

LogicalResult transpose(TransposeOp op, GradientBuilder &b, ArrayRef<Value> dy,
                        MutableArrayRef<Value> dx) {
  int64_t rank = cast<ShapedType>(op.getData().getType()).getRank();
  SmallVector<int64_t> perm;
  if (std::optional<ArrayRef<int64_t>> given = op.getPerm())
    perm.assign(given->begin(), given->end());
  else
    for (int64_t i = rank - 1; i >= 0; --i)
      perm.push_back(i);
  SmallVector<int64_t> inverse(rank);
  for (int64_t i = 0; i < rank; ++i)
    inverse[perm[i]] = i;
  dx[0] = b.transpose(dy[0], inverse);
  return success();
}

LogicalResult expand(ExpandOp op, GradientBuilder &b, ArrayRef<Value> dy,
                     MutableArrayRef<Value> dx) {
  dx[0] = b.unbroadcast(dy[0], op.getInput().getType());
  return success();
}

} // namespace

void attachShapeRules(MLIRContext *ctx) {
  attach<ReshapeOp, reshapeBack<ReshapeOp>>(ctx);
  attach<FlattenOp, reshapeBack<FlattenOp>>(ctx);
  attach<SqueezeOp, reshapeBack<SqueezeOp>>(ctx);
  attach<UnsqueezeOp, reshapeBack<UnsqueezeOp>>(ctx);
  attach<TransposeOp, transpose>(ctx);
  attach<ExpandOp, expand>(ctx);
}

} // namespace cleave::graph::autodiff
