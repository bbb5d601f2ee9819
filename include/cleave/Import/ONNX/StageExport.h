//===- StageExport.h - a placement written back into the model --*- C++ -*-===//
//
// `cleave-compile --placement-out=placed.onnx`: a copy of the model whose
// nodes carry the pipeline stage Cleave chose, in ONNX IR 11's device
// configurations, so that other ONNX tools (and `--placement=onnx`) see it.
//
//===----------------------------------------------------------------------===//

#ifndef CLEAVE_IMPORT_ONNX_STAGEEXPORT_H
#define CLEAVE_IMPORT_ONNX_STAGEEXPORT_H

#include "mlir/Support/LLVM.h"
#include "llvm/ADT/StringMap.h"
#include <string>

namespace cleave::onnx_import {

/// Writes to `outPath` (binary protobuf) a copy of the model at `modelPath`
/// whose top-level nodes carry the stage `stages` gives their names (an
/// unnamed node is `<OpType>_<index>`, as the importer names it) as
/// `pipeline_stage` in a device configuration "cleave" of `numDevices`
/// devices. Nodes with no stage (folded away at import) get none. Fails,
/// with `error` set, on an unreadable model or one whose weights live in
/// external files of another folder.
mlir::LogicalResult writeModelWithStages(llvm::StringRef modelPath,
                                         const llvm::StringMap<int64_t> &stages,
                                         int64_t numDevices,
                                         llvm::StringRef outPath,
                                         std::string &error);

} // namespace cleave::onnx_import

#endif // CLEAVE_IMPORT_ONNX_STAGEEXPORT_H
