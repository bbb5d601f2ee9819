//===- PipelinePartitionTest.cpp - the pipeline DP against brute force ---===//
//
// The dynamic program must find the best bottleneck of every split that
// brute force finds, on random chains and DAGs with heterogeneous devices
// and memory limits; evaluatePipeline (the oracle) computes each split's
// figures straight from the definitions, one value at a time.
//
//===----------------------------------------------------------------------===//

#include "cleave/Analysis/PipelinePartition.h"
#include <cmath>
#include <gtest/gtest.h>
#include <random>

using namespace cleave::analysis;

namespace {

/// Devices of random speeds and memories on one node, or spread over two
/// with a slower network between them; CPUs (whose receives add to their
/// stage's time) and GPUs (whose receives overlap it).
Machine randomMachine(std::mt19937 &random, size_t devices, double capacity,
                      bool twoNodes) {
  std::uniform_real_distribution<double> unit(0.5, 2.0);
  Machine machine;
  machine.name = "test";
  for (size_t d = 0; d < devices; ++d) {
    Device device;
    device.name = "d" + std::to_string(d);
    device.kind = random() % 2 ? "cpu" : "gpu";
    device.peakFlops["f32"] = 1e9 * unit(random);
    device.memoryBandwidth = 1e9;
    device.memoryCapacity = capacity * unit(random);
    device.node = twoNodes ? random() % 2 : 0;
    machine.devices.push_back(device);
  }
  Link link;
  link.level = "node";
  link.bandwidth = 1e6 * unit(random);
  link.latency = 1e-4 * unit(random);
  machine.links.push_back(link);
  link.level = "network";
  link.bandwidth = 2e5 * unit(random);
  link.latency = 1e-3 * unit(random);
  machine.links.push_back(link);
  return machine;
}

/// Ops with random costs, each device a random speed; op i's value is read
/// by op i+1 (a chain) and, in DAGs, by random later ops too.
PipelineProblem randomProblem(std::mt19937 &random, size_t ops,
                              size_t devices, bool dag, double capacity,
                              bool twoNodes) {
  PipelineProblem problem;
  problem.machine = randomMachine(random, devices, capacity, twoNodes);
  std::uniform_real_distribution<double> cost(1e-4, 1e-2);
  std::uniform_int_distribution<int64_t> bytes(100, 5000);
  for (size_t i = 0; i < ops; ++i) {
    double flops = cost(random) * 1e9;
    std::vector<double> seconds;
    for (const Device &device : problem.machine.devices)
      seconds.push_back(flops / device.peakFlops.lookup("f32"));
    problem.seconds.push_back(seconds);
    problem.weightBytes.push_back(random() % 3 ? bytes(random) : 0);
    PipelineValue value;
    value.producer = (int64_t)i;
    value.bytes = bytes(random);
    if (i + 1 < ops)
      value.users.push_back((int64_t)i + 1);
    if (dag)
      for (size_t u = i + 2; u < ops; ++u)
        if (random() % 4 == 0)
          value.users.push_back((int64_t)u);
    problem.values.push_back(value);
  }
  // Half the problems are training steps: M microbatches' activations
  // forward and their gradients back.
  if (random() % 2) {
    int64_t microbatches = 1 + random() % 4;
    problem.transfersPerRun = 2 * microbatches;
    problem.returnsPerRun = microbatches;
  }
  return problem;
}

/// The best bottleneck over every split and increasing device choice (all
/// devices with useEveryDevice), or infinity when none fits.
double bruteForce(const PipelineProblem &problem) {
  size_t n = problem.weightBytes.size(), k = problem.machine.devices.size();
  double best = INFINITY;
  for (uint64_t cutMask = 0; cutMask < (1ull << (n - 1)); ++cutMask) {
    std::vector<size_t> cuts;
    for (size_t i = 1; i < n; ++i)
      if (cutMask >> (i - 1) & 1)
        cuts.push_back(i);
    size_t stages = cuts.size() + 1;
    for (uint64_t deviceMask = 0; deviceMask < (1ull << k); ++deviceMask) {
      if ((size_t)__builtin_popcountll(deviceMask) != stages ||
          (problem.useEveryDevice && stages != k))
        continue;
      std::vector<size_t> devices;
      for (size_t d = 0; d < k; ++d)
        if (deviceMask >> d & 1)
          devices.push_back(d);
      llvm::Expected<PipelinePlan> plan =
          evaluatePipeline(problem, cuts, devices);
      if (!plan) {
        llvm::consumeError(plan.takeError());
        continue;
      }
      best = std::min(best, plan->bottleneckSeconds);
    }
  }
  return best;
}

void checkAgainstBruteForce(bool dag, bool everyDevice = false) {
  std::mt19937 random(dag ? 42 : everyDevice ? 43 : 41);
  int feasible = 0, infeasible = 0;
  for (int trial = 0; trial < 300; ++trial) {
    size_t ops = 1 + random() % 9, devices = 1 + random() % 4;
    // Tight memory on some trials, so limits decide the split.
    double capacity = trial % 3 == 0 ? 15000 : 1e9;
    // Two nodes on every fourth trial: transfers then depend on which
    // earlier device a stage follows.
    PipelineProblem problem = randomProblem(random, ops, devices, dag,
                                            capacity, trial % 4 == 1);
    // Training stages on half the trials: activations kept per microbatch
    // in flight, a count that depends on the stage's device.
    if (trial % 2) {
      for (size_t i = 0; i < ops; ++i)
        problem.stashBytes.push_back(random() % 2000);
      for (size_t d = 0; d < devices; ++d)
        problem.stashCopies.push_back(1 + random() % 4);
    }
    problem.useEveryDevice = everyDevice;
    double want = bruteForce(problem);
    llvm::Expected<PipelinePlan> plan = planPipeline(problem);
    SCOPED_TRACE(testing::Message() << "trial " << trial << ", " << ops
                                    << " ops, " << devices << " devices");
    if (want == INFINITY) {
      ASSERT_FALSE((bool)plan);
      EXPECT_NE(llvm::toString(plan.takeError())
                    .find(ops < devices && everyDevice ? "at least as many ops"
                                                       : "does not fit"),
                std::string::npos);
      ++infeasible;
      continue;
    }
    ASSERT_TRUE((bool)plan) << llvm::toString(plan.takeError());
    EXPECT_NEAR(plan->bottleneckSeconds, want, 1e-12 * want);
    if (everyDevice) {
      ASSERT_EQ(plan->stages.size(), devices);
      for (size_t d = 0; d < devices; ++d)
        EXPECT_EQ(plan->stages[d].device, d);
    }
    // The plan's figures are those of its split.
    std::vector<size_t> cuts, chosen;
    for (const PipelineStage &stage : plan->stages) {
      if (stage.begin)
        cuts.push_back(stage.begin);
      chosen.push_back(stage.device);
    }
    llvm::Expected<PipelinePlan> check =
        evaluatePipeline(problem, cuts, chosen);
    ASSERT_TRUE((bool)check) << llvm::toString(check.takeError());
    EXPECT_NEAR(check->bottleneckSeconds, plan->bottleneckSeconds,
                1e-12 * want);
    EXPECT_NEAR(check->latencySeconds, plan->latencySeconds, 1e-12 * want);
    for (size_t s = 0; s < plan->stages.size(); ++s)
      EXPECT_EQ(check->stages[s].memoryBytes, plan->stages[s].memoryBytes);
    ++feasible;
  }
  // Both outcomes occur, so both paths are tested.
  EXPECT_GT(feasible, 100);
  EXPECT_GT(infeasible, 5);
}

TEST(PipelinePartition, ChainsMatchBruteForce) { checkAgainstBruteForce(false); }

TEST(PipelinePartition, DagsMatchBruteForce) { checkAgainstBruteForce(true); }

// An interleaved schedule's chunks: a stage on every device, none skipped.
TEST(PipelinePartition, EveryDeviceMatchesBruteForce) {
  checkAgainstBruteForce(false, /*everyDevice=*/true);
  checkAgainstBruteForce(true, /*everyDevice=*/true);
}

/// A chain of `ops` equal ops of `bytes`-byte values on `devices` devices.
PipelineProblem uniformChain(size_t ops, size_t devices, int64_t bytes,
                             double linkBandwidth) {
  PipelineProblem problem;
  for (size_t d = 0; d < devices; ++d) {
    Device device;
    device.name = "d" + std::to_string(d);
    device.kind = "gpu";
    device.peakFlops["f32"] = 1;
    device.memoryBandwidth = 1;
    device.memoryCapacity = 1e12;
    problem.machine.devices.push_back(device);
  }
  problem.machine.links.push_back({"node", linkBandwidth, 0.0});
  for (size_t i = 0; i < ops; ++i) {
    problem.seconds.push_back(std::vector<double>(devices, 1.0));
    problem.weightBytes.push_back(0);
    PipelineValue value;
    value.producer = (int64_t)i;
    value.bytes = bytes;
    if (i + 1 < ops)
      value.users.push_back((int64_t)i + 1);
    problem.values.push_back(value);
  }
  return problem;
}

TEST(PipelinePartition, EqualOpsSplitEvenly) {
  llvm::Expected<PipelinePlan> plan =
      planPipeline(uniformChain(12, 4, 1, 1e9));
  ASSERT_TRUE((bool)plan);
  ASSERT_EQ(plan->stages.size(), 4u);
  for (const PipelineStage &stage : plan->stages)
    EXPECT_EQ(stage.end - stage.begin, 3u);
  EXPECT_NEAR(plan->bottleneckSeconds, 3.0, 1e-6);
}

TEST(PipelinePartition, FewerDevicesWhenTransfersCostMore) {
  // Moving a value takes 10 s, more than the whole chain's 8 s.
  llvm::Expected<PipelinePlan> plan = planPipeline(uniformChain(8, 4, 10, 1));
  ASSERT_TRUE((bool)plan);
  ASSERT_EQ(plan->stages.size(), 1u);
  EXPECT_EQ(plan->bottleneckSeconds, 8.0);
}

TEST(PipelinePartition, FasterDevicesTakeMoreOps) {
  PipelineProblem problem = uniformChain(12, 2, 1, 1e9);
  // Device 1 is twice as fast.
  for (std::vector<double> &row : problem.seconds)
    row[1] = 0.5;
  llvm::Expected<PipelinePlan> plan = planPipeline(problem);
  ASSERT_TRUE((bool)plan);
  ASSERT_EQ(plan->stages.size(), 2u);
  EXPECT_EQ(plan->stages[0].end - plan->stages[0].begin, 4u);
  EXPECT_EQ(plan->stages[1].end - plan->stages[1].begin, 8u);
  EXPECT_NEAR(plan->bottleneckSeconds, 4.0, 1e-6);
}

TEST(PipelinePartition, ValuesGoStraightToEachReader) {
  // Op 0's value (1,000 bytes) is read by ops 1 and 3, op 1's (10 bytes)
  // by op 3 only: on four stages, stage 1 receives op 0's value, stage 2
  // nothing (both values skip it), stage 3 both; each value is sent once
  // per reading stage and costs memory only where it is sent or read.
  PipelineProblem problem = uniformChain(4, 4, 1, 1e9);
  problem.values[0].bytes = 1000;
  problem.values[0].users = {1, 3};
  problem.values[1].bytes = 10;
  problem.values[1].users = {3};
  problem.values[2].users = {};
  llvm::Expected<PipelinePlan> plan =
      evaluatePipeline(problem, {1, 2, 3}, {0, 1, 2, 3});
  ASSERT_TRUE((bool)plan) << llvm::toString(plan.takeError());
  std::vector<int64_t> received, sent;
  for (const PipelineStage &stage : plan->stages) {
    received.push_back(stage.receiveBytes);
    sent.push_back(stage.sendBytes);
  }
  EXPECT_EQ(received, (std::vector<int64_t>{0, 1000, 0, 1010}));
  EXPECT_EQ(sent, (std::vector<int64_t>{1000, 10, 0, 0}));
  EXPECT_EQ(plan->stages[2].receiveSeconds, 0.0);
  EXPECT_NEAR(plan->stages[3].receiveSeconds, 1010 / 1e9, 1e-15);
  // The DP's plan of the same problem has the same figures.
  llvm::Expected<PipelinePlan> best = planPipeline(problem);
  ASSERT_TRUE((bool)best);
  EXPECT_EQ(best->stages.size(), 4u);
  EXPECT_EQ(best->stages[3].receiveBytes, 1010);
}

TEST(PipelinePartition, ReceivesAddToACpuStage) {
  // Ops of 2, 1 and 1 s; op 0's value takes 1.5 s to move, op 1's 0.1 s.
  // GPUs overlap receiving and computing: cut after op 0, stages of 2 s
  // (and 1.5 s receiving beside 2 s of compute). A CPU process receives
  // in its own time: the same cut takes 3.5 s, so it cuts after op 1 (3 s;
  // 1 s + 0.1 s).
  PipelineProblem problem = uniformChain(3, 2, 15, 10);
  problem.values[1].bytes = 1;
  problem.seconds[0] = {2.0, 2.0};
  llvm::Expected<PipelinePlan> gpu = planPipeline(problem);
  ASSERT_TRUE((bool)gpu);
  ASSERT_EQ(gpu->stages.size(), 2u);
  EXPECT_EQ(gpu->stages[1].begin, 1u);
  EXPECT_NEAR(gpu->bottleneckSeconds, 2.0, 1e-9);
  for (Device &device : problem.machine.devices)
    device.kind = "cpu";
  llvm::Expected<PipelinePlan> cpu = planPipeline(problem);
  ASSERT_TRUE((bool)cpu);
  ASSERT_EQ(cpu->stages.size(), 2u);
  EXPECT_EQ(cpu->stages[1].begin, 2u);
  EXPECT_NEAR(cpu->bottleneckSeconds, 3.0, 1e-9);
  llvm::Expected<PipelinePlan> early = evaluatePipeline(problem, {1}, {0, 1});
  ASSERT_TRUE((bool)early);
  EXPECT_NEAR(early->bottleneckSeconds, 3.5, 1e-9);
}

TEST(PipelinePartition, CpuStagesReceiveTheirOwnGradients) {
  // A training step with 3 microbatches on 2 CPU processes, cut after op
  // 0 (15 bytes, 1.5 s a move): stage 1 receives the 3 activations (4.5 s
  // of its time), stage 0 the 3 gradients coming back (4.5 s of its). The
  // link carries all 6 moves, which a GPU would overlap instead.
  PipelineProblem problem = uniformChain(3, 2, 15, 10);
  for (Device &device : problem.machine.devices)
    device.kind = "cpu";
  problem.transfersPerRun = 6;
  problem.returnsPerRun = 3;
  llvm::Expected<PipelinePlan> plan = evaluatePipeline(problem, {1}, {0, 1});
  ASSERT_TRUE((bool)plan) << llvm::toString(plan.takeError());
  EXPECT_NEAR(plan->stages[0].ownReceiveSeconds, 4.5, 1e-9);
  EXPECT_NEAR(plan->stages[1].ownReceiveSeconds, 4.5, 1e-9);
  EXPECT_NEAR(plan->stages[1].receiveSeconds, 9.0, 1e-9);
  // Stage 0: 1 s + 4.5 s; stage 1: 2 s + 4.5 s.
  EXPECT_NEAR(plan->bottleneckSeconds, 6.5, 1e-9);
  for (Device &device : problem.machine.devices)
    device.kind = "gpu";
  plan = evaluatePipeline(problem, {1}, {0, 1});
  ASSERT_TRUE((bool)plan);
  EXPECT_NEAR(plan->bottleneckSeconds, 9.0, 1e-9);
}

TEST(PipelinePartition, MemoryErrorGivesTheNumbers) {
  PipelineProblem problem = uniformChain(4, 2, 1000000, 1e9);
  for (int64_t &w : problem.weightBytes)
    w = 3000000;
  for (Device &device : problem.machine.devices)
    device.memoryCapacity = 2.5e6;
  llvm::Expected<PipelinePlan> plan = planPipeline(problem);
  ASSERT_FALSE((bool)plan);
  EXPECT_EQ(llvm::toString(plan.takeError()),
            "the model does not fit the devices' memory: its weights are "
            "12.0 MB and up to 2.0 MB of activations are alive at once, but "
            "each of the 2 devices holds at most 2.5 MB");
}

} // namespace
