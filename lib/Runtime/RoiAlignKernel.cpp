//===- RoiAlignKernel.cpp - RoiAlign on the CPU ---------------------------===//
//
// ONNX RoiAlign as onnxruntime computes it (ONNX's reference is a port of
// it, and the test data comes from that): each output bin averages (or, in
// max mode, takes the largest weighted corner value of) a grid of bilinear
// samples; a sample more than one pixel outside the image counts as 0, one
// within a pixel of the edge reads the edge. Coordinates are computed in
// float, as there.
//
//===----------------------------------------------------------------------===//

#include "OneDnnSupport.h"
#include "StatusInternal.h"
#include "cleave/Runtime/CpuKernels.h"
#include <algorithm>
#include <cmath>
#include <vector>

using namespace cleave::cpu;

namespace {

/// One bilinear sample: the offsets of its four pixels in a channel and
/// their weights (all zero for a sample outside the image).
struct Sample {
  int64_t offset[4] = {0, 0, 0, 0};
  float weight[4] = {0, 0, 0, 0};
};

Sample bilinear(float y, float x, int64_t height, int64_t width) {
  Sample s;
  if (y < -1.0f || y > (float)height || x < -1.0f || x > (float)width)
    return s;
  y = std::max(y, 0.0f);
  x = std::max(x, 0.0f);
  int64_t yLow = (int64_t)y, xLow = (int64_t)x, yHigh, xHigh;
  if (yLow >= height - 1) {
    yHigh = yLow = height - 1;
    y = (float)yLow;
  } else {
    yHigh = yLow + 1;
  }
  if (xLow >= width - 1) {
    xHigh = xLow = width - 1;
    x = (float)xLow;
  } else {
    xHigh = xLow + 1;
  }
  float ly = y - (float)yLow, lx = x - (float)xLow;
  float hy = 1.0f - ly, hx = 1.0f - lx;
  s.offset[0] = yLow * width + xLow;
  s.offset[1] = yLow * width + xHigh;
  s.offset[2] = yHigh * width + xLow;
  s.offset[3] = yHigh * width + xHigh;
  s.weight[0] = hy * hx;
  s.weight[1] = hy * lx;
  s.weight[2] = ly * hx;
  s.weight[3] = ly * lx;
  return s;
}

} // namespace

