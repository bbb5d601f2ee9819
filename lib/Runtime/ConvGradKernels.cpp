//===- ConvGradKernels.cpp - convolutions' and pools' backward passes -----===//
//
// oneDNN's backward-data and backward-weights convolutions and backward
// pooling on the program's plain [N, C, spatial...] tensors; each
// primitive is built once per shape and window, from the forward-training
// descriptor oneDNN asks for as a hint. A max pool's backward pass reruns
// its forward for the workspace (where each window's maximum is).
// Depthwise 2-D convolutions (one input channel per group) take loops of
// our own: oneDNN 2.6 has only its reference kernels for them on plain
// layouts, 1 us an output element (MobileNetV2's step spent 40% there).
//
//===----------------------------------------------------------------------===//

#include "OneDnnSupport.h"
#include "StatusInternal.h"
#include "cleave/Runtime/CpuKernels.h"
#include <algorithm>
#include <dnnl.hpp>
#include <optional>
#include <utility>
#include <vector>

using namespace cleave::cpu;

namespace {

/// The descriptors of one convolution: x [N, C, in...], w [M, C/g, k...]
/// (grouped: [g, M/g, C/g, k...]), y [N, M, out...].
struct ConvShapes {
  memory::desc x, w, y;
  Dims strides, dilations, begin, end;
};

ConvShapes convShapes(const cleave_tensor *x, const cleave_tensor *w,
                      const cleave_tensor *y, const cleave_window *window,
                      int64_t group) {
  ConvShapes s;
  s.x = rowMajor(dimsOf(x));
  s.y = rowMajor(dimsOf(y));
  Dims wDims = dimsOf(w);
  if (group > 1) {
    wDims[0] /= group;
    wDims.insert(wDims.begin(), group);
  }
  s.w = rowMajor(wDims);
  for (int32_t i = 0; i < window->spatial_rank; ++i) {
    s.strides.push_back(window->strides[i]);
    s.dilations.push_back(window->dilations[i] - 1); // oneDNN counts from 0.
    s.begin.push_back(window->pads_begin[i]);
    s.end.push_back(window->pads_end[i]);
  }
  return s;
}

dnnl::convolution_forward::primitive_desc forwardHint(const ConvShapes &s) {
  return dnnl::convolution_forward::primitive_desc(
      dnnl::convolution_forward::desc(
          dnnl::prop_kind::forward_training,
          dnnl::algorithm::convolution_direct, s.x, s.w, s.y, s.strides,
          s.dilations, s.begin, s.end),
      cpuEngine());
}

/// Shapes, group and window: what decides the primitive.
PlanKey convGradKey(PlanKind kind, const cleave_tensor *x,
                    const cleave_tensor *w, const cleave_tensor *y,
                    const cleave_window *window, int64_t group) {
  PlanKey key = planKey(kind, {dimsOf(x), dimsOf(w), dimsOf(y)},
                        {(double)group});
  int32_t rank = window->spatial_rank;
  for (const int64_t *v : {window->strides, window->dilations,
                           window->pads_begin, window->pads_end})
    key.insert(key.end(), v, v + rank);
  return key;
}

cleave_status checkShapes(const char *kernel, const cleave_tensor *x,
                          const cleave_tensor *w, const cleave_tensor *y,
                          const cleave_window *window, int64_t group) {
  CLEAVE_RETURN_IF_ERROR(checkF32(kernel, {x, w, y}));
  int32_t rank = window->spatial_rank;
  if (window->channels_last || x->rank != rank + 2 || w->rank != rank + 2 ||
      y->rank != rank + 2 || group <= 0 || w->dims[0] % group != 0 ||
      x->dims[1] != w->dims[1] * group || y->dims[1] != w->dims[0] ||
      x->dims[0] != y->dims[0])
    return CLEAVE_ERROR(CLEAVE_INVALID_ARGUMENT,
                        std::string(kernel) +
                            ": inconsistent shapes, groups or layout");
  return nullptr;
}

/// Where kernel tap k meets the input along one axis: the output
/// positions [begin, end) read input position o * stride + shift, which
/// lies inside the input for them (padding reads nothing).
struct Tap {
  int64_t begin, end, shift;
};

std::vector<Tap> taps(int64_t kernel, int64_t in, int64_t out, int64_t stride,
                      int64_t dilation, int64_t pad) {
  std::vector<Tap> result;
  for (int64_t k = 0; k < kernel; ++k) {
    int64_t shift = k * dilation - pad;
    int64_t begin = shift >= 0 ? 0 : (-shift + stride - 1) / stride;
    int64_t end = in - shift <= 0 ? 0 : (in - shift + stride - 1) / stride;
    result.push_back({begin, std::min(end, out), shift});
  }
  return result;
}

/// A depthwise 2-D convolution's geometry: x [N, C, H, W], w [M, 1, KH,
/// KW] with M = C * multiplier (output channel m reads input channel
/// m / multiplier), y [N, M, OH, OW]; each tap's rows and columns.
struct Depthwise {
  int64_t n, c, h, w, m, oh, ow, multiplier, strideH, strideW;
  std::vector<Tap> rows, columns;
};

std::optional<Depthwise> depthwise(const cleave_tensor *x,
                                   const cleave_tensor *w,
                                   const cleave_tensor *y,
                                   const cleave_window *window, int64_t group) {
  if (window->spatial_rank != 2 || group <= 1 || w->dims[1] != 1 ||
      group != x->dims[1])
    return std::nullopt;
  Depthwise d{x->dims[0],
              x->dims[1],
              x->dims[2],
              x->dims[3],
              w->dims[0],
              y->dims[2],
              y->dims[3],
              w->dims[0] / x->dims[1],
              window->strides[0],
              window->strides[1],
              {},
              {}};
  d.rows = taps(w->dims[2], d.h, d.oh, d.strideH, window->dilations[0],
                window->pads_begin[0]);
  d.columns = taps(w->dims[3], d.w, d.ow, d.strideW, window->dilations[1],
                   window->pads_begin[1]);
  return d;
}

/// dx[n, c] = sum over the multiplier's channels m and the kernel of
/// dy[n, m] scattered through w[m]: one (image, channel) plane a task.
void depthwiseBackwardData(const Depthwise &d, const float *dy, const float *w,
                           float *dx) {
  int64_t planes = d.n * d.c, kh = d.rows.size(), kw = d.columns.size();
#pragma omp parallel for if (planes * d.h * d.w > 4096)
  for (int64_t plane = 0; plane < planes; ++plane) {
    int64_t image = plane / d.c, channel = plane % d.c;
    float *out = dx + plane * d.h * d.w;
    std::fill(out, out + d.h * d.w, 0.0f);
    for (int64_t j = 0; j < d.multiplier; ++j) {
      int64_t m = channel * d.multiplier + j;
      const float *grad = dy + (image * d.m + m) * d.oh * d.ow;
      const float *kernel = w + m * kh * kw;
      for (int64_t ky = 0; ky < kh; ++ky) {
        const Tap &row = d.rows[ky];
        for (int64_t kx = 0; kx < kw; ++kx) {
          const Tap &column = d.columns[kx];
          float weight = kernel[ky * kw + kx];
          for (int64_t oy = row.begin; oy < row.end; ++oy) {
            const float *source = grad + oy * d.ow;
            // + ox * stride lands inside the input row.
            int64_t base = (oy * d.strideH + row.shift) * d.w + column.shift;
            if (d.strideW == 1)
              for (int64_t ox = column.begin; ox < column.end; ++ox)
                out[base + ox] += source[ox] * weight;
            else
              for (int64_t ox = column.begin; ox < column.end; ++ox)
                out[base + ox * d.strideW] += source[ox] * weight;
          }
        }
      }
    }
  }
}

/// dw[m, ky, kx] = sum over images and output positions of dy[n, m] times
/// x[n, m / multiplier] at the tap: one output channel a task, each tap's
/// products summed per output column first (a loop the compiler
/// vectorizes), then across the columns in double.
void depthwiseBackwardWeights(const Depthwise &d, const float *x,
                              const float *dy, float *dw) {
  int64_t kh = d.rows.size(), kw = d.columns.size();
#pragma omp parallel for if (d.n * d.m * d.oh * d.ow > 4096)
  for (int64_t m = 0; m < d.m; ++m) {
    int64_t channel = m / d.multiplier;
    std::vector<float> partial(d.ow);
    for (int64_t ky = 0; ky < kh; ++ky) {
      const Tap &row = d.rows[ky];
      for (int64_t kx = 0; kx < kw; ++kx) {
        const Tap &column = d.columns[kx];
        std::fill(partial.begin(), partial.end(), 0.0f);
        for (int64_t image = 0; image < d.n; ++image) {
          const float *in = x + (image * d.c + channel) * d.h * d.w;
          const float *grad = dy + (image * d.m + m) * d.oh * d.ow;
          for (int64_t oy = row.begin; oy < row.end; ++oy) {
            const float *source = grad + oy * d.ow;
            int64_t base = (oy * d.strideH + row.shift) * d.w + column.shift;
            for (int64_t ox = column.begin; ox < column.end; ++ox)
              partial[ox] += source[ox] * in[base + ox * d.strideW];
          }
        }
        double sum = 0;
        for (int64_t ox = 0; ox < d.ow; ++ox)
          sum += partial[ox];
        dw[(m * kh + ky) * kw + kx] = (float)sum;
      }
    }
  }
}

} // namespace

