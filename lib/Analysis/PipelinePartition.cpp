//===- PipelinePartition.cpp - exact pipeline split of an op sequence ----===//
//
// The dynamic program: best[j][i] is the smallest bottleneck of ops [0, i)
// split into stages whose last runs on device j and ends at op i:
//
//   best[j][i] = min over s < i, p < j of
//                max(best[p][s], transfer(p, j, received(s, i)),
//                    compute(s, i, j))
//
// (on a device that receives in its own time, a CPU process, the inner
// max is compute plus the transfers it receives itself: the forward share
// of the transfer in, and the gradients of what the stage sends, known in
// the scan as sent(s, i))
// subject to the stage's memory. A transfer's time depends on p only
// through its link (same node or not), so the best previous device of
// each kind is kept per (s, j): O(1) per candidate. The bytes a stage
// [s, i) receives and sends change by the values op s makes and reads as s
// falls, so the scan down from i keeps them up to date (once per i for
// every device). compute(s, i, j) only grows as s falls, so the scan stops
// once it reaches best[j][i]; so does the memory without the transfer
// buffers, so a binary search bounds the scan before it starts, and the
// buffers are checked for the best start only (the scan is redone with a
// check per start when they do not fit); the first device's stage can
// only start at op 0. The cost is O(N * L * K + N * K^2) for N ops, K
// devices and stages of L ops (10,200 ops on 8 devices: 0.22 s when each
// boundary's bytes were a prefix sum, 0.27 s with the flows and one
// buffer check per stage end, 0.40 s with a check per start).
//
//===----------------------------------------------------------------------===//

#include "cleave/Analysis/PipelinePartition.h"
#include "llvm/Support/FormatVariadic.h"
#include <algorithm>
#include <array>
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

/// Seconds device `device` spends receiving the gradients of `bytes` it
/// sends, per run, over the link from the next device in machine order.
double returnSeconds(const PipelineProblem &problem, size_t device,
                     int64_t bytes) {
  if (!problem.returnsPerRun || !bytes ||
      device + 1 >= problem.machine.devices.size())
    return 0;
  return (double)problem.returnsPerRun *
         problem.machine.transferSeconds(device + 1, device, bytes);
}

/// A stage's own receives (PipelineStage::ownReceiveSeconds) from the
/// link time of what it reads: the forward share of those moves, and the
/// gradients of what it sends.
double ownReceiveSeconds(const PipelineProblem &problem,
                         const PipelineStage &stage) {
  double forward = (double)(problem.transfersPerRun - problem.returnsPerRun) /
                   (double)problem.transfersPerRun;
  return forward * stage.receiveSeconds +
         returnSeconds(problem, stage.device, stage.sendBytes);
}

int64_t lastUse(const PipelineValue &v) {
  int64_t last = v.producer;
  for (int64_t user : v.users)
    last = std::max(last, user);
  return last;
}

/// The bytes a stage [begin, end) receives (values made before it that it
/// reads, each once) and sends (values it makes that a later op reads),
/// straight from the definitions.
std::pair<int64_t, int64_t> stageFlows(const PipelineProblem &problem,
                                       size_t begin, size_t end) {
  int64_t received = 0, sent = 0;
  for (const PipelineValue &v : problem.values) {
    auto inStage = [&](int64_t op) {
      return op >= (int64_t)begin && op < (int64_t)end;
    };
    if (v.producer < (int64_t)begin && llvm::any_of(v.users, inStage))
      received += v.bytes;
    if (inStage(v.producer) && lastUse(v) >= (int64_t)end)
      sent += v.bytes;
  }
  return {received, sent};
}

