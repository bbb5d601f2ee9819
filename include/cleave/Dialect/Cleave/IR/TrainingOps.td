//===- TrainingOps.td - variables, losses and their gradients -*- tablegen -*-===//
//
// What training adds to the graph: trainable state that lives in the
// device's weights memory across steps (cleave.variable, cleave.assign),
// and the losses with their fused gradients.
//
//===----------------------------------------------------------------------===//

#ifndef CLEAVE_DIALECT_CLEAVE_IR_TRAININGOPS_TD
#define CLEAVE_DIALECT_CLEAVE_IR_TRAININGOPS_TD

def Cleave_VariableOp : Cleave_Op<"variable",
    [MemoryEffects<[MemRead]>, InferTypeOpAdaptor, Cleave_CostOpInterface]> {
  let summary = "trainable state: a parameter, an optimizer moment, a step";
  let description = [{
    The value at the start of a training step of the state called `name`
    (a parameter keeps its ONNX initializer's name). `value` is the value
    the first step starts from; the state lives in the device's weights
    memory for the whole run, and `cleave.assign` gives it its next value at
    the end of the step. Unlike `cleave.constant` it never folds: its uses
    see whatever the previous step assigned.

    With `replica_shard` (optimizer state sharded over data-parallel
    replicas, ZeRO stage 1: cleave-shard-optimizer), each replica holds its
    own part of the state: the whole state is the replicas' values joined
    along axis 0, in replica order, which is what a checkpoint stores.
  }];
  let arguments = (ins StrAttr:$name, ElementsAttr:$value,
                       UnitAttr:$replica_shard);
  let results = (outs Cleave_Tensor:$output);
  let assemblyFormat = "$name attr-dict $value";
  let extraClassDeclaration = [{
    ::llvm::StringRef getCostKind() { return "data"; }
  }];
  let hasVerifier = 1;
}

def Cleave_AssignOp : Cleave_Op<"assign",
    [MemoryEffects<[MemWrite]>,
     DeclareOpInterfaceMethods<Cleave_CostOpInterface, ["getCost"]>]> {
  let summary = "the next value of a variable";
  let description = [{
    Stores `value` as the next step's value of the `cleave.variable` that
    defines `variable`. It comes after every use of the variable in the
    step (cleave-optimize puts the assignments last).

    Where `isComputedInPlace()`, the op that makes `value` writes it straight
    into the variable and the assignment costs nothing: only the assignment
    reads the value, no op after that one reads the variable, and it reads
    the variable, if at all, only at the elements it writes (an elementwise
    op, not a variadic chain from another input; an AdamW update).
  }];
  let arguments = (ins Cleave_Tensor:$variable, Cleave_Tensor:$value);
  let assemblyFormat =
      "$variable `,` $value attr-dict `:` type($variable) `,` type($value)";
  let extraClassDeclaration = [{
    ::llvm::StringRef getCostKind() { return "data"; }
    /// The variable assigned to (null in invalid IR).
    VariableOp getVariableOp();
    /// Whether the value's producer writes it into the variable.
    bool isComputedInPlace();
  }];
  let hasVerifier = 1;
}

def Cleave_CrossEntropyOp : Cleave_Op<"cross_entropy",
    [Pure, InferTypeOpAdaptor, Cleave_CostOpInterface,
     Cleave_CostKind<"softmax">, Cleave_FlopsPerElement<"4.0">]> {
  let summary = "softmax cross entropy over the last axis";
  let description = [{
    PyTorch's `F.cross_entropy(logits.reshape(-1, C), labels.reshape(-1))`:
    `logits` [..., C], `labels` (i64) [...]; the loss of a row is
    `logsumexp(logits) - logits[label]`, rows whose label is `ignore_index`
    count for nothing, and `reduction` takes the mean over the counted rows
    or the sum. The result is a scalar.
  }];
  let arguments = (ins Cleave_FloatTensor:$logits, Cleave_I64Tensor:$labels,
                       DefaultValuedAttr<StrAttr, "\"mean\"">:$reduction,
                       DefaultValuedAttr<I64Attr, "-100">:$ignore_index);
  let results = (outs Cleave_FloatTensor:$loss);
  let hasVerifier = 1;
}

def Cleave_CrossEntropyGradOp : Cleave_Op<"cross_entropy_grad",
    [Pure, InferTypeOpAdaptor, Cleave_CostOpInterface,
     Cleave_CostKind<"softmax">, Cleave_FlopsPerElement<"4.0">]> {
  let summary = "the gradient of cleave.cross_entropy with respect to logits";
  let description = [{
    `dloss` (a scalar) times `softmax(logits) - onehot(labels)`, divided by
    the number of counted rows for the mean, zero on ignored rows.
  }];
  let arguments = (ins Cleave_FloatTensor:$logits, Cleave_I64Tensor:$labels,
                       Cleave_FloatTensor:$dloss,
                       DefaultValuedAttr<StrAttr, "\"mean\"">:$reduction,
                       DefaultValuedAttr<I64Attr, "-100">:$ignore_index);
  let results = (outs Cleave_FloatTensor:$dlogits);
}

def Cleave_GatherGradOp : Cleave_Op<"gather_grad",
    [Pure, InferTypeOpAdaptor, Cleave_CostOpInterface,
     Cleave_CostKind<"data">]> {
  let summary = "the gradient of cleave.gather with respect to its data";
  let description = [{
    Zeros of `data`'s type (only its type is read) with each slice of
    `dy` added at the index `indices` gives it along `axis`: the
    scatter-add that an embedding's backward pass is. Indices repeat; a
    negative one counts from the end.
  }];
  let arguments = (ins Cleave_FloatTensor:$data, Cleave_IndexTensor:$indices,
                       Cleave_FloatTensor:$dy, I64Attr:$axis);
  let results = (outs Cleave_FloatTensor:$ddata);
}

def Cleave_LayerNormGradOp : Cleave_Op<"layer_norm_grad",
    [Pure, InferTypeOpAdaptor, Cleave_CostOpInterface,
     Cleave_CostKind<"norm">, Cleave_FlopsPerElement<"8.0">]> {
  let summary = "the gradients of cleave.layer_normalization, in one op";
  let description = [{
    From the forward op's input `x`, `scale` and statistics (`mean` and
    `inv_std_dev`, one per row of the axes from `axis` on), with
    xhat = (x - mean) * inv_std_dev and g = dy * scale over a row:
    `dx = inv_std_dev * (g - mean(g) - xhat * mean(g * xhat))`, and over
    the rows `dscale = sum(dy * xhat)` and `dbias = sum(dy)`. `scale` has
    the shape of the normalised axes. One kernel reads dy and x twice; the
    same gradient as elementwise ops and reductions is a dozen kernels and
    as many tensors.
  }];
  let arguments = (ins Cleave_FloatTensor:$dy, Cleave_FloatTensor:$x,
                       Cleave_FloatTensor:$scale, Cleave_FloatTensor:$mean,
                       Cleave_FloatTensor:$inv_std_dev, I64Attr:$axis);
  let results = (outs Cleave_FloatTensor:$dx, Cleave_FloatTensor:$dscale,
                      Cleave_FloatTensor:$dbias);
}

