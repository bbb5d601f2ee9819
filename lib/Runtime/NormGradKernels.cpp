//===- NormGradKernels.cpp - backward LayerNormalization and softmax ------===//
//
// Row loops with sums in double. Each output element is computed the same
// way whatever the thread count: rows (and, for the parameter gradients,
// blocks of columns) are independent.
//
//===----------------------------------------------------------------------===//

#include "cleave/Runtime/CpuKernels.h"
#include "OneDnnSupport.h"
#include "StatusInternal.h"
#include <algorithm>
#include <cmath>
#include <string>
#include <vector>

using namespace cleave::cpu;

namespace {

/// Columns per block of the parameter gradients: one cache line of each
/// row.
constexpr int64_t kColumnBlock = 16;

const float *floats(const cleave_tensor *t) {
  return static_cast<const float *>(t->data);
}
float *floats(cleave_tensor *t) {
  return t ? static_cast<float *>(t->data) : nullptr;
}

} // namespace

extern "C" {

cleave_status cleave_cpu_layer_norm_backward(
    const cleave_tensor *dy, const cleave_tensor *x, const cleave_tensor *scale,
    const cleave_tensor *mean, const cleave_tensor *inv_std_dev, int32_t axis,
    cleave_tensor *dx, cleave_tensor *dscale, cleave_tensor *dbias) {
  CLEAVE_RETURN_IF_ERROR(checkF32("layer_norm_backward",
                                  {dy, x, scale, mean, inv_std_dev, dx}));
  for (const cleave_tensor *t : {(const cleave_tensor *)dscale,
                                 (const cleave_tensor *)dbias})
    if (t)
      CLEAVE_RETURN_IF_ERROR(checkF32("layer_norm_backward", {t}));
  if (axis < 0 || axis >= x->rank || dimsOf(dy) != dimsOf(x) ||
      dimsOf(dx) != dimsOf(x))
    return CLEAVE_ERROR(CLEAVE_INVALID_ARGUMENT,
                        "layer_norm_backward: dy, x and dx must have one "
                        "shape and axis be one of its axes");
  int64_t rows = 1, cols = 1;
  for (int32_t i = 0; i < x->rank; ++i)
    (i < axis ? rows : cols) *= x->dims[i];
  bool covered = cleave_tensor_num_elements(scale) == cols;
  for (const cleave_tensor *t : {(const cleave_tensor *)dscale,
                                 (const cleave_tensor *)dbias})
    covered &= !t || cleave_tensor_num_elements(t) == cols;
  if (!covered || cleave_tensor_num_elements(mean) != rows ||
      cleave_tensor_num_elements(inv_std_dev) != rows)
    return CLEAVE_ERROR(CLEAVE_INVALID_ARGUMENT,
                        "layer_norm_backward: the scale and its gradients "
                        "must cover the normalised axes, and the statistics "
                        "hold one value per row");
  const float *d = floats(dy), *in = floats(x), *w = floats(scale),
              *mu = floats(mean), *inv = floats(inv_std_dev);
  float *out = floats(dx), *dw = floats(dscale), *db = floats(dbias);
  bool parallel = rows * cols * 12 > (int64_t)kSerialBytes;
  // dx = r (g - mean(g) - xhat mean(g xhat)), g = dy * scale.
#pragma omp parallel for if (parallel)
  for (int64_t r = 0; r < rows; ++r) {
    const float *dr = d + r * cols, *xr = in + r * cols;
    float m = mu[r], s = inv[r];
    double sumG = 0, sumGX = 0;
    for (int64_t c = 0; c < cols; ++c) {
      float g = dr[c] * w[c];
      sumG += g;
      sumGX += g * ((xr[c] - m) * s);
    }
    float meanG = (float)(sumG / cols), meanGX = (float)(sumGX / cols);
    for (int64_t c = 0; c < cols; ++c) {
      float g = dr[c] * w[c];
      out[r * cols + c] = s * (g - meanG - ((xr[c] - m) * s) * meanGX);
    }
  }
  if (!dw && !db)
    return nullptr;
  // dscale = sum(dy xhat), dbias = sum(dy) over the rows, a block of
  // columns at a time.
  int64_t blocks = (cols + kColumnBlock - 1) / kColumnBlock;
#pragma omp parallel for if (parallel)
  for (int64_t block = 0; block < blocks; ++block) {
    int64_t begin = block * kColumnBlock,
            width = std::min(kColumnBlock, cols - begin);
    double sumX[kColumnBlock] = {}, sum[kColumnBlock] = {};
    for (int64_t r = 0; r < rows; ++r) {
      const float *dr = d + r * cols + begin, *xr = in + r * cols + begin;
      float m = mu[r], s = inv[r];
      for (int64_t c = 0; c < width; ++c) {
        sumX[c] += dr[c] * ((xr[c] - m) * s);
        sum[c] += dr[c];
      }
    }
    for (int64_t c = 0; c < width; ++c) {
      if (dw)
        dw[begin + c] = (float)sumX[c];
      if (db)
        db[begin + c] = (float)sum[c];
    }
  }
  return nullptr;
}

cleave_status cleave_cpu_softmax_backward(const cleave_tensor *dy,
                                          const cleave_tensor *y,
                                          int32_t axis, int32_t log,
                                          cleave_tensor *dx) {
  CLEAVE_RETURN_IF_ERROR(checkF32("softmax_backward", {dy, y, dx}));
  if (axis < 0 || axis >= y->rank || dimsOf(dy) != dimsOf(y) ||
      dimsOf(dx) != dimsOf(y))
    return CLEAVE_ERROR(CLEAVE_INVALID_ARGUMENT,
                        "softmax_backward: dy, y and dx must have one shape "
                        "and axis be one of its axes");
  // [outer, length, inner]: the sums run along `length`, inner apart.
  int64_t outer = 1, length = y->dims[axis], inner = 1;
  for (int32_t i = 0; i < y->rank; ++i)
    if (i != axis)
      (i < axis ? outer : inner) *= y->dims[i];
  const float *d = floats(dy), *p = floats(y);
  float *out = floats(dx);
  bool parallel = outer * length * inner * 12 > (int64_t)kSerialBytes;
  if (inner == 1) { // Contiguous rows (the last axis: attention's scores).
#pragma omp parallel for if (parallel)
    for (int64_t o = 0; o < outer; ++o) {
      const float *dr = d + o * length, *pr = p + o * length;
      float *xr = out + o * length;
      double sum = 0;
      if (log) {
        for (int64_t j = 0; j < length; ++j)
          sum += dr[j];
        for (int64_t j = 0; j < length; ++j)
          xr[j] = dr[j] - std::exp(pr[j]) * (float)sum;
      } else {
        for (int64_t j = 0; j < length; ++j)
          sum += dr[j] * pr[j];
        for (int64_t j = 0; j < length; ++j)
          xr[j] = pr[j] * (dr[j] - (float)sum);
      }
    }
    return nullptr;
  }
#pragma omp parallel if (parallel)
  {
    std::vector<double> sums(inner);
#pragma omp for
    for (int64_t o = 0; o < outer; ++o) {
      int64_t base = o * length * inner;
      std::fill(sums.begin(), sums.end(), 0.0);
      for (int64_t j = 0; j < length; ++j)
        for (int64_t i = 0; i < inner; ++i) {
          int64_t at = base + j * inner + i;
          sums[i] += log ? d[at] : d[at] * p[at];
        }
      for (int64_t j = 0; j < length; ++j)
        for (int64_t i = 0; i < inner; ++i) {
          int64_t at = base + j * inner + i;
          float sum = (float)sums[i];
          out[at] = log ? d[at] - std::exp(p[at]) * sum : p[at] * (d[at] - sum);
        }
    }
  }
  return nullptr;
}

} // extern "C"
