//===- Builders.h - importers of ONNX nodes that are not one op -*- C++ -*-===//
//
// The custom builders (OpTable.h's CustomBuilder) that live outside
// OpTable.cpp, by family: control flow and data-dependent shapes
// (ControlFlow.cpp), recurrent layers (Recurrent.cpp).
//
//===----------------------------------------------------------------------===//

#ifndef CLEAVE_LIB_IMPORT_ONNX_BUILDERS_H
#define CLEAVE_LIB_IMPORT_ONNX_BUILDERS_H

#include "OpTable.h"

namespace cleave::onnx_import {

#define CLEAVE_BUILDER(name)                                                   \
  mlir::LogicalResult name(NodeState &node,                                    \
                           llvm::SmallVectorImpl<mlir::Value> &results);

// ControlFlow.cpp
CLEAVE_BUILDER(buildNonZero)
CLEAVE_BUILDER(buildCompress)
CLEAVE_BUILDER(buildIf)
CLEAVE_BUILDER(buildLoop)
CLEAVE_BUILDER(buildScan)
CLEAVE_BUILDER(buildScanV8)

// Recurrent.cpp
CLEAVE_BUILDER(buildRNN)
CLEAVE_BUILDER(buildGRU)
CLEAVE_BUILDER(buildLSTM)

#undef CLEAVE_BUILDER

} // namespace cleave::onnx_import

#endif // CLEAVE_LIB_IMPORT_ONNX_BUILDERS_H
