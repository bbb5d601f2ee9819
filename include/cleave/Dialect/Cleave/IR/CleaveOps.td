//===- CleaveOps.td - cleave graph dialect ops -----------------*- tablegen -*-===//
//
// One op per supported ONNX operator. Every op infers its result types
// (static shapes, NumPy broadcasting, ONNX dtype rules); the shared
// InferTypeOpInterface verifier checks the types written in the IR against
// them. Ops are grouped by the shape rule they share.
//
//===----------------------------------------------------------------------===//

#ifndef CLEAVE_DIALECT_CLEAVE_IR_CLEAVEOPS_TD
#define CLEAVE_DIALECT_CLEAVE_IR_CLEAVEOPS_TD

include "cleave/Dialect/Cleave/IR/CleaveBase.td"
include "cleave/Dialect/Cleave/IR/CleaveEnums.td"
include "cleave/Dialect/Cleave/IR/CleaveTraits.td"
include "cleave/Dialect/Cleave/IR/CostInterface.td"
include "cleave/Dialect/Cleave/IR/KernelInterface.td"
include "mlir/Interfaces/InferTypeOpInterface.td"
include "mlir/Interfaces/SideEffectInterfaces.td"
include "mlir/IR/BuiltinAttributeInterfaces.td"

class Cleave_Op<string mnemonic, list<Trait> traits = []>
    : Op<Cleave_Dialect, mnemonic, traits> {
  let assemblyFormat =
      "operands attr-dict `:` functional-type(operands, results)";
}

// Result types written in the IR may refine inferred ones (see
// refinesInferredTypes).
def Cleave_Compatible {
  code body = [{
    bool $cppClass::isCompatibleReturnTypes(::mlir::TypeRange inferred,
                                            ::mlir::TypeRange actual) {
      return ::cleave::graph::refinesInferredTypes(inferred, actual);
    }
  }];
}

// An op implementing the ONNX operator `onnxName`. Its description cites the
// operator's page; `notes` adds what the op does beyond or short of it.
class Cleave_OnnxOp<string mnemonic, string onnxName, list<Trait> traits = [],
                    string notes = "">
    : Cleave_Op<mnemonic,
                !listconcat(traits, [InferTypeOpAdaptorWithIsCompatible,
                                     Cleave_CostOpInterface,
                                     Cleave_KernelOpInterface])> {
  let summary = "ONNX " # onnxName;
  let description = "Implements the ONNX operator `" # onnxName #
      "` (https://onnx.ai/onnx/operators/onnx__" # onnxName # ".html) in "
      "the form of the latest opset the importer supports; the importer "
      "rewrites older opsets into it. " # notes;
  let extraClassDefinition = Cleave_Compatible.body;
}

// Result type computed by a shared C++ rule `fn(operands, attrs..., types)`.
class Cleave_InferredBy<string call> {
  code inferBody = Cleave_Compatible.body # [{
    ::llvm::LogicalResult $cppClass::inferReturnTypes(
        ::mlir::MLIRContext *context, std::optional<::mlir::Location> location,
        Adaptor adaptor, ::llvm::SmallVectorImpl<::mlir::Type> &types) {
      return }] # call # [{;
    }
  }];
}

//===----------------------------------------------------------------------===//
// Structural ops
//===----------------------------------------------------------------------===//

def Cleave_ConstantOp : Cleave_Op<"constant",
    [ConstantLike, Pure, InferTypeOpAdaptor]> {
  let summary = "ONNX Constant and initializers";
  let description = [{
    A tensor constant: an ONNX initializer, a `Constant` node
    (https://onnx.ai/onnx/operators/onnx__Constant.html), or a folded value.
    Imported weights are `dense_resource` blobs, never inline elements.
  }];
  let arguments = (ins ElementsAttr:$value);
  let results = (outs Cleave_Tensor:$output);
  let assemblyFormat = "attr-dict $value";
  let hasFolder = 1;
}

// Transfers between devices (cleave-insert-transfers). Both carry the
// device that runs them in `cleave.device` until cleave-split-devices.
def Cleave_SendOp : Cleave_Op<"send", [MemoryEffects<[MemRead, MemWrite]>]> {
  let summary = "send a tensor to another device";
  let description = [{
    Sends `value` to device `peer`, where the `cleave.recv` with the same
    `tag` receives it. Sends do not block: the tensor stays alive until the
    `cleave.send_done` of its tag, or the end of the run without one (a
    device program waits for its sends there).
  }];
  let arguments = (ins Cleave_Tensor:$value, I64Attr:$peer, I64Attr:$tag);
  let assemblyFormat = "$value attr-dict `:` type($value)";
}

def Cleave_SendDoneOp : Cleave_Op<"send_done",
                                  [MemoryEffects<[MemRead, MemWrite]>]> {
  let summary = "wait until a send has been received";
  let description = [{
    Waits until the `cleave.send` of `value` with `tag` to device `peer`
    has completed; `value`'s buffer may be reused after it (it reads
    `value`, so the memory plan keeps it until here).
    cleave-insert-transfers places it where the wait costs nothing: after
    a receive from `peer` that `peer` sends only after receiving `tag`.
  }];
  let arguments = (ins Cleave_Tensor:$value, I64Attr:$peer, I64Attr:$tag);
  let assemblyFormat = "$value attr-dict `:` type($value)";
}

def Cleave_RecvOp : Cleave_Op<"recv", [MemoryEffects<[MemRead, MemWrite]>]> {
  let summary = "receive a tensor from another device";
  let description = [{
    Receives the tensor that device `peer` sends with `tag`; blocks until it
    has arrived.
  }];
  let arguments = (ins I64Attr:$peer, I64Attr:$tag);
  let results = (outs Cleave_Tensor:$value);
  let assemblyFormat = "attr-dict `:` type($value)";
}

def Cleave_RecvStartOp : Cleave_Op<"recv_start",
                                   [MemoryEffects<[MemRead, MemWrite]>]> {
  let summary = "post a receive ahead of its use";
  let description = [{
    Posts the receive of what device `peer` sends with `tag` into a new
    tensor and returns at once; the `cleave.recv_wait` of the tensor waits
    for it. The tensor's buffer lives from here, so the transfer can land
    while the device computes (cleave-post-receives). Its first user is its
    wait: nothing reads the tensor before it has arrived.
  }];
  let arguments = (ins I64Attr:$peer, I64Attr:$tag);
  let results = (outs Cleave_Tensor:$value);
  let assemblyFormat = "attr-dict `:` type($value)";
  let hasVerifier = 1;
}

def Cleave_RecvWaitOp : Cleave_Op<"recv_wait",
                                  [MemoryEffects<[MemRead, MemWrite]>]> {
  let summary = "wait for a posted receive";
  let description = [{
    Waits until the receive that `cleave.recv_start` posted into `value`
    has arrived; `value` holds the tensor after it.
  }];
  let arguments = (ins Cleave_Tensor:$value, I64Attr:$peer, I64Attr:$tag);
  let assemblyFormat = "$value attr-dict `:` type($value)";
  let hasVerifier = 1;
}

