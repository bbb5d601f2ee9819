//===- RuntimeDataKernelsTest.cpp - data movement and conversions ---------===//
//
// Slice, Gather, Expand, Tile, Where, Pad, Cast and comparisons on small
// tensors whose expected values follow from the ONNX definitions (worked out
// by hand or with a direct loop).
//
//===----------------------------------------------------------------------===//

#include "RuntimeTestUtils.h"
#include "cleave/Runtime/CpuKernels.h"
#include <cmath>
#include <cstring>
#include <gtest/gtest.h>
#include <vector>

namespace {

using namespace cleave::testing;

TEST(RuntimeDataKernels, SliceWithNegativeSteps) {
  std::vector<int64_t> x = {0, 1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11}; // 3x4
  std::vector<int64_t> y(4);
  cleave_tensor xv = view(CLEAVE_DTYPE_I64, {3, 4}, x),
                yv = view(CLEAVE_DTYPE_I64, {2, 2}, y);
  int64_t starts[] = {2, 3}, steps[] = {-1, -2}; // x[2::-1][:, 3::-2]
  expectOk(cleave_cpu_slice(&xv, starts, steps, &yv));
  EXPECT_EQ(y, (std::vector<int64_t>{11, 9, 7, 5}));
  int64_t bad[] = {3, 0};
  cleave_status status = cleave_cpu_slice(&xv, bad, steps, &yv);
  EXPECT_EQ(cleave_status_get_code(status), CLEAVE_INVALID_ARGUMENT);
  cleave_status_free(status);
}

TEST(RuntimeDataKernels, GatherWithNegativeIndices) {
  std::vector<float> data = {1, 2, 3, 4, 5, 6}; // 2x3
  std::vector<int64_t> indices = {-1, 0};
  std::vector<float> y(4);
  cleave_tensor dv = view(CLEAVE_DTYPE_F32, {2, 3}, data),
                iv = view(CLEAVE_DTYPE_I64, {2}, indices),
                yv = view(CLEAVE_DTYPE_F32, {2, 2}, y);
  expectOk(cleave_cpu_gather(&dv, &iv, 1, &yv));
  EXPECT_EQ(y, (std::vector<float>{3, 1, 6, 4}));
  indices[0] = 3;
  cleave_status status = cleave_cpu_gather(&dv, &iv, 1, &yv);
  EXPECT_NE(std::string(cleave_status_message(status)).find("out of range"),
            std::string::npos);
  cleave_status_free(status);
}

TEST(RuntimeDataKernels, ExpandTileAndWhere) {
  std::vector<int32_t> x = {1, 2}; // [2, 1]
  std::vector<int32_t> expanded(6), tiled(8);
  cleave_tensor xv = view(CLEAVE_DTYPE_I32, {2, 1}, x);
  cleave_tensor ev = view(CLEAVE_DTYPE_I32, {2, 3}, expanded);
  expectOk(cleave_cpu_expand(&xv, &ev));
  EXPECT_EQ(expanded, (std::vector<int32_t>{1, 1, 1, 2, 2, 2}));
  cleave_tensor tv = view(CLEAVE_DTYPE_I32, {4, 2}, tiled);
  expectOk(cleave_cpu_tile(&xv, &tv));
  EXPECT_EQ(tiled, (std::vector<int32_t>{1, 1, 2, 2, 1, 1, 2, 2}));

  std::vector<uint8_t> condition = {1, 0, 1};
  std::vector<float> a = {10, 20}, b = {-1, -2, -3}, out(6);
  cleave_tensor cv = view(CLEAVE_DTYPE_BOOL, {3}, condition),
                av = view(CLEAVE_DTYPE_F32, {2, 1}, a),
                bv = view(CLEAVE_DTYPE_F32, {3}, b),
                ov = view(CLEAVE_DTYPE_F32, {2, 3}, out);
  expectOk(cleave_cpu_where(&cv, &av, &bv, &ov));
  EXPECT_EQ(out, (std::vector<float>{10, -2, 10, 20, -2, 20}));
}

TEST(RuntimeDataKernels, PadModes) {
  std::vector<float> x = {1, 2, 3}; // [1, 3]
  std::vector<float> y(7);
  cleave_tensor xv = view(CLEAVE_DTYPE_F32, {1, 3}, x),
                yv = view(CLEAVE_DTYPE_F32, {1, 7}, y);
  int64_t begin[] = {0, 2};
  expectOk(cleave_cpu_pad(&xv, begin, CLEAVE_PAD_CONSTANT, 9.5, &yv));
  EXPECT_EQ(y, (std::vector<float>{9.5, 9.5, 1, 2, 3, 9.5, 9.5}));
  expectOk(cleave_cpu_pad(&xv, begin, CLEAVE_PAD_EDGE, 0, &yv));
  EXPECT_EQ(y, (std::vector<float>{1, 1, 1, 2, 3, 3, 3}));
  expectOk(cleave_cpu_pad(&xv, begin, CLEAVE_PAD_REFLECT, 0, &yv));
  EXPECT_EQ(y, (std::vector<float>{3, 2, 1, 2, 3, 2, 1})); // numpy 'reflect'
}

TEST(RuntimeDataKernels, CastBetweenTypes) {
  std::vector<float> x = {-2.7f, -0.5f, 0.0f, 1.5f, 65504.0f, 1e-7f};
  std::vector<int32_t> ints(6);
  std::vector<uint16_t> halves(6);
  std::vector<uint8_t> bools(6);
  cleave_tensor xv = view(CLEAVE_DTYPE_F32, {6}, x);
  cleave_tensor iv = view(CLEAVE_DTYPE_I32, {6}, ints);
  expectOk(cleave_cpu_cast(&xv, &iv));
  EXPECT_EQ(ints, (std::vector<int32_t>{-2, 0, 0, 1, 65504, 0})); // truncates
  cleave_tensor hv = view(CLEAVE_DTYPE_F16, {6}, halves);
  expectOk(cleave_cpu_cast(&xv, &hv));
  // IEEE half bit patterns: -2.7 -> 0xC166, -0.5 -> 0xB800, 0, 1.5 -> 0x3E00,
  // 65504 (max) -> 0x7BFF, 1e-7 -> subnormal 0x0002.
  EXPECT_EQ(halves,
            (std::vector<uint16_t>{0xC166, 0xB800, 0, 0x3E00, 0x7BFF, 0x0002}));
  std::vector<float> back(6);
  cleave_tensor bv = view(CLEAVE_DTYPE_F32, {6}, back);
  expectOk(cleave_cpu_cast(&hv, &bv));
  EXPECT_NEAR(back[0], -2.69922f, 1e-5f);
  EXPECT_EQ(back[4], 65504.0f);
  cleave_tensor boolView = view(CLEAVE_DTYPE_BOOL, {6}, bools);
  expectOk(cleave_cpu_cast(&xv, &boolView));
  EXPECT_EQ(bools, (std::vector<uint8_t>{1, 1, 0, 1, 1, 1}));
}

TEST(RuntimeDataKernels, ComparisonsBroadcastAndHandleNaN) {
  std::vector<float> a = {1, 2, NAN}, b = {2};
  std::vector<uint8_t> y(3);
  cleave_tensor av = view(CLEAVE_DTYPE_F32, {3}, a),
                bv = view(CLEAVE_DTYPE_F32, {1}, b),
                yv = view(CLEAVE_DTYPE_BOOL, {3}, y);
  expectOk(cleave_cpu_compare(CLEAVE_COMPARE_LESS, &av, &bv, &yv));
  EXPECT_EQ(y, (std::vector<uint8_t>{1, 0, 0}));
  expectOk(cleave_cpu_compare(CLEAVE_COMPARE_GREATER_OR_EQUAL, &av, &bv, &yv));
  EXPECT_EQ(y, (std::vector<uint8_t>{0, 1, 0}));
  std::vector<uint64_t> u = {1, ~0ull}, v = {~0ull - 1};
  cleave_tensor uv = view(CLEAVE_DTYPE_U64, {2}, u),
                vv = view(CLEAVE_DTYPE_U64, {1}, v),
                rv = view(CLEAVE_DTYPE_BOOL, {2}, y);
  expectOk(cleave_cpu_compare(CLEAVE_COMPARE_GREATER, &uv, &vv, &rv));
  EXPECT_EQ(y[0], 0);
  EXPECT_EQ(y[1], 1);
}
} // namespace

