//===- CleaveBase.td - the cleave graph dialect ---------------*- tablegen -*-===//
//
// The graph dialect: value-semantics tensor ops with ONNX semantics. Each op
// models its ONNX operator at the latest opset the importer supports; the
// importer upgrades older opsets (attributes that became inputs, and so on).
//
//===----------------------------------------------------------------------===//

#ifndef CLEAVE_DIALECT_CLEAVE_IR_CLEAVEBASE_TD
#define CLEAVE_DIALECT_CLEAVE_IR_CLEAVEBASE_TD

include "mlir/IR/OpBase.td"
include "mlir/IR/AttrTypeBase.td"

def Cleave_Dialect : Dialect {
  let name = "cleave";
  let cppNamespace = "::cleave::graph";
  let summary = "Tensor graph ops with ONNX semantics";
  let description = [{
    The `cleave` dialect holds a model as imported from ONNX: one op per ONNX
    operator, on statically shaped tensors with value semantics. Weights are
    `dense_resource` blobs. Optional ONNX inputs that are absent are the
    `none` value produced by `cleave.none`.
  }];
  let hasConstantMaterializer = 1;
  // Unary kernels on small constants fold (KernelFolding.cpp).
  let hasCanonicalizer = 1;
  // `cleave.name` on @main's arguments and results keeps the ONNX graph
  // input and output names.
  let hasOperationAttrVerify = 1;
  let hasRegionArgAttrVerify = 1;
  let hasRegionResultAttrVerify = 1;
  let extraClassDeclaration = [{
    /// The ONNX name of a graph input or output.
    static constexpr ::llvm::StringLiteral kNameAttr = "cleave.name";
  }];
}

//===----------------------------------------------------------------------===//
// Type constraints
//===----------------------------------------------------------------------===//

def Cleave_Tensor : StaticShapeTensorOf<[AnyType]>;
def Cleave_FloatTensor : StaticShapeTensorOf<[F16, BF16, F32, F64]>;
def Cleave_BoolTensor : StaticShapeTensorOf<[I1]>;
def Cleave_IndexTensor : StaticShapeTensorOf<[I32, I64]>;
def Cleave_I64Tensor : StaticShapeTensorOf<[I64]>;
def Cleave_I32Tensor : StaticShapeTensorOf<[I32]>;
def Cleave_Int8Tensor : StaticShapeTensorOf<[I8, UI8]>;
def Cleave_NumericTensor : StaticShapeTensorOf<[F16, BF16, F32, F64,
    I8, I16, I32, I64, UI8, UI16, UI32, UI64]>;
def Cleave_OptTensor : AnyTypeOf<[Cleave_Tensor, NoneType]>;
def Cleave_OptIndexTensor : AnyTypeOf<[Cleave_IndexTensor, NoneType]>;

#endif // CLEAVE_DIALECT_CLEAVE_IR_CLEAVEBASE_TD
