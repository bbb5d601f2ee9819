//===- NetworkOps.cpp - result types of products, windows, normalisations -===//

#include "OpHelpers.h"
#include "cleave/Dialect/Cleave/IR/Window.h"
#include "cleave/Dialect/Cleave/IR/ConstantUtils.h"
#include "mlir/IR/Builders.h"
#include "mlir/IR/TypeUtilities.h"
#include "llvm/ADT/STLExtras.h"
#include "llvm/ADT/StringExtras.h"
#include "llvm/Support/CheckedArithmetic.h"

using namespace mlir;
using namespace cleave::graph;
using namespace cleave::graph::helpers;

//===----------------------------------------------------------------------===//
// Neural-network ops
//===----------------------------------------------------------------------===//

LogicalResult MatMulOp::inferReturnTypes(MLIRContext *,
                                         std::optional<Location> loc,
                                         Adaptor adaptor,
                                         SmallVectorImpl<Type> &types) {
  RankedTensorType a = rankedType(adaptor.getA());
  RankedTensorType b = rankedType(adaptor.getB());
  if (a.getRank() == 0 || b.getRank() == 0)
    return emitOptionalError(loc, "inputs must have rank 1 or more");
  if (a.getElementType() != b.getElementType())
    return emitOptionalError(loc, "inputs have different element types");
  SmallVector<int64_t> aShape(a.getShape()), bShape(b.getShape());
  bool aVector = aShape.size() == 1, bVector = bShape.size() == 1;
  if ((adaptor.getTransposeA() && aVector) ||
      (adaptor.getTransposeB() && bVector))
    return emitOptionalError(loc, "a transposed operand needs rank 2 or more");
  if (adaptor.getTransposeA())
    std::swap(aShape[aShape.size() - 1], aShape[aShape.size() - 2]);
  if (adaptor.getTransposeB())
    std::swap(bShape[bShape.size() - 1], bShape[bShape.size() - 2]);
  if (aVector)
    aShape.insert(aShape.begin(), 1);
  if (bVector)
    bShape.push_back(1);
  int64_t m = aShape[aShape.size() - 2], k = aShape.back();
  int64_t k2 = bShape[bShape.size() - 2], n = bShape.back();
  if (k != k2)
    return emitOptionalError(loc, "contracting dimensions differ (", k, " and ",
                             k2, ")");
  std::optional<SmallVector<int64_t>> batch =
      broadcastShapes(ArrayRef<int64_t>(aShape).drop_back(2),
                      ArrayRef<int64_t>(bShape).drop_back(2));
  if (!batch)
    return emitOptionalError(loc, "batch dimensions do not broadcast");
  SmallVector<int64_t> shape = *batch;
  if (!aVector)
    shape.push_back(m);
  if (!bVector)
    shape.push_back(n);
  types.push_back(withShape(adaptor.getA(), shape));
  return success();
}

LogicalResult GemmOp::inferReturnTypes(MLIRContext *,
                                       std::optional<Location> loc,
                                       Adaptor adaptor,
                                       SmallVectorImpl<Type> &types) {
  RankedTensorType a = rankedType(adaptor.getA());
  RankedTensorType b = rankedType(adaptor.getB());
  if (a.getRank() != 2 || b.getRank() != 2)
    return emitOptionalError(loc, "A and B must be matrices");
  int64_t m = a.getDimSize(adaptor.getTransA() ? 1 : 0);
  int64_t k = a.getDimSize(adaptor.getTransA() ? 0 : 1);
  int64_t k2 = b.getDimSize(adaptor.getTransB() ? 1 : 0);
  int64_t n = b.getDimSize(adaptor.getTransB() ? 0 : 1);
  if (k != k2)
    return emitOptionalError(loc, "contracting dimensions differ (", k, " and ",
                             k2, ")");
  if (!isNone(adaptor.getC())) {
    std::optional<SmallVector<int64_t>> shape =
        broadcastShapes(rankedType(adaptor.getC()).getShape(), {m, n});
    if (!shape || (*shape)[0] != m || (*shape)[1] != n)
      return emitOptionalError(loc, "C does not broadcast to [", m, ", ", n,
                               "]");
  }
  types.push_back(withShape(adaptor.getA(), {m, n}));
  return success();
}