namespace {
using namespace cleave::testing;

TEST(RuntimeDataKernels, IntegerAndLogicalBinaryOps) {
  std::vector<int64_t> a = {7, -7, 7, -7}, b = {2, 2, -2, -2}, y(4);
  cleave_tensor av = view(CLEAVE_DTYPE_I64, {4}, a),
                bv = view(CLEAVE_DTYPE_I64, {4}, b),
                yv = view(CLEAVE_DTYPE_I64, {4}, y);
  expectOk(cleave_cpu_binary(CLEAVE_BINARY_DIV, &av, &bv, &yv));
  EXPECT_EQ(y, (std::vector<int64_t>{3, -3, -3, 3})); // truncation
  expectOk(cleave_cpu_binary(CLEAVE_BINARY_MOD, &av, &bv, &yv));
  EXPECT_EQ(y, (std::vector<int64_t>{1, 1, -1, -1})); // sign of the divisor
  expectOk(cleave_cpu_binary(CLEAVE_BINARY_FMOD, &av, &bv, &yv));
  EXPECT_EQ(y, (std::vector<int64_t>{1, -1, 1, -1})); // sign of the dividend
  expectOk(cleave_cpu_binary(CLEAVE_BINARY_MAX, &av, &bv, &yv));
  EXPECT_EQ(y, (std::vector<int64_t>{7, 2, 7, -2}));
  b = {0, 1, 2, 3};
  cleave_status status = cleave_cpu_binary(CLEAVE_BINARY_DIV, &av, &bv, &yv);
  EXPECT_EQ(cleave_status_get_code(status), CLEAVE_INVALID_ARGUMENT);
  cleave_status_free(status);

  std::vector<float> base = {2, -3, 4}, out(3);
  std::vector<int32_t> exponent = {3, 2, -1};
  cleave_tensor pv = view(CLEAVE_DTYPE_F32, {3}, base),
                ev = view(CLEAVE_DTYPE_I32, {3}, exponent),
                ov = view(CLEAVE_DTYPE_F32, {3}, out);
  expectOk(cleave_cpu_binary(CLEAVE_BINARY_POW, &pv, &ev, &ov));
  EXPECT_EQ(out, (std::vector<float>{8, 9, 0.25f}));

  std::vector<uint8_t> p = {0, 0, 1, 1}, q = {0, 1, 0, 1}, r(4);
  cleave_tensor pb = view(CLEAVE_DTYPE_BOOL, {4}, p),
                qb = view(CLEAVE_DTYPE_BOOL, {4}, q),
                rb = view(CLEAVE_DTYPE_BOOL, {4}, r);
  expectOk(cleave_cpu_binary(CLEAVE_BINARY_XOR, &pb, &qb, &rb));
  EXPECT_EQ(r, (std::vector<uint8_t>{0, 1, 1, 0}));
  expectOk(cleave_cpu_binary(CLEAVE_BINARY_AND, &pb, &qb, &rb));
  EXPECT_EQ(r, (std::vector<uint8_t>{0, 0, 0, 1}));

  // Broadcast rows (a [2, 2] mask against a row, and against a column),
  // nonzero bytes as true, and an empty tensor (which once divided by its
  // zero axis).
  std::vector<uint8_t> grid = {0, 2, 1, 1}, row = {1, 0}, column = {0, 7}, g(4);
  cleave_tensor gv = view(CLEAVE_DTYPE_BOOL, {2, 2}, grid),
                rowv = view(CLEAVE_DTYPE_BOOL, {2}, row),
                colv = view(CLEAVE_DTYPE_BOOL, {2, 1}, column),
                outv = view(CLEAVE_DTYPE_BOOL, {2, 2}, g);
  expectOk(cleave_cpu_binary(CLEAVE_BINARY_AND, &gv, &rowv, &outv));
  EXPECT_EQ(g, (std::vector<uint8_t>{0, 0, 1, 0}));
  expectOk(cleave_cpu_binary(CLEAVE_BINARY_OR, &colv, &gv, &outv));
  EXPECT_EQ(g, (std::vector<uint8_t>{0, 1, 1, 1}));
  std::vector<uint8_t> none;
  cleave_tensor emptyv = view(CLEAVE_DTYPE_BOOL, {0, 2}, none),
                emptyOut = view(CLEAVE_DTYPE_BOOL, {0, 2}, none);
  expectOk(cleave_cpu_binary(CLEAVE_BINARY_XOR, &emptyv, &rowv, &emptyOut));
}

TEST(RuntimeDataKernels, ArgMaxAndArgMinWithTies) {
  std::vector<float> x = {1, 5, 5, 2, 0, 0}; // [2, 3]
  std::vector<int64_t> y(2);
  cleave_tensor xv = view(CLEAVE_DTYPE_F32, {2, 3}, x),
                yv = view(CLEAVE_DTYPE_I64, {2, 1}, y);
  expectOk(cleave_cpu_arg_reduce(&xv, 1, /*is_max=*/1, 0, &yv));
  EXPECT_EQ(y, (std::vector<int64_t>{1, 0}));
  expectOk(cleave_cpu_arg_reduce(&xv, 1, 1, /*select_last=*/1, &yv));
  EXPECT_EQ(y, (std::vector<int64_t>{2, 0}));
  expectOk(cleave_cpu_arg_reduce(&xv, 1, 0, 1, &yv));
  EXPECT_EQ(y, (std::vector<int64_t>{0, 2}));
}
} // namespace