/// What each op changes in a stage's received and sent bytes when the
/// stage grows down to start at it. Flat arrays by op (the DP grows stages
/// tens of millions of times).
struct Flows {
  explicit Flows(const PipelineProblem &problem) {
    constexpr int64_t kNever = std::numeric_limits<int64_t>::max();
    size_t n = problem.weightBytes.size();
    // A value an op makes: its first and last readers. A value made
    // earlier that an op reads: its next reader after the op.
    std::vector<std::vector<std::array<int64_t, 3>>> made(n);
    std::vector<std::vector<std::array<int64_t, 2>>> reads(n);
    for (const PipelineValue &v : problem.values) {
      std::vector<int64_t> users = v.users;
      llvm::sort(users);
      users.erase(std::unique(users.begin(), users.end()), users.end());
      made[v.producer].push_back(
          {v.bytes, users.empty() ? kNever : users.front(), lastUse(v)});
      for (size_t u = 0; u < users.size(); ++u)
        reads[users[u]].push_back(
            {v.bytes, u + 1 < users.size() ? users[u + 1] : kNever});
    }
    madeStart.push_back(0);
    readStart.push_back(0);
    for (size_t op = 0; op < n; ++op) {
      for (const auto &[bytes, first, last] : made[op])
        madeValues.push_back({bytes, first, last});
      for (const auto &[bytes, next] : reads[op])
        readValues.push_back({bytes, next});
      madeStart.push_back(madeValues.size());
      readStart.push_back(readValues.size());
    }
  }

  /// Stage [s + 1, end) becomes [s, end).
  void grow(size_t s, size_t end, int64_t &received, int64_t &sent) const {
    int64_t e = (int64_t)end;
    for (size_t m = madeStart[s]; m < madeStart[s + 1]; ++m) {
      const Made &made = madeValues[m];
      if (made.firstUse < e)
        received -= made.bytes; // Made inside now, no longer received.
      if (made.lastUse >= e)
        sent += made.bytes;
    }
    for (size_t r = readStart[s]; r < readStart[s + 1]; ++r)
      if (readValues[r].nextUse >= e)
        received += readValues[r].bytes; // No later reader counted it.
  }

  struct Made {
    int64_t bytes, firstUse, lastUse;
  };
  struct Read {
    int64_t bytes, nextUse;
  };
  std::vector<Made> madeValues;
  std::vector<Read> readValues;
  std::vector<size_t> madeStart, readStart;
};

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
    // crossing[i]: bytes made before op i and read at i or later (what a
    // stage [0, i) sends). live[t]: bytes alive at op t. Both from
    // difference arrays.
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
    std::tie(stage.receiveBytes, stage.sendBytes) =
        stageFlows(problem, stage.begin, stage.end);
    stage.memoryBytes = stage.weightBytes + kept + maxLive +
                        stage.receiveBytes + stage.sendBytes;
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
    stage.ownReceiveSeconds = ownReceiveSeconds(problem, stage);
    plan.bottleneckSeconds =
        std::max(plan.bottleneckSeconds, stageSeconds(stage, device));
    plan.latencySeconds += stage.computeSeconds + stage.receiveSeconds;
    plan.stages.push_back(stage);
  }
  return plan;
}

double stageSeconds(const PipelineStage &stage, const Device &device) {
  return device.receivesTakeComputeTime()
             ? stage.computeSeconds + stage.ownReceiveSeconds
             : std::max(stage.computeSeconds, stage.receiveSeconds);
}

