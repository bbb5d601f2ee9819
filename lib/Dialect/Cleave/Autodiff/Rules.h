//===- Rules.h - how the rule files attach their gradients ------*- C++ -*-===//

#ifndef CLEAVE_LIB_DIALECT_CLEAVE_AUTODIFF_RULES_H
#define CLEAVE_LIB_DIALECT_CLEAVE_AUTODIFF_RULES_H

#include "cleave/Dialect/Cleave/Autodiff/GradientBuilder.h"

namespace cleave::graph::autodiff {

/// A gradient rule: `dy` the results' gradients (null for unused ones),
/// `dx` the operands' to set.
template <typename Op>
using Rule = mlir::LogicalResult (*)(Op op, GradientBuilder &b,
                                     llvm::ArrayRef<mlir::Value> dy,
                                     llvm::MutableArrayRef<mlir::Value> dx);

template <typename Op, Rule<Op> rule>
struct RuleModel
    : GradientOpInterface::ExternalModel<RuleModel<Op, rule>, Op> {
  mlir::LogicalResult
  buildGradients(mlir::Operation *op, GradientBuilder &b,
                 llvm::ArrayRef<mlir::Value> dy,
                 llvm::MutableArrayRef<mlir::Value> dx) const {
    return rule(llvm::cast<Op>(op), b, dy, dx);
  }
};

/// Attaches `rule` to `Op`.
template <typename Op, Rule<Op> rule> void attach(mlir::MLIRContext *ctx) {
  Op::template attachInterface<RuleModel<Op, rule>>(*ctx);
}

// One per rule file.
void attachElementwiseRules(mlir::MLIRContext *ctx);
void attachLinearRules(mlir::MLIRContext *ctx);
void attachShapeRules(mlir::MLIRContext *ctx);
void attachReductionRules(mlir::MLIRContext *ctx);
void attachLossRules(mlir::MLIRContext *ctx);
void attachNormalizationRules(mlir::MLIRContext *ctx);
void attachWindowRules(mlir::MLIRContext *ctx);

} // namespace cleave::graph::autodiff

#endif // CLEAVE_LIB_DIALECT_CLEAVE_AUTODIFF_RULES_H