def Cleave_SoftmaxGradOp : Cleave_Op<"softmax_grad",
    [Pure, AllTypesMatch<["dy", "y", "dx"]>, Cleave_CostOpInterface,
     Cleave_CostKind<"softmax">, Cleave_FlopsPerElement<"3.0">]> {
  let summary = "the gradient of cleave.softmax or cleave.log_softmax";
  let description = [{
    From the forward output `y` along `axis`: `dx = y * (dy - sum(dy * y))`
    for Softmax, and with `log`, `dx = dy - exp(y) * sum(dy)` for
    LogSoftmax (sums over the axis). One kernel instead of three.
  }];
  let arguments = (ins Cleave_FloatTensor:$dy, Cleave_FloatTensor:$y,
                       I64Attr:$axis, UnitAttr:$log);
  let results = (outs Cleave_FloatTensor:$dx);
  let assemblyFormat = "$dy `,` $y attr-dict `:` type($dx)";
  let hasVerifier = 1;
}

def Cleave_GeluGradOp : Cleave_Op<"gelu_grad",
    [Pure, AllTypesMatch<["dy", "x", "dx"]>, Cleave_CostOpInterface,
     Cleave_CostKind<"eltwise">, Cleave_FlopsPerElement<"12.0">]> {
  let summary = "the gradient of cleave.gelu";
  let description = [{
    `dx = dy * gelu'(x)`: exactly, Phi(x) + x phi(x); with `approximate`
    tanh, for 0.5 x (1 + t), t = tanh(u), u = sqrt(2/pi) (x + 0.044715 x^3),
    0.5 (1 + t) + 0.5 x (1 - t^2) sqrt(2/pi) (1 + 3 * 0.044715 x^2). One
    kernel instead of about a dozen elementwise ops.
  }];
  let arguments = (ins Cleave_FloatTensor:$dy, Cleave_FloatTensor:$x,
                       Cleave_OnnxEnumDefault<Cleave_GeluApproximation, "None">:$approximate);
  let results = (outs Cleave_FloatTensor:$dx);
  let assemblyFormat = "$dy `,` $x attr-dict `:` type($dx)";
}

