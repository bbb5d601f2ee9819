//===- RuntimeKernelsTest.cpp - CPU kernels against naive references ------===//
//
// Each kernel runs on random shapes and values and is compared with a
// straightforward loop written from the ONNX operator's definition.
//
//===----------------------------------------------------------------------===//

#include "RuntimeTestUtils.h"
#include "cleave/Runtime/CpuKernels.h"
#include <cfloat>
#include <cmath>
#include <gtest/gtest.h>
#include <random>
#include <vector>

namespace {

using namespace cleave::testing;

/// A tensor owning its storage, filled with uniform values in [lo, hi].

/// Row-major flat index of `index` in `shape`, broadcasting size-1 dims;
/// `index` is aligned to the right of `shape`.
int64_t flatIndex(const std::vector<int64_t> &shape,
                  const std::vector<int64_t> &index) {
  int64_t flat = 0;
  size_t offset = index.size() - shape.size();
  for (size_t i = 0; i < shape.size(); ++i)
    flat = flat * shape[i] + (shape[i] == 1 ? 0 : index[i + offset]);
  return flat;
}

/// Calls `body(index)` for every index of `shape`.
template <typename Body>
void forEachIndex(const std::vector<int64_t> &shape, Body body) {
  int64_t count = 1;
  for (int64_t d : shape)
    count *= d;
  std::vector<int64_t> index(shape.size(), 0);
  for (int64_t n = 0; n < count; ++n) {
    body(index);
    for (int64_t i = (int64_t)shape.size() - 1; i >= 0; --i) {
      if (++index[i] < shape[i])
        break;
      index[i] = 0;
    }
  }
}

TEST(RuntimeKernels, MatMulMatchesNaiveOnRandomShapes) {
  std::mt19937 random(7);
  auto dim = [&](int hi) { return (int64_t)(1 + random() % hi); };
  for (int trial = 0; trial < 40; ++trial) {
    int64_t m = dim(17), k = dim(33), n = dim(17);
    std::vector<int64_t> batchA, batchB;
    int batchRank = random() % 3;
    for (int i = 0; i < batchRank; ++i) {
      int64_t d = dim(3);
      batchA.push_back(random() % 3 == 0 ? 1 : d);
      batchB.push_back(random() % 3 == 0 ? 1 : d);
    }
    if (random() % 2)
      batchB.erase(batchB.begin(), batchB.begin() + batchB.size() / 2);
    std::vector<int64_t> aShape = batchA, bShape = batchB;
    aShape.insert(aShape.end(), {m, k});
    bShape.insert(bShape.end(), {k, n});
    // Broadcast batch, aligned right.
    std::vector<int64_t> batch(std::max(batchA.size(), batchB.size()), 1);
    for (size_t i = 0; i < batch.size(); ++i) {
      int64_t a = i < batch.size() - batchA.size()
                      ? 1
                      : batchA[i - (batch.size() - batchA.size())];
      int64_t b = i < batch.size() - batchB.size()
                      ? 1
                      : batchB[i - (batch.size() - batchB.size())];
      batch[i] = std::max(a, b);
    }
    std::vector<int64_t> yShape = batch;
    yShape.insert(yShape.end(), {m, n});
    Tensor a(aShape, random), b(bShape, random), y(yShape);
    cleave_tensor av = a.view(), bv = b.view(), yv = y.view();
    expectOk(cleave_cpu_matmul(&av, &bv, 0, 0, &yv));

    std::vector<float> want(y.data.size());
    forEachIndex(yShape, [&](const std::vector<int64_t> &index) {
      double sum = 0;
      std::vector<int64_t> ai(index), bi(index);
      for (int64_t kk = 0; kk < k; ++kk) {
        ai[ai.size() - 1] = kk;
        bi[bi.size() - 2] = kk;
        sum += (double)a.data[flatIndex(aShape, ai)] *
               b.data[flatIndex(bShape, bi)];
      }
      want[flatIndex(yShape, index)] = (float)sum;
    });
    SCOPED_TRACE(testing::Message() << "trial " << trial);
    expectClose(y.data, want);
  }
}

// Products of at most 4 rows and 32K multiply-adds take the kernel's own
// loop (rows of B scaled and added, or 8-lane dot products when B is
// stored transposed); k spans whole lanes and a remainder. Against the
// definition, and either side of the loop's limit.
TEST(RuntimeKernels, SmallProductsMatchDefinition) {
  std::mt19937 random(44);
  for (int trial = 0; trial < 24; ++trial) {
    int64_t m = 1 + random() % 4, k = 1 + random() % 40, n = 1 + random() % 24;
    if (trial % 6 == 5)
      k = 200, n = 200; // Past the limit: oneDNN's product.
    bool transB = trial % 2;
    Tensor a({m, k}, random), b(transB ? std::vector<int64_t>{n, k}
                                       : std::vector<int64_t>{k, n},
                                random),
        y({m, n});
    cleave_tensor av = a.view(), bv = b.view(), yv = y.view();
    expectOk(cleave_cpu_matmul(&av, &bv, 0, transB, &yv));
    std::vector<float> want(m * n);
    for (int64_t i = 0; i < m; ++i)
      for (int64_t j = 0; j < n; ++j) {
        double sum = 0;
        for (int64_t p = 0; p < k; ++p)
          sum += (double)a.data[i * k + p] *
                 b.data[transB ? j * k + p : p * n + j];
        want[i * n + j] = (float)sum;
      }
    SCOPED_TRACE(testing::Message() << "trial " << trial);
    expectClose(y.data, want);
  }
}

TEST(RuntimeKernels, MatMulPromotesVectors) {
  std::mt19937 random(3);
  Tensor a({5}, random), b({5, 4}, random), y({4});
  cleave_tensor av = a.view(), bv = b.view(), yv = y.view();
  expectOk(cleave_cpu_matmul(&av, &bv, 0, 0, &yv));
  std::vector<float> want(4, 0);
  for (int j = 0; j < 4; ++j)
    for (int i = 0; i < 5; ++i)
      want[j] += a.data[i] * b.data[i * 4 + j];
  expectClose(y.data, want);

  Tensor wrong({3});
  cleave_tensor wv = wrong.view();
  cleave_status status = cleave_cpu_matmul(&av, &bv, 0, 0, &wv);
  EXPECT_EQ(cleave_status_get_code(status), CLEAVE_INVALID_ARGUMENT);
  cleave_status_free(status);
}

// Integer products (ONNX MatMul on int32/int64/uint32, MatMulInteger
// after its zero points) take the kernel's own loop: batch axes broadcast,
// either operand may be stored transposed, and int32 sums wrap around as
// onnxruntime's do (the reference sums exactly in int64 and keeps the low
// 32 bits).
template <typename T>
void checkIntegerProduct(cleave_dtype dtype, std::vector<int64_t> aShape,
                         std::vector<int64_t> bShape, bool transA, bool transB,
                         int64_t lo, int64_t hi) {
  std::mt19937 random(45);
  std::uniform_int_distribution<int64_t> values(lo, hi);
  auto fill = [&](const std::vector<int64_t> &shape) {
    int64_t count = 1;
    for (int64_t d : shape)
      count *= d;
    std::vector<T> data(count);
    for (T &v : data)
      v = T(values(random));
    return data;
  };
  std::vector<T> a = fill(aShape), b = fill(bShape);
  size_t rank = aShape.size();
  int64_t m = aShape[rank - (transA ? 1 : 2)],
          k = aShape[rank - (transA ? 2 : 1)],
          n = bShape[rank - (transB ? 2 : 1)];
  // Batch axes: a's [B0, 1], b's [1, B1] broadcast to [B0, B1].
  int64_t b0 = aShape[0], b1 = bShape[1];
  std::vector<int64_t> yShape = {b0, b1, m, n};
  std::vector<T> y(b0 * b1 * m * n), want(y.size());
  for (int64_t i0 = 0; i0 < b0; ++i0)
    for (int64_t i1 = 0; i1 < b1; ++i1)
      for (int64_t i = 0; i < m; ++i)
        for (int64_t j = 0; j < n; ++j) {
          __int128 sum = 0;
          for (int64_t p = 0; p < k; ++p) {
            T x = a[i0 * m * k + (transA ? p * m + i : i * k + p)];
            T w = b[i1 * k * n + (transB ? j * k + p : p * n + j)];
            sum += (__int128)x * (__int128)w;
          }
          want[((i0 * b1 + i1) * m + i) * n + j] = T(sum);
        }
  cleave_tensor av = view(dtype, aShape, a), bv = view(dtype, bShape, b),
                yv = view(dtype, yShape, y);
  expectOk(cleave_cpu_matmul(&av, &bv, transA, transB, &yv));
  EXPECT_TRUE(y == want) << "dtype " << dtype << " transA " << transA
                         << " transB " << transB;
}

TEST(RuntimeKernels, IntegerProductsMatchDefinition) {
  for (bool transA : {false, true})
    for (bool transB : {false, true}) {
      std::vector<int64_t> a = transA ? std::vector<int64_t>{2, 1, 7, 3}
                                      : std::vector<int64_t>{2, 1, 3, 7};
      std::vector<int64_t> b = transB ? std::vector<int64_t>{1, 3, 5, 7}
                                      : std::vector<int64_t>{1, 3, 7, 5};
      // MatMulInteger's range (8-bit values minus zero points), then sums
      // that overflow int32.
      checkIntegerProduct<int32_t>(CLEAVE_DTYPE_I32, a, b, transA, transB, -255,
                                   255);
      checkIntegerProduct<int32_t>(CLEAVE_DTYPE_I32, a, b, transA, transB,
                                   -(1 << 30), 1 << 30);
      checkIntegerProduct<int64_t>(CLEAVE_DTYPE_I64, a, b, transA, transB,
                                   -(1ll << 40), 1ll << 40);
      checkIntegerProduct<uint32_t>(CLEAVE_DTYPE_U32, a, b, transA, transB, 0,
                                    1ll << 31);
    }
}

TEST(RuntimeKernels, UnaryMatchesDefinitions) {
  std::mt19937 random(11);
  struct Case {
    cleave_unary_op op;
    float alpha, beta;
    float (*reference)(float x, float alpha, float beta);
    float lo;
  };
  const Case cases[] = {
      {CLEAVE_UNARY_ABS, 0, 0,
       [](float x, float, float) { return std::fabs(x); }, -2},
      {CLEAVE_UNARY_ELU, 0.7f, 0,
       [](float x, float a, float) {
         return x > 0 ? x : a * (std::exp(x) - 1);
       },
       -2},
      {CLEAVE_UNARY_EXP, 0, 0,
       [](float x, float, float) { return std::exp(x); }, -2},
      {CLEAVE_UNARY_GELU, 0, 0,
       [](float x, float, float) {
         return 0.5f * x * (1 + std::erf(x / std::sqrt(2.0f)));
       },
       -2},
      {CLEAVE_UNARY_GELU_TANH, 0, 0,
       [](float x, float, float) {
         return 0.5f * x *
                (1 + std::tanh(std::sqrt(2 / (float)M_PI) *
                               (x + 0.044715f * x * x * x)));
       },
       -2},
      {CLEAVE_UNARY_HARD_SIGMOID, 0.2f, 0.5f,
       [](float x, float a, float b) {
         return std::max(0.0f, std::min(1.0f, a * x + b));
       },
       -4},
      {CLEAVE_UNARY_LEAKY_RELU, 0.01f, 0,
       [](float x, float a, float) { return x > 0 ? x : a * x; }, -2},
      {CLEAVE_UNARY_LOG, 0, 0,
       [](float x, float, float) { return std::log(x); }, 0.01f},
      {CLEAVE_UNARY_NEG, 0, 0, [](float x, float, float) { return -x; }, -2},
      {CLEAVE_UNARY_RELU, 0, 0,
       [](float x, float, float) { return std::max(x, 0.0f); }, -2},
      {CLEAVE_UNARY_SIGMOID, 0, 0,
       [](float x, float, float) { return 1 / (1 + std::exp(-x)); }, -6},
      {CLEAVE_UNARY_SQRT, 0, 0,
       [](float x, float, float) { return std::sqrt(x); }, 0},
      {CLEAVE_UNARY_TANH, 0, 0,
       [](float x, float, float) { return std::tanh(x); }, -3},
  };
  for (const Case &c : cases) {
    SCOPED_TRACE(testing::Message() << "op " << c.op);
    Tensor x({3, 7, 5}, random, c.lo, 3), y({3, 7, 5});
    cleave_tensor xv = x.view(), yv = y.view();
    expectOk(cleave_cpu_unary(c.op, c.alpha, c.beta, &xv, &yv));
    std::vector<float> want;
    for (float v : x.data)
      want.push_back(c.reference(v, c.alpha, c.beta));
    expectClose(y.data, want);
  }
}

// Log within an ulp of the double-precision value: T5's relative position
// buckets truncate log(16 / 8) / log(128 / 8) * 8 to an integer, which a
// log off by a few dozen ulp (oneDNN 2.6's) turns from 2 into 1.
TEST(RuntimeKernels, LogIsWithinAnUlp) {
  std::vector<float> x, y;
  for (int i = 0; i < 4096; ++i)
    x.push_back(1.5f + i * 0.0625f);
  x.push_back(2.0f);
  x.push_back(16.0f);
  y.resize(x.size());
  cleave_tensor xv = view(CLEAVE_DTYPE_F32, {(int64_t)x.size()}, x),
                yv = view(CLEAVE_DTYPE_F32, {(int64_t)y.size()}, y);
  expectOk(cleave_cpu_unary(CLEAVE_UNARY_LOG, 0, 0, &xv, &yv));
  for (size_t i = 0; i < x.size(); ++i) {
    double want = std::log((double)x[i]);
    double ulp = std::ldexp(1.0, std::ilogb(want) - 23);
    EXPECT_LE(std::fabs(y[i] - want), ulp) << "log(" << x[i] << ")";
  }
  // T5's bucket offset: (int64)(log 2 / log 16 * 8) = (int64)(0.25 * 8).
  float ratio = y[x.size() - 2] / y[x.size() - 1];
  EXPECT_EQ((int64_t)(ratio * 8), 2);
}

// ONNX defines Abs, Neg, Relu and Sign on integers (T5 takes the Abs of
// i64 relative positions): exact, with two's complement wrapping for the
// most negative value, and unsigned values without a sign.
TEST(RuntimeKernels, UnaryOnIntegers) {
  std::vector<int64_t> x = {-5, 0, 7, INT64_MIN}, y(4);
  cleave_tensor xv = view(CLEAVE_DTYPE_I64, {4}, x),
                yv = view(CLEAVE_DTYPE_I64, {4}, y);
  expectOk(cleave_cpu_unary(CLEAVE_UNARY_ABS, 0, 0, &xv, &yv));
  EXPECT_EQ(y, (std::vector<int64_t>{5, 0, 7, INT64_MIN}));
  expectOk(cleave_cpu_unary(CLEAVE_UNARY_NEG, 0, 0, &xv, &yv));
  EXPECT_EQ(y, (std::vector<int64_t>{5, 0, -7, INT64_MIN}));
  expectOk(cleave_cpu_unary(CLEAVE_UNARY_RELU, 0, 0, &xv, &yv));
  EXPECT_EQ(y, (std::vector<int64_t>{0, 0, 7, 0}));
  expectOk(cleave_cpu_unary(CLEAVE_UNARY_SIGN, 0, 0, &xv, &yv));
  EXPECT_EQ(y, (std::vector<int64_t>{-1, 0, 1, -1}));

  std::vector<int8_t> small = {-128, -3, 4}, out(3);
  cleave_tensor sv = view(CLEAVE_DTYPE_I8, {3}, small),
                ov = view(CLEAVE_DTYPE_I8, {3}, out);
  expectOk(cleave_cpu_unary(CLEAVE_UNARY_ABS, 0, 0, &sv, &ov));
  EXPECT_EQ(out, (std::vector<int8_t>{-128, 3, 4})); // numpy's int8 abs.
  // Shrink (lambd 1.5, bias 1): |x| <= 1.5 gives 0, the rest move by 1.
  expectOk(cleave_cpu_unary(CLEAVE_UNARY_SHRINK, 1.5f, 1.0f, &sv, &ov));
  EXPECT_EQ(out, (std::vector<int8_t>{-127, -2, 3}));
  std::vector<uint8_t> u = {0, 200}, uo(2);
  cleave_tensor uv = view(CLEAVE_DTYPE_U8, {2}, u),
                uov = view(CLEAVE_DTYPE_U8, {2}, uo);
  expectOk(cleave_cpu_unary(CLEAVE_UNARY_SIGN, 0, 0, &uv, &uov));
  EXPECT_EQ(uo, (std::vector<uint8_t>{0, 1}));

  // Ops with no integer form are refused, not computed through floats.
  cleave_status status = cleave_cpu_unary(CLEAVE_UNARY_EXP, 0, 0, &xv, &yv);
  EXPECT_EQ(cleave_status_get_code(status), CLEAVE_UNSUPPORTED);
  cleave_status_free(status);
}

// f16 goes through the f32 math and is rounded back once: the result is
// the f32 result rounded to the nearest half.
TEST(RuntimeKernels, UnaryOnHalves) {
  // 1.0, -2.0, 0.5 and 3.140625 as IEEE halves.
  std::vector<uint16_t> x = {0x3c00, 0xc000, 0x3800, 0x4248}, y(4);
  cleave_tensor xv = view(CLEAVE_DTYPE_F16, {4}, x),
                yv = view(CLEAVE_DTYPE_F16, {4}, y);
  expectOk(cleave_cpu_unary(CLEAVE_UNARY_RELU, 0, 0, &xv, &yv));
  EXPECT_EQ(y, (std::vector<uint16_t>{0x3c00, 0x0000, 0x3800, 0x4248}));
  // exp(1) = 2.71828 -> 2.71875 (0x4170); exp(-2) = 0.135335 -> 0.13538
  // (0x3055); exp(0.5) = 1.64872 -> 1.64844 (0x3e98); exp(3.140625) =
  // 23.1183 -> 23.125 (0x4dc8).
  expectOk(cleave_cpu_unary(CLEAVE_UNARY_EXP, 0, 0, &xv, &yv));
  EXPECT_EQ(y, (std::vector<uint16_t>{0x4170, 0x3055, 0x3e98, 0x4dc8}));
}

TEST(RuntimeKernels, BinaryBroadcastsLikeNumpy) {
  std::mt19937 random(5);
  const std::vector<std::vector<int64_t>> shapes[] = {
      {{2, 3, 4}, {2, 3, 4}, {2, 3, 4}},
      {{2, 3, 4}, {4}, {2, 3, 4}},
      {{4}, {2, 3, 4}, {2, 3, 4}},
      {{2, 1, 4}, {3, 1}, {2, 3, 4}},
      {{1}, {5}, {5}},
      {{}, {}, {}}, // Scalars (oneDNN wants a dimension: the loop runs them).
      {{}, {3}, {3}},
      {{3, 1, 1}, {1, 2, 2}, {3, 2, 2}},
  };
  for (int op = CLEAVE_BINARY_ADD; op <= CLEAVE_BINARY_MIN; ++op) {
    for (const auto &s : shapes) {
      SCOPED_TRACE(testing::Message()
                   << "op " << op << " case " << &s - shapes);
      Tensor a(s[0], random), b(s[1], random, 0.5f, 2), y(s[2]);
      cleave_tensor av = a.view(), bv = b.view(), yv = y.view();
      expectOk(cleave_cpu_binary((cleave_binary_op)op, &av, &bv, &yv));
      std::vector<float> want(y.data.size());
      forEachIndex(s[2], [&](const std::vector<int64_t> &index) {
        float u = a.data[flatIndex(s[0], index)];
        float v = b.data[flatIndex(s[1], index)];
        float r[] = {u + v, u - v,          u * v,
                     u / v, std::max(u, v), std::min(u, v)};
        want[flatIndex(s[2], index)] = r[op];
      });
      expectClose(y.data, want);
    }
  }
}

TEST(RuntimeKernels, SoftmaxAlongEachAxis) {
  std::mt19937 random(9);
  std::vector<int64_t> shape = {3, 4, 5};
  for (int log = 0; log <= 1; ++log) {
    for (int axis = -3; axis < 3; ++axis) {
      SCOPED_TRACE(testing::Message() << "log " << log << " axis " << axis);
      Tensor x(shape, random, -5, 5), y(shape);
      cleave_tensor xv = x.view(), yv = y.view();
      expectOk(cleave_cpu_softmax(&xv, axis, log, &yv));
      int a = axis < 0 ? axis + 3 : axis;
      std::vector<float> want(y.data.size());
      forEachIndex(shape, [&](const std::vector<int64_t> &index) {
        std::vector<int64_t> other(index);
        double maxValue = -INFINITY, sum = 0;
        for (int64_t i = 0; i < shape[a]; ++i) {
          other[a] = i;
          maxValue =
              std::max<double>(maxValue, x.data[flatIndex(shape, other)]);
        }
        for (int64_t i = 0; i < shape[a]; ++i) {
          other[a] = i;
          sum += std::exp(x.data[flatIndex(shape, other)] - maxValue);
        }
        double v = x.data[flatIndex(shape, index)] - maxValue;
        want[flatIndex(shape, index)] =
            (float)(log ? v - std::log(sum) : std::exp(v) / sum);
      });
      expectClose(y.data, want);
    }
  }
}

TEST(RuntimeKernels, RejectsWrongTypesAndShapes) {
  std::mt19937 random(1);
  Tensor x({2, 3}, random), y({3, 2});
  cleave_tensor xv = x.view(), yv = y.view();
  cleave_status status = cleave_cpu_unary(CLEAVE_UNARY_RELU, 0, 0, &xv, &yv);
  EXPECT_EQ(cleave_status_get_code(status), CLEAVE_INVALID_ARGUMENT);
  cleave_status_free(status);
  xv.dtype = CLEAVE_DTYPE_F64;
  status = cleave_cpu_softmax(&xv, 0, 0, &xv);
  EXPECT_EQ(cleave_status_get_code(status), CLEAVE_UNSUPPORTED);
  cleave_status_free(status);
}

TEST(RuntimeKernels, ThreadCountDoesNotChangeResults) {
  std::mt19937 random(2);
  Tensor a({64, 96}, random), b({96, 80}, random), y1({64, 80}), y2({64, 80});
  cleave_tensor av = a.view(), bv = b.view(), v1 = y1.view(), v2 = y2.view();
  cleave_cpu_set_num_threads(1);
  expectOk(cleave_cpu_matmul(&av, &bv, 0, 0, &v1));
  cleave_cpu_set_num_threads(0);
  expectOk(cleave_cpu_matmul(&av, &bv, 0, 0, &v2));
  expectClose(y1.data, y2.data);
}
} // namespace

