//===- PipelinePartition.h - exact pipeline split of ops --------*- C++ -*-===//
//
// Splits ops, in a topological order, into contiguous stages, one per
// device, with stage devices in machine order (devices may be skipped, so
// fewer devices are used when that is faster). The objective is the
// pipeline's bottleneck: the largest stage time. On a device whose
// transfers overlap its compute (a GPU), a stage's time is the larger of
// its compute and its receives (each is its own pipeline step); on one that
// receives with its own time (a CPU process, Device::receivesTakeComputeTime)
// it is their sum, the receives being what that device itself receives
// (in training, the activations it reads and the gradients of those it
// sends). A stage must fit its device's memory.
//
// The model, shared by the exact dynamic program and by evaluatePipeline
// (the brute-force oracle of the tests and the reports):
// - a stage's compute time is the sum of its ops' times on its device;
// - stage k receives the values made before it that its ops read, each
//   once, as the bundle sends each value straight to every device that
//   reads it (a value that skips stages is charged once, to the stage
//   that reads it, not at every boundary it crosses); the model times them
//   on the link from stage k-1's device (on one node every link is alike;
//   across nodes, a value from an earlier stage may take another link);
// - a stage's memory is its ops' weight bytes, plus the most bytes of
//   values alive at one of its ops, plus the bytes it receives and sends
//   (values it makes that a later op reads): an upper bound on its arena.
//
// Graph inputs are not values here: every device that reads one gets it
// from the launcher.
//
//===----------------------------------------------------------------------===//

#ifndef CLEAVE_ANALYSIS_PIPELINEPARTITION_H
#define CLEAVE_ANALYSIS_PIPELINEPARTITION_H

#include "cleave/Analysis/Machine.h"
#include "llvm/Support/Error.h"
#include <cstdint>
#include <vector>

namespace cleave::analysis {

/// A tensor made by op `producer` and read by ops `users` (indices into the
/// op sequence, each greater than `producer`).
struct PipelineValue {
  int64_t producer = 0;
  int64_t bytes = 0;
  std::vector<int64_t> users;
};

struct PipelineProblem {
  /// seconds[op][device]: each op's time on each device of `machine`.
  std::vector<std::vector<double>> seconds;
  /// Bytes of weights each op reads (a training state's variable, which a
  /// step's forward, backward and update ops all read, only at the first).
  std::vector<int64_t> weightBytes;
  std::vector<PipelineValue> values;
  Machine machine;
  /// Bytes each op holds for the whole step whatever the op order: a
  /// training stage's activations kept for the backward pass (per
  /// microbatch in flight) and its gradient sums. Counted as activations;
  /// empty: none.
  std::vector<int64_t> keptBytes;
  /// Bytes each op keeps per microbatch in flight (the activations a
  /// training step's backward pass reads), times the stage device's
  /// `stashCopies`; empty: none.
  std::vector<int64_t> stashBytes;
  /// Per device of `machine`: the microbatches a stage on it keeps in
  /// flight (1F1B: min(p - d, M) on p devices, an upper bound when the plan
  /// skips some; GPipe: M).
  std::vector<int64_t> stashCopies;
  /// How many times each transferred value moves in one run (a training step:
  /// each microbatch's activation forward and its gradient back), at the
  /// link's latency and bandwidth each time.
  int64_t transfersPerRun = 1;
  /// Of those, how many move back (a training step: M, the gradients): the
  /// sender receives them, which a device that receives in its own time
  /// pays for (over the link to the next device in machine order); 0 in
  /// inference.
  int64_t returnsPerRun = 0;
  /// A training step: the weights include the optimizer state and the
  /// activations those its backward pass keeps (for the messages).
  bool training = false;
  /// One stage on every device, in order, none skipped (the chunks of an
  /// interleaved schedule, whose stage k must run on device k mod p).
  bool useEveryDevice = false;
};

struct PipelineStage {
  size_t device = 0;
  /// Ops [begin, end) of the sequence.
  size_t begin = 0, end = 0;
  double computeSeconds = 0;
  /// Seconds to receive the values made before it that it reads (0 for
  /// the first stage), every move of them: the link's time.
  double receiveSeconds = 0;
  /// Seconds its own device spends receiving: the values it reads, as they
  /// move forward, and the gradients of those it sends, as they come back
  /// (what a device that receives in its own time adds to its compute).
  double ownReceiveSeconds = 0;
  int64_t receiveBytes = 0;
  /// Bytes of the values it makes that later stages read.
  int64_t sendBytes = 0;
  int64_t weightBytes = 0;
  /// The memory bound of the model above.
  int64_t memoryBytes = 0;
};

/// A stage's time per run on `device`: its compute plus its own receives
/// when the device receives with its own time, else the larger of its
/// compute and its receives' link time.
double stageSeconds(const PipelineStage &stage, const Device &device);

struct PipelinePlan {
  std::vector<PipelineStage> stages;
  /// Largest stage time (stageSeconds): one microbatch per this many
  /// seconds in steady state.
  double bottleneckSeconds = 0;
  /// One batch through every stage and transfer.
  double latencySeconds = 0;
};

/// The split that minimises the bottleneck (exactly, under the model above;
/// ties go to the first found). Fails, with the numbers, when no split fits
/// the devices' memory.
llvm::Expected<PipelinePlan> planPipeline(const PipelineProblem &problem);

/// The plan of a given split: `cuts` are the first ops of stages 2..k,
/// increasing, and `devices` the k stage devices, increasing. Fails when a
/// stage does not fit its device.
llvm::Expected<PipelinePlan>
evaluatePipeline(const PipelineProblem &problem,
                 const std::vector<size_t> &cuts,
                 const std::vector<size_t> &devices);

} // namespace cleave::analysis

#endif // CLEAVE_ANALYSIS_PIPELINEPARTITION_H
