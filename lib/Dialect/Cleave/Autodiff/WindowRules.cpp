//===- WindowRules.cpp - gradients of convolutions and pooling ------------===//
//
// A convolution's input and weight gradients are oneDNN's backward
// primitives (cleave.conv_grad_data, cleave.conv_grad_weights) on the
// forward window with its padding resolved; its bias's is dy summed over
// the batch and the spatial axes. MaxPool and AveragePool are oneDNN's
// backward pooling (cleave.pool_grad); a global average pool spreads dy
// evenly over the window.
//
//===----------------------------------------------------------------------===//

#include "Rules.h"
#include "cleave/Dialect/Cleave/IR/Window.h"

using namespace mlir;

namespace cleave::graph::autodiff {

namespace {

/// The forward window of a Conv or pool of `kernel`, its padding resolved
/// for the input and output the op has (as its lowering resolves it).
template <typename Op>
FailureOr<WindowSpec> forwardWindow(Op op, ArrayRef<int64_t> kernel) {
  FailureOr<WindowSpec> spec =
      getWindowSpec(op.getLoc(), kernel.size(), kernel, op.getStridesAttr(),
                    op.getDilationsAttr(), op.getPadsAttr(), op.getAutoPad());
  if (failed(spec))
    return failure();
  auto x = cast<ShapedType>(op.getX().getType());
  auto y = cast<ShapedType>(op.getY().getType());
  SmallVector<int64_t> begin, end;
  windowPadding(x.getShape().drop_front(2), y.getShape().drop_front(2), *spec,
                begin, end);
  spec->padsBegin = begin;
  spec->padsEnd = end;
  return spec;
}

LogicalResult conv(ConvOp op, GradientBuilder &b, ArrayRef<Value> dy,
                   MutableArrayRef<Value> dx) {
  // Fusion and layout passes run after differentiation.
  if (op.getZ() || op.getFusedClip() || op.getFusedActivation() ||
      op.getChannelsLast())
    return op.emitError("the gradient of a fused or channels-last Conv is "
                        "not defined (differentiate before cleave-fuse-ops)");
  auto x = cast<ShapedType>(op.getX().getType());
  auto w = cast<ShapedType>(op.getW().getType());
  auto y = cast<ShapedType>(op.getY().getType());
  FailureOr<WindowSpec> spec = forwardWindow(op, w.getShape().drop_front(2));
  if (failed(spec))
    return failure();
  ArrayRef<int64_t> begin = spec->padsBegin, end = spec->padsEnd;
  OpBuilder &builder = b.builder;
  auto list = [&](ArrayRef<int64_t> v) { return builder.getDenseI64ArrayAttr(v); };
  auto group = builder.getI64IntegerAttr((int64_t)op.getGroup());
  dx[0] = ConvGradDataOp::create(builder, b.loc, x, dy[0], op.getW(),
                                 list(spec->strides), list(spec->dilations),
                                 list(begin), list(end), group);
  dx[1] = ConvGradWeightsOp::create(builder, b.loc, w, op.getX(), dy[0],
                                    list(spec->strides),
                                    list(spec->dilations), list(begin),
                                    list(end), group);
  if (!isNone(op.getB())) {
    SmallVector<int64_t> axes = {0};
    for (int64_t i = 2; i < y.getRank(); ++i)
      axes.push_back(i);
    dx[2] = b.reshape(b.sumKeep(dy[0], axes), {w.getDimSize(0)});
  }
  return success();
}

/// MaxPool and AveragePool: the window as the forward resolved it.
template <typename Op>
LogicalResult pool(Op op, StringRef kind, GradientBuilder &b,
                   ArrayRef<Value> dy, MutableArrayRef<Value> dx) {
  if (op.getChannelsLast())
    return op.emitError("the gradient of a channels-last pool is not "
                        "defined (differentiate before cleave-channels-last)");
  auto x = cast<ShapedType>(op.getX().getType());
  FailureOr<WindowSpec> spec = forwardWindow(op, *op.getKernelShape());
  if (failed(spec))
    return failure();
  ArrayRef<int64_t> begin = spec->padsBegin, end = spec->padsEnd;
  OpBuilder &builder = b.builder;
  auto list = [&](ArrayRef<int64_t> v) { return builder.getDenseI64ArrayAttr(v); };
  dx[0] = PoolGradOp::create(builder, b.loc, x, op.getX(), dy[0],
                             builder.getStringAttr(kind), list(spec->kernel),
                             list(spec->strides), list(spec->dilations),
                             list(begin), list(end));
  return success();
}

LogicalResult maxPool(MaxPoolOp op, GradientBuilder &b, ArrayRef<Value> dy,
                      MutableArrayRef<Value> dx) {
  if (op.getStorageOrder() != 0)
    return op.emitError("the gradient of MaxPool with storage_order=1 is not "
                        "supported");
  return pool(op, "max", b, dy, dx);
}

LogicalResult averagePool(AveragePoolOp op, GradientBuilder &b,
                          ArrayRef<Value> dy, MutableArrayRef<Value> dx) {
  return pool(op, op.getCountIncludePad() ? "average_include_pad" : "average",
              b, dy, dx);
}

LogicalResult globalAveragePool(GlobalAveragePoolOp op, GradientBuilder &b,
                                ArrayRef<Value> dy,
                                MutableArrayRef<Value> dx) {
  auto x = cast<ShapedType>(op.getX().getType());
  int64_t window = 1;
  for (int64_t size : x.getShape().drop_front(2))
    window *= size;
  Value scaled = b.create<MulOp>(
      dy[0], b.scalar(1.0 / (double)window, x.getElementType()));
  dx[0] = b.expandTo(scaled, x);
  return success();
}

} // namespace

void attachWindowRules(MLIRContext *ctx) {
  attach<ConvOp, conv>(ctx);
  attach<GlobalAveragePoolOp, globalAveragePool>(ctx);
  attach<MaxPoolOp, maxPool>(ctx);
  attach<AveragePoolOp, averagePool>(ctx);
}

} // namespace cleave::graph::autodiff
