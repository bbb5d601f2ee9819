//===- OnnxProto.h - the ONNX protobuf messages -----------------*- C++ -*-===//
//
// Only the protobuf messages of ONNX 1.12 are used; operator semantics come
// from Cleave's own opset tables (OpTable.cpp), not from ONNX's registry.
//
//===----------------------------------------------------------------------===//

#ifndef CLEAVE_LIB_IMPORT_ONNX_ONNXPROTO_H
#define CLEAVE_LIB_IMPORT_ONNX_ONNXPROTO_H

// The imported onnx_proto target defines these for its users; object
// libraries do not see its usage requirements, so they are set here too.
#ifndef ONNX_ML
#define ONNX_ML 1
#endif
#ifndef ONNX_NAMESPACE
#define ONNX_NAMESPACE onnx
#endif
#include <onnx/onnx_pb.h>

#endif // CLEAVE_LIB_IMPORT_ONNX_ONNXPROTO_H
