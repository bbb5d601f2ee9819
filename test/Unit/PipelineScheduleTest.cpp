//===- PipelineScheduleTest.cpp - training schedules and their validator --===//
//
// GPipe and 1F1B against the orders torch.distributed.pipelining runs
// (Schedule1F1B: stage s warms up with p - 1 - s forwards), their timelines
// against the closed forms (makespan 2 (M + p - 1) with unit actions; 1F1B
// keeps min(p - s, M) microbatches in flight, GPipe M), and the validator
// against planted faults.
//
//===----------------------------------------------------------------------===//

#include "cleave/Analysis/PipelineSchedule.h"
#include <gtest/gtest.h>
#include <string>

using namespace cleave::analysis;

namespace {

std::string orderText(const std::vector<PipelineAction> &actions) {
  std::string text;
  for (const PipelineAction &action : actions)
    text += (text.empty() ? "" : " ") + std::string(action.backward ? "B" : "F") +
            std::to_string(action.microbatch);
  return text;
}

std::string errorOf(const StageActions &actions, size_t microbatches) {
  llvm::Expected<ScheduleTimeline> timeline =
      simulateSchedule(actions, microbatches);
  if (timeline)
    return "";
  return llvm::toString(timeline.takeError());
}

TEST(PipelineSchedule, OneFOneBOrders) {
  StageActions actions = buildSchedule(ScheduleKind::OneFOneB, 4, 6);
  EXPECT_EQ(orderText(actions[0]),
            "F0 F1 F2 F3 B0 F4 B1 F5 B2 B3 B4 B5");
  EXPECT_EQ(orderText(actions[2]),
            "F0 F1 B0 F2 B1 F3 B2 F4 B3 F5 B4 B5");
  EXPECT_EQ(orderText(actions[3]),
            "F0 B0 F1 B1 F2 B2 F3 B3 F4 B4 F5 B5");
}

TEST(PipelineSchedule, GPipeOrders) {
  StageActions actions = buildSchedule(ScheduleKind::GPipe, 2, 3);
  for (const auto &stage : actions)
    EXPECT_EQ(orderText(stage), "F0 F1 F2 B0 B1 B2");
}

TEST(PipelineSchedule, TimelinesMatchClosedForms) {
  for (size_t p : {1, 2, 3, 4, 8})
    for (size_t m : {1, 2, 4, 7, 16})
      for (ScheduleKind kind : {ScheduleKind::GPipe, ScheduleKind::OneFOneB}) {
        StageActions actions = buildSchedule(kind, p, m);
        llvm::Expected<ScheduleTimeline> timeline =
            simulateSchedule(actions, m);
        ASSERT_TRUE(bool(timeline)) << llvm::toString(timeline.takeError());
        // Unit forwards and backwards: the bubble is p - 1 of each.
        EXPECT_DOUBLE_EQ(timeline->makespan, 2.0 * (m + p - 1))
            << scheduleKindName(kind).str() << " p=" << p << " m=" << m;
        for (size_t s = 0; s < p; ++s)
          EXPECT_EQ(timeline->peakInFlight[s],
                    kind == ScheduleKind::GPipe
                        ? (int64_t)m
                        : (int64_t)std::min(p - s, m))
              << scheduleKindName(kind).str() << " p=" << p << " m=" << m
              << " stage " << s;
      }
}

TEST(PipelineSchedule, UnequalTimes) {
  // Backward twice the forward. Stage 1 runs F0 at 1 (after stage 0's),
  // B0 at 2, F1 at 4 and B1 at 5; stage 0 runs F0 and F1 at 0 and 1, then
  // waits for stage 1's B0 (done at 4) and B1 (done at 7).
  StageActions actions = buildSchedule(ScheduleKind::OneFOneB, 2, 2);
  llvm::Expected<ScheduleTimeline> timeline =
      simulateSchedule(actions, 2, 1, 2);
  ASSERT_TRUE(bool(timeline));
  EXPECT_EQ(timeline->start[0], (std::vector<double>{0, 1, 4, 7}));
  EXPECT_EQ(timeline->start[1], (std::vector<double>{1, 2, 4, 5}));
  EXPECT_DOUBLE_EQ(timeline->makespan, 9);
}

TEST(PipelineSchedule, RejectsPlantedFaults) {
  StageActions dropped = buildSchedule(ScheduleKind::OneFOneB, 2, 2);
  dropped[1].erase(dropped[1].begin() + 1); // stage 1's B0
  EXPECT_EQ(errorOf(dropped, 2), "stage 1 never runs B0");

  StageActions twice = buildSchedule(ScheduleKind::GPipe, 2, 2);
  twice[0][1] = {false, 0};
  EXPECT_EQ(errorOf(twice, 2), "stage 0 runs F0 twice");

  StageActions early = buildSchedule(ScheduleKind::GPipe, 2, 2);
  std::swap(early[0][1], early[0][2]); // F0 B0 F1 B1 is fine; B before F:
  std::swap(early[0][0], early[0][1]);
  EXPECT_EQ(errorOf(early, 2), "stage 0 runs B0 before F0");

  // Stage 1 takes microbatch 1 first while stage 0 waits for B0: each
  // waits for the other.
  StageActions crossed = {
      {{false, 0}, {true, 0}, {false, 1}, {true, 1}},
      {{false, 1}, {false, 0}, {true, 0}, {true, 1}}};
  EXPECT_EQ(errorOf(crossed, 2),
            "the schedule deadlocks: stage 0 waits at B0 for B0 of stage 1; "
            "stage 1 waits at F1 for F1 of stage 0");

  StageActions outOfRange = buildSchedule(ScheduleKind::GPipe, 1, 1);
  outOfRange[0][0].microbatch = 3;
  EXPECT_EQ(errorOf(outOfRange, 1),
            "stage 0 runs F3, but the step has 1 microbatches");
}

TEST(PipelineSchedule, Grid) {
  StageActions actions = buildSchedule(ScheduleKind::OneFOneB, 2, 2);
  llvm::Expected<ScheduleTimeline> timeline = simulateSchedule(actions, 2);
  ASSERT_TRUE(bool(timeline));
  std::string text;
  llvm::raw_string_ostream os(text);
  printScheduleGrid(actions, *timeline, os);
  EXPECT_EQ(text, "stage 0  : F0   F1   .    B0   .    B1  \n"
                  "stage 1  : .    F0   B0   F1   B1   .   \n");
}

} // namespace
