//===- GradientInterface.td - reverse-mode rules of graph ops -*- tablegen -*-===//

#ifndef CLEAVE_DIALECT_CLEAVE_IR_GRADIENTINTERFACE_TD
#define CLEAVE_DIALECT_CLEAVE_IR_GRADIENTINTERFACE_TD

include "mlir/IR/OpBase.td"

def Cleave_GradientOpInterface : OpInterface<"GradientOpInterface"> {
  let cppNamespace = "::cleave::graph";
  let description = [{
    The reverse-mode rule of an op: given the gradients of the loss with
    respect to its results, build (with graph ops) the gradients with
    respect to its operands. cleave-autodiff calls it on every op between
    the trainable variables and the loss, in reverse order. The rules are
    attached to the ops by family (lib/Dialect/Cleave/Autodiff, external
    models registered with the dialect), so an op's gradient is written
    once, next to those of its kind.
  }];
  let methods = [
    InterfaceMethod<[{
        Sets `operandGradients[i]` to d loss / d operand i (same type as the
        operand) for each operand that can carry a gradient, leaving the
        others null; `resultGradients[j]` is null for results the loss does
        not depend on. Errors (a form of the op the rule does not cover) go
        to the op's location.
      }],
      "::llvm::LogicalResult", "buildGradients",
      (ins "::cleave::graph::GradientBuilder &":$builder,
           "::llvm::ArrayRef<::mlir::Value>":$resultGradients,
           "::llvm::MutableArrayRef<::mlir::Value>":$operandGradients)>,
  ];
}

#endif // CLEAVE_DIALECT_CLEAVE_IR_GRADIENTINTERFACE_TD
