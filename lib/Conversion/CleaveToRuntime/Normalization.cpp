//===- Normalization.cpp - normalisations and softmax ---------------------===//

#include "Lowering.h"

using namespace mlir;
using namespace cleave::graph;

namespace cleave::lowering {

namespace {

LogicalResult softmax(Operation *op, int64_t axis, bool log,
                      ProgramBuilder &p) {
  if (failed(p.f32Only(op)))
    return failure();
  p.kernel("softmax", {p.in(op, 0), p.out(op)},
           {p.operand(0), p.i32(axis), p.i32(log), p.operand(1)});
  return success();
}

LogicalResult lowerLayerNorm(LayerNormalizationOp op, ProgramBuilder &p) {
  if (failed(p.f32Only(op)))
    return failure();
  bool stats = !op.getMean().use_empty() || !op.getInvStdDev().use_empty();
  auto x = cast<ShapedType>(op.getX().getType());
  int64_t axis = (int64_t)op.getAxis();
  if (axis < 0)
    axis += x.getRank();
  int64_t cols = 1;
  for (int64_t i = axis; i < x.getRank(); ++i)
    cols *= x.getDimSize(i);
  auto covers = [&](Value v) {
    return cast<ShapedType>(v.getType()).getNumElements() == cols;
  };
  if (!covers(op.getScale()) || (!isNone(op.getB()) && !covers(op.getB())))
    return p.unsupported(op, "scale and bias must cover the normalised axes");
  bool bias = !isNone(op.getB());
  SmallVector<Value> operands = {p.in(op, 0), p.in(op, 1)};
  if (bias)
    operands.push_back(p.in(op, 2));
  operands.push_back(p.out(op, 0));
  if (stats) {
    operands.push_back(p.out(op, 1));
    operands.push_back(p.out(op, 2));
  }
  // The inputs, then the axis and epsilon literals, then the outputs.
  unsigned inputs = bias ? 3 : 2;
  SmallVector<Attribute> args;
  for (unsigned i = 0; i < inputs; ++i)
    args.push_back(p.operand(i));
  args.push_back(p.i32(axis));
  args.push_back(p.f32(op.getEpsilon().convertToFloat()));
  for (unsigned i = inputs; i < operands.size(); ++i)
    args.push_back(p.operand(i));
  StringRef callee = stats
                         ? (bias ? "layer_norm_bias_stats" : "layer_norm_stats")
                         : (bias ? "layer_norm_bias" : "layer_norm");
  p.kernel(callee, operands, args);
  return success();
}

} // namespace

void populateNormalizationLowerings(LoweringTable &table) {
  table.add<SoftmaxOp>([](SoftmaxOp op, ProgramBuilder &p) {
    return softmax(op, (int64_t)op.getAxis(), false, p);
  });
  table.add<LogSoftmaxOp>([](LogSoftmaxOp op, ProgramBuilder &p) {
    return softmax(op, (int64_t)op.getAxis(), true, p);
  });
  table.add<LayerNormalizationOp>(lowerLayerNorm);
  table.add<BatchNormalizationOp>(
      [](BatchNormalizationOp op, ProgramBuilder &p) -> LogicalResult {
        if (failed(p.f32Only(op)) || failed(p.onlyFirstResultUsed(op)))
          return failure();
        if (op.getTrainingMode())
          return p.unsupported(op, "training mode is not supported");
        p.kernel("batch_norm",
                 {p.in(op, 0), p.in(op, 1), p.in(op, 2), p.in(op, 3),
                  p.in(op, 4), p.out(op)},
                 {p.operand(0), p.operand(1), p.operand(2), p.operand(3),
                  p.operand(4), p.f32(op.getEpsilon().convertToFloat()),
                  p.operand(5)});
        return success();
      });
  table.add<InstanceNormalizationOp>(
      [](InstanceNormalizationOp op, ProgramBuilder &p) -> LogicalResult {
        if (failed(p.f32Only(op)))
          return failure();
        p.kernel("instance_norm",
                 {p.in(op, 0), p.in(op, 1), p.in(op, 2), p.out(op)},
                 {p.operand(0), p.operand(1), p.operand(2),
                  p.f32(op.getEpsilon().convertToFloat()), p.operand(3)});
        return success();
      });
  table.add<LRNOp>([](LRNOp op, ProgramBuilder &p) -> LogicalResult {
    if (failed(p.f32Only(op)))
      return failure();
    p.kernel("lrn", {p.in(op, 0), p.out(op)},
             {p.operand(0), p.f32(op.getAlpha().convertToFloat()),
              p.f32(op.getBeta().convertToFloat()),
              p.f32(op.getBias().convertToFloat()),
              p.i64((int64_t)op.getSize()), p.operand(1)});
    return success();
  });
}

} // namespace cleave::lowering
