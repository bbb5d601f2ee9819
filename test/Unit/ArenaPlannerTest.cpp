//===- ArenaPlannerTest.cpp - arena offsets from live ranges --------------===//
//
// Every plan is checked pairwise (buffers alive together never share bytes)
// against the bounds no plan can beat (the peak of live bytes) or exceed
// (the sum of all sizes), on hundreds of random programs and on cases whose
// optimum is known.
//
//===----------------------------------------------------------------------===//

#include "cleave/Analysis/ArenaPlanner.h"
#include <gtest/gtest.h>
#include <random>

using namespace cleave::analysis;

namespace {

int64_t aligned(int64_t size) { return (size + 63) / 64 * 64; }

void expectValid(llvm::ArrayRef<BufferRequest> requests,
                 const ArenaPlan &plan) {
  ASSERT_EQ(plan.offsets.size(), requests.size());
  int64_t total = 0;
  for (size_t i = 0; i < requests.size(); ++i) {
    EXPECT_GE(plan.offsets[i], 0);
    EXPECT_EQ(plan.offsets[i] % 64, 0);
    EXPECT_LE(plan.offsets[i] + aligned(requests[i].size), plan.size);
    total += aligned(requests[i].size);
    for (size_t j = i + 1; j < requests.size(); ++j) {
      bool together = requests[i].first <= requests[j].last &&
                      requests[j].first <= requests[i].last;
      bool share = plan.offsets[i] < plan.offsets[j] + requests[j].size &&
                   plan.offsets[j] < plan.offsets[i] + requests[i].size;
      EXPECT_FALSE(together && share && requests[i].size && requests[j].size)
          << "buffers " << i << " and " << j << " overlap";
    }
  }
  EXPECT_GE(plan.size, peakLiveBytes(requests));
  EXPECT_LE(plan.size, total);
}

TEST(ArenaPlanner, RandomProgramsGetValidPlans) {
  std::mt19937_64 random(42);
  for (int trial = 0; trial < 300; ++trial) {
    int steps = 1 + random() % 40;
    int count = 1 + random() % 60;
    llvm::SmallVector<BufferRequest> requests;
    for (int i = 0; i < count; ++i) {
      int64_t first = random() % steps;
      int64_t last = first + random() % (steps - first);
      requests.push_back({(int64_t)(random() % 5000), first, last});
    }
    SCOPED_TRACE(testing::Message() << "trial " << trial);
    expectValid(requests, planArena(requests));
  }
}

TEST(ArenaPlanner, ChainsReuseOneSlot) {
  // A chain: each tensor dies when the next is made, as in y = f(g(h(x)))
  // with in-place-free kernels needing input and output alive together.
  llvm::SmallVector<BufferRequest> requests;
  for (int i = 0; i < 10; ++i)
    requests.push_back({1000, i, i + 1});
  ArenaPlan plan = planArena(requests);
  expectValid(requests, plan);
  EXPECT_EQ(plan.size, 2 * aligned(1000)); // Two alive at a time, ping-pong.
}

TEST(ArenaPlanner, DisjointLifetimesShareEverything) {
  llvm::SmallVector<BufferRequest> requests = {
      {100, 0, 0}, {5000, 1, 1}, {300, 2, 2}, {4000, 3, 3}};
  ArenaPlan plan = planArena(requests);
  expectValid(requests, plan);
  EXPECT_EQ(plan.size, aligned(5000));
  for (int64_t offset : plan.offsets)
    EXPECT_EQ(offset, 0);
}

TEST(ArenaPlanner, AllAliveTogetherNeedTheSum) {
  llvm::SmallVector<BufferRequest> requests = {
      {100, 0, 5}, {200, 0, 5}, {300, 0, 5}};
  ArenaPlan plan = planArena(requests);
  expectValid(requests, plan);
  EXPECT_EQ(plan.size, aligned(100) + aligned(200) + aligned(300));
}

TEST(ArenaPlanner, FillsGapsLeftByLargerBuffers) {
  // A big buffer early and late, small ones in between can use its hole.
  llvm::SmallVector<BufferRequest> requests = {
      {4096, 0, 1}, {4096, 4, 5}, {1024, 2, 3}, {1024, 2, 3}};
  ArenaPlan plan = planArena(requests);
  expectValid(requests, plan);
  EXPECT_EQ(plan.size, 4096);
}
} // namespace