Expected<PipelinePlan> planPipeline(const PipelineProblem &problem) {
  if (Error e = checkProblem(problem))
    return std::move(e);
  size_t n = problem.weightBytes.size(), k = problem.machine.devices.size();
  if (problem.useEveryDevice && n < k)
    return createStringError(
        inconvertibleErrorCode(),
        formatv("{0} stages need at least as many ops to place, but there "
                "are {1}",
                k, n)
            .str()
            .c_str());
  const Machine &machine = problem.machine;
  Prefixes prefix(problem);
  Flows flows(problem);
  // The memory of stage [s, i) on device j; its transfer buffers are
  // `buffers` bytes.
  auto fits = [&](size_t s, size_t i, size_t j, int64_t buffers) {
    double bytes = (double)(prefix.weights[i] - prefix.weights[s]) +
                   (double)(prefix.kept[i] - prefix.kept[s]) +
                   (double)(prefix.stash[i] - prefix.stash[s]) *
                       (double)stashCopies(problem, j) +
                   (double)prefix.maxLive(s, i) + (double)buffers;
    return bytes <= machine.devices[j].memoryCapacity;
  };
  // The link into each device from an earlier one on its node (near) and
  // on another (far), looked up once: the scan below times a transfer for
  // every candidate.
  struct Timing {
    double latency = 0, secondsPerByte = 0;
    double seconds(int64_t bytes) const {
      return bytes ? latency + (double)bytes * secondsPerByte : 0.0;
    }
  };
  std::vector<Timing> nearLink(k), farLink(k);
  for (size_t j = 0; j < k; ++j)
    for (size_t p = 0; p < j; ++p) {
      const Link &link = machine.linkBetween(p, j);
      Timing timing{problem.transfersPerRun * link.latency,
                    problem.transfersPerRun / link.bandwidth};
      (machine.devices[p].node == machine.devices[j].node ? nearLink[j]
                                                          : farLink[j]) =
          timing;
    }

  // best[j][i], the stage start that achieves it and the previous device;
  // by device, so that the scans below walk memory in order.
  std::vector<std::vector<double>> best(k, std::vector<double>(n + 1, kInfinity));
  std::vector<std::vector<size_t>> start(k, std::vector<size_t>(n + 1, 0));
  std::vector<std::vector<size_t>> from(k, std::vector<size_t>(n + 1, 0));
  // The best previous device p < j whose stage ends at s, on j's node
  // (near) and on another (far): a transfer costs the same from every
  // device of one kind.
  struct Entry {
    double seconds = kInfinity;
    size_t device = 0;
  };
  std::vector<std::vector<Entry>> near(k, std::vector<Entry>(n + 1)),
      far(k, std::vector<Entry>(n + 1));
  // The lesser of the two: no entry at s costs less, transfers aside.
  std::vector<std::vector<double>> entering(
      k, std::vector<double>(n + 1, kInfinity));
  // received[s] and sent[s]: the bytes of stage [s, i) for the current i,
  // known for s >= known.
  std::vector<int64_t> received(n + 1, 0), sent(n + 1, 0);
  for (size_t i = 1; i <= n; ++i) {
    size_t known = i;
    int64_t in = 0, out = 0;
    auto flowsFrom = [&](size_t s) {
      for (; known > s; received[known] = in, sent[known] = out)
        flows.grow(--known, i, in, out);
    };
    for (size_t j = 0; j < k; ++j) {
      double &value = best[j][i];
      const double *time = prefix.seconds[j].data();
      // The earliest start whose stage fits without its buffers: a stage
      // only needs more memory as its start falls, so a binary search
      // finds it.
      if (!fits(i - 1, i, j, 0))
        continue;
      size_t lowest = 0, fitting = i - 1;
      while (lowest < fitting) {
        size_t middle = lowest + (fitting - lowest) / 2;
        if (fits(middle, i, j, 0))
          fitting = middle;
        else
          lowest = middle + 1;
      }
      // The first device has no earlier one: its stage starts at op 0,
      // receives nothing and sends what crosses op i.
      if (j == 0) {
        if (fitting == 0 && fits(0, i, j, prefix.crossing[i])) {
          value = time[i] - time[0];
          if (machine.devices[j].receivesTakeComputeTime())
            value += returnSeconds(problem, j, prefix.crossing[i]);
          start[j][i] = 0;
        }
        continue;
      }
      // Every device before j must have a stage first.
      if (problem.useEveryDevice)
        lowest = std::max<size_t>(lowest, 1);
      const double *enteringAt = entering[j].data();
      const Entry *nearAt = near[j].data(), *farAt = far[j].data();
      // The best start, with or without checking that its transfer
      // buffers fit too. Locals, so that the loop keeps them in registers.
      auto scan = [&](bool checkBuffers) {
        double bestValue = value, end = time[i];
        size_t bestStart = start[j][i], bestFrom = from[j][i];
        const Timing nearTiming = nearLink[j], farTiming = farLink[j];
        const bool serial = machine.devices[j].receivesTakeComputeTime();
        const double forwardShare =
            (double)(problem.transfersPerRun - problem.returnsPerRun) /
            (double)problem.transfersPerRun;
        // Stage [s, i) whose compute takes `compute`: the slower of it and
        // the best way in from an earlier device's stage ending at s (and
        // which device that is), or a new best if it beats the best found.
        // Ties go to the latest start, which a scan down from i meets first.
        auto consider = [&](size_t s, double compute) {
          if (s < known)
            flowsFrom(s);
          // On a device that receives in its own time, the gradients of
          // what the stage sends come back to it.
          double own =
              serial ? compute + returnSeconds(problem, j, sent[s]) : compute;
          double candidate = own;
          size_t previous = 0;
          if (s > 0) {
            int64_t bytes = received[s];
            auto stage = [&](double in) {
              return serial ? own + forwardShare * in : std::max(compute, in);
            };
            double fromNear =
                std::max(nearAt[s].seconds, stage(nearTiming.seconds(bytes)));
            double fromFar =
                std::max(farAt[s].seconds, stage(farTiming.seconds(bytes)));
            previous =
                fromNear <= fromFar ? nearAt[s].device : farAt[s].device;
            candidate = std::min(fromNear, fromFar);
          }
          if ((candidate < bestValue ||
               (candidate == bestValue && s > bestStart)) &&
              (!checkBuffers || fits(s, i, j, received[s] + sent[s]))) {
            bestValue = candidate;
            bestStart = s;
            bestFrom = previous;
          }
        };
        // First a good bound: the starts either side of where the stage's
        // compute overtakes the best bottleneck before it (found by
        // bisection, as if that fell steadily). The scan below then skips
        // most starts on the bound alone. Its result is the same as
        // without: every start that could beat or tie the bound is
        // considered.
        if (lowest < i) {
          size_t low = lowest, high = i - 1;
          while (low < high) {
            size_t middle = low + (high - low + 1) / 2;
            if (end - time[middle] >= enteringAt[middle])
              low = middle;
            else
              high = middle - 1;
          }
          consider(low, end - time[low]);
          if (low + 1 < i)
            consider(low + 1, end - time[low + 1]);
        }
        // Then every start: a stage costs at least its compute, which only
        // grows as its start falls, and at least the best way into it.
        for (size_t s = i; s-- > lowest;) {
          double compute = end - time[s];
          if (compute > bestValue || (compute == bestValue && s < bestStart))
            break; // Earlier starts only cost more.
          if (s > 0 && (enteringAt[s] > bestValue ||
                        (enteringAt[s] == bestValue && s < bestStart)))
            continue; // Cannot improve on the best found.
          consider(s, compute);
        }
        value = bestValue;
        start[j][i] = bestStart;
        from[j][i] = bestFrom;
      };
      // The best start almost always fits with its buffers: check it
      // alone, and scan again checking every start only when it does not
      // (the same choice, with one memory check instead of one per start).
      scan(/*checkBuffers=*/false);
      size_t chosen = start[j][i];
      if (value < kInfinity &&
          !fits(chosen, i, j, received[chosen] + sent[chosen])) {
        value = kInfinity;
        scan(/*checkBuffers=*/true);
      }
    }
    if (i == n)
      break;
    // The best stages ending at op i, by the node of a later device (only
    // the one just before it when none is skipped).
    for (size_t j = 0; j < k; ++j)
      for (size_t p = problem.useEveryDevice && j ? j - 1 : 0; p < j; ++p) {
        Entry &entry = machine.devices[p].node == machine.devices[j].node
                           ? near[j][i]
                           : far[j][i];
        if (best[p][i] < entry.seconds)
          entry = {best[p][i], p};
        entering[j][i] = std::min(entering[j][i], best[p][i]);
      }
  }

  size_t last = problem.useEveryDevice ? k - 1 : 0;
  for (size_t j = 1; j < k && !problem.useEveryDevice; ++j)
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
    j = from[j][i];
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
    std::tie(stage.receiveBytes, stage.sendBytes) =
        stageFlows(problem, stage.begin, stage.end);
    stage.memoryBytes = stage.weightBytes +
                        prefix.kept[stage.end] - prefix.kept[stage.begin] +
                        (prefix.stash[stage.end] - prefix.stash[stage.begin]) *
                            stashCopies(problem, stage.device) +
                        prefix.maxLive(stage.begin, stage.end) +
                        stage.receiveBytes + stage.sendBytes;
    if (s)
      stage.receiveSeconds =
          problem.transfersPerRun *
          machine.transferSeconds(devices[s - 1], stage.device,
                                  stage.receiveBytes);
    stage.ownReceiveSeconds = ownReceiveSeconds(problem, stage);
    plan.bottleneckSeconds =
        std::max(plan.bottleneckSeconds,
                 stageSeconds(stage, machine.devices[stage.device]));
    plan.latencySeconds += stage.computeSeconds + stage.receiveSeconds;
    plan.stages.push_back(stage);
  }
  return plan;
}

} // namespace cleave::analysis
