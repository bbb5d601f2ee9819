//===- ConstantUtils.cpp - reading constant tensors -----------------------===//

#include "cleave/Dialect/Cleave/IR/ConstantUtils.h"
#include "mlir/IR/BuiltinTypes.h"
#include "mlir/IR/DialectResourceBlobManager.h"
#include "mlir/IR/Matchers.h"

using namespace mlir;

namespace cleave::graph {

DenseElementsAttr toDenseElements(Attribute attr, int64_t maxElements) {
  if (auto dense = dyn_cast_or_null<DenseElementsAttr>(attr)) {
    if (!dense.isSplat() && dense.getNumElements() > maxElements)
      return {};
    return dense;
  }
  auto resource = dyn_cast_or_null<DenseResourceElementsAttr>(attr);
  if (!resource)
    return {};
  ShapedType type = resource.getType();
  if (type.getNumElements() > maxElements)
    return {};
  AsmResourceBlob *blob = resource.getRawHandle().getBlob();
  if (!blob)
    return {};
  ArrayRef<char> data = blob->getData();
  Type elementType = type.getElementType();
  if (elementType.isInteger(1)) {
    // Blobs hold one byte per boolean; dense elements pack them.
    SmallVector<bool> bits(data.begin(), data.end());
    if ((int64_t)bits.size() != type.getNumElements())
      return {};
    return DenseElementsAttr::get(type, ArrayRef<bool>(bits));
  }
  if (!elementType.isIntOrFloat())
    return {};
  int64_t bytes = type.getNumElements() *
                  (int64_t)(elementType.getIntOrFloatBitWidth() / 8);
  if ((int64_t)data.size() != bytes)
    return {};
  return DenseElementsAttr::getFromRawBuffer(type, data);
}

namespace {
/// The elements of `v` when it is a small constant.
DenseElementsAttr constantElements(Value v) {
  Attribute attr;
  if (!v || !matchPattern(v, m_Constant(&attr)))
    return {};
  DenseElementsAttr dense = toDenseElements(attr);
  // Values are listed one by one: refuse large splats too.
  if (!dense || dense.getNumElements() > kMaxFoldElements)
    return {};
  return dense;
}
} // namespace

std::optional<SmallVector<int64_t>> getConstantInts(Value v) {
  DenseElementsAttr dense = constantElements(v);
  if (!dense)
    return std::nullopt;
  auto intType = dyn_cast<IntegerType>(dense.getElementType());
  if (!intType)
    return std::nullopt;
  SmallVector<int64_t> values;
  values.reserve(dense.getNumElements());
  for (const APInt &value : dense.getValues<APInt>())
    values.push_back(intType.isUnsigned() || intType.getWidth() == 1
                         ? (int64_t)value.getZExtValue()
                         : value.getSExtValue());
  return values;
}

std::optional<SmallVector<double>> getConstantFloats(Value v) {
  DenseElementsAttr dense = constantElements(v);
  if (!dense)
    return std::nullopt;
  SmallVector<double> values;
  if (isa<FloatType>(dense.getElementType())) {
    for (const APFloat &value : dense.getValues<APFloat>())
      values.push_back(value.convertToDouble());
    return values;
  }
  std::optional<SmallVector<int64_t>> ints = getConstantInts(v);
  if (!ints)
    return std::nullopt;
  for (int64_t value : *ints)
    values.push_back((double)value);
  return values;
}

} // namespace cleave::graph
