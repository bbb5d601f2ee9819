//===- ReduceKernels.cpp - reductions on the CPU ----------------------------===//
//
// Reduce* through oneDNN's reduction (f32) or loops, ArgMax and ArgMin.
//
//===----------------------------------------------------------------------===//

#include "cleave/Runtime/CpuKernels.h"
#include "ElementwiseMath.h"
#include "OneDnnSupport.h"
#include "StatusInternal.h"
#include <algorithm>
#include <cmath>
#include <cstring>
#include <dnnl.hpp>
#include <omp.h>
#include <optional>
#include <string>
#include <vector>

using namespace cleave::cpu;

namespace {

/// The f32 reductions of reduceRows.
bool rowReducible(cleave_reduce_op op) {
  return op == CLEAVE_REDUCE_SUM || op == CLEAVE_REDUCE_MEAN ||
         op == CLEAVE_REDUCE_MAX || op == CLEAVE_REDUCE_MIN ||
         op == CLEAVE_REDUCE_SUM_SQUARE || op == CLEAVE_REDUCE_L2;
}

/// y = op(x) over the axes where y has 1 (f32, same rank), for the shapes
/// oneDNN has only its reference kernel for, one element at a time (a kept
/// axis between reduced ones: a batch norm's statistics over N, H, W keep
/// C). Axes merge into groups all reduced or all kept; the innermost group
/// is a contiguous row, reduced to one value or accumulated into one output
/// row, and threads share the outputs, so no two write the same one.
void reduceRows(cleave_reduce_op op, const cleave_tensor *x, cleave_tensor *y) {
  struct Group {
    int64_t size, stride;
  };
  std::vector<int64_t> sizes;
  std::vector<bool> reducedFlags;
  for (int32_t i = 0; i < x->rank; ++i) {
    if (x->dims[i] == 1)
      continue;
    bool reduced = y->dims[i] == 1;
    if (!sizes.empty() && reducedFlags.back() == reduced)
      sizes.back() *= x->dims[i];
    else
      sizes.push_back(x->dims[i]), reducedFlags.push_back(reduced);
  }
  if (sizes.empty())
    sizes.push_back(1), reducedFlags.push_back(true);
  // Element strides of x per group; the innermost apart.
  std::vector<Group> kept, reduced;
  int64_t stride = 1, row = sizes.back();
  bool rowReduced = reducedFlags.back();
  for (size_t g = sizes.size() - 1; g-- > 0;) {
    stride *= sizes[g + 1];
    (reducedFlags[g] ? reduced : kept).push_back({sizes[g], stride});
  }
  int64_t units = 1, repeats = 1;
  for (const Group &g : kept)
    units *= g.size;
  for (const Group &g : reduced)
    repeats *= g.size;
  double count = double(repeats) * (rowReduced ? row : 1);
  bool isMax = op == CLEAVE_REDUCE_MAX, isMin = op == CLEAVE_REDUCE_MIN;
  bool squares = op == CLEAVE_REDUCE_SUM_SQUARE || op == CLEAVE_REDUCE_L2;
  // Sums accumulate in double: a batch norm's statistics add up thousands
  // of values, and training amplifies their rounding step after step
  // (float sums in blocks of 16 rows moved Inception's parameters 0.02
  // away from PyTorch's after 10 steps, test/training/suite/inception.test).
  double start = isMax ? -INFINITY : isMin ? INFINITY : 0.0;
  auto finish = [&](double a) {
    if (op == CLEAVE_REDUCE_MEAN)
      return float(a / count);
    return float(op == CLEAVE_REDUCE_L2 ? std::sqrt(a) : a);
  };
  auto offsetOf = [](const std::vector<Group> &groups, int64_t index) {
    int64_t offset = 0; // groups run innermost first
    for (const Group &g : groups) {
      offset += (index % g.size) * g.stride;
      index /= g.size;
    }
    return offset;
  };
  const float *in = static_cast<const float *>(x->data);
  float *out = static_cast<float *>(y->data);
  int64_t total = cleave_tensor_num_elements(x);
  // Rows t0..t1 of the reduced groups added into one output row's `acc`.
  auto accumulateRows = [&](int64_t t0, int64_t t1, int64_t base, double *acc) {
    for (int64_t t = t0; t < t1; ++t) {
      const float *r = in + base + offsetOf(reduced, t);
      if (isMax)
        for (int64_t i = 0; i < row; ++i)
          acc[i] = std::max(acc[i], double(r[i]));
      else if (isMin)
        for (int64_t i = 0; i < row; ++i)
          acc[i] = std::min(acc[i], double(r[i]));
      else if (squares)
        for (int64_t i = 0; i < row; ++i)
          acc[i] += double(r[i]) * r[i];
      else
        for (int64_t i = 0; i < row; ++i)
          acc[i] += r[i];
    }
  };
  // Fewer output rows than threads (a global pooling has one): the
  // threads split the reduced rows instead, each into sums of its own,
  // added in thread order.
  int threads = omp_get_max_threads();
  if (!rowReduced && units < threads && total > 32768 && repeats > 1) {
    int64_t splits = std::min<int64_t>(threads, repeats);
    std::vector<double> sums(splits * units * row, start);
#pragma omp parallel for collapse(2) num_threads((int)splits)
    for (int64_t u = 0; u < units; ++u)
      for (int64_t split = 0; split < splits; ++split)
        accumulateRows(repeats * split / splits, repeats * (split + 1) / splits,
                       offsetOf(kept, u), &sums[(split * units + u) * row]);
    for (int64_t u = 0; u < units; ++u)
      for (int64_t i = 0; i < row; ++i) {
        double a = start;
        for (int64_t split = 0; split < splits; ++split) {
          double v = sums[(split * units + u) * row + i];
          a = isMax ? std::max(a, v) : isMin ? std::min(a, v) : a + v;
        }
        out[u * row + i] = finish(a);
      }
    return;
  }
#pragma omp parallel if (units > 1 && total > 32768)
  {
    std::vector<double> acc(rowReduced ? 0 : row);
#pragma omp for
    for (int64_t u = 0; u < units; ++u) {
      int64_t base = offsetOf(kept, u);
      if (rowReduced) { // one output per unit
        double a = start;
        for (int64_t t = 0; t < repeats; ++t) {
          const float *r = in + base + offsetOf(reduced, t);
          double part = start;
          if (isMax) {
#pragma omp simd reduction(max : part)
            for (int64_t i = 0; i < row; ++i)
              part = std::max(part, double(r[i]));
            a = std::max(a, part);
          } else if (isMin) {
#pragma omp simd reduction(min : part)
            for (int64_t i = 0; i < row; ++i)
              part = std::min(part, double(r[i]));
            a = std::min(a, part);
          } else if (squares) {
#pragma omp simd reduction(+ : part)
            for (int64_t i = 0; i < row; ++i)
              part += double(r[i]) * r[i];
            a += part;
          } else {
#pragma omp simd reduction(+ : part)
            for (int64_t i = 0; i < row; ++i)
              part += r[i];
            a += part;
          }
        }
        out[u] = finish(a);
        continue;
      }
      std::fill(acc.begin(), acc.end(), start); // one output row per unit
      accumulateRows(0, repeats, base, acc.data());
      float *o = out + u * row;
      for (int64_t i = 0; i < row; ++i)
        o[i] = finish(acc[i]);
    }
  }
}

} // namespace