namespace {
using namespace cleave::testing;

TEST(RuntimeDataKernels, GatherElementsTriluCumSum) {
  // ONNX's GatherElements example: axis 1.
  std::vector<float> data = {1, 2, 3, 4};
  std::vector<int64_t> indices = {0, 0, 1, 0};
  std::vector<float> y(4);
  cleave_tensor dv = view(CLEAVE_DTYPE_F32, {2, 2}, data),
                iv = view(CLEAVE_DTYPE_I64, {2, 2}, indices),
                yv = view(CLEAVE_DTYPE_F32, {2, 2}, y);
  expectOk(cleave_cpu_gather_elements(&dv, &iv, 1, &yv));
  EXPECT_EQ(y, (std::vector<float>{1, 1, 4, 3}));

  std::vector<int32_t> m = {1, 2, 3, 4, 5, 6, 7, 8, 9}, t(9);
  cleave_tensor mv = view(CLEAVE_DTYPE_I32, {3, 3}, m),
                tv = view(CLEAVE_DTYPE_I32, {3, 3}, t);
  expectOk(cleave_cpu_trilu(&mv, 0, /*upper=*/1, &tv));
  EXPECT_EQ(t, (std::vector<int32_t>{1, 2, 3, 0, 5, 6, 0, 0, 9}));
  expectOk(cleave_cpu_trilu(&mv, -1, /*upper=*/0, &tv));
  EXPECT_EQ(t, (std::vector<int32_t>{0, 0, 0, 4, 0, 0, 7, 8, 0}));

  // ONNX's CumSum examples: [1, 2, 3, 4, 5] in each mode.
  std::vector<double> x = {1, 2, 3, 4, 5}, c(5);
  cleave_tensor xv = view(CLEAVE_DTYPE_F64, {5}, x),
                cv = view(CLEAVE_DTYPE_F64, {5}, c);
  expectOk(cleave_cpu_cumsum(&xv, 0, 0, 0, &cv));
  EXPECT_EQ(c, (std::vector<double>{1, 3, 6, 10, 15}));
  expectOk(cleave_cpu_cumsum(&xv, 0, /*exclusive=*/1, 0, &cv));
  EXPECT_EQ(c, (std::vector<double>{0, 1, 3, 6, 10}));
  expectOk(cleave_cpu_cumsum(&xv, 0, 0, /*reverse=*/1, &cv));
  EXPECT_EQ(c, (std::vector<double>{15, 14, 12, 9, 5}));
  expectOk(cleave_cpu_cumsum(&xv, 0, 1, 1, &cv));
  EXPECT_EQ(c, (std::vector<double>{14, 12, 9, 5, 0}));
}
} // namespace

