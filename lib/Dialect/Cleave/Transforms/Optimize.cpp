//===- Optimize.cpp - each variable's update from its gradient ------------===//
//
// torch.optim.SGD, written with graph ops on each parameter, and
// torch.optim.AdamW, one cleave.adamw per parameter. Optimizer state (momentum buffers, moments), the learning rate
// and the step count are variables, so they live in the device's weights
// memory across steps and a run may change them; every cleave.assign comes
// after all other ops, so each update reads the step's old values.
//
//===----------------------------------------------------------------------===//

#include "TrainingSpec.h"
#include "cleave/Dialect/Cleave/Autodiff/GradientBuilder.h"
#include "cleave/Dialect/Cleave/IR/CleaveDialect.h"
#include "cleave/Dialect/Cleave/IR/CleaveOps.h"
#include "cleave/Dialect/Cleave/Transforms/Passes.h"
#include "mlir/Dialect/Func/IR/FuncOps.h"

namespace cleave::graph {
#define GEN_PASS_DEF_OPTIMIZEPASS
#include "cleave/Dialect/Cleave/Transforms/Passes.h.inc"
} // namespace cleave::graph

using namespace mlir;
using namespace cleave::graph;

namespace {

/// A variable of `type` starting at `value` everywhere.
Value stateVariable(OpBuilder &builder, Location loc, StringRef name,
                    ShapedType type, double value) {
  Type element = type.getElementType();
  auto attr = DenseElementsAttr::get(type, builder.getFloatAttr(element, value));
  return VariableOp::create(builder, loc, name, ElementsAttr(attr));
}

struct Update {
  Value variable, next;
};

struct OptimizePass
    : public cleave::graph::impl::OptimizePassBase<OptimizePass> {
  using OptimizePassBase::OptimizePassBase;

  InFlightDiagnostic fail() {
    signalPassFailure();
    return getOperation().emitError() << "--optimizer=" << optimizer << ": ";
  }

  void runOnOperation() override {
    func::FuncOp function = getOperation();
    Block &body = function.getBody().front();
    auto ret = cast<func::ReturnOp>(body.getTerminator());
    TrainingSpec spec = TrainingSpec::parse(optimizer);
    bool sgd = spec.kind == "sgd", adamw = spec.kind == "adamw";
    if (!sgd && !adamw)
      return (void)(fail() << "the optimizer is sgd:... or adamw:..., not '"
                           << spec.kind << "'");
    std::string unknown =
        sgd ? spec.unknownKeys({"lr", "momentum", "nesterov", "weight_decay"})
            : spec.unknownKeys({"lr", "beta1", "beta2", "eps", "weight_decay"});
    if (!unknown.empty())
      return (void)(fail() << "unknown option " << unknown);
    if (!spec.options.count("lr"))
      return (void)(fail() << "lr is required");
    auto number = [&](StringRef key, double fallback) {
      std::optional<double> v = spec.number(key, fallback);
      if (!v)
        fail() << key << " must be a number";
      return v.value_or(fallback);
    };
    double lr = number("lr", 0), momentum = number("momentum", 0),
           nesterov = number("nesterov", 0),
           decay = number("weight_decay", adamw ? 0.01 : 0.0),
           beta1 = number("beta1", 0.9), beta2 = number("beta2", 0.999),
           eps = number("eps", 1e-8);
    if (nesterov != 0 && momentum == 0)
      return (void)(fail() << "nesterov needs a momentum");

    // The gradients cleave-autodiff returned, by variable name.
    llvm::StringMap<Value> gradients;
    SmallVector<Value> kept;
    SmallVector<DictionaryAttr> keptAttrs;
    for (unsigned i = 0; i < function.getNumResults(); ++i) {
      std::string name = ioName(function, i, /*input=*/false);
      if (StringRef(name).starts_with("grad:")) {
        gradients[StringRef(name).drop_front(5)] = ret.getOperand(i);
      } else {
        kept.push_back(ret.getOperand(i));
        keptAttrs.push_back(function.getResultAttrDict(i));
      }
    }
    if (gradients.empty())
      return (void)(fail() << "no variable has a gradient (run "
                              "cleave-autodiff first)");

    OpBuilder builder(ret);
    Location loc = function.getLoc();
    GradientBuilder b(builder, loc);
    Type f32 = builder.getF32Type();
    auto scalarType = RankedTensorType::get({}, f32);
    Value rate = stateVariable(builder, loc, "optimizer.lr", scalarType, lr);
    SmallVector<Update> updates;
    // The steps taken: a learning-rate schedule reads it (cleave-run
    // --lr-schedule), AdamW's bias corrections use this step's count t
    // (from 1).
    Value step = stateVariable(builder, loc, "optimizer.step", scalarType, 0);
    Value next = b.create<AddOp>(step, b.scalar(1.0, f32));
    updates.push_back({step, next});
    Value correction1, correction2;
    if (adamw) {
      auto correction = [&](double beta) {
        return b.create<SubOp>(b.scalar(1.0, f32),
                               b.create<PowOp>(b.scalar(beta, f32), next));
      };
      correction1 = correction(beta1);
      correction2 = correction(beta2);
    }

    SmallVector<VariableOp> trained;
    for (VariableOp variable : body.getOps<VariableOp>())
      if (gradients.count(variable.getName()))
        trained.push_back(variable);
    if (clipGradNorm < 0)
      return (void)(fail() << "--clip-grad-norm must not be negative");
    if (clipGradNorm > 0) {
      // torch.nn.utils.clip_grad_norm_: the global L2 norm of all the
      // gradients; each is scaled by min(1, max / (norm + 1e-6)).
      Value total;
      for (VariableOp variable : trained) {
        Value g = gradients.lookup(variable.getName());
        Value none = NoneOp::create(builder, loc);
        Value squares = b.create<ReduceSumSquareOp>(g, none, /*keepdims=*/0);
        total = total ? b.create<AddOp>(total, squares) : squares;
      }
      Value norm = b.create<SqrtOp>(total);
      Value coefficient = b.create<MinOp>(ValueRange{
          b.create<DivOp>(b.scalar(clipGradNorm, f32),
                          b.create<AddOp>(norm, b.scalar(1e-6, f32))),
          b.scalar(1.0, f32)});
      for (VariableOp variable : trained) {
        Value &g = gradients[variable.getName()];
        g = b.create<MulOp>(g, coefficient);
      }
    }

    for (VariableOp variable : trained) {
      Value grad = gradients.lookup(variable.getName());
      Value param = variable.getResult();
      auto type = cast<ShapedType>(param.getType());
      if (type.getElementType() != f32)
        return (void)(fail() << "'" << variable.getName()
                             << "' is not f32 (only f32 parameters train "
                                "yet)");
      auto scalar = [&](double v) { return b.scalar(v, f32); };
      std::string name = variable.getName().str();
      if (sgd) {
        // torch.optim.SGD (dampening 0): g += wd * p; buf = mu * buf + g;
        // g = nesterov ? g + mu * buf : buf; p -= lr * g.
        if (decay != 0)
          grad = b.create<AddOp>(grad, b.create<MulOp>(param, scalar(decay)));
        if (momentum != 0) {
          Value buffer =
              stateVariable(builder, loc, name + ".momentum", type, 0.0);
          Value next = b.create<AddOp>(
              b.create<MulOp>(buffer, scalar(momentum)), grad);
          updates.push_back({buffer, next});
          grad = nesterov != 0
                     ? b.create<AddOp>(grad,
                                       b.create<MulOp>(next, scalar(momentum)))
                     : next;
        }
        updates.push_back(
            {param, b.create<SubOp>(param, b.create<MulOp>(grad, rate))});
        continue;
      }
      // torch.optim.AdamW, as one kernel (cleave.adamw).
      Value m = stateVariable(builder, loc, name + ".exp_avg", type, 0.0);
      Value v = stateVariable(builder, loc, name + ".exp_avg_sq", type, 0.0);
      auto update = AdamWOp::create(
          builder, loc, TypeRange{type, type, type}, param, grad, m, v, rate,
          correction1, correction2, builder.getF64FloatAttr(beta1),
          builder.getF64FloatAttr(beta2), builder.getF64FloatAttr(eps),
          builder.getF64FloatAttr(decay), builder.getF64FloatAttr(1.0));
      updates.push_back({m, update.getNextExpAvg()});
      updates.push_back({v, update.getNextExpAvgSq()});
      updates.push_back({param, update.getNextParam()});
    }
    for (const Update &update : updates)
      AssignOp::create(builder, loc, update.variable, update.next);
    ret->setOperands(kept);
    function.setType(builder.getFunctionType(function.getArgumentTypes(),
                                             ValueRange(kept).getTypes()));
    function.setAllResultAttrs(keptAttrs);
  }
};

} // namespace
