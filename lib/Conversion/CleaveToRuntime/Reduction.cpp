//===- Reduction.cpp - reductions, arg-reductions, TopK, CumSum -----------===//

#include "Lowering.h"
#include "cleave/Dialect/Cleave/IR/ConstantUtils.h"

using namespace mlir;
using namespace cleave::graph;

namespace cleave::lowering {

namespace {

/// Reduce*: the kernel writes the kept-dims shape (the same bytes).
LogicalResult lowerReduce(Operation *op, ProgramBuilder &p) {
  auto x = cast<ShapedType>(op->getOperand(0).getType());
  SmallVector<int64_t> kept(x.getShape());
  Value axes = op->getOperand(1);
  bool noop =
      op->getAttrOfType<IntegerAttr>("noop_with_empty_axes").getInt() != 0;
  std::optional<SmallVector<int64_t>> axisValues;
  if (!isNone(axes))
    axisValues = getConstantInts(axes);
  if (!isNone(axes) && !axisValues)
    return p.unsupported(op, "axes must be a constant");
  if ((!axisValues || axisValues->empty()) && noop) {
    p.kernel("copy", {p.in(op, 0), p.out(op)});
    return success();
  }
  if (!axisValues || axisValues->empty())
    kept.assign(x.getRank(), 1);
  else
    for (int64_t a : *axisValues)
      kept[positiveAxis(a, x.getRank())] = 1;
  Value keptView = p.resultAs(op, kept);
  p.kernel("reduce", {p.token(cast<KernelOpInterface>(op).getRuntimeKernel()),
                      p.in(op, 0), keptView});
  return success();
}

LogicalResult lowerArgReduce(Operation *op, ProgramBuilder &p) {
  auto x = cast<ShapedType>(op->getOperand(0).getType());
  if (!x.getElementType().isF32())
    return p.unsupported(op, "only f32 kernels exist so far");
  int64_t axis = positiveAxis(op->getAttrOfType<IntegerAttr>("axis").getInt(),
                              x.getRank());
  SmallVector<int64_t> kept(x.getShape());
  kept[axis] = 1;
  Value keptView = p.resultAs(op, kept);
  bool selectLast =
      op->getAttrOfType<IntegerAttr>("select_last_index").getInt() != 0;
  p.kernel("arg_reduce", {p.in(op, 0), p.i32(axis), p.i32(isa<ArgMaxOp>(op)),
                          p.i32(selectLast), keptView});
  return success();
}

} // namespace

void populateReductionLowerings(LoweringTable &table) {
  table.addFamily(
      [](Operation *op) {
        auto kernel = dyn_cast<KernelOpInterface>(op);
        return kernel &&
               kernel.getRuntimeKernel().starts_with("CLEAVE_REDUCE_");
      },
      lowerReduce);
  table.add<ArgMaxOp>(
      [](ArgMaxOp op, ProgramBuilder &p) { return lowerArgReduce(op, p); });
  table.add<ArgMinOp>(
      [](ArgMinOp op, ProgramBuilder &p) { return lowerArgReduce(op, p); });
  table.add<TopKOp>([](TopKOp op, ProgramBuilder &p) -> LogicalResult {
    // Both outputs are computed; unused ones still need a buffer.
    Value values = p.out(op, 0), indices = p.out(op, 1);
    if (!values || !indices)
      return p.unsupported(op, "both outputs need a buffer");
    int64_t rank = cast<ShapedType>(op.getX().getType()).getRank();
    p.kernel("top_k", {p.in(op, 0), p.i32(positiveAxis((int64_t)op.getAxis(), rank)),
                       p.i32(op.getLargest() ? 1 : 0), values, indices});
    return success();
  });
  table.add<CumSumOp>([](CumSumOp op, ProgramBuilder &p) -> LogicalResult {
    std::optional<SmallVector<int64_t>> axis = getConstantInts(op.getAxis());
    if (!axis || axis->size() != 1)
      return p.unsupported(op, "axis must be a constant");
    int64_t rank = cast<ShapedType>(op.getX().getType()).getRank();
    p.kernel("cumsum", {p.in(op, 0), p.i32(positiveAxis((*axis)[0], rank)),
                        p.i32(op.getExclusive() != 0),
                        p.i32(op.getReverse() != 0), p.out(op)});
    return success();
  });
}

} // namespace cleave::lowering
