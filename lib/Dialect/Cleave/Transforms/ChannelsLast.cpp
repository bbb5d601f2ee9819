//===- ChannelsLast.cpp - convolutions and pooling in NHWC ---------------===//
//
// oneDNN's fast CPU convolutions work on channels-last tensors (and on
// wide rather than tall images: a one-column convolution is turned on its
// side first); run on
// ONNX's NCHW they pay a reorder on the way in and out of every layer.
// This pass rewrites each convolution and pooling op to its channels_last
// form between two transposes, then moves transposes towards their users
// through elementwise ops, concatenations, inference batch norms and
// reductions (global pooling among them) and composes them, so that
// the transposes between consecutive layers cancel. What remains are the
// transposes at the edges of convolutional regions.
//
//===----------------------------------------------------------------------===//

#include "cleave/Dialect/Cleave/IR/CleaveOps.h"
#include "cleave/Dialect/Cleave/IR/ConstantUtils.h"
#include "cleave/Dialect/Cleave/Transforms/Passes.h"
#include "mlir/IR/PatternMatch.h"
#include "mlir/Transforms/GreedyPatternRewriteDriver.h"

namespace cleave::graph {
#define GEN_PASS_DEF_CHANNELSLASTPASS
#include "cleave/Dialect/Cleave/Transforms/Passes.h.inc"
} // namespace cleave::graph

using namespace mlir;
using namespace cleave::graph;

