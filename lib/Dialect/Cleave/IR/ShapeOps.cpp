//===- ShapeOps.cpp - result types of shape and data movement ops ---------===//
//
// Shapes that depend on an input's value (Reshape's shape, Slice's starts,
// ...) need that input to be a constant: the importer folds shape
// computations first.
//
//===----------------------------------------------------------------------===//

#include "OpHelpers.h"
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
// Shape and data movement
//===----------------------------------------------------------------------===//

LogicalResult ShapeOp::inferReturnTypes(MLIRContext *context,
                                        std::optional<Location>,
                                        Adaptor adaptor,
                                        SmallVectorImpl<Type> &types) {
  std::optional<int64_t> end;
  if (adaptor.getEndAttr())
    end = adaptor.getEndAttr().getInt();
  auto [first, last] = shapeOpRange(rankedType(adaptor.getData()).getRank(),
                                    (int64_t)adaptor.getStart(), end);
  types.push_back(RankedTensorType::get({last - first}, i64(context)));
  return success();
}

LogicalResult SizeOp::inferReturnTypes(MLIRContext *context,
                                       std::optional<Location>, Adaptor,
                                       SmallVectorImpl<Type> &types) {
  types.push_back(RankedTensorType::get({}, i64(context)));
  return success();
}

LogicalResult ReshapeOp::inferReturnTypes(MLIRContext *,
                                          std::optional<Location> loc,
                                          Adaptor adaptor,
                                          SmallVectorImpl<Type> &types) {
  RankedTensorType input = rankedType(adaptor.getData());
  std::optional<SmallVector<int64_t>> shape =
      getConstantInts(adaptor.getShape());
  if (!shape) {
    types.push_back(
        unknownShape(adaptor.getData(), lengthOf(adaptor.getShape())));
    return success();
  }
  int64_t inferred = -1, known = 1;
  for (auto [i, dim] : llvm::enumerate(*shape)) {
    if (dim == 0 && !adaptor.getAllowzero()) {
      if ((int64_t)i >= input.getRank())
        return emitOptionalError(loc, "shape[", i,
                                 "] is 0 but the input has rank ",
                                 input.getRank());
      dim = input.getDimSize(i);
    } else if (dim == -1) {
      if (inferred >= 0)
        return emitOptionalError(loc, "shape has more than one -1");
      inferred = i;
      continue;
    } else if (dim < 0) {
      return emitOptionalError(loc, "shape[", i, "] is negative (", dim, ")");
    }
    std::optional<int64_t> next = llvm::checkedMul(known, dim);
    if (!next)
      return emitOptionalError(loc, "shape has too many elements");
    known = *next;
  }
  int64_t total = input.getNumElements();
  if (inferred >= 0) {
    if (known == 0 || total % known != 0)
      return emitOptionalError(loc, "cannot reshape ", total,
                               " elements to a shape with known product ",
                               known);
    (*shape)[inferred] = total / known;
  } else if (known != total) {
    return emitOptionalError(loc, "cannot reshape ", total, " elements into ",
                             known);
  }
  types.push_back(withShape(adaptor.getData(), *shape));
  return success();
}

LogicalResult FlattenOp::inferReturnTypes(MLIRContext *,
                                          std::optional<Location> loc,
                                          Adaptor adaptor,
                                          SmallVectorImpl<Type> &types) {
  RankedTensorType input = rankedType(adaptor.getInput());
  int64_t rank = input.getRank(), axis = (int64_t)adaptor.getAxis();
  if (axis < -rank || axis > rank)
    return emitOptionalError(loc, "axis ", axis, " is out of range for rank ",
                             rank);
  if (axis < 0)
    axis += rank;
  ArrayRef<int64_t> shape = input.getShape();
  types.push_back(
      withShape(adaptor.getInput(), {product(shape.take_front(axis)),
                                     product(shape.drop_front(axis))}));
  return success();
}

