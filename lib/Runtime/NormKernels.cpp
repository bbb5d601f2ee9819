//===- NormKernels.cpp - normalisations and softmax on the CPU --------------===//
//
// Softmax, LogSoftmax, BatchNormalization, InstanceNormalization,
// LayerNormalization (with its statistics) and LRN.
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

/// The sum of term(v) over `count` floats, in double over 8 lanes (a
/// vector of them; one chain of dependent adds took 1.3 ns an element).
template <typename Term>
static double laneSum(const float *values, int64_t count, Term term) {
  double lanes[8] = {};
  int64_t i = 0;
  for (; i + 8 <= count; i += 8)
    for (int l = 0; l < 8; ++l)
      lanes[l] += term(values[i + l]);
  double sum = ((lanes[0] + lanes[1]) + (lanes[2] + lanes[3])) +
               ((lanes[4] + lanes[5]) + (lanes[6] + lanes[7]));
  for (; i < count; ++i)
    sum += term(values[i]);
  return sum;
}

extern "C" {

cleave_status cleave_cpu_softmax(const cleave_tensor *x, int32_t axis,
                                 int32_t log, cleave_tensor *y) {
  CLEAVE_RETURN_IF_ERROR(checkF32("softmax", {x, y}));
  if (dimsOf(x) != dimsOf(y))
    return CLEAVE_ERROR(CLEAVE_INVALID_ARGUMENT,
                        "softmax: input and output shapes differ");
  if (axis < -x->rank || axis >= x->rank)
    return CLEAVE_ERROR(CLEAVE_INVALID_ARGUMENT,
                        "softmax: axis " + std::to_string(axis) +
                            " is out of range for rank " +
                            std::to_string(x->rank));
  if (axis < 0)
    axis += x->rank;
  if (cleave_tensor_num_elements(x) == 0)
    return nullptr;
  return guarded("softmax", [&]() -> cleave_status {
    memory::desc desc = rowMajor(dimsOf(x));
    const dnnl::primitive &softmax = cachedPrimitive(
        planKey(kSoftmax, {dimsOf(x)}, {(double)axis, (double)log}), [&] {
          return dnnl::softmax_v2_forward(
              dnnl::softmax_v2_forward::primitive_desc(
                  dnnl::softmax_v2_forward::desc(
                      dnnl::prop_kind::forward_inference,
                      log ? dnnl::algorithm::softmax_log
                          : dnnl::algorithm::softmax_accurate,
                      desc, desc, axis),
                  cpuEngine()));
        });
    executeOn(softmax, {{DNNL_ARG_SRC, desc, x}, {DNNL_ARG_DST, desc, y}});
    return nullptr;
  });
}

cleave_status cleave_cpu_instance_norm(const cleave_tensor *x,
                                       const cleave_tensor *scale,
                                       const cleave_tensor *bias, float epsilon,
                                       cleave_tensor *y) {
  CLEAVE_RETURN_IF_ERROR(checkF32("instance_norm", {x, scale, bias, y}));
  if (x->rank < 3 || dimsOf(x) != dimsOf(y) ||
      cleave_tensor_num_elements(scale) != x->dims[1] ||
      cleave_tensor_num_elements(bias) != x->dims[1])
    return CLEAVE_ERROR(CLEAVE_INVALID_ARGUMENT,
                        "instance_norm: inconsistent shapes");
  int64_t planes = x->dims[0] * x->dims[1],
          size = cleave_tensor_num_elements(x) / std::max<int64_t>(planes, 1);
  const float *in = (const float *)x->data;
  const float *g = (const float *)scale->data, *b = (const float *)bias->data;
  float *out = (float *)y->data;
#pragma omp parallel for if (planes * size > 65536)
  for (int64_t p = 0; p < planes; ++p) {
    const float *plane = in + p * size;
    double mean = laneSum(plane, size, [](float v) { return (double)v; }) / size;
    double var = laneSum(plane, size, [mean](float v) {
                   double d = v - mean;
                   return d * d;
                 }) / size;
    int64_t c = p % x->dims[1];
    double a = g[c] / std::sqrt(var + epsilon);
    float *outPlane = out + p * size;
    for (int64_t i = 0; i < size; ++i)
      outPlane[i] = (float)((plane[i] - mean) * a + b[c]);
  }
  return nullptr;
}

cleave_status cleave_cpu_lrn(const cleave_tensor *x, float alpha, float beta,
                             float bias, int64_t size, cleave_tensor *y) {
  CLEAVE_RETURN_IF_ERROR(checkF32("lrn", {x, y}));
  if (x->rank < 3 || dimsOf(x) != dimsOf(y) || size <= 0)
    return CLEAVE_ERROR(CLEAVE_INVALID_ARGUMENT,
                        "lrn: x must have rank 3 or more, as y, and size "
                        "must be positive");
  if (cleave_tensor_num_elements(y) == 0)
    return nullptr;
  return guarded("lrn", [&]() -> cleave_status {
    // oneDNN's across-channel LRN is ONNX's: x * (k + alpha/n * sum)^-beta.
    memory::desc desc = rowMajor(dimsOf(x));
    const dnnl::primitive &lrn = cachedPrimitive(
        planKey(kLrn, {dimsOf(x)}, {alpha, beta, bias, (double)size}), [&] {
          return dnnl::lrn_forward(dnnl::lrn_forward::primitive_desc(
              dnnl::lrn_forward::desc(dnnl::prop_kind::forward_inference,
                                      dnnl::algorithm::lrn_across_channels,
                                      desc, size, alpha, beta, bias),
              cpuEngine()));
        });
    executeOn(lrn, {{DNNL_ARG_SRC, desc, x}, {DNNL_ARG_DST, desc, y}});
    return nullptr;
  });
}

cleave_status cleave_cpu_batch_norm(const cleave_tensor *x,
                                    const cleave_tensor *scale,
                                    const cleave_tensor *bias,
                                    const cleave_tensor *mean,
                                    const cleave_tensor *var, float epsilon,
                                    int32_t channels_last, cleave_tensor *y) {
  CLEAVE_RETURN_IF_ERROR(
      checkF32("batch_norm", {x, scale, bias, mean, var, y}));
  if (x->rank < 2 || dimsOf(x) != dimsOf(y))
    return CLEAVE_ERROR(CLEAVE_INVALID_ARGUMENT,
                        "batch_norm: x must have rank 2 or more, as y");
  if (cleave_tensor_num_elements(y) == 0)
    return nullptr;
  return guarded("batch_norm", [&]() -> cleave_status {
    memory::desc xDesc = activationDesc(x, channels_last);
    memory::desc cDesc = rowMajor({xDesc.dims()[1]});
    auto flags = dnnl::normalization_flags::use_global_stats |
                 dnnl::normalization_flags::use_scale |
                 dnnl::normalization_flags::use_shift;
    const dnnl::primitive &norm =
        cachedPrimitive(planKey(kBatchNorm, {dimsOf(x)},
                                {epsilon, (double)channels_last}),
                        [&] {
          return dnnl::batch_normalization_forward(
              dnnl::batch_normalization_forward::primitive_desc(
                  dnnl::batch_normalization_forward::desc(
                      dnnl::prop_kind::forward_inference, xDesc, epsilon,
                      flags),
                  cpuEngine()));
        });
    executeOn(norm, {{DNNL_ARG_SRC, xDesc, x},
                     {DNNL_ARG_MEAN, cDesc, mean},
                     {DNNL_ARG_VARIANCE, cDesc, var},
                     {DNNL_ARG_SCALE, cDesc, scale},
                     {DNNL_ARG_SHIFT, cDesc, bias},
                     {DNNL_ARG_DST, xDesc, y}});
    return nullptr;
  });
}

cleave_status cleave_cpu_layer_norm(const cleave_tensor *x,
                                    const cleave_tensor *scale,
                                    const cleave_tensor *bias, int32_t axis,
                                    float epsilon, cleave_tensor *y) {
  return cleave_cpu_layer_norm_stats(x, scale, bias, axis, epsilon, y, nullptr,
                                     nullptr);
}

cleave_status cleave_cpu_layer_norm_stats(const cleave_tensor *x,
                                          const cleave_tensor *scale,
                                          const cleave_tensor *bias,
                                          int32_t axis, float epsilon,
                                          cleave_tensor *y, cleave_tensor *mean,
                                          cleave_tensor *inv_std_dev) {
  CLEAVE_RETURN_IF_ERROR(checkF32("layer_norm", {x, scale, y}));
  for (const cleave_tensor *t :
       {bias, (const cleave_tensor *)mean, (const cleave_tensor *)inv_std_dev})
    if (t)
      CLEAVE_RETURN_IF_ERROR(checkF32("layer_norm", {t}));
  if (axis < 0 || axis >= x->rank || dimsOf(x) != dimsOf(y))
    return CLEAVE_ERROR(CLEAVE_INVALID_ARGUMENT, "layer_norm: bad axis");
  int64_t rows = 1, cols = 1;
  for (int32_t i = 0; i < x->rank; ++i)
    (i < axis ? rows : cols) *= x->dims[i];
  if (cleave_tensor_num_elements(scale) != cols ||
      (bias && cleave_tensor_num_elements(bias) != cols))
    return CLEAVE_ERROR(CLEAVE_INVALID_ARGUMENT,
                        "layer_norm: scale and bias must cover the "
                        "normalised axes");
  if ((mean && cleave_tensor_num_elements(mean) != rows) ||
      (inv_std_dev && cleave_tensor_num_elements(inv_std_dev) != rows))
    return CLEAVE_ERROR(CLEAVE_INVALID_ARGUMENT,
                        "layer_norm: statistics need one value per row");
  const float *in = (const float *)x->data, *g = (const float *)scale->data;
  const float *b = bias ? (const float *)bias->data : nullptr;
  float *out = (float *)y->data;
  float *means = mean ? (float *)mean->data : nullptr;
  float *invs = inv_std_dev ? (float *)inv_std_dev->data : nullptr;
  // Scale and bias may broadcast over the normalised axes in ONNX; here they
  // cover them fully, so a row loop is exact and simple.
#pragma omp parallel for if (rows * cols > 65536)
  for (int64_t r = 0; r < rows; ++r) {
    const float *row = in + r * cols;
    double mu = laneSum(row, cols, [](float v) { return (double)v; }) / cols;
    double var = laneSum(row, cols, [mu](float v) {
                   double d = v - mu;
                   return d * d;
                 }) / cols;
    float inv = (float)(1.0 / std::sqrt(var + epsilon));
    if (means)
      means[r] = (float)mu;
    if (invs)
      invs[r] = inv;
    for (int64_t c = 0; c < cols; ++c)
      out[r * cols + c] =
          (float)((row[c] - mu) * inv) * g[c] + (b ? b[c] : 0.0f);
  }
  return nullptr;
}

} // extern "C"
