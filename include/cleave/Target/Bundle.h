//===- Bundle.h - writing a compiled model to disk --------------*- C++ -*-===//
//
// A bundle is a folder (cleave/Runtime/BundleFormat.h): manifest.json, and
// per device its generated source, weights and executable, plus the
// target's build files. The writer owns the folder: it fills a temporary
// folder beside the output and renames it into place at the end, so a
// failure leaves no partial bundle. The target (TargetBackend) lowers and
// builds what goes in it.
//
//===----------------------------------------------------------------------===//

#ifndef CLEAVE_TARGET_BUNDLE_H
#define CLEAVE_TARGET_BUNDLE_H

#include "cleave/Target/TargetBackend.h"
#include "mlir/IR/BuiltinOps.h"
#include <string>

namespace cleave::target {

struct BundleOptions {
  /// The folder to create (replaced if it already holds a bundle).
  std::string outputDir;
  /// Only write sources (no executable): for machines without a compiler.
  bool buildExecutables = true;
  /// What matrix products and convolutions compute in (the target's
  /// lowering and the manifest).
  std::string precision = "fp32";
  /// Kept in the manifest.
  std::string modelName;
  /// The ONNX file compiled: a training bundle keeps a copy (model.onnx),
  /// from which `cleave-run --export-onnx` writes the trained model.
  std::string modelPath;
  /// Where the writer says how far it is (sources, each device built).
  Progress progress;
};

/// Writes the bundle of `module`, planned for `target` (its @device_0 ...
/// @device_{k-1} carry the memory plan and weights layout): weights files,
/// then the target's lowering (which rewrites `module` into EmitC), the
/// sources, the target's build, and the manifest. Errors go to the
/// diagnostic engine.
mlir::LogicalResult writeBundle(mlir::ModuleOp module,
                                const TargetBackend &target,
                                const BundleOptions &options);

/// Writes the weights file of a function laid out by cleave-layout-weights.
mlir::LogicalResult writeWeightsFile(mlir::Operation *function,
                                     llvm::StringRef path);

} // namespace cleave::target

#endif // CLEAVE_TARGET_BUNDLE_H