LogicalResult SqueezeOp::inferReturnTypes(MLIRContext *,
                                          std::optional<Location> loc,
                                          Adaptor adaptor,
                                          SmallVectorImpl<Type> &types) {
  RankedTensorType input = rankedType(adaptor.getData());
  int64_t rank = input.getRank();
  SmallVector<bool> drop(rank, false);
  if (isNone(adaptor.getAxes())) {
    for (int64_t i = 0; i < rank; ++i)
      drop[i] = input.getDimSize(i) == 1;
  } else {
    std::optional<SmallVector<int64_t>> axes =
        getConstantInts(adaptor.getAxes());
    if (!axes) {
      types.push_back(unknownShape(adaptor.getData(), std::nullopt));
      return success();
    }
    for (int64_t axis : *axes) {
      FailureOr<int64_t> normalized = normalizeAxis(loc, axis, rank);
      if (failed(normalized))
        return failure();
      if (input.getDimSize(*normalized) != 1)
        return emitOptionalError(loc, "cannot squeeze axis ", axis, " of size ",
                                 input.getDimSize(*normalized));
      drop[*normalized] = true;
    }
  }
  SmallVector<int64_t> shape;
  for (int64_t i = 0; i < rank; ++i)
    if (!drop[i])
      shape.push_back(input.getDimSize(i));
  types.push_back(withShape(adaptor.getData(), shape));
  return success();
}

LogicalResult UnsqueezeOp::inferReturnTypes(MLIRContext *,
                                            std::optional<Location> loc,
                                            Adaptor adaptor,
                                            SmallVectorImpl<Type> &types) {
  RankedTensorType input = rankedType(adaptor.getData());
  std::optional<SmallVector<int64_t>> axes = getConstantInts(adaptor.getAxes());
  if (!axes) {
    types.push_back(unknownShape(
        adaptor.getData(), input.getRank() + lengthOf(adaptor.getAxes())));
    return success();
  }
  int64_t rank = input.getRank() + (int64_t)axes->size();
  SmallVector<bool> inserted(rank, false);
  for (int64_t axis : *axes) {
    FailureOr<int64_t> normalized = normalizeAxis(loc, axis, rank);
    if (failed(normalized))
      return failure();
    if (inserted[*normalized])
      return emitOptionalError(loc, "axes has a repeated axis ", axis);
    inserted[*normalized] = true;
  }
  SmallVector<int64_t> shape;
  int64_t next = 0;
  for (int64_t i = 0; i < rank; ++i)
    shape.push_back(inserted[i] ? 1 : input.getDimSize(next++));
  types.push_back(withShape(adaptor.getData(), shape));
  return success();
}

SmallVector<int64_t> TransposeOp::getPermutation() {
  if (std::optional<ArrayRef<int64_t>> perm = getPerm())
    return SmallVector<int64_t>(*perm);
  return llvm::to_vector(
      llvm::reverse(llvm::seq<int64_t>(0, getData().getType().getRank())));
}

LogicalResult TransposeOp::inferReturnTypes(MLIRContext *,
                                            std::optional<Location> loc,
                                            Adaptor adaptor,
                                            SmallVectorImpl<Type> &types) {
  RankedTensorType input = rankedType(adaptor.getData());
  int64_t rank = input.getRank();
  SmallVector<int64_t> perm;
  if (adaptor.getPermAttr())
    perm.assign(adaptor.getPermAttr().asArrayRef().begin(),
                adaptor.getPermAttr().asArrayRef().end());
  else
    for (int64_t i = rank - 1; i >= 0; --i)
      perm.push_back(i);
  if ((int64_t)perm.size() != rank)
    return emitOptionalError(loc, "perm has ", perm.size(),
                             " entries for an input of rank ", rank);
  SmallVector<bool> seen(rank, false);
  SmallVector<int64_t> shape;
  for (int64_t p : perm) {
    if (p < 0 || p >= rank || seen[p])
      return emitOptionalError(loc, "perm is not a permutation of 0..",
                               rank - 1);
    seen[p] = true;
    shape.push_back(input.getDimSize(p));
  }
  types.push_back(withShape(adaptor.getData(), shape));
  return success();
}

LogicalResult ExpandOp::inferReturnTypes(MLIRContext *,
                                         std::optional<Location> loc,
                                         Adaptor adaptor,
                                         SmallVectorImpl<Type> &types) {
  std::optional<SmallVector<int64_t>> shape =
      getConstantInts(adaptor.getShape());
  if (!shape) {
    types.push_back(unknownShape(
        adaptor.getInput(), std::max(rankedType(adaptor.getInput()).getRank(),
                                     lengthOf(adaptor.getShape()))));
    return success();
  }
  if (llvm::any_of(*shape, [](int64_t d) { return d < 0; }))
    return emitOptionalError(loc, "shape has a negative dimension");
  std::optional<SmallVector<int64_t>> result =
      broadcastShapes(rankedType(adaptor.getInput()).getShape(), *shape);
  if (!result)
    return emitOptionalError(loc, "input does not broadcast to the shape");
  types.push_back(withShape(adaptor.getInput(), *result));
  return success();
}

