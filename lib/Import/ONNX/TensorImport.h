//===- TensorImport.h - ONNX tensors and types to MLIR ----------*- C++ -*-===//

#ifndef CLEAVE_LIB_IMPORT_ONNX_TENSORIMPORT_H
#define CLEAVE_LIB_IMPORT_ONNX_TENSORIMPORT_H

#include "ExternalData.h"
#include "OnnxProto.h"
#include "mlir/IR/BuiltinAttributes.h"
#include "mlir/IR/BuiltinTypes.h"

namespace cleave::onnx_import {

/// The MLIR element type of an ONNX TensorProto data type: signed integers
/// are signless, unsigned ones `ui*`, bool `i1`.
mlir::FailureOr<mlir::Type> importElementType(int32_t dataType,
                                              mlir::MLIRContext *context,
                                              std::string &error);

/// Name of an ONNX data type, for messages.
std::string dataTypeName(int32_t dataType);

/// A tensor as a dense_resource blob: copied from the protobuf, or mapped
/// from external data. `nameHint` keys the blob.
mlir::FailureOr<mlir::ElementsAttr>
importTensor(const onnx::TensorProto &tensor, llvm::StringRef nameHint,
             const ExternalDataResolver &externalData,
             mlir::MLIRContext *context, std::string &error);

} // namespace cleave::onnx_import

#endif // CLEAVE_LIB_IMPORT_ONNX_TENSORIMPORT_H
