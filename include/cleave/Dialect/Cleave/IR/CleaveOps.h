//===- CleaveOps.h - cleave graph dialect ops -------------------*- C++ -*-===//

#ifndef CLEAVE_DIALECT_CLEAVE_IR_CLEAVEOPS_H
#define CLEAVE_DIALECT_CLEAVE_IR_CLEAVEOPS_H

#include "cleave/Dialect/Cleave/IR/CleaveDialect.h"
#include "cleave/Dialect/Cleave/IR/CleaveEnums.h"
#include "cleave/Dialect/Cleave/IR/OpCost.h"
#include "cleave/Dialect/Cleave/IR/ShapeInference.h"
#include "mlir/Bytecode/BytecodeOpInterface.h"
#include "mlir/IR/BuiltinAttributes.h"
#include "mlir/IR/BuiltinTypes.h"
#include "mlir/IR/OpDefinition.h"
#include "mlir/Interfaces/FunctionInterfaces.h"
#include "mlir/Interfaces/InferTypeOpInterface.h"
#include "mlir/Interfaces/SideEffectInterfaces.h"

#include "cleave/Dialect/Cleave/IR/KernelInterface.h.inc"

namespace cleave::graph {
class GradientBuilder;
} // namespace cleave::graph
#include "cleave/Dialect/Cleave/IR/GradientInterface.h.inc"

#define GET_OP_CLASSES
#include "cleave/Dialect/Cleave/IR/CleaveOps.h.inc"

namespace cleave::graph {
/// The ONNX name of graph input (or output) `index` of a function: its
/// `cleave.name`, or input_<index> (output_<index>) without one.
std::string ioName(mlir::FunctionOpInterface function, unsigned index,
                   bool input);

/// Ops whose value lives in the device's weights memory: constants, and
/// the variables training updates there.
inline bool isWeights(mlir::Operation *op) {
  return mlir::isa<ConstantOp, VariableOp>(op);
}
/// The importer locates an initializer's constant at NameLoc(name,
/// NameLoc(kInitializerMark)) (Constant nodes' tensors are at their node's
/// name alone).
inline constexpr llvm::StringLiteral kInitializerMark = "onnx.initializer";

/// The name of the float ONNX initializer of rank 1 or more this constant
/// was imported from, or "": what training may turn into a variable.
llvm::StringRef parameterName(ConstantOp constant);

/// The value a weights op starts with (its bytes in the weights file).
inline mlir::ElementsAttr weightsValue(mlir::Operation *op) {
  if (auto constant = mlir::dyn_cast<ConstantOp>(op))
    return constant.getValue();
  return mlir::cast<VariableOp>(op).getValue();
}
} // namespace cleave::graph

#endif // CLEAVE_DIALECT_CLEAVE_IR_CLEAVEOPS_H
