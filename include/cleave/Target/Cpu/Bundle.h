//===- Bundle.h - a compiled model for the CPU target -----------*- C++ -*-===//
//
// A bundle is a folder: manifest.json (format version, devices, inputs and
// outputs), and per device its generated source (device_0.cc), weights
// (device_0.weights), executable (device_0), plus a CMakeLists.txt that
// rebuilds the executables elsewhere. cleave-run reads the manifest.
//
//===----------------------------------------------------------------------===//

#ifndef CLEAVE_TARGET_CPU_BUNDLE_H
#define CLEAVE_TARGET_CPU_BUNDLE_H

#include "mlir/IR/BuiltinOps.h"
#include <string>

namespace cleave::cpu {

/// The bundle format cleave-run reads; bump on any incompatible change.
inline constexpr int64_t kBundleFormatVersion = 1;

struct BundleOptions {
  /// The folder to create (replaced if it already holds a bundle).
  std::string outputDir;
  /// Only write sources (no executable): for machines without a compiler.
  bool buildExecutables = true;
  /// "cpu" (C++ on the host runtime) or "cuda" (one GPU per device, built
  /// with nvcc by the bundle's build.sh).
  std::string target = "cpu";
  /// cuda: what matrix products and convolutions compute in.
  std::string precision = "fp32";
  /// Kept in the manifest.
  std::string modelName;
  /// The placement's predicted time of each device's program (one run),
  /// kept in the manifest for `cleave-run --report`; empty without one.
  std::vector<double> predictedMilliseconds;
};

/// Plans memory and weights of `module` (@main, or one func.func per
/// device), writes the bundle and builds its executables (the host compiler
/// for cpu, nvcc for cuda). Writes into a temporary folder renamed into place at the end,
/// so a failure leaves no partial bundle. Errors go to the diagnostic engine.
mlir::LogicalResult writeBundle(mlir::ModuleOp module,
                                const BundleOptions &options);

/// Writes the weights file of a function laid out by cleave-layout-weights.
mlir::LogicalResult writeWeightsFile(mlir::Operation *function,
                                     llvm::StringRef path);

} // namespace cleave::cpu

#endif // CLEAVE_TARGET_CPU_BUNDLE_H