// Cross entropy and its gradient against a double reference, on a
// 2,048-class head (as an LM's) and with logits of large magnitude, also
// in place (the memory plan may give the gradient the logits' buffer).
TEST(RuntimeKernels, CrossEntropyMatchesDoubleReference) {
  std::mt19937 random(11);
  for (auto [rows, classes, spread] :
       {std::tuple<int64_t, int64_t, float>{64, 2048, 3.0f},
        {5, 10, 40.0f}}) {
    SCOPED_TRACE(testing::Message() << rows << " x " << classes);
    Tensor logits({rows, classes}, random, -spread, spread);
    std::vector<int64_t> labels(rows);
    for (int64_t r = 0; r < rows; ++r)
      labels[r] = (r * 7) % classes;
    labels[1] = -100; // ignored
    cleave_tensor lv = logits.view(),
                  yv = view(CLEAVE_DTYPE_I64, {rows}, labels);
    std::vector<float> loss(1), dloss = {0.5f};
    cleave_tensor lossv = view(CLEAVE_DTYPE_F32, {}, loss),
                  dlossv = view(CLEAVE_DTYPE_F32, {}, dloss);
    expectOk(cleave_cpu_cross_entropy(&lv, &yv, 1, -100, &lossv));
    std::vector<float> grad(logits.data.size());
    cleave_tensor gv = view(CLEAVE_DTYPE_F32, {rows, classes}, grad);
    expectOk(cleave_cpu_cross_entropy_grad(&lv, &yv, &dlossv, 1, -100, &gv));
    Tensor inPlace = logits;
    cleave_tensor iv = inPlace.view();
    expectOk(cleave_cpu_cross_entropy_grad(&iv, &yv, &dlossv, 1, -100, &iv));

    double total = 0;
    std::vector<float> want(grad.size(), 0.0f);
    for (int64_t r = 0; r < rows; ++r) {
      if (labels[r] == -100)
        continue;
      const float *row = logits.data.data() + r * classes;
      double top = *std::max_element(row, row + classes), sum = 0;
      for (int64_t c = 0; c < classes; ++c)
        sum += std::exp((double)row[c] - top);
      double lse = top + std::log(sum);
      total += lse - row[labels[r]];
      for (int64_t c = 0; c < classes; ++c)
        want[r * classes + c] =
            (float)(0.5 / (rows - 1) *
                    (std::exp(row[c] - lse) - (c == labels[r] ? 1.0 : 0.0)));
    }
    EXPECT_NEAR(loss[0], total / (rows - 1), 1e-6 * std::fabs(total));
    expectClose(grad, want, 1e-6f, 1e-12f);
    expectClose(inPlace.data, want, 1e-6f, 1e-12f);
  }
}

