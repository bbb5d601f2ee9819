//===- PipelineSchedule.h - training schedules of pipeline stages -*- C++ -*-===//
//
// A pipeline-parallel training step runs, on each stage, the forward (F)
// and backward (B) pass of every microbatch. A schedule is each device's
// order of those actions (torch.distributed.pipelining's "pipeline order"):
//
// - GPipe: every forward, then every backward (each stage keeps all M
//   microbatches' activations until their backward);
// - 1F1B: stage s of p runs min(p - 1 - s, M) forwards to fill the pipe,
//   then alternates one forward and one backward, then drains; it keeps at
//   most min(p - s, M) microbatches in flight;
// - interleaved 1F1B (Megatron-LM's, torch's ScheduleInterleaved1F1B):
//   each of the p devices holds v stages ("chunks"), stage k on device
//   k mod p, so a microbatch passes every device v times; device r warms up
//   with (v - 1) p + 2 (p - 1 - r) forwards, then alternates, taking
//   microbatches in rounds of p. Its bubble is (p - 1) / (v M + p - 1) of
//   the step instead of (p - 1) / (M + p - 1). M must be a multiple of p.
//
// simulateSchedule runs the actions under their dependencies (F(m) on stage
// k needs F(m) of k - 1; B(m) needs F(m) of its own stage and B(m) of
// k + 1) and so validates a schedule: a schedule in which some device waits
// for an action that never comes is rejected, naming the wait.
//
//===----------------------------------------------------------------------===//

#ifndef CLEAVE_ANALYSIS_PIPELINESCHEDULE_H
#define CLEAVE_ANALYSIS_PIPELINESCHEDULE_H

#include "llvm/ADT/StringRef.h"
#include "llvm/Support/Error.h"
#include "llvm/Support/raw_ostream.h"
#include <cstdint>
#include <optional>
#include <string>
#include <vector>

namespace cleave::analysis {

enum class ScheduleKind { GPipe, OneFOneB, Interleaved };

struct Schedule {
  ScheduleKind kind = ScheduleKind::OneFOneB;
  /// Stages per device: 1, or v >= 2 for interleaved 1F1B.
  size_t chunks = 1;
};

/// "gpipe", "1f1b", "interleaved" (v = 2) or "interleaved:v=N" (N >= 2).
std::optional<Schedule> parseSchedule(llvm::StringRef name);
/// The name parseSchedule reads back ("interleaved:v=3").
std::string scheduleName(const Schedule &schedule);

struct PipelineAction {
  bool backward = false;
  int64_t microbatch = 0;
  /// The stage it runs: the device's own with one stage per device; with
  /// v, chunk c of device r is stage c p + r.
  int64_t stage = 0;
  bool operator==(const PipelineAction &other) const {
    return backward == other.backward && microbatch == other.microbatch &&
           stage == other.stage;
  }
};

/// Each device's actions, in the order it runs them.
using StageActions = std::vector<std::vector<PipelineAction>>;

/// The schedule's actions on `devices` devices; fails when it cannot run
/// `microbatches` (interleaved: not a multiple of the devices).
llvm::Expected<StageActions> buildSchedule(const Schedule &schedule,
                                           size_t devices, size_t microbatches);

struct ScheduleTimeline {
  /// start[d][i]: when device d starts its i-th action.
  std::vector<std::vector<double>> start;
  /// The step's length: when the last action ends.
  double makespan = 0;
  /// Per stage, the most microbatches whose forward has run and whose
  /// backward has not: the activations it keeps at once.
  std::vector<int64_t> peakInFlight;
};

/// Runs `actions` for `microbatches` microbatches, a forward taking
/// `forwardSeconds` and a backward `backwardSeconds` on every stage, each
/// action as soon as its device is free and its inputs are done. Fails
/// when the stages are not 0, 1, ... each on one device, a stage does not
/// run every F and B once with each B after its F, or the devices deadlock.
llvm::Expected<ScheduleTimeline>
simulateSchedule(const StageActions &actions, size_t microbatches,
                 double forwardSeconds = 1, double backwardSeconds = 1);

/// The microbatches each stage of `schedule` on `devices` devices keeps in
/// flight at most (peakInFlight; GPipe: M, 1F1B: min(p - s, M)).
llvm::Expected<std::vector<int64_t>>
scheduleStashCopies(const Schedule &schedule, size_t devices,
                    size_t microbatches);

/// The share of each device's step spent idle with unit actions:
/// (p - 1) / (v M + p - 1).
double scheduleBubble(const Schedule &schedule, size_t devices,
                      size_t microbatches);

/// The timeline as a grid, a row per device and a column per time unit
/// (unit-time actions), as torch pipelining prints its schedules:
///   stage 0: F0 F1 B0 F2 B1 ...
/// (with several stages per device: "device 0: 0F0 0F1 2F0 ...", the
/// stage before each action).
void printScheduleGrid(const StageActions &actions,
                       const ScheduleTimeline &timeline,
                       llvm::raw_ostream &os);

} // namespace cleave::analysis

#endif // CLEAVE_ANALYSIS_PIPELINESCHEDULE_H