LogicalResult TileOp::inferReturnTypes(MLIRContext *,
                                       std::optional<Location> loc,
                                       Adaptor adaptor,
                                       SmallVectorImpl<Type> &types) {
  RankedTensorType input = rankedType(adaptor.getInput());
  std::optional<SmallVector<int64_t>> repeats =
      getConstantInts(adaptor.getRepeats());
  if (!repeats) {
    types.push_back(unknownShape(adaptor.getInput(), input.getRank()));
    return success();
  }
  if ((int64_t)repeats->size() != input.getRank())
    return emitOptionalError(loc, "repeats has ", repeats->size(),
                             " entries for an input of rank ", input.getRank());
  SmallVector<int64_t> shape;
  for (auto [dim, repeat] : llvm::zip(input.getShape(), *repeats)) {
    std::optional<int64_t> size = llvm::checkedMul(dim, repeat);
    if (repeat < 0 || !size)
      return emitOptionalError(loc, "repeats must be non-negative and small "
                                    "enough");
    shape.push_back(*size);
  }
  types.push_back(withShape(adaptor.getInput(), shape));
  return success();
}

LogicalResult ConcatOp::inferReturnTypes(MLIRContext *,
                                         std::optional<Location> loc,
                                         Adaptor adaptor,
                                         SmallVectorImpl<Type> &types) {
  ValueRange inputs = adaptor.getInputs();
  if (inputs.empty())
    return emitOptionalError(loc, "expects at least one input");
  RankedTensorType first = rankedType(inputs.front());
  FailureOr<int64_t> axis =
      normalizeAxis(loc, (int64_t)adaptor.getAxis(), first.getRank());
  if (failed(axis))
    return failure();
  SmallVector<int64_t> shape(first.getShape());
  shape[*axis] = 0;
  for (Value input : inputs) {
    RankedTensorType type = rankedType(input);
    if (type.getElementType() != first.getElementType() ||
        type.getRank() != first.getRank())
      return emitOptionalError(loc, "inputs differ in element type or rank");
    for (int64_t i = 0; i < type.getRank(); ++i)
      if (i != *axis && type.getDimSize(i) != first.getDimSize(i))
        return emitOptionalError(loc, "inputs differ in dimension ", i,
                                 " outside the concatenation axis");
    shape[*axis] += type.getDimSize(*axis);
  }
  types.push_back(withShape(inputs.front(), shape));
  return success();
}

LogicalResult SplitOp::inferReturnTypes(MLIRContext *,
                                        std::optional<Location> loc,
                                        Adaptor adaptor,
                                        SmallVectorImpl<Type> &types) {
  RankedTensorType input = rankedType(adaptor.getInput());
  FailureOr<int64_t> axis =
      normalizeAxis(loc, (int64_t)adaptor.getAxis(), input.getRank());
  if (failed(axis))
    return failure();
  int64_t dim = input.getDimSize(*axis);
  SmallVector<int64_t> sizes;
  if (!isNone(adaptor.getSplit())) {
    std::optional<SmallVector<int64_t>> split =
        getConstantInts(adaptor.getSplit());
    if (!split) {
      SmallVector<int64_t> shape(input.getShape());
      shape[*axis] = ShapedType::kDynamic;
      types.append(lengthOf(adaptor.getSplit()),
                   withShape(adaptor.getInput(), shape));
      return success();
    }
    sizes = *split;
    int64_t sum = 0;
    for (int64_t size : sizes) {
      if (size < 0)
        return emitOptionalError(loc, "split sizes must not be negative");
      sum += size;
    }
    if (sum != dim)
      return emitOptionalError(loc, "split sizes add up to ", sum,
                               " but the axis has size ", dim);
  } else {
    if (!adaptor.getNumOutputsAttr())
      return emitOptionalError(loc, "needs split sizes or num_outputs");
    int64_t parts = adaptor.getNumOutputsAttr().getInt();
    if (parts <= 0)
      return emitOptionalError(loc, "num_outputs must be positive");
    int64_t chunk = (dim + parts - 1) / parts;
    for (int64_t i = 0; i < parts; ++i)
      sizes.push_back(std::max<int64_t>(std::min(chunk, dim - i * chunk), 0));
  }
  for (int64_t size : sizes) {
    SmallVector<int64_t> shape(input.getShape());
    shape[*axis] = size;
    types.push_back(withShape(adaptor.getInput(), shape));
  }
  return success();
}

