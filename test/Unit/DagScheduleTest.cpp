//===- DagScheduleTest.cpp - the dag strategy against exhaustive search --===//
//
// On tiny random DAGs, every assignment of ops to devices is scheduled by
// evaluateDag (the oracle); the list scheduler must never beat the best of
// them (it would mean the two disagree on the model), must match its own
// assignment's evaluation, and must stay close to the optimum.
//
//===----------------------------------------------------------------------===//

#include "cleave/Analysis/DagSchedule.h"
#include <cmath>
#include <gtest/gtest.h>
#include <random>

using namespace cleave::analysis;

namespace {

PipelineProblem randomDag(std::mt19937 &random, size_t ops, size_t devices,
                          double capacity) {
  std::uniform_real_distribution<double> unit(0.5, 2.0), cost(1e-3, 1e-2);
  PipelineProblem problem;
  for (size_t d = 0; d < devices; ++d) {
    Device device;
    device.name = "d" + std::to_string(d);
    device.kind = "gpu";
    device.peakFlops["f32"] = unit(random);
    device.memoryBandwidth = 1;
    device.memoryCapacity = capacity;
    problem.machine.devices.push_back(device);
  }
  problem.machine.links.push_back({"node", 1e6 * unit(random), 1e-4});
  for (size_t i = 0; i < ops; ++i) {
    double work = cost(random);
    std::vector<double> seconds;
    for (const Device &device : problem.machine.devices)
      seconds.push_back(work / device.peakFlops.lookup("f32"));
    problem.seconds.push_back(seconds);
    problem.weightBytes.push_back(random() % 2000);
    PipelineValue value;
    value.producer = (int64_t)i;
    value.bytes = 500 + random() % 5000;
    for (size_t u = i + 1; u < ops; ++u)
      if (random() % 3 == 0)
        value.users.push_back((int64_t)u);
    problem.values.push_back(value);
  }
  return problem;
}

double exhaustive(const PipelineProblem &problem) {
  size_t n = problem.weightBytes.size(), k = problem.machine.devices.size();
  double best = INFINITY;
  std::vector<size_t> devices(n, 0);
  for (;;) {
    llvm::Expected<DagPlan> plan = evaluateDag(problem, devices);
    if (plan)
      best = std::min(best, plan->latencySeconds);
    else
      llvm::consumeError(plan.takeError());
    size_t i = 0;
    while (i < n && ++devices[i] == k)
      devices[i++] = 0;
    if (i == n)
      return best;
  }
}

TEST(DagSchedule, CloseToExhaustiveSearch) {
  std::mt19937 random(7);
  int optimal = 0, trials = 0;
  double worst = 1, total = 0;
  for (int trial = 0; trial < 300; ++trial) {
    size_t ops = 1 + random() % 7, devices = 1 + random() % 3;
    PipelineProblem problem =
        randomDag(random, ops, devices, trial % 4 == 0 ? 12000 : 1e9);
    double best = exhaustive(problem);
    llvm::Expected<DagPlan> plan = scheduleDag(problem);
    SCOPED_TRACE(testing::Message() << "trial " << trial);
    if (!plan) {
      llvm::consumeError(plan.takeError());
      continue; // Greedy may run out of memory where a search would not.
    }
    ASSERT_NE(best, INFINITY);
    llvm::Expected<DagPlan> check = evaluateDag(problem, plan->devices);
    ASSERT_TRUE((bool)check);
    EXPECT_DOUBLE_EQ(check->latencySeconds, plan->latencySeconds);
    EXPECT_GE(plan->latencySeconds, best * (1 - 1e-12));
    double ratio = plan->latencySeconds / best;
    worst = std::max(worst, ratio);
    total += ratio;
    optimal += ratio < 1 + 1e-9;
    ++trials;
  }
  // Earliest-finish list scheduling is a heuristic: near the optimum on
  // average, optimal on most tiny graphs.
  EXPECT_GT(trials, 200);
  EXPECT_LT(total / trials, 1.10);
  EXPECT_GT(optimal, trials / 2);
  EXPECT_LT(worst, 2.0);
  RecordProperty("mean_ratio", std::to_string(total / trials));
  std::printf("dag list schedule vs exhaustive: %d tiny DAGs, optimal on %d, "
              "mean ratio %.3f, worst %.3f\n",
              trials, optimal, total / trials, worst);
}

TEST(DagSchedule, IndependentBranchesRunSideBySide) {
  // Two independent 1-second ops on two equal devices: 1 s, not 2.
  PipelineProblem problem;
  for (int d = 0; d < 2; ++d) {
    Device device;
    device.name = "d" + std::to_string(d);
    device.kind = "gpu";
    device.peakFlops["f32"] = 1;
    device.memoryBandwidth = 1;
    device.memoryCapacity = 1e9;
    problem.machine.devices.push_back(device);
  }
  problem.machine.links.push_back({"node", 1e9, 0.0});
  problem.seconds = {{1, 1}, {1, 1}};
  problem.weightBytes = {0, 0};
  problem.values = {{0, 4, {}}, {1, 4, {}}};
  llvm::Expected<DagPlan> plan = scheduleDag(problem);
  ASSERT_TRUE((bool)plan);
  EXPECT_EQ(plan->latencySeconds, 1.0);
  EXPECT_NE(plan->devices[0], plan->devices[1]);
}

} // namespace
