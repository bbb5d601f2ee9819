//===- CpuKernels.cpp - CPU settings, concat, copy, resize ------------------===//
//
// The runtime's CPU settings (threads, the constant region), and the
// kernels that move data through oneDNN or taps: concatenation, copies,
// resizing. The other CPU kernels are in the files of their family.
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
#if defined(__SSE3__) || defined(__x86_64__)
#include <pmmintrin.h>
#include <xmmintrin.h>
#endif

using namespace cleave::cpu;

namespace {
/// ONNX Resize: each output element is a weighted sum of input elements,
/// separable by axis. Per axis, an output index has taps (source index,
/// weight): one for nearest (mode 0), two for linear (1), four for cubic
/// (2, Keys' kernel with coefficient `a`; with `excludeOutside` taps past
/// the edge get no weight and the others are renormalised, else their
/// index is clamped).
cleave_status resizeWithTaps(const cleave_tensor *x, const float *scales,
                             int mode, cleave_resize_coordinates coordinates,
                             cleave_resize_nearest nearest, float a,
                             int32_t excludeOutside, cleave_tensor *y,
                             const float *roi = nullptr,
                             float extrapolation = 0) {
  CLEAVE_RETURN_IF_ERROR(checkF32("resize", {x, y}));
  int32_t rank = x->rank;
  if (y->rank != rank || rank > CLEAVE_MAX_RANK)
    return CLEAVE_ERROR(CLEAVE_INVALID_ARGUMENT, "resize: ranks differ");
  for (int32_t i = 0; i < rank; ++i)
    if (x->dims[i] == 0 && y->dims[i] != 0)
      return CLEAVE_ERROR(CLEAVE_INVALID_ARGUMENT,
                          "resize: cannot grow an empty axis");
  // The source coordinate of output index `i` along `axis` (ONNX's
  // coordinate_transformation_mode).
  auto source = [&](int32_t axis, int64_t i) {
    // ONNX's length_resized is in * scale, which need not be the integer
    // output size (a downsample by 0.6 of 4 is 2.4, its output 2).
    double scale = scales[axis], in = (double)x->dims[axis], out = in * scale;
    switch (coordinates) {
    case CLEAVE_RESIZE_HALF_PIXEL:
      return (i + 0.5) / scale - 0.5;
    case CLEAVE_RESIZE_PYTORCH_HALF_PIXEL:
      return out > 1 ? (i + 0.5) / scale - 0.5 : 0.0;
    case CLEAVE_RESIZE_ALIGN_CORNERS:
      return out == 1 ? 0.0 : i * (in - 1) / (out - 1);
    case CLEAVE_RESIZE_ASYMMETRIC:
      return i / scale;
    case CLEAVE_RESIZE_TF_HALF_PIXEL_FOR_NN:
      return (i + 0.5) / scale;
    case CLEAVE_RESIZE_TF_CROP_AND_RESIZE: {
      // Stretched over the whole output, as onnxruntime (not in * scale,
      // which a float scale puts just past 1 for an output of 1).
      double start = roi[axis], end = roi[rank + axis];
      double size = (double)y->dims[axis];
      return size > 1
                 ? start * (in - 1) + i * (end - start) * (in - 1) / (size - 1)
                 : 0.5 * (start + end) * (in - 1);
    }
    }
    return 0.0;
  };
  // Taps of every output index of every axis, computed once.
  struct Tap {
    int64_t index;
    double weight;
  };
  std::vector<std::vector<std::vector<Tap>>> taps(rank);
  for (int32_t axis = 0; axis < rank; ++axis) {
    int64_t last = x->dims[axis] - 1;
    auto clamp = [&](int64_t i) {
      return std::min(std::max<int64_t>(i, 0), last);
    };
    for (int64_t i = 0; i < y->dims[axis]; ++i) {
      double s = source(axis, i), f = std::floor(s), t = s - f;
      std::vector<Tap> list;
      // Outside the input, a crop reads the extrapolation value: no taps.
      if (roi && (s < 0 || s > (double)last)) {
        taps[axis].push_back(std::move(list));
        continue;
      }
      if (mode == 0) {
        int64_t n;
        switch (nearest) {
        case CLEAVE_NEAREST_ROUND_PREFER_FLOOR:
          n = t == 0.5 ? (int64_t)f : (int64_t)std::round(s);
          break;
        case CLEAVE_NEAREST_ROUND_PREFER_CEIL:
          n = t == 0.5 ? (int64_t)f + 1 : (int64_t)std::round(s);
          break;
        case CLEAVE_NEAREST_FLOOR:
          n = (int64_t)f;
          break;
        default:
          n = (int64_t)std::ceil(s);
          break;
        }
        list.push_back({clamp(n), 1.0});
      } else if (mode == 1) {
        list.push_back({clamp((int64_t)f), 1 - t});
        list.push_back({clamp((int64_t)f + 1), t});
      } else {
        // Keys' cubic kernel at distances 1 + t, t, 1 - t and 2 - t.
        auto near = [&](double d) {
          return ((a + 2) * d - (a + 3)) * d * d + 1;
        };
        auto far = [&](double d) {
          return ((a * d - 5 * a) * d + 8 * a) * d - 4 * a;
        };
        double weights[4] = {far(1 + t), near(t), near(1 - t), far(2 - t)};
        double total = 0;
        for (int k = 0; k < 4; ++k) {
          int64_t index = (int64_t)f - 1 + k;
          bool outside = index < 0 || index > last;
          if (excludeOutside && outside)
            continue;
          list.push_back({clamp(index), weights[k]});
          total += weights[k];
        }
        if (excludeOutside && total != 0)
          for (Tap &tap : list)
            tap.weight /= total;
      }
      taps[axis].push_back(std::move(list));
    }
  }
  std::vector<int64_t> stride(rank, 1);
  for (int32_t i = rank - 2; i >= 0; --i)
    stride[i] = stride[i + 1] * x->dims[i + 1];
  int64_t count = cleave_tensor_num_elements(y);
  const float *in = (const float *)x->data;
  float *out = (float *)y->data;
#pragma omp parallel for
  for (int64_t flat = 0; flat < count; ++flat) {
    const std::vector<Tap> *axisTaps[CLEAVE_MAX_RANK];
    int64_t rest = flat;
    bool outside = false;
    for (int32_t a2 = rank - 1; a2 >= 0; --a2) {
      axisTaps[a2] = &taps[a2][rest % y->dims[a2]];
      outside |= axisTaps[a2]->empty();
      rest /= y->dims[a2];
    }
    if (outside) {
      out[flat] = extrapolation;
      continue;
    }
    // Sum over every combination of taps (an odometer over the axes).
    size_t pick[CLEAVE_MAX_RANK] = {};
    double value = 0;
    for (;;) {
      double w = 1;
      int64_t index = 0;
      for (int32_t a2 = 0; a2 < rank; ++a2) {
        const Tap &tap = (*axisTaps[a2])[pick[a2]];
        w *= tap.weight;
        index += tap.index * stride[a2];
      }
      value += w * in[index];
      int32_t a2 = rank - 1;
      while (a2 >= 0 && ++pick[a2] == axisTaps[a2]->size())
        pick[a2--] = 0;
      if (a2 < 0)
        break;
    }
    out[flat] = (float)value;
  }
  return nullptr;
}
} // namespace

