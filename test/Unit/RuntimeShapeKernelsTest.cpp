//===- RuntimeShapeKernelsTest.cpp - reductions, transpose, concat, norm --===//
//
// Each kernel on random shapes against a loop written from the ONNX
// operator's definition.
//
//===----------------------------------------------------------------------===//

#include "RuntimeTestUtils.h"
#include "cleave/Runtime/CpuKernels.h"
#include <cmath>
#include <gtest/gtest.h>
#include <numeric>
#include <random>
#include <vector>

namespace {

using namespace cleave::testing;

/// Multi-index of `flat` in `shape`.
std::vector<int64_t> unflatten(int64_t flat,
                               const std::vector<int64_t> &shape) {
  std::vector<int64_t> index(shape.size());
  for (int64_t i = (int64_t)shape.size() - 1; i >= 0; --i) {
    index[i] = flat % shape[i];
    flat /= shape[i];
  }
  return index;
}

int64_t flatten(const std::vector<int64_t> &index,
                const std::vector<int64_t> &shape) {
  int64_t flat = 0;
  for (size_t i = 0; i < shape.size(); ++i)
    flat = flat * shape[i] + (shape[i] == 1 ? 0 : index[i]);
  return flat;
}

TEST(RuntimeShapeKernels, ReductionsMatchDefinitions) {
  std::mt19937 random(31);
  for (int op = CLEAVE_REDUCE_SUM; op <= CLEAVE_REDUCE_LOG_SUM_EXP; ++op)
    for (int trial = 0; trial < 24; ++trial) {
      // Rank 3, then rank 4 with larger axes: neighbouring reduced (or
      // kept) axes merge in the kernel, and rows reduced whole take its
      // own loop rather than oneDNN's.
      std::vector<int64_t> shape = {(int64_t)(1 + random() % 4),
                                    (int64_t)(1 + random() % 5),
                                    (int64_t)(1 + random() % 3)};
      if (trial >= 8)
        shape = {(int64_t)(1 + random() % 3), (int64_t)(1 + random() % 9),
                 (int64_t)(1 + random() % 7), (int64_t)(1 + random() % 7)};
      std::vector<int64_t> kept = shape;
      for (auto &d : kept)
        if (random() % 2)
          d = 1;
      Tensor x(shape, random), y(kept);
      cleave_tensor xv = x.view(), yv = y.view();
      expectOk(cleave_cpu_reduce((cleave_reduce_op)op, &xv, &yv));
      std::vector<std::vector<double>> groups(y.data.size());
      for (int64_t i = 0; i < x.count(); ++i)
        groups[flatten(unflatten(i, shape), kept)].push_back(x.data[i]);
      std::vector<float> want;
      for (const auto &g : groups) {
        double sum = 0, sq = 0, prod = 1, mx = -INFINITY, mn = INFINITY;
        for (double v : g) {
          sum += v, sq += v * v, prod *= v;
          mx = std::max(mx, v), mn = std::min(mn, v);
        }
        double lse = 0;
        for (double v : g)
          lse += std::exp(v - mx);
        double r[] = {sum,  sum / g.size(), mx, mn,
                      prod, std::sqrt(sq),  sq, std::log(lse) + mx};
        want.push_back((float)r[op]);
      }
      SCOPED_TRACE(testing::Message() << "op " << op << " trial " << trial);
      expectClose(y.data, want);
    }
}

TEST(RuntimeShapeKernels, TransposeMatchesPermutation) {
  std::mt19937 random(32);
  for (int trial = 0; trial < 26; ++trial) {
    std::vector<int64_t> shape = {(int64_t)(1 + random() % 3),
                                  (int64_t)(1 + random() % 4),
                                  (int64_t)(1 + random() % 5), 2};
    std::vector<int64_t> perm = {0, 1, 2, 3};
    std::shuffle(perm.begin(), perm.end(), random);
    // Images moved to channels-last: rows of a few channels, taken in
    // blocks across the contiguous pixels (1,024 pixels or more).
    if (trial >= 20) {
      shape = {(int64_t)(1 + random() % 2), (int64_t)(1 + random() % 16),
               (int64_t)(32 + random() % 9), (int64_t)(32 + random() % 40)};
      perm = {0, 2, 3, 1};
    }
    std::vector<int64_t> outShape;
    for (int64_t p : perm)
      outShape.push_back(shape[p]);
    Tensor x(shape, random), y(outShape);
    cleave_tensor xv = x.view(), yv = y.view();
    expectOk(cleave_cpu_transpose(&xv, perm.data(), &yv));
    std::vector<float> want(y.data.size());
    for (int64_t i = 0; i < y.count(); ++i) {
      std::vector<int64_t> out = unflatten(i, outShape), in(4);
      for (int k = 0; k < 4; ++k)
        in[perm[k]] = out[k];
      int64_t flat = 0;
      for (int k = 0; k < 4; ++k)
        flat = flat * shape[k] + in[k];
      want[i] = x.data[flat];
    }
    expectClose(y.data, want);
  }
}

// Transposes of the last two (merged) axes go through cache tiles, 4 x 4
// shuffles for 4-byte elements and single elements at the tiles' edges, for
// rows under 4 elements and for the other widths: every width, sizes off
// the tile and block sizes.
template <typename T> void checkTiledTranspose(cleave_dtype dtype) {
  for (auto [shape, perm] :
       {std::pair<std::vector<int64_t>, std::vector<int64_t>>{{2, 37, 45},
                                                              {0, 2, 1}},
        {{1, 5, 33, 70}, {0, 2, 3, 1}},
        {{3, 66, 5, 7}, {0, 2, 3, 1}},
        {{1, 35, 9, 4}, {0, 3, 1, 2}},
        {{2, 3, 40, 41}, {0, 2, 3, 1}}}) {
    std::vector<int64_t> outShape;
    for (int64_t p : perm)
      outShape.push_back(shape[p]);
    int64_t count = 1;
    for (int64_t d : shape)
      count *= d;
    std::vector<T> x(count), y(count, T(0)), want(count);
    for (int64_t i = 0; i < count; ++i)
      x[i] = T(i % 251 + 1); // Fits every width; a wrong source shows.
    int rank = (int)shape.size();
    for (int64_t i = 0; i < count; ++i) {
      std::vector<int64_t> out = unflatten(i, outShape), in(rank);
      for (int k = 0; k < rank; ++k)
        in[perm[k]] = out[k];
      int64_t flat = 0;
      for (int k = 0; k < rank; ++k)
        flat = flat * shape[k] + in[k];
      want[i] = x[flat];
    }
    cleave_tensor xv = view(dtype, shape, x), yv = view(dtype, outShape, y);
    expectOk(cleave_cpu_transpose(&xv, perm.data(), &yv));
    EXPECT_TRUE(y == want) << "dtype " << dtype << ", shape of rank " << rank;
  }
}

TEST(RuntimeShapeKernels, TransposeTilesEveryElementWidth) {
  checkTiledTranspose<uint8_t>(CLEAVE_DTYPE_U8);
  checkTiledTranspose<int16_t>(CLEAVE_DTYPE_I16);
  checkTiledTranspose<int32_t>(CLEAVE_DTYPE_I32);
  checkTiledTranspose<float>(CLEAVE_DTYPE_F32);
  checkTiledTranspose<int64_t>(CLEAVE_DTYPE_I64);
}

TEST(RuntimeShapeKernels, ConcatAlongEachAxis) {
  std::mt19937 random(33);
  for (int axis = 0; axis < 3; ++axis) {
    std::vector<int64_t> a = {2, 3, 4}, b = a, c = a;
    b[axis] = 1;
    c[axis] = 5;
    std::vector<int64_t> out = a;
    out[axis] = a[axis] + b[axis] + c[axis];
    Tensor x(a, random), y(b, random), z(c, random), r(out);
    cleave_tensor xv = x.view(), yv = y.view(), zv = z.view(), rv = r.view();
    const cleave_tensor *inputs[] = {&xv, &yv, &zv};
    expectOk(cleave_cpu_concat(inputs, 3, axis, &rv));
    std::vector<float> want(r.data.size());
    for (int64_t i = 0; i < r.count(); ++i) {
      std::vector<int64_t> index = unflatten(i, out);
      int64_t along = index[axis];
      Tensor *source = &x;
      std::vector<int64_t> *shape = &a;
      if (along >= a[axis]) {
        along -= a[axis], source = &y, shape = &b;
        if (along >= b[axis])
          along -= b[axis], source = &z, shape = &c;
      }
      index[axis] = along;
      int64_t flat = 0;
      for (int k = 0; k < 3; ++k)
        flat = flat * (*shape)[k] + index[k];
      want[i] = source->data[flat];
    }
    expectClose(r.data, want);
  }
}

TEST(RuntimeShapeKernels, LayerNormMatchesFormula) {
  std::mt19937 random(34);
  for (int axis = 1; axis < 3; ++axis) {
    std::vector<int64_t> shape = {3, 4, 5};
    int64_t cols = axis == 1 ? 20 : 5;
    Tensor x(shape, random), g({cols}, random), b({cols}, random), y(shape);
    cleave_tensor xv = x.view(), gv = g.view(), bv = b.view(), yv = y.view();
    expectOk(cleave_cpu_layer_norm(&xv, &gv, &bv, axis, 1e-5f, &yv));
    std::vector<float> want(y.data.size());
    for (int64_t r = 0; r < 60 / cols; ++r) {
      double mean = 0, var = 0;
      for (int64_t c = 0; c < cols; ++c)
        mean += x.data[r * cols + c] / cols;
      for (int64_t c = 0; c < cols; ++c)
        var += std::pow(x.data[r * cols + c] - mean, 2) / cols;
      for (int64_t c = 0; c < cols; ++c)
        want[r * cols + c] = (float)((x.data[r * cols + c] - mean) /
                                         std::sqrt(var + 1e-5) * g.data[c] +
                                     b.data[c]);
    }
    expectClose(y.data, want);
  }
}

TEST(RuntimeShapeKernels, MoreUnaryOpsMatchDefinitions) {
  std::mt19937 random(35);
  struct Case {
    cleave_unary_op op;
    float alpha, beta;
    double (*reference)(double x, double alpha, double beta);
  };
  const Case cases[] = {
      {CLEAVE_UNARY_CEIL, 0, 0,
       [](double x, double, double) { return std::ceil(x); }},
      {CLEAVE_UNARY_FLOOR, 0, 0,
       [](double x, double, double) { return std::floor(x); }},
      {CLEAVE_UNARY_COS, 0, 0,
       [](double x, double, double) { return std::cos(x); }},
      {CLEAVE_UNARY_SIN, 0, 0,
       [](double x, double, double) { return std::sin(x); }},
      {CLEAVE_UNARY_ERF, 0, 0,
       [](double x, double, double) { return std::erf(x); }},
      {CLEAVE_UNARY_RECIPROCAL, 0, 0,
       [](double x, double, double) { return 1 / x; }},
      {CLEAVE_UNARY_SIGN, 0, 0,
       [](double x, double, double) { return (double)((x > 0) - (x < 0)); }},
      {CLEAVE_UNARY_SOFTPLUS, 0, 0,
       [](double x, double, double) { return std::log(1 + std::exp(x)); }},
      {CLEAVE_UNARY_SOFTSIGN, 0, 0,
       [](double x, double, double) { return x / (1 + std::fabs(x)); }},
      {CLEAVE_UNARY_SELU, 1.6733f, 1.0507f,
       [](double x, double a, double g) {
         return x > 0 ? g * x : g * a * (std::exp(x) - 1);
       }},
      {CLEAVE_UNARY_CLIP, -0.8f, 0.9f,
       [](double x, double lo, double hi) {
         return std::min(std::max(x, lo), hi);
       }},
      {CLEAVE_UNARY_HARD_SWISH, 0, 0,
       [](double x, double, double) {
         return x * std::max(0.0, std::min(1.0, x / 6 + 0.5));
       }},
      {CLEAVE_UNARY_ROUND, 0, 0,
       [](double x, double, double) { return std::nearbyint(x); }},
  };
  for (const Case &c : cases) {
    SCOPED_TRACE(testing::Message() << "op " << c.op);
    Tensor x({4, 9}, random), y({4, 9});
    x.data[0] = 2.5f; // A tie: Round goes to even.
    x.data[1] = -0.5f;
    cleave_tensor xv = x.view(), yv = y.view();
    expectOk(cleave_cpu_unary(c.op, c.alpha, c.beta, &xv, &yv));
    std::vector<float> want;
    for (float v : x.data)
      want.push_back((float)c.reference(v, (double)c.alpha, (double)c.beta));
    expectClose(y.data, want);
  }
}
} // namespace
