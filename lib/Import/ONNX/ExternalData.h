//===- ExternalData.h - safe mapping of ONNX external data ------*- C++ -*-===//
//
// ONNX tensors may keep their bytes in files beside the model. Those paths
// come from the model, so they are untrusted: only regular files inside the
// model's folder are read (no absolute paths, no "..", no symbolic or hard
// links, no range past the end of the file; the ONNX CVE-2022-25882 and
// CVE-2024-27318/27319 family). The bytes are memory-mapped, not copied.
//
//===----------------------------------------------------------------------===//

#ifndef CLEAVE_LIB_IMPORT_ONNX_EXTERNALDATA_H
#define CLEAVE_LIB_IMPORT_ONNX_EXTERNALDATA_H

#include "mlir/IR/AsmState.h"
#include "mlir/Support/LLVM.h"
#include <string>

namespace cleave::onnx_import {

class ExternalDataResolver {
public:
  /// `modelDir` is the folder of the model file.
  explicit ExternalDataResolver(llvm::StringRef modelDir);

  /// Maps `length` bytes (or, with -1, the rest of the file) at `offset` of
  /// `location`, which must hold exactly `expectedBytes`. The blob keeps the
  /// mapping alive; `alignment` is the element alignment the data needs
  /// (misaligned data is copied into an aligned buffer).
  mlir::FailureOr<mlir::AsmResourceBlob>
  map(llvm::StringRef location, int64_t offset, int64_t length,
      int64_t expectedBytes, size_t alignment, std::string &error) const;

private:
  std::string modelDir;
};

} // namespace cleave::onnx_import

#endif // CLEAVE_LIB_IMPORT_ONNX_EXTERNALDATA_H