def Cleave_AllReduceOp : Cleave_Op<"all_reduce",
    [MemoryEffects<[MemRead, MemWrite]>, InferTypeOpAdaptor,
     Cleave_CostOpInterface, Cleave_UpdatesOperand]> {
  let summary = "each tensor summed over the device's data-parallel replicas";
  let description = [{
    Result i is operand i summed over every replica of the device that runs
    the op (cleave-accumulate-gradients makes one per bucket of gradients
    with `--dp=N`). The sums start where the op stands and are waited for
    where a result is first read, so a transport that sums in the
    background (NCCL on its stream) overlaps them with the backward pass
    between; each result may share its operand's memory.
  }];
  let arguments = (ins Variadic<Cleave_FloatTensor>:$operands);
  let results = (outs Variadic<Cleave_FloatTensor>:$results);
  let assemblyFormat = "$operands attr-dict `:` type($operands)";
  let extraClassDeclaration = [{
    ::llvm::StringRef getCostKind() { return "data"; }
    /// A ring: 2 (n - 1) / n of the bytes in 2 (n - 1) messages.
    ::cleave::graph::LinkTraffic getLinkTraffic();
  }];
}

// The other collectives over the device's replicas. Like torch.distributed's
// all_gather_into_tensor and reduce_scatter_tensor they act on the leading
// axis, where each replica's part is contiguous; a layer that gathers or
// scatters another axis transposes around them. Each runs where it stands
// (in the order every replica runs its program), so the replicas must run
// the same collectives in the same order, as they do when they run one
// program.
class Cleave_CollectiveOp<string mnemonic, list<Trait> traits = []>
    : Cleave_Op<mnemonic, !listconcat(traits,
          [MemoryEffects<[MemRead, MemWrite]>, Cleave_CostOpInterface])> {
  let extraClassDeclaration = [{
    ::llvm::StringRef getCostKind() { return "data"; }
    /// All-gather and reduce-scatter: a ring, (n - 1) / n of the whole
    /// tensor in n - 1 messages; broadcast: the tensor, pipelined down a
    /// tree of log2(n) levels.
    ::cleave::graph::LinkTraffic getLinkTraffic();
  }];
  let hasVerifier = 1;
}