// After cleave_cpu_flush_denormals (a training run's mode), products that
// would be denormal are zero and denormal inputs read as zero, in this
// thread and in the kernels' threads: a two-thread product (256 x 256,
// large enough to run on the threads) of 1e-20 by 1e-20 / 256 (sums of
// 1e-40, a denormal) is 0, and 1e-40 times 1e30 is 0, not 1e-10.
// (The mode stays set for the process; ctest runs each test in its own.)
TEST(RuntimeKernels, FlushDenormalsZeroesTinyFloats) {
  cleave_cpu_flush_denormals();
  volatile float tiny = 1e-20f, denormal = 1e-40f, large = 1e30f;
  EXPECT_EQ(tiny * tiny, 0.0f);
  EXPECT_EQ(denormal * large, 0.0f);
  cleave_cpu_set_num_threads(2);
  std::vector<float> a(256 * 256, 1e-20f), b(256 * 256, 1e-20f / 256),
      y(256 * 256, -1.0f);
  cleave_tensor av = view(CLEAVE_DTYPE_F32, {256, 256}, a),
                bv = view(CLEAVE_DTYPE_F32, {256, 256}, b),
                yv = view(CLEAVE_DTYPE_F32, {256, 256}, y);
  expectOk(cleave_cpu_matmul(&av, &bv, 0, 0, &yv));
  EXPECT_EQ(y, std::vector<float>(y.size(), 0.0f));
  cleave_cpu_set_num_threads(0);
}

