//===- ConstantUtils.h - reading constant tensors ---------------*- C++ -*-===//
//
// Shape rules and folders read small constants (shapes, axes, indices). These
// helpers read them whether they are inline dense elements or dense_resource
// blobs, and refuse large tensors so that no weight is ever copied.
//
//===----------------------------------------------------------------------===//

#ifndef CLEAVE_DIALECT_CLEAVE_IR_CONSTANTUTILS_H
#define CLEAVE_DIALECT_CLEAVE_IR_CONSTANTUTILS_H

#include "mlir/IR/BuiltinAttributes.h"
#include "mlir/IR/Value.h"
#include "llvm/ADT/SmallVector.h"
#include <optional>

namespace cleave::graph {

/// Folders never materialise constants with more elements than this.
inline constexpr int64_t kMaxFoldElements = 1 << 16;

/// `attr` as dense elements, reading dense_resource blobs; null when it is
/// not a dense constant, its blob is not loaded, or it has more than
/// `maxElements` elements and is not a splat (a splat is one value, cheap
/// at any size; callers that list elements must check the count).
mlir::DenseElementsAttr toDenseElements(mlir::Attribute attr,
                                        int64_t maxElements = kMaxFoldElements);

/// The value of a constant integer tensor (any integer type, sign-extended
/// unless unsigned), or nullopt when `v` is not a small constant.
std::optional<llvm::SmallVector<int64_t>> getConstantInts(mlir::Value v);

/// The value of a constant float or integer tensor as doubles.
std::optional<llvm::SmallVector<double>> getConstantFloats(mlir::Value v);

} // namespace cleave::graph

#endif // CLEAVE_DIALECT_CLEAVE_IR_CONSTANTUTILS_H