def Cleave_NoneOp : Cleave_Op<"none", [ConstantLike, Pure]> {
  let summary = "an absent optional input";
  let description = [{
    Stands for an optional ONNX input that the node leaves empty, so every op
    keeps one operand per ONNX input position.
  }];
  let results = (outs NoneType:$none);
  let assemblyFormat = "attr-dict";
  let hasFolder = 1;
}

//===----------------------------------------------------------------------===//
// Elementwise, one input, same type out
//===----------------------------------------------------------------------===//

class Cleave_UnaryOp<string mnemonic, string onnxName,
                     Type type = Cleave_FloatTensor, list<Trait> traits = []>
    : Cleave_OnnxOp<mnemonic, onnxName, !listconcat(traits, [Pure])> {
  let arguments = (ins type:$X);
  let results = (outs type:$Y);
  let extraClassDefinition =
      Cleave_InferredBy<"inferSameAsOperand(adaptor.getX(), types)">.inferBody;
}

// Unary ops that map each element on its own; `kernel` names the unary
// kernel's operation (CLEAVE_UNARY_<kernel>), if one computes the op.
class Cleave_ElementwiseUnaryOp<string mnemonic, string onnxName,
                                string kernel, Type type = Cleave_FloatTensor,
                                list<Trait> traits = []>
    : Cleave_UnaryOp<mnemonic, onnxName, type,
          !listconcat(traits, [Cleave_Elementwise],
                      !if(!empty(kernel), [],
                          [Cleave_Kernel<"CLEAVE_UNARY_" # kernel>]))>;

def Cleave_AbsOp
    : Cleave_ElementwiseUnaryOp<"abs", "Abs", "ABS", Cleave_NumericTensor> {
  let hasFolder = 1;
}
def Cleave_CeilOp : Cleave_ElementwiseUnaryOp<"ceil", "Ceil", "CEIL"> {
  let hasFolder = 1;
}
def Cleave_CosOp : Cleave_ElementwiseUnaryOp<"cos", "Cos", "COS">;
def Cleave_AcosOp : Cleave_ElementwiseUnaryOp<"acos", "Acos", "ACOS">;
def Cleave_AcoshOp : Cleave_ElementwiseUnaryOp<"acosh", "Acosh", "ACOSH">;
def Cleave_AsinOp : Cleave_ElementwiseUnaryOp<"asin", "Asin", "ASIN">;
def Cleave_AsinhOp : Cleave_ElementwiseUnaryOp<"asinh", "Asinh", "ASINH">;
def Cleave_AtanOp : Cleave_ElementwiseUnaryOp<"atan", "Atan", "ATAN">;
def Cleave_AtanhOp : Cleave_ElementwiseUnaryOp<"atanh", "Atanh", "ATANH">;
def Cleave_CoshOp : Cleave_ElementwiseUnaryOp<"cosh", "Cosh", "COSH">;
def Cleave_SinhOp : Cleave_ElementwiseUnaryOp<"sinh", "Sinh", "SINH">;
def Cleave_ErfOp : Cleave_ElementwiseUnaryOp<"erf", "Erf", "ERF">;
def Cleave_ExpOp : Cleave_ElementwiseUnaryOp<"exp", "Exp", "EXP">;
def Cleave_FloorOp : Cleave_ElementwiseUnaryOp<"floor", "Floor", "FLOOR"> {
  let hasFolder = 1;
}
def Cleave_HardSwishOp
    : Cleave_ElementwiseUnaryOp<"hard_swish", "HardSwish", "HARD_SWISH">;
def Cleave_LogOp : Cleave_ElementwiseUnaryOp<"log", "Log", "LOG">;
def Cleave_NegOp
    : Cleave_ElementwiseUnaryOp<"neg", "Neg", "NEG", Cleave_NumericTensor> {
  let hasFolder = 1;
}
def Cleave_NotOp
    : Cleave_ElementwiseUnaryOp<"not", "Not", "", Cleave_BoolTensor> {
  let hasFolder = 1;
}
def Cleave_ReciprocalOp
    : Cleave_ElementwiseUnaryOp<"reciprocal", "Reciprocal", "RECIPROCAL">;
def Cleave_ReluOp
    : Cleave_ElementwiseUnaryOp<"relu", "Relu", "RELU", Cleave_NumericTensor> {
  let hasFolder = 1;
}
def Cleave_RoundOp : Cleave_ElementwiseUnaryOp<"round", "Round", "ROUND">;
def Cleave_SigmoidOp
    : Cleave_ElementwiseUnaryOp<"sigmoid", "Sigmoid", "SIGMOID">;
def Cleave_SignOp
    : Cleave_ElementwiseUnaryOp<"sign", "Sign", "SIGN", Cleave_NumericTensor>;
def Cleave_SinOp : Cleave_ElementwiseUnaryOp<"sin", "Sin", "SIN">;
def Cleave_SoftplusOp
    : Cleave_ElementwiseUnaryOp<"softplus", "Softplus", "SOFTPLUS">;
def Cleave_SoftsignOp
    : Cleave_ElementwiseUnaryOp<"softsign", "Softsign", "SOFTSIGN">;
def Cleave_SqrtOp : Cleave_ElementwiseUnaryOp<"sqrt", "Sqrt", "SQRT">;
def Cleave_TanhOp : Cleave_ElementwiseUnaryOp<"tanh", "Tanh", "TANH">;

def Cleave_ShrinkOp : Cleave_ElementwiseUnaryOp<"shrink", "Shrink", "SHRINK",
    Cleave_NumericTensor, [Cleave_KernelScalars<"getLambd().convertToFloat()",
                                                "getBias().convertToFloat()">]> {
  let arguments = (ins Cleave_NumericTensor:$X,
                       DefaultValuedAttr<F32Attr, "0.0">:$bias,
                       DefaultValuedAttr<F32Attr, "0.5">:$lambd);
}

def Cleave_IdentityOp : Cleave_UnaryOp<"identity", "Identity", Cleave_Tensor,
                                       [Cleave_View]> {
  let hasFolder = 1;
}

def Cleave_EluOp : Cleave_ElementwiseUnaryOp<"elu", "Elu", "ELU",
    Cleave_FloatTensor, [Cleave_KernelScalars<"getAlpha().convertToFloat()">]> {
  let arguments = (ins Cleave_FloatTensor:$X,
                       DefaultValuedAttr<F32Attr, "1.0">:$alpha);
}
def Cleave_HardSigmoidOp : Cleave_ElementwiseUnaryOp<"hard_sigmoid",
    "HardSigmoid", "HARD_SIGMOID", Cleave_FloatTensor,
    [Cleave_KernelScalars<"getAlpha().convertToFloat()",
                          "getBeta().convertToFloat()">]> {
  let arguments = (ins Cleave_FloatTensor:$X,
                       DefaultValuedAttr<F32Attr, "0.2">:$alpha,
                       DefaultValuedAttr<F32Attr, "0.5">:$beta);
}
// x * Sigmoid(alpha * x); SiLU (alpha 1) written as x * Sigmoid(x) becomes
// one too (ActivationPatterns.cpp).
def Cleave_SwishOp : Cleave_ElementwiseUnaryOp<"swish", "Swish", "SWISH",
    Cleave_FloatTensor, [Cleave_KernelScalars<"getAlpha().convertToFloat()">]> {
  let arguments = (ins Cleave_FloatTensor:$X,
                       DefaultValuedAttr<F32Attr, "1.0">:$alpha);
}
def Cleave_LeakyReluOp : Cleave_ElementwiseUnaryOp<"leaky_relu", "LeakyRelu",
    "LEAKY_RELU", Cleave_FloatTensor,
    [Cleave_KernelScalars<"getAlpha().convertToFloat()">]> {
  let arguments = (ins Cleave_FloatTensor:$X,
                       DefaultValuedAttr<F32Attr, "0.01">:$alpha);
}
def Cleave_SeluOp : Cleave_ElementwiseUnaryOp<"selu", "Selu", "SELU",
    Cleave_FloatTensor, [Cleave_KernelScalars<"getAlpha().convertToFloat()",
                                              "getGamma().convertToFloat()">]> {
  let arguments = (ins Cleave_FloatTensor:$X,
      DefaultValuedAttr<F32Attr, "1.67326319217681884765625">:$alpha,
      DefaultValuedAttr<F32Attr, "1.05070102214813232421875">:$gamma);
}
def Cleave_GeluOp : Cleave_ElementwiseUnaryOp<"gelu", "Gelu", ""> {
  let arguments = (ins Cleave_FloatTensor:$X,
                       Cleave_OnnxEnumDefault<Cleave_GeluApproximation, "None">:$approximate);
  let extraClassDeclaration = [{
    ::llvm::StringRef getRuntimeKernel() {
      return getApproximate() == GeluApproximation::Tanh
                 ? "CLEAVE_UNARY_GELU_TANH"
                 : "CLEAVE_UNARY_GELU";
    }
  }];
}
def Cleave_LRNOp : Cleave_UnaryOp<"lrn", "LRN"> {
  let arguments = (ins Cleave_FloatTensor:$X,
                       DefaultValuedAttr<F32Attr, "0.0001">:$alpha,
                       DefaultValuedAttr<F32Attr, "0.75">:$beta,
                       DefaultValuedAttr<F32Attr, "1.0">:$bias,
                       I64Attr:$size);
  let hasVerifier = 1;
}
def Cleave_SoftmaxOp : Cleave_UnaryOp<"softmax", "Softmax", Cleave_FloatTensor,
    [Cleave_CostKind<"softmax">, Cleave_FlopsPerElement<"5.0">,
     Cleave_InPlace]> {
  let arguments = (ins Cleave_FloatTensor:$X,
                       DefaultValuedAttr<I64Attr, "-1">:$axis);
  let hasVerifier = 1;
}
def Cleave_LogSoftmaxOp : Cleave_UnaryOp<"log_softmax", "LogSoftmax",
    Cleave_FloatTensor,
    [Cleave_CostKind<"softmax">, Cleave_FlopsPerElement<"5.0">,
     Cleave_InPlace]> {
  let arguments = (ins Cleave_FloatTensor:$X,
                       DefaultValuedAttr<I64Attr, "-1">:$axis);
  let hasVerifier = 1;
}
def Cleave_CumSumOp : Cleave_UnaryOp<"cum_sum", "CumSum", Cleave_NumericTensor> {
  let arguments = (ins Cleave_NumericTensor:$X, Cleave_IndexTensor:$axis,
                       DefaultValuedAttr<I64Attr, "0">:$exclusive,
                       DefaultValuedAttr<I64Attr, "0">:$reverse);
}
def Cleave_TriluOp : Cleave_UnaryOp<"trilu", "Trilu", Cleave_Tensor> {
  let arguments = (ins Cleave_Tensor:$X, Cleave_OptTensor:$k,
                       DefaultValuedAttr<I64Attr, "1">:$upper);
}
def Cleave_ClipOp
    : Cleave_ElementwiseUnaryOp<"clip", "Clip", "", Cleave_NumericTensor> {
  let arguments = (ins Cleave_NumericTensor:$X, Cleave_OptTensor:$min,
                       Cleave_OptTensor:$max);
}

def Cleave_CastOp : Cleave_OnnxOp<"cast", "Cast",
    [Pure, Cleave_Elementwise, Cleave_DataMovement]> {
  let arguments = (ins Cleave_Tensor:$input, TypeAttr:$to,
                       DefaultValuedAttr<I64Attr, "1">:$saturate);
  let results = (outs Cleave_Tensor:$output);
  let hasFolder = 1;
}

def Cleave_DropoutOp : Cleave_OnnxOp<"dropout", "Dropout", [], [{
    With `training_mode` absent or false this is the identity and the mask is
    all true; canonicalization removes it then.
  }]> {
  let arguments = (ins Cleave_FloatTensor:$data, Cleave_OptTensor:$ratio,
                       Cleave_OptTensor:$training_mode,
                       OptionalAttr<I64Attr>:$seed);
  let results = (outs Cleave_FloatTensor:$output, Cleave_BoolTensor:$mask);
  let hasFolder = 1;
}

//===----------------------------------------------------------------------===//
// Elementwise with NumPy broadcasting
//===----------------------------------------------------------------------===//

class Cleave_BroadcastOp<string mnemonic, string onnxName, string resultType,
                         Type type = Cleave_NumericTensor,
                         list<Trait> traits = []>
    : Cleave_OnnxOp<mnemonic, onnxName,
                    !listconcat(traits, [Pure, Cleave_Elementwise])> {
  let arguments = (ins type:$A, type:$B);
  let results = (outs Cleave_Tensor:$C);
  let extraClassDefinition = Cleave_InferredBy<
      "inferBroadcast(location, adaptor.getOperands(), " # resultType #
      ", types)">.inferBody;
  let hasFolder = 1;
}

// Arithmetic: the result has the operands' element type.
class Cleave_ArithOp<string mnemonic, string onnxName, list<Trait> traits = []>
    : Cleave_BroadcastOp<mnemonic, onnxName, "nullptr", Cleave_NumericTensor,
                         traits>;
def Cleave_AddOp : Cleave_ArithOp<"add", "Add",
    [Commutative, Cleave_Kernel<"CLEAVE_BINARY_ADD">]>;
def Cleave_SubOp : Cleave_ArithOp<"sub", "Sub",
    [Cleave_Kernel<"CLEAVE_BINARY_SUB">]>;
def Cleave_MulOp : Cleave_ArithOp<"mul", "Mul",
    [Commutative, Cleave_Kernel<"CLEAVE_BINARY_MUL">]> {
  // GELU and SiLU written as elementwise ops become cleave.gelu and
  // cleave.swish (ActivationPatterns.cpp).
  let hasCanonicalizer = 1;
}
def Cleave_DivOp : Cleave_ArithOp<"div", "Div",
    [Cleave_Kernel<"CLEAVE_BINARY_DIV">]>;
def Cleave_ModOp : Cleave_ArithOp<"mod", "Mod"> {
  let arguments = (ins Cleave_NumericTensor:$A, Cleave_NumericTensor:$B,
                       DefaultValuedAttr<I64Attr, "0">:$fmod);
  let extraClassDeclaration = [{
    ::llvm::StringRef getRuntimeKernel() {
      return getFmod() ? "CLEAVE_BINARY_FMOD" : "CLEAVE_BINARY_MOD";
    }
  }];
}
def Cleave_BitShiftOp : Cleave_ArithOp<"bit_shift", "BitShift"> {
  let arguments = (ins StaticShapeTensorOf<[UI8, UI16, UI32, UI64]>:$X,
                       StaticShapeTensorOf<[UI8, UI16, UI32, UI64]>:$Y,
                       Cleave_OnnxEnumAttr<Cleave_ShiftDirection>:$direction);
  let hasFolder = 0;
  let extraClassDeclaration = [{
    ::llvm::StringRef getRuntimeKernel() {
      return getDirection() == ::cleave::graph::ShiftDirection::Left
                 ? "CLEAVE_BINARY_SHIFT_LEFT"
                 : "CLEAVE_BINARY_SHIFT_RIGHT";
    }
  }];
}
def Cleave_PReluOp : Cleave_ArithOp<"prelu", "PRelu",
                                   [Cleave_Kernel<"CLEAVE_BINARY_PRELU">]> {
  let hasFolder = 0;
}

// Pow may raise a tensor to an exponent of another type: the base decides.
def Cleave_PowOp : Cleave_OnnxOp<"pow", "Pow",
    [Pure, Cleave_Elementwise, Cleave_Kernel<"CLEAVE_BINARY_POW">]> {
  let arguments = (ins Cleave_NumericTensor:$X, Cleave_NumericTensor:$Y);
  let results = (outs Cleave_NumericTensor:$Z);
  let extraClassDefinition = Cleave_InferredBy<
      "inferBroadcast(location, adaptor.getOperands(), "
      "getElementTypeOrSelf(adaptor.getX().getType()), types, "
      "/*sameElementType=*/false)">.inferBody;
  // x^2 is x * x (the same correctly rounded square, one pass instead of a
  // pow per element: RMSNorm's Pow(x, 2)).
  let hasCanonicalizer = 1;
}

// Comparisons: an i1 result.
class Cleave_CompareOp<string mnemonic, string onnxName, list<Trait> traits = []>
    : Cleave_BroadcastOp<mnemonic, onnxName,
                         "::mlir::IntegerType::get(context, 1)", Cleave_Tensor,
                         traits>;
def Cleave_EqualOp : Cleave_CompareOp<"equal", "Equal",
    [Commutative, Cleave_Kernel<"CLEAVE_COMPARE_EQUAL">]>;
def Cleave_GreaterOp : Cleave_CompareOp<"greater", "Greater",
    [Cleave_Kernel<"CLEAVE_COMPARE_GREATER">]>;
def Cleave_GreaterOrEqualOp : Cleave_CompareOp<"greater_or_equal", "GreaterOrEqual",
    [Cleave_Kernel<"CLEAVE_COMPARE_GREATER_OR_EQUAL">]>;
def Cleave_LessOp : Cleave_CompareOp<"less", "Less",
    [Cleave_Kernel<"CLEAVE_COMPARE_LESS">]>;
def Cleave_LessOrEqualOp : Cleave_CompareOp<"less_or_equal", "LessOrEqual",
    [Cleave_Kernel<"CLEAVE_COMPARE_LESS_OR_EQUAL">]>;

// Logical: i1 operands and result.
class Cleave_LogicalOp<string mnemonic, string onnxName>
    : Cleave_BroadcastOp<mnemonic, onnxName, "nullptr", Cleave_BoolTensor,
                         [Commutative, Cleave_Kernel<"CLEAVE_BINARY_" #
                                                     !toupper(mnemonic)>]> {
  let hasFolder = 1;
}
def Cleave_AndOp : Cleave_LogicalOp<"and", "And">;
def Cleave_OrOp : Cleave_LogicalOp<"or", "Or">;
def Cleave_XorOp : Cleave_LogicalOp<"xor", "Xor">;

// Variadic elementwise ops: every input broadcasts against the others.
// `kernel`: the binary kernel's operation the inputs are chained with.
class Cleave_VariadicOp<string mnemonic, string onnxName, string kernel>
    : Cleave_OnnxOp<mnemonic, onnxName,
          [Pure, Cleave_Elementwise,
           Cleave_Kernel<"CLEAVE_BINARY_" # kernel>]> {
  let arguments = (ins Variadic<Cleave_NumericTensor>:$inputs);
  let results = (outs Cleave_NumericTensor:$output);
  let extraClassDefinition = Cleave_InferredBy<
      "inferBroadcast(location, adaptor.getOperands(), nullptr, types)">
      .inferBody;
}
def Cleave_MaxOp : Cleave_VariadicOp<"max", "Max", "MAX"> {
  let hasFolder = 1;
}
def Cleave_MinOp : Cleave_VariadicOp<"min", "Min", "MIN"> {
  let hasFolder = 1;
}
def Cleave_MeanOp : Cleave_VariadicOp<"mean", "Mean", "ADD">; // Then scaled.
def Cleave_SumOp : Cleave_VariadicOp<"sum", "Sum", "ADD">;

def Cleave_WhereOp : Cleave_OnnxOp<"where", "Where",
                                  [Pure, Cleave_Elementwise]> {
  let arguments = (ins Cleave_BoolTensor:$condition, Cleave_Tensor:$X,
                       Cleave_Tensor:$Y);
  let results = (outs Cleave_Tensor:$output);
  let extraClassDefinition = Cleave_InferredBy<
      "inferBroadcast(location, adaptor.getOperands(), "
      "getElementTypeOrSelf(adaptor.getX().getType()), types, "
      "/*sameElementType=*/false)">.inferBody;
  let hasVerifier = 1;
  let hasFolder = 1;
}

//===----------------------------------------------------------------------===//
// Reductions
//===----------------------------------------------------------------------===//

class Cleave_ReduceOp<string mnemonic, string onnxName>
    : Cleave_OnnxOp<mnemonic, onnxName,
          [Pure, Cleave_CostKind<"reduce">,
           Cleave_Kernel<"CLEAVE_" # !toupper(mnemonic)>], [{
    `axes` is a constant 1-D tensor or none; with none, all axes are reduced
    unless `noop_with_empty_axes` is set.
  }]> {
  let arguments = (ins Cleave_NumericTensor:$data,
                       AnyTypeOf<[Cleave_I64Tensor, NoneType]>:$axes,
                       DefaultValuedAttr<I64Attr, "1">:$keepdims,
                       DefaultValuedAttr<I64Attr, "0">:$noop_with_empty_axes);
  let results = (outs Cleave_NumericTensor:$reduced);
  let extraClassDefinition = Cleave_InferredBy<
      "inferReduce(location, adaptor.getData(), adaptor.getAxes(), "
      "adaptor.getKeepdims(), adaptor.getNoopWithEmptyAxes(), types)">
      .inferBody;
}
def Cleave_ReduceL2Op : Cleave_ReduceOp<"reduce_l2", "ReduceL2">;
def Cleave_ReduceLogSumExpOp : Cleave_ReduceOp<"reduce_log_sum_exp", "ReduceLogSumExp">;
def Cleave_ReduceMaxOp : Cleave_ReduceOp<"reduce_max", "ReduceMax">;
def Cleave_ReduceMeanOp : Cleave_ReduceOp<"reduce_mean", "ReduceMean">;
def Cleave_ReduceMinOp : Cleave_ReduceOp<"reduce_min", "ReduceMin">;
def Cleave_ReduceProdOp : Cleave_ReduceOp<"reduce_prod", "ReduceProd">;
def Cleave_ReduceSumOp : Cleave_ReduceOp<"reduce_sum", "ReduceSum">;
def Cleave_ReduceSumSquareOp : Cleave_ReduceOp<"reduce_sum_square", "ReduceSumSquare">;

class Cleave_ArgOp<string mnemonic, string onnxName>
    : Cleave_OnnxOp<mnemonic, onnxName, [Pure, Cleave_CostKind<"reduce">]> {
  let arguments = (ins Cleave_NumericTensor:$data,
                       DefaultValuedAttr<I64Attr, "0">:$axis,
                       DefaultValuedAttr<I64Attr, "1">:$keepdims,
                       DefaultValuedAttr<I64Attr, "0">:$select_last_index);
  let results = (outs Cleave_I64Tensor:$reduced);
  let extraClassDefinition = Cleave_InferredBy<
      "inferArgReduce(location, adaptor.getData(), adaptor.getAxis(), "
      "adaptor.getKeepdims(), types)">.inferBody;
}
def Cleave_ArgMaxOp : Cleave_ArgOp<"arg_max", "ArgMax">;
def Cleave_ArgMinOp : Cleave_ArgOp<"arg_min", "ArgMin">;

//===----------------------------------------------------------------------===//
// Shape and data movement
//===----------------------------------------------------------------------===//

def Cleave_ShapeOp : Cleave_OnnxOp<"shape", "Shape",
                                  [Pure, Cleave_DataMovement]> {
  let arguments = (ins Cleave_Tensor:$data,
                       DefaultValuedAttr<I64Attr, "0">:$start,
                       OptionalAttr<I64Attr>:$end);
  let results = (outs Cleave_I64Tensor:$shape);
  let hasFolder = 1;
}

def Cleave_SizeOp : Cleave_OnnxOp<"size", "Size",
                                  [Pure, Cleave_DataMovement]> {
  let arguments = (ins Cleave_Tensor:$data);
  let results = (outs Cleave_I64Tensor:$size);
  let hasFolder = 1;
}

def Cleave_ReshapeOp : Cleave_OnnxOp<"reshape", "Reshape",
                                  [Pure, Cleave_View]> {
  let arguments = (ins Cleave_Tensor:$data, Cleave_I64Tensor:$shape,
                       DefaultValuedAttr<I64Attr, "0">:$allowzero);
  let results = (outs Cleave_Tensor:$reshaped);
  let hasFolder = 1;
}

def Cleave_FlattenOp : Cleave_OnnxOp<"flatten", "Flatten",
                                  [Pure, Cleave_View]> {
  let arguments = (ins Cleave_Tensor:$input,
                       DefaultValuedAttr<I64Attr, "1">:$axis);
  let results = (outs Cleave_Tensor:$output);
}

def Cleave_SqueezeOp : Cleave_OnnxOp<"squeeze", "Squeeze",
                                  [Pure, Cleave_View]> {
  let arguments = (ins Cleave_Tensor:$data,
                       AnyTypeOf<[Cleave_I64Tensor, NoneType]>:$axes);
  let results = (outs Cleave_Tensor:$squeezed);
  let hasFolder = 1;
}

def Cleave_UnsqueezeOp : Cleave_OnnxOp<"unsqueeze", "Unsqueeze",
                                  [Pure, Cleave_View]> {
  let arguments = (ins Cleave_Tensor:$data, Cleave_I64Tensor:$axes);
  let results = (outs Cleave_Tensor:$expanded);
  let hasFolder = 1;
}

def Cleave_TransposeOp : Cleave_OnnxOp<"transpose", "Transpose",
                                  [Pure, Cleave_DataMovement]> {
  let arguments = (ins Cleave_Tensor:$data,
                       OptionalAttr<DenseI64ArrayAttr>:$perm);
  let results = (outs Cleave_Tensor:$transposed);
  let hasFolder = 1;
  let hasCanonicalizer = 1;
  let extraClassDeclaration = [{
    /// `perm`, or ONNX's default: the axes reversed.
    ::llvm::SmallVector<int64_t> getPermutation();
  }];
}

def Cleave_ExpandOp : Cleave_OnnxOp<"expand", "Expand",
                                  [Pure, Cleave_DataMovement]> {
  let arguments = (ins Cleave_Tensor:$input, Cleave_I64Tensor:$shape);
  let results = (outs Cleave_Tensor:$output);
}

def Cleave_TileOp : Cleave_OnnxOp<"tile", "Tile",
                                  [Pure, Cleave_DataMovement]> {
  let arguments = (ins Cleave_Tensor:$input, Cleave_I64Tensor:$repeats);
  let results = (outs Cleave_Tensor:$output);
}

def Cleave_ConcatOp : Cleave_OnnxOp<"concat", "Concat",
                                  [Pure, Cleave_DataMovement]> {
  let arguments = (ins Variadic<Cleave_Tensor>:$inputs, I64Attr:$axis);
  let results = (outs Cleave_Tensor:$concat_result);
  let hasFolder = 1;
}

def Cleave_SplitOp : Cleave_OnnxOp<"split", "Split",
                                  [Pure, Cleave_DataMovement], [{
    The number of results is the number of parts; `split` gives their sizes
    or is none for equal parts (the last one smaller, as in opset 18).
  }]> {
  let arguments = (ins Cleave_Tensor:$input,
                       AnyTypeOf<[Cleave_I64Tensor, NoneType]>:$split,
                       DefaultValuedAttr<I64Attr, "0">:$axis,
                       OptionalAttr<I64Attr>:$num_outputs);
  let results = (outs Variadic<Cleave_Tensor>:$outputs);
  let hasVerifier = 1;
}

def Cleave_SliceOp : Cleave_OnnxOp<"slice", "Slice",
                                  [Pure, Cleave_DataMovement, Cleave_PartialRead]> {
  let arguments = (ins Cleave_Tensor:$data, Cleave_IndexTensor:$starts,
                       Cleave_IndexTensor:$ends, Cleave_OptIndexTensor:$axes,
                       Cleave_OptIndexTensor:$steps);
  let results = (outs Cleave_Tensor:$output);
  let hasFolder = 1;
  let extraClassDeclaration = [{
    /// The resolved start, step and length of every axis of the data
    /// (whole axes where the slice names none); nullopt unless starts,
    /// ends, axes and steps are constants.
    std::optional<::llvm::SmallVector<::cleave::graph::SliceAxis>>
    getConstantSlice();
  }];
}

def Cleave_GatherOp : Cleave_OnnxOp<"gather", "Gather",
                                  [Pure, Cleave_DataMovement, Cleave_PartialRead]> {
  let arguments = (ins Cleave_Tensor:$data, Cleave_IndexTensor:$indices,
                       DefaultValuedAttr<I64Attr, "0">:$axis);
  let results = (outs Cleave_Tensor:$output);
  let hasFolder = 1;
}

def Cleave_GatherElementsOp : Cleave_OnnxOp<"gather_elements", "GatherElements",
                                            [Pure, Cleave_DataMovement]> {
  let arguments = (ins Cleave_Tensor:$data, Cleave_IndexTensor:$indices,
                       DefaultValuedAttr<I64Attr, "0">:$axis);
  let results = (outs Cleave_Tensor:$output);
}

def Cleave_GatherNDOp : Cleave_OnnxOp<"gather_nd", "GatherND",
                                       [Pure, Cleave_DataMovement,
                                        Cleave_PartialRead], [{
    The last axis of `indices` (length k) addresses data's axes batch_dims
    to batch_dims + k - 1; the result's shape is indices' without its last
    axis, then data's after those k axes.
  }]> {
  let arguments = (ins Cleave_Tensor:$data, Cleave_IndexTensor:$indices,
                       DefaultValuedAttr<I64Attr, "0">:$batch_dims);
  let results = (outs Cleave_Tensor:$output);
}

// The scatters: a copy of `data` with the slices or elements `indices`
// address replaced by (or, with a reduction, combined with) `updates`.
class Cleave_ScatterOp<string mnemonic, string onnxName, string notes>
    : Cleave_OnnxOp<mnemonic, onnxName,
          [Pure, Cleave_DataMovement, Cleave_UpdatesOperand], notes> {
  let results = (outs Cleave_Tensor:$output);
}

def Cleave_ScatterNDOp : Cleave_ScatterOp<"scatter_nd", "ScatterND", [{
    `updates` has indices' shape without its last axis (length k), then
    data's shape after its first k axes. Indices may be negative (counted
    from the end); with reduction none, repeated indices leave the last
    update.
  }]> {
  let arguments = (ins Cleave_Tensor:$data, Cleave_IndexTensor:$indices,
                       Cleave_Tensor:$updates,
                       Cleave_OnnxEnumDefault<Cleave_ScatterReduction, "None">:$reduction);
}

def Cleave_ScatterElementsOp : Cleave_ScatterOp<"scatter_elements",
                                                "ScatterElements", [{
    `indices` and `updates` have one shape, of data's rank; update i goes to
    data's element i with its `axis` coordinate replaced by indices[i]
    (negative counts from the end). The deprecated Scatter imports as this
    op.
  }]> {
  let arguments = (ins Cleave_Tensor:$data, Cleave_IndexTensor:$indices,
                       Cleave_Tensor:$updates,
                       DefaultValuedAttr<I64Attr, "0">:$axis,
                       Cleave_OnnxEnumDefault<Cleave_ScatterReduction, "None">:$reduction);
}

def Cleave_PadOp : Cleave_OnnxOp<"pad", "Pad", [Pure, Cleave_DataMovement]> {
  let arguments = (ins Cleave_Tensor:$data, Cleave_I64Tensor:$pads,
                       Cleave_OptTensor:$constant_value,
                       Cleave_OptIndexTensor:$axes,
                       Cleave_OnnxEnumDefault<Cleave_PadMode, "Constant">:$mode);
  let results = (outs Cleave_Tensor:$output);
}

def Cleave_ConstantOfShapeOp : Cleave_OnnxOp<"constant_of_shape",
                                             "ConstantOfShape", [Pure]> {
  let arguments = (ins Cleave_I64Tensor:$input,
                       OptionalAttr<ElementsAttr>:$value);
  let results = (outs Cleave_Tensor:$output);
  let hasFolder = 1;
}

def Cleave_RangeOp : Cleave_OnnxOp<"range", "Range", [Pure]> {
  let arguments = (ins Cleave_NumericTensor:$start,
                       Cleave_NumericTensor:$limit,
                       Cleave_NumericTensor:$delta);
  let results = (outs Cleave_NumericTensor:$output);
  let hasFolder = 1;
}

def Cleave_EinsumOp : Cleave_OnnxOp<"einsum", "Einsum", [Pure]> {
  let arguments = (ins Variadic<Cleave_NumericTensor>:$Inputs,
                       StrAttr:$equation);
  let results = (outs Cleave_NumericTensor:$Output);
}

def Cleave_TopKOp : Cleave_OnnxOp<"top_k", "TopK", [Pure]> {
  let arguments = (ins Cleave_NumericTensor:$X, Cleave_I64Tensor:$K,
                       DefaultValuedAttr<I64Attr, "-1">:$axis,
                       DefaultValuedAttr<I64Attr, "1">:$largest,
                       DefaultValuedAttr<I64Attr, "1">:$sorted);
  let results = (outs Cleave_NumericTensor:$Values, Cleave_I64Tensor:$Indices);
}

def Cleave_ResizeOp : Cleave_OnnxOp<"resize", "Resize", [Pure]> {
  let arguments = (ins Cleave_NumericTensor:$X, Cleave_OptTensor:$roi,
      Cleave_OptTensor:$scales, Cleave_OptTensor:$sizes,
      DefaultValuedAttr<I64Attr, "0">:$antialias,
      OptionalAttr<DenseI64ArrayAttr>:$axes,
      Cleave_OnnxEnumDefault<Cleave_CoordinateTransformation, "HalfPixel">:$coordinate_transformation_mode,
      DefaultValuedAttr<F32Attr, "-0.75">:$cubic_coeff_a,
      DefaultValuedAttr<I64Attr, "0">:$exclude_outside,
      DefaultValuedAttr<F32Attr, "0.0">:$extrapolation_value,
      Cleave_OnnxEnumDefault<Cleave_AspectRatioPolicy, "Stretch">:$keep_aspect_ratio_policy,
      Cleave_OnnxEnumDefault<Cleave_ResizeMode, "Nearest">:$mode,
      Cleave_OnnxEnumDefault<Cleave_NearestMode, "RoundPreferFloor">:$nearest_mode);
  let results = (outs Cleave_NumericTensor:$Y);
}

def Cleave_DetOp : Cleave_OnnxOp<"det", "Det", [Pure]> {
  let arguments = (ins Cleave_FloatTensor:$X);
  let results = (outs Cleave_FloatTensor:$Y);
  let extraClassDeclaration = [{ double getFlops(); }];
}

// Modes as opset 20 spells them (the importer renames opset 16's bilinear
// and bicubic); the shape rule takes any rank.
def Cleave_GridSampleOp : Cleave_OnnxOp<"grid_sample", "GridSample",
    [Pure, Cleave_FlopsPerElement<"10.0">],
    "The CPU kernel samples 2-D inputs (X of rank 4)."> {
  let arguments = (ins Cleave_FloatTensor:$X, Cleave_FloatTensor:$grid,
      DefaultValuedAttr<I64Attr, "0">:$align_corners,
      Cleave_OnnxEnumDefault<Cleave_ResizeMode, "Linear">:$mode,
      Cleave_OnnxEnumDefault<Cleave_GridSamplePadding, "Zeros">:$padding_mode);
  let results = (outs Cleave_FloatTensor:$Y);
}

// Y [num_rois, C, output_height, output_width]: each region of interest
// of its batch's image pooled over bilinear samples.
def Cleave_RoiAlignOp : Cleave_OnnxOp<"roi_align", "RoiAlign",
    [Pure, Cleave_FlopsPerElement<"40.0">]> {
  let arguments = (ins Cleave_FloatTensor:$X, Cleave_FloatTensor:$rois,
      Cleave_I64Tensor:$batch_indices,
      Cleave_OnnxEnumDefault<Cleave_RoiAlignCoordinates, "HalfPixel">:
          $coordinate_transformation_mode,
      Cleave_OnnxEnumDefault<Cleave_RoiAlignMode, "Avg">:$mode,
      DefaultValuedAttr<I64Attr, "1">:$output_height,
      DefaultValuedAttr<I64Attr, "1">:$output_width,
      DefaultValuedAttr<I64Attr, "0">:$sampling_ratio,
      DefaultValuedAttr<F32Attr, "1.0f">:$spatial_scale);
  let results = (outs Cleave_FloatTensor:$Y);
}

// Y [size] or [B, size] (size = max(ngram_indexes) + 1): the n-grams of
// each row of X found in the integer pool, counted (TF), marked (IDF) or
// weighted by count (TFIDF); `weights` is none when the model gives none.
def Cleave_TfIdfVectorizerOp : Cleave_OnnxOp<"tfidf_vectorizer",
    "TfIdfVectorizer", [Pure, Cleave_CostKind<"data">]> {
  let arguments = (ins Cleave_IndexTensor:$X, Cleave_OptTensor:$weights,
      Cleave_OnnxEnumAttr<Cleave_TfIdfMode>:$mode,
      I64Attr:$min_gram_length, I64Attr:$max_gram_length,
      I64Attr:$max_skip_count, DenseI64ArrayAttr:$pool_int64s,
      DenseI64ArrayAttr:$ngram_counts, DenseI64ArrayAttr:$ngram_indexes);
  let results = (outs Cleave_FloatTensor:$Y);
}

//===----------------------------------------------------------------------===//
// Neural-network ops
//===----------------------------------------------------------------------===//

// Beyond ONNX: `transpose_a` / `transpose_b` (set by cleave-fuse-ops for a
// Transpose that swaps an operand's last two axes): the product reads that
// operand with its last two axes swapped, Y = op(A) @ op(B), and no copy
// is made. Only operands of rank 2 or more carry them.
def Cleave_MatMulOp : Cleave_OnnxOp<"matmul", "MatMul",
                                   [Pure, Cleave_CostKind<"matmul">]> {
  let arguments = (ins Cleave_NumericTensor:$A, Cleave_NumericTensor:$B,
                       UnitAttr:$transpose_a, UnitAttr:$transpose_b);
  let results = (outs Cleave_NumericTensor:$Y);
  let extraClassDeclaration = [{ double getFlops(); }];
}

def Cleave_GemmOp : Cleave_OnnxOp<"gemm", "Gemm",
                                 [Pure, Cleave_CostKind<"matmul">]> {
  let arguments = (ins Cleave_NumericTensor:$A, Cleave_NumericTensor:$B,
                       Cleave_OptTensor:$C,
                       DefaultValuedAttr<F32Attr, "1.0">:$alpha,
                       DefaultValuedAttr<F32Attr, "1.0">:$beta,
                       DefaultValuedAttr<I64Attr, "0">:$transA,
                       DefaultValuedAttr<I64Attr, "0">:$transB);
  let results = (outs Cleave_NumericTensor:$Y);
  let extraClassDeclaration = [{ double getFlops(); }];
}

// Attributes shared by the convolution and pooling window ops.
// Each computes its arithmetic from its window (OpCost.cpp).
class Cleave_WindowOp<string mnemonic, string onnxName, dag extraArgs,
                      dag windowAttrs = (ins), list<Trait> traits = []>
    : Cleave_OnnxOp<mnemonic, onnxName, !listconcat(traits, [Pure])> {
  let extraClassDeclaration = [{ double getFlops(); }];
  let arguments = !con(extraArgs, windowAttrs, (ins
      Cleave_OnnxEnumDefault<Cleave_AutoPad, "NotSet">:$auto_pad,
      OptionalAttr<DenseI64ArrayAttr>:$dilations,
      OptionalAttr<DenseI64ArrayAttr>:$kernel_shape,
      OptionalAttr<DenseI64ArrayAttr>:$pads,
      OptionalAttr<DenseI64ArrayAttr>:$strides));
}

// Beyond ONNX: `channels_last` (set by cleave-channels-last): X, Y and Z
// are [N, spatial..., C] instead of [N, C, spatial...]; W keeps ONNX's
// layout. The optional operand Z, `fused_clip` = [lo, hi] and
// `fused_activation` (set by cleave-fuse-ops): Y = act(clip(conv + Z, lo,
// hi)), a fused residual Add, Relu (clip [0, inf]) or Clip, and SiLU
// (swish) or HardSwish.
def Cleave_ConvOp : Cleave_WindowOp<"conv", "Conv",
    (ins Cleave_FloatTensor:$X, Cleave_FloatTensor:$W, Cleave_OptTensor:$B,
         Optional<Cleave_FloatTensor>:$Z),
    (ins DefaultValuedAttr<I64Attr, "1">:$group, UnitAttr:$channels_last,
         OptionalAttr<DenseF32ArrayAttr>:$fused_clip,
         OptionalAttr<Cleave_OnnxEnumAttr<Cleave_FusedActivation>>:$fused_activation)> {
  let results = (outs Cleave_FloatTensor:$Y);
  let extraClassDeclaration = [{
    double getFlops();
    /// "dwconv" for grouped convolutions, else "conv".
    ::llvm::StringRef getCostKind();
  }];
}

// The exact int32 convolution of (X - x_zero_point) and (W -
// w_zero_point), 8-bit inputs; w_zero_point is a scalar or one per output
// channel. QLinearConv imports as this, rescaled and requantized.
def Cleave_ConvIntegerOp : Cleave_WindowOp<"conv_integer", "ConvInteger",
    (ins Cleave_Int8Tensor:$X, Cleave_Int8Tensor:$W,
         Cleave_OptTensor:$x_zero_point, Cleave_OptTensor:$w_zero_point),
    (ins DefaultValuedAttr<I64Attr, "1">:$group),
    [Cleave_CostKind<"conv">]> {
  let results = (outs Cleave_I32Tensor:$Y);
}

def Cleave_ConvTransposeOp : Cleave_WindowOp<"conv_transpose", "ConvTranspose",
    (ins Cleave_FloatTensor:$X, Cleave_FloatTensor:$W, Cleave_OptTensor:$B),
    (ins DefaultValuedAttr<I64Attr, "1">:$group,
         OptionalAttr<DenseI64ArrayAttr>:$output_padding,
         OptionalAttr<DenseI64ArrayAttr>:$output_shape),
    [Cleave_CostKind<"conv">]> {
  let results = (outs Cleave_FloatTensor:$Y);
}

def Cleave_AveragePoolOp : Cleave_WindowOp<"average_pool", "AveragePool",
    (ins Cleave_FloatTensor:$X),
    (ins DefaultValuedAttr<I64Attr, "0">:$ceil_mode,
         DefaultValuedAttr<I64Attr, "0">:$count_include_pad,
         UnitAttr:$channels_last),
    [Cleave_CostKind<"pool">]> {
  let results = (outs Cleave_FloatTensor:$Y);
}

def Cleave_MaxPoolOp : Cleave_WindowOp<"max_pool", "MaxPool",
    (ins Cleave_NumericTensor:$X),
    (ins DefaultValuedAttr<I64Attr, "0">:$ceil_mode,
         DefaultValuedAttr<I64Attr, "0">:$storage_order,
         UnitAttr:$channels_last),
    [Cleave_CostKind<"pool">]> {
  let results = (outs Cleave_NumericTensor:$Y, Cleave_I64Tensor:$Indices);
}

class Cleave_GlobalPoolOp<string mnemonic, string onnxName>
    : Cleave_OnnxOp<mnemonic, onnxName, [Pure, Cleave_CostKind<"pool">]> {
  let arguments = (ins Cleave_FloatTensor:$X);
  let results = (outs Cleave_FloatTensor:$Y);
  let extraClassDefinition = Cleave_InferredBy<
      "inferGlobalPool(location, adaptor.getX(), types)">.inferBody;
}
def Cleave_GlobalAveragePoolOp : Cleave_GlobalPoolOp<"global_average_pool",
                                                     "GlobalAveragePool">;
def Cleave_GlobalMaxPoolOp : Cleave_GlobalPoolOp<"global_max_pool",
                                                 "GlobalMaxPool">;

def Cleave_BatchNormalizationOp : Cleave_OnnxOp<"batch_normalization",
    "BatchNormalization",
    [Pure, Cleave_CostKind<"norm">, Cleave_FlopsPerElement<"2.0">], [{
    Always has three results; in inference mode the last two are the input
    mean and variance, as the running statistics do not change. Beyond
    ONNX: with `channels_last` (set by cleave-channels-last, inference
    only) X and Y are [N, spatial..., C].
  }]> {
  let arguments = (ins Cleave_FloatTensor:$X, Cleave_FloatTensor:$scale,
                       Cleave_FloatTensor:$B, Cleave_FloatTensor:$input_mean,
                       Cleave_FloatTensor:$input_var,
                       DefaultValuedAttr<F32Attr, "1e-05">:$epsilon,
                       DefaultValuedAttr<F32Attr, "0.9">:$momentum,
                       DefaultValuedAttr<I64Attr, "0">:$training_mode,
                       UnitAttr:$channels_last);
  let results = (outs Cleave_FloatTensor:$Y, Cleave_FloatTensor:$running_mean,
                      Cleave_FloatTensor:$running_var);
}

def Cleave_InstanceNormalizationOp : Cleave_OnnxOp<"instance_normalization",
    "InstanceNormalization",
    [Pure, Cleave_CostKind<"norm">, Cleave_FlopsPerElement<"8.0">]> {
  let arguments = (ins Cleave_FloatTensor:$input, Cleave_FloatTensor:$scale,
                       Cleave_FloatTensor:$B,
                       DefaultValuedAttr<F32Attr, "1e-05">:$epsilon);
  let results = (outs Cleave_FloatTensor:$output);
}

def Cleave_LayerNormalizationOp : Cleave_OnnxOp<"layer_normalization",
    "LayerNormalization",
    [Pure, Cleave_CostKind<"norm">, Cleave_FlopsPerElement<"8.0">,
     Cleave_InPlace], [{
    Always has three results: Y, Mean and InvStdDev (the last two in the
    `stash_type` element type).
  }]> {
  let arguments = (ins Cleave_FloatTensor:$X, Cleave_FloatTensor:$Scale,
                       Cleave_OptTensor:$B,
                       DefaultValuedAttr<I64Attr, "-1">:$axis,
                       DefaultValuedAttr<F32Attr, "1e-05">:$epsilon,
                       DefaultValuedAttr<I64Attr, "1">:$stash_type);
  let results = (outs Cleave_FloatTensor:$Y, Cleave_FloatTensor:$Mean,
                      Cleave_FloatTensor:$InvStdDev);
}

include "cleave/Dialect/Cleave/IR/RecurrentOps.td"
include "cleave/Dialect/Cleave/IR/TrainingOps.td"

#endif // CLEAVE_DIALECT_CLEAVE_IR_CLEAVEOPS_TD
