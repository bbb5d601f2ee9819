//===- ArenaPlanner.cpp - offsets of tensors in one memory arena ----------===//
//
// Greedy by size (as in TensorFlow Lite's arena planner and Pisarchyk & Lee,
// "Efficient Memory Management for Deep Neural Net Inference", 2020): big
// tensors are hardest to fit, so they go first, each into the lowest gap
// left by the already placed tensors it is alive with.
//
//===----------------------------------------------------------------------===//

#include "cleave/Analysis/ArenaPlanner.h"
#include "llvm/ADT/STLExtras.h"
#include <algorithm>
#include <map>

namespace cleave::analysis {

namespace {
int64_t alignUp(int64_t value, int64_t alignment) {
  return (value + alignment - 1) / alignment * alignment;
}

bool overlapInTime(const BufferRequest &a, const BufferRequest &b) {
  return a.first <= b.last && b.first <= a.last;
}
} // namespace

ArenaPlan planArena(llvm::ArrayRef<BufferRequest> requests, int64_t alignment) {
  ArenaPlan plan;
  plan.offsets.assign(requests.size(), -1);
  llvm::SmallVector<size_t> order(requests.size());
  for (size_t i = 0; i < order.size(); ++i)
    order[i] = i;
  // Largest first; ties by earlier start, then index, so plans are stable.
  llvm::stable_sort(order, [&](size_t a, size_t b) {
    if (requests[a].size != requests[b].size)
      return requests[a].size > requests[b].size;
    return requests[a].first < requests[b].first;
  });

  llvm::SmallVector<size_t> placed;
  for (size_t index : order) {
    const BufferRequest &request = requests[index];
    int64_t size = alignUp(request.size, alignment);
    // Placed requests alive at the same time, by offset.
    llvm::SmallVector<std::pair<int64_t, int64_t>> busy;
    for (size_t other : placed)
      if (overlapInTime(request, requests[other]))
        busy.push_back(
            {plan.offsets[other],
             plan.offsets[other] + alignUp(requests[other].size, alignment)});
    llvm::sort(busy);
    int64_t offset = 0;
    for (auto [begin, end] : busy) {
      if (offset + size <= begin)
        break;
      offset = std::max(offset, end);
    }
    plan.offsets[index] = offset;
    plan.size = std::max(plan.size, offset + size);
    placed.push_back(index);
  }
  return plan;
}

int64_t peakLiveBytes(llvm::ArrayRef<BufferRequest> requests,
                      int64_t alignment) {
  // Sweep over steps: +size at first, -size after last.
  std::map<int64_t, int64_t> delta;
  for (const BufferRequest &request : requests) {
    int64_t size = alignUp(request.size, alignment);
    delta[request.first] += size;
    delta[request.last + 1] -= size;
  }
  int64_t live = 0, peak = 0;
  for (auto [step, change] : delta) {
    live += change;
    peak = std::max(peak, live);
  }
  return peak;
}

} // namespace cleave::analysis
