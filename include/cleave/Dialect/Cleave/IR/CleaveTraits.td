//===- CleaveTraits.td - facts about ops that passes ask for --*- tablegen -*-===//
//
// See CleaveTraits.h for what each marker means.
//
//===----------------------------------------------------------------------===//

#ifndef CLEAVE_DIALECT_CLEAVE_IR_CLEAVETRAITS_TD
#define CLEAVE_DIALECT_CLEAVE_IR_CLEAVETRAITS_TD

include "mlir/IR/OpBase.td"

class Cleave_NativeTrait<string name, code declaration = [{}]>
    : NativeOpTrait<name, [], declaration> {
  let cppNamespace = "::cleave::graph::OpTrait";
}

def Cleave_Elementwise : Cleave_NativeTrait<"Elementwise">;
def Cleave_View : Cleave_NativeTrait<"View">;
def Cleave_DataMovement : Cleave_NativeTrait<"DataMovement">;
def Cleave_PartialRead : Cleave_NativeTrait<"PartialRead">;
def Cleave_UpdatesOperand : Cleave_NativeTrait<"UpdatesOperand">;
def Cleave_InPlace : Cleave_NativeTrait<"InPlace">;

// The kernel kind the cost model rates the op with (CostOpInterface).
class Cleave_CostKind<string kind>
    : Cleave_NativeTrait<"CostKindTrait",
          "::llvm::StringRef getCostKind() { return \"" # kind # "\"; }">;

// Arithmetic: `flops` operations per element of the first result.
class Cleave_FlopsPerElement<string flops>
    : Cleave_NativeTrait<"FlopsPerElementTrait",
          "double getFlops() { return " # flops #
          " * ::cleave::graph::numElements(getOperation()->getResult(0)); }">;

// The runtime kernel's enumerator (KernelOpInterface).
class Cleave_Kernel<string kernel>
    : Cleave_NativeTrait<"KernelTrait",
          "::llvm::StringRef getRuntimeKernel() { return \"" # kernel #
          "\"; }">;

// The unary kernel's alpha and beta, as C++ expressions on the op.
class Cleave_KernelScalars<string alpha, string beta = "0.0f">
    : Cleave_NativeTrait<"KernelScalarsTrait",
          "std::pair<float, float> getKernelScalars() { return {" # alpha #
          ", " # beta # "}; }">;

#endif // CLEAVE_DIALECT_CLEAVE_IR_CLEAVETRAITS_TD
