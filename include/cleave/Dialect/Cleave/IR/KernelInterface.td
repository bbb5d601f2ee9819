//===- KernelInterface.td - the runtime kernel an op maps to --*- tablegen -*-===//

#ifndef CLEAVE_DIALECT_CLEAVE_IR_KERNELINTERFACE_TD
#define CLEAVE_DIALECT_CLEAVE_IR_KERNELINTERFACE_TD

include "mlir/IR/OpBase.td"

def Cleave_KernelOpInterface : OpInterface<"KernelOpInterface"> {
  let cppNamespace = "::cleave::graph";
  let description = [{
    Which of a runtime kernel family's operations computes the op: the
    enumerator the family's kernel takes ("CLEAVE_UNARY_RELU" for the unary
    kernel, "CLEAVE_BINARY_ADD", "CLEAVE_COMPARE_LESS", "CLEAVE_REDUCE_SUM"),
    and the two scalar parameters of a unary kernel (Elu's alpha, ...).
    Set in ODS (Cleave_Kernel, Cleave_KernelScalars), so that the lowering
    handles a family with one pattern and a new elementwise op needs no
    lowering code.
  }];
  let methods = [
    InterfaceMethod<"The kernel enumerator, or \"\" for ops lowered alone.",
      "::llvm::StringRef", "getRuntimeKernel", (ins), [{}],
      [{ return ""; }]>,
    InterfaceMethod<"The unary kernel's alpha and beta.",
      "std::pair<float, float>", "getKernelScalars", (ins), [{}],
      [{ return {0.0f, 0.0f}; }]>,
  ];
}

#endif // CLEAVE_DIALECT_CLEAVE_IR_KERNELINTERFACE_TD
