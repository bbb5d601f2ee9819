//===- RuntimeScatterKernelsTest.cpp - GatherND and the scatters ----------===//
//
// The worked examples of the ONNX operator pages (GatherND's five,
// ScatterND's two, ScatterElements' two), then what the pages leave to the
// kernel: in-place updates, reductions over repeated indices in order,
// NumPy's NaN rule for max, other element types, and bad indices, which must
// fail before anything is written.
//
//===----------------------------------------------------------------------===//

#include "RuntimeTestUtils.h"
#include "cleave/Runtime/CpuKernels.h"
#include <cmath>
#include <gtest/gtest.h>
#include <string>
#include <vector>

namespace {

using namespace cleave::testing;

void expectError(cleave_status status, const std::string &text) {
  ASSERT_NE(status, nullptr);
  EXPECT_NE(std::string(cleave_status_message(status)).find(text),
            std::string::npos)
      << cleave_status_message(status);
  cleave_status_free(status);
}

std::vector<int64_t> gatherND(std::vector<int64_t> data,
                              std::vector<int64_t> dataShape,
                              std::vector<int64_t> indices,
                              std::vector<int64_t> indexShape,
                              std::vector<int64_t> outShape, int32_t batch) {
  int64_t count = 1;
  for (int64_t d : outShape)
    count *= d;
  std::vector<int64_t> y(count, -1);
  cleave_tensor dv = view(CLEAVE_DTYPE_I64, dataShape, data),
                iv = view(CLEAVE_DTYPE_I64, indexShape, indices),
                yv = view(CLEAVE_DTYPE_I64, outShape, y);
  expectOk(cleave_cpu_gather_nd(&dv, &iv, batch, &yv));
  return y;
}

TEST(RuntimeScatterKernels, GatherNDExamples) {
  std::vector<int64_t> square = {0, 1, 2, 3}, cube = {0, 1, 2, 3, 4, 5, 6, 7};
  EXPECT_EQ(gatherND(square, {2, 2}, {0, 0, 1, 1}, {2, 2}, {2}, 0),
            (std::vector<int64_t>{0, 3}));
  EXPECT_EQ(gatherND(square, {2, 2}, {1, 0}, {2, 1}, {2, 2}, 0),
            (std::vector<int64_t>{2, 3, 0, 1}));
  EXPECT_EQ(gatherND(cube, {2, 2, 2}, {0, 1, 1, 0}, {2, 2}, {2, 2}, 0),
            (std::vector<int64_t>{2, 3, 4, 5}));
  EXPECT_EQ(gatherND(cube, {2, 2, 2}, {0, 1, 1, 0}, {2, 1, 2}, {2, 1, 2}, 0),
            (std::vector<int64_t>{2, 3, 4, 5}));
  // batch_dims 1: batch b reads data[b][indices[b]].
  EXPECT_EQ(gatherND(cube, {2, 2, 2}, {1, 0}, {2, 1}, {2, 2}, 1),
            (std::vector<int64_t>{2, 3, 4, 5}));
  // Negative indices count from the end.
  EXPECT_EQ(gatherND(cube, {2, 2, 2}, {-1, -2, 0}, {1, 3}, {1}, 0),
            (std::vector<int64_t>{4}));
}

TEST(RuntimeScatterKernels, GatherNDRejectsBadIndices) {
  std::vector<float> data(8), y(2);
  std::vector<int64_t> indices = {0, 2};
  cleave_tensor dv = view(CLEAVE_DTYPE_F32, {2, 2, 2}, data),
                iv = view(CLEAVE_DTYPE_I64, {1, 2}, indices),
                yv = view(CLEAVE_DTYPE_F32, {1, 2}, y);
  expectError(cleave_cpu_gather_nd(&dv, &iv, 0, &yv),
              "index 2 is out of range for an axis of size 2");
}

TEST(RuntimeScatterKernels, ScatterNDExamples) {
  std::vector<float> data = {1, 2, 3, 4, 5, 6, 7, 8}, y(8);
  std::vector<int64_t> indices = {4, 3, 1, 7};
  std::vector<float> updates = {9, 10, 11, 12};
  cleave_tensor dv = view(CLEAVE_DTYPE_F32, {8}, data),
                iv = view(CLEAVE_DTYPE_I64, {4, 1}, indices),
                uv = view(CLEAVE_DTYPE_F32, {4}, updates),
                yv = view(CLEAVE_DTYPE_F32, {8}, y);
  expectOk(cleave_cpu_scatter_nd(&dv, &iv, &uv, CLEAVE_SCATTER_NONE, &yv));
  EXPECT_EQ(y, (std::vector<float>{1, 11, 3, 10, 9, 6, 7, 12}));

  // Example 2: whole 4x4 blocks of a 4x4x4 tensor, here in place.
  std::vector<int32_t> block = {1, 2, 3, 4, 5, 6, 7, 8, 8, 7, 6, 5, 4, 3, 2, 1};
  std::vector<int32_t> cube, blocks;
  for (int i = 0; i < 4; ++i)
    cube.insert(cube.end(), block.begin(), block.end());
  for (int32_t v : {5, 6, 7, 8, 1, 2, 3, 4})
    blocks.insert(blocks.end(), 4, v);
  std::vector<int64_t> which = {0, 2};
  std::vector<int32_t> expected = cube;
  std::copy(blocks.begin(), blocks.begin() + 16, expected.begin());
  std::copy(blocks.begin() + 16, blocks.end(), expected.begin() + 32);
  cleave_tensor cv = view(CLEAVE_DTYPE_I32, {4, 4, 4}, cube),
                wv = view(CLEAVE_DTYPE_I64, {2, 1}, which),
                bv = view(CLEAVE_DTYPE_I32, {2, 4, 4}, blocks);
  expectOk(cleave_cpu_scatter_nd(&cv, &wv, &bv, CLEAVE_SCATTER_NONE, &cv));
  EXPECT_EQ(cube, expected);
}

TEST(RuntimeScatterKernels, ScatterNDReductionsCombineRepeatedIndices) {
  std::vector<float> data = {1, 2, 3, 4}, y(4);
  std::vector<int64_t> indices = {1, -3, 3}; // -3 is 1 again.
  std::vector<float> updates = {0.1f, 0.7f, 10};
  cleave_tensor dv = view(CLEAVE_DTYPE_F32, {4}, data),
                iv = view(CLEAVE_DTYPE_I64, {3, 1}, indices),
                uv = view(CLEAVE_DTYPE_F32, {3}, updates),
                yv = view(CLEAVE_DTYPE_F32, {4}, y);
  expectOk(cleave_cpu_scatter_nd(&dv, &iv, &uv, CLEAVE_SCATTER_ADD, &yv));
  // In order, in f32: (2 + 0.1f) + 0.7f.
  EXPECT_EQ(y, (std::vector<float>{1, (2.0f + 0.1f) + 0.7f, 3, 14}));
  expectOk(cleave_cpu_scatter_nd(&dv, &iv, &uv, CLEAVE_SCATTER_MUL, &yv));
  EXPECT_EQ(y, (std::vector<float>{1, (2.0f * 0.1f) * 0.7f, 3, 40}));
  expectOk(cleave_cpu_scatter_nd(&dv, &iv, &uv, CLEAVE_SCATTER_MIN, &yv));
  EXPECT_EQ(y, (std::vector<float>{1, 0.1f, 3, 4}));
  // With no reduction the last update wins.
  expectOk(cleave_cpu_scatter_nd(&dv, &iv, &uv, CLEAVE_SCATTER_NONE, &yv));
  EXPECT_EQ(y, (std::vector<float>{1, 0.7f, 3, 10}));
}

TEST(RuntimeScatterKernels, ScatterElementsExamples) {
  std::vector<float> data(9, 0.0f), y(9);
  std::vector<int64_t> indices = {1, 0, 2, 0, 2, 1};
  std::vector<float> updates = {1.0f, 1.1f, 1.2f, 2.0f, 2.1f, 2.2f};
  cleave_tensor dv = view(CLEAVE_DTYPE_F32, {3, 3}, data),
                iv = view(CLEAVE_DTYPE_I64, {2, 3}, indices),
                uv = view(CLEAVE_DTYPE_F32, {2, 3}, updates),
                yv = view(CLEAVE_DTYPE_F32, {3, 3}, y);
  expectOk(cleave_cpu_scatter_elements(&dv, &iv, &uv, 0, CLEAVE_SCATTER_NONE,
                                       &yv));
  EXPECT_EQ(y, (std::vector<float>{2.0f, 1.1f, 0.0f, 1.0f, 0.0f, 2.2f, 0.0f,
                                   2.1f, 1.2f}));

  std::vector<float> row = {1, 2, 3, 4, 5};
  std::vector<int32_t> at = {1, -2}; // -2 is 3.
  std::vector<float> values = {1.1f, 2.1f};
  cleave_tensor rv = view(CLEAVE_DTYPE_F32, {1, 5}, row),
                av = view(CLEAVE_DTYPE_I32, {1, 2}, at),
                vv = view(CLEAVE_DTYPE_F32, {1, 2}, values);
  expectOk(cleave_cpu_scatter_elements(&rv, &av, &vv, 1, CLEAVE_SCATTER_NONE,
                                       &rv));
  EXPECT_EQ(row, (std::vector<float>{1.0f, 1.1f, 3.0f, 2.1f, 5.0f}));
}

TEST(RuntimeScatterKernels, ScatterElementsMaxOfIntegersAndNaN) {
  std::vector<int64_t> data = {5, -7, 3}, y(3);
  std::vector<int64_t> indices = {1, 1, 0, 2};
  std::vector<int64_t> updates = {-9, -2, 4, 1};
  cleave_tensor dv = view(CLEAVE_DTYPE_I64, {3}, data),
                iv = view(CLEAVE_DTYPE_I64, {4}, indices),
                uv = view(CLEAVE_DTYPE_I64, {4}, updates),
                yv = view(CLEAVE_DTYPE_I64, {3}, y);
  expectOk(cleave_cpu_scatter_elements(&dv, &iv, &uv, 0, CLEAVE_SCATTER_MAX,
                                       &yv));
  EXPECT_EQ(y, (std::vector<int64_t>{5, -2, 3}));

  // np.maximum: a NaN on either side is the result.
  std::vector<double> f = {1, NAN, 3}, g(3);
  std::vector<int64_t> fi = {0, 1, 1};
  std::vector<double> fu = {NAN, 2, 5};
  cleave_tensor fv = view(CLEAVE_DTYPE_F64, {3}, f),
                fiv = view(CLEAVE_DTYPE_I64, {3}, fi),
                fuv = view(CLEAVE_DTYPE_F64, {3}, fu),
                gv = view(CLEAVE_DTYPE_F64, {3}, g);
  expectOk(cleave_cpu_scatter_elements(&fv, &fiv, &fuv, 0, CLEAVE_SCATTER_MAX,
                                       &gv));
  EXPECT_TRUE(std::isnan(g[0]));
  EXPECT_TRUE(std::isnan(g[1]));
  EXPECT_EQ(g[2], 3.0);
}

TEST(RuntimeScatterKernels, BadIndexLeavesTheOutputUntouched) {
  std::vector<float> data = {1, 2, 3}, y = {7, 7, 7};
  std::vector<int64_t> indices = {0, 3};
  std::vector<float> updates = {5, 6};
  cleave_tensor dv = view(CLEAVE_DTYPE_F32, {3}, data),
                iv = view(CLEAVE_DTYPE_I64, {2}, indices),
                uv = view(CLEAVE_DTYPE_F32, {2}, updates),
                yv = view(CLEAVE_DTYPE_F32, {3}, y);
  expectError(cleave_cpu_scatter_elements(&dv, &iv, &uv, 0,
                                          CLEAVE_SCATTER_NONE, &yv),
              "index 3 is out of range for an axis of size 3");
  EXPECT_EQ(y, (std::vector<float>{7, 7, 7}));
  cleave_tensor ndv = view(CLEAVE_DTYPE_I64, {2, 1}, indices);
  expectError(cleave_cpu_scatter_nd(&dv, &ndv, &uv, CLEAVE_SCATTER_ADD, &yv),
              "index 3 is out of range");
  EXPECT_EQ(y, (std::vector<float>{7, 7, 7}));
}

} // namespace
