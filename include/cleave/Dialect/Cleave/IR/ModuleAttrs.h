//===- ModuleAttrs.h - what the importer records on the module --*- C++ -*-===//

#ifndef CLEAVE_DIALECT_CLEAVE_IR_MODULEATTRS_H
#define CLEAVE_DIALECT_CLEAVE_IR_MODULEATTRS_H

#include "llvm/ADT/StringRef.h"

namespace cleave::graph {

/// The files of the model's external data, relative to its folder (an
/// array of strings; a training bundle copies them with the model).
inline constexpr llvm::StringLiteral kExternalDataAttr = "cleave.external_data";

/// The pipeline stage the model gives an op's ONNX node (IR 11's
/// NodeDeviceConfigurationProto.pipeline_stage), on every op imported from
/// it; `cleave-place` with strategy onnx places by it.
inline constexpr llvm::StringLiteral kOnnxStageAttr = "cleave.onnx_stage";

} // namespace cleave::graph

#endif // CLEAVE_DIALECT_CLEAVE_IR_MODULEATTRS_H
