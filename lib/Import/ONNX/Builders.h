//===- Builders.h - importers of ONNX nodes that are not one op -*- C++ -*-===//
//
// The custom builders (OpTable.h's CustomBuilder) that live outside
// OpTable.cpp, by family: control flow and data-dependent shapes
// (ControlFlow.cpp), compositions of other ops (Composites.cpp).
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
CLEAVE_BUILDER(buildUnique)
CLEAVE_BUILDER(buildIf)
CLEAVE_BUILDER(buildLoop)
CLEAVE_BUILDER(buildScan)
CLEAVE_BUILDER(buildScanV8)

// Composites.cpp
CLEAVE_BUILDER(buildCelu)
CLEAVE_BUILDER(buildBatchNormalization)
CLEAVE_BUILDER(buildMeanVarianceNormalization)
CLEAVE_BUILDER(buildReverseSequence)
CLEAVE_BUILDER(buildMaxUnpool)
CLEAVE_BUILDER(buildDFT)
CLEAVE_BUILDER(buildSTFT)
CLEAVE_BUILDER(buildMelWeightMatrix)
CLEAVE_BUILDER(buildTfIdfVectorizer)
CLEAVE_BUILDER(buildQuantizeLinear)
CLEAVE_BUILDER(buildDequantizeLinear)
CLEAVE_BUILDER(buildDynamicQuantizeLinear)
CLEAVE_BUILDER(buildMatMulInteger)
CLEAVE_BUILDER(buildQLinearMatMul)
CLEAVE_BUILDER(buildQLinearConv)
/// Hann (0), Hamming (1) and Blackman (2) windows.
template <int Kind> CLEAVE_BUILDER(buildWindow)

#undef CLEAVE_BUILDER

} // namespace cleave::onnx_import

#endif // CLEAVE_LIB_IMPORT_ONNX_BUILDERS_H
