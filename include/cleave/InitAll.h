//===- InitAll.h - register Cleave's dialects and passes --------*- C++ -*-===//
//
// One place that every tool calls, so that cleave-opt, cleave-translate and
// cleave-compile see the same dialects and passes.
//
//===----------------------------------------------------------------------===//

#ifndef CLEAVE_INITALL_H
#define CLEAVE_INITALL_H

namespace mlir {
class DialectRegistry;
} // namespace mlir

namespace cleave {

/// Adds the dialects Cleave produces and consumes to `registry`.
void registerAllDialects(mlir::DialectRegistry &registry);

/// Registers Cleave's passes and the upstream ones its pipelines use.
void registerAllPasses();

} // namespace cleave

#endif // CLEAVE_INITALL_H