namespace {
using namespace cleave::testing;

TEST(RuntimeDataKernels, ReductionsOfIntegersAndDoubles) {
  std::vector<int64_t> x = {1, 2, 3, 4, 5, 6}, y(2); // [2, 3] -> [2, 1]
  cleave_tensor xv = view(CLEAVE_DTYPE_I64, {2, 3}, x),
                yv = view(CLEAVE_DTYPE_I64, {2, 1}, y);
  expectOk(cleave_cpu_reduce(CLEAVE_REDUCE_SUM, &xv, &yv));
  EXPECT_EQ(y, (std::vector<int64_t>{6, 15}));
  expectOk(cleave_cpu_reduce(CLEAVE_REDUCE_PROD, &xv, &yv));
  EXPECT_EQ(y, (std::vector<int64_t>{6, 120}));
  std::vector<double> d = {1, 2, 3, 4}, m(2); // [2, 2] -> [1, 2]
  cleave_tensor dv = view(CLEAVE_DTYPE_F64, {2, 2}, d),
                mv = view(CLEAVE_DTYPE_F64, {1, 2}, m);
  expectOk(cleave_cpu_reduce(CLEAVE_REDUCE_MEAN, &dv, &mv));
  EXPECT_EQ(m, (std::vector<double>{2, 3}));
  expectOk(cleave_cpu_reduce(CLEAVE_REDUCE_MAX, &dv, &mv));
  EXPECT_EQ(m, (std::vector<double>{3, 4}));
  cleave_tensor wrong = view(CLEAVE_DTYPE_F64, {2, 3}, m);
  cleave_status status = cleave_cpu_reduce(CLEAVE_REDUCE_SUM, &dv, &wrong);
  EXPECT_EQ(cleave_status_get_code(status), CLEAVE_INVALID_ARGUMENT);
  cleave_status_free(status);
}

TEST(RuntimeDataKernels, LayerNormStatistics) {
  std::vector<float> x = {1, 3, 2, 6}, g = {1, 1}, y(4), mean(2), inv(2);
  cleave_tensor xv = view(CLEAVE_DTYPE_F32, {2, 2}, x),
                gv = view(CLEAVE_DTYPE_F32, {2}, g),
                yv = view(CLEAVE_DTYPE_F32, {2, 2}, y),
                mv = view(CLEAVE_DTYPE_F32, {2, 1}, mean),
                iv = view(CLEAVE_DTYPE_F32, {2, 1}, inv);
  expectOk(
      cleave_cpu_layer_norm_stats(&xv, &gv, nullptr, 1, 0.0f, &yv, &mv, &iv));
  EXPECT_EQ(mean, (std::vector<float>{2, 4}));
  EXPECT_FLOAT_EQ(inv[0], 1.0f); // variance 1
  EXPECT_FLOAT_EQ(inv[1], 0.5f); // variance 4
  EXPECT_EQ(y, (std::vector<float>{-1, 1, -1, 1}));
}
} // namespace

