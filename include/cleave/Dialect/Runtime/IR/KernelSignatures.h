//===- KernelSignatures.h - the runtime's kernels, as the compiler sees them ===//
//
// The kernels of include/cleave/Runtime/Kernels.def with the kind of each
// parameter, read from the declarations themselves, so cleave_rt.kernel
// calls are checked against the runtime's one list.
//
//===----------------------------------------------------------------------===//

#ifndef CLEAVE_DIALECT_RUNTIME_IR_KERNELSIGNATURES_H
#define CLEAVE_DIALECT_RUNTIME_IR_KERNELSIGNATURES_H

#include "llvm/ADT/ArrayRef.h"
#include "llvm/ADT/SmallVector.h"
#include "llvm/ADT/StringRef.h"
#include <string>

namespace cleave::rt {

/// What a kernel parameter takes, and so which cleave_rt.kernel argument.
enum class KernelParam {
  Input,   // const cleave_tensor *: a view operand, or unit (NULL).
  Output,  // cleave_tensor *: a view operand, or unit (NULL).
  Inputs,  // const cleave_tensor *const *: an array of view operands.
  Window,  // const cleave_window *: a window operand.
  Integer, // int32_t, int64_t.
  Float,   // float, double.
  Enum,    // a cleave_* enum: an enumerator (a CLEAVE_* token).
  String,  // const char *: a C string literal.
  I64List, // const int64_t *: a DenseI64ArrayAttr.
  F32List, // const float *: a DenseF32ArrayAttr.
};

struct KernelParamInfo {
  std::string name;
  KernelParam kind;
};

struct KernelSignature {
  std::string name;
  llvm::SmallVector<KernelParamInfo> params;
};

/// Every kernel of Kernels.def.
llvm::ArrayRef<KernelSignature> runtimeKernels();
/// The kernel called `name`, or null.
const KernelSignature *lookupRuntimeKernel(llvm::StringRef name);

} // namespace cleave::rt

#endif // CLEAVE_DIALECT_RUNTIME_IR_KERNELSIGNATURES_H