namespace {
/// [N, C, spatial...] from [N, spatial..., C] (channels_last ops infer in
/// ONNX's layout).
SmallVector<int64_t> channelsFirst(ArrayRef<int64_t> shape) {
  SmallVector<int64_t> result = {shape.front(), shape.back()};
  llvm::append_range(result, shape.drop_front().drop_back());
  return result;
}

/// [N, spatial..., C] from [N, C, spatial...].
SmallVector<int64_t> channelsLast(ArrayRef<int64_t> shape) {
  SmallVector<int64_t> result = {shape.front()};
  llvm::append_range(result, shape.drop_front(2));
  result.push_back(shape[1]);
  return result;
}

template <typename PoolAdaptor>
LogicalResult inferPool(std::optional<Location> loc, PoolAdaptor adaptor,
                        Value x, int64_t numResults,
                        SmallVectorImpl<Type> &types) {
  RankedTensorType input = rankedType(x);
  if (input.getRank() < 3)
    return emitOptionalError(loc, "expects an input of rank 3 or more");
  bool last = adaptor.getChannelsLast();
  FailureOr<WindowSpec> window =
      getWindowSpec(loc, input.getRank() - 2, adaptor.getKernelShape(),
                adaptor.getStridesAttr(), adaptor.getDilationsAttr(),
                adaptor.getPadsAttr(), adaptor.getAutoPad());
  if (failed(window))
    return failure();
  SmallVector<int64_t> inShape(input.getShape());
  if (last)
    inShape = channelsFirst(inShape);
  FailureOr<SmallVector<int64_t>> spatial = windowOutput(
      loc, ArrayRef<int64_t>(inShape).drop_front(2), *window,
      adaptor.getCeilMode());
  if (failed(spatial))
    return failure();
  SmallVector<int64_t> shape(inShape.begin(), inShape.begin() + 2);
  llvm::append_range(shape, *spatial);
  if (last)
    shape = channelsLast(shape);
  types.push_back(withShape(x, shape));
  if (numResults == 2)
    types.push_back(RankedTensorType::get(shape, i64(x.getContext())));
  return success();
}
} // namespace

namespace {
/// A convolution's output shape [N, M, spatial...] in ONNX's layout, from
/// X [N, C, ...], W [M, C / group, k...] and the window attributes.
template <typename Adaptor>
FailureOr<SmallVector<int64_t>>
convShape(std::optional<Location> loc, RankedTensorType x, RankedTensorType w,
          uint64_t groups, Adaptor adaptor) {
  auto group = (int64_t)groups;
  if (group <= 0 || x.getDimSize(1) != w.getDimSize(1) * group)
    return emitOptionalError(loc, "X has ", x.getDimSize(1),
                             " channels but W expects ", w.getDimSize(1),
                             " per group for ", group, " groups");
  std::optional<ArrayRef<int64_t>> kernel = adaptor.getKernelShape();
  if (!kernel)
    kernel = w.getShape().drop_front(2);
  FailureOr<WindowSpec> window = getWindowSpec(
      loc, x.getRank() - 2, kernel, adaptor.getStridesAttr(),
      adaptor.getDilationsAttr(), adaptor.getPadsAttr(), adaptor.getAutoPad());
  if (failed(window))
    return failure();
  FailureOr<SmallVector<int64_t>> spatial =
      windowOutput(loc, x.getShape().drop_front(2), *window, false);
  if (failed(spatial))
    return failure();
  SmallVector<int64_t> shape = {x.getDimSize(0), w.getDimSize(0)};
  llvm::append_range(shape, *spatial);
  return shape;
}
} // namespace

LogicalResult ConvIntegerOp::inferReturnTypes(MLIRContext *context,
                                              std::optional<Location> loc,
                                              Adaptor adaptor,
                                              SmallVectorImpl<Type> &types) {
  RankedTensorType x = rankedType(adaptor.getX());
  RankedTensorType w = rankedType(adaptor.getW());
  if (x.getRank() < 3 || x.getRank() > 5 || w.getRank() != x.getRank())
    return emitOptionalError(loc, "X and W must have the same rank, 3 to 5");
  FailureOr<SmallVector<int64_t>> shape =
      convShape(loc, x, w, adaptor.getGroup(), adaptor);
  if (failed(shape))
    return failure();
  for (auto [name, zero, of, most] :
       {std::tuple{"x_zero_point", adaptor.getXZeroPoint(), x, int64_t(1)},
        std::tuple{"w_zero_point", adaptor.getWZeroPoint(), w,
                   w.getDimSize(0)}})
    if (!isa<NoneType>(zero.getType())) {
      RankedTensorType type = rankedType(zero);
      if (type.getRank() > 1 ||
          (type.getNumElements() != 1 && type.getNumElements() != most))
        return emitOptionalError(loc, name, " must be a scalar",
                                 most > 1 ? " or one per output channel" : "");
      if (type.getElementType() != of.getElementType())
        return emitOptionalError(loc, name, " must have its input's type");
    }
  types.push_back(RankedTensorType::get(*shape, IntegerType::get(context, 32)));
  return success();
}