LogicalResult SplitOp::verify() {
  if (getNumResults() == 0)
    return emitOpError("expects at least one result");
  return success();
}

LogicalResult SliceOp::inferReturnTypes(MLIRContext *,
                                        std::optional<Location> loc,
                                        Adaptor adaptor,
                                        SmallVectorImpl<Type> &types) {
  RankedTensorType input = rankedType(adaptor.getData());
  int64_t rank = input.getRank();
  std::optional<SmallVector<int64_t>> starts =
      getConstantInts(adaptor.getStarts());
  std::optional<SmallVector<int64_t>> ends = getConstantInts(adaptor.getEnds());
  std::optional<SmallVector<int64_t>> axisValues =
      isNone(adaptor.getAxes())
          ? std::optional<SmallVector<int64_t>>(SmallVector<int64_t>())
          : getConstantInts(adaptor.getAxes());
  std::optional<SmallVector<int64_t>> stepValues =
      isNone(adaptor.getSteps())
          ? std::optional<SmallVector<int64_t>>(SmallVector<int64_t>())
          : getConstantInts(adaptor.getSteps());
  if (!starts || !ends || !axisValues || !stepValues) {
    types.push_back(unknownShape(adaptor.getData(), rank));
    return success();
  }
  size_t count = starts->size();
  if (ends->size() != count)
    return emitOptionalError(loc, "starts and ends differ in length");
  SmallVector<int64_t> axes, steps(count, 1);
  if (!isNone(adaptor.getAxes())) {
    axes = *axisValues;
  } else {
    for (size_t i = 0; i < count; ++i)
      axes.push_back(i);
  }
  if (!isNone(adaptor.getSteps()))
    steps = *stepValues;
  if (axes.size() != count || steps.size() != count)
    return emitOptionalError(loc, "starts, ends, axes and steps differ in "
                                  "length");
  SmallVector<int64_t> shape(input.getShape());
  SmallVector<bool> seen(rank, false);
  for (size_t i = 0; i < count; ++i) {
    FailureOr<int64_t> axis = normalizeAxis(loc, axes[i], rank);
    if (failed(axis))
      return failure();
    if (seen[*axis])
      return emitOptionalError(loc, "axes has a repeated axis ", axes[i]);
    seen[*axis] = true;
    if (steps[i] == 0)
      return emitOptionalError(loc, "steps must not be 0");
    shape[*axis] = computeSliceAxis(input.getDimSize(*axis), (*starts)[i],
                                    (*ends)[i], steps[i])
                       .length;
  }
  types.push_back(withShape(adaptor.getData(), shape));
  return success();
}

std::optional<SmallVector<SliceAxis>> SliceOp::getConstantSlice() {
  auto x = cast<ShapedType>(getData().getType());
  int64_t rank = x.getRank();
  std::optional<SmallVector<int64_t>> starts = getConstantInts(getStarts());
  std::optional<SmallVector<int64_t>> ends = getConstantInts(getEnds());
  std::optional<SmallVector<int64_t>> axes =
      isNone(getAxes()) ? std::nullopt : getConstantInts(getAxes());
  std::optional<SmallVector<int64_t>> steps =
      isNone(getSteps()) ? std::nullopt : getConstantInts(getSteps());
  if (!starts || !ends || (!isNone(getAxes()) && !axes) ||
      (!isNone(getSteps()) && !steps))
    return std::nullopt;
  SmallVector<SliceAxis> slice;
  for (int64_t d : x.getShape())
    slice.push_back({0, 1, d});
  for (size_t i = 0; i < starts->size(); ++i) {
    int64_t axis = axes ? (*axes)[i] : (int64_t)i;
    axis = axis < 0 ? axis + rank : axis;
    slice[axis] = computeSliceAxis(x.getDimSize(axis), (*starts)[i],
                                   (*ends)[i], steps ? (*steps)[i] : 1);
  }
  return slice;
}

