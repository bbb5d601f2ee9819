//===- TrainDropout.cpp - Dropout as model.train() runs it ---------------===//
//
// Trained, a Dropout drops each element with probability `ratio` and
// scales the others by 1 / (1 - ratio), also in a model exported for
// inference (whose Dropouts are the identity): output = data * mask, with
// the mask a cleave.dropout_mask of a step counter (the variable
// `dropout.step`, one more at each step). The gradient is then the Mul's,
// dy * mask, with the forward's mask. With `enabled=false`
// (`--dropout=off`) every Dropout is the identity, for comparisons with a
// framework whose random numbers Cleave does not reproduce.
//
//===----------------------------------------------------------------------===//

#include "cleave/Dialect/Cleave/Autodiff/GradientBuilder.h"
#include "cleave/Dialect/Cleave/IR/ConstantUtils.h"
#include "cleave/Dialect/Cleave/IR/CleaveOps.h"
#include "cleave/Dialect/Cleave/IR/ShapeInference.h"
#include "cleave/Dialect/Cleave/Transforms/Passes.h"
#include "mlir/Dialect/Func/IR/FuncOps.h"

namespace cleave::graph {
#define GEN_PASS_DEF_TRAINDROPOUTPASS
#include "cleave/Dialect/Cleave/Transforms/Passes.h.inc"
} // namespace cleave::graph

using namespace mlir;
using namespace cleave::graph;

namespace {

/// splitmix64's finalizer: a seed per Dropout from the run's and its own.
uint64_t mix(uint64_t x) {
  x += 0x9e3779b97f4a7c15ull;
  x = (x ^ (x >> 30)) * 0xbf58476d1ce4e5b9ull;
  x = (x ^ (x >> 27)) * 0x94d049bb133111ebull;
  return x ^ (x >> 31);
}

struct TrainDropoutPass
    : public cleave::graph::impl::TrainDropoutPassBase<TrainDropoutPass> {
  using TrainDropoutPassBase::TrainDropoutPassBase;

  void runOnOperation() override {
    func::FuncOp function = getOperation();
    SmallVector<DropoutOp> dropouts;
    function.walk([&](DropoutOp op) { dropouts.push_back(op); });
    if (dropouts.empty())
      return;
    Block &body = function.getBody().front();
    OpBuilder builder(&body, body.begin());
    auto scalarType = RankedTensorType::get({}, builder.getF32Type());
    Value step;
    for (auto [index, op] : llvm::enumerate(dropouts)) {
      double ratio = 0.5;
      if (!isNone(op.getRatio())) {
        std::optional<SmallVector<double>> given =
            getConstantFloats(op.getRatio());
        if (!given || given->size() != 1) {
          op.emitError("Dropout's ratio must be a constant scalar to train");
          return signalPassFailure();
        }
        ratio = given->front();
      }
      if (!(ratio >= 0 && ratio < 1)) {
        op.emitError() << "Dropout's ratio must be in [0, 1), not " << ratio;
        return signalPassFailure();
      }
      builder.setInsertionPoint(op);
      GradientBuilder b(builder, op.getLoc());
      Value output = op.getData(), keep;
      if (enabled && ratio > 0) {
        if (!step) {
          OpBuilder::InsertionGuard guard(builder);
          builder.setInsertionPointToStart(&body);
          step = VariableOp::create(
              builder, function.getLoc(), "dropout.step",
              DenseElementsAttr::get(scalarType, builder.getF32FloatAttr(0)));
        }
        // The node's own seed, else its position: each Dropout its stream.
        uint64_t own = op.getSeed() ? (uint64_t)*op.getSeed() : index;
        Value mask = b.create<DropoutMaskOp>(
            op.getData(), step, builder.getF64FloatAttr(ratio),
            builder.getI64IntegerAttr((int64_t)mix(mix(seed) ^ own)),
            builder.getI64IntegerAttr(0), builder.getI64IntegerAttr(1));
        output = b.create<MulOp>(op.getData(), mask);
        if (!op.getMask().use_empty())
          keep = CastOp::create(builder, op.getLoc(), mask,
                                builder.getI1Type(), uint64_t(1));
      } else if (!op.getMask().use_empty()) {
        keep = ConstantOp::create(
            builder, op.getLoc(),
            DenseElementsAttr::get(op.getMask().getType(), true));
      }
      op.getOutput().replaceAllUsesWith(output);
      if (keep)
        op.getMask().replaceAllUsesWith(keep);
      op.erase();
    }
    // The next step's masks are new.
    if (step) {
      builder.setInsertionPoint(body.getTerminator());
      GradientBuilder b(builder, function.getLoc());
      AssignOp::create(builder, function.getLoc(), step,
                       b.create<AddOp>(step, b.scalar(1.0, builder.getF32Type())));
    }
  }
};

} // namespace
