//===- CleaveOps.cpp - result types and verifiers of cleave ops -----------===//
//
// Each rule follows the shape inference of its ONNX operator. Shapes that
// depend on an input's value (Reshape's shape, Slice's starts, ...) need that
// input to be a constant: the importer folds shape computations first.
//
//===----------------------------------------------------------------------===//

#include "cleave/Dialect/Cleave/IR/CleaveOps.h"
#include "cleave/Dialect/Cleave/IR/ConstantUtils.h"
#include "mlir/IR/Builders.h"
#include "mlir/IR/OpImplementation.h"
#include "mlir/IR/TypeUtilities.h"
#include "llvm/ADT/STLExtras.h"
#include "llvm/ADT/StringExtras.h"
#include "llvm/Support/CheckedArithmetic.h"
#include <cmath>

using namespace mlir;
using namespace cleave::graph;

#include "cleave/Dialect/Cleave/IR/KernelInterface.cpp.inc"

namespace {

RankedTensorType rankedType(Value v) {
  return cast<RankedTensorType>(v.getType());
}

RankedTensorType withShape(Value v, ArrayRef<int64_t> shape) {
  return RankedTensorType::get(shape, rankedType(v).getElementType());
}

IntegerType i64(MLIRContext *context) { return IntegerType::get(context, 64); }

/// The result type of a shape rule whose value inputs (a Reshape target,
/// Slice bounds, ...) are not constants: `rank` dims of unknown size, or an
/// unranked tensor without a rank. The verifier accepts any static type that
/// refines it; the importer insists on static results.
Type unknownShape(Value like, std::optional<int64_t> rank) {
  Type elementType = cast<ShapedType>(like.getType()).getElementType();
  if (!rank)
    return UnrankedTensorType::get(elementType);
  return RankedTensorType::get(
      SmallVector<int64_t>(*rank, ShapedType::kDynamic), elementType);
}

/// Whether a computed dimension (or element count) fits an int64: finite,
/// and below 2^62 so that later products of it are checked, not UB.
bool isFiniteDim(double value) {
  return std::isfinite(value) && std::fabs(value) < 0x1p62;
}

int64_t lengthOf(Value v) {
  auto type = cast<RankedTensorType>(v.getType());
  return type.getRank() == 0 ? 1 : type.getDimSize(0);
}

int64_t product(ArrayRef<int64_t> values) {
  int64_t result = 1;
  for (int64_t v : values)
    result *= v;
  return result;
}

} // namespace

bool cleave::graph::refinesInferredTypes(TypeRange inferred, TypeRange actual) {
  if (inferred.size() != actual.size())
    return false;
  for (auto [a, b] : llvm::zip(inferred, actual)) {
    auto lhs = dyn_cast<ShapedType>(a), rhs = dyn_cast<ShapedType>(b);
    if (!lhs || !rhs) {
      if (a != b)
        return false;
      continue;
    }
    if (lhs.getElementType() != rhs.getElementType())
      return false;
    if (!lhs.hasRank() || !rhs.hasRank())
      continue;
    if (lhs.getRank() != rhs.getRank())
      return false;
    for (auto [x, y] : llvm::zip(lhs.getShape(), rhs.getShape()))
      if (x != y && !ShapedType::isDynamic(x) && !ShapedType::isDynamic(y))
        return false;
  }
  return true;
}

//===----------------------------------------------------------------------===//
// Structural ops
//===----------------------------------------------------------------------===//

LogicalResult ConstantOp::inferReturnTypes(MLIRContext *,
                                           std::optional<Location>,
                                           Adaptor adaptor,
                                           SmallVectorImpl<Type> &types) {
  types.push_back(adaptor.getValue().getType());
  return success();
}

//===----------------------------------------------------------------------===//
// Elementwise
//===----------------------------------------------------------------------===//

LogicalResult GeluOp::verify() {
  if (getApproximate() != "none" && getApproximate() != "tanh")
    return emitOpError("approximate must be 'none' or 'tanh', got '")
           << getApproximate() << "'";
  return success();
}

LogicalResult LRNOp::verify() {
  if ((int64_t)getSize() <= 0)
    return emitOpError("size must be positive");
  if (getX().getType().getRank() < 3)
    return emitOpError("expects an input of rank 3 or more");
  return success();
}

