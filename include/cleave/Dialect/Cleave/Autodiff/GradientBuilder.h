//===- GradientBuilder.h - what gradient rules build with -------*- C++ -*-===//
//
// The helpers every gradient rule (GradientOpInterface) uses: graph ops at
// the forward op's location, scalars and index constants, and the sums that
// undo broadcasting. registerGradientRules attaches the rules of every
// family to the ops.
//
//===----------------------------------------------------------------------===//

#ifndef CLEAVE_DIALECT_CLEAVE_AUTODIFF_GRADIENTBUILDER_H
#define CLEAVE_DIALECT_CLEAVE_AUTODIFF_GRADIENTBUILDER_H

#include "cleave/Dialect/Cleave/IR/CleaveOps.h"
#include "mlir/IR/Builders.h"
#include "mlir/IR/DialectRegistry.h"

namespace cleave::graph {

class GradientBuilder {
public:
  GradientBuilder(mlir::OpBuilder &builder, mlir::Location loc)
      : builder(builder), loc(loc) {}

  /// A graph op with inferred result types; its first result.
  template <typename Op, typename... Args> mlir::Value create(Args &&...args) {
    return Op::create(builder, loc, std::forward<Args>(args)...)
        ->getResult(0);
  }

  /// A rank-0 constant of `elementType`.
  mlir::Value scalar(double value, mlir::Type elementType);
  /// A constant of `type` filled with `value`.
  mlir::Value splat(double value, mlir::ShapedType type);
  /// A 1-D i64 constant (axes, shapes).
  mlir::Value i64s(llvm::ArrayRef<int64_t> values);

  mlir::Value reshape(mlir::Value x, llvm::ArrayRef<int64_t> shape);
  mlir::Value transpose(mlir::Value x, llvm::ArrayRef<int64_t> perm);
  /// Sums `x` over `axes`, keeping them as 1.
  mlir::Value sumKeep(mlir::Value x, llvm::ArrayRef<int64_t> axes);
  /// The gradient of a value broadcast from `type`: `grad` summed over the
  /// axes broadcasting added or stretched, in `type`'s shape.
  mlir::Value unbroadcast(mlir::Value grad, mlir::Type type);
  /// `x` broadcast to `type`'s shape.
  mlir::Value expandTo(mlir::Value x, mlir::Type type);

  mlir::OpBuilder &builder;
  mlir::Location loc;
};

/// Attaches the gradient rules of every op family to the graph ops.
void registerGradientRules(mlir::DialectRegistry &registry);

} // namespace cleave::graph

#endif // CLEAVE_DIALECT_CLEAVE_AUTODIFF_GRADIENTBUILDER_H
