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

#define GET_OP_CLASSES
#include "cleave/Dialect/Cleave/IR/CleaveOps.h.inc"

namespace cleave::graph {
/// The ONNX name of graph input (or output) `index` of a function: its
/// `cleave.name`, or input_<index> (output_<index>) without one.
std::string ioName(mlir::FunctionOpInterface function, unsigned index,
                   bool input);
} // namespace cleave::graph

#endif // CLEAVE_DIALECT_CLEAVE_IR_CLEAVEOPS_H
