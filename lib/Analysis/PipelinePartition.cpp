//===- PipelinePartition.cpp - exact pipeline split of an op sequence ----===//
//
// The dynamic program: best[i][j] is the smallest bottleneck of ops [0, i)
// split into stages whose last runs on device j and ends at op i. With
// enter[s][j], the best way to start a stage on device j at op s (the
// previous stage's bottleneck and the transfer into j, minimised over the
// previous device),
//
//   best[i][j] = min over s < i of max(enter[s][j], compute(s, i, j))
//
// subject to the stage's memory. compute(s, i, j) only grows as s falls, so
// the scan over s stops once it reaches best[i][j]; so does the memory
// without the transfer buffers, so a binary search bounds the scan before
// it starts; the first device's stage can only start at op 0. enter is
// computed once per (s, j). The cost is O(N * L * K + N * K^2) for N ops,
// K devices and stages of L ops (10,200 ops on 8 devices: 0.22 s, from
// 0.39 s with a full scan of the first device and a memory check per
// start).
//
//===----------------------------------------------------------------------===//

#include "cleave/Analysis/PipelinePartition.h"
#include "llvm/Support/FormatVariadic.h"
#include <algorithm>
#include <cmath>
#include <limits>

using namespace llvm;

namespace cleave::analysis {

namespace {

constexpr double kInfinity = std::numeric_limits<double>::infinity();

int64_t keptBytes(const PipelineProblem &problem, size_t op) {
  return problem.keptBytes.empty() ? 0 : problem.keptBytes[op];
}

int64_t stashBytes(const PipelineProblem &problem, size_t op) {
  return problem.stashBytes.empty() ? 0 : problem.stashBytes[op];
}

int64_t stashCopies(const PipelineProblem &problem, size_t device) {
  return problem.stashCopies.empty() ? 1 : problem.stashCopies[device];
}

int64_t lastUse(const PipelineValue &v) {
  int64_t last = v.producer;
  for (int64_t user : v.users)
    last = std::max(last, user);
  return last;
}

/// "512 B", "11.4 KB", "6.1 MB", "80.0 GB": small models' needs show too.
std::string sizeText(double bytes) {
  if (bytes < 1e3)
    return formatv("{0:f0} B", bytes).str();
  const char *unit = bytes < 1e6 ? "KB" : bytes < 1e9 ? "MB" : "GB";
  double scale = bytes < 1e6 ? 1e3 : bytes < 1e9 ? 1e6 : 1e9;
  return formatv("{0:f1} {1}", bytes / scale, unit).str();
}

/// Per-position sums the program reads in O(1).
struct Prefixes {
  Prefixes(const PipelineProblem &problem) {
    size_t n = problem.weightBytes.size(), k = problem.machine.devices.size();
    weights.assign(n + 1, 0);
    kept.assign(n + 1, 0);
    stash.assign(n + 1, 0);
    for (size_t i = 0; i < n; ++i) {
      weights[i + 1] = weights[i] + problem.weightBytes[i];
      kept[i + 1] = kept[i] + keptBytes(problem, i);
      stash[i + 1] = stash[i] + stashBytes(problem, i);
    }
    seconds.assign(k, std::vector<double>(n + 1, 0));
    for (size_t d = 0; d < k; ++d)
      for (size_t i = 0; i < n; ++i)
        seconds[d][i + 1] = seconds[d][i] + problem.seconds[i][d];
    // crossing[s]: bytes made before op s and read at s or later.
    // live[t]: bytes alive at op t. Both from difference arrays.
    std::vector<int64_t> crossDiff(n + 2, 0), liveDiff(n + 2, 0);
    for (const PipelineValue &v : problem.values) {
      int64_t last = lastUse(v);
      crossDiff[v.producer + 1] += v.bytes;
      crossDiff[last + 1] -= v.bytes;
      liveDiff[v.producer] += v.bytes;
      liveDiff[last + 1] -= v.bytes;
    }
    crossing.assign(n + 1, 0);
    std::vector<int64_t> live(n, 0);
    int64_t c = 0, l = 0;
    for (size_t i = 0; i <= n; ++i) {
      c += crossDiff[i];
      crossing[i] = c;
      if (i < n) {
        l += liveDiff[i];
        live[i] = l;
      }
    }
    // Sparse table of range maxima of live.
    liveMax.push_back(live);
    for (size_t width = 2; width <= n; width *= 2) {
      const std::vector<int64_t> &prev = liveMax.back();
      std::vector<int64_t> next(n - width + 1);
      for (size_t i = 0; i + width <= n; ++i)
        next[i] = std::max(prev[i], prev[i + width / 2]);
      liveMax.push_back(std::move(next));
    }
  }