LogicalResult ConvOp::inferReturnTypes(MLIRContext *,
                                       std::optional<Location> loc,
                                       Adaptor adaptor,
                                       SmallVectorImpl<Type> &types) {
  RankedTensorType xType = rankedType(adaptor.getX());
  RankedTensorType w = rankedType(adaptor.getW());
  if (xType.getRank() < 3 || w.getRank() != xType.getRank())
    return emitOptionalError(loc, "X and W must have the same rank, 3 or more");
  if (std::optional<ArrayRef<float>> clip = adaptor.getFusedClip())
    if (clip->size() != 2 || !((*clip)[0] <= (*clip)[1]))
      return emitOptionalError(loc,
                               "fused_clip must be [lo, hi] with lo <= hi");
  bool last = adaptor.getChannelsLast();
  // Inferred in ONNX's layout, then permuted back for channels_last.
  RankedTensorType x =
      last ? RankedTensorType::get(channelsFirst(xType.getShape()),
                                   xType.getElementType())
           : xType;
  FailureOr<SmallVector<int64_t>> convolved =
      convShape(loc, x, w, adaptor.getGroup(), adaptor);
  if (failed(convolved))
    return failure();
  SmallVector<int64_t> shape = std::move(*convolved);
  if (last)
    shape = channelsLast(shape);
  if (Value z = adaptor.getZ())
    if (rankedType(z).getShape() != ArrayRef<int64_t>(shape))
      return emitOptionalError(loc, "Z must have the output's shape");
  types.push_back(withShape(adaptor.getX(), shape));
  return success();
}

LogicalResult ConvTransposeOp::inferReturnTypes(MLIRContext *,
                                                std::optional<Location> loc,
                                                Adaptor adaptor,
                                                SmallVectorImpl<Type> &types) {
  RankedTensorType x = rankedType(adaptor.getX());
  RankedTensorType w = rankedType(adaptor.getW());
  if (x.getRank() < 3 || w.getRank() != x.getRank())
    return emitOptionalError(loc, "X and W must have the same rank, 3 or more");
  if (x.getDimSize(1) != w.getDimSize(0))
    return emitOptionalError(loc, "X has ", x.getDimSize(1),
                             " channels but W has ", w.getDimSize(0));
  int64_t spatialRank = x.getRank() - 2;
  std::optional<ArrayRef<int64_t>> kernel = adaptor.getKernelShape();
  if (!kernel)
    kernel = w.getShape().drop_front(2);
  FailureOr<WindowSpec> window = getWindowSpec(
      loc, spatialRank, kernel, adaptor.getStridesAttr(),
      adaptor.getDilationsAttr(), adaptor.getPadsAttr(), adaptor.getAutoPad());
  if (failed(window))
    return failure();
  if ((int64_t)adaptor.getGroup() <= 0)
    return emitOptionalError(loc, "group must be positive");
  SmallVector<int64_t> shape = {x.getDimSize(0),
                                w.getDimSize(1) * (int64_t)adaptor.getGroup()};
  if (std::optional<ArrayRef<int64_t>> outputShape = adaptor.getOutputShape()) {
    ArrayRef<int64_t> dims = *outputShape;
    if ((int64_t)dims.size() == spatialRank + 2)
      dims = dims.drop_front(2);
    if ((int64_t)dims.size() != spatialRank)
      return emitOptionalError(loc, "output_shape has ", outputShape->size(),
                               " entries for ", spatialRank, " spatial axes");
    llvm::append_range(shape, dims);
  } else {
    SmallVector<int64_t> outputPadding(spatialRank, 0);
    if (std::optional<ArrayRef<int64_t>> attr = adaptor.getOutputPadding())
      outputPadding.assign(attr->begin(), attr->end());
    if ((int64_t)outputPadding.size() != spatialRank)
      return emitOptionalError(loc, "output_padding has the wrong length");
    for (int64_t i = 0; i < spatialRank; ++i) {
      int64_t in = x.getDimSize(i + 2);
      if (window->autoPad == AutoPad::SameUpper || window->autoPad == AutoPad::SameLower) {
        shape.push_back(in * window->strides[i]);
        continue;
      }
      int64_t pads = window->autoPad == AutoPad::Valid
                         ? 0
                         : window->padsBegin[i] + window->padsEnd[i];
      shape.push_back(window->strides[i] * (in - 1) + outputPadding[i] +
                      (window->kernel[i] - 1) * window->dilations[i] + 1 -
                      pads);
    }
  }
  types.push_back(withShape(adaptor.getX(), shape));
  return success();
}