namespace {

Value transpose(PatternRewriter &rewriter, Location loc, Value x,
                ArrayRef<int64_t> perm) {
  return TransposeOp::create(rewriter, loc, x,
                             rewriter.getDenseI64ArrayAttr(perm));
}

/// [N, C, spatial...] -> [N, spatial..., C] and back.
SmallVector<int64_t> toChannelsLast(int64_t rank) {
  SmallVector<int64_t> perm = {0};
  for (int64_t i = 2; i < rank; ++i)
    perm.push_back(i);
  perm.push_back(1);
  return perm;
}
SmallVector<int64_t> toChannelsFirst(int64_t rank) {
  SmallVector<int64_t> perm = {0, rank - 1};
  for (int64_t i = 1; i < rank - 1; ++i)
    perm.push_back(i);
  return perm;
}

/// Rewrites a convolution or pooling op on X (operand 0) to its
/// channels_last form: transpose(op'(transpose(X))).
template <typename Op> struct ToChannelsLast : OpRewritePattern<Op> {
  using OpRewritePattern<Op>::OpRewritePattern;
  LogicalResult matchAndRewrite(Op op,
                                PatternRewriter &rewriter) const override {
    auto x = cast<RankedTensorType>(op->getOperand(0).getType());
    if (op.getChannelsLast() || !x.getElementType().isF32() ||
        x.getRank() < 3 || x.getRank() > 5)
      return failure();
    // MaxPool's indices are NCHW offsets: keep such ops as they are.
    for (Value result : op->getResults().drop_front())
      if (!result.use_empty())
        return failure();
    int64_t rank = x.getRank();
    SmallVector<Value> operands(op->getOperands());
    operands[0] = transpose(rewriter, op.getLoc(), operands[0],
                            toChannelsLast(rank));
    if constexpr (std::is_same_v<Op, ConvOp>)
      if (op.getZ())
        operands[3] = transpose(rewriter, op.getLoc(), operands[3],
                                toChannelsLast(rank));
    SmallVector<NamedAttribute> attrs(op->getAttrs());
    attrs.push_back(rewriter.getNamedAttr("channels_last",
                                          rewriter.getUnitAttr()));
    auto last = Op::create(rewriter, op.getLoc(), operands, attrs);
    SmallVector<Value> results(last->getResults());
    results[0] = transpose(rewriter, op.getLoc(), results[0],
                           toChannelsFirst(rank));
    rewriter.replaceOp(op, results);
    return success();
  }
};

/// A view of `v` with `shape` (the same bytes in the same order).
Value reshapeTo(PatternRewriter &rewriter, Location loc, Value v,
                ArrayRef<int64_t> shape) {
  auto type =
      RankedTensorType::get({(int64_t)shape.size()}, rewriter.getI64Type());
  Value target =
      ConstantOp::create(rewriter, loc, DenseElementsAttr::get(type, shape));
  return ReshapeOp::create(rewriter, loc, v, target, uint64_t(0));
}

/// A 2-D convolution of a one-column image with a one-column kernel
/// ([N, C, H, 1] * [M, C/g, k, 1], no padding across) is the same
/// convolution turned on its side ([N, C, 1, H] * [M, C/g, 1, k]): the same
/// bytes, reshaped. oneDNN's kernels block over the output's width, so
/// the long axis there runs far faster (magika's 5x1 convolution over 512
/// rows: 22 ms, on its side 5.3 ms, as onnxruntime's).
struct ConvOnItsSide : OpRewritePattern<ConvOp> {
  // Before ToChannelsLast takes the convolution.
  ConvOnItsSide(MLIRContext *context)
      : OpRewritePattern(context, /*benefit=*/2) {}
  LogicalResult matchAndRewrite(ConvOp op,
                                PatternRewriter &rewriter) const override {
    auto x = cast<RankedTensorType>(op.getX().getType());
    auto w = cast<RankedTensorType>(op.getW().getType());
    auto y = cast<RankedTensorType>(op.getY().getType());
    if (op.getChannelsLast() || x.getRank() != 4 || x.getDimSize(3) != 1 ||
        w.getDimSize(3) != 1 || x.getDimSize(2) == 1)
      return failure();
    if (std::optional<ArrayRef<int64_t>> pads = op.getPads())
      if ((*pads)[1] != 0 || (*pads)[3] != 0)
        return failure();
    auto swapped = [&](std::optional<ArrayRef<int64_t>> pair) {
      return rewriter.getDenseI64ArrayAttr({(*pair)[1], (*pair)[0]});
    };
    Location loc = op.getLoc();
    auto sideways = [](ArrayRef<int64_t> shape) {
      return SmallVector<int64_t>{shape[0], shape[1], 1, shape[2]};
    };
    SmallVector<Value> operands(op->getOperands());
    operands[0] = reshapeTo(rewriter, loc, op.getX(), sideways(x.getShape()));
    operands[1] = reshapeTo(rewriter, loc, op.getW(), sideways(w.getShape()));
    if (op.getZ())
      operands[3] = reshapeTo(rewriter, loc, op.getZ(), sideways(y.getShape()));
    NamedAttrList attrs(op->getAttrs());
    if (op.getKernelShape())
      attrs.set("kernel_shape", swapped(op.getKernelShape()));
    if (op.getStrides())
      attrs.set("strides", swapped(op.getStrides()));
    if (op.getDilations())
      attrs.set("dilations", swapped(op.getDilations()));
    if (std::optional<ArrayRef<int64_t>> pads = op.getPads())
      attrs.set("pads", rewriter.getDenseI64ArrayAttr(
                            {(*pads)[1], (*pads)[0], (*pads)[3], (*pads)[2]}));
    auto turned = ConvOp::create(rewriter, loc, operands, attrs.getAttrs());
    rewriter.replaceOp(op,
                       reshapeTo(rewriter, loc, turned.getY(), y.getShape()));
    return success();
  }
};

/// Whether `v` broadcasts the same way whatever the layout: a tensor of
/// one element, or none.
bool isLayoutFree(Value v) {
  auto type = dyn_cast<RankedTensorType>(v.getType());
  return !type || type.getNumElements() == 1;
}

/// Whether `v` is a constant of `type`'s rank (it can be transposed at
/// compile time).
bool isFullRankConstant(Value v, RankedTensorType type) {
  auto t = dyn_cast<RankedTensorType>(v.getType());
  return t && t.getRank() == type.getRank() && v.getDefiningOp<ConstantOp>();
}

/// op(transpose(x, p), scalars...) = transpose(op(x, scalars...), p), and
/// op(transpose(a, p), transpose(b, p)) = transpose(op(a, b), p), also
/// when a and b broadcast (a squeeze-excitation's [N,C,1,1] scale of
/// [N,C,H,W]); a constant operand of full rank is transposed the other way
/// instead.
struct SinkThroughElementwise : RewritePattern {
  SinkThroughElementwise(MLIRContext *context)
      : RewritePattern(MatchAnyOpTypeTag(), /*benefit=*/1, context) {}
  LogicalResult matchAndRewrite(Operation *op,
                                PatternRewriter &rewriter) const override {
    if (op->getNumResults() != 1 || !isElementwise(op))
      return failure();
    auto resultType = dyn_cast<RankedTensorType>(op->getResult(0).getType());
    if (!resultType)
      return failure();
    std::optional<SmallVector<int64_t>> perm;
    RankedTensorType source; // The type before the transposes.
    SmallVector<Value> operands;
    for (Value operand : op->getOperands()) {
      auto t = operand.getDefiningOp<TransposeOp>();
      if (t && t.getType().getRank() == resultType.getRank()) {
        SmallVector<int64_t> p = t.getPermutation();
        if (perm && *perm != p)
          return failure();
        perm = p;
        operands.push_back(t.getData());
      } else if (isLayoutFree(operand) || isFullRankConstant(operand, resultType)) {
        operands.push_back(operand);
      } else {
        return failure();
      }
    }
    if (!perm)
      return failure();
    // Constants of the result's rank take the inverse permutation (folded).
    SmallVector<int64_t> inverse(perm->size());
    for (auto [i, axis] : llvm::enumerate(*perm))
      inverse[axis] = i;
    // The result before the transpose: axis perm[i] is the result's axis i.
    SmallVector<int64_t> shape(perm->size());
    for (auto [i, axis] : llvm::enumerate(*perm))
      shape[axis] = resultType.getDimSize(i);
    source = resultType.clone(shape);
    for (auto [operand, original] : llvm::zip(operands, op->getOperands()))
      if (operand == original && isFullRankConstant(original, resultType))
        operand = transpose(rewriter, op->getLoc(), original, inverse);
    Operation *moved = rewriter.clone(*op);
    moved->setOperands(operands);
    moved->getResult(0).setType(source.clone(resultType.getElementType()));
    rewriter.replaceOp(op, transpose(rewriter, op->getLoc(),
                                     moved->getResult(0), *perm));
    return success();
  }
};

/// reduce(transpose(x, p), axes) = transpose(reduce(x, p[axes]), p) when
/// the reduced axes are kept (with size 1); without them, the reduction of
/// x is the result itself when the axes left keep their order (a mean over
/// H and W of [N,H,W,C] read as [N,C,H,W] is [N,C] either way).
template <typename Op> struct SinkThroughReduction : OpRewritePattern<Op> {
  using OpRewritePattern<Op>::OpRewritePattern;
  LogicalResult matchAndRewrite(Op op,
                                PatternRewriter &rewriter) const override {
    auto t = op.getData().template getDefiningOp<TransposeOp>();
    std::optional<SmallVector<int64_t>> axes = getConstantInts(op.getAxes());
    if (!t || !axes || axes->empty())
      return failure();
    SmallVector<int64_t> perm = t.getPermutation();
    int64_t rank = perm.size();
    SmallVector<bool> reduced(rank, false);
    SmallVector<int64_t> sourceAxes;
    for (int64_t axis : *axes) {
      if (axis < -rank || axis >= rank)
        return failure();
      axis = axis < 0 ? axis + rank : axis;
      reduced[axis] = true;
      sourceAxes.push_back(perm[axis]);
    }
    llvm::sort(sourceAxes);
    if (!op.getKeepdims()) {
      int64_t last = -1;
      for (int64_t i = 0; i < rank; ++i) {
        if (reduced[i])
          continue;
        if (perm[i] < last)
          return failure();
        last = perm[i];
      }
    }
    Value axesValue = ConstantOp::create(
        rewriter, op.getLoc(),
        ElementsAttr(DenseElementsAttr::get(
            RankedTensorType::get({(int64_t)sourceAxes.size()},
                                  rewriter.getI64Type()),
            ArrayRef<int64_t>(sourceAxes))));
    Value inner = Op::create(rewriter, op.getLoc(), t.getData(), axesValue,
                             op.getKeepdims(), op.getNoopWithEmptyAxes());
    rewriter.replaceOp(op, op.getKeepdims()
                               ? transpose(rewriter, op.getLoc(), inner, perm)
                               : inner);
    return success();
  }
};

/// A global pooling of a transposed tensor is its mean (or maximum) over
/// the spatial axes, which the transpose then sinks through.
template <typename Pool, typename Reduce>
struct GlobalPoolAsReduction : OpRewritePattern<Pool> {
  using OpRewritePattern<Pool>::OpRewritePattern;
  LogicalResult matchAndRewrite(Pool op,
                                PatternRewriter &rewriter) const override {
    if (!op.getX().template getDefiningOp<TransposeOp>())
      return failure();
    int64_t rank = cast<RankedTensorType>(op.getX().getType()).getRank();
    SmallVector<int64_t> spatial;
    for (int64_t i = 2; i < rank; ++i)
      spatial.push_back(i);
    Value axes = ConstantOp::create(
        rewriter, op.getLoc(),
        ElementsAttr(DenseElementsAttr::get(
            RankedTensorType::get({(int64_t)spatial.size()},
                                  rewriter.getI64Type()),
            ArrayRef<int64_t>(spatial))));
    rewriter.replaceOpWithNewOp<Reduce>(op, op.getX(), axes, /*keepdims=*/1,
                                        /*noop_with_empty_axes=*/0);
    return success();
  }
};

/// batch_norm(transpose(x, to channels-first)) = transpose(batch_norm'(x))
/// with batch_norm' its channels_last form (inference mode): DenseNet's
/// norms read concatenations of convolutions' outputs, which no
/// convolution's weights can absorb.
struct SinkThroughBatchNorm : OpRewritePattern<BatchNormalizationOp> {
  using OpRewritePattern::OpRewritePattern;
  LogicalResult matchAndRewrite(BatchNormalizationOp op,
                                PatternRewriter &rewriter) const override {
    auto t = op.getX().getDefiningOp<TransposeOp>();
    int64_t rank = op.getX().getType().getRank();
    if (!t || op.getChannelsLast() || op.getTrainingMode() || rank < 3 ||
        t.getPermutation() != ArrayRef<int64_t>(toChannelsFirst(rank)) ||
        !op.getX().getType().getElementType().isF32())
      return failure();
    for (Value result : op->getResults().drop_front())
      if (!result.use_empty())
        return failure();
    SmallVector<Value> operands(op->getOperands());
    operands[0] = t.getData();
    SmallVector<NamedAttribute> attrs(op->getAttrs());
    attrs.push_back(
        rewriter.getNamedAttr("channels_last", rewriter.getUnitAttr()));
    auto last =
        BatchNormalizationOp::create(rewriter, op.getLoc(), operands, attrs);
    SmallVector<Value> results(last->getResults());
    results[0] = transpose(rewriter, op.getLoc(), results[0],
                           toChannelsFirst(rank));
    rewriter.replaceOp(op, results);
    return success();
  }
};

/// concat(transpose(x_i, p), axis) = transpose(concat(x_i, p[axis]), p).
struct SinkThroughConcat : OpRewritePattern<ConcatOp> {
  using OpRewritePattern::OpRewritePattern;
  LogicalResult matchAndRewrite(ConcatOp op,
                                PatternRewriter &rewriter) const override {
    std::optional<SmallVector<int64_t>> perm;
    SmallVector<Value> inputs;
    for (Value input : op.getInputs()) {
      auto t = input.getDefiningOp<TransposeOp>();
      if (!t || (perm && *perm != t.getPermutation()))
        return failure();
      perm = t.getPermutation();
      inputs.push_back(t.getData());
    }
    if (!perm)
      return failure();
    int64_t rank = op.getType().getRank();
    int64_t axis = (int64_t)op.getAxis();
    if (axis < 0)
      axis += rank;
    Value concat = ConcatOp::create(rewriter, op.getLoc(), inputs,
                                    rewriter.getI64IntegerAttr((*perm)[axis]));
    rewriter.replaceOp(op, transpose(rewriter, op.getLoc(), concat, *perm));
    return success();
  }
};

struct ChannelsLastPass
    : public cleave::graph::impl::ChannelsLastPassBase<ChannelsLastPass> {
  void runOnOperation() override {
    RewritePatternSet patterns(&getContext());
    patterns.add<
        ConvOnItsSide, ToChannelsLast<ConvOp>, ToChannelsLast<MaxPoolOp>,
        ToChannelsLast<AveragePoolOp>, SinkThroughElementwise,
        SinkThroughConcat, SinkThroughBatchNorm,
        SinkThroughReduction<ReduceMeanOp>, SinkThroughReduction<ReduceSumOp>,
        SinkThroughReduction<ReduceMaxOp>, SinkThroughReduction<ReduceMinOp>,
        GlobalPoolAsReduction<GlobalAveragePoolOp, ReduceMeanOp>,
        GlobalPoolAsReduction<GlobalMaxPoolOp, ReduceMaxOp>>(&getContext());
    TransposeOp::getCanonicalizationPatterns(patterns, &getContext());
    if (failed(applyPatternsGreedily(getOperation(), std::move(patterns))))
      signalPassFailure();
  }
};

} // namespace