LogicalResult GatherOp::inferReturnTypes(MLIRContext *,
                                         std::optional<Location> loc,
                                         Adaptor adaptor,
                                         SmallVectorImpl<Type> &types) {
  RankedTensorType data = rankedType(adaptor.getData());
  RankedTensorType indices = rankedType(adaptor.getIndices());
  FailureOr<int64_t> axis =
      normalizeAxis(loc, (int64_t)adaptor.getAxis(), data.getRank());
  if (failed(axis))
    return failure();
  SmallVector<int64_t> shape(data.getShape().take_front(*axis));
  llvm::append_range(shape, indices.getShape());
  llvm::append_range(shape, data.getShape().drop_front(*axis + 1));
  types.push_back(withShape(adaptor.getData(), shape));
  return success();
}

LogicalResult GatherElementsOp::inferReturnTypes(MLIRContext *,
                                                 std::optional<Location> loc,
                                                 Adaptor adaptor,
                                                 SmallVectorImpl<Type> &types) {
  RankedTensorType data = rankedType(adaptor.getData());
  RankedTensorType indices = rankedType(adaptor.getIndices());
  if (data.getRank() != indices.getRank())
    return emitOptionalError(loc, "data and indices differ in rank");
  if (failed(normalizeAxis(loc, (int64_t)adaptor.getAxis(), data.getRank())))
    return failure();
  types.push_back(withShape(adaptor.getData(), indices.getShape()));
  return success();
}

LogicalResult GatherNDOp::inferReturnTypes(MLIRContext *,
                                           std::optional<Location> loc,
                                           Adaptor adaptor,
                                           SmallVectorImpl<Type> &types) {
  ArrayRef<int64_t> data = rankedType(adaptor.getData()).getShape();
  ArrayRef<int64_t> indices = rankedType(adaptor.getIndices()).getShape();
  int64_t batch = (int64_t)adaptor.getBatchDims();
  if (indices.empty())
    return emitOptionalError(loc, "indices must have rank 1 or more");
  int64_t k = indices.back();
  if (batch < 0 || batch >= (int64_t)indices.size() ||
      batch >= (int64_t)data.size())
    return emitOptionalError(loc, "batch_dims ", batch,
                             " must be below the ranks of data and indices");
  if (k < 1 || batch + k > (int64_t)data.size())
    return emitOptionalError(loc, "the indices' last dimension (", k,
                             ") must be 1 to data's rank less batch_dims (",
                             data.size() - batch, ")");
  if (data.take_front(batch) != indices.take_front(batch))
    return emitOptionalError(loc,
                             "data and indices differ in their batch dims");
  SmallVector<int64_t> shape(indices.drop_back());
  llvm::append_range(shape, data.drop_front(batch + k));
  types.push_back(withShape(adaptor.getData(), shape));
  return success();
}

LogicalResult ScatterNDOp::inferReturnTypes(MLIRContext *,
                                            std::optional<Location> loc,
                                            Adaptor adaptor,
                                            SmallVectorImpl<Type> &types) {
  RankedTensorType data = rankedType(adaptor.getData());
  ArrayRef<int64_t> indices = rankedType(adaptor.getIndices()).getShape();
  RankedTensorType updates = rankedType(adaptor.getUpdates());
  if (updates.getElementType() != data.getElementType())
    return emitOptionalError(loc, "data and updates differ in element type");
  if (indices.empty())
    return emitOptionalError(loc, "indices must have rank 1 or more");
  int64_t k = indices.back();
  if (k < 1 || k > data.getRank())
    return emitOptionalError(loc, "the indices' last dimension (", k,
                             ") must be 1 to data's rank (", data.getRank(),
                             ")");
  SmallVector<int64_t> expected(indices.drop_back());
  llvm::append_range(expected, data.getShape().drop_front(k));
  if (updates.getShape() != ArrayRef<int64_t>(expected))
    return emitOptionalError(
        loc, "updates must be ", withShape(adaptor.getData(), expected),
        " (indices' shape without the last axis, then data's after axis ",
        k - 1, ")");
  types.push_back(data);
  return success();
}

