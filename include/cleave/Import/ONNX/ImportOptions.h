//===- ImportOptions.h - options of the ONNX importer -----------*- C++ -*-===//

#ifndef CLEAVE_IMPORT_ONNX_IMPORTOPTIONS_H
#define CLEAVE_IMPORT_ONNX_IMPORTOPTIONS_H

#include "mlir/Support/LLVM.h"
#include "llvm/ADT/SmallVector.h"
#include "llvm/ADT/StringMap.h"
#include <optional>

namespace cleave::onnx_import {

/// The newest ONNX IR version and default-domain opset the importer knows:
/// ONNX 1.23's (third_party/onnx has its schema; OpTable.cpp the ops that
/// changed up to opset 28).
inline constexpr int64_t kMaxIrVersion = 14;
inline constexpr int64_t kMaxOpset = 28;
/// Binary protobufs cannot exceed 2 GB; larger models use external data.
inline constexpr int64_t kMaxProtobufBytes = (int64_t(1) << 31) - 1;

struct ImportOptions {
  /// Full static shapes for graph inputs, by input name. They bind the
  /// symbolic dimensions (dim_param) of those inputs.
  llvm::StringMap<llvm::SmallVector<int64_t>> inputShapes;
  /// Sizes of symbolic dimensions by name (dim_param), for every input
  /// that has them, as onnxruntime's free dimension overrides do.
  llvm::StringMap<int64_t> dimSizes;
  /// Size given to symbolic dimensions that `inputShapes` leaves unbound.
  /// Unset (the default), such a dimension is an error.
  std::optional<int64_t> defaultDimSize;
  /// Graph inputs fixed to a value at compile time, by input name: the path
  /// of a TensorProto (.pb) file. Such an input becomes a constant, so the
  /// shapes that depend on its value (a Reshape target, Resize scales, ...)
  /// become static. It is no longer an argument of @main.
  llvm::StringMap<std::string> inputValues;
  /// Evaluate constant subgraphs (shape computations) while importing, so
  /// that shapes that depend on them become static.
  bool foldConstants = true;
  /// Training: never fold an op that reads a float initializer (a
  /// parameter cleave-make-trainable may turn into a variable).
  bool keepParameters = false;
  /// Training with microbatches and replicas: divide axis 0 of every graph
  /// input by this, so the model is imported for one microbatch of one
  /// replica (cleave-accumulate-gradients makes the whole step of it).
  int64_t batchSplit = 1;
};

/// Parses `name:2x128` (a scalar is `name:`) into `options.inputShapes`.
mlir::LogicalResult parseInputShape(llvm::StringRef spec,
                                    ImportOptions &options, std::string &error);

/// Parses `name=8` (a symbolic dimension's name and size) into
/// `options.dimSizes`.
mlir::LogicalResult parseDimSize(llvm::StringRef spec, ImportOptions &options,
                                 std::string &error);

/// Parses `name=path.pb` into `options.inputValues`.
mlir::LogicalResult parseInputValue(llvm::StringRef spec,
                                    ImportOptions &options, std::string &error);

} // namespace cleave::onnx_import

#endif // CLEAVE_IMPORT_ONNX_IMPORTOPTIONS_H