LogicalResult AveragePoolOp::inferReturnTypes(MLIRContext *,
                                              std::optional<Location> loc,
                                              Adaptor adaptor,
                                              SmallVectorImpl<Type> &types) {
  return inferPool(loc, adaptor, adaptor.getX(), 1, types);
}

LogicalResult MaxPoolOp::inferReturnTypes(MLIRContext *,
                                          std::optional<Location> loc,
                                          Adaptor adaptor,
                                          SmallVectorImpl<Type> &types) {
  return inferPool(loc, adaptor, adaptor.getX(), 2, types);
}

LogicalResult DetOp::inferReturnTypes(MLIRContext *,
                                      std::optional<Location> loc,
                                      Adaptor adaptor,
                                      SmallVectorImpl<Type> &types) {
  // [*, M, M] -> [*].
  RankedTensorType x = rankedType(adaptor.getX());
  if (x.getRank() < 2 || x.getShape().back() != x.getShape()[x.getRank() - 2])
    return emitOptionalError(loc, "X must be [*, M, M]");
  types.push_back(withShape(adaptor.getX(), x.getShape().drop_back(2)));
  return success();
}

LogicalResult GridSampleOp::inferReturnTypes(MLIRContext *,
                                             std::optional<Location> loc,
                                             Adaptor adaptor,
                                             SmallVectorImpl<Type> &types) {
  // X [N, C, D1..Dr], grid [N, D1_out..Dr_out, r] -> Y [N, C, D1_out..].
  RankedTensorType x = rankedType(adaptor.getX());
  RankedTensorType grid = rankedType(adaptor.getGrid());
  int64_t r = x.getRank() - 2;
  if (r < 1 || grid.getRank() != r + 2 || grid.getShape().back() != r ||
      grid.getDimSize(0) != x.getDimSize(0))
    return emitOptionalError(loc, "grid must be [N, spatial out..., ", r,
                             "] for X of rank ", x.getRank());
  if (grid.getElementType() != x.getElementType())
    return emitOptionalError(loc, "X and grid have different element types");
  SmallVector<int64_t> shape = {x.getDimSize(0), x.getDimSize(1)};
  llvm::append_range(shape, grid.getShape().drop_front().drop_back());
  types.push_back(RankedTensorType::get(shape, x.getElementType()));
  return success();
}

LogicalResult TfIdfVectorizerOp::inferReturnTypes(
    MLIRContext *context, std::optional<Location> loc, Adaptor adaptor,
    SmallVectorImpl<Type> &types) {
  // X [C] or [B, C] -> Y [size] or [B, size].
  RankedTensorType x = rankedType(adaptor.getX());
  ArrayRef<int64_t> indexes = adaptor.getNgramIndexes();
  ArrayRef<int64_t> counts = adaptor.getNgramCounts();
  if (x.getRank() < 1 || x.getRank() > 2)
    return emitOptionalError(loc, "X must be [C] or [B, C]");
  if (indexes.empty() || *llvm::min_element(indexes) < 0)
    return emitOptionalError(loc, "ngram_indexes must be non-negative and "
                                  "not empty");
  auto pool = (int64_t)adaptor.getPoolInt64s().size();
  int64_t grams = 0;
  for (size_t i = 0; i < counts.size(); ++i) {
    int64_t end = i + 1 < counts.size() ? counts[i + 1] : pool;
    if (counts[i] < 0 || end < counts[i] || end > pool)
      return emitOptionalError(loc,
                               "ngram_counts must be ascending starts "
                               "within the pool of ",
                               pool);
    if ((end - counts[i]) % (int64_t)(i + 1))
      return emitOptionalError(loc, "the pool's ", i + 1, "-grams (",
                               end - counts[i],
                               " values) are not whole n-grams");
    grams += (end - counts[i]) / (int64_t)(i + 1);
  }
  if ((int64_t)indexes.size() < grams)
    return emitOptionalError(loc, "ngram_indexes has ", indexes.size(),
                             " entries for the pool's ", grams, " n-grams");
  auto min = (int64_t)adaptor.getMinGramLength();
  auto max = (int64_t)adaptor.getMaxGramLength();
  if (min < 1 || max < min || (int64_t)adaptor.getMaxSkipCount() < 0)
    return emitOptionalError(loc, "need 1 <= min_gram_length <= "
                                  "max_gram_length and max_skip_count >= 0");
  SmallVector<int64_t> shape(x.getShape().drop_back());
  shape.push_back(*llvm::max_element(indexes) + 1);
  if (Value weights = adaptor.getWeights(); !isa<NoneType>(weights.getType())) {
    RankedTensorType type = rankedType(weights);
    if (type.getRank() != 1 || type.getDimSize(0) < shape.back() ||
        !type.getElementType().isF32())
      return emitOptionalError(loc,
                               "weights must be f32 with one per output "
                               "column (",
                               shape.back(), ")");
  }
  types.push_back(RankedTensorType::get(shape, Float32Type::get(context)));
  return success();
}