LogicalResult ScatterElementsOp::inferReturnTypes(
    MLIRContext *, std::optional<Location> loc, Adaptor adaptor,
    SmallVectorImpl<Type> &types) {
  RankedTensorType data = rankedType(adaptor.getData());
  RankedTensorType indices = rankedType(adaptor.getIndices());
  RankedTensorType updates = rankedType(adaptor.getUpdates());
  if (updates.getElementType() != data.getElementType())
    return emitOptionalError(loc, "data and updates differ in element type");
  if (indices.getShape() != updates.getShape())
    return emitOptionalError(loc, "indices and updates differ in shape");
  if (indices.getRank() != data.getRank())
    return emitOptionalError(loc, "data and indices differ in rank");
  FailureOr<int64_t> axis =
      normalizeAxis(loc, (int64_t)adaptor.getAxis(), data.getRank());
  if (failed(axis))
    return failure();
  for (int64_t i = 0; i < data.getRank(); ++i)
    if (i != *axis && indices.getDimSize(i) > data.getDimSize(i))
      return emitOptionalError(loc, "indices' dimension ", i, " (",
                               indices.getDimSize(i), ") exceeds data's (",
                               data.getDimSize(i), ")");
  types.push_back(data);
  return success();
}

LogicalResult PadOp::inferReturnTypes(MLIRContext *,
                                      std::optional<Location> loc,
                                      Adaptor adaptor,
                                      SmallVectorImpl<Type> &types) {
  RankedTensorType input = rankedType(adaptor.getData());
  int64_t rank = input.getRank();
  std::optional<SmallVector<int64_t>> pads = getConstantInts(adaptor.getPads());
  std::optional<SmallVector<int64_t>> values =
      isNone(adaptor.getAxes())
          ? std::optional<SmallVector<int64_t>>(SmallVector<int64_t>())
          : getConstantInts(adaptor.getAxes());
  if (!pads || !values) {
    types.push_back(unknownShape(adaptor.getData(), rank));
    return success();
  }
  SmallVector<int64_t> axes;
  if (!isNone(adaptor.getAxes())) {
    for (int64_t axis : *values) {
      FailureOr<int64_t> normalized = normalizeAxis(loc, axis, rank);
      if (failed(normalized))
        return failure();
      axes.push_back(*normalized);
    }
  } else {
    for (int64_t i = 0; i < rank; ++i)
      axes.push_back(i);
  }
  if (pads->size() != 2 * axes.size())
    return emitOptionalError(loc, "pads has ", pads->size(), " entries for ",
                             axes.size(), " axes");
  SmallVector<int64_t> shape(input.getShape());
  for (auto [i, axis] : llvm::enumerate(axes)) {
    shape[axis] += (*pads)[i] + (*pads)[i + axes.size()];
    if (shape[axis] < 0)
      return emitOptionalError(loc, "padding makes axis ", axis, " negative");
  }
  types.push_back(withShape(adaptor.getData(), shape));
  return success();
}

LogicalResult ConstantOfShapeOp::inferReturnTypes(
    MLIRContext *context, std::optional<Location> loc, Adaptor adaptor,
    SmallVectorImpl<Type> &types) {
  Type elementType = Float32Type::get(context);
  if (ElementsAttr value = adaptor.getValueAttr()) {
    if (value.getNumElements() != 1)
      return emitOptionalError(loc, "value must have exactly one element");
    elementType = value.getElementType();
  }
  std::optional<SmallVector<int64_t>> shape =
      getConstantInts(adaptor.getInput());
  if (!shape) {
    types.push_back(
        RankedTensorType::get(SmallVector<int64_t>(lengthOf(adaptor.getInput()),
                                                   ShapedType::kDynamic),
                              elementType));
    return success();
  }
  if (llvm::any_of(*shape, [](int64_t d) { return d < 0; }))
    return emitOptionalError(loc, "shape has a negative dimension");
  types.push_back(RankedTensorType::get(*shape, elementType));
  return success();
}

