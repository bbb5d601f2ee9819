//===- MakeTrainable.cpp - initializers become variables ------------------===//

#include "cleave/Dialect/Cleave/IR/CleaveOps.h"
#include "cleave/Dialect/Cleave/Transforms/Passes.h"
#include "mlir/Dialect/Func/IR/FuncOps.h"
#include "llvm/Support/GlobPattern.h"

namespace cleave::graph {
#define GEN_PASS_DEF_MAKETRAINABLEPASS
#include "cleave/Dialect/Cleave/Transforms/Passes.h.inc"
} // namespace cleave::graph

using namespace mlir;
using namespace cleave::graph;

namespace {

struct Glob {
  std::string text;
  llvm::GlobPattern pattern;
  int matches = 0;
};

struct MakeTrainablePass
    : public cleave::graph::impl::MakeTrainablePassBase<MakeTrainablePass> {
  using MakeTrainablePassBase::MakeTrainablePassBase;

  LogicalResult globs(ArrayRef<std::string> texts, StringRef option,
                      std::vector<Glob> &out) {
    for (const std::string &text : texts) {
      llvm::Expected<llvm::GlobPattern> pattern =
          llvm::GlobPattern::create(text);
      if (!pattern) {
        llvm::consumeError(pattern.takeError());
        return getOperation().emitError()
               << "--" << option << "='" << text << "' is not a valid glob";
      }
      out.push_back({text, std::move(*pattern)});
    }
    return success();
  }

  void runOnOperation() override {
    std::vector<Glob> train, freeze;
    if (failed(globs(trainable, "trainable", train)) ||
        failed(globs(frozen, "frozen", freeze)))
      return signalPassFailure();
    auto matches = [](std::vector<Glob> &list, StringRef name) {
      bool any = false;
      for (Glob &glob : list)
        if (glob.pattern.match(name)) {
          ++glob.matches;
          any = true;
        }
      return any;
    };
    SmallVector<ConstantOp> chosen;
    getOperation().walk([&](ConstantOp constant) {
      StringRef name = parameterName(constant);
      if (name.empty())
        return;
      bool selected = train.empty() || matches(train, name);
      if (matches(freeze, name) || !selected)
        return;
      chosen.push_back(constant);
    });
    for (auto [list, option] :
         {std::pair{&train, "trainable"}, std::pair{&freeze, "frozen"}})
      for (const Glob &glob : *list)
        if (glob.matches == 0) {
          getOperation().emitError()
              << "--" << option << "='" << glob.text
              << "' matches no float initializer of the model";
          return signalPassFailure();
        }
    for (ConstantOp constant : chosen) {
      OpBuilder builder(constant);
      auto variable = VariableOp::create(builder, constant.getLoc(),
                                         parameterName(constant),
                                         constant.getValue());
      constant.replaceAllUsesWith(variable.getResult());
      constant.erase();
    }
  }
};

} // namespace