def Cleave_AllGatherOp : Cleave_CollectiveOp<"all_gather"> {
  let summary = "the replicas' tensors joined along axis 0, in replica order";
  let description = [{
    The result is every replica's operand, replica 0's first, concatenated
    along axis 0: `replicas` (the function's `cleave.replicas`) times the
    operand's leading dimension. Any element type.
  }];
  let arguments = (ins AnyRankedTensor:$operand, I64Attr:$replicas);
  let results = (outs AnyRankedTensor:$result);
  let assemblyFormat =
      "$operand attr-dict `:` type($operand) `->` type($result)";
}

def Cleave_ReduceScatterOp : Cleave_CollectiveOp<"reduce_scatter"> {
  let summary = "the replicas' sum, of which each keeps its slice of axis 0";
  let description = [{
    The operands of all `replicas` replicas (the function's
    `cleave.replicas`) are summed, and replica r's result is slice r of the
    sum along axis 0, whose length the replica count divides.
  }];
  let arguments = (ins Cleave_FloatTensor:$operand, I64Attr:$replicas);
  let results = (outs Cleave_FloatTensor:$result);
  let assemblyFormat =
      "$operand attr-dict `:` type($operand) `->` type($result)";
}

def Cleave_BroadcastOp : Cleave_CollectiveOp<"broadcast",
    [AllTypesMatch<["operand", "result"]>, Cleave_UpdatesOperand]> {
  let summary = "replica `root`'s tensor, on every replica";
  let description = [{
    Every replica's result is replica `root`'s operand; the others'
    operands are not read. The result may share its operand's memory.
  }];
  let arguments = (ins AnyRankedTensor:$operand, I64Attr:$root);
  let results = (outs AnyRankedTensor:$result);
  let assemblyFormat = "$operand attr-dict `:` type($operand)";
}

// The gradients of cleave.conv, with the forward window's padding resolved
// (explicit begin and end per spatial axis).
class Cleave_ConvGradOp<string mnemonic, string what, dag operands>
    : Cleave_Op<mnemonic, [Pure, Cleave_CostOpInterface]> {
  let summary = "the gradient of cleave.conv with respect to its " # what;
  let arguments = !con(operands, (ins DenseI64ArrayAttr:$strides,
                       DenseI64ArrayAttr:$dilations,
                       DenseI64ArrayAttr:$pads_begin,
                       DenseI64ArrayAttr:$pads_end, I64Attr:$group));
  let extraClassDeclaration = [{
    /// oneDNN's backward primitives run at an efficiency of their own.
    ::llvm::StringRef getCostKind() { return "conv_grad"; }
    /// As many as the forward convolution's.
    double getFlops();
  }];
  let hasVerifier = 1;
}

def Cleave_ConvGradDataOp : Cleave_ConvGradOp<"conv_grad_data", "input",
    (ins Cleave_FloatTensor:$dy, Cleave_FloatTensor:$w)> {
  let description = [{
    `dx` ([N, C, spatial...], the forward input's type) of a convolution
    with weights `w` [M, C/group, kernel...] whose output gradient is `dy`.
  }];
  let results = (outs Cleave_FloatTensor:$dx);
}

def Cleave_ConvGradWeightsOp : Cleave_ConvGradOp<"conv_grad_weights",
    "weights", (ins Cleave_FloatTensor:$x, Cleave_FloatTensor:$dy)> {
  let description = [{
    `dw` ([M, C/group, kernel...], the weights' type) of a convolution of
    input `x` whose output gradient is `dy`.
  }];
  let results = (outs Cleave_FloatTensor:$dw);
}

def Cleave_PoolGradOp : Cleave_Op<"pool_grad",
    [Pure, Cleave_CostOpInterface, Cleave_CostKind<"pool">]> {
  let summary = "the gradient of cleave.max_pool or cleave.average_pool";
  let description = [{
    `dx` (the forward input `x`'s type, [N, C, spatial...]) of a pool whose
    output gradient is `dy`, with the forward window's padding resolved.
    `kind` is `max` (each dy goes to its window's first maximum),
    `average` (padding not counted) or `average_include_pad`.
  }];
  let arguments = (ins Cleave_FloatTensor:$x, Cleave_FloatTensor:$dy,
                       StrAttr:$kind, DenseI64ArrayAttr:$kernel,
                       DenseI64ArrayAttr:$strides, DenseI64ArrayAttr:$dilations,
                       DenseI64ArrayAttr:$pads_begin,
                       DenseI64ArrayAttr:$pads_end);
  let results = (outs Cleave_FloatTensor:$dx);
  let hasVerifier = 1;
}

def Cleave_AdamWOp : Cleave_Op<"adamw",
    [Pure, AllTypesMatch<["grad", "exp_avg", "exp_avg_sq", "next_param",
                          "next_exp_avg", "next_exp_avg_sq"]>,
     AllTypesMatch<["lr", "correction1", "correction2"]>,
     Cleave_CostOpInterface, Cleave_CostKind<"eltwise">,
     Cleave_FlopsPerElement<"14.0">, Cleave_PartialRead]> {
  let summary = "one torch.optim.AdamW step of a parameter, in one pass";
  let description = [{
    As torch.optim.AdamW (decoupled weight decay, eps outside the square
    root), elementwise on `param`, its gradient `grad` and its moments:
    `next_exp_avg = exp_avg + (1 - beta1) (grad - exp_avg)`,
    `next_exp_avg_sq = beta2 exp_avg_sq + (1 - beta2) grad^2` and
    `next_param = param (1 - lr weight_decay) - lr / correction1 *
    next_exp_avg / (sqrt(next_exp_avg_sq) / sqrt(correction2) + eps)`.
    `lr` and the bias corrections `correction1 = 1 - beta1^t`,
    `correction2 = 1 - beta2^t` are f32 scalars computed at run time (a
    learning-rate schedule or the step count needs no recompile). One
    kernel reads each tensor once, where the same update written with
    elementwise ops is 13 kernels.

    `grad` enters the update multiplied by `grad_scale` (in f32, as a
    `cleave.mul` would): the canonicalizer folds in a constant scalar that
    only this update reads, such as the 1 / (M N) that turns the sum over
    M microbatches and N replicas into the mean, which saves a pass over
    every gradient.

    `param` has the others' type, or (ZeRO stage 1, cleave-shard-optimizer)
    N times their leading dimension in a function of N replicas: then
    `grad` and the moments are this replica's slice r of axis 0, as
    `cleave.reduce_scatter` gives it, and the update reads that slice of
    `param`; `next_param` is the new slice, for a `cleave.all_gather`.
  }];
  let arguments = (ins Cleave_FloatTensor:$param, Cleave_FloatTensor:$grad,
                       Cleave_FloatTensor:$exp_avg,
                       Cleave_FloatTensor:$exp_avg_sq,
                       Cleave_FloatTensor:$lr, Cleave_FloatTensor:$correction1,
                       Cleave_FloatTensor:$correction2, F64Attr:$beta1,
                       F64Attr:$beta2, F64Attr:$eps, F64Attr:$weight_decay,
                       DefaultValuedAttr<F64Attr, "1.0">:$grad_scale);
  let results = (outs Cleave_FloatTensor:$next_param,
                      Cleave_FloatTensor:$next_exp_avg,
                      Cleave_FloatTensor:$next_exp_avg_sq);
  let hasVerifier = 1;
  let hasCanonicalizer = 1;
}

def Cleave_DropoutMaskOp : Cleave_Op<"dropout_mask",
    [Pure, AllTypesMatch<["data", "mask"]>, Cleave_CostOpInterface,
     Cleave_CostKind<"data">]> {
  let summary = "a training Dropout's scaled keep mask";
  let description = [{
    `mask` (`data`'s type; only its type is read) holds 0 where Dropout
    drops an element and 1 / (1 - `ratio`) where it keeps one: Dropout's
    output is `data * mask`, and its gradient `dy * mask`. Each element
    is dropped with probability `ratio` by a counter-based hash of
    (`seed`, `step`, the element's index in the step's whole batch), so a
    mask is the same on every run, new at every step, and the same whether
    the batch runs whole or split: microbatch `microbatch` of
    `microbatches` on replica r covers the elements from
    (r * microbatches + microbatch) * size on (cleave-accumulate-gradients
    sets both; the batch is axis 0). `step` is a float scalar counter.
  }];
  let arguments = (ins Cleave_FloatTensor:$data, Cleave_FloatTensor:$step,
                       F64Attr:$ratio, I64Attr:$seed,
                       DefaultValuedAttr<I64Attr, "0">:$microbatch,
                       DefaultValuedAttr<I64Attr, "1">:$microbatches);
  let results = (outs Cleave_FloatTensor:$mask);
  let hasVerifier = 1;
}

#endif // CLEAVE_DIALECT_CLEAVE_IR_TRAININGOPS_TD
