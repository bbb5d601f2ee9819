//===- RelativeFitTest.cpp - a line fitted by its relative errors --------===//

#include "cleave/Analysis/RelativeFit.h"
#include <gtest/gtest.h>
#include <vector>

using namespace cleave::analysis;

namespace {

TEST(RelativeFit, RecoversAnExactLine) {
  // A link of 3 us latency and 2 GB/s, at sizes from 8 B to 8 MB.
  std::vector<std::pair<double, double>> samples;
  for (double bytes = 8; bytes <= 8 << 20; bytes *= 4)
    samples.push_back({bytes, 3e-6 + bytes / 2e9});
  LineFit fit = fitRelative(samples);
  EXPECT_NEAR(fit.intercept, 3e-6, 1e-12);
  EXPECT_NEAR(1 / fit.slope, 2e9, 1e3);
  EXPECT_LT(worstRelativeError(fit, samples), 1e-9);
}

TEST(RelativeFit, SmallSamplesCountAsMuchAsLargeOnes) {
  // Noise of +-10% on every sample: an unweighted fit would let the
  // largest sizes set the latency (and miss the small ones by far more);
  // by relative errors no sample is off by much more than its noise.
  std::vector<std::pair<double, double>> samples;
  int sign = 1;
  for (double bytes = 8; bytes <= 8 << 20; bytes *= 4, sign = -sign)
    samples.push_back({bytes, (5e-6 + bytes / 1e9) * (1 + 0.1 * sign)});
  LineFit fit = fitRelative(samples);
  EXPECT_LT(worstRelativeError(fit, samples), 0.25);
  EXPECT_NEAR(fit.intercept, 5e-6, 1.5e-6);
}

TEST(RelativeFit, BoundsHold) {
  // Falling times: the slope stops at its bound and the intercept is
  // refitted; a line through negative times stops at a zero intercept.
  LineFit flat = fitRelative({{1, 4.0}, {2, 3.0}, {3, 2.0}}, /*minSlope=*/0);
  EXPECT_EQ(flat.slope, 0);
  EXPECT_GT(flat.intercept, 2.0);
  EXPECT_LT(flat.intercept, 4.0);
  LineFit origin = fitRelative({{1, 1.0}, {2, 3.0}, {3, 5.0}});
  EXPECT_EQ(origin.intercept, 0);
  EXPECT_GT(origin.slope, 1.0);
}

} // namespace
