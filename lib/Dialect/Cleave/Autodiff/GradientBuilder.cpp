//===- GradientBuilder.cpp - helpers of the gradient rules ----------------===//

#include "cleave/Dialect/Cleave/Autodiff/GradientBuilder.h"
#include "cleave/Dialect/Cleave/IR/CleaveDialect.h"
#include "mlir/IR/BuiltinAttributes.h"

using namespace mlir;

namespace cleave::graph {

Value GradientBuilder::splat(double value, ShapedType type) {
  Type element = type.getElementType();
  Attribute scalar = isa<FloatType>(element)
                         ? Attribute(builder.getFloatAttr(element, value))
                         : Attribute(builder.getIntegerAttr(element,
                                                            (int64_t)value));
  return ConstantOp::create(builder, loc,
                            ElementsAttr(DenseElementsAttr::get(type, scalar)));
}

Value GradientBuilder::scalar(double value, Type elementType) {
  return splat(value, RankedTensorType::get({}, elementType));
}

Value GradientBuilder::i64s(ArrayRef<int64_t> values) {
  auto type = RankedTensorType::get({(int64_t)values.size()},
                                    builder.getI64Type());
  return ConstantOp::create(
      builder, loc, ElementsAttr(DenseElementsAttr::get(type, values)));
}

Value GradientBuilder::reshape(Value x, ArrayRef<int64_t> shape) {
  if (cast<ShapedType>(x.getType()).getShape() == shape)
    return x;
  return create<ReshapeOp>(x, i64s(shape), /*allowzero=*/0);
}

Value GradientBuilder::transpose(Value x, ArrayRef<int64_t> perm) {
  return create<TransposeOp>(x, builder.getDenseI64ArrayAttr(perm));
}

Value GradientBuilder::sumKeep(Value x, ArrayRef<int64_t> axes) {
  if (axes.empty())
    return x;
  return create<ReduceSumOp>(x, i64s(axes), /*keepdims=*/1);
}

Value GradientBuilder::unbroadcast(Value grad, Type type) {
  auto target = cast<ShapedType>(type);
  ArrayRef<int64_t> from = cast<ShapedType>(grad.getType()).getShape();
  ArrayRef<int64_t> to = target.getShape();
  if (from == to)
    return grad;
  // Axes broadcasting prepended, and axes of size 1 it stretched.
  int64_t lead = (int64_t)from.size() - (int64_t)to.size();
  SmallVector<int64_t> axes;
  for (int64_t i = 0; i < (int64_t)from.size(); ++i)
    if (i < lead || (to[i - lead] == 1 && from[i] != 1))
      axes.push_back(i);
  return reshape(sumKeep(grad, axes), to);
}

Value GradientBuilder::expandTo(Value x, Type type) {
  ArrayRef<int64_t> shape = cast<ShapedType>(type).getShape();
  if (cast<ShapedType>(x.getType()).getShape() == shape)
    return x;
  return create<ExpandOp>(x, i64s(shape));
}

} // namespace cleave::graph