namespace {
using namespace cleave::testing;

TEST(RuntimeDataKernels, ResizeNearestAndLinear) {
  std::vector<float> x = {1, 2, 3, 4}, half(2), corners(2), up(8);
  cleave_tensor xv = view(CLEAVE_DTYPE_F32, {1, 4}, x);
  float down[] = {1.0f, 0.5f};
  cleave_tensor hv = view(CLEAVE_DTYPE_F32, {1, 2}, half);
  expectOk(cleave_cpu_resize(&xv, down, 1, CLEAVE_RESIZE_HALF_PIXEL,
                             CLEAVE_NEAREST_ROUND_PREFER_FLOOR, &hv));
  EXPECT_EQ(half, (std::vector<float>{1.5f, 3.5f})); // sources 0.5 and 2.5
  // ONNX's own example: align_corners uses length_resized = 4 * 0.6 = 2.4.
  float sixty[] = {1.0f, 0.6f};
  cleave_tensor cv = view(CLEAVE_DTYPE_F32, {1, 2}, corners);
  expectOk(cleave_cpu_resize(&xv, sixty, 1, CLEAVE_RESIZE_ALIGN_CORNERS,
                             CLEAVE_NEAREST_ROUND_PREFER_FLOOR, &cv));
  EXPECT_FLOAT_EQ(corners[0], 1.0f);
  EXPECT_NEAR(corners[1], 3.142857f, 1e-5f);
  float twice[] = {1.0f, 2.0f};
  cleave_tensor uv = view(CLEAVE_DTYPE_F32, {1, 8}, up);
  expectOk(cleave_cpu_resize(&xv, twice, 0, CLEAVE_RESIZE_ASYMMETRIC,
                             CLEAVE_NEAREST_FLOOR, &uv));
  EXPECT_EQ(up, (std::vector<float>{1, 1, 2, 2, 3, 3, 4, 4}));
}
} // namespace