LogicalResult RangeOp::inferReturnTypes(MLIRContext *,
                                        std::optional<Location> loc,
                                        Adaptor adaptor,
                                        SmallVectorImpl<Type> &types) {
  std::optional<SmallVector<double>> start =
      getConstantFloats(adaptor.getStart());
  std::optional<SmallVector<double>> limit =
      getConstantFloats(adaptor.getLimit());
  std::optional<SmallVector<double>> delta =
      getConstantFloats(adaptor.getDelta());
  if (!start || !limit || !delta) {
    types.push_back(unknownShape(adaptor.getStart(), 1));
    return success();
  }
  if (start->size() != 1 || limit->size() != 1 || delta->size() != 1)
    return emitOptionalError(loc, "start, limit and delta must be scalars");
  if ((*delta)[0] == 0)
    return emitOptionalError(loc, "delta must not be 0");
  double steps = std::ceil(((*limit)[0] - (*start)[0]) / (*delta)[0]);
  if (!isFiniteDim(steps))
    return emitOptionalError(loc, "range has too many elements");
  int64_t count = std::max<int64_t>((int64_t)steps, 0);
  types.push_back(withShape(adaptor.getStart(), {count}));
  return success();
}

LogicalResult EinsumOp::inferReturnTypes(MLIRContext *,
                                         std::optional<Location> loc,
                                         Adaptor adaptor,
                                         SmallVectorImpl<Type> &types) {
  std::string equation;
  for (char c : adaptor.getEquation())
    if (c != ' ')
      equation.push_back(c);
  StringRef lhs = equation, rhs;
  bool explicitOutput = false;
  if (size_t arrow = lhs.find("->"); arrow != StringRef::npos) {
    rhs = lhs.drop_front(arrow + 2);
    lhs = lhs.take_front(arrow);
    explicitOutput = true;
  }
  SmallVector<StringRef> terms;
  lhs.split(terms, ',');
  ValueRange inputs = adaptor.getInputs();
  if (terms.size() != inputs.size())
    return emitOptionalError(loc, "equation has ", terms.size(),
                             " operands but the op has ", inputs.size());
  llvm::DenseMap<char, int64_t> sizes, counts;
  SmallVector<int64_t> ellipsis;
  for (auto [term, input] : llvm::zip(terms, inputs)) {
    RankedTensorType type = rankedType(input);
    size_t dots = term.find("...");
    int64_t letters = (int64_t)term.size() - (dots == StringRef::npos ? 0 : 3);
    int64_t ellipsisRank = type.getRank() - letters;
    if (ellipsisRank < 0 || (dots == StringRef::npos && ellipsisRank != 0))
      return emitOptionalError(loc, "term '", term, "' does not match rank ",
                               type.getRank());
    int64_t dim = 0;
    for (size_t i = 0; i < term.size(); ++i) {
      if (i == dots) {
        ArrayRef<int64_t> dims = type.getShape().slice(dim, ellipsisRank);
        std::optional<SmallVector<int64_t>> merged =
            broadcastShapes(ellipsis, dims);
        if (!merged)
          return emitOptionalError(loc, "ellipsis dimensions do not broadcast");
        ellipsis = *merged;
        dim += ellipsisRank;
        i += 2;
        continue;
      }
      char label = term[i];
      if (!llvm::isAlpha(label))
        return emitOptionalError(loc, "bad label '", label, "' in equation");
      int64_t size = type.getDimSize(dim++);
      auto [it, inserted] = sizes.try_emplace(label, size);
      if (!inserted && it->second != size) {
        if (it->second == 1)
          it->second = size;
        else if (size != 1)
          return emitOptionalError(loc, "label '", label, "' has sizes ",
                                   it->second, " and ", size);
      }
      ++counts[label];
    }
  }
  SmallVector<int64_t> shape;
  if (explicitOutput) {
    for (size_t i = 0; i < rhs.size(); ++i) {
      if (rhs.substr(i).starts_with("...")) {
        llvm::append_range(shape, ellipsis);
        i += 2;
        continue;
      }
      auto it = sizes.find(rhs[i]);
      if (it == sizes.end())
        return emitOptionalError(loc, "output label '", rhs[i],
                                 "' is not in any input");
      shape.push_back(it->second);
    }
  } else {
    shape = ellipsis;
    SmallVector<char> once;
    for (auto [label, count] : counts)
      if (count == 1)
        once.push_back(label);
    llvm::sort(once);
    for (char label : once)
      shape.push_back(sizes[label]);
  }
  types.push_back(withShape(inputs.front(), shape));
  return success();
}

