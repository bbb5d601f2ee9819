//===- Pooling.h - one pooled element, on host and device ------*- C++ -*-===//
//
// What the CUDA pooling kernel computes for one output element, shared
// with the unit tests, which check it on the host against the CPU kernel
// (oneDNN's semantics: averages that include padding divide by the whole
// window, the others by the taps inside the input).
//
//===----------------------------------------------------------------------===//

#ifndef CLEAVE_LIB_RUNTIME_CUDA_POOLING_H
#define CLEAVE_LIB_RUNTIME_CUDA_POOLING_H

#include "IndexMath.h"
#include "cleave/Runtime/CpuKernels.h"
#include <cmath>

namespace cleave::cuda {

struct PoolShape {
  int32_t rank; // Spatial.
  int64_t in[CLEAVE_MAX_RANK], out[CLEAVE_MAX_RANK];
};

/// Output element i of pooling x ([N, C, spatial...], NCHW) with window w.
CLEAVE_HD inline float poolAt(int kind, const cleave_window &w,
                              const PoolShape &shape, const float *x,
                              int64_t i) {
  int64_t rest = i, o[CLEAVE_MAX_RANK], inSize = 1;
  for (int32_t d = shape.rank - 1; d >= 0; --d) {
    o[d] = rest % shape.out[d];
    rest /= shape.out[d];
    inSize *= shape.in[d];
  }
  const float *plane = x + rest * inSize; // rest = n * C + c.
  int64_t taps = 1;
  for (int32_t d = 0; d < shape.rank; ++d)
    taps *= w.kernel[d];
  float best = -INFINITY, sum = 0;
  int64_t valid = 0;
  for (int64_t t = 0; t < taps; ++t) {
    int64_t tr = t, offset = 0, stride = 1;
    bool inside = true;
    for (int32_t d = shape.rank - 1; d >= 0; --d) {
      int64_t k = tr % w.kernel[d];
      tr /= w.kernel[d];
      int64_t c = o[d] * w.strides[d] - w.pads_begin[d] + k * w.dilations[d];
      inside &= c >= 0 && c < shape.in[d];
      offset += c * stride;
      stride *= shape.in[d];
    }
    if (!inside)
      continue;
    float v = plane[offset];
    best = fmaxf(best, v);
    sum += v;
    ++valid;
  }
  return kind == CLEAVE_POOL_MAX               ? best
         : kind == CLEAVE_POOL_AVG_INCLUDE_PAD ? sum / taps
                                               : sum / (valid ? valid : 1);
}

} // namespace cleave::cuda

#endif // CLEAVE_LIB_RUNTIME_CUDA_POOLING_H
