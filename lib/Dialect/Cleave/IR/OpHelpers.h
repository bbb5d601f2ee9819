//===- OpHelpers.h - helpers of the cleave ops' shape rules -----*- C++ -*-===//
//
// Shared by CleaveOps.cpp, ShapeOps.cpp and NetworkOps.cpp.
//
//===----------------------------------------------------------------------===//

#ifndef CLEAVE_LIB_DIALECT_CLEAVE_IR_OPHELPERS_H
#define CLEAVE_LIB_DIALECT_CLEAVE_IR_OPHELPERS_H

#include "cleave/Dialect/Cleave/IR/CleaveOps.h"
#include <cmath>

namespace cleave::graph::helpers {
using namespace mlir;

inline RankedTensorType rankedType(Value v) {
  return cast<RankedTensorType>(v.getType());
}

inline RankedTensorType withShape(Value v, ArrayRef<int64_t> shape) {
  return RankedTensorType::get(shape, rankedType(v).getElementType());
}

inline IntegerType i64(MLIRContext *context) {
  return IntegerType::get(context, 64);
}

/// The result type of a shape rule whose value inputs (a Reshape target,
/// Slice bounds, ...) are not constants: `rank` dims of unknown size, or an
/// unranked tensor without a rank. The verifier accepts any static type that
/// refines it; the importer insists on static results.
inline Type unknownShape(Value like, std::optional<int64_t> rank) {
  Type elementType = cast<ShapedType>(like.getType()).getElementType();
  if (!rank)
    return UnrankedTensorType::get(elementType);
  return RankedTensorType::get(
      SmallVector<int64_t>(*rank, ShapedType::kDynamic), elementType);
}

/// Whether a computed dimension (or element count) fits an int64: finite,
/// and below 2^62 so that later products of it are checked, not UB.
inline bool isFiniteDim(double value) {
  return std::isfinite(value) && std::fabs(value) < 0x1p62;
}

inline int64_t lengthOf(Value v) {
  auto type = cast<RankedTensorType>(v.getType());
  return type.getRank() == 0 ? 1 : type.getDimSize(0);
}

inline int64_t product(ArrayRef<int64_t> values) {
  int64_t result = 1;
  for (int64_t v : values)
    result *= v;
  return result;
}

} // namespace cleave::graph::helpers

#endif // CLEAVE_LIB_DIALECT_CLEAVE_IR_OPHELPERS_H
