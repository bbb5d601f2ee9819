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

std::string actionName(const PipelineAction &action) {
  return formatv("{0}{1}", action.backward ? "B" : "F", action.microbatch)
      .str();
}

Error failure(const Twine &message) {
  return createStringError(inconvertibleErrorCode(), message);
}

} // namespace

std::optional<ScheduleKind> parseScheduleKind(StringRef name) {
  if (name == "gpipe")
    return ScheduleKind::GPipe;
  if (name == "1f1b")
    return ScheduleKind::OneFOneB;
  return std::nullopt;
}

StringRef scheduleKindName(ScheduleKind kind) {
  return kind == ScheduleKind::GPipe ? "gpipe" : "1f1b";
}

StageActions buildSchedule(ScheduleKind kind, size_t stages,
                           size_t microbatches) {
  int64_t m = (int64_t)microbatches;
  StageActions order(stages);
  for (size_t s = 0; s < stages; ++s) {
    std::vector<PipelineAction> &list = order[s];
    int64_t warmup =
        kind == ScheduleKind::GPipe
            ? m
            : std::min<int64_t>((int64_t)(stages - 1 - s), m);
    for (int64_t i = 0; i < warmup; ++i)
      list.push_back({false, i});
    // Steady state and drain: a forward (while any is left), a backward.
    for (int64_t i = 0; i < m; ++i) {
      if (warmup + i < m)
        list.push_back({false, warmup + i});
      list.push_back({true, i});
    }
  }
  return order;
}

Expected<ScheduleTimeline> simulateSchedule(const StageActions &actions,
                                            size_t microbatches,
                                            double forwardSeconds,
                                            double backwardSeconds) {
  size_t stages = actions.size();
  int64_t m = (int64_t)microbatches;
  ScheduleTimeline timeline;
  timeline.start.resize(stages);
  timeline.peakInFlight.assign(stages, 0);
  // Each list runs every F and B once, each B after its F.
  for (size_t s = 0; s < stages; ++s) {
    std::vector<int> seen(2 * m, 0);
    int64_t inFlight = 0;
    for (const PipelineAction &action : actions[s]) {
      if (action.microbatch < 0 || action.microbatch >= m)
        return failure(formatv("stage {0} runs {1}, but the step has {2} "
                               "microbatches",
                               s, actionName(action), m));
      int &count = seen[action.backward * m + action.microbatch];
      if (++count > 1)
        return failure(
            formatv("stage {0} runs {1} twice", s, actionName(action)));
      if (action.backward && !seen[action.microbatch])
        return failure(formatv("stage {0} runs B{1} before F{1}", s,
                               action.microbatch));
      inFlight += action.backward ? -1 : 1;
      timeline.peakInFlight[s] = std::max(timeline.peakInFlight[s], inFlight);
    }
    for (int64_t i = 0; i < 2 * m; ++i)
      if (!seen[i])
        return failure(formatv("stage {0} never runs {1}{2}", s,
                               i < m ? "F" : "B", i % m));
  }

  // done[s][b][mb]: when stage s finished that action.
  std::vector<std::vector<double>> forwardDone(stages,
                                               std::vector<double>(m, kNotYet)),
      backwardDone = forwardDone;
  std::vector<size_t> next(stages, 0);
  std::vector<double> free(stages, 0);
  size_t remaining = 0;
  for (const auto &list : actions)
    remaining += list.size();
  // The finish time of what `action` on stage s waits for; kNotYet while
  // some input is not done. `missing` names the first such input.
  auto ready = [&](size_t s, const PipelineAction &action,
                   std::string *missing) {
    double at = 0;
    auto need = [&](double done, const Twine &what) {
      if (done == kNotYet && missing && missing->empty())
        *missing = what.str();
      at = std::max(at, done);
    };
    int64_t mb = action.microbatch;
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
    for (size_t s = 0; s < stages; ++s)
      while (next[s] < actions[s].size()) {
        const PipelineAction &action = actions[s][next[s]];
        double inputs = ready(s, action, nullptr);
        if (inputs == kNotYet)
          break;
        double start = std::max(free[s], inputs);
        timeline.start[s].push_back(start);
        free[s] =
            start + (action.backward ? backwardSeconds : forwardSeconds);
        (action.backward ? backwardDone : forwardDone)[s][action.microbatch] =
            free[s];
        timeline.makespan = std::max(timeline.makespan, free[s]);
        ++next[s];
        --remaining;
        progressed = true;
      }
    if (progressed)
      continue;
    // Deadlock: every unfinished stage waits for an action that another
    // waiting stage runs only later.
    std::string waits;
    for (size_t s = 0; s < stages; ++s) {
      if (next[s] == actions[s].size())
        continue;
      std::string missing;
      ready(s, actions[s][next[s]], &missing);
      waits += formatv("{0}stage {1} waits at {2} for {3}",
                       waits.empty() ? "" : "; ", s,
                       actionName(actions[s][next[s]]), missing);
    }
    return failure("the schedule deadlocks: " + waits);
  }
  return timeline;
}

void printScheduleGrid(const StageActions &actions,
                       const ScheduleTimeline &timeline, raw_ostream &os) {
  size_t columns = (size_t)std::ceil(timeline.makespan);
  for (size_t s = 0; s < actions.size(); ++s) {
    std::vector<std::string> cells(columns);
    for (auto [action, start] : zip(actions[s], timeline.start[s]))
      if ((size_t)start < columns)
        cells[(size_t)start] = actionName(action);
    os << formatv("stage {0,-3}:", s);
    for (const std::string &cell : cells)
      os << formatv(" {0,-4}", cell.empty() ? "." : cell);
    os << "\n";
  }
}

} // namespace cleave::analysis
