//===- Compiler.h - the compiler as a library -------------------*- C++ -*-===//
//
// One call compiles an ONNX model: import, the pipeline up to a phase
// (cleave/Pipelines/Pipelines.h), then the IR written to a file or the
// bundle written to a folder. cleave-compile is flag parsing plus this
// call; other toolchains embed it the same way (or through the C API in
// cleave-c/Compiler.h).
//
//===----------------------------------------------------------------------===//

#ifndef CLEAVE_COMPILER_COMPILER_H
#define CLEAVE_COMPILER_COMPILER_H

#include "cleave/Import/ONNX/ImportOptions.h"
#include "cleave/Pipelines/Pipelines.h"
#include "cleave/Target/TargetBackend.h"
#include "mlir/IR/BuiltinOps.h"
#include "mlir/IR/MLIRContext.h"
#include "mlir/IR/OwningOpRef.h"
#include <memory>

namespace cleave::compiler {

struct CompileOptions {
  onnx_import::ImportOptions import;
  pipelines::PipelineOptions pipeline;
  /// Where to stop. Bundle needs a target; the others write the IR of
  /// that phase.
  pipelines::Phase phase = pipelines::Phase::Bundle;
  /// The IR's file ("-": stdout) or the bundle's folder.
  std::string output = "-";
  /// A bundle without executables (sources, weights, manifest).
  bool buildExecutables = true;
  /// Print weights as dense_resource references without their bytes (for
  /// reading large models; the output does not reload).
  bool elideWeights = false;
  /// Print each op's location (its ONNX node), so that a phase that reads
  /// the IR back keeps the names reports and profiles give.
  bool debugInfo = false;
  /// The manifest's model name (default: the model file's stem).
  std::string modelName;
  /// Where a long compile says how far it is: a line per phase, then per
  /// device built (cleave-compile --verbose, or stderr on a terminal).
  target::Progress progress;
};

/// A context with every dialect and interface the compiler uses.
std::unique_ptr<mlir::MLIRContext> createContext();

/// Compiles `modelPath` (ONNX: binary, text or JSON) as `options` say and
/// writes the output; on success, `module` (if given) receives the module
/// as it was last compiled. Errors go to the context's diagnostic engine;
/// no failure leaves a partial output behind.
mlir::LogicalResult
compileModel(mlir::MLIRContext &context, llvm::StringRef modelPath,
             const CompileOptions &options,
             mlir::OwningOpRef<mlir::ModuleOp> *module = nullptr);

} // namespace cleave::compiler

#endif // CLEAVE_COMPILER_COMPILER_H
