//===- LayoutWeights.cpp - offsets of constants in the weights file -------===//

#include "cleave/Dialect/Cleave/IR/CleaveOps.h"
#include "cleave/Dialect/Cleave/Transforms/Passes.h"
#include "cleave/Runtime/Weights.h"

namespace cleave::graph {
#define GEN_PASS_DEF_LAYOUTWEIGHTSPASS
#include "cleave/Dialect/Cleave/Transforms/Passes.h.inc"
} // namespace cleave::graph

using namespace mlir;
using namespace cleave::graph;

int64_t cleave::graph::tensorBytes(Type type) {
  auto shaped = cast<ShapedType>(type);
  int64_t width = std::max<int64_t>(shaped.getElementTypeBitWidth() / 8, 1);
  return shaped.getNumElements() * width;
}

namespace {
struct LayoutWeightsPass
    : public cleave::graph::impl::LayoutWeightsPassBase<LayoutWeightsPass> {
  void runOnOperation() override {
    Builder builder(&getContext());
    int64_t size = 0;
    getOperation().walk([&](Operation *op) {
      if (!isWeights(op))
        return;
      op->setAttr(kWeightOffsetAttr, builder.getI64IntegerAttr(size));
      size += tensorBytes(op->getResult(0).getType());
      size = (size + CLEAVE_WEIGHTS_ALIGNMENT - 1) / CLEAVE_WEIGHTS_ALIGNMENT *
             CLEAVE_WEIGHTS_ALIGNMENT;
    });
    getOperation()->setAttr(kWeightsSizeAttr, builder.getI64IntegerAttr(size));
  }
};
} // namespace
