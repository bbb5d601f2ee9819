//===- RuntimeOps.td - calls of the Cleave runtime ------------*- tablegen -*-===//
//
// The level between the graph dialect and EmitC: a device program as the
// runtime runs it. Every tensor is a view of planned memory (the arena,
// the weights file, the caller's inputs and outputs); every op of the graph
// became kernel calls on views; transfers are sends and receives. Lowering
// to EmitC is one generic rewrite, whatever the target.
//
//===----------------------------------------------------------------------===//

#ifndef CLEAVE_DIALECT_RUNTIME_IR_RUNTIMEOPS_TD
#define CLEAVE_DIALECT_RUNTIME_IR_RUNTIMEOPS_TD

include "mlir/IR/OpBase.td"
include "mlir/IR/AttrTypeBase.td"
include "mlir/IR/SymbolInterfaces.td"
include "mlir/Interfaces/SideEffectInterfaces.td"

def CleaveRt_Dialect : Dialect {
  let name = "cleave_rt";
  let cppNamespace = "::cleave::rt";
  let summary = "Device programs as calls of the Cleave runtime";
  let description = [{
    A `cleave_rt.program` per device: its memory sizes and the table of its
    inputs and outputs as attributes, and a body of views and kernel calls
    in the order they run. Kernels are named and checked as the runtime
    declares them (cleave/Runtime/Kernels.def).
  }];
  let useDefaultTypePrinterParser = 1;
  let useDefaultAttributePrinterParser = 1;
}

class CleaveRt_Op<string mnemonic, list<Trait> traits = []>
    : Op<CleaveRt_Dialect, mnemonic, traits>;

def CleaveRt_ViewType : TypeDef<CleaveRt_Dialect, "View"> {
  let mnemonic = "view";
  let summary = "a tensor in planned memory";
  let parameters = (ins "::mlir::RankedTensorType":$tensorType);
  let assemblyFormat = "`<` $tensorType `>`";
  let builders = [
    TypeBuilderWithInferredContext<(ins "::mlir::RankedTensorType":$tensorType),
                                   [{ return $_get(tensorType.getContext(),
                                                   tensorType); }]>
  ];
}

def CleaveRt_WindowType : TypeDef<CleaveRt_Dialect, "Window"> {
  let mnemonic = "window";
  let summary = "a convolution or pooling window";
}

def CleaveRt_IoAttr : AttrDef<CleaveRt_Dialect, "Io"> {
  let mnemonic = "io";
  let summary = "a program input or output: its name and tensor type";
  let parameters = (ins "::mlir::StringAttr":$name,
                        "::mlir::RankedTensorType":$type);
  let assemblyFormat = "`<` $name `,` $type `>`";
}

def CleaveRt_SiteAttr : AttrDef<CleaveRt_Dialect, "Site"> {
  let mnemonic = "site";
  let summary = "what a call's profile and trace say of it";
  let description = [{
    The metadata of a call's FusedLoc (its graph op's location inside):
    the graph op it computes; for a training step, its phase ("forward",
    "backward", or "optimizer": gradient sums, all-reduces and updates; ""
    otherwise) and microbatch (-1: the whole step); the arena bytes alive
    while it runs; the placement's predicted time (0: none); and the op's
    cost signature (cleave::graph::opSignature), by which a profile of the
    run becomes an op profile.
  }];
  let parameters = (ins "::mlir::StringAttr":$op, "::mlir::StringAttr":$phase,
                        "int64_t":$microbatch, "int64_t":$arena_in_use,
                        "::mlir::FloatAttr":$predicted_ms,
                        "::mlir::StringAttr":$signature);
  let assemblyFormat = [{
    `<` $op `,` `phase` `=` $phase `,` `microbatch` `=` $microbatch `,`
    `arena` `=` $arena_in_use `,` `predicted_ms` `=` $predicted_ms `,`
    `signature` `=` $signature `>`
  }];
}

def CleaveRt_IoArray : TypedArrayAttrBase<CleaveRt_IoAttr, "inputs or outputs">;

