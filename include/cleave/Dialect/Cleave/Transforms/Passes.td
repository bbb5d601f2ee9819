//===- Passes.td - passes on the cleave graph dialect ---------*- tablegen -*-===//

#ifndef CLEAVE_DIALECT_CLEAVE_TRANSFORMS_PASSES_TD
#define CLEAVE_DIALECT_CLEAVE_TRANSFORMS_PASSES_TD

include "mlir/Pass/PassBase.td"

def ChannelsLastPass : Pass<"cleave-channels-last", "::mlir::func::FuncOp"> {
  let summary = "Run convolutions and pooling on channels-last tensors";
  let description = [{
    oneDNN's fast CPU convolutions read and write channels-last (NHWC)
    tensors. This pass rewrites each f32 Conv, MaxPool (whose indices are
    unused) and AveragePool of rank 3 to 5 to its `channels_last` form
    between two transposes:

        y = conv(x)   becomes   y = transpose(conv'(transpose(x, to_last)),
                                              to_first)

    and then moves transposes towards their users through elementwise ops
    (unary ops, binary ops whose other operand is transposed the same way
    or has one element) and Concat (whose axis it permutes), composing
    consecutive transposes. Transposes between consecutive layers cancel;
    those at the edges of convolutional regions remain.
  }];
  let dependentDialects = ["::cleave::graph::CleaveDialect"];
}

def FuseOpsPass : Pass<"cleave-fuse-ops", "::mlir::func::FuncOp"> {
  let summary = "Fuse op patterns into single ops the kernels run in one pass";
  let description = [{
    - A BatchNormalization (inference) of a Conv used only there, all of
      their parameters constant, folds into the Conv's weights and bias.
    - An Add of a Conv used only there and a tensor of the output's type
      (a residual connection) becomes the Conv's operand Z.
    - A Relu, or a Clip with constant bounds, whose operand is a Conv used
      only there becomes the Conv's `fused_clip`, and a SiLU (Swish of
      alpha 1) or HardSwish its `fused_activation` (oneDNN applies them as
      the convolution writes its output: Y = act(clip(conv + Z))).
    - The erf form of GELU that exporters write,
      `x * (erf(x / sqrt(2)) + 1) * 0.5` in any operand order (or with
      `x * (1 / sqrt(2))`), becomes one `cleave.gelu`.
  }];
  let dependentDialects = ["::cleave::graph::CleaveDialect"];
}

