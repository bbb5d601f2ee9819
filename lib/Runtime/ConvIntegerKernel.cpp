//===- ConvIntegerKernel.cpp - ConvInteger on the CPU ---------------------===//
//
// ONNX ConvInteger: the convolution of (x - x_zero_point) and
// (w - w_zero_point), 8-bit inputs, summed exactly in int32 (as
// onnxruntime's and ONNX's reference), where a float convolution would
// round sums past 2^24. A direct loop over 1 to 3 spatial dims, each shape
// padded to three (size 1, kernel 1, no padding).
//
//===----------------------------------------------------------------------===//

#include "OneDnnSupport.h"
#include "StatusInternal.h"
#include "cleave/Runtime/CpuKernels.h"
#include <vector>

using namespace cleave::cpu;

namespace {

/// Element i of an i8 or u8 tensor, widened.
int32_t byteAt(const cleave_tensor *t, int64_t i) {
  return t->dtype == CLEAVE_DTYPE_I8 ? (int32_t)((const int8_t *)t->data)[i]
                                     : (int32_t)((const uint8_t *)t->data)[i];
}

bool isByte(const cleave_tensor *t) {
  return t->dtype == CLEAVE_DTYPE_I8 || t->dtype == CLEAVE_DTYPE_U8;
}

int64_t elements(const cleave_tensor *t) {
  int64_t n = 1;
  for (int32_t i = 0; i < t->rank; ++i)
    n *= t->dims[i];
  return n;
}

} // namespace

extern "C" cleave_status cleave_cpu_conv_integer(
    const cleave_tensor *x, const cleave_tensor *w,
    const cleave_tensor *x_zero_point, const cleave_tensor *w_zero_point,
    const cleave_window *window, int64_t group, cleave_tensor *y) {
  int32_t spatial = window->spatial_rank;
  bool shapesMatch = x->rank == spatial + 2 && w->rank == x->rank &&
                     y->rank == x->rank && spatial >= 1 && spatial <= 3 &&
                     group >= 1 && x->dims[1] == w->dims[1] * group &&
                     w->dims[0] % group == 0 && y->dims[0] == x->dims[0] &&
                     y->dims[1] == w->dims[0];
  int64_t outChannels = w->dims[0];
  bool zerosMatch =
      (!x_zero_point ||
       (isByte(x_zero_point) && elements(x_zero_point) == 1)) &&
      (!w_zero_point ||
       (isByte(w_zero_point) && (elements(w_zero_point) == 1 ||
                                 elements(w_zero_point) == outChannels)));
  if (!isByte(x) || !isByte(w) || y->dtype != CLEAVE_DTYPE_I32 ||
      !shapesMatch || !zerosMatch || window->channels_last)
    return CLEAVE_ERROR(CLEAVE_INVALID_ARGUMENT,
                        "conv_integer: x and w (i8 or u8, [N, C, ...] and [M, "
                        "C / group, k...]), their zero points and y (i32) do "
                        "not match: " +
                            shapeText(dimsOf(x)) + ", " + shapeText(dimsOf(w)) +
                            ", " + shapeText(dimsOf(y)));
  // Three spatial dims: the missing ones of size 1.
  int64_t in[3] = {1, 1, 1}, out[3] = {1, 1, 1}, k[3] = {1, 1, 1};
  int64_t stride[3] = {1, 1, 1}, dilation[3] = {1, 1, 1}, pad[3] = {0, 0, 0};
  for (int32_t i = 0; i < spatial; ++i) {
    int32_t at = 3 - spatial + i;
    in[at] = x->dims[2 + i];
    out[at] = y->dims[2 + i];
    k[at] = w->dims[2 + i];
    stride[at] = window->strides[i];
    dilation[at] = window->dilations[i];
    pad[at] = window->pads_begin[i];
  }
  int64_t batch = x->dims[0], inChannels = w->dims[1];
  int64_t perGroup = outChannels / group;
  int64_t inPlane = in[0] * in[1] * in[2], outPlane = out[0] * out[1] * out[2];
  int64_t kernelSize = k[0] * k[1] * k[2];
  int32_t xZero = x_zero_point ? byteAt(x_zero_point, 0) : 0;
  // The weights less their zero points, once.
  std::vector<int32_t> weights(elements(w));
  for (int64_t m = 0; m < outChannels; ++m) {
    int32_t wZero = !w_zero_point                 ? 0
                    : elements(w_zero_point) == 1 ? byteAt(w_zero_point, 0)
                                                  : byteAt(w_zero_point, m);
    for (int64_t i = 0; i < inChannels * kernelSize; ++i) {
      int64_t at = m * inChannels * kernelSize + i;
      weights[at] = byteAt(w, at) - wZero;
    }
  }
  int32_t *result = (int32_t *)y->data;
#pragma omp parallel for collapse(2) if (batch * outChannels * outPlane > 4096)
  for (int64_t n = 0; n < batch; ++n)
    for (int64_t m = 0; m < outChannels; ++m) {
      int64_t g = m / perGroup;
      const int32_t *filter = weights.data() + m * inChannels * kernelSize;
      int32_t *target = result + (n * outChannels + m) * outPlane;
      for (int64_t o0 = 0; o0 < out[0]; ++o0)
        for (int64_t o1 = 0; o1 < out[1]; ++o1)
          for (int64_t o2 = 0; o2 < out[2]; ++o2) {
            int32_t sum = 0;
            for (int64_t c = 0; c < inChannels; ++c) {
              int64_t source =
                  (n * inChannels * group + g * inChannels + c) * inPlane;
              const int32_t *taps = filter + c * kernelSize;
              for (int64_t k0 = 0; k0 < k[0]; ++k0) {
                int64_t i0 = o0 * stride[0] - pad[0] + k0 * dilation[0];
                if (i0 < 0 || i0 >= in[0])
                  continue;
                for (int64_t k1 = 0; k1 < k[1]; ++k1) {
                  int64_t i1 = o1 * stride[1] - pad[1] + k1 * dilation[1];
                  if (i1 < 0 || i1 >= in[1])
                    continue;
                  for (int64_t k2 = 0; k2 < k[2]; ++k2) {
                    int64_t i2 = o2 * stride[2] - pad[2] + k2 * dilation[2];
                    if (i2 < 0 || i2 >= in[2])
                      continue;
                    // Padding reads zero in the shifted domain, as ONNX's
                    // reference pads x - x_zero_point.
                    int32_t v =
                        byteAt(x, source + (i0 * in[1] + i1) * in[2] + i2) -
                        xZero;
                    sum += v * taps[(k0 * k[1] + k1) * k[2] + k2];
                  }
                }
              }
            }
            target[(o0 * out[1] + o1) * out[2] + o2] = sum;
          }
    }
  return nullptr;
}
