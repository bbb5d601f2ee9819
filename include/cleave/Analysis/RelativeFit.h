//===- RelativeFit.h - a line fitted by its relative errors ------*- C++ -*-===//
//
// time = intercept + slope * x, by least squares of the relative errors
// (weights 1 / time^2): a 2 us sample and a 2 ms one count alike, as they
// do in a cost model's relative error. cleave-calibrate fits each kernel
// kind's overhead and efficiency this way, and a link's latency and
// bandwidth over the message sizes pipelines send.
//
//===----------------------------------------------------------------------===//

#ifndef CLEAVE_ANALYSIS_RELATIVEFIT_H
#define CLEAVE_ANALYSIS_RELATIVEFIT_H

#include "llvm/ADT/ArrayRef.h"
#include <algorithm>
#include <cmath>
#include <limits>
#include <utility>

namespace cleave::analysis {

struct LineFit {
  double intercept = 0, slope = 0;
  double at(double x) const { return intercept + slope * x; }
};

/// The fit of (x, time) samples (times > 0). The slope is at least
/// `minSlope` and the intercept at least 0 (each refitted given the
/// other's bound): an overhead or a latency is never negative.
inline LineFit fitRelative(llvm::ArrayRef<std::pair<double, double>> samples,
                           double minSlope =
                               -std::numeric_limits<double>::infinity()) {
  double sw = 0, sx = 0, st = 0, sxx = 0, sxt = 0;
  for (auto [x, t] : samples) {
    double w = 1 / (t * t);
    sw += w, sx += w * x, st += w * t, sxx += w * x * x, sxt += w * x * t;
  }
  LineFit fit;
  if (sw == 0)
    return fit;
  double det = sw * sxx - sx * sx;
  fit.slope = det > 0 ? (sw * sxt - sx * st) / det : 0;
  fit.slope = std::max(fit.slope, minSlope);
  fit.intercept = (st - fit.slope * sx) / sw;
  if (fit.intercept < 0) {
    // Through the origin: the slope alone.
    fit.intercept = 0;
    fit.slope = sxx > 0 ? std::max(sxt / sxx, minSlope) : fit.slope;
  }
  return fit;
}

/// The largest |fit(x) - time| / time over the samples.
inline double worstRelativeError(
    const LineFit &fit, llvm::ArrayRef<std::pair<double, double>> samples) {
  double worst = 0;
  for (auto [x, t] : samples)
    worst = std::max(worst, std::abs(fit.at(x) - t) / t);
  return worst;
}

} // namespace cleave::analysis

#endif // CLEAVE_ANALYSIS_RELATIVEFIT_H
