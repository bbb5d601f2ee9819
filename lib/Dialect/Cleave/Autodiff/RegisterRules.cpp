//===- RegisterRules.cpp - every gradient rule, attached once -------------===//

#include "Rules.h"
#include "cleave/Dialect/Cleave/IR/CleaveDialect.h"

namespace cleave::graph {

void registerGradientRules(mlir::DialectRegistry &registry) {
  registry.addExtension(+[](mlir::MLIRContext *ctx, CleaveDialect *) {
    autodiff::attachElementwiseRules(ctx);
    autodiff::attachLinearRules(ctx);
    autodiff::attachShapeRules(ctx);
    autodiff::attachReductionRules(ctx);
    autodiff::attachLossRules(ctx);
    autodiff::attachNormalizationRules(ctx);
    autodiff::attachWindowRules(ctx);
  });
}

} // namespace cleave::graph