namespace {
using namespace cleave::testing;

// Cubic resize against Keys' kernel computed by hand, and two properties:
// a scale of 1 on integer coordinates reproduces the input, and with
// exclude_outside the renormalised weights keep a constant field constant
// at the edges too.
TEST(RuntimeDataKernels, ResizeCubic) {
  std::vector<float> x = {1, 4, 9, 16, 25, 36}, same(6), up(12), flat(12);
  cleave_tensor xv = view(CLEAVE_DTYPE_F32, {1, 6}, x);
  float one[] = {1.0f, 1.0f}, twice[] = {1.0f, 2.0f};
  cleave_tensor sv = view(CLEAVE_DTYPE_F32, {1, 6}, same);
  expectOk(cleave_cpu_resize_cubic(&xv, one, CLEAVE_RESIZE_ASYMMETRIC, -0.75f,
                                   0, &sv));
  EXPECT_EQ(same, x);
  cleave_tensor uv = view(CLEAVE_DTYPE_F32, {1, 12}, up);
  expectOk(cleave_cpu_resize_cubic(&xv, twice, CLEAVE_RESIZE_ASYMMETRIC,
                                   -0.75f, 0, &uv));
  // Output 5 reads source 2.5: taps 1..4 at distances 1.5, 0.5, 0.5, 1.5.
  auto keys = [](double d, double a) {
    d = std::fabs(d);
    return d <= 1 ? ((a + 2) * d - (a + 3)) * d * d + 1
                  : ((a * d - 5 * a) * d + 8 * a) * d - 4 * a;
  };
  double want = 0;
  for (int k = 1; k <= 4; ++k)
    want += keys(2.5 - k, -0.75) * x[k];
  EXPECT_NEAR(up[5], want, 1e-4);
  std::vector<float> ones(6, 1.0f);
  cleave_tensor ov = view(CLEAVE_DTYPE_F32, {1, 6}, ones),
                fv = view(CLEAVE_DTYPE_F32, {1, 12}, flat);
  expectOk(cleave_cpu_resize_cubic(&ov, twice, CLEAVE_RESIZE_HALF_PIXEL,
                                   -0.5f, 1, &fv));
  for (float v : flat)
    EXPECT_NEAR(v, 1.0f, 1e-6);
}
} // namespace

