//===- BroadcastTest.cpp - NumPy broadcasting of shapes -------------------===//
//
// Expected shapes are NumPy's (np.broadcast_shapes), the rule ONNX cites.
//
//===----------------------------------------------------------------------===//

#include "cleave/Dialect/Cleave/IR/ShapeInference.h"
#include <gtest/gtest.h>

using cleave::graph::broadcastShapes;
using Shape = llvm::SmallVector<int64_t>;

namespace {
TEST(BroadcastTest, NumpyExamples) {
  EXPECT_EQ(*broadcastShapes({256, 256, 3}, {3}), Shape({256, 256, 3}));
  EXPECT_EQ(*broadcastShapes({8, 1, 6, 1}, {7, 1, 5}), Shape({8, 7, 6, 5}));
  EXPECT_EQ(*broadcastShapes({5, 4}, {1}), Shape({5, 4}));
  EXPECT_EQ(*broadcastShapes({15, 3, 5}, {15, 1, 5}), Shape({15, 3, 5}));
  EXPECT_EQ(*broadcastShapes({}, {2, 3}), Shape({2, 3}));
  EXPECT_EQ(*broadcastShapes({0, 1}, {1, 4}), Shape({0, 4}));
}

TEST(BroadcastTest, Incompatible) {
  EXPECT_FALSE(broadcastShapes({3}, {4}).has_value());
  EXPECT_FALSE(broadcastShapes({2, 1}, {8, 4, 3}).has_value());
  EXPECT_FALSE(broadcastShapes({0}, {2}).has_value());
}
} // namespace
