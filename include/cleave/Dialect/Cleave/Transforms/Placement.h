//===- Placement.h - ops on devices: problem, plan, report ------*- C++ -*-===//
//
// The bridge between the IR and the placement algorithms of
// cleave/Analysis: the placed ops of a function as a pipeline problem on a
// machine (times from each op's CostOpInterface), the plan the ops'
// `cleave.device` attributes describe, and the placement report.
//
//===----------------------------------------------------------------------===//

#ifndef CLEAVE_DIALECT_CLEAVE_TRANSFORMS_PLACEMENT_H
#define CLEAVE_DIALECT_CLEAVE_TRANSFORMS_PLACEMENT_H

#include "cleave/Analysis/DagSchedule.h"
#include "cleave/Analysis/PipelinePartition.h"
#include "mlir/Dialect/Func/IR/FuncOps.h"
#include "llvm/Support/raw_ostream.h"

namespace cleave::graph {

/// The attribute that holds an op's device index.
inline constexpr llvm::StringLiteral kDeviceAttr = "cleave.device";
/// The placement's predicted time of one run, in milliseconds: on a placed
/// @main one entry per device of the machine, on a device's function (after
/// cleave-split-devices) that device's; on an op, its own time on its
/// device.
inline constexpr llvm::StringLiteral kPredictedMsAttr = "cleave.predicted_ms";

struct PlacementProblem {
  /// The ops placed, in order: all but constants, `none` and the return.
  llvm::SmallVector<mlir::Operation *> ops;
  analysis::PipelineProblem pipeline;
  /// Stages per device: an interleaved schedule's `pipeline.machine` is
  /// chunkedMachine's, its device k being device k mod (size / chunks).
  size_t chunks = 1;
};

/// The placement problem of `function` on `machine`. `precision` (fp32,
/// tf32, fp16, bf16: the CUDA target's --precision) is the type f32 matrix
/// products and convolutions compute in, which picks the device's peak.
PlacementProblem buildPlacementProblem(mlir::func::FuncOp function,
                                       const analysis::Machine &machine,
                                       llvm::StringRef precision = "fp32");

/// What identifies an op's cost: its name, operand and result types and
/// attributes (not the discardable `cleave.*` ones a pass adds), hashed to
/// 16 hex digits. Ops of equal signature run the same kernel on the same
/// shapes; an op profile (cleave/Analysis/OpProfile.h) is keyed by it.
std::string opSignature(mlir::Operation *op);

/// An op's seconds on each device of `machine` (its measured time where
/// the device has an op profile with its signature, else its
/// CostOpInterface on the device's roofline; a collective on the replicas'
/// link).
std::vector<double> opSeconds(mlir::Operation *op,
                              const analysis::Machine &machine,
                              llvm::StringRef precision = "fp32");

/// Bytes of a ranked tensor value (0 for others).
int64_t tensorBytesOf(mlir::Value value);

/// The seconds a collective (an op with CostOpInterface link traffic)
/// takes on the link between the replicas of its device; none for other
/// ops and on a machine without links.
std::optional<double> collectiveSeconds(mlir::Operation *op,
                                        const analysis::Machine &machine);

/// An op's `cleave.device`, if it has one.
std::optional<int64_t> deviceOf(mlir::Operation *op);

/// The ONNX node name of an op (its NameLoc), or "" without one.
std::string nodeName(mlir::Operation *op);

/// Sets `cleave.device` on every placed op from the plan's stages.
void applyPlan(const PlacementProblem &problem,
               const analysis::PipelinePlan &plan);

/// Sets `cleave.device` on every placed op: `devices[i]` on op i.
void applyDevices(const PlacementProblem &problem,
                  const std::vector<size_t> &devices);

/// Each placed op's `cleave.device`; fails if one has none or names a
/// device the machine lacks.
llvm::Expected<std::vector<size_t>>
currentDevices(const PlacementProblem &problem);

/// The table of a dag placement: per device its ops, busy time and memory,
/// then the predicted latency of one batch.
void printDagReport(const PlacementProblem &problem,
                    const analysis::DagPlan &plan, llvm::raw_ostream &os);

/// The plan the ops' `cleave.device` attributes describe; fails (with a
/// message) unless every placed op has one and devices do not decrease
/// along the op order.
llvm::Expected<analysis::PipelinePlan>
currentPlan(const PlacementProblem &problem);

/// The table of `cleave-compile --report`: per device its ops, weight and
/// activation MB, predicted time and bytes received and sent, then the
/// predicted throughput and latency.
void printPlacementReport(const PlacementProblem &problem,
                          const analysis::PipelinePlan &plan,
                          llvm::raw_ostream &os);

/// Graphviz of the placed ops, each filled with its device's colour.
void printPlacementDot(const PlacementProblem &problem,
                       const analysis::PipelinePlan &plan,
                       llvm::raw_ostream &os);

/// Writes printPlacementDot's graph to `path`: as DOT, or for a `.svg`
/// path as SVG through Graphviz's `dot` (which must be on PATH).
llvm::Error writePlacementGraph(const PlacementProblem &problem,
                                const analysis::PipelinePlan &plan,
                                llvm::StringRef path);

} // namespace cleave::graph

#endif // CLEAVE_DIALECT_CLEAVE_TRANSFORMS_PLACEMENT_H