extern "C" cleave_status
cleave_cpu_roi_align(const cleave_tensor *x, const cleave_tensor *rois,
                     const cleave_tensor *batch_indices, int32_t mode,
                     int32_t coordinates, int32_t sampling_ratio,
                     float spatial_scale, cleave_tensor *y) {
  CLEAVE_RETURN_IF_ERROR(checkF32("roi_align", {x, rois, y}));
  if (x->rank != 4 || rois->rank != 2 || rois->dims[1] != 4 ||
      batch_indices->rank != 1 || batch_indices->dtype != CLEAVE_DTYPE_I64 ||
      batch_indices->dims[0] != rois->dims[0] || y->rank != 4 ||
      y->dims[0] != rois->dims[0] || y->dims[1] != x->dims[1])
    return CLEAVE_ERROR(
        CLEAVE_INVALID_ARGUMENT,
        "roi_align: x [N, C, H, W], rois [R, 4], i64 "
        "batch_indices [R] and y [R, C, H_out, W_out] do not "
        "match: " +
            shapeText(dimsOf(x)) + ", " + shapeText(dimsOf(rois)) + ", " +
            shapeText(dimsOf(batch_indices)) + ", " + shapeText(dimsOf(y)));
  if (mode < 0 || mode > 1 || coordinates < 0 || coordinates > 1 ||
      sampling_ratio < 0)
    return CLEAVE_ERROR(CLEAVE_INVALID_ARGUMENT,
                        "roi_align: unknown mode, coordinates or sampling "
                        "ratio");
  int64_t n = x->dims[0], channels = x->dims[1], height = x->dims[2],
          width = x->dims[3], regions = rois->dims[0], outH = y->dims[2],
          outW = y->dims[3];
  const float *image = (const float *)x->data;
  const float *boxes = (const float *)rois->data;
  const int64_t *batch = (const int64_t *)batch_indices->data;
  float *out = (float *)y->data;
  for (int64_t r = 0; r < regions; ++r)
    if (batch[r] < 0 || batch[r] >= n)
      return CLEAVE_ERROR(CLEAVE_INVALID_ARGUMENT,
                          "roi_align: batch index " + std::to_string(batch[r]) +
                              " of region " + std::to_string(r) +
                              " is outside the batch of " + std::to_string(n));
  bool halfPixel = coordinates == 0;
  float shift = halfPixel ? 0.5f : 0.0f;
  int64_t plane = height * width, outPlane = outH * outW;
  // Each region's start, bin sizes and sampling grid, checked before any
  // work: the boxes are run-time values, and an adaptive grid grows with
  // the box.
  struct Region {
    float startH, startW, binH, binW;
    int64_t gridH, gridW;
  };
  std::vector<Region> grid(regions);
  const int64_t kMaxSamples = int64_t(1) << 22;
  for (int64_t r = 0; r < regions; ++r) {
    const float *box = boxes + r * 4;
    if (!std::isfinite(box[0]) || !std::isfinite(box[1]) ||
        !std::isfinite(box[2]) || !std::isfinite(box[3]))
      return CLEAVE_ERROR(CLEAVE_INVALID_ARGUMENT,
                          "roi_align: region " + std::to_string(r) +
                              " has a coordinate that is not finite");
    Region &g = grid[r];
    g.startW = box[0] * spatial_scale - shift;
    g.startH = box[1] * spatial_scale - shift;
    float roiW = box[2] * spatial_scale - shift - g.startW;
    float roiH = box[3] * spatial_scale - shift - g.startH;
    if (!halfPixel) { // Opset 10's regions are at least a pixel wide.
      roiW = std::max(roiW, 1.0f);
      roiH = std::max(roiH, 1.0f);
    }
    g.binH = roiH / (float)outH;
    g.binW = roiW / (float)outW;
    // In float, as onnxruntime divides.
    double adaptiveH = std::max(0.0f, std::ceil(roiH / (float)outH));
    double adaptiveW = std::max(0.0f, std::ceil(roiW / (float)outW));
    if (sampling_ratio == 0 &&
        adaptiveH * adaptiveW * (double)outPlane > (double)kMaxSamples)
      return CLEAVE_ERROR(
          CLEAVE_INVALID_ARGUMENT,
          "roi_align: region " + std::to_string(r) + " needs more than " +
              std::to_string(kMaxSamples) + " samples (give sampling_ratio)");
    g.gridH = sampling_ratio > 0 ? sampling_ratio : (int64_t)adaptiveH;
    g.gridW = sampling_ratio > 0 ? sampling_ratio : (int64_t)adaptiveW;
  }
#pragma omp parallel for if (regions * channels * outPlane > 65536)
  for (int64_t r = 0; r < regions; ++r) {
    const Region &g = grid[r];
    float startH = g.startH, startW = g.startW, binH = g.binH, binW = g.binW;
    int64_t gridH = g.gridH, gridW = g.gridW;
    float count = (float)std::max<int64_t>(gridH * gridW, 1);
    // The samples of every bin, shared by the channels.
    std::vector<Sample> samples;
    samples.reserve(outPlane * gridH * gridW);
    for (int64_t ph = 0; ph < outH; ++ph)
      for (int64_t pw = 0; pw < outW; ++pw)
        for (int64_t iy = 0; iy < gridH; ++iy) {
          float sy =
              startH + ph * binH + ((float)iy + 0.5f) * binH / (float)gridH;
          for (int64_t ix = 0; ix < gridW; ++ix) {
            float sx =
                startW + pw * binW + ((float)ix + 0.5f) * binW / (float)gridW;
            samples.push_back(bilinear(sy, sx, height, width));
          }
        }
    int64_t perBin = gridH * gridW;
    const float *source = image + batch[r] * channels * plane;
    for (int64_t c = 0; c < channels; ++c) {
      const float *pixels = source + c * plane;
      float *result = out + (r * channels + c) * outPlane;
      for (int64_t bin = 0; bin < outPlane; ++bin) {
        const Sample *first = samples.data() + bin * perBin;
        float value = 0;
        for (int64_t i = 0; i < perBin; ++i) {
          const Sample &s = first[i];
          if (mode == 0) {
            value += s.weight[0] * pixels[s.offset[0]] +
                     s.weight[1] * pixels[s.offset[1]] +
                     s.weight[2] * pixels[s.offset[2]] +
                     s.weight[3] * pixels[s.offset[3]];
          } else {
            float largest =
                std::max(std::max(s.weight[0] * pixels[s.offset[0]],
                                  s.weight[1] * pixels[s.offset[1]]),
                         std::max(s.weight[2] * pixels[s.offset[2]],
                                  s.weight[3] * pixels[s.offset[3]]));
            value = i == 0 ? largest : std::max(value, largest);
          }
        }
        result[bin] = mode == 0 ? value / count : value;
      }
    }
  }
  return nullptr;
}
