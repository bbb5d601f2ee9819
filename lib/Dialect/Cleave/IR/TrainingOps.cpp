//===- TrainingOps.cpp - variables and losses -----------------------------===//

#include "cleave/Dialect/Cleave/IR/CleaveOps.h"
#include "mlir/IR/Matchers.h"
#include "mlir/IR/PatternMatch.h"
#include "mlir/Interfaces/FunctionInterfaces.h"

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

bool AssignOp::isComputedInPlace() {
  Value value = getValue(), variable = getVariable();
  Operation *producer = value.getDefiningOp();
  if (!producer || !value.hasOneUse() || isWeights(producer))
    return false;
  bool reads = false;
  for (Operation *user : variable.getUsers()) {
    if (user == getOperation())
      continue;
    if (user == producer)
      reads = true;
    else if (!user->isBeforeInBlock(producer))
      return false;
  }
  if (!reads || isa<AdamWOp>(producer))
    return true;
  // A variadic sum runs as a chain into its result from its first input
  // (as the memory plan knows): the variable may only be that input.
  bool chain = producer->hasTrait<mlir::OpTrait::VariadicOperands>() &&
               producer->getNumOperands() > 2;
  return isElementwise(producer) &&
         (!chain || (producer->getOperand(0) == variable &&
                     llvm::count(producer->getOperands(), variable) == 1));
}

