//===- InitAll.h - register Cleave's dialects and passes --------*- C++ -*-===//
//
// One place that every tool calls, so that cleave-opt, cleave-translate and
// cleave-compile see the same dialects, passes, pipelines and targets.
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

/// Registers the targets of cleave/Target/Targets.def (once; later calls
/// do nothing).
void registerAllTargets();

/// Registers Cleave's passes, the upstream ones its pipelines use, the
/// targets and the pipelines (cleave/Pipelines/Pipelines.h).
void registerAllPasses();

} // namespace cleave

#endif // CLEAVE_INITALL_H
