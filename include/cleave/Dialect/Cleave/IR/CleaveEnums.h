//===- CleaveEnums.h - ONNX modes as enums ----------------------*- C++ -*-===//

#ifndef CLEAVE_DIALECT_CLEAVE_IR_CLEAVEENUMS_H
#define CLEAVE_DIALECT_CLEAVE_IR_CLEAVEENUMS_H

#include "mlir/IR/Attributes.h"
#include "llvm/ADT/StringRef.h"
#include <optional>

#include "cleave/Dialect/Cleave/IR/CleaveEnums.h.inc"

#endif // CLEAVE_DIALECT_CLEAVE_IR_CLEAVEENUMS_H
