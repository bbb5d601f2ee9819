//===- TrainingPlacement.h - a training step on pipeline stages -*- C++ -*-===//
//
// A training step (after cleave-autodiff, cleave-accumulate-gradients and
// cleave-optimize) holds, per microbatch, the forward ops (`cleave.op_index`)
// and the backward ops built from them (`cleave.backward_of`), then the
// optimizer's updates. Pipeline-parallel training places the forward ops
// (the "anchors") and keeps everything else beside them:
//
// - an op with `cleave.op_index` i, in any microbatch, joins the first op
//   with that index; one with `cleave.backward_of` i joins it too, as a
//   backward op; any other op joins the anchor of its first operand that has
//   one (gradient sums, the optimizer's update of a gradient, the loss's
//   sum over microbatches), or else of the parameter it reads;
// - what is left reads only graph inputs, constants and variables (slices of
//   the inputs into microbatches, attention masks, the optimizer's step
//   counter and bias corrections): "leaf" ops, computed on every device
//   that reads them;
// - an assignment runs on every device that holds its variable, so a
//   variable two stages read (a tied embedding) stays identical: its update
//   runs once, where its gradient is summed, and the new value goes to the
//   other holders.
//
//===----------------------------------------------------------------------===//

#ifndef CLEAVE_DIALECT_CLEAVE_TRANSFORMS_TRAININGPLACEMENT_H
#define CLEAVE_DIALECT_CLEAVE_TRANSFORMS_TRAININGPLACEMENT_H

#include "cleave/Analysis/PipelineSchedule.h"
#include "cleave/Dialect/Cleave/Transforms/Placement.h"
#include "llvm/ADT/DenseMap.h"
#include "llvm/ADT/DenseSet.h"

namespace cleave::graph {

/// The function's pipeline schedule, set by cleave-place on a training
/// step ("gpipe", "1f1b" or "interleaved:v=N") and read by
/// cleave-schedule-pipeline.
inline constexpr llvm::StringLiteral kScheduleAttr = "cleave.schedule";
/// An anchor's pipeline stage where a device runs several (an interleaved
/// schedule's chunks); without it, the stages are the devices in the order
/// the forward pass reaches them.
inline constexpr llvm::StringLiteral kStageAttr = "cleave.stage";

struct TrainingRoles {
  /// The forward ops placed, in order (the first op of each op index).
  llvm::SmallVector<mlir::Operation *> anchors;
  /// Every op that joins an anchor, the anchors included.
  llvm::DenseMap<mlir::Operation *, mlir::Operation *> anchorOf;
  /// The joined ops of the backward pass and the update.
  llvm::DenseSet<mlir::Operation *> backward;
  /// The microbatch of each op that reads one (directly or not); ops on
  /// parameters alone have none.
  llvm::DenseMap<mlir::Operation *, int64_t> microbatch;
  /// Microbatches per step.
  int64_t microbatches = 1;
};

/// Whether `function` is a differentiated training step.
bool isTrainingStep(mlir::func::FuncOp function);

TrainingRoles classifyTrainingOps(mlir::func::FuncOp function);

/// The pipeline problem of the anchors: each one's time is that of every op
/// joining it, its weights the variables it (or a joined op) reads first
/// (parameters and optimizer state), and it keeps the sums of its
/// parameters' gradients and, per microbatch the schedule keeps in flight
/// on its stage's device, the activations its backward pass reads; a value
/// crossing a boundary moves once per microbatch forward and once (its
/// gradient) backward.
/// `machine` has a device per stage (chunkedMachine's for an interleaved
/// schedule); fails when the schedule cannot run on its devices.
llvm::Expected<PlacementProblem> buildTrainingPlacementProblem(
    mlir::func::FuncOp function, const analysis::Machine &machine,
    llvm::StringRef precision, const TrainingRoles &roles,
    const analysis::Schedule &schedule);

/// An interleaved schedule's stages from the anchors' devices: each run of
/// anchors on one device is a stage, which must be the k-th on device
/// k mod p, v stages per device. Sets kStageAttr on the anchors; fails,
/// naming the first anchor out of turn, when the devices do not take turns.
mlir::LogicalResult assignInterleavedStages(const TrainingRoles &roles,
                                            size_t devices, size_t chunks);

/// Each anchor's stage: kStageAttr, else its device's place in the order
/// the forward pass reaches the devices.
std::vector<int64_t> anchorStages(const TrainingRoles &roles);

/// Once the anchors have devices: every joined op takes its anchor's, leaf
/// ops are cloned onto each device that reads them, and assignments onto
/// each device that holds their variable.
void spreadTrainingDevices(mlir::func::FuncOp function,
                           const TrainingRoles &roles);

} // namespace cleave::graph

#endif // CLEAVE_DIALECT_CLEAVE_TRANSFORMS_TRAININGPLACEMENT_H
