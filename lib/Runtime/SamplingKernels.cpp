//===- SamplingKernels.cpp - GridSample on the CPU ------------------------===//
//
// ONNX GridSample of 2-D inputs with PyTorch's grid_sample semantics (the
// ONNX test data comes from it): a grid coordinate in [-1, 1] maps to the
// input's corner pixels' centres (align_corners) or to its edges; border
// and reflection padding move the coordinate into the image before
// bilinear or nearest sampling, and move each of bicubic's 16 taps.
//
//===----------------------------------------------------------------------===//

#include "OneDnnSupport.h"
#include "StatusInternal.h"
#include "cleave/Runtime/CpuKernels.h"
#include <cmath>

using namespace cleave::cpu;

namespace {

enum Mode : int32_t { kNearest = 0, kBilinear = 1, kBicubic = 2 };
enum Padding : int32_t { kZeros = 0, kBorder = 1, kReflection = 2 };

/// The sampler of one image axis of `size` pixels.
struct Axis {
  int64_t size;
  int32_t padding;
  bool alignCorners;

  /// [-1, 1] to pixel coordinates, in float as PyTorch and onnxruntime
  /// compute them (a grid's 0.2f lands on 2.5 exactly in float, on
  /// 2.5000000075 in double: nearest mode's tie goes the other way).
  double unnormalize(float v) const {
    float s = (float)size;
    return alignCorners ? (v + 1) / 2 * (s - 1) : ((v + 1) * s - 1) / 2;
  }
  double clip(double v) const {
    return std::min<double>(size - 1, std::max(0.0, v));
  }
  /// Reflected about [low, high] / 2 until inside (twice the bounds, as
  /// PyTorch keeps them integral).
  static double reflect(double v, double twiceLow, double twiceHigh) {
    if (twiceLow == twiceHigh)
      return 0;
    double low = twiceLow / 2, span = (twiceHigh - twiceLow) / 2;
    v = std::fabs(v - low);
    double extra = std::fmod(v, span);
    int64_t flips = (int64_t)std::floor(v / span);
    return flips % 2 == 0 ? extra + low : span - extra + low;
  }
  /// A coordinate moved into the image by the padding mode (none for
  /// zeros: out-of-range taps read 0).
  double pad(double v) const {
    if (padding == kBorder)
      return clip(v);
    if (padding == kReflection)
      return clip(alignCorners ? reflect(v, 0, 2.0 * (size - 1))
                               : reflect(v, -1, 2.0 * size - 1));
    return v;
  }
  bool inside(int64_t i) const { return i >= 0 && i < size; }
};

/// The integer pixel index of a coordinate that is one (-1, outside every
/// image, for NaN and coordinates beyond any image's reach).
int64_t toIndex(double v) {
  return v > -1e15 && v < 1e15 ? (int64_t)v : -1;
}

/// Keys' cubic convolution weights (A = -0.75) of the taps at distances
/// t + 1, t, 1 - t and 2 - t.
void cubicWeights(double t, double w[4]) {
  const double a = -0.75;
  auto near = [a](double x) { return ((a + 2) * x - (a + 3)) * x * x + 1; };
  auto far = [a](double x) {
    return ((a * x - 5 * a) * x + 8 * a) * x - 4 * a;
  };
  w[0] = far(t + 1);
  w[1] = near(t);
  w[2] = near(1 - t);
  w[3] = far(2 - t);
}

} // namespace

extern "C" cleave_status
cleave_cpu_grid_sample(const cleave_tensor *x, const cleave_tensor *grid,
                       int32_t mode, int32_t padding, int32_t align_corners,
                       cleave_tensor *y) {
  CLEAVE_RETURN_IF_ERROR(checkF32("grid_sample", {x, grid, y}));
  if (x->rank != 4 || grid->rank != 4 || y->rank != 4 || grid->dims[3] != 2 ||
      grid->dims[0] != x->dims[0] || y->dims[0] != x->dims[0] ||
      y->dims[1] != x->dims[1] || y->dims[2] != grid->dims[1] ||
      y->dims[3] != grid->dims[2])
    return CLEAVE_ERROR(CLEAVE_INVALID_ARGUMENT,
                        "grid_sample: x [N, C, H, W], grid [N, H_out, W_out, "
                        "2] and y [N, C, H_out, W_out] do not match: " +
                            shapeText(dimsOf(x)) + ", " +
                            shapeText(dimsOf(grid)) + ", " +
                            shapeText(dimsOf(y)));
  if (mode < kNearest || mode > kBicubic || padding < kZeros ||
      padding > kReflection)
    return CLEAVE_ERROR(CLEAVE_INVALID_ARGUMENT,
                        "grid_sample: unknown mode or padding");
  int64_t n = x->dims[0], channels = x->dims[1], h = x->dims[2],
          w = x->dims[3], outH = y->dims[2], outW = y->dims[3];
  Axis ax{w, padding, align_corners != 0}, ay{h, padding, align_corners != 0};
  const float *in = (const float *)x->data, *g = (const float *)grid->data;
  float *out = (float *)y->data;
  int64_t plane = h * w, outPlane = outH * outW;
#pragma omp parallel for collapse(2) if (n * outPlane * channels > 65536)
  for (int64_t b = 0; b < n; ++b)
    for (int64_t p = 0; p < outPlane; ++p) {
      const float *at = g + (b * outPlane + p) * 2;
      // The pixels this output reads, by offset in a channel, and their
      // weights (taps outside the image read 0 and are left out).
      struct Tap {
        int64_t offset;
        double weight;
      } taps[16];
      int count = 0;
      auto tap = [&](double i, double j, double weight) {
        int64_t ii = toIndex(i), jj = toIndex(j);
        if (ay.inside(ii) && ax.inside(jj))
          taps[count++] = {ii * w + jj, weight};
      };
      double px = ax.unnormalize(at[0]), py = ay.unnormalize(at[1]);
      if (mode == kBicubic) {
        // The padding moves each tap, not the coordinate.
        double x0 = std::floor(px), y0 = std::floor(py), wx[4], wy[4];
        cubicWeights(px - x0, wx);
        cubicWeights(py - y0, wy);
        for (int i = 0; i < 4; ++i)
          for (int j = 0; j < 4; ++j)
            tap(ay.pad(y0 - 1 + i), ax.pad(x0 - 1 + j), wy[i] * wx[j]);
      } else {
        px = ax.pad(px);
        py = ay.pad(py);
        if (mode == kNearest) {
          // std::nearbyint rounds ties to even, as PyTorch.
          tap(std::nearbyint(py), std::nearbyint(px), 1.0);
        } else {
          double x0 = std::floor(px), y0 = std::floor(py);
          double tx = px - x0, ty = py - y0;
          tap(y0, x0, (1 - tx) * (1 - ty));
          tap(y0, x0 + 1, tx * (1 - ty));
          tap(y0 + 1, x0, (1 - tx) * ty);
          tap(y0 + 1, x0 + 1, tx * ty);
        }
      }
      const float *image = in + b * channels * plane;
      float *result = out + b * channels * outPlane + p;
      for (int64_t c = 0; c < channels; ++c) {
        double sum = 0;
        for (int t = 0; t < count; ++t)
          sum += taps[t].weight * image[c * plane + taps[t].offset];
        result[c * outPlane] = (float)sum;
      }
    }
  return nullptr;
}
