//===- AddLoss.cpp - the function computes a scalar loss ------------------===//

#include "TrainingSpec.h"
#include "cleave/Dialect/Cleave/IR/CleaveDialect.h"
#include "cleave/Dialect/Cleave/IR/CleaveOps.h"
#include "cleave/Dialect/Cleave/Transforms/Passes.h"
#include "mlir/Dialect/Func/IR/FuncOps.h"
#include <cmath>

namespace cleave::graph {
#define GEN_PASS_DEF_ADDLOSSPASS
#include "cleave/Dialect/Cleave/Transforms/Passes.h.inc"
} // namespace cleave::graph

using namespace mlir;
using namespace cleave::graph;

namespace {

struct AddLossPass
    : public cleave::graph::impl::AddLossPassBase<AddLossPass> {
  using AddLossPassBase::AddLossPassBase;

  InFlightDiagnostic fail() {
    signalPassFailure();
    return getOperation().emitError() << "--loss=" << loss << ": ";
  }

  /// The returned value named `name`, or null after an error.
  Value output(StringRef name) {
    func::FuncOp function = getOperation();
    auto ret = cast<func::ReturnOp>(function.getBody().front().getTerminator());
    std::string names;
    for (unsigned i = 0; i < function.getNumResults(); ++i) {
      std::string candidate = ioName(function, i, /*input=*/false);
      if (candidate == name)
        return ret.getOperand(i);
      names += (names.empty() ? "'" : ", '") + candidate + "'";
    }
    fail() << "'" << name << "' is not an output of the model (its outputs: "
           << names << ")";
    return {};
  }

  /// A new last argument `name` of `type`, or null after an error.
  Value newInput(StringRef name, Type type) {
    func::FuncOp function = getOperation();
    for (unsigned i = 0; i < function.getNumArguments(); ++i)
      if (ioName(function, i, /*input=*/true) == name) {
        fail() << "'" << name << "' is already an input of the model";
        return {};
      }
    OpBuilder builder(&getContext());
    unsigned index = function.getNumArguments();
    auto attrs = builder.getDictionaryAttr(builder.getNamedAttr(
        CleaveDialect::kNameAttr, builder.getStringAttr(name)));
    if (failed(function.insertArgument(index, type, attrs, function.getLoc())))
      return {};
    return function.getArgument(index);
  }

  void runOnOperation() override {
    func::FuncOp function = getOperation();
    TrainingSpec spec = TrainingSpec::parse(loss);
    auto ret = cast<func::ReturnOp>(function.getBody().front().getTerminator());
    OpBuilder builder(ret);
    Location loc = function.getLoc();
    std::string reduction = spec.options.lookup("reduction");
    if (reduction.empty())
      reduction = "mean";
    if (reduction != "mean" && reduction != "sum")
      return (void)(fail() << "reduction must be mean or sum, not '"
                           << reduction << "'");
    Value value;
    if (spec.kind == "cross_entropy") {
      if (std::string unknown =
              spec.unknownKeys({"logits", "labels", "reduction",
                                "ignore_index"});
          !unknown.empty())
        return (void)(fail() << "unknown option " << unknown);
      Value logits = output(spec.options.lookup("logits"));
      if (!logits)
        return;
      auto type = cast<ShapedType>(logits.getType());
      if (type.getRank() < 1 || !isa<FloatType>(type.getElementType()))
        return (void)(fail() << "the logits must be a float tensor of rank "
                                "1 or more");
      std::optional<double> ignore = spec.number("ignore_index", -100);
      if (!ignore || *ignore != std::floor(*ignore))
        return (void)(fail() << "ignore_index must be an integer");
      Value labels = newInput(
          spec.options.lookup("labels"),
          RankedTensorType::get(type.getShape().drop_back(),
                                builder.getI64Type()));
      if (!labels)
        return;
      value = CrossEntropyOp::create(builder, loc, logits, labels,
                                     builder.getStringAttr(reduction),
                                     builder.getI64IntegerAttr((int64_t)*ignore));
    } else if (spec.kind == "mse") {
      if (std::string unknown =
              spec.unknownKeys({"prediction", "target", "reduction"});
          !unknown.empty())
        return (void)(fail() << "unknown option " << unknown);
      Value prediction = output(spec.options.lookup("prediction"));
      if (!prediction)
        return;
      Value target = newInput(spec.options.lookup("target"),
                              prediction.getType());
      if (!target)
        return;
      Value diff = SubOp::create(builder, loc, prediction, target);
      Value square = MulOp::create(builder, loc, diff, diff);
      Value none = NoneOp::create(builder, loc);
      value = reduction == "mean"
                  ? ReduceMeanOp::create(builder, loc, square, none, 0)
                        ->getResult(0)
                  : ReduceSumOp::create(builder, loc, square, none, 0)
                        ->getResult(0);
    } else if (spec.kind == "output") {
      value = output(spec.positional);
      if (!value)
        return;
      auto type = cast<ShapedType>(value.getType());
      if (type.getNumElements() != 1 || !isa<FloatType>(type.getElementType()))
        return (void)(fail() << "'" << spec.positional
                             << "' is not a float scalar (it is " << type
                             << ")");
    } else {
      return (void)(fail() << "the loss is cross_entropy:..., mse:... or "
                              "output:<name>, not '"
                           << spec.kind << "'");
    }
    ret->setOperands(value);
    function.setType(builder.getFunctionType(function.getArgumentTypes(),
                                             {value.getType()}));
    DictionaryAttr name = builder.getDictionaryAttr(builder.getNamedAttr(
        CleaveDialect::kNameAttr, builder.getStringAttr("loss")));
    function.setAllResultAttrs(ArrayRef<DictionaryAttr>{name});
    // A model's own loss (output:) counts as a mean over its batch.
    function->setAttr(kLossReductionAttr, builder.getStringAttr(reduction));
  }
};

} // namespace
