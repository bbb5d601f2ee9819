//===- RuntimeDialect.h - calls of the Cleave runtime -----------*- C++ -*-===//

#ifndef CLEAVE_DIALECT_RUNTIME_IR_RUNTIMEDIALECT_H
#define CLEAVE_DIALECT_RUNTIME_IR_RUNTIMEDIALECT_H

#include "mlir/Bytecode/BytecodeOpInterface.h"
#include "mlir/IR/BuiltinTypes.h"
#include "mlir/IR/Dialect.h"
#include "mlir/IR/OpDefinition.h"
#include "mlir/IR/SymbolTable.h"
#include "mlir/Interfaces/SideEffectInterfaces.h"

#include "cleave/Dialect/Runtime/IR/RuntimeDialect.h.inc"

#define GET_TYPEDEF_CLASSES
#include "cleave/Dialect/Runtime/IR/RuntimeTypes.h.inc"

#define GET_ATTRDEF_CLASSES
#include "cleave/Dialect/Runtime/IR/RuntimeAttrs.h.inc"

#define GET_OP_CLASSES
#include "cleave/Dialect/Runtime/IR/RuntimeOps.h.inc"

namespace cleave::rt {
/// The runtime's name of an element type (CLEAVE_DTYPE_F32, ...), or "" if
/// the runtime has none.
std::string dtypeName(mlir::Type elementType);

/// `text` as a C string literal (quotes and backslashes escaped, control
/// characters dropped).
std::string cStringLiteral(llvm::StringRef text);
} // namespace cleave::rt

#endif // CLEAVE_DIALECT_RUNTIME_IR_RUNTIMEDIALECT_H
