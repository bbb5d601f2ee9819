//===- DagSchedule.cpp - ops of a branchy graph on devices, for latency --===//

#include "cleave/Analysis/DagSchedule.h"
#include "llvm/Support/FormatVariadic.h"
#include <algorithm>
#include <limits>
#include <set>

using namespace llvm;

namespace cleave::analysis {

namespace {

/// Builds a schedule op by op; `choose` picks each op's device.
class Simulation {
public:
  explicit Simulation(const PipelineProblem &problem)
      : problem(problem), k(problem.machine.devices.size()),
        n(problem.weightBytes.size()), free(k, 0), memory(k, 0),
        finish(n, 0), busy(k, 0), device(n, 0), inputs(n) {
    for (auto [index, v] : llvm::enumerate(problem.values))
      for (int64_t user : v.users)
        inputs[user].push_back(index);
    produced.resize(n);
    for (auto [index, v] : llvm::enumerate(problem.values))
      produced[v.producer].push_back(index);
  }

  /// Finish time and memory of op `i` on device `d`, without placing it.
  std::pair<double, int64_t> tryOp(size_t i, size_t d) const {
    double ready = free[d];
    int64_t bytes = problem.weightBytes[i];
    for (size_t v : inputs[i]) {
      const PipelineValue &value = problem.values[v];
      size_t from = device[value.producer];
      double at = finish[value.producer];
      if (from != d) {
        if (!arrived.count({v, d}))
          bytes += value.bytes;
        at += problem.machine.transferSeconds(from, d, value.bytes);
      }
      ready = std::max(ready, at);
    }
    for (size_t v : produced[i])
      bytes += problem.values[v].bytes;
    return {ready + problem.seconds[i][d], bytes};
  }

  bool fits(size_t d, int64_t bytes) const {
    return (double)(memory[d] + bytes) <=
           problem.machine.devices[d].memoryCapacity;
  }

  void place(size_t i, size_t d) {
    auto [end, bytes] = tryOp(i, d);
    for (size_t v : inputs[i])
      if (device[problem.values[v].producer] != d)
        arrived.insert({v, d});
    device[i] = d;
    finish[i] = end;
    free[d] = end;
    memory[d] += bytes;
    busy[d] += problem.seconds[i][d];
  }

  DagPlan plan() const {
    DagPlan result;
    result.devices = device;
    result.finishSeconds = finish;
    result.latencySeconds = *std::max_element(finish.begin(), finish.end());
    result.busySeconds = busy;
    result.memoryBytes = memory;
    return result;
  }

  const PipelineProblem &problem;
  size_t k, n;
  std::vector<double> free;
  std::vector<int64_t> memory;
  std::vector<double> finish, busy;
  std::vector<size_t> device;
  std::vector<std::vector<size_t>> inputs, produced;
  /// (value, device) pairs already received.
  std::set<std::pair<size_t, size_t>> arrived;
};

Error problemError(const PipelineProblem &problem) {
  if (problem.weightBytes.empty() || problem.machine.devices.empty() ||
      problem.seconds.size() != problem.weightBytes.size())
    return createStringError(inconvertibleErrorCode(),
                             "dag: no ops, no devices, or op times and "
                             "weights of different lengths");
  return Error::success();
}

} // namespace

Expected<DagPlan> evaluateDag(const PipelineProblem &problem,
                              const std::vector<size_t> &devices) {
  if (Error e = problemError(problem))
    return std::move(e);
  if (devices.size() != problem.weightBytes.size())
    return createStringError(inconvertibleErrorCode(),
                             "dag: one device per op is needed");
  Simulation simulation(problem);
  for (size_t i = 0; i < devices.size(); ++i) {
    size_t d = devices[i];
    if (d >= simulation.k)
      return createStringError(inconvertibleErrorCode(),
                               "dag: a device index is out of range");
    if (!simulation.fits(d, simulation.tryOp(i, d).second))
      return createStringError(
          inconvertibleErrorCode(),
          formatv("dag: op {0} does not fit {1}'s memory", i,
                  problem.machine.devices[d].name)
              .str());
    simulation.place(i, d);
  }
  return simulation.plan();
}

Expected<DagPlan> scheduleDag(const PipelineProblem &problem) {
  if (Error e = problemError(problem))
    return std::move(e);
  Simulation simulation(problem);
  for (size_t i = 0; i < simulation.n; ++i) {
    size_t best = simulation.k;
    double bestFinish = std::numeric_limits<double>::infinity();
    for (size_t d = 0; d < simulation.k; ++d) {
      auto [end, bytes] = simulation.tryOp(i, d);
      if (end < bestFinish && simulation.fits(d, bytes)) {
        bestFinish = end;
        best = d;
      }
    }
    if (best == simulation.k) {
      double largest = 0;
      for (const Device &device : problem.machine.devices)
        largest = std::max(largest, device.memoryCapacity);
      return createStringError(
          inconvertibleErrorCode(),
          formatv("the model does not fit the devices' memory: op {0} "
                  "needs {1:f1} MB more than any of the {2} devices has "
                  "left (each holds at most {3:f1} MB)",
                  i, simulation.tryOp(i, 0).second / 1e6, simulation.k,
                  largest / 1e6)
              .str());
    }
    simulation.place(i, best);
  }
  return simulation.plan();
}

} // namespace cleave::analysis
