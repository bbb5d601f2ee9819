//===- TrainingOps.cpp - variables and losses -----------------------------===//

#include "cleave/Dialect/Cleave/IR/CleaveOps.h"

using namespace mlir;

namespace cleave::graph {

StringRef parameterName(ConstantOp constant) {
  auto type = cast<ShapedType>(constant.getType());
  auto name = dyn_cast<NameLoc>(constant.getLoc());
  if (!name || !isa<FloatType>(type.getElementType()) || type.getRank() == 0)
    return "";
  auto mark = dyn_cast<NameLoc>(name.getChildLoc());
  if (!mark || mark.getName() != kInitializerMark)
    return "";
  return name.getName().getValue();
}

LogicalResult VariableOp::inferReturnTypes(MLIRContext *,
                                           std::optional<Location>,
                                           Adaptor adaptor,
                                           SmallVectorImpl<Type> &types) {
  types.push_back(adaptor.getValue().getType());
  return success();
}

LogicalResult VariableOp::verify() {
  if (getValue().getType() != getType())
    return emitOpError("its value has type ")
           << getValue().getType() << " but the variable is " << getType();
  if (getName().empty())
    return emitOpError("needs a name");
  return success();
}

VariableOp AssignOp::getVariableOp() {
  return getVariable().getDefiningOp<VariableOp>();
}

LogicalResult AssignOp::verify() {
  if (!getVariableOp())
    return emitOpError("assigns to a value no cleave.variable defines");
  if (getVariable().getType() != getValue().getType())
    return emitOpError("assigns ")
           << getValue().getType() << " to a variable of "
           << getVariable().getType();
  return success();
}

LogicalResult AdamWOp::verify() {
  if (cast<ShapedType>(getLr().getType()).getRank() != 0)
    return emitOpError("lr and the bias corrections must be scalars");
  return success();
}

namespace {
LogicalResult checkLoss(std::optional<Location> loc, Value logits,
                        Value labels, StringRef reduction) {
  auto x = cast<ShapedType>(logits.getType());
  auto y = cast<ShapedType>(labels.getType());
  if (x.getRank() < 1 || x.getShape().drop_back() != y.getShape())
    return emitOptionalError(loc, "labels must have the logits' shape without "
                                  "its last axis");
  if (reduction != "mean" && reduction != "sum")
    return emitOptionalError(loc, "reduction must be 'mean' or 'sum'");
  return success();
}
} // namespace

LogicalResult CrossEntropyOp::inferReturnTypes(
    MLIRContext *, std::optional<Location> loc, Adaptor adaptor,
    SmallVectorImpl<Type> &types) {
  if (failed(checkLoss(loc, adaptor.getLogits(), adaptor.getLabels(),
                       adaptor.getReduction())))
    return failure();
  types.push_back(RankedTensorType::get(
      {}, cast<ShapedType>(adaptor.getLogits().getType()).getElementType()));
  return success();
}

LogicalResult CrossEntropyOp::verify() {
  return checkLoss(getLoc(), getLogits(), getLabels(), getReduction());
}

LogicalResult CrossEntropyGradOp::inferReturnTypes(
    MLIRContext *, std::optional<Location> loc, Adaptor adaptor,
    SmallVectorImpl<Type> &types) {
  if (failed(checkLoss(loc, adaptor.getLogits(), adaptor.getLabels(),
                       adaptor.getReduction())))
    return failure();
  types.push_back(adaptor.getLogits().getType());
  return success();
}

LogicalResult GatherGradOp::inferReturnTypes(MLIRContext *,
                                             std::optional<Location>,
                                             Adaptor adaptor,
                                             SmallVectorImpl<Type> &types) {
  types.push_back(adaptor.getData().getType());
  return success();
}

LogicalResult LayerNormGradOp::inferReturnTypes(
    MLIRContext *, std::optional<Location> loc, Adaptor adaptor,
    SmallVectorImpl<Type> &types) {
  auto x = cast<ShapedType>(adaptor.getX().getType());
  auto scale = cast<ShapedType>(adaptor.getScale().getType());
  int64_t axis = adaptor.getAxis();
  if (axis < 0 || axis >= x.getRank() ||
      x.getShape().drop_front(axis) != scale.getShape())
    return emitOptionalError(loc, "scale must have the shape of x's axes "
                                  "from axis on");
  if (adaptor.getDy().getType() != adaptor.getX().getType())
    return emitOptionalError(loc, "dy and x must have one type");
  types.push_back(adaptor.getX().getType());
  types.push_back(adaptor.getScale().getType());
  types.push_back(adaptor.getScale().getType());
  return success();
}

LogicalResult SoftmaxGradOp::verify() {
  int64_t rank = getY().getType().getRank(), axis = getAxis();
  if (axis < 0 || axis >= rank)
    return emitOpError("needs an axis in [0, ") << rank << ")";
  return success();
}

LogicalResult AllReduceOp::inferReturnTypes(MLIRContext *,
                                            std::optional<Location>,
                                            Adaptor adaptor,
                                            SmallVectorImpl<Type> &types) {
  llvm::append_range(types, adaptor.getOperands().getTypes());
  return success();
}

namespace {
/// dy [N, M, out...], the other tensor [N, C, spatial...] or [M, C/g,
/// kernel...]: ranks and window lengths agree.
LogicalResult verifyConvGrad(Operation *op, ShapedType dy, ShapedType other,
                             ArrayRef<int64_t> strides,
                             ArrayRef<int64_t> dilations,
                             ArrayRef<int64_t> begin, ArrayRef<int64_t> end,
                             int64_t group) {
  size_t spatial = dy.getRank() - 2;
  if (dy.getRank() < 3 || other.getRank() != dy.getRank())
    return op->emitOpError("needs tensors of the same rank, 3 or more");
  for (ArrayRef<int64_t> list : {strides, dilations, begin, end})
    if (list.size() != spatial)
      return op->emitOpError("needs one stride, dilation and pad per "
                             "spatial axis");
  if (group < 1)
    return op->emitOpError("needs a positive group");
  return success();
}
} // namespace

LogicalResult ConvGradDataOp::verify() {
  return verifyConvGrad(*this, getDy().getType(), getDx().getType(),
                        getStrides(), getDilations(), getPadsBegin(),
                        getPadsEnd(), (int64_t)getGroup());
}

LogicalResult ConvGradWeightsOp::verify() {
  return verifyConvGrad(*this, getDy().getType(), getDw().getType(),
                        getStrides(), getDilations(), getPadsBegin(),
                        getPadsEnd(), (int64_t)getGroup());
}

LogicalResult PoolGradOp::verify() {
  StringRef kind = getKind();
  if (kind != "max" && kind != "average" && kind != "average_include_pad")
    return emitOpError("kind must be max, average or average_include_pad");
  if (getX().getType() != getDx().getType())
    return emitOpError("dx must have x's type");
  size_t spatial = getX().getType().getRank() - 2;
  for (ArrayRef<int64_t> list : {getKernel(), getStrides(), getDilations(),
                                 getPadsBegin(), getPadsEnd()})
    if (list.size() != spatial)
      return emitOpError("needs a kernel size, stride, dilation and pads "
                         "per spatial axis");
  return success();
}

LogicalResult DropoutMaskOp::verify() {
  double ratio = getRatio().convertToDouble();
  if (!(ratio > 0 && ratio < 1))
    return emitOpError("ratio must be in (0, 1), not ") << ratio;
  if (getStep().getType().getRank() != 0)
    return emitOpError("step must be a scalar");
  if (getMicrobatches() < 1 || getMicrobatch() < 0 ||
      getMicrobatch() >= getMicrobatches())
    return emitOpError("microbatch must be in [0, microbatches)");
  return success();
}

double ConvGradDataOp::getFlops() {
  return 2.0 * getDy().getType().getNumElements() *
         (double)getW().getType().getNumElements() /
         getW().getType().getDimSize(0);
}

double ConvGradWeightsOp::getFlops() {
  return 2.0 * getDy().getType().getNumElements() *
         (double)getDw().getType().getNumElements() /
         getDw().getType().getDimSize(0);
}

} // namespace cleave::graph