template <typename SoftmaxLike>
static LogicalResult verifySoftmaxAxis(SoftmaxLike op) {
  return normalizeAxis(op.getLoc(), (int64_t)op.getAxis(),
                       op.getX().getType().getRank());
}
LogicalResult SoftmaxOp::verify() { return verifySoftmaxAxis(*this); }
LogicalResult LogSoftmaxOp::verify() { return verifySoftmaxAxis(*this); }

LogicalResult CastOp::inferReturnTypes(MLIRContext *, std::optional<Location>,
                                       Adaptor adaptor,
                                       SmallVectorImpl<Type> &types) {
  types.push_back(RankedTensorType::get(
      rankedType(adaptor.getInput()).getShape(), adaptor.getTo()));
  return success();
}

LogicalResult DropoutOp::inferReturnTypes(MLIRContext *context,
                                          std::optional<Location>,
                                          Adaptor adaptor,
                                          SmallVectorImpl<Type> &types) {
  RankedTensorType type = rankedType(adaptor.getData());
  types.push_back(type);
  types.push_back(
      RankedTensorType::get(type.getShape(), IntegerType::get(context, 1)));
  return success();
}

LogicalResult WhereOp::verify() {
  if (getX().getType().getElementType() != getY().getType().getElementType())
    return emitOpError("X and Y must have the same element type");
  return success();
}

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

