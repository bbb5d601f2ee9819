//===- ModelLoader.h - reading ONNX model files -----------------*- C++ -*-===//

#ifndef CLEAVE_LIB_IMPORT_ONNX_MODELLOADER_H
#define CLEAVE_LIB_IMPORT_ONNX_MODELLOADER_H

#include "OnnxProto.h"
#include "mlir/Support/LLVM.h"
#include <string>

namespace cleave::onnx_import {

/// Reads `path` into `model` (binary, text format or JSON by extension) and
/// checks that it is an ONNX model this importer can read. On failure,
/// `error` says why, without the file name.
mlir::LogicalResult loadModel(llvm::StringRef path, onnx::ModelProto &model,
                              std::string &error);

} // namespace cleave::onnx_import

#endif // CLEAVE_LIB_IMPORT_ONNX_MODELLOADER_H