LogicalResult TopKOp::inferReturnTypes(MLIRContext *context,
                                       std::optional<Location> loc,
                                       Adaptor adaptor,
                                       SmallVectorImpl<Type> &types) {
  RankedTensorType input = rankedType(adaptor.getX());
  FailureOr<int64_t> axis =
      normalizeAxis(loc, (int64_t)adaptor.getAxis(), input.getRank());
  if (failed(axis))
    return failure();
  std::optional<SmallVector<int64_t>> k = getConstantInts(adaptor.getK());
  if (!k) {
    SmallVector<int64_t> shape(input.getShape());
    shape[*axis] = ShapedType::kDynamic;
    types.push_back(withShape(adaptor.getX(), shape));
    types.push_back(RankedTensorType::get(shape, i64(context)));
    return success();
  }
  if (k->size() != 1 || (*k)[0] < 0 || (*k)[0] > input.getDimSize(*axis))
    return emitOptionalError(loc, "K must be one value in [0, ",
                             input.getDimSize(*axis), "]");
  SmallVector<int64_t> shape(input.getShape());
  shape[*axis] = (*k)[0];
  types.push_back(withShape(adaptor.getX(), shape));
  types.push_back(RankedTensorType::get(shape, i64(context)));
  return success();
}

LogicalResult ResizeOp::inferReturnTypes(MLIRContext *,
                                         std::optional<Location> loc,
                                         Adaptor adaptor,
                                         SmallVectorImpl<Type> &types) {
  RankedTensorType input = rankedType(adaptor.getX());
  int64_t rank = input.getRank();
  SmallVector<int64_t> axes;
  if (adaptor.getAxesAttr()) {
    for (int64_t axis : adaptor.getAxesAttr().asArrayRef()) {
      FailureOr<int64_t> normalized = normalizeAxis(loc, axis, rank);
      if (failed(normalized))
        return failure();
      axes.push_back(*normalized);
    }
  } else {
    for (int64_t i = 0; i < rank; ++i)
      axes.push_back(i);
  }
  SmallVector<int64_t> shape(input.getShape());
  if (!isNone(adaptor.getSizes())) {
    std::optional<SmallVector<int64_t>> sizes =
        getConstantInts(adaptor.getSizes());
    if (!sizes) {
      types.push_back(unknownShape(adaptor.getX(), rank));
      return success();
    }
    if (sizes->size() != axes.size())
      return emitOptionalError(loc, "sizes has ", sizes->size(),
                               " entries for ", axes.size(), " axes");
    AspectRatioPolicy policy = adaptor.getKeepAspectRatioPolicy();
    if (policy == AspectRatioPolicy::Stretch) {
      for (auto [axis, size] : llvm::zip(axes, *sizes))
        shape[axis] = size;
    } else {
      bool notLarger = policy == AspectRatioPolicy::NotLarger;
      double scale = notLarger ? 1e300 : 0;
      for (auto [axis, size] : llvm::zip(axes, *sizes)) {
        double s = (double)size / input.getDimSize(axis);
        scale =
            notLarger ? std::min(scale, s) : std::max(scale, s);
      }
      for (int64_t axis : axes) {
        double size = std::round(scale * input.getDimSize(axis));
        if (!isFiniteDim(size))
          return emitOptionalError(loc, "sizes give a dimension out of range");
        shape[axis] = (int64_t)size;
      }
    }
  } else if (!isNone(adaptor.getScales())) {
    std::optional<SmallVector<double>> scales =
        getConstantFloats(adaptor.getScales());
    if (!scales) {
      types.push_back(unknownShape(adaptor.getX(), rank));
      return success();
    }
    if (scales->empty())
      return emitOptionalError(loc, "needs non-empty scales or sizes");
    if (scales->size() != axes.size())
      return emitOptionalError(loc, "scales has ", scales->size(),
                               " entries for ", axes.size(), " axes");
    for (auto [axis, scale] : llvm::zip(axes, *scales)) {
      double size = std::floor(input.getDimSize(axis) * scale);
      if (!isFiniteDim(size))
        return emitOptionalError(loc, "scales give a dimension out of range");
      shape[axis] = (int64_t)size;
    }
  } else {
    return emitOptionalError(loc, "needs scales or sizes");
  }
  types.push_back(withShape(adaptor.getX(), shape));
  return success();
}