LogicalResult PadOp::inferReturnTypes(MLIRContext *,
                                      std::optional<Location> loc,
                                      Adaptor adaptor,
                                      SmallVectorImpl<Type> &types) {
  RankedTensorType input = rankedType(adaptor.getData());
  int64_t rank = input.getRank();
  StringRef mode = adaptor.getMode();
  if (mode != "constant" && mode != "reflect" && mode != "edge" &&
      mode != "wrap")
    return emitOptionalError(loc, "unknown pad mode '", mode, "'");
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
    StringRef policy = adaptor.getKeepAspectRatioPolicy();
    if (policy == "stretch") {
      for (auto [axis, size] : llvm::zip(axes, *sizes))
        shape[axis] = size;
    } else {
      double scale = policy == "not_larger" ? 1e300 : 0;
      for (auto [axis, size] : llvm::zip(axes, *sizes)) {
        double s = (double)size / input.getDimSize(axis);
        scale =
            policy == "not_larger" ? std::min(scale, s) : std::max(scale, s);
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
/// Attributes shared by convolution and pooling windows, with their defaults
/// filled in for `spatialRank` dimensions.
struct Window {
  SmallVector<int64_t> kernel, strides, dilations, padsBegin, padsEnd;
  StringRef autoPad;
};

FailureOr<Window> getWindow(std::optional<Location> loc, int64_t spatialRank,
                            std::optional<ArrayRef<int64_t>> kernel,
                            DenseI64ArrayAttr strides,
                            DenseI64ArrayAttr dilations, DenseI64ArrayAttr pads,
                            StringRef autoPad) {
  Window window;
  window.autoPad = autoPad;
  if (!kernel) {
    (void)emitOptionalError(loc, "kernel_shape is required");
    return failure();
  }
  auto filled = [&](DenseI64ArrayAttr attr, size_t size, int64_t value,
                    StringRef name) -> FailureOr<SmallVector<int64_t>> {
    if (!attr)
      return SmallVector<int64_t>(size, value);
    if (attr.size() != (int64_t)size) {
      (void)emitOptionalError(loc, name, " has ", attr.size(),
                              " entries, expected ", size);
      return failure();
    }
    return SmallVector<int64_t>(attr.asArrayRef());
  };
  window.kernel.assign(kernel->begin(), kernel->end());
  if ((int64_t)window.kernel.size() != spatialRank) {
    (void)emitOptionalError(loc, "kernel_shape has ", window.kernel.size(),
                            " entries for ", spatialRank, " spatial axes");
    return failure();
  }
  auto s = filled(strides, spatialRank, 1, "strides");
  auto d = filled(dilations, spatialRank, 1, "dilations");
  auto p = filled(pads, 2 * spatialRank, 0, "pads");
  if (failed(s) || failed(d) || failed(p))
    return failure();
  window.strides = *s;
  window.dilations = *d;
  window.padsBegin.assign(p->begin(), p->begin() + spatialRank);
  window.padsEnd.assign(p->begin() + spatialRank, p->end());
  if (autoPad != "NOTSET" && autoPad != "VALID" && autoPad != "SAME_UPPER" &&
      autoPad != "SAME_LOWER") {
    (void)emitOptionalError(loc, "unknown auto_pad '", autoPad, "'");
    return failure();
  }
  if (llvm::any_of(window.strides, [](int64_t v) { return v <= 0; }) ||
      llvm::any_of(window.dilations, [](int64_t v) { return v <= 0; }) ||
      llvm::any_of(window.kernel, [](int64_t v) { return v <= 0; })) {
    (void)emitOptionalError(loc, "kernel_shape, strides and dilations must "
                                 "be positive");
    return failure();
  }
  return window;
}

/// Output size of a sliding window along each spatial axis (ONNX Conv and
/// pooling rules, PyTorch's rule for the last ceil_mode window).
FailureOr<SmallVector<int64_t>> windowOutput(std::optional<Location> loc,
                                             ArrayRef<int64_t> input,
                                             const Window &w, bool ceilMode) {
  SmallVector<int64_t> out;
  for (size_t i = 0; i < input.size(); ++i) {
    int64_t extent = (w.kernel[i] - 1) * w.dilations[i] + 1;
    int64_t size;
    if (w.autoPad == "SAME_UPPER" || w.autoPad == "SAME_LOWER") {
      size = (input[i] + w.strides[i] - 1) / w.strides[i];
    } else {
      int64_t padded =
          input[i] - extent +
          (w.autoPad == "VALID" ? 0 : w.padsBegin[i] + w.padsEnd[i]);
      if (padded < 0) {
        (void)emitOptionalError(loc, "window of extent ", extent,
                                " is larger than padded input axis ", i);
        return failure();
      }
      // ceil_mode only applies to explicit padding; VALID is always
      // ceil((in - extent + 1) / stride), which is the floor form.
      bool roundUp = ceilMode && w.autoPad == "NOTSET";
      size =
          (roundUp ? (padded + w.strides[i] - 1) : padded) / w.strides[i] + 1;
      if (roundUp && (size - 1) * w.strides[i] >= input[i] + w.padsBegin[i])
        --size;
    }
    out.push_back(size);
  }
  return out;
}

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
  FailureOr<Window> window =
      getWindow(loc, input.getRank() - 2, adaptor.getKernelShape(),
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
      return emitOptionalError(loc, "fused_clip must be [lo, hi] with lo <= hi");
  bool last = adaptor.getChannelsLast();
  // Inferred in ONNX's layout, then permuted back for channels_last.
  RankedTensorType x =
      last ? RankedTensorType::get(channelsFirst(xType.getShape()),
                                   xType.getElementType())
           : xType;
  int64_t group = (int64_t)adaptor.getGroup();
  if (group <= 0 || x.getDimSize(1) != w.getDimSize(1) * group)
    return emitOptionalError(loc, "X has ", x.getDimSize(1),
                             " channels but W expects ", w.getDimSize(1),
                             " per group for ", group, " groups");
  std::optional<ArrayRef<int64_t>> kernel = adaptor.getKernelShape();
  if (!kernel)
    kernel = w.getShape().drop_front(2);
  FailureOr<Window> window = getWindow(
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
  FailureOr<Window> window = getWindow(
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
      if (window->autoPad == "SAME_UPPER" || window->autoPad == "SAME_LOWER") {
        shape.push_back(in * window->strides[i]);
        continue;
      }
      int64_t pads = window->autoPad == "VALID"
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

LogicalResult BatchNormalizationOp::inferReturnTypes(
    MLIRContext *, std::optional<Location> loc, Adaptor adaptor,
    SmallVectorImpl<Type> &types) {
  RankedTensorType x = rankedType(adaptor.getX());
  if (x.getRank() < 2)
    return emitOptionalError(loc, "X must have rank 2 or more");
  int64_t channels = x.getDimSize(1);
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

#define GET_OP_CLASSES
#include "cleave/Dialect/Cleave/IR/CleaveOps.cpp.inc"
