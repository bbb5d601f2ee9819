//===- ShapeInference.cpp - shape rules shared by op families -------------===//

#include "cleave/Dialect/Cleave/IR/ShapeInference.h"
#include "cleave/Dialect/Cleave/IR/ConstantUtils.h"
#include "mlir/IR/Diagnostics.h"
#include "llvm/ADT/STLExtras.h"

using namespace mlir;

namespace cleave::graph {

std::optional<SmallVector<int64_t>> broadcastShapes(ArrayRef<int64_t> lhs,
                                                    ArrayRef<int64_t> rhs) {
  size_t rank = std::max(lhs.size(), rhs.size());
  SmallVector<int64_t> result(rank);
  for (size_t i = 0; i < rank; ++i) {
    int64_t a = i < rank - lhs.size() ? 1 : lhs[i - (rank - lhs.size())];
    int64_t b = i < rank - rhs.size() ? 1 : rhs[i - (rank - rhs.size())];
    if (a != b && a != 1 && b != 1)
      return std::nullopt;
    result[i] = a == 1 ? b : a;
  }
  return result;
}

FailureOr<int64_t> normalizeAxis(std::optional<Location> loc, int64_t axis,
                                 int64_t rank, StringRef what) {
  if (axis < -rank || axis >= rank) {
    (void)emitOptionalError(loc, what, " ", axis, " is out of range for rank ",
                            rank);
    return failure();
  }
  return axis < 0 ? axis + rank : axis;
}

SliceAxis computeSliceAxis(int64_t dim, int64_t start, int64_t end,
                           int64_t step) {
  auto clamp = [](int64_t v, int64_t lo, int64_t hi) {
    return std::min(std::max(v, lo), hi);
  };
  // ONNX adds dim to negative bounds, then clamps: starts into [0, dim]
  // (or [0, dim - 1] for negative steps), ends into [0, dim] (or
  // [-1, dim - 1]). Unlike Python, a start below -dim is 0 for either step.
  if (start < 0)
    start = start < -dim ? 0 : start + dim;
  if (end < 0)
    end = end < -dim ? -1 : end + dim;
  // Lengths as 1 + (distance - 1) / |step|, in unsigned arithmetic, so that
  // steps near INT64_MIN/MAX neither overflow nor negate out of range.
  int64_t length;
  if (step > 0) {
    start = clamp(start, 0, dim);
    end = clamp(end, 0, dim);
    length = end > start
                 ? 1 + (int64_t)(uint64_t(end - start - 1) / uint64_t(step))
                 : 0;
  } else {
    start = clamp(start, -1, dim - 1);
    end = clamp(end, -1, dim - 1);
    uint64_t magnitude = uint64_t(0) - uint64_t(step);
    length =
        start > end ? 1 + (int64_t)(uint64_t(start - end - 1) / magnitude) : 0;
  }
  return {start, step, length};
}

std::pair<int64_t, int64_t> shapeOpRange(int64_t rank, int64_t start,
                                         std::optional<int64_t> end) {
  auto clampIndex = [rank](int64_t index) {
    if (index < 0)
      index += rank;
    return std::min(std::max<int64_t>(index, 0), rank);
  };
  int64_t first = clampIndex(start);
  int64_t last = end ? clampIndex(*end) : rank;
  return {first, std::max(first, last)};
}

bool isNone(Value v) { return !v || isa<NoneType>(v.getType()); }

LogicalResult inferSameAsOperand(Value operand, SmallVectorImpl<Type> &types) {
  types.push_back(operand.getType());
  return success();
}

LogicalResult inferBroadcast(std::optional<Location> loc, ValueRange operands,
                             Type elementType, SmallVectorImpl<Type> &types,
                             bool sameElementType) {
  if (operands.empty())
    return emitOptionalError(loc, "expects at least one input");
  SmallVector<int64_t> shape;
  Type common;
  for (auto [index, operand] : llvm::enumerate(operands)) {
    auto type = dyn_cast<RankedTensorType>(operand.getType());
    if (!type)
      return emitOptionalError(loc, "input ", index, " is not a ranked tensor");
    if (sameElementType) {
      if (common && common != type.getElementType())
        return emitOptionalError(loc, "inputs have different element types (",
                                 common, " and ", type.getElementType(), ")");
      common = type.getElementType();
    }
    std::optional<SmallVector<int64_t>> next =
        index == 0 ? SmallVector<int64_t>(type.getShape())
                   : broadcastShapes(shape, type.getShape());
    if (!next)
      return emitOptionalError(loc, "input shapes do not broadcast: [",
                               llvm::make_range(shape.begin(), shape.end()),
                               "] and [", type.getShape(), "]");
    shape = std::move(*next);
  }
  if (!elementType)
    elementType =
        cast<RankedTensorType>(operands.front().getType()).getElementType();
  types.push_back(RankedTensorType::get(shape, elementType));
  return success();
}

LogicalResult inferReduce(std::optional<Location> loc, Value data, Value axes,
                          int64_t keepdims, int64_t noopWithEmptyAxes,
                          SmallVectorImpl<Type> &types) {
  auto type = cast<RankedTensorType>(data.getType());
  int64_t rank = type.getRank();
  SmallVector<bool> reduced(rank, false);
  std::optional<SmallVector<int64_t>> axisValues;
  if (!isNone(axes)) {
    axisValues = getConstantInts(axes);
    if (!axisValues) {
      // Unknown axes: unknown dims, and an unknown rank without keepdims.
      Type elementType = type.getElementType();
      types.push_back(
          keepdims ? Type(RankedTensorType::get(
                         SmallVector<int64_t>(rank, ShapedType::kDynamic),
                         elementType))
                   : Type(UnrankedTensorType::get(elementType)));
      return success();
    }
  }
  if (!axisValues || axisValues->empty()) {
    if (noopWithEmptyAxes) {
      types.push_back(type);
      return success();
    }
    reduced.assign(rank, true);
  }
  if (axisValues) {
    for (int64_t axis : *axisValues) {
      FailureOr<int64_t> normalized = normalizeAxis(loc, axis, rank);
      if (failed(normalized))
        return failure();
      reduced[*normalized] = true;
    }
  }
  SmallVector<int64_t> shape;
  for (int64_t i = 0; i < rank; ++i) {
    if (!reduced[i])
      shape.push_back(type.getDimSize(i));
    else if (keepdims)
      shape.push_back(1);
  }
  types.push_back(RankedTensorType::get(shape, type.getElementType()));
  return success();
}

LogicalResult inferArgReduce(std::optional<Location> loc, Value data,
                             int64_t axis, int64_t keepdims,
                             SmallVectorImpl<Type> &types) {
  auto type = cast<RankedTensorType>(data.getType());
  FailureOr<int64_t> normalized = normalizeAxis(loc, axis, type.getRank());
  if (failed(normalized))
    return failure();
  SmallVector<int64_t> shape(type.getShape());
  if (keepdims)
    shape[*normalized] = 1;
  else
    shape.erase(shape.begin() + *normalized);
  types.push_back(
      RankedTensorType::get(shape, IntegerType::get(data.getContext(), 64)));
  return success();
}

LogicalResult inferGlobalPool(std::optional<Location> loc, Value x,
                              SmallVectorImpl<Type> &types) {
  auto type = cast<RankedTensorType>(x.getType());
  if (type.getRank() < 3)
    return emitOptionalError(loc,
                             "expects an input of rank 3 or more (N, C, "
                             "spatial...), got rank ",
                             type.getRank());
  SmallVector<int64_t> shape(type.getShape());
  for (int64_t i = 2; i < type.getRank(); ++i)
    shape[i] = 1;
  types.push_back(RankedTensorType::get(shape, type.getElementType()));
  return success();
}

} // namespace cleave::graph
