//===- DataMovement.cpp - copies, layouts, gathers, padding, resizing -----===//

#include "Lowering.h"
#include "cleave/Dialect/Cleave/IR/ConstantUtils.h"
#include "llvm/ADT/StringSwitch.h"

using namespace mlir;
using namespace cleave::graph;

namespace cleave::lowering {

namespace {

LogicalResult lowerSlice(SliceOp op, ProgramBuilder &p) {
  std::optional<SmallVector<SliceAxis>> slice = op.getConstantSlice();
  if (!slice)
    return p.unsupported(op, "starts, ends, axes and steps must be constants");
  SmallVector<int64_t> first, step;
  for (const SliceAxis &s : *slice) {
    first.push_back(s.start);
    step.push_back(s.step);
  }
  p.kernel("slice", {p.in(op, 0), p.list(first), p.list(step), p.out(op)});
  return success();
}

LogicalResult lowerSplit(SplitOp op, ProgramBuilder &p) {
  auto x = cast<ShapedType>(op.getInput().getType());
  int64_t axis = positiveAxis((int64_t)op.getAxis(), x.getRank());
  SmallVector<int64_t> first(x.getRank(), 0), step(x.getRank(), 1);
  for (Value result : op.getOutputs()) {
    p.kernel("slice",
             {p.in(op, 0), p.list(first), p.list(step), p.view(result)});
    first[axis] += cast<ShapedType>(result.getType()).getDimSize(axis);
  }
  return success();
}

/// The kernel's enumerator for a scatter's reduction.
Attribute scatterReduction(ScatterReduction reduction, ProgramBuilder &p) {
  switch (reduction) {
  case ScatterReduction::Add:
    return p.token("CLEAVE_SCATTER_ADD");
  case ScatterReduction::Mul:
    return p.token("CLEAVE_SCATTER_MUL");
  case ScatterReduction::Max:
    return p.token("CLEAVE_SCATTER_MAX");
  case ScatterReduction::Min:
    return p.token("CLEAVE_SCATTER_MIN");
  case ScatterReduction::None:
    break;
  }
  return p.token("CLEAVE_SCATTER_NONE");
}

LogicalResult lowerPad(PadOp op, ProgramBuilder &p) {
  int64_t rank = rankOf(op.getData());
  std::optional<SmallVector<int64_t>> pads = getConstantInts(op.getPads());
  std::optional<SmallVector<int64_t>> axes =
      isNone(op.getAxes()) ? std::nullopt : getConstantInts(op.getAxes());
  if (!pads || (!isNone(op.getAxes()) && !axes))
    return p.unsupported(op, "pads and axes must be constants");
  SmallVector<int64_t> begin(rank, 0);
  size_t count = pads->size() / 2;
  for (size_t i = 0; i < count; ++i)
    begin[positiveAxis(axes ? (*axes)[i] : (int64_t)i, rank)] = (*pads)[i];
  StringRef kind;
  switch (op.getMode()) {
  case PadMode::Constant:
    kind = "CLEAVE_PAD_CONSTANT";
    break;
  case PadMode::Edge:
    kind = "CLEAVE_PAD_EDGE";
    break;
  case PadMode::Reflect:
    kind = "CLEAVE_PAD_REFLECT";
    break;
  case PadMode::Wrap:
    return p.unsupported(op, "pad mode 'wrap' is not supported");
  }
  double value = 0;
  if (!isNone(op.getConstantValue())) {
    std::optional<SmallVector<double>> v =
        getConstantFloats(op.getConstantValue());
    if (!v || v->size() != 1)
      return p.unsupported(op, "constant_value must be a constant");
    value = (*v)[0];
  }
  p.kernel("pad", {p.in(op, 0), p.list(begin), p.token(kind), p.f64(value),
                   p.out(op)});
  return success();
}

/// One scale per axis of a Resize: the given scales, or output / input;
/// under an aspect-ratio policy, one scale for all its axes.
FailureOr<SmallVector<double>> resizeScales(ResizeOp op, ProgramBuilder &p) {
  auto x = cast<ShapedType>(op.getX().getType());
  auto y = cast<ShapedType>(op.getY().getType());
  int64_t rank = x.getRank();
  SmallVector<int64_t> axes;
  if (std::optional<ArrayRef<int64_t>> given = op.getAxes())
    for (int64_t a : *given)
      axes.push_back(positiveAxis(a, rank));
  else
    for (int64_t a = 0; a < rank; ++a)
      axes.push_back(a);
  SmallVector<double> scales(rank, 1.0);
  std::optional<SmallVector<double>> given;
  if (isNone(op.getSizes()) && !isNone(op.getScales()))
    given = getConstantFloats(op.getScales());
  for (auto [i, axis] : llvm::enumerate(axes))
    scales[axis] = given ? (*given)[i]
                         : (double)y.getDimSize(axis) /
                               std::max<int64_t>(x.getDimSize(axis), 1);
  AspectRatioPolicy policy = op.getKeepAspectRatioPolicy();
  if (policy != AspectRatioPolicy::Stretch && !given) {
    bool notLarger = policy == AspectRatioPolicy::NotLarger;
    double scale = notLarger ? 1e300 : 0;
    std::optional<SmallVector<int64_t>> sizes = getConstantInts(op.getSizes());
    if (!sizes) {
      (void)p.unsupported(op, "sizes must be a constant");
      return failure();
    }
    for (auto [i, axis] : llvm::enumerate(axes)) {
      double s = (double)(*sizes)[i] / x.getDimSize(axis);
      scale = notLarger ? std::min(scale, s) : std::max(scale, s);
    }
    for (int64_t axis : axes)
      scales[axis] = scale;
  }
  return scales;
}

LogicalResult lowerResize(ResizeOp op, ProgramBuilder &p) {
  if (!op.getX().getType().getElementType().isF32())
    return p.unsupported(op, "only f32 kernels exist so far");
  ResizeMode mode = op.getMode();
  CoordinateTransformation coords = op.getCoordinateTransformationMode();
  StringRef coordName;
  switch (coords) {
  case CoordinateTransformation::HalfPixel:
    coordName = "CLEAVE_RESIZE_HALF_PIXEL";
    break;
  case CoordinateTransformation::PytorchHalfPixel:
    coordName = "CLEAVE_RESIZE_PYTORCH_HALF_PIXEL";
    break;
  case CoordinateTransformation::AlignCorners:
    coordName = "CLEAVE_RESIZE_ALIGN_CORNERS";
    break;
  case CoordinateTransformation::Asymmetric:
    coordName = "CLEAVE_RESIZE_ASYMMETRIC";
    break;
  case CoordinateTransformation::TfHalfPixelForNn:
    coordName = "CLEAVE_RESIZE_TF_HALF_PIXEL_FOR_NN";
    break;
  case CoordinateTransformation::TfCropAndResize:
    coordName = "CLEAVE_RESIZE_TF_CROP_AND_RESIZE";
    break;
  case CoordinateTransformation::HalfPixelSymmetric:
    break;
  }
  // The kernel's enumerators are the ONNX names in capitals.
  std::string nearestName =
      "CLEAVE_NEAREST_" + stringifyNearestMode(op.getNearestMode()).upper();
  if (coordName.empty() || op.getAntialias())
    return p.unsupported(op, "mode '" + stringifyResizeMode(mode) +
                                 "' with coordinates '" +
                                 stringifyCoordinateTransformation(coords) +
                                 "' is not supported");
  FailureOr<SmallVector<double>> scales = resizeScales(op, p);
  if (failed(scales))
    return failure();
  SmallVector<float> narrow(scales->begin(), scales->end());
  Attribute scaleList = p.builder.getDenseF32ArrayAttr(narrow);
  if (coords == CoordinateTransformation::TfCropAndResize) {
    // The region as rank starts then rank ends; axes it does not name
    // (opset 18's `axes`) keep all of themselves.
    std::optional<SmallVector<double>> given = getConstantFloats(op.getRoi());
    int64_t rank = op.getX().getType().getRank();
    SmallVector<int64_t> axes;
    if (std::optional<ArrayRef<int64_t>> named = op.getAxes())
      for (int64_t a : *named)
        axes.push_back(positiveAxis(a, rank));
    else
      for (int64_t a = 0; a < rank; ++a)
        axes.push_back(a);
    if (!given || given->size() != 2 * axes.size())
      return p.unsupported(op, "tf_crop_and_resize needs a constant roi of "
                               "2 x " +
                                   Twine(axes.size()) + " values");
    SmallVector<float> roi(rank, 0.0f);
    roi.append(rank, 1.0f);
    for (auto [i, axis] : llvm::enumerate(axes)) {
      roi[axis] = (float)(*given)[i];
      roi[rank + axis] = (float)(*given)[axes.size() + i];
    }
    p.kernel("resize_crop",
             {p.in(op, 0), scaleList, p.builder.getDenseF32ArrayAttr(roi),
              p.i32(mode == ResizeMode::Nearest  ? 0
                    : mode == ResizeMode::Linear ? 1
                                                 : 2),
              p.token(nearestName), p.f32(op.getCubicCoeffA().convertToFloat()),
              p.i32(op.getExcludeOutside() ? 1 : 0),
              p.f32(op.getExtrapolationValue().convertToFloat()), p.out(op)});
    return success();
  }
  if (mode == ResizeMode::Cubic)
    p.kernel("resize_cubic", {p.in(op, 0), scaleList, p.token(coordName),
                              p.f32(op.getCubicCoeffA().convertToFloat()),
                              p.i32(op.getExcludeOutside() ? 1 : 0),
                              p.out(op)});
  else
    p.kernel("resize", {p.in(op, 0), scaleList,
                        p.i32(mode == ResizeMode::Linear),
                        p.token(coordName), p.token(nearestName), p.out(op)});
  return success();
}

} // namespace

void populateDataMovementLowerings(LoweringTable &table) {
  // A view in the arena shares its source's bytes; others copy.
  table.addFamily([](Operation *op) { return isView(op); },
                  [](Operation *op, ProgramBuilder &p) {
                    p.kernel("copy", {p.in(op, 0), p.out(op)});
                    return success();
                  });
  table.add<TransposeOp>([](TransposeOp op, ProgramBuilder &p) {
    p.kernel("transpose",
             {p.in(op, 0), p.list(op.getPermutation()), p.out(op)});
    return success();
  });
  table.add<ConcatOp>([](ConcatOp op, ProgramBuilder &p) {
    p.kernel("concat",
             {p.tensors(op), p.i32(op->getNumOperands()),
              p.i32(positiveAxis((int64_t)op.getAxis(), rankOf(op.getResult()))),
              p.out(op)});
    return success();
  });
  table.add<SliceOp>(lowerSlice);
  table.add<SplitOp>(lowerSplit);
  table.add<PadOp>(lowerPad);
  table.add<ResizeOp>(lowerResize);
  table.add<GridSampleOp>(
      [](GridSampleOp op, ProgramBuilder &p) -> LogicalResult {
        if (failed(p.f32Only(op)))
          return failure();
        if (op.getX().getType().getRank() != 4)
          return p.unsupported(op, "only 2-D sampling (X of rank 4) has a "
                                   "kernel");
        p.kernel("grid_sample",
                 {p.in(op, 0), p.in(op, 1), p.i32((int32_t)op.getMode()),
                  p.i32((int32_t)op.getPaddingMode()),
                  p.i32(op.getAlignCorners() != 0), p.out(op)});
        return success();
      });
  table.add<TfIdfVectorizerOp>([](TfIdfVectorizerOp op,
                                  ProgramBuilder &p) -> LogicalResult {
    auto size = [](ArrayRef<int64_t> a) { return (int64_t)a.size(); };
    p.kernel("tfidf_vectorizer",
             {p.in(op, 0), p.in(op, 1), p.i32((int32_t)op.getMode()),
              p.i32(op.getMinGramLength()), p.i32(op.getMaxGramLength()),
              p.i32(op.getMaxSkipCount()), p.list(op.getPoolInt64s()),
              p.i64(size(op.getPoolInt64s())), p.list(op.getNgramCounts()),
              p.i64(size(op.getNgramCounts())), p.list(op.getNgramIndexes()),
              p.i64(size(op.getNgramIndexes())), p.out(op)});
    return success();
  });
  table.add<RoiAlignOp>([](RoiAlignOp op, ProgramBuilder &p) -> LogicalResult {
    if (!op.getX().getType().getElementType().isF32())
      return p.unsupported(op, "only f32 kernels exist so far");
    p.kernel("roi_align",
             {p.in(op, 0), p.in(op, 1), p.in(op, 2),
              p.i32((int32_t)op.getMode()),
              p.i32((int32_t)op.getCoordinateTransformationMode()),
              p.i32((int32_t)op.getSamplingRatio()),
              p.f32(op.getSpatialScale().convertToFloat()), p.out(op)});
    return success();
  });
  table.add<GatherOp>([](GatherOp op, ProgramBuilder &p) {
    p.kernel("gather",
             {p.in(op, 0), p.in(op, 1),
              p.i32(positiveAxis((int64_t)op.getAxis(), rankOf(op.getData()))),
              p.out(op)});
    return success();
  });
  table.add<GatherElementsOp>([](GatherElementsOp op, ProgramBuilder &p) {
    p.kernel("gather_elements",
             {p.in(op, 0), p.in(op, 1),
              p.i32(positiveAxis((int64_t)op.getAxis(), rankOf(op.getData()))),
              p.out(op)});
    return success();
  });
  table.add<GatherNDOp>([](GatherNDOp op, ProgramBuilder &p) {
    p.kernel("gather_nd", {p.in(op, 0), p.in(op, 1),
                           p.i32((int64_t)op.getBatchDims()), p.out(op)});
    return success();
  });
  // In place when the memory plan gave the output data's buffer.
  table.add<ScatterNDOp>([](ScatterNDOp op, ProgramBuilder &p) {
    p.kernel("scatter_nd", {p.in(op, 0), p.in(op, 1), p.in(op, 2),
                            scatterReduction(op.getReduction(), p), p.out(op)});
    return success();
  });
  table.add<ScatterElementsOp>([](ScatterElementsOp op, ProgramBuilder &p) {
    p.kernel("scatter_elements",
             {p.in(op, 0), p.in(op, 1), p.in(op, 2),
              p.i32(positiveAxis((int64_t)op.getAxis(), rankOf(op.getData()))),
              scatterReduction(op.getReduction(), p), p.out(op)});
    return success();
  });
  table.add<ExpandOp>([](ExpandOp op, ProgramBuilder &p) {
    p.kernel("expand", {p.in(op, 0), p.out(op)});
    return success();
  });
  table.add<TileOp>([](TileOp op, ProgramBuilder &p) {
    p.kernel("tile", {p.in(op, 0), p.out(op)});
    return success();
  });
  table.add<TriluOp>([](TriluOp op, ProgramBuilder &p) -> LogicalResult {
    int64_t k = 0;
    if (!isNone(op.getK())) {
      std::optional<SmallVector<int64_t>> value = getConstantInts(op.getK());
      if (!value || value->size() != 1)
        return p.unsupported(op, "k must be a constant");
      k = (*value)[0];
    }
    p.kernel("trilu",
             {p.in(op, 0), p.i64(k), p.i32(op.getUpper() != 0), p.out(op)});
    return success();
  });
}

} // namespace cleave::lowering
