//===- PipelineSchedule.h - training schedules of pipeline stages -*- C++ -*-===//
//
// A pipeline-parallel training step runs, on each stage, the forward (F)
// and backward (B) pass of every microbatch. A schedule is each stage's
// order of those actions (torch.distributed.pipelining's "pipeline order"):
//
// - GPipe: every forward, then every backward (each stage keeps all M
//   microbatches' activations until their backward);
// - 1F1B: stage s of p runs min(p - 1 - s, M) forwards to fill the pipe,
//   then alternates one forward and one backward, then drains; it keeps at
//   most min(p - s, M) microbatches in flight.
//
// simulateSchedule runs the actions under their dependencies (F(m) on stage
// s needs F(m) of s - 1; B(m) needs F(m) of its own stage and B(m) of s + 1)
// and so validates a schedule: a schedule in which some stage waits for an
// action that never comes is rejected, naming the wait.
//
//===----------------------------------------------------------------------===//

#ifndef CLEAVE_ANALYSIS_PIPELINESCHEDULE_H
#define CLEAVE_ANALYSIS_PIPELINESCHEDULE_H

#include "llvm/ADT/StringRef.h"
#include "llvm/Support/Error.h"
#include "llvm/Support/raw_ostream.h"
#include <cstdint>
#include <optional>
#include <vector>

namespace cleave::analysis {

enum class ScheduleKind { GPipe, OneFOneB };

/// "gpipe" or "1f1b".
std::optional<ScheduleKind> parseScheduleKind(llvm::StringRef name);
llvm::StringRef scheduleKindName(ScheduleKind kind);

struct PipelineAction {
  bool backward = false;
  int64_t microbatch = 0;
  bool operator==(const PipelineAction &other) const {
    return backward == other.backward && microbatch == other.microbatch;
  }
};

/// Each stage's actions, in the order it runs them.
using StageActions = std::vector<std::vector<PipelineAction>>;

StageActions buildSchedule(ScheduleKind kind, size_t stages,
                           size_t microbatches);

struct ScheduleTimeline {
  /// start[s][i]: when stage s starts its i-th action.
  std::vector<std::vector<double>> start;
  /// The step's length: when the last action ends.
  double makespan = 0;
  /// Per stage, the most microbatches whose forward has run and whose
  /// backward has not: the activations it keeps at once.
  std::vector<int64_t> peakInFlight;
};

/// Runs `actions` for `microbatches` microbatches, a forward taking
/// `forwardSeconds` and a backward `backwardSeconds` on every stage, each
/// action as soon as its stage is free and its inputs are done. Fails when
/// a stage's list is not every F and B once with each B after its F, or
/// when the stages deadlock.
llvm::Expected<ScheduleTimeline>
simulateSchedule(const StageActions &actions, size_t microbatches,
                 double forwardSeconds = 1, double backwardSeconds = 1);

/// The timeline as a grid, a row per stage and a column per time unit
/// (unit-time actions), as torch pipelining prints its schedules:
///   stage 0: F0 F1 B0 F2 B1 ...
void printScheduleGrid(const StageActions &actions,
                       const ScheduleTimeline &timeline,
                       llvm::raw_ostream &os);

} // namespace cleave::analysis

#endif // CLEAVE_ANALYSIS_PIPELINESCHEDULE_H
