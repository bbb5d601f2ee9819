//===- IndexMath.h - element addressing shared by host and device -*- C++ -*-===//
//
// The CUDA kernels address elements through small plans built on the host:
// for each linear index of the iteration space, the element offsets in
// every operand. The same functions run on the host in the unit tests,
// which check the plans against the CPU kernels (test/Unit/CudaPlanTest).
//
//===----------------------------------------------------------------------===//

#ifndef CLEAVE_LIB_RUNTIME_CUDA_INDEXMATH_H
#define CLEAVE_LIB_RUNTIME_CUDA_INDEXMATH_H

#include "cleave/Runtime/Tensor.h"

#include "../HostDevice.h"

namespace cleave::cuda {

/// An iteration space of `rank` dims and, per operand, the element stride
/// of each dim (0 where the operand is broadcast). Operand k's offset of
/// linear index i (row-major over dims) is base[k] + sum(coord[d] *
/// strides[k][d]), with coord[d] taken modulo wrap[k][d] where that is
/// non-zero (Tile).
template <int N> struct Plan {
  int32_t rank = 0;
  int64_t dims[CLEAVE_MAX_RANK] = {};
  int64_t strides[N][CLEAVE_MAX_RANK] = {};
  int64_t wrap[N][CLEAVE_MAX_RANK] = {};
  int64_t base[N] = {};

  CLEAVE_HD int64_t count() const {
    int64_t n = 1;
    for (int32_t d = 0; d < rank; ++d)
      n *= dims[d];
    return n;
  }

  CLEAVE_HD void offsets(int64_t linear, int64_t out[N]) const {
    for (int k = 0; k < N; ++k)
      out[k] = base[k];
    for (int32_t d = rank - 1; d >= 0; --d) {
      int64_t c = linear % dims[d];
      linear /= dims[d];
      for (int k = 0; k < N; ++k)
        out[k] += (wrap[k][d] ? c % wrap[k][d] : c) * strides[k][d];
    }
  }
};

/// Row-major element strides of `t`.
inline void rowMajorStrides(const cleave_tensor &t, int64_t *strides) {
  int64_t s = 1;
  for (int32_t d = t.rank - 1; d >= 0; --d) {
    strides[d] = s;
    s *= t.dims[d];
  }
}

/// The same plan with fewer dims, so kernels divide less per element: dims
/// of size 1 go, and a dim merges into the one before it when every
/// operand steps over both as over one (stride[d] = stride[d+1] *
/// dims[d+1], no wrap). Offsets are unchanged for every linear index.
template <int N> Plan<N> simplified(const Plan<N> &plan) {
  Plan<N> out;
  for (int k = 0; k < N; ++k)
    out.base[k] = plan.base[k];
  for (int32_t d = 0; d < plan.rank; ++d) {
    if (plan.dims[d] == 1)
      continue;
    bool merge = out.rank > 0;
    for (int k = 0; k < N && merge; ++k)
      merge = !plan.wrap[k][d] && !out.wrap[k][out.rank - 1] &&
              out.strides[k][out.rank - 1] == plan.strides[k][d] * plan.dims[d];
    if (merge) {
      out.dims[out.rank - 1] *= plan.dims[d];
      for (int k = 0; k < N; ++k)
        out.strides[k][out.rank - 1] = plan.strides[k][d];
      continue;
    }
    out.dims[out.rank] = plan.dims[d];
    for (int k = 0; k < N; ++k) {
      out.strides[k][out.rank] = plan.strides[k][d];
      out.wrap[k][out.rank] = plan.wrap[k][d];
    }
    ++out.rank;
  }
  return out;
}

/// Operand k of `count` broadcast (NumPy rules, aligned right) to y's shape;
/// operand 0 of the plan is y itself when `withOutput`.
template <int N>
Plan<N> broadcastPlan(const cleave_tensor &y, const cleave_tensor *const *ops,
                      bool withOutput) {
  Plan<N> plan;
  plan.rank = y.rank;
  for (int32_t d = 0; d < y.rank; ++d)
    plan.dims[d] = y.dims[d];
  int first = 0;
  if (withOutput) {
    rowMajorStrides(y, plan.strides[0]);
    first = 1;
  }
  for (int k = first; k < N; ++k) {
    const cleave_tensor &t = *ops[k - first];
    int64_t strides[CLEAVE_MAX_RANK] = {};
    rowMajorStrides(t, strides);
    int32_t shift = y.rank - t.rank;
    for (int32_t d = 0; d < t.rank; ++d)
      plan.strides[k][d + shift] = t.dims[d] == 1 ? 0 : strides[d];
  }
  return simplified(plan);
}

/// y[i...] = x[i[perm^-1]...]: a plan over y with operands (y, x).
inline Plan<2> transposePlan(const cleave_tensor &x, const int64_t *perm,
                             const cleave_tensor &y) {
  Plan<2> plan;
  plan.rank = y.rank;
  int64_t xStrides[CLEAVE_MAX_RANK] = {};
  rowMajorStrides(x, xStrides);
  rowMajorStrides(y, plan.strides[0]);
  for (int32_t d = 0; d < y.rank; ++d) {
    plan.dims[d] = y.dims[d];
    plan.strides[1][d] = xStrides[perm[d]];
  }
  return simplified(plan);
}

/// y[i...] = x[starts + i * steps]: a plan over y with operands (y, x).
inline Plan<2> slicePlan(const cleave_tensor &x, const int64_t *starts,
                         const int64_t *steps, const cleave_tensor &y) {
  Plan<2> plan;
  plan.rank = y.rank;
  int64_t xStrides[CLEAVE_MAX_RANK] = {};
  rowMajorStrides(x, xStrides);
  rowMajorStrides(y, plan.strides[0]);
  for (int32_t d = 0; d < y.rank; ++d) {
    plan.dims[d] = y.dims[d];
    plan.strides[1][d] = xStrides[d] * steps[d];
    plan.base[1] += starts[d] * xStrides[d];
  }
  return simplified(plan);
}

/// y[i...] = x[i mod x's shape]: a plan over y with operands (y, x).
inline Plan<2> tilePlan(const cleave_tensor &x, const cleave_tensor &y) {
  Plan<2> plan;
  plan.rank = y.rank;
  rowMajorStrides(y, plan.strides[0]);
  rowMajorStrides(x, plan.strides[1]);
  for (int32_t d = 0; d < y.rank; ++d) {
    plan.dims[d] = y.dims[d];
    plan.wrap[1][d] = x.dims[d] == y.dims[d] ? 0 : x.dims[d];
  }
  return simplified(plan);
}

/// Input x of a Concat, placed at `offset` along `axis` of y: a plan over
/// x with operands (y, x).
inline Plan<2> concatPlan(const cleave_tensor &x, int32_t axis, int64_t offset,
                          const cleave_tensor &y) {
  Plan<2> plan;
  plan.rank = x.rank;
  rowMajorStrides(y, plan.strides[0]);
  rowMajorStrides(x, plan.strides[1]);
  for (int32_t d = 0; d < x.rank; ++d)
    plan.dims[d] = x.dims[d];
  plan.base[0] = offset * plan.strides[0][axis];
  return simplified(plan);
}

/// A reduction of x into y (x's rank, 1 on the reduced axes): `kept` maps
/// output element o to its first input element, `reduced` enumerates the
/// offsets of the reduced elements from there. Returns their count.
inline int64_t reducePlans(const cleave_tensor &x, const cleave_tensor &y,
                           Plan<1> &kept, Plan<1> &reduced) {
  int64_t strides[CLEAVE_MAX_RANK] = {};
  rowMajorStrides(x, strides);
  kept = Plan<1>();
  reduced = Plan<1>();
  kept.rank = x.rank;
  int64_t count = 1;
  for (int32_t d = 0; d < x.rank; ++d) {
    kept.dims[d] = y.dims[d];
    bool isReduced = y.dims[d] == 1 && x.dims[d] != 1;
    kept.strides[0][d] = isReduced ? 0 : strides[d];
    if (isReduced) {
      reduced.dims[reduced.rank] = x.dims[d];
      reduced.strides[0][reduced.rank++] = strides[d];
      count *= x.dims[d];
    }
  }
  return count;
}

/// An index along an axis of `size`, negative ones counting from the end;
/// false (and 0) when out of range.
CLEAVE_HD inline bool resolveIndex(int64_t &index, int64_t size) {
  if (index < 0)
    index += size;
  if (index >= 0 && index < size)
    return true;
  index = 0;
  return false;
}

/// Gather along an axis of `axisSize`, output [outer, count, inner] (count:
/// the number of indices): output element i takes index number
/// gatherPosition(i) and reads data element gatherSource(i, that index).
CLEAVE_HD inline int64_t gatherPosition(int64_t i, int64_t count,
                                        int64_t inner) {
  return (i / inner) % count;
}
CLEAVE_HD inline int64_t gatherSource(int64_t i, int64_t index,
                                      int64_t axisSize, int64_t count,
                                      int64_t inner) {
  int64_t outer = i / inner / count;
  return (outer * axisSize + index) * inner + i % inner;
}

/// The data offset GatherElements' output element i reads: its coordinates
/// (over `out`) with the axis's replaced by `index`.
CLEAVE_HD inline int64_t gatherElementsSource(const Plan<1> &out,
                                              const int64_t *dataStrides,
                                              int32_t axis, int64_t index,
                                              int64_t i) {
  int64_t rest = i, source = 0;
  for (int32_t d = out.rank - 1; d >= 0; --d) {
    int64_t c = rest % out.dims[d];
    rest /= out.dims[d];
    source += (d == axis ? index : c) * dataStrides[d];
  }
  return source;
}

/// Row r of [outer, length, inner]: its first element and stride.
struct Rows {
  int64_t length, inner;
  CLEAVE_HD int64_t start(int64_t r) const {
    return (r / inner) * length * inner + r % inner;
  }
};

/// The rows of x along `axis`; `count` gets their number.
inline Rows rowsOf(const cleave_tensor &x, int32_t axis, int64_t &count) {
  Rows rows{x.dims[axis], 1};
  int64_t outer = 1;
  for (int32_t d = 0; d < axis; ++d)
    outer *= x.dims[d];
  for (int32_t d = axis + 1; d < x.rank; ++d)
    rows.inner *= x.dims[d];
  count = outer * rows.inner;
  return rows;
}

inline bool sameShape(const cleave_tensor &a, const cleave_tensor &b) {
  if (a.rank != b.rank)
    return false;
  for (int32_t d = 0; d < a.rank; ++d)
    if (a.dims[d] != b.dims[d])
      return false;
  return true;
}

/// The number of elements b repeats over when b is y's trailing axes (a
/// bias, a scale) or a scalar; 0 otherwise.
inline int64_t trailingRepeat(const cleave_tensor &b, const cleave_tensor &y) {
  int64_t n = cleave_tensor_num_elements(&b);
  if (n == 1)
    return 1;
  int32_t shift = y.rank - b.rank;
  if (shift < 0)
    return 0;
  int32_t first = 0; // b's leading 1s are free.
  while (first < b.rank && b.dims[first] == 1)
    ++first;
  for (int32_t d = first; d < b.rank; ++d)
    if (b.dims[d] != y.dims[d + shift])
      return 0;
  return n;
}

/// The index of x's axis `axis` that output index `c` reads under Pad:
/// c - begin, resolved by `mode` when outside [0, n); -1 for the constant.
CLEAVE_HD inline int64_t padSource(int64_t c, int64_t begin, int64_t n,
                                   int mode /* cleave_pad_mode */) {
  int64_t i = c - begin;
  if (i >= 0 && i < n)
    return i;
  if (mode == 0)
    return -1;
  if (mode == 1 || n == 1)
    return i < 0 ? 0 : n - 1;
  int64_t period = 2 * (n - 1); // Reflect, without repeating the edge.
  i %= period;
  if (i < 0)
    i += period;
  return i < n ? i : period - i;
}

} // namespace cleave::cuda

#endif // CLEAVE_LIB_RUNTIME_CUDA_INDEXMATH_H