LogicalResult RoiAlignOp::inferReturnTypes(MLIRContext *,
                                           std::optional<Location> loc,
                                           Adaptor adaptor,
                                           SmallVectorImpl<Type> &types) {
  // X [N, C, H, W], rois [R, 4], batch_indices [R] -> Y [R, C, oh, ow].
  RankedTensorType x = rankedType(adaptor.getX());
  RankedTensorType rois = rankedType(adaptor.getRois());
  RankedTensorType indices = rankedType(adaptor.getBatchIndices());
  if (x.getRank() != 4)
    return emitOptionalError(loc, "X must be [N, C, H, W]");
  if (rois.getRank() != 2 || rois.getDimSize(1) != 4)
    return emitOptionalError(loc, "rois must be [num_rois, 4]");
  if (indices.getRank() != 1 || indices.getDimSize(0) != rois.getDimSize(0))
    return emitOptionalError(loc, "batch_indices must be [num_rois] (",
                             rois.getDimSize(0), ")");
  if (rois.getElementType() != x.getElementType())
    return emitOptionalError(loc, "X and rois have different element types");
  // I64Attr getters return the bits unsigned: read them signed.
  auto height = (int64_t)adaptor.getOutputHeight();
  auto width = (int64_t)adaptor.getOutputWidth();
  if (height < 1 || width < 1 || (int64_t)adaptor.getSamplingRatio() < 0)
    return emitOptionalError(loc, "output_height and output_width must be "
                                  "positive and sampling_ratio not negative");
  types.push_back(RankedTensorType::get(
      {rois.getDimSize(0), x.getDimSize(1), height, width},
      x.getElementType()));
  return success();
}

LogicalResult BatchNormalizationOp::inferReturnTypes(
    MLIRContext *, std::optional<Location> loc, Adaptor adaptor,
    SmallVectorImpl<Type> &types) {
  RankedTensorType x = rankedType(adaptor.getX());
  if (x.getRank() < 2)
    return emitOptionalError(loc, "X must have rank 2 or more");
  int64_t channels =
      adaptor.getChannelsLast() ? x.getShape().back() : x.getDimSize(1);
  for (Value v : {adaptor.getScale(), adaptor.getB(), adaptor.getInputMean(),
                  adaptor.getInputVar()})
    if (rankedType(v).getRank() != 1 || rankedType(v).getDimSize(0) != channels)
      return emitOptionalError(loc, "scale, B, mean and var must have shape [",
                               channels, "]");
  types.push_back(x);
  types.push_back(adaptor.getInputMean().getType());
  types.push_back(adaptor.getInputVar().getType());
  return success();
}

LogicalResult InstanceNormalizationOp::inferReturnTypes(
    MLIRContext *, std::optional<Location> loc, Adaptor adaptor,
    SmallVectorImpl<Type> &types) {
  RankedTensorType x = rankedType(adaptor.getInput());
  if (x.getRank() < 3)
    return emitOptionalError(loc, "input must have rank 3 or more");
  types.push_back(x);
  return success();
}

LogicalResult LayerNormalizationOp::inferReturnTypes(
    MLIRContext *context, std::optional<Location> loc, Adaptor adaptor,
    SmallVectorImpl<Type> &types) {
  RankedTensorType x = rankedType(adaptor.getX());
  FailureOr<int64_t> axis =
      normalizeAxis(loc, (int64_t)adaptor.getAxis(), x.getRank());
  if (failed(axis))
    return failure();
  SmallVector<int64_t> statsShape(x.getShape().take_front(*axis));
  statsShape.resize(x.getRank(), 1);
  Type stashType = adaptor.getStashType() == 1 ? Float32Type::get(context)
                                               : x.getElementType();
  types.push_back(x);
  types.push_back(RankedTensorType::get(statsShape, stashType));
  types.push_back(RankedTensorType::get(statsShape, stashType));
  return success();
}

