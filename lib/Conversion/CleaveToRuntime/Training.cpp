//===- Training.cpp - variables' updates and the losses -------------------===//
//
// A variable is a weights view (CleaveToRuntime.cpp); its assignment copies
// the new value there. The losses run their fused kernels.
//
//===----------------------------------------------------------------------===//

#include "Lowering.h"

using namespace mlir;
using namespace cleave::graph;

namespace cleave::lowering {

void populateTrainingLowerings(LoweringTable &table) {
  table.add<AssignOp>([](AssignOp op, ProgramBuilder &p) {
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
