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

/// "F0 F1 B0 ...", or with `stages` "0F0 0F1 2F0 ...".
std::string orderText(const std::vector<PipelineAction> &actions,
                      bool stages = false) {
  std::string text;
  for (const PipelineAction &action : actions)
    text += (text.empty() ? "" : " ") +
            (stages ? std::to_string(action.stage) : "") +
            std::string(action.backward ? "B" : "F") +
            std::to_string(action.microbatch);
  return text;
}

StageActions build(ScheduleKind kind, size_t devices, size_t microbatches,
                   size_t chunks = 1) {
  return llvm::cantFail(
      buildSchedule(Schedule{kind, chunks}, devices, microbatches));
}

std::string errorOf(const StageActions &actions, size_t microbatches) {
  llvm::Expected<ScheduleTimeline> timeline =
      simulateSchedule(actions, microbatches);
  if (timeline)
    return "";
  return llvm::toString(timeline.takeError());
}

TEST(PipelineSchedule, OneFOneBOrders) {
  StageActions actions = build(ScheduleKind::OneFOneB, 4, 6);
  EXPECT_EQ(orderText(actions[0]),
            "F0 F1 F2 F3 B0 F4 B1 F5 B2 B3 B4 B5");
  EXPECT_EQ(orderText(actions[2]),
            "F0 F1 B0 F2 B1 F3 B2 F4 B3 F5 B4 B5");
  EXPECT_EQ(orderText(actions[3]),
            "F0 B0 F1 B1 F2 B2 F3 B3 F4 B4 F5 B5");
}

TEST(PipelineSchedule, GPipeOrders) {
  StageActions actions = build(ScheduleKind::GPipe, 2, 3);
  for (const auto &stage : actions)
    EXPECT_EQ(orderText(stage), "F0 F1 F2 B0 B1 B2");
}

TEST(PipelineSchedule, TimelinesMatchClosedForms) {
  for (size_t p : {1, 2, 3, 4, 8})
    for (size_t m : {1, 2, 4, 7, 16})
      for (ScheduleKind kind : {ScheduleKind::GPipe, ScheduleKind::OneFOneB}) {
        StageActions actions = build(kind, p, m);
        llvm::Expected<ScheduleTimeline> timeline =
            simulateSchedule(actions, m);
        ASSERT_TRUE(bool(timeline)) << llvm::toString(timeline.takeError());
        // Unit forwards and backwards: the bubble is p - 1 of each.
        EXPECT_DOUBLE_EQ(timeline->makespan, 2.0 * (m + p - 1))
            << scheduleName({kind, 1}) << " p=" << p << " m=" << m;
        for (size_t s = 0; s < p; ++s)
          EXPECT_EQ(timeline->peakInFlight[s],
                    kind == ScheduleKind::GPipe ? (int64_t)m
                                                : (int64_t)std::min(p - s, m))
              << scheduleName({kind, 1}) << " p=" << p << " m=" << m
              << " stage " << s;
      }
}

TEST(PipelineSchedule, InterleavedOrders) {
  // Megatron-LM's order on 2 devices, 2 chunks, 4 microbatches: device 0
  // (stages 0 and 2) warms up with (v - 1) p + 2 (p - 1 - r) = 4 forwards,
  // taking microbatches in rounds of p = 2 through each chunk in turn.
  StageActions actions = build(ScheduleKind::Interleaved, 2, 4, 2);
  EXPECT_EQ(orderText(actions[0], true),
            "0F0 0F1 2F0 2F1 0F2 2B0 0F3 2B1 2F2 0B0 2F3 0B1 "
            "2B2 2B3 0B2 0B3");
  EXPECT_EQ(orderText(actions[1], true),
            "1F0 1F1 3F0 3B0 3F1 3B1 1F2 1B0 1F3 1B1 3F2 3B2 "
            "3F3 3B3 1B2 1B3");
}

TEST(PipelineSchedule, InterleavedTimelines) {
  // With unit actions a device idles p - 1 chunk-times in each direction:
  // the makespan is 2 (v M + p - 1), the bubble v times smaller than
  // 1F1B's in stage-times.
  for (size_t p : {2, 3, 4, 8})
    for (size_t v : {2, 3, 4})
      for (size_t rounds : {1, 2, 3, 5}) {
        size_t m = rounds * p;
        StageActions actions = build(ScheduleKind::Interleaved, p, m, v);
        llvm::Expected<ScheduleTimeline> timeline =
            simulateSchedule(actions, m);
        ASSERT_TRUE(bool(timeline)) << llvm::toString(timeline.takeError());
        EXPECT_DOUBLE_EQ(timeline->makespan, 2.0 * (v * m + p - 1))
            << "p=" << p << " v=" << v << " m=" << m;
        ASSERT_EQ(timeline->peakInFlight.size(), p * v);
        for (int64_t peak : timeline->peakInFlight)
          EXPECT_LE(peak, (int64_t)m);
      }
}

TEST(PipelineSchedule, InterleavedNeedsRounds) {
  llvm::Expected<StageActions> actions =
      buildSchedule({ScheduleKind::Interleaved, 2}, 2, 3);
  ASSERT_FALSE(bool(actions));
  EXPECT_EQ(llvm::toString(actions.takeError()),
            "the interleaved schedule takes microbatches in rounds of one per "
            "device: 3 microbatches do not divide among 2 devices");
}

