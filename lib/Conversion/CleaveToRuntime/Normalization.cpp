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
  p.kernel("softmax", {p.in(op, 0), p.i32(axis), p.i32(log), p.out(op)});
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
  SmallVector<KernelArg> args = {
      p.in(op, 0), p.in(op, 1), isNone(op.getB()) ? Value() : p.in(op, 2),
      p.i32(axis), p.f32(op.getEpsilon().convertToFloat()), p.out(op, 0)};
  if (!stats) {
    p.kernel("layer_norm", args);
    return success();
  }
  // Mean and InvStdDev where used (an unused one has no view: NULL).
  args.push_back(p.out(op, 1));
  args.push_back(p.out(op, 2));
  p.kernel("layer_norm_stats", args);
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
  table.add<SoftmaxGradOp>([](SoftmaxGradOp op, ProgramBuilder &p) {
    if (failed(p.f32Only(op)))
      return failure();
    p.kernel("softmax_backward", {p.in(op, 0), p.in(op, 1), p.i32(op.getAxis()),
                                  p.i32(op.getLog()), p.out(op)});
    return success();
  });
  table.add<GeluGradOp>([](GeluGradOp op, ProgramBuilder &p) {
    if (failed(p.f32Only(op)))
      return failure();
    bool tanh = op.getApproximate() == GeluApproximation::Tanh;
    p.kernel("gelu_backward",
             {p.in(op, 0), p.in(op, 1), p.i32(tanh), p.out(op)});
    return success();
  });
  // An unused parameter gradient has no view: NULL.
  table.add<LayerNormGradOp>([](LayerNormGradOp op, ProgramBuilder &p) {
    if (failed(p.f32Only(op)))
      return failure();
    p.kernel("layer_norm_backward",
             {p.in(op, 0), p.in(op, 1), p.in(op, 2), p.in(op, 3), p.in(op, 4),
              p.i32(op.getAxis()), p.out(op, 0), p.out(op, 1), p.out(op, 2)});
    return success();
  });
  table.add<BatchNormalizationOp>(
      [](BatchNormalizationOp op, ProgramBuilder &p) -> LogicalResult {
        if (failed(p.f32Only(op)) || failed(p.onlyFirstResultUsed(op)))
          return failure();
        if (op.getTrainingMode())
          return p.unsupported(op, "training mode is not supported");
        p.kernel("batch_norm",
                 {p.in(op, 0), p.in(op, 1), p.in(op, 2), p.in(op, 3),
                  p.in(op, 4), p.f32(op.getEpsilon().convertToFloat()),
                  p.i32(op.getChannelsLast()), p.out(op)});
        return success();
      });
  table.add<InstanceNormalizationOp>(
      [](InstanceNormalizationOp op, ProgramBuilder &p) -> LogicalResult {
        if (failed(p.f32Only(op)))
          return failure();
        p.kernel("instance_norm",
                 {p.in(op, 0), p.in(op, 1), p.in(op, 2),
                  p.f32(op.getEpsilon().convertToFloat()), p.out(op)});
        return success();
      });
  table.add<LRNOp>([](LRNOp op, ProgramBuilder &p) -> LogicalResult {
    if (failed(p.f32Only(op)))
      return failure();
    p.kernel("lrn", {p.in(op, 0), p.f32(op.getAlpha().convertToFloat()),
                     p.f32(op.getBeta().convertToFloat()),
                     p.f32(op.getBias().convertToFloat()),
                     p.i64((int64_t)op.getSize()), p.out(op)});
    return success();
  });
}

} // namespace cleave::lowering
