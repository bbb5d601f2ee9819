//===- StridedLoops.h - row-wise walks over strided operands ----*- C++ -*-===//
//
// Data-movement kernels (transpose, slice, expand, where) read their
// operands through element strides. Walking the output one element at a
// time, with a div/mod per axis, is slow; these helpers first simplify the
// iteration space (drop size-1 axes, merge axes that are contiguous for
// every operand) and then walk it row by row, so the inner loop is a plain
// strided (often contiguous) loop.
//
//===----------------------------------------------------------------------===//

#ifndef CLEAVE_LIB_RUNTIME_STRIDEDLOOPS_H
#define CLEAVE_LIB_RUNTIME_STRIDEDLOOPS_H

#include "cleave/Runtime/Tensor.h"
#include <cstdint>
#include <cstring>
#include <omp.h>

namespace cleave::runtime {

/// An iteration space of `rank` axes and the element strides of `N`
/// operands along each (the output, written contiguously, is not among
/// them).
template <int N> struct StridedSpace {
  int32_t rank = 0;
  int64_t dims[CLEAVE_MAX_RANK];
  int64_t strides[N][CLEAVE_MAX_RANK];
};

/// The simplest space equal to `dims` with operand strides `strides`:
/// size-1 axes dropped, and axis i merged into axis i+1 when every operand
/// steps over axis i+1 exactly as axis i does.
template <int N>
StridedSpace<N> simplify(int32_t rank, const int64_t *dims,
                         const int64_t *const (&strides)[N]) {
  StridedSpace<N> space;
  for (int32_t i = 0; i < rank; ++i) {
    if (dims[i] == 1)
      continue;
    int32_t last = space.rank - 1;
    bool merge = last >= 0;
    for (int k = 0; k < N && merge; ++k)
      merge = space.strides[k][last] == strides[k][i] * dims[i];
    if (merge) {
      space.dims[last] *= dims[i];
      for (int k = 0; k < N; ++k)
        space.strides[k][last] = strides[k][i];
      continue;
    }
    space.dims[space.rank] = dims[i];
    for (int k = 0; k < N; ++k)
      space.strides[k][space.rank] = strides[k][i];
    ++space.rank;
  }
  if (space.rank == 0) { // A single element.
    space.dims[0] = 1;
    for (int k = 0; k < N; ++k)
      space.strides[k][0] = 0;
    space.rank = 1;
  }
  return space;
}

/// Calls `row(rowIndex, offsets, length, steps)` for each row of `space`:
/// `offsets[k]` is operand k's element offset at the row's start, `steps[k]`
/// its stride along the row, and the output's row starts at
/// rowIndex * length. Rows are shared among threads.
template <int N, typename Row>
void forEachRow(const StridedSpace<N> &space, Row row) {
  int32_t outer = space.rank - 1;
  int64_t length = space.dims[outer], rows = 1;
  for (int32_t i = 0; i < outer; ++i)
    rows *= space.dims[i];
  if (rows == 0 || length == 0) // An empty tensor (simplify keeps 0 axes).
    return;
  int64_t steps[N];
  for (int k = 0; k < N; ++k)
    steps[k] = space.strides[k][outer];
  // Rows [begin, end): the first row's index by div/mod, the next ones by
  // counting (a div/mod per axis and row cost more than a short row's
  // copy: attention's head transposes move rows of 8 floats).
  auto walk = [&](int64_t begin, int64_t end) {
    int64_t index[CLEAVE_MAX_RANK] = {}, offsets[N] = {};
    int64_t rest = begin;
    for (int32_t i = outer - 1; i >= 0; --i) {
      index[i] = rest % space.dims[i];
      rest /= space.dims[i];
      for (int k = 0; k < N; ++k)
        offsets[k] += index[i] * space.strides[k][i];
    }
    for (int64_t r = begin; r < end; ++r) {
      row(r, offsets, length, steps);
      for (int32_t i = outer - 1; i >= 0; --i) {
        for (int k = 0; k < N; ++k)
          offsets[k] += space.strides[k][i];
        if (++index[i] < space.dims[i])
          break;
        for (int k = 0; k < N; ++k)
          offsets[k] -= space.strides[k][i] * space.dims[i];
        index[i] = 0;
      }
    }
  };
  if (rows > 1 && rows * length > 32768) {
#pragma omp parallel
    {
      int64_t threads = omp_get_num_threads(), t = omp_get_thread_num();
      walk(rows * t / threads, rows * (t + 1) / threads);
    }
  } else {
    walk(0, rows);
  }
}

/// Calls `body(T())` with the unsigned integer type T of `width` bytes (1,
/// 2, 4 or 8), so a loop moves whole elements; returns false for other
/// widths.
template <typename Body> bool withElementType(size_t width, Body body) {
  switch (width) {
  case 1:
    return body(uint8_t()), true;
  case 2:
    return body(uint16_t()), true;
  case 4:
    return body(uint32_t()), true;
  case 8:
    return body(uint64_t()), true;
  default:
    return false;
  }
}

/// out[i] = in[i * step] for `count` elements of `width` bytes.
inline void copyRow(char *out, const char *in, int64_t count, int64_t step,
                    size_t width) {
  if (step == 1) {
    std::memcpy(out, in, count * width);
    return;
  }
  bool typed = withElementType(width, [&](auto type) {
    using T = decltype(type);
    T *o = (T *)out;
    const T *s = (const T *)in;
    for (int64_t i = 0; i < count; ++i)
      std::memcpy(o + i, s + i * step, sizeof(T));
  });
  if (!typed)
    for (int64_t i = 0; i < count; ++i)
      std::memcpy(out + i * width, in + i * step * width, width);
}

} // namespace cleave::runtime

#endif // CLEAVE_LIB_RUNTIME_STRIDEDLOOPS_H
