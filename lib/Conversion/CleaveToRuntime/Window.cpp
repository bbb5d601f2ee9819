//===- Window.cpp - convolutions and pooling ------------------------------===//

#include "Lowering.h"
#include "cleave/Dialect/Cleave/IR/Window.h"

using namespace mlir;
using namespace cleave::graph;

namespace cleave::lowering {

namespace {

/// The spatial dims of a [N, C, spatial...] or [N, spatial..., C] shape.
ArrayRef<int64_t> spatialDims(ShapedType type, bool channelsLast) {
  return channelsLast ? type.getShape().drop_front().drop_back()
                      : type.getShape().drop_front(2);
}

/// The window of a Conv, MaxPool or AveragePool of `kernel`.
/// The padding comes from the window rules the shape inference uses
/// (cleave/Dialect/Cleave/IR/Window.h), for the output the op has.
template <typename Op>
Value windowOf(Op op, ArrayRef<int64_t> kernel, ProgramBuilder &p) {
  auto x = cast<ShapedType>(op.getX().getType());
  auto y = cast<ShapedType>(op.getY().getType());
  bool last = false;
  if constexpr (!std::is_same_v<Op, ConvIntegerOp>)
    last = op.getChannelsLast();
  // The verifier checked these attributes.
  WindowSpec spec = *getWindowSpec(std::nullopt, kernel.size(), kernel,
                                   op.getStridesAttr(), op.getDilationsAttr(),
                                   op.getPadsAttr(), op.getAutoPad());
  ResolvedWindow w;
  w.kernel = spec.kernel;
  w.strides = spec.strides;
  w.dilations = spec.dilations;
  windowPadding(spatialDims(x, last), spatialDims(y, last), spec, w.begin,
                w.end);
  return p.window(w, last);
}

/// y = act(clip(conv(x, w) + b + z, lo, hi)): the bias, the fused residual
/// z, clip and activation (cleave-fuse-ops) are optional.
LogicalResult lowerConv(ConvOp op, ProgramBuilder &p) {
  if (failed(p.f32Only(op)))
    return failure();
  float lo = -INFINITY, hi = INFINITY;
  if (std::optional<ArrayRef<float>> clip = op.getFusedClip()) {
    lo = (*clip)[0];
    hi = (*clip)[1];
  }
  p.kernel("conv_fused",
           {p.in(op, 0), p.in(op, 1), isNone(op.getB()) ? Value() : p.in(op, 2),
            op.getZ() ? p.view(op.getZ()) : Value(),
            windowOf(op, op.getW().getType().getShape().drop_front(2), p),
            p.i64(op.getGroup()), p.f32(lo), p.f32(hi),
            p.i32(op.getFusedActivation() ? (int32_t)*op.getFusedActivation()
                                          : 0),
            p.out(op)});
  return success();
}

LogicalResult lowerConvInteger(ConvIntegerOp op, ProgramBuilder &p) {
  auto optional = [&](Value v, unsigned i) {
    return isNone(v) ? Value() : p.in(op, i);
  };
  p.kernel("conv_integer",
           {p.in(op, 0), p.in(op, 1), optional(op.getXZeroPoint(), 2),
            optional(op.getWZeroPoint(), 3),
            windowOf(op, op.getW().getType().getShape().drop_front(2), p),
            p.i64(op.getGroup()), p.out(op)});
  return success();
}

LogicalResult lowerConvTranspose(ConvTransposeOp op, ProgramBuilder &p) {
  if (failed(p.f32Only(op)))
    return failure();
  auto x = cast<ShapedType>(op.getX().getType());
  auto y = cast<ShapedType>(op.getY().getType());
  auto w = cast<ShapedType>(op.getW().getType());
  int64_t rank = x.getRank() - 2;
  SmallVector<int64_t> kernelShape(w.getShape().drop_front(2));
  if (std::optional<ArrayRef<int64_t>> given = op.getKernelShape())
    kernelShape.assign(given->begin(), given->end());
  ResolvedWindow win;
  AutoPad autoPad = op.getAutoPad();
  bool derived = op.getOutputShape().has_value() ||
                 autoPad == AutoPad::SameUpper || autoPad == AutoPad::SameLower;
  for (int64_t i = 0; i < rank; ++i) {
    int64_t s = op.getStrides() ? (*op.getStrides())[i] : 1;
    int64_t d = op.getDilations() ? (*op.getDilations())[i] : 1;
    int64_t extra = op.getOutputPadding() ? (*op.getOutputPadding())[i] : 0;
    int64_t extent = (kernelShape[i] - 1) * d + 1;
    int64_t begin = op.getPads() ? (*op.getPads())[i] : 0;
    if (autoPad == AutoPad::Valid)
      begin = 0;
    if (derived) {
      // ONNX: total padding from the output size, split at the start
      // (SAME_UPPER) or at the end (otherwise).
      int64_t total =
          s * (x.getDimSize(i + 2) - 1) + extra + extent - y.getDimSize(i + 2);
      // Floor division, as ONNX's definition (a negative total means the
      // output is longer than the input covers).
      int64_t half = total >= 0 ? total / 2 : -((-total + 1) / 2);
      begin = autoPad == AutoPad::SameUpper ? half : total - half;
    }
    win.kernel.push_back(kernelShape[i]);
    win.strides.push_back(s);
    win.dilations.push_back(d);
    win.begin.push_back(begin);
    win.end.push_back(0);
  }
  p.kernel("conv_transpose",
           {p.in(op, 0), p.in(op, 1), isNone(op.getB()) ? Value() : p.in(op, 2),
            p.window(win), p.i64(op.getGroup()), p.out(op)});
  return success();
}

LogicalResult pool(Operation *op, StringRef kind, Value window,
                   ProgramBuilder &p) {
  p.kernel("pool", {p.token(kind), p.in(op, 0), window, p.out(op)});
  return success();
}

LogicalResult lowerMaxPool(MaxPoolOp op, ProgramBuilder &p) {
  // oneDNN's pooling for f32 without indices; the definition's loop for
  // other types and for the indices (NCHW offsets, so never channels-last).
  bool withIndices = !op.getIndices().use_empty();
  if (!withIndices &&
      cast<ShapedType>(op.getY().getType()).getElementType().isF32())
    return pool(op, "CLEAVE_POOL_MAX", windowOf(op, *op.getKernelShape(), p),
                p);
  if (op.getChannelsLast())
    return p.unsupported(op, "indices or non-f32 types in channels-last form");
  p.kernel("max_pool_indices",
           {p.in(op, 0), windowOf(op, *op.getKernelShape(), p),
            p.i32(op.getStorageOrder()), p.out(op, 0),
            withIndices ? p.out(op, 1) : Value()});
  return success();
}

LogicalResult lowerAveragePool(AveragePoolOp op, ProgramBuilder &p) {
  if (failed(p.f32Only(op)))
    return failure();
  return pool(op,
              op.getCountIncludePad() ? "CLEAVE_POOL_AVG_INCLUDE_PAD"
                                      : "CLEAVE_POOL_AVG_EXCLUDE_PAD",
              windowOf(op, *op.getKernelShape(), p), p);
}

/// A global pool is a pool whose window is the whole image.
LogicalResult lowerGlobalPool(Operation *op, StringRef kind,
                              ProgramBuilder &p) {
  if (failed(p.f32Only(op)))
    return failure();
  ArrayRef<int64_t> spatial =
      cast<ShapedType>(op->getOperand(0).getType()).getShape().drop_front(2);
  SmallVector<int64_t> ones(spatial.size(), 1), zeros(spatial.size(), 0);
  return pool(
      op, kind,
      p.window({SmallVector<int64_t>(spatial), ones, ones, zeros, zeros}), p);
}

} // namespace

void populateWindowLowerings(LoweringTable &table) {
  table.add<ConvOp>(lowerConv);
  table.add<ConvIntegerOp>(lowerConvInteger);
  table.add<ConvTransposeOp>(lowerConvTranspose);
  table.add<MaxPoolOp>(lowerMaxPool);
  table.add<AveragePoolOp>(lowerAveragePool);
  table.add<GlobalMaxPoolOp>([](GlobalMaxPoolOp op, ProgramBuilder &p) {
    return lowerGlobalPool(op, "CLEAVE_POOL_MAX", p);
  });
  table.add<GlobalAveragePoolOp>([](GlobalAveragePoolOp op, ProgramBuilder &p) {
    return lowerGlobalPool(op, "CLEAVE_POOL_AVG_EXCLUDE_PAD", p);
  });
}

} // namespace cleave::lowering
