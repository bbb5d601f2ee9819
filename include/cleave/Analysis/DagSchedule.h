//===- DagSchedule.h - ops of a branchy graph on devices, for latency -*- C++ -*-===//
//
// The `dag` placement strategy: any op on any device (not contiguous
// stages), chosen to finish one batch as early as possible, so independent
// branches run side by side on different devices.
//
// The schedule model, shared by the list scheduler and evaluateDag (the
// exhaustive oracle of the tests): every device runs its ops in the
// sequence's order; an op starts when its device is free and each value it
// reads has arrived (made on another device: the producer's finish plus the
// transfer time, paid once per value and device); it takes its time on its
// device. The latency is the last finish. A device must hold its ops'
// weights, the values it makes and the values it receives.
//
//===----------------------------------------------------------------------===//

#ifndef CLEAVE_ANALYSIS_DAGSCHEDULE_H
#define CLEAVE_ANALYSIS_DAGSCHEDULE_H

#include "cleave/Analysis/PipelinePartition.h"

namespace cleave::analysis {

struct DagPlan {
  /// The device of each op.
  std::vector<size_t> devices;
  /// When each op finishes, in seconds from the start of the batch.
  std::vector<double> finishSeconds;
  double latencySeconds = 0;
  /// Per device: busy seconds and memory bytes of the model above.
  std::vector<double> busySeconds;
  std::vector<int64_t> memoryBytes;
};

/// The schedule of a given assignment; fails when a device's memory is
/// exceeded.
llvm::Expected<DagPlan> evaluateDag(const PipelineProblem &problem,
                                    const std::vector<size_t> &devices);

/// List scheduling by earliest finish time: ops in order, each on the
/// device where it would finish first among those with memory left. Fails
/// (with the numbers) when an op fits no device.
llvm::Expected<DagPlan> scheduleDag(const PipelineProblem &problem);

} // namespace cleave::analysis

#endif // CLEAVE_ANALYSIS_DAGSCHEDULE_H
