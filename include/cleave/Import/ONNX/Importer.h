//===- Importer.h - ONNX model to the cleave graph dialect ------*- C++ -*-===//
//
// Turns an ONNX ModelProto into `func.func @main` in the cleave dialect:
// static shapes, verified, weights as dense_resource blobs (external data is
// memory-mapped, not copied). Errors name the file and the ONNX node.
//
//===----------------------------------------------------------------------===//

#ifndef CLEAVE_IMPORT_ONNX_IMPORTER_H
#define CLEAVE_IMPORT_ONNX_IMPORTER_H

#include "cleave/Import/ONNX/ImportOptions.h"
#include "mlir/IR/BuiltinOps.h"
#include "mlir/IR/OwningOpRef.h"

namespace cleave::onnx_import {

/// Imports the model in `path`: binary protobuf, or protobuf text format
/// when the name ends in .onnxtxt, .textproto or .pbtxt, or JSON when it
/// ends in .json. Returns null after emitting errors through the context's
/// diagnostic engine.
mlir::OwningOpRef<mlir::ModuleOp> importOnnxFile(llvm::StringRef path,
                                                 mlir::MLIRContext &context,
                                                 const ImportOptions &options);

/// The ONNX operators (default domain) the importer supports, sorted.
llvm::SmallVector<llvm::StringRef> supportedOnnxOperators();

/// Registers `--import-onnx` with mlir-translate style drivers.
void registerImportOnnxTranslation();

} // namespace cleave::onnx_import

#endif // CLEAVE_IMPORT_ONNX_IMPORTER_H