def PlacePass : Pass<"cleave-place", "::mlir::func::FuncOp"> {
  let summary = "Choose the device of every op: pipeline stages";
  let description = [{
    Splits @main's ops, in their order, into pipeline stages on the devices
    of a machine (see cleave/Analysis/Machine.h) and writes each op's device
    as `cleave.device` (constants and `none` are not placed: every device
    that reads one gets its own copy).

    Strategies:
    - `pipeline`: the exact dynamic program of PipelinePartition.h, which
      minimises the bottleneck stage (compute or transfer) under each
      device's memory, from the cost model (CostOpInterface and the
      machine's roofline), and may leave devices unused;
    - `auto`: for inference, that DP on all the devices and on fewer run
      as data-parallel replicas (each a share of a run's microbatches,
      `cleave.replicas` on the function), whichever predicts more
      throughput, replicas only by a margin of 10% (pipelines keep a
      share of the weights per device); a training step's as `pipeline`;
    - `dag`: list scheduling (cleave/Analysis/DagSchedule.h) for branchy
      graphs and the latency objective: each op, in order, on the device
      where it finishes first, so independent branches run side by side;
    - `manual`: stages start at the ops named by `cuts` (ONNX node names),
      on devices 0, 1, ...

    `placement-in` reads a placement written by `placement-out` (JSON: each
    op's device by ONNX node name) instead of choosing one.

    The function gets `cleave.predicted_ms`: the cost model's time of one
    run of each device of the machine (0 for devices left unused), which
    cleave-split-devices hands to each device's function. `report` prints
    the placement table (to stderr, or the stream the pass was created
    with) and `report-graph` writes the placed graph (.dot, or .svg through
    Graphviz's dot).
  }];
  let options = [
    Option<"machine", "machine", "std::string", /*default=*/"\"local-cpu\"",
           "A machine preset (h100-sxm-x8, ...) or a machine JSON file">,
    Option<"numDevices", "num-devices", "unsigned", /*default=*/"0",
           "Use at most the first N devices of the machine (0: all)">,
    Option<"strategy", "strategy", "std::string", /*default=*/"\"pipeline\"",
           "pipeline (cost-model DP), auto (pipeline stages or "
           "inference replicas of fewer), dag (list scheduling, latency), "
           "manual (stages start at --cuts) or onnx (the model's "
           "pipeline_stage per node)">,
    ListOption<"cuts", "cuts", "std::string",
               "ONNX node names that start stages 2, 3, ... (manual)">,
    Option<"placementIn", "placement-in", "std::string", /*default=*/"\"\"",
           "Read the placement from this JSON file">,
    Option<"placementOut", "placement-out", "std::string", /*default=*/"\"\"",
           "Write the placement to this JSON file">,
    Option<"precision", "precision", "std::string", /*default=*/"\"fp32\"",
           "What f32 matrix products and convolutions compute in (fp32, "
           "tf32, fp16, bf16): picks the devices' peak FLOP/s">,
    Option<"report", "report", "bool", /*default=*/"false",
           "Print the placement table (per device: ops, memory, predicted "
           "time, transfers)">,
    Option<"reportGraph", "report-graph", "std::string", /*default=*/"\"\"",
           "Write the graph coloured by device: .svg (needs Graphviz's dot) "
           "or .dot">,
    Option<"replicas", "replicas", "unsigned", /*default=*/"1",
           "Inference: run N data-parallel replicas of the placement, each "
           "a share of a run's microbatches (cleave.replicas)">,
    Option<"opProfile", "op-profile", "std::string", /*default=*/"\"\"",
           "An op profile (cleave-calibrate --model): measured times that "
           "replace the roofline's for the ops it has, on the machine's "
           "devices of its kind">,
    Option<"schedule", "schedule", "std::string", /*default=*/"\"auto\"",
           "A training step's pipeline schedule (auto: 1f1b, or "
           "interleaved:v=2 where the pipeline strategy predicts a shorter "
           "step; gpipe, 1f1b or interleaved[:v=N]): the activations each "
           "stage keeps, and "
           "the order of its "
           "ops (cleave-schedule-pipeline). A training step's stage count "
           "minimises the predicted step, the bubble included">,
  ];
  let dependentDialects = ["::cleave::graph::CleaveDialect"];
}

def SchedulePipelinePass : Pass<"cleave-schedule-pipeline",
                                 "::mlir::func::FuncOp"> {
  let summary = "Order a placed training step's ops by its pipeline schedule";
  let description = [{
    After cleave-place on a training step (which sets `cleave.schedule`:
    gpipe, 1f1b or interleaved:v=N, see cleave/Analysis/PipelineSchedule.h):
    each op belongs to an action, the forward or backward pass of a
    microbatch on its stage (cleave/Dialect/Cleave/Transforms/
    TrainingPlacement.h; an interleaved schedule's stages are the anchors'
    `cleave.stage`); a
    simulation of the schedule gives every action a start, and the ops are
    sorted topologically by their action's start, so that each device runs
    its actions in the schedule's order. Ops on parameters alone and leaf
    ops come first, assignments last; a variable's readers and assignments
    on one device keep their order. A schedule that deadlocks is an error.
    Without `cleave.schedule` the pass does nothing.
  }];
  let dependentDialects = ["::cleave::graph::CleaveDialect"];
}

def InsertTransfersPass : Pass<"cleave-insert-transfers",
                                "::mlir::func::FuncOp"> {
  let summary = "A send/recv pair for every value read on another device";
  let description = [{
    After cleave-place: for every value made on device a and read by ops on
    device b != a, inserts one `cleave.send` on a (right after the value is
    made) and one `cleave.recv` on b (right before the first op of b that
    reads it), and makes b's readers use the received value. One pair per
    value and destination device, with tags unique in the function. Each
    device receives from a peer in the order the peer sends (a receive moves
    up before a later-sent one): NCCL matches by order, not by tag.

    Deadlock freedom: each device runs its ops in the function's order,
    sends never block, and a receive waits only for a value made earlier in
    that order, which its device reaches without waiting on the receiver's
    later ops.
  }];
  let dependentDialects = ["::cleave::graph::CleaveDialect"];
}

def SplitDevicesPass : Pass<"cleave-split-devices", "::mlir::ModuleOp"> {
  let summary = "One function per device from a placed @main";
  let description = [{
    After cleave-insert-transfers: replaces @main with @device_0,
    @device_1, ... Each holds its device's ops in @main's order, copies of
    the constants they read, the graph inputs it reads as arguments and the
    graph outputs it makes as results (with their `cleave.name`), and
    carries `cleave.device` (and `cleave.predicted_ms` when @main has the
    placement's prediction).

    The devices used are renumbered 0, 1, ... in the machine's order
    (devices a placement leaves unused get no program), send and
    receive peers with them. An unplaced @main (no op has a device) is the
    one device's program: it becomes @device_0, with no `cleave.device`
    (it joins no multi-device job).
  }];
  let dependentDialects = ["::cleave::graph::CleaveDialect"];
}

def PostReceivesPass : Pass<"cleave-post-receives", "::mlir::func::FuncOp"> {
  let summary = "Post each receive one receive ahead of its use";
  let description = [{
    After cleave-split-devices, on each device's function: every
    `cleave.recv` becomes a `cleave.recv_start` that posts it and a
    `cleave.recv_wait` where the receive was. The start moves up to just
    after the device's previous receive (the function's start for the
    first), as torch.distributed.pipelining posts the next action's
    receive before running the current one: the transfer may land while
    the device computes, and at most one receive more than before is in
    flight, so the memory plan grows by at most one received tensor.

    Order and deadlock freedom are unchanged: a start does not block, and
    the waits keep the receives' order (a transport that matches by order,
    NCCL, receives at the wait).
  }];
  let dependentDialects = ["::cleave::graph::CleaveDialect"];
}

def PlanMemoryPass : Pass<"cleave-plan-memory", "::mlir::func::FuncOp"> {
  let summary = "Give every intermediate tensor a fixed offset in one arena";
  let description = [{
    Computes each tensor's live range in the function's op order and places
    the tensors in one memory arena (see ArenaPlanner.h), so that a device
    program needs no allocation at run time. Graph inputs and constants
    (weights) live outside the arena.

    A result shares its operand's buffer when that is safe:
    - views (reshape, squeeze, unsqueeze, flatten, identity) of a tensor in
      the arena always share it: buffers are written once, by their
      defining op, so a view and its source can both stay alive;
    - elementwise ops may write over an operand of the result's type that
      dies at the op (in place).

    Results: `cleave.arena_offsets` on each op (one byte offset per result,
    -1 for a result outside the arena), `cleave.in_place` on ops that reuse
    an operand's buffer, and `cleave.arena_size` on the function.
  }];
  let options = [
    Option<"alignment", "alignment", "int64_t", /*default=*/"64",
           "Byte alignment of every buffer in the arena">,
    Option<"inPlace", "in-place", "bool", /*default=*/"true",
           "Let elementwise ops and views reuse their operand's buffer">,
  ];
  let dependentDialects = ["::cleave::graph::CleaveDialect"];
}

def LayoutWeightsPass : Pass<"cleave-layout-weights", "::mlir::func::FuncOp"> {
  let summary = "Give every constant an offset in the device weights file";
  let description = [{
    Lays the function's constants out one after another in the weights file
    (see cleave/Runtime/Weights.h), each at a 64-byte aligned offset, in op
    order. Results: `cleave.weight_offset` on each constant and
    `cleave.weights_size` (payload bytes) on the function.
  }];
  let dependentDialects = ["::cleave::graph::CleaveDialect"];
}

//===----------------------------------------------------------------------===//
// Training: forward graph -> training step (docs/Training.md)
//===----------------------------------------------------------------------===//

def MakeTrainablePass : Pass<"cleave-make-trainable", "::mlir::func::FuncOp"> {
  let summary = "Turn the model's float initializers into trainable variables";
  let description = [{
    Each `cleave.constant` the importer made from a float ONNX initializer
    of rank 1 or more (a `dense_resource` named by its location) whose name
    matches one of `trainable` (globs; default all) and none of `frozen`
    becomes a `cleave.variable` of that name. A glob that matches no
    initializer is an error.
  }];
  let options = [
    ListOption<"trainable", "trainable", "std::string",
               "Globs of the initializers to train (default: every one)">,
    ListOption<"frozen", "frozen", "std::string",
               "Globs of initializers to keep constant">,
  ];
  let dependentDialects = ["::cleave::graph::CleaveDialect"];
}

def AddLossPass : Pass<"cleave-add-loss", "::mlir::func::FuncOp"> {
  let summary = "Make the function compute a scalar loss of one output";
  let description = [{
    `loss` is `cross_entropy:logits=<output>,labels=<new input>`
    (`reduction=mean|sum`, `ignore_index=N`; labels are i64 with the logits'
    shape less its last axis), `mse:prediction=<output>,target=<new input>`
    (`reduction=mean|sum`; the target has the prediction's type), or
    `output:<output>` (already a scalar). The new input is appended to the
    function's arguments; the function then returns the loss only, named
    `loss`.
  }];
  let options = [
    Option<"loss", "loss", "std::string", /*default=*/"\"\"",
           "The loss, as cleave-compile's --loss spells it">,
  ];
  let dependentDialects = ["::cleave::graph::CleaveDialect"];
}

def AutodiffPass : Pass<"cleave-autodiff", "::mlir::func::FuncOp"> {
  let summary = "Reverse-mode gradients of the loss for every variable";
  let description = [{
    The function returns a scalar loss first. Walking the ops between the
    variables and the loss in reverse, each op's GradientOpInterface rule
    builds the gradients of its operands from those of its results
    (gradients reaching a value twice are added). Each variable's gradient
    is appended to the results, named `grad:<variable>`. Forward ops get
    `cleave.op_index`; every op a rule builds gets `cleave.backward_of`, the
    index of the forward op it differentiates (pipeline schedules pair them).
    An op between the variables and the loss without a rule is an error
    naming it.
  }];
  let dependentDialects = ["::cleave::graph::CleaveDialect"];
}

def OptimizePass : Pass<"cleave-optimize", "::mlir::func::FuncOp"> {
  let summary = "Update each variable from its gradient";
  let description = [{
    `optimizer` is `sgd:lr=X[,momentum=M][,nesterov=1][,weight_decay=W]`
    (torch.optim.SGD) or `adamw:lr=X[,beta1=..,beta2=..,eps=..,
    weight_decay=..]` (torch.optim.AdamW). Consumes the `grad:<variable>`
    results of cleave-autodiff: the update of each variable (its optimizer
    state as new zero-initialised variables, the learning rate and AdamW's
    step count as variables too, so a run can change them) ends in
    `cleave.assign`s after every other op. The function keeps its loss.
  }];
  let options = [
    Option<"optimizer", "optimizer", "std::string", /*default=*/"\"\"",
           "The optimizer, as cleave-compile's --optimizer spells it">,
    Option<"clipGradNorm", "clip-grad-norm", "double", /*default=*/"0.0",
           "Scale the gradients down to this global L2 norm when they "
           "exceed it (torch.nn.utils.clip_grad_norm_; 0: no clipping)">,
  ];
  let dependentDialects = ["::cleave::graph::CleaveDialect"];
}

def ShardOptimizerPass : Pass<"cleave-shard-optimizer",
                              "::mlir::func::FuncOp"> {
  let summary = "Each data-parallel replica keeps and updates 1/N of the "
                "AdamW state (ZeRO stage 1)";
  let description = [{
    Runs after cleave-optimize (and the canonicalization that folds the
    gradient's 1 / (M N) into the update) on a function of N > 1 replicas
    (`cleave.replicas`). Each AdamW update whose gradient comes straight
    from a `cleave.all_reduce`, and whose parameter's leading dimension N
    divides, is sharded as DeepSpeed's ZeRO stage 1 shards it: the gradient
    is reduce-scattered instead of all-reduced, each replica keeps only its
    slice r of axis 0 of the two moments (`cleave.variable`s marked
    `replica_shard`, 1/N of their memory) and updates only that slice of
    the parameter, and the new slices are all-gathered into the parameter
    on every replica. The bytes on the links are those of the all-reduce
    (a reduce-scatter and an all-gather); the update's work and its state
    shrink N times. Other updates are left as they are.
  }];
  let dependentDialects = ["::cleave::graph::CleaveDialect"];
}

def AccumulateGradientsPass : Pass<"cleave-accumulate-gradients",
                                   "::mlir::func::FuncOp"> {
  let summary = "One step over M microbatches and N data-parallel replicas";
  let description = [{
    Runs after cleave-autodiff on a function compiled for one microbatch
    (its inputs' axis 0 is the microbatch). The function becomes the step
    of one replica: its inputs grow M times along axis 0, each microbatch
    is a slice of them, and the forward and backward ops are cloned once
    per microbatch in turn (marked `cleave.microbatch`), so only one
    microbatch's activations are alive at a time. Each gradient
    accumulates as its microbatch's value appears. With `replicas` N > 1,
    the final gradients are summed over the replicas by `cleave.all_reduce`
    ops, one per bucket of about `bucket-bytes`, each placed as soon as its
    gradients are final, so the sums overlap the rest of the backward pass;
    the loss is summed too. Unless the function's `cleave.loss_reduction`
    (from cleave-add-loss) is `sum`, the loss is a mean and the loss and
    gradients are divided by M * N at the end: either way the step equals
    one on the whole batch. The function's `cleave.replicas` says N.
  }];
  let options = [
    Option<"microbatches", "microbatches", "unsigned", /*default=*/"1",
           "Microbatches per step (M)">,
    Option<"replicas", "replicas", "unsigned", /*default=*/"1",
           "Data-parallel replicas (N)">,
    Option<"bucketBytes", "bucket-bytes", "int64_t",
           /*default=*/"4 << 20",
           "All-reduce the gradients in buckets of about this many bytes">,
  ];
  let dependentDialects = ["::cleave::graph::CleaveDialect"];
}

def TrainBatchNormPass : Pass<"cleave-train-batch-norm", "::mlir::func::FuncOp"> {
  let summary = "BatchNormalization with batch statistics, as in training";
  let description = [{
    Each cleave.batch_normalization becomes its training form, as
    torch.nn.BatchNorm runs after model.train(): normalized by the batch's
    mean and biased variance over every axis but axis 1, its running mean
    and variance (variables now; never trained) updated by `momentum` with
    the batch's mean and unbiased variance, assigned where they are made.
  }];
  let dependentDialects = ["::cleave::graph::CleaveDialect"];
}

def TrainDropoutPass : Pass<"cleave-train-dropout", "::mlir::func::FuncOp"> {
  let summary = "Dropout drops, as in training";
  let description = [{
    Each cleave.dropout becomes `data * cleave.dropout_mask(data,
    dropout.step)`, whatever its training_mode (a model exported for
    inference trains with its Dropouts, as torch.nn.Dropout does after
    model.train()); `dropout.step` is a new variable, one more at each
    step, so every step draws new masks. With `enabled=false` every
    Dropout is the identity. It runs before the cleanup, which folds an
    inference Dropout away.
  }];
  let options = [
    Option<"enabled", "enabled", "bool", /*default=*/"true",
           "Drop (false: every Dropout is the identity)">,
    Option<"seed", "seed", "uint64_t", /*default=*/"0",
           "The run's seed, mixed with each Dropout's">,
  ];
  let dependentDialects = ["::cleave::graph::CleaveDialect"];
}

def DecomposeRecurrentPass
    : Pass<"cleave-decompose-recurrent", "::mlir::func::FuncOp"> {
  let summary = "Unrolls RNN, GRU and LSTM layers into graph ops";
  let description = [{
    Each cleave.rnn, cleave.gru and cleave.lstm becomes graph ops unrolled
    over its static sequence length: the input projection of every step is
    one MatMul over the whole sequence (X W^T + Wb), then each step adds
    H R^T and applies its gates. Every attribute is honoured: directions,
    layout, activations with their alphas and betas, clip, sequence_lens (a
    mask: past its length a step keeps the state and writes zeros, which
    also starts a reversed pass at each sequence's own end), initial
    states, peepholes, input_forget and linear_before_reset. Being ordinary
    ops, the unrolled layers train (their gradients are the ops' rules),
    place (a cut may fall between steps) and run on every backend.

    With `all=false` the layers the CPU's fused kernel computes
    (RecurrentLayer::hasFusedKernel) stay whole; training unrolls all.
  }];
  let options = [
    Option<"all", "all", "bool", /*default=*/"true",
           "Unroll every layer (false: keep those with a fused kernel)">,
  ];
  let dependentDialects = ["::cleave::graph::CleaveDialect"];
}

#endif // CLEAVE_DIALECT_CLEAVE_TRANSFORMS_PASSES_TD
