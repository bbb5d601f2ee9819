//===- PipelineSchedule.cpp - training schedules of pipeline stages -------===//

#include "cleave/Analysis/PipelineSchedule.h"
#include "llvm/Support/FormatVariadic.h"
#include <algorithm>
#include <cmath>
#include <limits>

using namespace llvm;

namespace cleave::analysis {

namespace {

constexpr double kNotYet = std::numeric_limits<double>::infinity();

/// "F3", or "2F3" (stage 2) where a device runs several stages.
std::string actionName(const PipelineAction &action, bool withStage = false) {
  return formatv("{0}{1}{2}", withStage ? std::to_string(action.stage) : "",
                 action.backward ? "B" : "F", action.microbatch)
      .str();
}

Error failure(const Twine &message) {
  return createStringError(inconvertibleErrorCode(), message);
}

/// Whether some device runs more than one stage.
bool severalStagesPerDevice(const StageActions &actions) {
  for (const auto &list : actions)
    for (const PipelineAction &action : list)
      if (action.stage != list.front().stage)
        return true;
  return false;
}

/// Megatron-LM's interleaved 1F1B on device r of p, with v chunks: the
/// k-th forward runs chunk (k / p) mod v of microbatch (k / (p v)) p +
/// k mod p, the k-th backward the chunks in reverse.
std::vector<PipelineAction> interleavedOrder(size_t r, size_t p, size_t v,
                                             size_t m) {
  int64_t total = (int64_t)(m * v);
  int64_t warmup =
      std::min<int64_t>((int64_t)((v - 1) * p + 2 * (p - 1 - r)), total);
  auto action = [&](int64_t k, bool backward) {
    int64_t chunk = (k / (int64_t)p) % (int64_t)v;
    if (backward)
      chunk = (int64_t)v - 1 - chunk;
    int64_t microbatch = k / (int64_t)(p * v) * (int64_t)p + k % (int64_t)p;
    return PipelineAction{backward, microbatch,
                          chunk * (int64_t)p + (int64_t)r};
  };
  std::vector<PipelineAction> list;
  for (int64_t k = 0; k < warmup; ++k)
    list.push_back(action(k, false));
  for (int64_t i = 0; i < total; ++i) {
    if (warmup + i < total)
      list.push_back(action(warmup + i, false));
    list.push_back(action(i, true));
  }
  return list;
}

} // namespace

std::optional<Schedule> parseSchedule(StringRef name) {
  if (name == "gpipe")
    return Schedule{ScheduleKind::GPipe, 1};
  if (name == "1f1b")
    return Schedule{ScheduleKind::OneFOneB, 1};
  if (name == "interleaved")
    return Schedule{ScheduleKind::Interleaved, 2};
  size_t chunks = 0;
  if (name.consume_front("interleaved:v=") && !name.getAsInteger(10, chunks) &&
      chunks >= 2)
    return Schedule{ScheduleKind::Interleaved, chunks};
  return std::nullopt;
}

std::string scheduleName(const Schedule &schedule) {
  switch (schedule.kind) {
  case ScheduleKind::GPipe:
    return "gpipe";
  case ScheduleKind::OneFOneB:
    return "1f1b";
  case ScheduleKind::Interleaved:
    return formatv("interleaved:v={0}", schedule.chunks).str();
  }
  return "";
}

Expected<StageActions> buildSchedule(const Schedule &schedule, size_t devices,
                                     size_t microbatches) {
  int64_t m = (int64_t)microbatches;
  StageActions order(devices);
  if (schedule.kind == ScheduleKind::Interleaved) {
    if (devices == 0 || microbatches % devices)
      return failure(formatv("the interleaved schedule takes microbatches in "
                             "rounds of one per device: {0} microbatches do "
                             "not divide among {1} devices",
                             microbatches, devices));
    for (size_t r = 0; r < devices; ++r)
      order[r] = interleavedOrder(r, devices, schedule.chunks, microbatches);
    return order;
  }
  for (size_t s = 0; s < devices; ++s) {
    std::vector<PipelineAction> &list = order[s];
    int64_t stage = (int64_t)s;
    int64_t warmup = schedule.kind == ScheduleKind::GPipe
                         ? m
                         : std::min<int64_t>((int64_t)(devices - 1 - s), m);
    for (int64_t i = 0; i < warmup; ++i)
      list.push_back({false, i, stage});
    // Steady state and drain: a forward (while any is left), a backward.
    for (int64_t i = 0; i < m; ++i) {
      if (warmup + i < m)
        list.push_back({false, warmup + i, stage});
      list.push_back({true, i, stage});
    }
  }
  return order;
}

Expected<ScheduleTimeline> simulateSchedule(const StageActions &actions,
                                            size_t microbatches,
                                            double forwardSeconds,
                                            double backwardSeconds) {
  size_t devices = actions.size();
  int64_t m = (int64_t)microbatches;
  // The stages: 0, 1, ..., each on one device.
  int64_t stages = 0;
  for (const auto &list : actions)
    for (const PipelineAction &action : list) {
      if (action.stage < 0)
        return failure(formatv("device runs stage {0}", action.stage));
      stages = std::max(stages, action.stage + 1);
    }
  std::vector<int64_t> deviceOf(stages, -1);
  for (size_t d = 0; d < devices; ++d)
    for (const PipelineAction &action : actions[d]) {
      int64_t &owner = deviceOf[action.stage];
      if (owner >= 0 && owner != (int64_t)d)
        return failure(formatv("stage {0} runs on devices {1} and {2}",
                               action.stage, owner, d));
      owner = (int64_t)d;
    }
  for (int64_t s = 0; s < stages; ++s)
    if (deviceOf[s] < 0)
      return failure(formatv("no device runs stage {0}", s));

  ScheduleTimeline timeline;
  timeline.start.resize(devices);
  timeline.peakInFlight.assign(stages, 0);
  // Each stage runs every F and B once, each B after its F.
  std::vector<std::vector<int>> seen(stages, std::vector<int>(2 * m, 0));
  std::vector<int64_t> inFlight(stages, 0);
  for (const auto &list : actions)
    for (const PipelineAction &action : list) {
      int64_t s = action.stage;
      if (action.microbatch < 0 || action.microbatch >= m)
        return failure(formatv("stage {0} runs {1}, but the step has {2} "
                               "microbatches",
                               s, actionName(action), m));
      int &count = seen[s][action.backward * m + action.microbatch];
      if (++count > 1)
        return failure(
            formatv("stage {0} runs {1} twice", s, actionName(action)));
      if (action.backward && !seen[s][action.microbatch])
        return failure(formatv("stage {0} runs B{1} before F{1}", s,
                               action.microbatch));
      inFlight[s] += action.backward ? -1 : 1;
      timeline.peakInFlight[s] =
          std::max(timeline.peakInFlight[s], inFlight[s]);
    }
  for (int64_t s = 0; s < stages; ++s)
    for (int64_t i = 0; i < 2 * m; ++i)
      if (!seen[s][i])
        return failure(formatv("stage {0} never runs {1}{2}", s,
                               i < m ? "F" : "B", i % m));

  // done[s][mb]: when stage s finished that action.
  std::vector<std::vector<double>> forwardDone(stages,
                                               std::vector<double>(m, kNotYet)),
      backwardDone = forwardDone;
  std::vector<size_t> next(devices, 0);
  std::vector<double> free(devices, 0);
  size_t remaining = 0;
  for (const auto &list : actions)
    remaining += list.size();
  // The finish time of what `action` waits for; kNotYet while some input
  // is not done. `missing` names the first such input.
  auto ready = [&](const PipelineAction &action, std::string *missing) {
    double at = 0;
    auto need = [&](double done, const Twine &what) {
      if (done == kNotYet && missing && missing->empty())
        *missing = what.str();
      at = std::max(at, done);
    };
    int64_t mb = action.microbatch, s = action.stage;
    if (!action.backward) {
      if (s > 0)
        need(forwardDone[s - 1][mb], formatv("F{0} of stage {1}", mb, s - 1));
    } else {
      need(forwardDone[s][mb], formatv("its own F{0}", mb));
      if (s + 1 < stages)
        need(backwardDone[s + 1][mb], formatv("B{0} of stage {1}", mb, s + 1));
    }
    return at;
  };
  while (remaining) {
    bool progressed = false;
    for (size_t d = 0; d < devices; ++d)
      while (next[d] < actions[d].size()) {
        const PipelineAction &action = actions[d][next[d]];
        double inputs = ready(action, nullptr);
        if (inputs == kNotYet)
          break;
        double start = std::max(free[d], inputs);
        timeline.start[d].push_back(start);
        free[d] = start + (action.backward ? backwardSeconds : forwardSeconds);
        (action.backward ? backwardDone
                         : forwardDone)[action.stage][action.microbatch] =
            free[d];
        timeline.makespan = std::max(timeline.makespan, free[d]);
        ++next[d];
        --remaining;
        progressed = true;
      }
    if (progressed)
      continue;
    // Deadlock: every unfinished device waits for an action that another
    // waiting device runs only later.
    bool several = severalStagesPerDevice(actions);
    std::string waits;
    for (size_t d = 0; d < devices; ++d) {
      if (next[d] == actions[d].size())
        continue;
      const PipelineAction &action = actions[d][next[d]];
      std::string missing;
      ready(action, &missing);
      waits += formatv("{0}{1} {2} waits at {3} for {4}",
                       waits.empty() ? "" : "; ", several ? "device" : "stage",
                       d, actionName(action, several), missing);
    }
    return failure("the schedule deadlocks: " + waits);
  }
  return timeline;
}

Expected<std::vector<int64_t>> scheduleStashCopies(const Schedule &schedule,
                                                   size_t devices,
                                                   size_t microbatches) {
  Expected<StageActions> actions =
      buildSchedule(schedule, devices, microbatches);
  if (!actions)
    return actions.takeError();
  Expected<ScheduleTimeline> timeline =
      simulateSchedule(*actions, microbatches);
  if (!timeline)
    return timeline.takeError();
  return timeline->peakInFlight;
}

double scheduleBubble(const Schedule &schedule, size_t devices,
                      size_t microbatches) {
  double p = (double)devices;
  return (p - 1) / ((double)(schedule.chunks * microbatches) + p - 1);
}

void printScheduleGrid(const StageActions &actions,
                       const ScheduleTimeline &timeline, raw_ostream &os) {
  bool several = severalStagesPerDevice(actions);
  size_t columns = (size_t)std::ceil(timeline.makespan), width = 4;
  for (const auto &list : actions)
    for (const PipelineAction &action : list)
      width = std::max(width, actionName(action, several).size() + 1);
  for (size_t d = 0; d < actions.size(); ++d) {
    std::vector<std::string> cells(columns);
    for (auto [action, start] : zip(actions[d], timeline.start[d]))
      if ((size_t)start < columns)
        cells[(size_t)start] = actionName(action, several);
    os << formatv("{0} {1,-3}:", several ? "device" : "stage", d);
    for (const std::string &cell : cells)
      os << " " << left_justify(cell.empty() ? "." : cell, width);
    os << "\n";
  }
}

} // namespace cleave::analysis
