//===- ShapeInference.h - shape rules shared by op families -----*- C++ -*-===//
//
// Result-type rules used by the generated inferReturnTypes of op families
// (unary, broadcasting, reductions, global pooling), and the small helpers the
// per-op rules share. Errors go through emitOptionalError, so the same code
// serves the builders (no location) and the verifier (with one).
//
//===----------------------------------------------------------------------===//

#ifndef CLEAVE_DIALECT_CLEAVE_IR_SHAPEINFERENCE_H
#define CLEAVE_DIALECT_CLEAVE_IR_SHAPEINFERENCE_H

#include "mlir/IR/BuiltinTypes.h"
#include "mlir/IR/Location.h"
#include "mlir/IR/Value.h"
#include "mlir/IR/ValueRange.h"
#include "llvm/ADT/SmallVector.h"
#include <optional>

namespace cleave::graph {

using mlir::LogicalResult;

/// NumPy broadcasting of two shapes; nullopt when they do not broadcast.
std::optional<llvm::SmallVector<int64_t>>
broadcastShapes(llvm::ArrayRef<int64_t> lhs, llvm::ArrayRef<int64_t> rhs);

/// `axis` in [-rank, rank) mapped to [0, rank); failure when out of range.
mlir::FailureOr<int64_t> normalizeAxis(std::optional<mlir::Location> loc,
                                       int64_t axis, int64_t rank,
                                       llvm::StringRef what = "axis");

/// Whether `actual` result types refine the `inferred` ones: same element
/// types, and equal ranks and dims wherever the inferred type knows them.
/// A rule infers unknown dims when the inputs that fix them (a Reshape
/// target, Slice bounds, ...) are not constants.
bool refinesInferredTypes(mlir::TypeRange inferred, mlir::TypeRange actual);

/// True when `v` is an absent optional input (the `none` value).
bool isNone(mlir::Value v);

/// One axis of an ONNX Slice after clamping: the first index, the step and
/// the number of elements taken.
struct SliceAxis {
  int64_t start, step, length;
};
SliceAxis computeSliceAxis(int64_t dim, int64_t start, int64_t end,
                           int64_t step);

/// The [start, end) range of dims ONNX Shape returns for a tensor of `rank`
/// (negative values count from the back; both are clamped to [0, rank]).
std::pair<int64_t, int64_t> shapeOpRange(int64_t rank, int64_t start,
                                         std::optional<int64_t> end);

LogicalResult inferSameAsOperand(mlir::Value operand,
                                 llvm::SmallVectorImpl<mlir::Type> &types);

/// Broadcasts all `operands`; the result element type is `elementType`, or
/// the operands' common one when null. With `sameElementType`, operands
/// must agree on their element type.
LogicalResult inferBroadcast(std::optional<mlir::Location> loc,
                             mlir::ValueRange operands, mlir::Type elementType,
                             llvm::SmallVectorImpl<mlir::Type> &types,
                             bool sameElementType = true);

LogicalResult inferReduce(std::optional<mlir::Location> loc, mlir::Value data,
                          mlir::Value axes, int64_t keepdims,
                          int64_t noopWithEmptyAxes,
                          llvm::SmallVectorImpl<mlir::Type> &types);

LogicalResult inferArgReduce(std::optional<mlir::Location> loc,
                             mlir::Value data, int64_t axis, int64_t keepdims,
                             llvm::SmallVectorImpl<mlir::Type> &types);

LogicalResult inferGlobalPool(std::optional<mlir::Location> loc, mlir::Value x,
                              llvm::SmallVectorImpl<mlir::Type> &types);

} // namespace cleave::graph

#endif // CLEAVE_DIALECT_CLEAVE_IR_SHAPEINFERENCE_H