extern "C" {

cleave_status cleave_cpu_conv_backward_data(const cleave_tensor *dy,
                                            const cleave_tensor *w,
                                            const cleave_window *window,
                                            int64_t group, cleave_tensor *dx) {
  CLEAVE_RETURN_IF_ERROR(
      checkShapes("conv_backward_data", dx, w, dy, window, group));
  if (auto d = depthwise(dx, w, dy, window, group)) {
    depthwiseBackwardData(*d, static_cast<const float *>(dy->data),
                          static_cast<const float *>(w->data),
                          static_cast<float *>(dx->data));
    return nullptr;
  }
  return guarded("conv_backward_data", [&]() -> cleave_status {
    ConvShapes s = convShapes(dx, w, dy, window, group);
    const dnnl::primitive &primitive = cachedPrimitive(
        convGradKey(kConvBackwardData, dx, w, dy, window, group), [&] {
          return dnnl::convolution_backward_data(
              dnnl::convolution_backward_data::primitive_desc(
                  dnnl::convolution_backward_data::desc(
                      dnnl::algorithm::convolution_direct, s.x, s.w, s.y,
                      s.strides, s.dilations, s.begin, s.end),
                  cpuEngine(), forwardHint(s)));
        });
    executeOn(primitive, {{DNNL_ARG_DIFF_DST, s.y, dy},
                          {DNNL_ARG_WEIGHTS, s.w, w},
                          {DNNL_ARG_DIFF_SRC, s.x, dx}});
    return nullptr;
  });
}

cleave_status cleave_cpu_conv_backward_weights(const cleave_tensor *x,
                                               const cleave_tensor *dy,
                                               const cleave_window *window,
                                               int64_t group,
                                               cleave_tensor *dw) {
  CLEAVE_RETURN_IF_ERROR(
      checkShapes("conv_backward_weights", x, dw, dy, window, group));
  if (auto d = depthwise(x, dw, dy, window, group)) {
    depthwiseBackwardWeights(*d, static_cast<const float *>(x->data),
                             static_cast<const float *>(dy->data),
                             static_cast<float *>(dw->data));
    return nullptr;
  }
  return guarded("conv_backward_weights", [&]() -> cleave_status {
    ConvShapes s = convShapes(x, dw, dy, window, group);
    const dnnl::primitive &primitive = cachedPrimitive(
        convGradKey(kConvBackwardWeights, x, dw, dy, window, group), [&] {
          return dnnl::convolution_backward_weights(
              dnnl::convolution_backward_weights::primitive_desc(
                  dnnl::convolution_backward_weights::desc(
                      dnnl::algorithm::convolution_direct, s.x, s.w, s.y,
                      s.strides, s.dilations, s.begin, s.end),
                  cpuEngine(), forwardHint(s)));
        });
    executeOn(primitive, {{DNNL_ARG_SRC, s.x, x},
                          {DNNL_ARG_DIFF_DST, s.y, dy},
                          {DNNL_ARG_DIFF_WEIGHTS, s.w, dw}});
    return nullptr;
  });
}

cleave_status cleave_cpu_pool_backward(cleave_pool_kind kind,
                                       const cleave_tensor *x,
                                       const cleave_tensor *dy,
                                       const cleave_window *window,
                                       cleave_tensor *dx) {
  CLEAVE_RETURN_IF_ERROR(checkF32("pool_backward", {x, dy, dx}));
  int32_t rank = window->spatial_rank;
  if (window->channels_last || x->rank != rank + 2 || dy->rank != rank + 2 ||
      dimsOf(x) != dimsOf(dx) || x->dims[0] != dy->dims[0] ||
      x->dims[1] != dy->dims[1])
    return CLEAVE_ERROR(CLEAVE_INVALID_ARGUMENT,
                        "pool_backward: inconsistent shapes or layout");
  dnnl::algorithm algorithm =
      kind == CLEAVE_POOL_MAX ? dnnl::algorithm::pooling_max
      : kind == CLEAVE_POOL_AVG_INCLUDE_PAD
          ? dnnl::algorithm::pooling_avg_include_padding
          : dnnl::algorithm::pooling_avg_exclude_padding;
  return guarded("pool_backward", [&]() -> cleave_status {
    memory::desc xd = rowMajor(dimsOf(x)), yd = rowMajor(dimsOf(dy));
    Dims strides, kernel, dilations, begin, end;
    for (int32_t i = 0; i < rank; ++i) {
      strides.push_back(window->strides[i]);
      kernel.push_back(window->kernel[i]);
      dilations.push_back(window->dilations[i] - 1);
      begin.push_back(window->pads_begin[i]);
      end.push_back(window->pads_end[i]);
    }
    dnnl::pooling_v2_forward::primitive_desc forward(
        dnnl::pooling_v2_forward::desc(dnnl::prop_kind::forward_training,
                                       algorithm, xd, yd, strides, kernel,
                                       dilations, begin, end),
        cpuEngine());
    PlanKey key = planKey(kPoolBackward,
                          {dimsOf(x), dimsOf(dy), strides, kernel, dilations,
                           begin, end},
                          {(double)kind});
    std::unordered_map<int, memory> args = {{DNNL_ARG_DIFF_DST, wrap(yd, dy)},
                                            {DNNL_ARG_DIFF_SRC, wrap(xd, dx)}};
    if (kind == CLEAVE_POOL_MAX) {
      key[0] = kPoolTraining;
      const dnnl::primitive &rerun = cachedPrimitive(
          key, [&] { return dnnl::pooling_v2_forward(forward); });
      memory y(yd, cpuEngine()), workspace(forward.workspace_desc(),
                                           cpuEngine());
      execute(rerun, {{DNNL_ARG_SRC, wrap(xd, x)},
                      {DNNL_ARG_DST, y},
                      {DNNL_ARG_WORKSPACE, workspace}});
      args[DNNL_ARG_WORKSPACE] = workspace;
      key[0] = kPoolBackward;
    }
    const dnnl::primitive &backward = cachedPrimitive(key, [&] {
      return dnnl::pooling_v2_backward(
          dnnl::pooling_v2_backward::primitive_desc(
              dnnl::pooling_v2_backward::desc(algorithm, xd, yd, strides,
                                              kernel, dilations, begin, end),
              cpuEngine(), forward));
    });
    execute(backward, args);
    return nullptr;
  });
}

} // extern "C"
