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
  return guarded("reduce", [&]() -> cleave_status {
    memory::desc xDesc = rowMajor(dimsOf(x)), yDesc = rowMajor(dimsOf(y));
    const dnnl::primitive &reduction = cachedPrimitive(
        planKey(kReduce, {dimsOf(x), dimsOf(y)}, {(double)algorithm, p}), [&] {
          return dnnl::reduction(dnnl::reduction::primitive_desc(
              dnnl::reduction::desc(algorithm, xDesc, yDesc, p, 0.0f),
              cpuEngine()));
        });
    execute(reduction,
            {{DNNL_ARG_SRC, wrap(xDesc, x)}, {DNNL_ARG_DST, wrap(yDesc, y)}});
    return nullptr;
  });
}

} // extern "C"