def CleaveRt_ProgramOp : CleaveRt_Op<"program",
    [Symbol, IsolatedFromAbove, SingleBlock, NoTerminator]> {
  let summary = "one device's program";
  let description = [{
    Runs its body in order on an arena of `arena_size` bytes and a weights
    file of `weights_size` bytes. `device` is set for a device of a
    multi-device bundle (it joins the MPI job as that rank); `replicas`,
    for data-parallel training, says how many copies of each device the
    job runs (rank = replica * devices + device).
  }];
  let arguments = (ins SymbolNameAttr:$sym_name, I64Attr:$arena_size,
                       I64Attr:$weights_size, CleaveRt_IoArray:$inputs,
                       CleaveRt_IoArray:$outputs,
                       OptionalAttr<I64Attr>:$device,
                       OptionalAttr<I64Attr>:$replicas);
  let regions = (region SizedRegion<1>:$body);
  let assemblyFormat = "$sym_name attr-dict-with-keyword $body";
  let hasVerifier = 1;
}

// Views of planned memory.
class CleaveRt_ViewOp<string mnemonic, string what>
    : CleaveRt_Op<mnemonic, [Pure]> {
  let summary = what;
  let results = (outs CleaveRt_ViewType:$view);
}
def CleaveRt_ArenaViewOp : CleaveRt_ViewOp<"arena", "a view of the arena"> {
  let arguments = (ins I64Attr:$offset);
  let assemblyFormat = "`[` $offset `]` attr-dict `:` type($view)";
}
def CleaveRt_WeightsViewOp
    : CleaveRt_ViewOp<"weights", "a view of the weights file"> {
  let arguments = (ins I64Attr:$offset);
  let assemblyFormat = "`[` $offset `]` attr-dict `:` type($view)";
}
def CleaveRt_InputOp : CleaveRt_ViewOp<"input", "a program input"> {
  let arguments = (ins I64Attr:$index);
  let assemblyFormat = "$index attr-dict `:` type($view)";
}
def CleaveRt_OutputOp : CleaveRt_ViewOp<"output", "a program output"> {
  let arguments = (ins I64Attr:$index);
  let assemblyFormat = "$index attr-dict `:` type($view)";
}

def CleaveRt_WindowOp : CleaveRt_Op<"window", [Pure]> {
  let summary = "a convolution or pooling window, padding resolved";
  let arguments = (ins DenseI64ArrayAttr:$kernel, DenseI64ArrayAttr:$strides,
                       DenseI64ArrayAttr:$dilations, DenseI64ArrayAttr:$begin,
                       DenseI64ArrayAttr:$end, UnitAttr:$channels_last);
  let results = (outs CleaveRt_WindowType:$window);
  let assemblyFormat = "attr-dict";
}

def CleaveRt_KernelOp : CleaveRt_Op<"kernel"> {
  let summary = "a call of a runtime kernel";
  let description = [{
    Calls the runtime kernel `callee` of include/cleave/Runtime/Kernels.def
    with `args`, one per parameter of its declaration, in order: an index
    attribute stands for that operand (a view, or the window), unit for a
    NULL tensor, an array of indices for a list of tensors, a string for an
    enumerator or a C string literal, an integer, float or dense array for
    itself. The verifier checks each against the declaration. Fails the
    program with the kernel's status.
  }];
  let arguments = (ins StrAttr:$callee, Variadic<AnyType>:$operands,
                       ArrayAttr:$args);
  let assemblyFormat =
      "$callee `(` $operands `)` $args attr-dict `:` type($operands)";
  let hasVerifier = 1;
}

def CleaveRt_SendOp : CleaveRt_Op<"send"> {
  let summary = "send a view to another device (does not block)";
  let arguments = (ins CleaveRt_ViewType:$value, I64Attr:$peer, I64Attr:$tag);
  let assemblyFormat = "$value `to` $peer `tag` $tag attr-dict `:` type($value)";
}

def CleaveRt_RecvOp : CleaveRt_Op<"recv"> {
  let summary = "receive into a view from another device";
  let arguments = (ins CleaveRt_ViewType:$value, I64Attr:$peer, I64Attr:$tag);
  let assemblyFormat =
      "$value `from` $peer `tag` $tag attr-dict `:` type($value)";
}