TEST(PipelineSchedule, ParsesNames) {
  for (const char *name :
       {"gpipe", "1f1b", "interleaved:v=2", "interleaved:v=4"})
    EXPECT_EQ(scheduleName(*parseSchedule(name)), name);
  EXPECT_EQ(parseSchedule("interleaved")->chunks, 2u);
  for (const char *bad :
       {"zigzag", "interleaved:v=1", "interleaved:v=x", "interleaved:2"})
    EXPECT_FALSE(parseSchedule(bad)) << bad;
}

TEST(PipelineSchedule, UnequalTimes) {
  // Backward twice the forward. Stage 1 runs F0 at 1 (after stage 0's),
  // B0 at 2, F1 at 4 and B1 at 5; stage 0 runs F0 and F1 at 0 and 1, then
  // waits for stage 1's B0 (done at 4) and B1 (done at 7).
  StageActions actions = build(ScheduleKind::OneFOneB, 2, 2);
  llvm::Expected<ScheduleTimeline> timeline =
      simulateSchedule(actions, 2, 1, 2);
  ASSERT_TRUE(bool(timeline));
  EXPECT_EQ(timeline->start[0], (std::vector<double>{0, 1, 4, 7}));
  EXPECT_EQ(timeline->start[1], (std::vector<double>{1, 2, 4, 5}));
  EXPECT_DOUBLE_EQ(timeline->makespan, 9);
}

TEST(PipelineSchedule, RejectsPlantedFaults) {
  StageActions dropped = build(ScheduleKind::OneFOneB, 2, 2);
  dropped[1].erase(dropped[1].begin() + 1); // stage 1's B0
  EXPECT_EQ(errorOf(dropped, 2), "stage 1 never runs B0");

  StageActions twice = build(ScheduleKind::GPipe, 2, 2);
  twice[0][1] = {false, 0, 0};
  EXPECT_EQ(errorOf(twice, 2), "stage 0 runs F0 twice");

  StageActions early = build(ScheduleKind::GPipe, 2, 2);
  std::swap(early[0][1], early[0][2]); // F0 B0 F1 B1 is fine; B before F:
  std::swap(early[0][0], early[0][1]);
  EXPECT_EQ(errorOf(early, 2), "stage 0 runs B0 before F0");

  // Stage 1 takes microbatch 1 first while stage 0 waits for B0: each
  // waits for the other.
  StageActions crossed = {
      {{false, 0, 0}, {true, 0, 0}, {false, 1, 0}, {true, 1, 0}},
      {{false, 1, 1}, {false, 0, 1}, {true, 0, 1}, {true, 1, 1}}};
  EXPECT_EQ(errorOf(crossed, 2),
            "the schedule deadlocks: stage 0 waits at B0 for B0 of stage 1; "
            "stage 1 waits at F1 for F1 of stage 0");

  // Stage 1 on both devices.
  StageActions shared = build(ScheduleKind::Interleaved, 2, 2, 2);
  shared[0][0].stage = 1;
  EXPECT_EQ(errorOf(shared, 2), "stage 1 runs on devices 0 and 1");

  // Interleaved, device 1 runs stage 3's backward before its forward can
  // come back: it waits for its own stage 1 ... which it has not run.
  StageActions swapped = build(ScheduleKind::Interleaved, 2, 2, 2);
  std::swap(swapped[1][0], swapped[1][2]); // 3F0 before 1F0
  EXPECT_EQ(errorOf(swapped, 2),
            "the schedule deadlocks: device 0 waits at 2F0 for F0 of stage "
            "1; device 1 waits at 3F0 for F0 of stage 2");

  StageActions outOfRange = build(ScheduleKind::GPipe, 1, 1);
  outOfRange[0][0].microbatch = 3;
  EXPECT_EQ(errorOf(outOfRange, 1),
            "stage 0 runs F3, but the step has 1 microbatches");
}

TEST(PipelineSchedule, Grid) {
  StageActions actions = build(ScheduleKind::OneFOneB, 2, 2);
  llvm::Expected<ScheduleTimeline> timeline = simulateSchedule(actions, 2);
  ASSERT_TRUE(bool(timeline));
  std::string text;
  llvm::raw_string_ostream os(text);
  printScheduleGrid(actions, *timeline, os);
  EXPECT_EQ(text, "stage 0  : F0   F1   .    B0   .    B1  \n"
                  "stage 1  : .    F0   B0   F1   B1   .   \n");

  StageActions interleaved = build(ScheduleKind::Interleaved, 2, 2, 2);
  timeline = simulateSchedule(interleaved, 2);
  ASSERT_TRUE(bool(timeline));
  text.clear();
  printScheduleGrid(interleaved, *timeline, os);
  // Device 0 waits for device 1's 3B0 (at 4) and 3B1 (at 6).
  EXPECT_EQ(text, "device 0  : 0F0  0F1  2F0  2F1  .    2B0  .    2B1  0B0  "
                  "0B1 \n"
                  "device 1  : .    1F0  1F1  3F0  3B0  3F1  3B1  1B0  1B1  "
                  ".   \n");
}

} // namespace