  /// The most bytes alive at one op of [begin, end) (begin < end).
  int64_t maxLive(size_t begin, size_t end) const {
    size_t level = 63 - __builtin_clzll(end - begin);
    return std::max(liveMax[level][begin], liveMax[level][end - (1ull << level)]);
  }

  std::vector<int64_t> weights, kept, stash, crossing;
  std::vector<std::vector<double>> seconds;
  std::vector<std::vector<int64_t>> liveMax;
};

Error checkProblem(const PipelineProblem &problem) {
  size_t n = problem.weightBytes.size(), k = problem.machine.devices.size();
  if (n == 0 || k == 0 || problem.seconds.size() != n)
    return createStringError(inconvertibleErrorCode(),
                             "pipeline: no ops, no devices, or op times and "
                             "weights of different lengths");
  for (const std::vector<double> &row : problem.seconds)
    if (row.size() != k)
      return createStringError(inconvertibleErrorCode(),
                               "pipeline: an op has no time for some device");
  for (const PipelineValue &v : problem.values)
    if (v.producer < 0 || v.producer >= (int64_t)n ||
        llvm::any_of(v.users, [&](int64_t u) {
          return u <= v.producer || u >= (int64_t)n;
        }))
      return createStringError(inconvertibleErrorCode(),
                               "pipeline: a value is read before it is made");
  return Error::success();
}

} // namespace

Expected<PipelinePlan> evaluatePipeline(const PipelineProblem &problem,
                                        const std::vector<size_t> &cuts,
                                        const std::vector<size_t> &devices) {
  if (Error e = checkProblem(problem))
    return std::move(e);
  size_t n = problem.weightBytes.size(), k = problem.machine.devices.size();
  std::vector<size_t> bounds = {0};
  bounds.insert(bounds.end(), cuts.begin(), cuts.end());
  bounds.push_back(n);
  if (devices.size() + 1 != bounds.size())
    return createStringError(inconvertibleErrorCode(),
                             "pipeline: one device per stage is needed");
  for (size_t s = 0; s < devices.size(); ++s)
    if (bounds[s] >= bounds[s + 1] || devices[s] >= k ||
        (s && devices[s] <= devices[s - 1]))
      return createStringError(inconvertibleErrorCode(),
                               "pipeline: stages must be non-empty and "
                               "devices increasing");
  // Straight from the definitions, one value at a time.
  auto crossing = [&](size_t position) {
    int64_t bytes = 0;
    for (const PipelineValue &v : problem.values)
      if (v.producer < (int64_t)position && lastUse(v) >= (int64_t)position)
        bytes += v.bytes;
    return bytes;
  };
  PipelinePlan plan;
  for (size_t s = 0; s < devices.size(); ++s) {
    PipelineStage stage;
    stage.device = devices[s];
    stage.begin = bounds[s];
    stage.end = bounds[s + 1];
    int64_t maxLive = 0, kept = 0;
    for (size_t op = stage.begin; op < stage.end; ++op) {
      stage.computeSeconds += problem.seconds[op][stage.device];
      stage.weightBytes += problem.weightBytes[op];
      kept += keptBytes(problem, op) +
              stashBytes(problem, op) * stashCopies(problem, stage.device);
      int64_t live = 0;
      for (const PipelineValue &v : problem.values)
        if (v.producer <= (int64_t)op && lastUse(v) >= (int64_t)op)
          live += v.bytes;
      maxLive = std::max(maxLive, live);
    }
    int64_t out = stage.end < n ? crossing(stage.end) : 0;
    stage.receiveBytes = s ? crossing(stage.begin) : 0;
    stage.memoryBytes =
        stage.weightBytes + kept + maxLive + stage.receiveBytes + out;
    const Device &device = problem.machine.devices[stage.device];
    if ((double)stage.memoryBytes > device.memoryCapacity)
      return createStringError(
          inconvertibleErrorCode(),
          formatv("pipeline: stage {0} (ops {1}..{2}) needs {3} on {4}, "
                  "which holds {5}",
                  s, stage.begin, stage.end - 1,
                  sizeText(stage.memoryBytes), device.name,
                  sizeText(device.memoryCapacity))
              .str()
              .c_str());
    if (s)
      stage.receiveSeconds =
          problem.transfersPerRun * problem.machine.transferSeconds(
                                        devices[s - 1], stage.device,
                                        stage.receiveBytes);
    plan.bottleneckSeconds = std::max(
        {plan.bottleneckSeconds, stage.computeSeconds, stage.receiveSeconds});
    plan.latencySeconds += stage.computeSeconds + stage.receiveSeconds;
    plan.stages.push_back(stage);
  }
  return plan;
}

Expected<PipelinePlan> planPipeline(const PipelineProblem &problem) {
  if (Error e = checkProblem(problem))
    return std::move(e);
  size_t n = problem.weightBytes.size(), k = problem.machine.devices.size();
  const Machine &machine = problem.machine;
  Prefixes prefix(problem);
  auto fits = [&](size_t s, size_t i, size_t j, bool withBuffers) {
    double bytes = (double)(prefix.weights[i] - prefix.weights[s]) +
                   (double)(prefix.kept[i] - prefix.kept[s]) +
                   (double)(prefix.stash[i] - prefix.stash[s]) *
                       (double)stashCopies(problem, j) +
                   (double)prefix.maxLive(s, i);
    if (withBuffers)
      bytes += (double)((s ? prefix.crossing[s] : 0) +
                        (i < n ? prefix.crossing[i] : 0));
    return bytes <= machine.devices[j].memoryCapacity;
  };

  // best[j][i], the stage start that achieves it, and the previous device;
  // by device, so that the scans below walk memory in order.
  std::vector<std::vector<double>> best(k, std::vector<double>(n + 1, kInfinity));
  std::vector<std::vector<size_t>> start(k, std::vector<size_t>(n + 1, 0));
  std::vector<std::vector<double>> enter(k, std::vector<double>(n + 1, kInfinity));
  std::vector<std::vector<size_t>> from(k, std::vector<size_t>(n + 1, 0));
  for (size_t j = 0; j < k; ++j)
    enter[j][0] = 0; // The first stage starts at op 0, on any device.
  for (size_t i = 1; i <= n; ++i) {
    for (size_t j = 0; j < k; ++j) {
      double &value = best[j][i];
      const double *time = prefix.seconds[j].data();
      const double *entering = enter[j].data();
      // The earliest start whose stage fits without its buffers: a stage
      // only needs more memory as its start falls, so a binary search
      // finds it.
      if (!fits(i - 1, i, j, /*withBuffers=*/false))
        continue;
      size_t lowest = 0, fitting = i - 1;
      while (lowest < fitting) {
        size_t middle = lowest + (fitting - lowest) / 2;
        if (fits(middle, i, j, /*withBuffers=*/false))
          fitting = middle;
        else
          lowest = middle + 1;
      }
      // The first device has no earlier one: its stage starts at op 0.
      if (j == 0)
        lowest = i;
      for (size_t s = i; s-- > lowest;) {
        double compute = time[i] - time[s];
        if (compute >= value)
          break; // Earlier starts only cost more.
        double candidate = std::max(entering[s], compute);
        if (candidate < value && fits(s, i, j, /*withBuffers=*/true)) {
          value = candidate;
          start[j][i] = s;
        }
      }
      if (j == 0 && fitting == 0) {
        double candidate = time[i] - time[0];
        if (candidate < value && fits(0, i, j, /*withBuffers=*/true)) {
          value = candidate;
          start[j][i] = 0;
        }
      }
    }
    if (i == n)
      break;
    // Entering a stage at op i on device j from an earlier device.
    for (size_t j = 0; j < k; ++j) {
      for (size_t p = 0; p < j; ++p) {
        if (best[p][i] == kInfinity)
          continue;
        double candidate =
            std::max(best[p][i],
                     problem.transfersPerRun *
                         machine.transferSeconds(p, j, prefix.crossing[i]));
        if (candidate < enter[j][i]) {
          enter[j][i] = candidate;
          from[j][i] = p;
        }
      }
    }
  }

  size_t last = 0;
  for (size_t j = 1; j < k; ++j)
    if (best[j][n] < best[last][n])
      last = j;
  if (best[last][n] == kInfinity) {
    int64_t mostCopies = 0;
    for (size_t j = 0; j < k; ++j)
      mostCopies = std::max(mostCopies, stashCopies(problem, j));
    double largest = 0;
    for (const Device &device : machine.devices)
      largest = std::max(largest, device.memoryCapacity);
    return createStringError(
        inconvertibleErrorCode(),
        formatv("the model does not fit the devices' memory: its {0} {1} "
                "and up to {2} of activations{3} are alive at once, but each "
                "of the {4} devices holds at most {5}",
                problem.training ? "parameters and optimizer state are"
                                 : "weights are",
                sizeText(prefix.weights[n]),
                sizeText(prefix.kept[n] + prefix.maxLive(0, n) +
                         prefix.stash[n] * mostCopies),
                problem.training ? " (those kept for the backward pass "
                                   "included)"
                                 : "",
                k, sizeText(largest))
            .str()
            .c_str());
  }
  // Walk back through the choices.
  std::vector<size_t> cuts, devices;
  for (size_t i = n, j = last;;) {
    devices.insert(devices.begin(), j);
    size_t s = start[j][i];
    if (s == 0)
      break;
    cuts.insert(cuts.begin(), s);
    j = from[j][s];
    i = s;
  }
  // The chosen split's figures, from the same prefix sums.
  PipelinePlan plan;
  std::vector<size_t> bounds = {0};
  bounds.insert(bounds.end(), cuts.begin(), cuts.end());
  bounds.push_back(n);
  for (size_t s = 0; s < devices.size(); ++s) {
    PipelineStage stage;
    stage.device = devices[s];
    stage.begin = bounds[s];
    stage.end = bounds[s + 1];
    stage.computeSeconds = prefix.seconds[stage.device][stage.end] -
                           prefix.seconds[stage.device][stage.begin];
    stage.weightBytes =
        prefix.weights[stage.end] - prefix.weights[stage.begin];
    stage.receiveBytes = s ? prefix.crossing[stage.begin] : 0;
    stage.memoryBytes = stage.weightBytes +
                        prefix.kept[stage.end] - prefix.kept[stage.begin] +
                        (prefix.stash[stage.end] - prefix.stash[stage.begin]) *
                            stashCopies(problem, stage.device) +
                        prefix.maxLive(stage.begin, stage.end) +
                        stage.receiveBytes +
                        (stage.end < n ? prefix.crossing[stage.end] : 0);
    if (s)
      stage.receiveSeconds =
          problem.transfersPerRun *
          machine.transferSeconds(devices[s - 1], stage.device,
                                  stage.receiveBytes);
    plan.bottleneckSeconds = std::max(
        {plan.bottleneckSeconds, stage.computeSeconds, stage.receiveSeconds});
    plan.latencySeconds += stage.computeSeconds + stage.receiveSeconds;
    plan.stages.push_back(stage);
  }
  return plan;
}

} // namespace cleave::analysis