extern "C" {

cleave_status cleave_cpu_arg_reduce(const cleave_tensor *x, int32_t axis,
                                    int32_t is_max, int32_t select_last,
                                    cleave_tensor *y) {
  CLEAVE_RETURN_IF_ERROR(checkF32("arg_reduce", {x}));
  if (y->dtype != CLEAVE_DTYPE_I64 || axis < 0 || axis >= x->rank ||
      y->rank != x->rank || y->dims[axis] != 1)
    return CLEAVE_ERROR(CLEAVE_INVALID_ARGUMENT,
                        "arg_reduce: y must be i64 with x's rank and 1 on the "
                        "axis");
  int64_t outer = 1, inner = 1, dim = x->dims[axis];
  for (int32_t i = 0; i < axis; ++i)
    outer *= x->dims[i];
  for (int32_t i = axis + 1; i < x->rank; ++i)
    inner *= x->dims[i];
  const float *in = (const float *)x->data;
  int64_t *out = (int64_t *)y->data;
#pragma omp parallel for
  for (int64_t o = 0; o < outer; ++o)
    for (int64_t i = 0; i < inner; ++i) {
      int64_t best = 0;
      for (int64_t k = 1; k < dim; ++k) {
        float v = in[(o * dim + k) * inner + i],
              w = in[(o * dim + best) * inner + i];
        bool better = is_max ? (v > w || (select_last && v == w))
                             : (v < w || (select_last && v == w));
        if (better)
          best = k;
      }
      out[o * inner + i] = best;
    }
  return nullptr;
}

cleave_status cleave_cpu_reduce(cleave_reduce_op op, const cleave_tensor *x,
                                cleave_tensor *y) {
  // oneDNN for f32; every other type, empty and no-op reductions and
  // log-sum-exp (no oneDNN form) take the loop, which checks the shapes.
  if (x->dtype != CLEAVE_DTYPE_F32 || y->dtype != CLEAVE_DTYPE_F32 ||
      op == CLEAVE_REDUCE_LOG_SUM_EXP || cleave_tensor_num_elements(x) == 0 ||
      x->rank != y->rank || dimsOf(x) == dimsOf(y))
    return cleave_cpu_reduce_loop(op, x, y);
  for (int32_t i = 0; i < x->rank; ++i)
    if (y->dims[i] != x->dims[i] && y->dims[i] != 1)
      return CLEAVE_ERROR(CLEAVE_INVALID_ARGUMENT,
                          "reduce: output " + shapeText(dimsOf(y)) +
                              " does not reduce " + shapeText(dimsOf(x)));
  if (cleave_tensor_num_elements(y) == 0)
    return nullptr;
  using A = dnnl::algorithm;
  A algorithm;
  float p = 0;
  switch (op) {
  case CLEAVE_REDUCE_SUM:
    algorithm = A::reduction_sum;
    break;
  case CLEAVE_REDUCE_MEAN:
    algorithm = A::reduction_mean;
    break;
  case CLEAVE_REDUCE_MAX:
    algorithm = A::reduction_max;
    break;
  case CLEAVE_REDUCE_MIN:
    algorithm = A::reduction_min;
    break;
  case CLEAVE_REDUCE_PROD:
    algorithm = A::reduction_mul;
    break;
  case CLEAVE_REDUCE_L2:
    algorithm = A::reduction_norm_lp_sum, p = 2;
    break;
  case CLEAVE_REDUCE_SUM_SQUARE:
    algorithm = A::reduction_norm_lp_power_p_sum, p = 2;
    break;
  default:
    return CLEAVE_ERROR(CLEAVE_INVALID_ARGUMENT,
                        "reduce: unknown op " + std::to_string(op));
  }
  // Neighbouring axes that are both reduced or both kept merge: the same
  // reduction on fewer axes, for oneDNN and for reduceRows.
  cleave_tensor xFlat = *x, yFlat = *y;
  xFlat.rank = yFlat.rank = 0;
  for (int32_t i = 0; i < x->rank; ++i) {
    if (x->dims[i] == 1)
      continue; // Either kind: an axis of one merges with any.
    bool reduced = y->dims[i] == 1;
    int32_t last = xFlat.rank - 1;
    if (last >= 0 && (yFlat.dims[last] == 1) == reduced) {
      xFlat.dims[last] *= x->dims[i];
      yFlat.dims[last] *= y->dims[i];
      continue;
    }
    xFlat.dims[xFlat.rank++] = x->dims[i];
    yFlat.dims[yFlat.rank++] = y->dims[i];
  }
  if (xFlat.rank == 0) // A tensor of one element.
    return cleave_cpu_reduce_loop(op, x, y);
  x = &xFlat;
  y = &yFlat;
  return guarded("reduce", [&]() -> cleave_status {
    memory::desc xDesc = rowMajor(dimsOf(x)), yDesc = rowMajor(dimsOf(y));
    const dnnl::primitive &reduction = cachedPrimitive(
        planKey(kReduce, {dimsOf(x), dimsOf(y)}, {(double)algorithm, p}), [&] {
          return dnnl::reduction(dnnl::reduction::primitive_desc(
              dnnl::reduction::desc(algorithm, xDesc, yDesc, p, 0.0f),
              cpuEngine()));
        });
    // oneDNN's reference kernel walks one output element at a time, each
    // over every input it reduces: ours is many times faster.
    // Rows reduced whole are ours too: oneDNN 2.6's kernel for them is
    // one output at a time ([576,49] to [576,1]: 25 times slower). Not
    // sums: batch-norm gradients on one image ([C, HW] sums) took them
    // 1e-4 away from PyTorch's float32 and float64 training over ten
    // steps (test/training/suite/inception.test, 4 microbatches), while
    // oneDNN's stay within 1e-6; why is not understood yet.
    bool rowsReduced =
        y->dims[y->rank - 1] == 1 && op != CLEAVE_REDUCE_SUM;
    if (rowReducible(op) && (rowsReduced || isReferenceKernel(reduction))) {
      reduceRows(op, x, y);
      return nullptr;
    }
    executeOn(reduction, {{DNNL_ARG_SRC, xDesc, x}, {DNNL_ARG_DST, yDesc, y}});
    return nullptr;
  });
}

} // extern "C"
