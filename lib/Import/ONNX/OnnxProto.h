//===- OnnxProto.h - the ONNX protobuf messages -----------------*- C++ -*-===//
//
// ONNX's protobuf messages, compiled from the schema of a current ONNX
// release (third_party/onnx); operator semantics come from Cleave's own
// opset tables (OpTable.cpp), not from ONNX's registry.
//
//===----------------------------------------------------------------------===//

#ifndef CLEAVE_LIB_IMPORT_ONNX_ONNXPROTO_H
#define CLEAVE_LIB_IMPORT_ONNX_ONNXPROTO_H

#include "onnx/onnx.pb.h"

#endif // CLEAVE_LIB_IMPORT_ONNX_ONNXPROTO_H
