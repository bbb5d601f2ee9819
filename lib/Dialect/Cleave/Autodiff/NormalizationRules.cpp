//===- NormalizationRules.cpp - gradients of normalisations ---------------===//
//
// LayerNormalization from its own statistics (the forward op's Mean and
// InvStdDev results): with xhat = (x - mean) * r over the normalised axes
// and g = dy * scale,
//   dx = r * (g - mean(g) - xhat * mean(g * xhat)),
//   dscale = sum(dy * xhat), dbias = sum(dy) over the other axes:
// cleave.layer_norm_grad when the scale covers the normalised axes, else
// those ops.
//
//===----------------------------------------------------------------------===//

#include "Rules.h"

using namespace mlir;

namespace cleave::graph::autodiff {

namespace {

LogicalResult layerNorm(LayerNormalizationOp op, GradientBuilder &b,
                        ArrayRef<Value> dy, MutableArrayRef<Value> dx) {
  if (dy[1] || dy[2])
    return op.emitError("no gradient flows through LayerNormalization's "
                        "Mean and InvStdDev outputs yet");
  auto type = cast<ShapedType>(op.getX().getType());
  if (type.getElementType() !=
      cast<ShapedType>(op.getMean().getType()).getElementType())
    return op.emitError("the gradient of LayerNormalization needs the "
                        "statistics in the input's type");
  int64_t rank = type.getRank();
  int64_t axis = (int64_t)op.getAxis();
  if (axis < 0)
    axis += rank;
  auto scaleType = cast<ShapedType>(op.getScale().getType());
  if (type.getShape().drop_front(axis) == scaleType.getShape()) {
    // The usual case, a scale over the whole normalised shape: one op.
    auto grad = LayerNormGradOp::create(b.builder, b.loc, dy[0], op.getX(),
                                        op.getScale(), op.getMean(),
                                        op.getInvStdDev(), axis);
    dx[0] = grad.getDx();
    dx[1] = grad.getDscale();
    if (!isNone(op.getB()))
      dx[2] = b.unbroadcast(grad.getDbias(), op.getB().getType());
    return success();
  }
  SmallVector<int64_t> axes;
  for (int64_t a = axis; a < rank; ++a)
    axes.push_back(a);
  Value axesValue = b.i64s(axes);
  auto mean = [&](Value v) {
    return b.create<ReduceMeanOp>(v, axesValue, /*keepdims=*/1);
  };
  Value r = op.getInvStdDev();
  Value xhat = b.create<MulOp>(b.create<SubOp>(op.getX(), op.getMean()), r);
  Value g = b.create<MulOp>(dy[0], op.getScale());
  Value centered = b.create<SubOp>(
      b.create<SubOp>(g, mean(g)),
      b.create<MulOp>(xhat, mean(b.create<MulOp>(g, xhat))));
  dx[0] = b.create<MulOp>(centered, r);
  dx[1] = b.unbroadcast(b.create<MulOp>(dy[0], xhat), op.getScale().getType());
  if (!isNone(op.getB()))
    dx[2] = b.unbroadcast(dy[0], op.getB().getType());
  return success();
}

} // namespace

void attachNormalizationRules(MLIRContext *ctx) {
  attach<LayerNormalizationOp, layerNorm>(ctx);
}

} // namespace cleave::graph::autodiff
