//===- Training.cpp - variables' updates and the losses -------------------===//
//
// A variable is a weights view (CleaveToRuntime.cpp); its assignment copies
// the new value there. The losses and the backward convolutions run their
// own kernels.
//
//===----------------------------------------------------------------------===//

#include "Lowering.h"
#include "cleave/Dialect/Cleave/IR/ConstantUtils.h"

using namespace mlir;
using namespace cleave::graph;

namespace cleave::lowering {

namespace {
/// The forward window of a convolution's or pool's gradient op: `kernel`,
/// and the strides, dilations and padding as the op resolved them.
template <typename Op>
Value gradWindow(Op op, ArrayRef<int64_t> kernel, ProgramBuilder &p) {
  ResolvedWindow w;
  w.kernel.assign(kernel.begin(), kernel.end());
  w.strides.assign(op.getStrides().begin(), op.getStrides().end());
  w.dilations.assign(op.getDilations().begin(), op.getDilations().end());
  w.begin.assign(op.getPadsBegin().begin(), op.getPadsBegin().end());
  w.end.assign(op.getPadsEnd().begin(), op.getPadsEnd().end());
  return p.window(w);
}
} // namespace

void populateTrainingLowerings(LoweringTable &table) {
  table.add<ConvGradDataOp>(
      [](ConvGradDataOp op, ProgramBuilder &p) -> LogicalResult {
        if (failed(p.f32Only(op)))
          return failure();
        p.kernel("conv_backward_data",
                 {p.in(op, 0), p.in(op, 1),
                  gradWindow(op, op.getW().getType().getShape().drop_front(2),
                             p),
                  p.i64(op.getGroup()), p.out(op)});
        return success();
      });
  table.add<PoolGradOp>([](PoolGradOp op, ProgramBuilder &p) -> LogicalResult {
    if (failed(p.f32Only(op)))
      return failure();
    StringRef kind = op.getKind() == "max" ? "CLEAVE_POOL_MAX"
                     : op.getKind() == "average"
                         ? "CLEAVE_POOL_AVG_EXCLUDE_PAD"
                         : "CLEAVE_POOL_AVG_INCLUDE_PAD";
    p.kernel("pool_backward", {p.token(kind), p.in(op, 0), p.in(op, 1),
                               gradWindow(op, op.getKernel(), p),
                               p.out(op)});
    return success();
  });
  table.add<ConvGradWeightsOp>(
      [](ConvGradWeightsOp op, ProgramBuilder &p) -> LogicalResult {
        if (failed(p.f32Only(op)))
          return failure();
        p.kernel("conv_backward_weights",
                 {p.in(op, 0), p.in(op, 1),
                  gradWindow(op, op.getDw().getType().getShape().drop_front(2),
                             p),
                  p.i64(op.getGroup()), p.out(op)});
        return success();
      });
  // A Dropout left in the graph is in training mode (the folder removes
  // the others): a model exported that way, run as it asks.
  table.add<DropoutOp>([](DropoutOp op, ProgramBuilder &p) -> LogicalResult {
    if (!op.getData().getType().getElementType().isF32())
      return p.unsupported(op, "only f32 kernels exist so far");
    std::optional<SmallVector<int64_t>> training =
        getConstantInts(op.getTrainingMode());
    double ratio = 0.5;
    std::optional<SmallVector<double>> given;
    if (!isNone(op.getRatio()))
      given = getConstantFloats(op.getRatio());
    if (!training || training->size() != 1 ||
        (!isNone(op.getRatio()) && (!given || given->size() != 1)))
      return op.emitError("Dropout's training_mode and ratio must be a "
                          "constant scalar each (fix the graph inputs they "
                          "come from with --input-value)");
    if (given)
      ratio = given->front();
    if (!(ratio >= 0 && ratio < 1))
      return op.emitError()
             << "Dropout's ratio must be in [0, 1), not " << ratio;
    p.kernel("dropout",
             {p.in(op, 0), p.f64(training->front() ? ratio : 0.0),
              p.i64(op.getSeed() ? (int64_t)*op.getSeed() : 0), p.out(op, 0),
              op.getMask().use_empty() ? Value() : p.out(op, 1)});
    return success();
  });
  table.add<DropoutMaskOp>(
      [](DropoutMaskOp op, ProgramBuilder &p) -> LogicalResult {
        if (failed(p.f32Only(op)))
          return failure();
        p.kernel("dropout_mask",
                 {p.in(op, 1), p.f64(op.getRatio().convertToDouble()),
                  p.i64(op.getSeed()), p.i64(op.getMicrobatch()),
                  p.i64(op.getMicrobatches()), p.out(op)});
        return success();
      });
  table.add<AdamWOp>([](AdamWOp op, ProgramBuilder &p) -> LogicalResult {
    if (failed(p.f32Only(op)))
      return failure();
    auto f32 = [&](APFloat value) { return p.f32(value.convertToDouble()); };
    p.kernel("adamw", {p.in(op, 0), p.in(op, 1), p.in(op, 2), p.in(op, 3),
                       p.in(op, 4), p.in(op, 5), p.in(op, 6),
                       f32(op.getBeta1()), f32(op.getBeta2()), f32(op.getEps()),
                       f32(op.getWeightDecay()), f32(op.getGradScale()),
                       p.out(op, 0), p.out(op, 1), p.out(op, 2)});
    return success();
  });
  // Nothing to copy when the value was computed into the variable.
  table.add<AssignOp>([](AssignOp op, ProgramBuilder &p) {
    if (p.view(op.getValue()) != p.view(op.getVariable()))
      p.kernel("copy", {p.view(op.getValue()), p.view(op.getVariable())});
    return success();
  });
  table.add<CrossEntropyOp>(
      [](CrossEntropyOp op, ProgramBuilder &p) -> LogicalResult {
        if (!op.getLogits().getType().getElementType().isF32())
          return p.unsupported(op, "only f32 logits have a kernel so far");
        p.kernel("cross_entropy",
                 {p.in(op, 0), p.in(op, 1), p.i32(op.getReduction() == "mean"),
                  p.i64(op.getIgnoreIndex()), p.out(op)});
        return success();
      });
  table.add<GatherGradOp>(
      [](GatherGradOp op, ProgramBuilder &p) -> LogicalResult {
        if (!op.getDy().getType().getElementType().isF32())
          return p.unsupported(op, "only f32 gradients have a kernel so far");
        p.kernel("gather_grad", {p.in(op, 1), p.in(op, 2),
                                 p.i32(op.getAxis()), p.out(op)});
        return success();
      });
  table.add<CrossEntropyGradOp>(
      [](CrossEntropyGradOp op, ProgramBuilder &p) -> LogicalResult {
        if (!op.getLogits().getType().getElementType().isF32())
          return p.unsupported(op, "only f32 logits have a kernel so far");
        p.kernel("cross_entropy_grad",
                 {p.in(op, 0), p.in(op, 1), p.in(op, 2),
                  p.i32(op.getReduction() == "mean"),
                  p.i64(op.getIgnoreIndex()), p.out(op)});
        return success();
      });
}

} // namespace cleave::lowering
