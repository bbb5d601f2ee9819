//===- RecurrentOps.td - RNN, GRU and LSTM layers -------------*- tablegen -*-===//
//
// The recurrent layers as whole ops, with every ONNX attribute. The CPU runs
// the common forms (RecurrentLayer::hasFusedKernel) with oneDNN's fused
// kernels; cleave-decompose-recurrent unrolls the others, and every layer of
// a training step (their gradients are those of the unrolled ops), into
// graph ops over the static sequence length.
//
//===----------------------------------------------------------------------===//

#ifndef CLEAVE_DIALECT_CLEAVE_IR_RECURRENTOPS_TD
#define CLEAVE_DIALECT_CLEAVE_IR_RECURRENTOPS_TD

// Operands after X, W, R, B, sequence_lens and initial_h come from
// `cellOperands`; absent optional inputs are `cleave.none`.
class Cleave_RecurrentOp<string mnemonic, string onnxName, dag cellOperands,
                         dag cellAttrs, dag cellResults>
    : Cleave_OnnxOp<mnemonic, onnxName, [Pure, Cleave_CostKind<"matmul">],
                    "Also checks what the ONNX schema leaves to the kernel: "
                    "the shapes of W, R and B, the activations' names and "
                    "count, and the direction."> {
  let arguments = !con(
      (ins Cleave_FloatTensor:$X, Cleave_FloatTensor:$W, Cleave_FloatTensor:$R,
           Cleave_OptTensor:$B, Cleave_OptIndexTensor:$sequence_lens,
           Cleave_OptTensor:$initial_h),
      cellOperands,
      (ins OptionalAttr<DenseF32ArrayAttr>:$activation_alpha,
           OptionalAttr<DenseF32ArrayAttr>:$activation_beta,
           OptionalAttr<StrArrayAttr>:$activations,
           OptionalAttr<F32Attr>:$clip,
           DefaultValuedAttr<StrAttr, "\"forward\"">:$direction,
           OptionalAttr<I64Attr>:$hidden_size,
           DefaultValuedAttr<I64Attr, "0">:$layout),
      cellAttrs);
  let results = !con((outs Cleave_FloatTensor:$Y, Cleave_FloatTensor:$Y_h),
                     cellResults);
  let hasVerifier = 1;
  let extraClassDeclaration = [{ double getFlops(); }];
}

def Cleave_RNNOp : Cleave_RecurrentOp<"rnn", "RNN", (ins), (ins), (outs)>;

def Cleave_GRUOp : Cleave_RecurrentOp<"gru", "GRU", (ins),
    (ins DefaultValuedAttr<I64Attr, "0">:$linear_before_reset), (outs)>;

def Cleave_LSTMOp : Cleave_RecurrentOp<"lstm", "LSTM",
    (ins Cleave_OptTensor:$initial_c, Cleave_OptTensor:$P),
    (ins DefaultValuedAttr<I64Attr, "0">:$input_forget),
    (outs Cleave_FloatTensor:$Y_c)>;

#endif // CLEAVE_DIALECT_CLEAVE_IR_RECURRENTOPS_TD