// A saturated head (logits 60 to 99 below the top, whose probabilities
// e^-60 .. e^-99 straddle float's smallest normal number, e^-87.3), in a
// training run's mode (cleave_cpu_flush_denormals): every gradient is
// either 0 or a normal float, equal to the double formula's where that is
// normal.
TEST(RuntimeKernels, CrossEntropyGradientHasNoDenormals) {
  cleave_cpu_flush_denormals();
  const int64_t classes = 41;
  std::vector<float> logits(classes);
  for (int64_t c = 0; c < classes; ++c)
    logits[c] = c == 0 ? 0.0f : -60.0f - (float)(c - 1);
  std::vector<int64_t> labels = {0};
  std::vector<float> dloss = {1.0f}, grad(classes, -1.0f);
  cleave_tensor lv = view(CLEAVE_DTYPE_F32, {1, classes}, logits),
                yv = view(CLEAVE_DTYPE_I64, {1}, labels),
                dlossv = view(CLEAVE_DTYPE_F32, {}, dloss),
                gv = view(CLEAVE_DTYPE_F32, {1, classes}, grad);
  expectOk(cleave_cpu_cross_entropy_grad(&lv, &yv, &dlossv, 1, -100, &gv));
  double sum = 0;
  for (float l : logits)
    sum += std::exp((double)l);
  int flushed = 0;
  for (int64_t c = 1; c < classes; ++c) {
    EXPECT_NE(std::fpclassify(grad[c]), FP_SUBNORMAL) << "class " << c;
    double want = std::exp((double)logits[c]) / sum;
    if (want < FLT_MIN) {
      EXPECT_EQ(grad[c], 0.0f) << "class " << c;
      ++flushed;
    } else {
      EXPECT_NEAR(grad[c], want, 1e-6 * want) << "class " << c;
    }
  }
  // e^-88 .. e^-99 are flushed, e^-60 .. e^-87 kept.
  EXPECT_EQ(flushed, 12);
}