namespace {
using namespace cleave::testing;

// Einsum against direct loops: a batched product, a diagonal under an
// ellipsis, an inner product, and an implicit output.
TEST(RuntimeDataKernels, EinsumMatchesLoops) {
  std::vector<float> a = {1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 12}; // 2x2x3
  std::vector<float> b = {1, 0, 2, 1, 3, 1, 0, 1, 1, 2, 2, 0};   // 2x3x2
  std::vector<float> y(8);
  cleave_tensor av = view(CLEAVE_DTYPE_F32, {2, 2, 3}, a),
                bv = view(CLEAVE_DTYPE_F32, {2, 3, 2}, b),
                yv = view(CLEAVE_DTYPE_F32, {2, 2, 2}, y);
  const cleave_tensor *pair[] = {&av, &bv};
  expectOk(cleave_cpu_einsum("bij, bjk -> bik", pair, 2, &yv));
  for (int n = 0; n < 2; ++n)
    for (int i = 0; i < 2; ++i)
      for (int k = 0; k < 2; ++k) {
        float want = 0;
        for (int j = 0; j < 3; ++j)
          want += a[(n * 2 + i) * 3 + j] * b[(n * 3 + j) * 2 + k];
        EXPECT_EQ(y[(n * 2 + i) * 2 + k], want);
      }
  std::vector<float> square = {1, 2, 3, 4, 5, 6, 7, 8}, diagonal(4);
  cleave_tensor sv = view(CLEAVE_DTYPE_F32, {2, 2, 2}, square),
                dv = view(CLEAVE_DTYPE_F32, {2, 2}, diagonal);
  const cleave_tensor *one[] = {&sv};
  expectOk(cleave_cpu_einsum("...ii->...i", one, 1, &dv));
  EXPECT_EQ(diagonal, (std::vector<float>{1, 4, 5, 8}));
  std::vector<float> u = {1, 2, 3}, v = {4, 5, 6}, dot(1);
  cleave_tensor uv = view(CLEAVE_DTYPE_F32, {3}, u),
                vv = view(CLEAVE_DTYPE_F32, {3}, v), tv{};
  tv.dtype = CLEAVE_DTYPE_F32;
  tv.rank = 0;
  tv.data = dot.data();
  const cleave_tensor *vectors[] = {&uv, &vv};
  expectOk(cleave_cpu_einsum("i,i", vectors, 2, &tv));
  EXPECT_EQ(dot[0], 32.0f);
  // Implicit output: the letters used once, in order ("ji" -> "ij").
  std::vector<float> m = {1, 2, 3, 4, 5, 6}, t(6);
  cleave_tensor mv = view(CLEAVE_DTYPE_F32, {2, 3}, m),
                out = view(CLEAVE_DTYPE_F32, {3, 2}, t);
  const cleave_tensor *single[] = {&mv};
  expectOk(cleave_cpu_einsum("ji", single, 1, &out));
  EXPECT_EQ(t, (std::vector<float>{1, 4, 2, 5, 3, 6}));
  std::vector<float> wrong(4);
  cleave_tensor wv = view(CLEAVE_DTYPE_F32, {2, 2}, wrong);
  cleave_status status = cleave_cpu_einsum("ij,jk->ik", single, 1, &wv);
  ASSERT_NE(status, nullptr);
  EXPECT_NE(std::string(cleave_status_message(status)).find("names 2 inputs"),
            std::string::npos);
  cleave_status_free(status);
}
} // namespace

