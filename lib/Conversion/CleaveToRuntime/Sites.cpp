//===- Sites.cpp - what each call's profile and trace say of it -----------===//
//
// A training step's ops carry what autodiff and gradient accumulation made
// them: `cleave.op_index` (forward), `cleave.backward_of` (backward) and
// `cleave.microbatch`. The ops they do not mark take their phase from what
// they read: an op that reads a gradient belongs to its microbatch's
// backward pass if it has one (the sum of its gradients into the step's),
// else to the update (all-reduces, the optimizer); a send is labelled as the op that made
// its value, a receive as the first op that reads it.
//
//===----------------------------------------------------------------------===//

#include "Lowering.h"
#include "cleave/Dialect/Cleave/Transforms/Passes.h"
#include "cleave/Dialect/Cleave/Transforms/Placement.h"
#include "mlir/Dialect/Func/IR/FuncOps.h"

using namespace mlir;
using namespace cleave::graph;

namespace cleave::lowering {

namespace {

struct Label {
  StringRef phase;
  int64_t microbatch = -1;
};

int64_t microbatchOf(Operation *op) {
  auto index = op->getAttrOfType<IntegerAttr>(kMicrobatchAttr);
  return index ? index.getInt() : -1;
}

} // namespace

llvm::DenseMap<Operation *, rt::SiteAttr> siteAttrs(func::FuncOp function) {
  Block &body = function.getBody().front();
  bool training = llvm::any_of(body, [](Operation &op) {
    return op.hasAttr(kOpIndexAttr) || op.hasAttr(kBackwardOfAttr);
  });
  llvm::DenseMap<Operation *, Label> labels;
  if (training) {
    for (Operation &op : body) {
      Label &label = labels[&op];
      label.microbatch = microbatchOf(&op);
      if (op.hasAttr(kBackwardOfAttr)) {
        label.phase = "backward";
        continue;
      }
      if (op.hasAttr(kOpIndexAttr)) {
        label.phase = "forward";
        continue;
      }
      label.phase = "forward"; // Leaves: slices of the inputs, masks.
      for (Value operand : op.getOperands()) {
        Operation *def = operand.getDefiningOp();
        // Constants run nothing (CSE may have merged one of each phase).
        if (!def || isWeights(def) || !labels.count(def))
          continue;
        const Label &from = labels[def];
        if (isa<SendOp, SendDoneOp>(op)) {
          label = from;
          break;
        }
        // A microbatch's gradient sum is part of its backward pass.
        if (from.phase != "forward")
          label.phase = label.microbatch >= 0 ? "backward" : "optimizer";
      }
    }
    // A receive (its post and its wait) is part of its first reader's
    // action.
    for (Operation &op : body) {
      Value received;
      if (isa<RecvOp, RecvStartOp>(op))
        received = op.getResult(0);
      if (auto wait = dyn_cast<RecvWaitOp>(op))
        received = wait.getValue();
      if (!received)
        continue;
      for (Operation *user : received.getUsers())
        if (labels.count(user) && !isa<SendOp, SendDoneOp, RecvWaitOp>(user)) {
          labels[&op] = labels[user];
          break;
        }
    }
  }

  // The arena in use at each op, by position (cleave-plan-memory).
  auto inUse = function->getAttrOfType<DenseI64ArrayAttr>(kArenaInUseAttr);
  llvm::DenseMap<Operation *, rt::SiteAttr> sites;
  MLIRContext *context = function.getContext();
  for (auto [step, op] : llvm::enumerate(body)) {
    Label label = labels.lookup(&op);
    auto predicted = op.getAttrOfType<FloatAttr>(kPredictedMsAttr);
    sites[&op] = rt::SiteAttr::get(
        context, StringAttr::get(context, op.getName().getStringRef()),
        StringAttr::get(context, label.phase), label.microbatch,
        inUse && (int64_t)step < inUse.size() ? inUse[step] : 0,
        predicted ? predicted : FloatAttr::get(Float64Type::get(context), 0),
        // Weights make no call (and print all their values).
        StringAttr::get(context, isa<func::ReturnOp>(op) || isWeights(&op)
                                     ? std::string()
                                     : opSignature(&op)));
  }
  return sites;
}

} // namespace cleave::lowering