extern "C" {

void cleave_cpu_set_constant_region(const void *data, int64_t size) {
  constantBegin = (const char *)data;
  constantEnd = constantBegin + (data ? size : 0);
}

void cleave_cpu_set_num_threads(int32_t threads) {
  omp_set_num_threads(threads > 0 ? threads : omp_get_num_procs());
}

void cleave_cpu_flush_denormals(void) {
#if defined(__SSE3__) || defined(__x86_64__)
  auto flush = [] {
    _MM_SET_FLUSH_ZERO_MODE(_MM_FLUSH_ZERO_ON);
    _MM_SET_DENORMALS_ZERO_MODE(_MM_DENORMALS_ZERO_ON);
  };
  flush();
  // The kernels' threads; any the pool adds later start as copies of
  // this thread's floating-point state.
#pragma omp parallel
  flush();
#endif
}

cleave_status cleave_cpu_concat(const cleave_tensor *const *inputs,
                                int32_t count, int32_t axis, cleave_tensor *y) {
  size_t width = cleave_dtype_size(y->dtype);
  if (!width || axis < 0 || axis >= y->rank)
    return CLEAVE_ERROR(CLEAVE_INVALID_ARGUMENT, "concat: bad axis or type");
  int64_t outer = 1, inner = width;
  for (int32_t i = 0; i < axis; ++i)
    outer *= y->dims[i];
  for (int32_t i = axis + 1; i < y->rank; ++i)
    inner *= y->dims[i];
  int64_t rowBytes = y->dims[axis] * inner, offset = 0;
  for (int32_t k = 0; k < count; ++k) {
    const cleave_tensor *x = inputs[k];
    if (x->dtype != y->dtype || x->rank != y->rank)
      return CLEAVE_ERROR(CLEAVE_INVALID_ARGUMENT,
                          "concat: inputs differ from the output in type or "
                          "rank");
    int64_t chunk = x->dims[axis] * inner;
    for (int64_t o = 0; o < outer; ++o)
      std::memmove((char *)y->data + o * rowBytes + offset,
                   (const char *)x->data + o * chunk, chunk);
    offset += chunk;
  }
  if (offset != rowBytes)
    return CLEAVE_ERROR(CLEAVE_INVALID_ARGUMENT,
                        "concat: inputs do not fill the output axis");
  return nullptr;
}

cleave_status cleave_cpu_copy(const cleave_tensor *x, cleave_tensor *y) {
  size_t bytes = cleave_tensor_num_bytes(x);
  if (bytes != cleave_tensor_num_bytes(y))
    return CLEAVE_ERROR(CLEAVE_INTERNAL,
                        "copy: " + std::to_string(bytes) + " bytes into " +
                            std::to_string(cleave_tensor_num_bytes(y)));
  if (bytes && x->data != y->data)
    std::memmove(y->data, x->data, bytes);
  return nullptr;
}

cleave_status cleave_cpu_resize(const cleave_tensor *x, const float *scales,
                                int32_t linear,
                                cleave_resize_coordinates coordinates,
                                cleave_resize_nearest nearest,
                                cleave_tensor *y) {
  return resizeWithTaps(x, scales, linear ? 1 : 0, coordinates, nearest, -0.75f,
                        0, y);
}

cleave_status cleave_cpu_resize_crop(const cleave_tensor *x,
                                     const float *scales, const float *roi,
                                     int32_t mode,
                                     cleave_resize_nearest nearest,
                                     float cubic_a, int32_t exclude_outside,
                                     float extrapolation, cleave_tensor *y) {
  if (!roi || mode < 0 || mode > 2)
    return CLEAVE_ERROR(CLEAVE_INVALID_ARGUMENT,
                        "resize_crop: needs a region and a mode of 0 to 2");
  return resizeWithTaps(x, scales, mode, CLEAVE_RESIZE_TF_CROP_AND_RESIZE,
                        nearest, cubic_a, exclude_outside, y, roi,
                        extrapolation);
}

cleave_status cleave_cpu_resize_cubic(const cleave_tensor *x,
                                      const float *scales,
                                      cleave_resize_coordinates coordinates,
                                      float cubic_a, int32_t exclude_outside,
                                      cleave_tensor *y) {
  return resizeWithTaps(x, scales, 2, coordinates, CLEAVE_NEAREST_FLOOR,
                        cubic_a, exclude_outside, y);
}

} // extern "C"