namespace {
using namespace cleave::testing;

// f32 reductions take oneDNN's kernel or, where oneDNN has only its
// reference one, reduceRows; both must agree with the element-by-element
// loop (double accumulation) on every pattern of reduced and kept axes.
TEST(RuntimeDataKernels, FloatReductionsMatchTheLoopOnEveryAxisPattern) {
  std::mt19937 random(7);
  const std::vector<int64_t> shape = {3, 5, 1, 4, 6};
  const cleave_reduce_op ops[] = {CLEAVE_REDUCE_SUM, CLEAVE_REDUCE_MEAN,
                                  CLEAVE_REDUCE_MAX, CLEAVE_REDUCE_MIN,
                                  CLEAVE_REDUCE_SUM_SQUARE, CLEAVE_REDUCE_L2};
  Tensor x(shape, random);
  cleave_tensor xv = x.view();
  for (unsigned mask = 1; mask < (1u << shape.size()); ++mask) {
    std::vector<int64_t> kept = shape;
    for (size_t i = 0; i < shape.size(); ++i)
      if (mask & (1u << i))
        kept[i] = 1;
    if (kept == shape)
      continue;
    for (cleave_reduce_op op : ops) {
      Tensor fast(kept), loop(kept);
      cleave_tensor fv = fast.view(), lv = loop.view();
      expectOk(cleave_cpu_reduce(op, &xv, &fv));
      expectOk(cleave_cpu_reduce_loop(op, &xv, &lv));
      for (int64_t i = 0; i < fast.count(); ++i)
        EXPECT_NEAR(fast.data[i], loop.data[i],
                    1e-5f * (1 + std::fabs(loop.data[i])))
            << "op " << op << ", reduced axes mask " << mask << ", element "
            << i;
    }
  }
}

// Comparisons of f32 walk rows; they must equal the scalar definition,
// with NaN unordered, under broadcasting.
TEST(RuntimeDataKernels, FloatComparisonsBroadcastAndTreatNaNAsUnordered) {
  std::vector<float> a = {-1, 0, 2, NAN, 3, -4}, b = {0, 2};
  std::vector<uint8_t> y(6);
  cleave_tensor av = view(CLEAVE_DTYPE_F32, {3, 2}, a),
                bv = view(CLEAVE_DTYPE_F32, {1, 2}, b),
                yv = view(CLEAVE_DTYPE_BOOL, {3, 2}, y);
  struct Case {
    cleave_compare_op op;
    std::vector<uint8_t> expected;
  };
  const Case cases[] = {
      {CLEAVE_COMPARE_GREATER, {0, 0, 1, 0, 1, 0}},
      {CLEAVE_COMPARE_GREATER_OR_EQUAL, {0, 0, 1, 0, 1, 0}},
      {CLEAVE_COMPARE_LESS, {1, 1, 0, 0, 0, 1}},
      {CLEAVE_COMPARE_LESS_OR_EQUAL, {1, 1, 0, 0, 0, 1}},
      {CLEAVE_COMPARE_EQUAL, {0, 0, 0, 0, 0, 0}},
  };
  for (const Case &c : cases) {
    expectOk(cleave_cpu_compare(c.op, &av, &bv, &yv));
    EXPECT_EQ(y, c.expected) << "op " << c.op;
  }
  std::vector<float> same = {0, 2};
  cleave_tensor sv = view(CLEAVE_DTYPE_F32, {1, 2}, same);
  std::vector<uint8_t> z(2);
  cleave_tensor zv = view(CLEAVE_DTYPE_BOOL, {1, 2}, z);
  expectOk(cleave_cpu_compare(CLEAVE_COMPARE_EQUAL, &sv, &bv, &zv));
  EXPECT_EQ(z, (std::vector<uint8_t>{1, 1}));
}
} // namespace

namespace {
using namespace cleave::testing;

// f32 binary ops take oneDNN, or binaryRows where oneDNN has only its
// reference kernel or cannot broadcast the first input; one f32 operation
// rounds the same in float and in the loop's double, so all are bit-equal.
TEST(RuntimeDataKernels, FloatBinaryBroadcastsMatchTheLoopExactly) {
  std::mt19937 random(11);
  struct Case {
    std::vector<int64_t> a, b, y;
  };
  const Case cases[] = {
      {{4, 3, 5, 6}, {4, 3, 5, 1}, {4, 3, 5, 6}}, // attention's x - max
      {{4, 1, 6}, {1, 3, 1}, {4, 3, 6}},          // both broadcast
      {{1, 6}, {4, 6}, {4, 6}},                   // the first broadcasts
      {{2, 3, 4}, {4}, {2, 3, 4}},
      {{5}, {5}, {5}},
  };
  const cleave_binary_op ops[] = {CLEAVE_BINARY_ADD, CLEAVE_BINARY_SUB,
                                  CLEAVE_BINARY_MUL, CLEAVE_BINARY_DIV,
                                  CLEAVE_BINARY_MAX, CLEAVE_BINARY_MIN};
  for (const Case &c : cases) {
    Tensor a(c.a, random, 0.5f, 2.0f), b(c.b, random, 0.5f, 2.0f);
    cleave_tensor av = a.view(), bv = b.view();
    for (cleave_binary_op op : ops) {
      Tensor fast(c.y), loop(c.y);
      cleave_tensor fv = fast.view(), lv = loop.view();
      expectOk(cleave_cpu_binary(op, &av, &bv, &fv));
      expectOk(cleave_cpu_binary_loop(op, &av, &bv, &lv));
      EXPECT_EQ(fast.data, loop.data) << "op " << op << ", y rank "
                                      << c.y.size();
    }
  }
}
} // namespace
