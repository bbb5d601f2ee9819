//===- ArenaPlanner.h - offsets of tensors in one memory arena --*- C++ -*-===//
//
// Each device gets one arena; every intermediate tensor lives at a fixed
// offset in it, chosen at compile time from the tensors' live ranges so that
// tensors alive at the same time never overlap. The planner is a pure
// algorithm over sizes and live ranges, independent of the IR.
//
//===----------------------------------------------------------------------===//

#ifndef CLEAVE_ANALYSIS_ARENAPLANNER_H
#define CLEAVE_ANALYSIS_ARENAPLANNER_H

#include "llvm/ADT/ArrayRef.h"
#include "llvm/ADT/SmallVector.h"
#include <cstdint>

namespace cleave::analysis {

/// A tensor to place: `size` bytes, alive from step `first` to step `last`
/// (inclusive; steps are positions in the program's op order).
struct BufferRequest {
  int64_t size;
  int64_t first;
  int64_t last;
};

struct ArenaPlan {
  /// Byte offset of each request, in request order; each a multiple of the
  /// alignment.
  llvm::SmallVector<int64_t> offsets;
  /// Bytes the arena needs.
  int64_t size = 0;
};

/// Places the requests with the greedy-by-size heuristic: largest first,
/// each at the lowest aligned offset where it overlaps no placed request
/// whose live range intersects its own.
ArenaPlan planArena(llvm::ArrayRef<BufferRequest> requests,
                    int64_t alignment = 64);

/// The most bytes alive at any one step: no plan can use less.
int64_t peakLiveBytes(llvm::ArrayRef<BufferRequest> requests,
                      int64_t alignment = 64);

} // namespace cleave::analysis

#endif // CLEAVE_ANALYSIS_ARENAPLANNER_H