def CleaveRt_RecvStartOp : CleaveRt_Op<"recv_start"> {
  let summary = "post a receive into a view (does not block)";
  let description = [{
    Posts the receive of what device `peer` sends with `tag` into `value`;
    `cleave_rt.recv_wait` with the same peer and tag waits for it. Nothing
    may read or write the view in between.
  }];
  let arguments = (ins CleaveRt_ViewType:$value, I64Attr:$peer, I64Attr:$tag);
  let assemblyFormat =
      "$value `from` $peer `tag` $tag attr-dict `:` type($value)";
}

def CleaveRt_RecvWaitOp : CleaveRt_Op<"recv_wait"> {
  let summary = "wait for the receive posted into a view";
  let description = [{
    Waits until the receive `cleave_rt.recv_start` posted into `value` from
    `peer` with `tag` has arrived (a transport that matches by order,
    NCCL, receives here).
  }];
  let arguments = (ins CleaveRt_ViewType:$value, I64Attr:$peer, I64Attr:$tag);
  let assemblyFormat =
      "$value `from` $peer `tag` $tag attr-dict `:` type($value)";
}

def CleaveRt_SendDoneOp : CleaveRt_Op<"send_done"> {
  let summary = "wait until the send with `tag` to `peer` has completed";
  let arguments = (ins I64Attr:$peer, I64Attr:$tag);
  let assemblyFormat = "`to` $peer `tag` $tag attr-dict";
}

def CleaveRt_WaitSendsOp : CleaveRt_Op<"wait_sends"> {
  let summary = "wait until every send of this run has been received";
  let description = [{
    At the end of a run that sends or receives: waits for the sends no
    `cleave_rt.send_done` waited for, and lets the transport recycle the
    run's buffers (the host-staged CUDA transport's pinned copies).
  }];
  let assemblyFormat = "attr-dict";
}

def CleaveRt_AllReduceStartOp : CleaveRt_Op<"all_reduce_start"> {
  let summary = "start summing views over the device's replicas, in place";
  let description = [{
    Each view becomes its sum over the data-parallel replicas of this
    device; `cleave_rt.all_reduce_wait` waits for the sums. Nothing may read
    or write the views in between.
  }];
  let arguments = (ins Variadic<CleaveRt_ViewType>:$values);
  let assemblyFormat = "$values attr-dict `:` type($values)";
}

def CleaveRt_AllReduceWaitOp : CleaveRt_Op<"all_reduce_wait"> {
  let summary = "wait until every started all-reduce has finished";
  let assemblyFormat = "attr-dict";
}

def CleaveRt_AllGatherOp : CleaveRt_Op<"all_gather"> {
  let summary = "every replica's `input`, in replica order, into `output`";
  let description = [{
    `output` holds the replicas' count times `input`'s bytes: replica r's
    at r times its size. Returns when `output` is complete.
  }];
  let arguments = (ins CleaveRt_ViewType:$input, CleaveRt_ViewType:$output);
  let assemblyFormat = "$input `into` $output attr-dict `:` type($input) "
                       "`,` type($output)";
}

def CleaveRt_ReduceScatterOp : CleaveRt_Op<"reduce_scatter"> {
  let summary = "this replica's slice of the replicas' sum of `input`";
  let description = [{
    The f32 `input`s of the replicas are summed; replica r's `output` is
    the r-th of as many equal slices. Returns when `output` is complete.
  }];
  let arguments = (ins CleaveRt_ViewType:$input, CleaveRt_ViewType:$output);
  let assemblyFormat = "$input `into` $output attr-dict `:` type($input) "
                       "`,` type($output)";
}

def CleaveRt_BroadcastOp : CleaveRt_Op<"broadcast"> {
  let summary = "replica `root`'s view, into every replica's, in place";
  let arguments = (ins CleaveRt_ViewType:$value, I64Attr:$root);
  let assemblyFormat = "$value `from` $root attr-dict `:` type($value)";
}

#endif // CLEAVE_DIALECT_RUNTIME_IR_RUNTIMEOPS_TD
