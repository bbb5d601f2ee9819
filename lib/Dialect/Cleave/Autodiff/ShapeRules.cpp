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
  SmallVector<int64_t> perm = op.getPermutation();
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

/// A slice of step 1 sends dy back padded with zeros to the input's shape.
LogicalResult slice(SliceOp op, GradientBuilder &b, ArrayRef<Value> dy,
                    MutableArrayRef<Value> dx) {
  auto x = cast<ShapedType>(op.getData().getType());
  int64_t rank = x.getRank();
  std::optional<SmallVector<SliceAxis>> slice = op.getConstantSlice();
  if (!slice)
    return op.emitError("the gradient of Slice needs constant starts, ends, "
                        "axes and steps");
  SmallVector<int64_t> pads(2 * rank, 0);
  for (auto [axis, s] : llvm::enumerate(*slice)) {
    if (s.step != 1)
      return op.emitError("the gradient of a Slice with steps other than 1 "
                          "is not supported yet");
    pads[axis] = s.start;
    pads[rank + axis] = x.getDimSize(axis) - s.start - s.length;
  }
  Value none = NoneOp::create(b.builder, b.loc);
  dx[0] = b.create<PadOp>(dy[0], b.i64s(pads), none, none, PadMode::Constant);
  return success();
}

/// Each input's gradient is its slice of dy along the axis.
LogicalResult concat(ConcatOp op, GradientBuilder &b, ArrayRef<Value> dy,
                     MutableArrayRef<Value> dx) {
  int64_t rank = cast<ShapedType>(op.getType()).getRank();
  int64_t axis = (int64_t)op.getAxis();
  if (axis < 0)
    axis += rank;
  int64_t offset = 0;
  for (auto [i, input] : llvm::enumerate(op.getInputs())) {
    int64_t size = cast<ShapedType>(input.getType()).getDimSize(axis);
    Value none = NoneOp::create(b.builder, b.loc);
    dx[i] = b.create<SliceOp>(dy[0], b.i64s({offset}),
                              b.i64s({offset + size}), b.i64s({axis}), none);
    offset += size;
  }
  return success();
}

/// The parts' gradients joined (zeros for parts the loss does not read).
LogicalResult split(SplitOp op, GradientBuilder &b, ArrayRef<Value> dy,
                    MutableArrayRef<Value> dx) {
  SmallVector<Value> parts;
  for (auto [grad, part] : llvm::zip(dy, op.getOutputs()))
    parts.push_back(grad ? grad : b.splat(0.0, cast<ShapedType>(part.getType())));
  int64_t rank = cast<ShapedType>(op.getInput().getType()).getRank();
  int64_t axis = (int64_t)op.getAxis();
  if (axis < 0)
    axis += rank;
  dx[0] = b.create<ConcatOp>(parts, axis);
  return success();
}

/// Each index's row of dy is added back where it was gathered from.
LogicalResult gather(GatherOp op, GradientBuilder &b, ArrayRef<Value> dy,
                     MutableArrayRef<Value> dx) {
  int64_t rank = cast<ShapedType>(op.getData().getType()).getRank();
  int64_t axis = (int64_t)op.getAxis();
  if (axis < 0)
    axis += rank;
  dx[0] = b.create<GatherGradOp>(op.getData(), op.getIndices(), dy[0],
                                 b.builder.getI64IntegerAttr(axis));
  return success();
}

/// Each element goes back to where it was read, summed where indices
/// repeat: a scatter-add of dy into zeros.
LogicalResult gatherElements(GatherElementsOp op, GradientBuilder &b,
                             ArrayRef<Value> dy, MutableArrayRef<Value> dx) {
  auto data = cast<ShapedType>(op.getData().getType());
  dx[0] = b.create<ScatterElementsOp>(b.splat(0.0, data), op.getIndices(),
                                      dy[0], op.getAxis(),
                                      ScatterReduction::Add);
  return success();
}

LogicalResult gatherND(GatherNDOp op, GradientBuilder &b, ArrayRef<Value> dy,
                       MutableArrayRef<Value> dx) {
  if (op.getBatchDims() != 0)
    return op.emitError("the gradient of GatherND with batch_dims is not "
                        "supported yet");
  auto data = cast<ShapedType>(op.getData().getType());
  dx[0] = b.create<ScatterNDOp>(b.splat(0.0, data), op.getIndices(), dy[0],
                                ScatterReduction::Add);
  return success();
}

/// Replacing scatters: data's gradient is dy with the replaced elements
/// zeroed; each update's is dy where it landed (with repeated indices, as
/// in PyTorch, every update of an element gets its gradient, though only
/// the last one lands). Adding scatters pass dy to data whole.
template <typename Op, typename GatherOp, typename... Axis>
LogicalResult scatterGradient(Op op, GradientBuilder &b, ArrayRef<Value> dy,
                              MutableArrayRef<Value> dx, Axis... axis) {
  ScatterReduction reduction = op.getReduction();
  if (reduction != ScatterReduction::None &&
      reduction != ScatterReduction::Add)
    return op.emitError("the gradient of a scatter with reduction mul, max "
                        "or min is not supported yet");
  auto updates = cast<ShapedType>(op.getUpdates().getType());
  dx[0] = reduction == ScatterReduction::Add
              ? dy[0]
              : b.create<Op>(dy[0], op.getIndices(), b.splat(0.0, updates),
                             axis..., ScatterReduction::None);
  dx[2] = b.create<GatherOp>(dy[0], op.getIndices(), axis...);
  return success();
}

LogicalResult scatterND(ScatterNDOp op, GradientBuilder &b, ArrayRef<Value> dy,
                        MutableArrayRef<Value> dx) {
  return scatterGradient<ScatterNDOp, GatherNDOp>(op, b, dy, dx);
}

LogicalResult scatterElements(ScatterElementsOp op, GradientBuilder &b,
                              ArrayRef<Value> dy, MutableArrayRef<Value> dx) {
  return scatterGradient<ScatterElementsOp, GatherElementsOp>(op, b, dy, dx,
                                                              op.getAxis());
}

} // namespace

void attachShapeRules(MLIRContext *ctx) {
  attach<GatherElementsOp, gatherElements>(ctx);
  attach<GatherNDOp, gatherND>(ctx);
  attach<ScatterNDOp, scatterND>(ctx);
  attach<ScatterElementsOp, scatterElements>(ctx);
  attach<GatherOp, gather>(ctx);
  attach<SliceOp, slice>(ctx);
  attach<ConcatOp, concat>(ctx);
  attach<SplitOp, split>(ctx);
  attach<ReshapeOp, reshapeBack<ReshapeOp>>(ctx);
  attach<FlattenOp, reshapeBack<FlattenOp>>(ctx);
  attach<SqueezeOp, reshapeBack<SqueezeOp>>(ctx);
  attach<UnsqueezeOp, reshapeBack<UnsqueezeOp>>(ctx);
  attach<TransposeOp, transpose>(ctx);
  attach<ExpandOp, expand>(ctx);
}

} // namespace cleave::graph::autodiff
