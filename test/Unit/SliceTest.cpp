//===- SliceTest.cpp - Slice clamping against Python's slicing ------------===//
//
// ONNX Slice clamps starts and ends as Python slicing does, so Python is the
// oracle: SliceCases.inc holds len(range(dim)[start:end:step]) and the first
// index taken, for every combination of a grid of values.
//
//===----------------------------------------------------------------------===//

#include "cleave/Dialect/Cleave/IR/ShapeInference.h"
#include <cstdint>
#include <gtest/gtest.h>

namespace {
struct SliceCase {
  int64_t dim, start, end, step, length, first;
};
const SliceCase kCases[] = {
#include "SliceCases.inc"
};

TEST(SliceTest, MatchesPythonSlicing) {
  for (const SliceCase &c : kCases) {
    cleave::graph::SliceAxis axis =
        cleave::graph::computeSliceAxis(c.dim, c.start, c.end, c.step);
    SCOPED_TRACE(testing::Message() << "dim " << c.dim << " start " << c.start
                                    << " end " << c.end << " step " << c.step);
    EXPECT_EQ(axis.length, c.length);
    if (c.length > 0)
      EXPECT_EQ(axis.start, c.first);
  }
}
} // namespace
