//===- ModelSummary.h - a per-op summary of an imported model ---*- C++ -*-===//

#ifndef CLEAVE_TOOLS_CLEAVE_COMPILE_MODELSUMMARY_H
#define CLEAVE_TOOLS_CLEAVE_COMPILE_MODELSUMMARY_H

#include "mlir/IR/BuiltinOps.h"
#include "llvm/Support/raw_ostream.h"

namespace cleave {

/// Prints the graph's inputs and outputs, a count of ops by kind, and the
/// number and size of its weights.
void printModelSummary(mlir::ModuleOp module, llvm::raw_ostream &os);

} // namespace cleave

#endif // CLEAVE_TOOLS_CLEAVE_COMPILE_MODELSUMMARY_H