OpCost AssignOp::getCost() {
  if (!isComputedInPlace())
    return estimateCost(getOperation(), getCostKind(), getFlops());
  OpCost nothing; // No kernel runs.
  nothing.kind = getCostKind();
  return nothing;
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

/// The replica count of the function around `op` (1 without replicas).
static int64_t functionReplicas(Operation *op) {
  auto function = op->getParentOfType<FunctionOpInterface>();
  auto replicas = function
                      ? function->getAttrOfType<IntegerAttr>("cleave.replicas")
                      : IntegerAttr();
  return replicas ? replicas.getInt() : 1;
}

LogicalResult AdamWOp::verify() {
  if (cast<ShapedType>(getLr().getType()).getRank() != 0)
    return emitOpError("lr and the bias corrections must be scalars");
  auto param = cast<RankedTensorType>(getParam().getType());
  auto slice = cast<RankedTensorType>(getGrad().getType());
  if (param == slice)
    return success();
  // A replica's slice of axis 0 (ZeRO stage 1).
  int64_t replicas = functionReplicas(*this);
  if (param.getElementType() != slice.getElementType() || param.getRank() < 1 ||
      param.getRank() != slice.getRank() ||
      param.getShape().drop_front() != slice.getShape().drop_front() ||
      param.getDimSize(0) != slice.getDimSize(0) * replicas)
    return replicas == 1
               ? emitOpError("needs a parameter of its gradient's type")
               : emitOpError("needs a parameter of its gradient's type, or "
                             "with ")
                     << replicas
                     << " times its leading dimension (one slice per "
                        "replica)";
  return success();
}

namespace {
/// adamw(p, mul(g, c)) with a constant scalar c that only the update reads
/// -> adamw(p, g) {grad_scale = c}: the kernel scales each element as the
/// multiplication did, one pass over the gradient fewer.
struct FoldGradScale : OpRewritePattern<AdamWOp> {
  using OpRewritePattern::OpRewritePattern;
  LogicalResult matchAndRewrite(AdamWOp op,
                                PatternRewriter &rewriter) const override {
    auto mul = op.getGrad().getDefiningOp<MulOp>();
    if (!mul || !mul->hasOneUse())
      return failure();
    for (unsigned i = 0; i < 2; ++i) {
      Value data = mul->getOperand(i), scale = mul->getOperand(1 - i);
      DenseFPElementsAttr value;
      if (data.getType() != op.getGrad().getType() ||
          !matchPattern(scale, m_Constant(&value)) || !value.isSplat() ||
          cast<ShapedType>(scale.getType()).getNumElements() != 1)
        continue;
      // The multiplication rounds its constant to f32, as the kernel will.
      double factor =
          value.getSplatValue<APFloat>().convertToFloat() *
          op.getGradScale().convertToDouble();
      rewriter.modifyOpInPlace(op, [&] {
        op.getGradMutable().assign(data);
        op.setGradScaleAttr(rewriter.getF64FloatAttr(factor));
      });
      return success();
    }
    return failure();
  }
};
} // namespace

void AdamWOp::getCanonicalizationPatterns(RewritePatternSet &patterns,
                                          MLIRContext *context) {
  patterns.add<FoldGradScale>(context);
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

/// A collective's `replicas` is its function's, and its operand and result
/// have a leading axis and the same element type and trailing dimensions.
LogicalResult verifyLeadingAxisCollective(Operation *op, int64_t replicas,
                                          RankedTensorType operand,
                                          RankedTensorType result) {
  if (replicas < 1 || replicas != functionReplicas(op))
    return op->emitOpError("runs over ")
           << replicas << " replicas but its function has "
           << functionReplicas(op);
  if (operand.getRank() < 1 || operand.getRank() != result.getRank() ||
      operand.getElementType() != result.getElementType() ||
      operand.getShape().drop_front() != result.getShape().drop_front())
    return op->emitOpError("needs an operand and a result that differ only "
                           "in their leading dimension");
  return success();
}
} // namespace

namespace {
/// A ring over `n` replicas that passes (n - 1) / n of `bytes` around
/// `rounds` times, in n - 1 messages each time.
cleave::graph::LinkTraffic ring(int64_t n, double bytes, int64_t rounds) {
  if (n < 2)
    return {};
  return {rounds * (n - 1) * bytes / n, rounds * (n - 1)};
}
} // namespace

cleave::graph::LinkTraffic AllReduceOp::getLinkTraffic() {
  double total = 0;
  for (Value operand : getOperands())
    total += cleave::graph::bytes(operand);
  return ring(functionReplicas(*this), total, 2);
}

cleave::graph::LinkTraffic AllGatherOp::getLinkTraffic() {
  return ring(getReplicas(), cleave::graph::bytes(getResult()), 1);
}

cleave::graph::LinkTraffic ReduceScatterOp::getLinkTraffic() {
  return ring(getReplicas(), cleave::graph::bytes(getOperand()), 1);
}

cleave::graph::LinkTraffic BroadcastOp::getLinkTraffic() {
  int64_t n = functionReplicas(*this);
  if (n < 2)
    return {};
  return {(double)cleave::graph::bytes(getOperand()),
          (int64_t)llvm::Log2_64_Ceil(n)};
}

LogicalResult AllGatherOp::verify() {
  auto in = cast<RankedTensorType>(getOperand().getType());
  auto out = cast<RankedTensorType>(getResult().getType());
  if (failed(verifyLeadingAxisCollective(*this, getReplicas(), in, out)))
    return failure();
  if (out.getDimSize(0) != in.getDimSize(0) * (int64_t)getReplicas())
    return emitOpError("gathers ")
           << getReplicas() << " x " << in.getDimSize(0)
           << " rows but its result has " << out.getDimSize(0);
  return success();
}

LogicalResult ReduceScatterOp::verify() {
  auto in = cast<RankedTensorType>(getOperand().getType());
  auto out = cast<RankedTensorType>(getResult().getType());
  if (failed(verifyLeadingAxisCollective(*this, getReplicas(), in, out)))
    return failure();
  if (in.getDimSize(0) != out.getDimSize(0) * (int64_t)getReplicas())
    return emitOpError("scatters ")
           << in.getDimSize(0) << " rows over " << getReplicas()
           << " replicas but its result has " << out.getDimSize(0);
  return success();
}

LogicalResult BroadcastOp::verify() {
  // I64Attr getters return the bits unsigned: read them signed.
  auto root = (int64_t)getRoot();
  if (root < 0 || root >= (int64_t)functionReplicas(*this))
    return emitOpError("has root ")
           << getRoot() << " but its function has "
           << functionReplicas(*this) << " replicas";
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
  auto microbatch = (int64_t)getMicrobatch();
  auto microbatches = (int64_t)getMicrobatches();
  if (microbatches < 1 || microbatch < 0 || microbatch >= microbatches)
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
