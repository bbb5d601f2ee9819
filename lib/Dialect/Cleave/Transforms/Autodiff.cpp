//===- Autodiff.cpp - reverse-mode gradients of the loss ------------------===//
//
// The ops to differentiate are those both reachable from a variable and
// reached by the loss. They are visited in reverse; each one's rule
// (GradientOpInterface) turns its results' gradients into its operands',
// which add up where a value has several uses.
//
//===----------------------------------------------------------------------===//

#include "cleave/Dialect/Cleave/Autodiff/GradientBuilder.h"
#include "cleave/Dialect/Cleave/IR/CleaveDialect.h"
#include "cleave/Dialect/Cleave/IR/CleaveOps.h"
#include "cleave/Dialect/Cleave/Transforms/Passes.h"
#include "mlir/Dialect/Func/IR/FuncOps.h"
#include "llvm/ADT/SetVector.h"

namespace cleave::graph {
#define GEN_PASS_DEF_AUTODIFFPASS
#include "cleave/Dialect/Cleave/Transforms/Passes.h.inc"
} // namespace cleave::graph

using namespace mlir;
using namespace cleave::graph;

namespace {

/// Marks every op built while differentiating one forward op.
struct BackwardTagger : OpBuilder::Listener {
  IntegerAttr forward;
  void notifyOperationInserted(Operation *op,
                               OpBuilder::InsertPoint) override {
    if (forward)
      op->setAttr(kBackwardOfAttr, forward);
  }
};

bool isFloatTensor(Value v) {
  auto type = dyn_cast<ShapedType>(v.getType());
  return type && isa<FloatType>(type.getElementType());
}

struct AutodiffPass
    : public cleave::graph::impl::AutodiffPassBase<AutodiffPass> {
  void runOnOperation() override {
    func::FuncOp function = getOperation();
    Block &body = function.getBody().front();
    auto ret = cast<func::ReturnOp>(body.getTerminator());
    if (ret.getNumOperands() == 0 || !isFloatTensor(ret.getOperand(0)) ||
        cast<ShapedType>(ret.getOperand(0).getType()).getNumElements() != 1) {
      function.emitError("cleave-autodiff needs a function whose first "
                         "result is a scalar float loss (cleave-add-loss)");
      return signalPassFailure();
    }
    Value loss = ret.getOperand(0);

    // Forward: what depends on a variable. Backward: what the loss reads.
    DenseSet<Value> active;
    SmallVector<VariableOp> variables;
    for (Operation &op : body) {
      if (auto variable = dyn_cast<VariableOp>(op)) {
        variables.push_back(variable);
        active.insert(variable);
        continue;
      }
      if (llvm::any_of(op.getOperands(),
                       [&](Value v) { return active.contains(v); }))
        for (Value result : op.getResults())
          if (isFloatTensor(result))
            active.insert(result);
    }
    DenseSet<Operation *> needed;
    SmallVector<Operation *> stack;
    if (Operation *def = loss.getDefiningOp())
      stack.push_back(def);
    while (!stack.empty()) {
      Operation *op = stack.pop_back_val();
      if (!needed.insert(op).second)
        continue;
      for (Value operand : op->getOperands())
        if (Operation *def = operand.getDefiningOp())
          stack.push_back(def);
    }

    OpBuilder builder(ret);
    BackwardTagger tagger;
    builder.setListener(&tagger);
    DenseMap<Value, Value> gradients;
    {
      GradientBuilder seed(builder, function.getLoc());
      gradients[loss] =
          seed.splat(1.0, cast<ShapedType>(loss.getType()));
    }
    SmallVector<Operation *> forward;
    for (Operation &op : body)
      if (needed.contains(&op) && !isa<VariableOp>(op) &&
          llvm::any_of(op.getResults(),
                       [&](Value v) { return active.contains(v); }))
        forward.push_back(&op);
    for (auto [index, op] : llvm::enumerate(forward))
      op->setAttr(kOpIndexAttr, builder.getI64IntegerAttr(index));

    for (Operation *op : llvm::reverse(forward)) {
      SmallVector<Value> dy;
      for (Value result : op->getResults())
        dy.push_back(gradients.lookup(result));
      if (llvm::all_of(dy, [](Value v) { return !v; }))
        continue;
      auto rule = dyn_cast<GradientOpInterface>(op);
      if (!rule) {
        InFlightDiagnostic error = op->emitError();
        if (auto node = dyn_cast<NameLoc>(op->getLoc()))
          error << "ONNX node '" << node.getName().getValue() << "' ";
        error << "('" << op->getName()
              << "') has no gradient rule yet, and the loss depends on "
                 "trainable initializers through it";
        return signalPassFailure();
      }
      tagger.forward = cast<IntegerAttr>(op->getAttr(kOpIndexAttr));
      GradientBuilder rules(builder, op->getLoc());
      SmallVector<Value> dx(op->getNumOperands());
      if (failed(rule.buildGradients(rules, dy, dx)))
        return signalPassFailure();
      for (auto [operand, grad] : llvm::zip(op->getOperands(), dx)) {
        if (!grad || !active.contains(operand))
          continue;
        if (grad.getType() != operand.getType()) {
          op->emitError() << "its gradient rule gave " << grad.getType()
                          << " for an operand of " << operand.getType();
          return signalPassFailure();
        }
        Value &total = gradients[operand];
        total = total ? AddOp::create(builder, op->getLoc(), total, grad)
                            ->getResult(0)
                      : grad;
      }
      tagger.forward = {};
    }

    // The gradient of each variable the loss depends on, as a result.
    SmallVector<Value> results(ret.getOperands());
    SmallVector<DictionaryAttr> attrs;
    function.getAllResultAttrs(attrs);
    for (VariableOp variable : variables) {
      Value grad = gradients.lookup(variable);
      if (!grad)
        continue;
      results.push_back(grad);
      attrs.push_back(builder.getDictionaryAttr(builder.getNamedAttr(
          CleaveDialect::kNameAttr,
          builder.getStringAttr(("grad:" + variable.getName()).str()))));
    }
    ret->setOperands(results);
    function.setType(builder.getFunctionType(function.getArgumentTypes(),
                                             ValueRange(results).getTypes()));
    function.setAllResultAttrs(attrs);
  }
};

} // namespace
