//===- CudaPlanTest.cpp - the CUDA kernels' addressing, on the host -------===//
//
// The CUDA kernels address elements through Plans (lib/Runtime/Cuda/
// IndexMath.h), the same code on host and device. Here each plan is
// applied on the host, element by element as a kernel's threads would, and
// checked against the CPU kernel of the same op on random shapes.
//
//===----------------------------------------------------------------------===//

#include "../../lib/Runtime/ElementwiseMath.h"
#include "../../lib/Runtime/Cuda/GemmPlan.h"
#include "../../lib/Runtime/Cuda/IndexMath.h"
#include "../../lib/Runtime/Cuda/Pooling.h"
#include "RuntimeTestUtils.h"
#include "cleave/Runtime/CpuKernels.h"
#include <algorithm>
#include <numeric>

using cleave::testing::Tensor;
using namespace cleave;
using namespace cleave::cuda;

namespace {

std::vector<int64_t> randomShape(std::mt19937 &random, int rank,
                                 int64_t maxDim = 4) {
  std::vector<int64_t> shape(rank);
  for (int64_t &d : shape)
    d = std::uniform_int_distribution<int64_t>(1, maxDim)(random);
  return shape;
}

/// y[plan offset 0] = x[plan offset 1] for every element of the plan.
void applyCopy(const Plan<2> &plan, const Tensor &x, Tensor &y) {
  for (int64_t i = 0; i < plan.count(); ++i) {
    int64_t o[2];
    plan.offsets(i, o);
    y.data[o[0]] = x.data[o[1]];
  }
}

void expectSame(const Tensor &got, const Tensor &want) {
  ASSERT_EQ(got.data.size(), want.data.size());
  for (size_t i = 0; i < got.data.size(); ++i)
    ASSERT_EQ(got.data[i], want.data[i]) << "element " << i;
}

TEST(CudaPlan, TransposeMatchesCpu) {
  std::mt19937 random(1);
  for (int trial = 0; trial < 200; ++trial) {
    int rank = 1 + trial % 5;
    Tensor x(randomShape(random, rank), random);
    std::vector<int64_t> perm(rank);
    std::iota(perm.begin(), perm.end(), 0);
    std::shuffle(perm.begin(), perm.end(), random);
    std::vector<int64_t> shape(rank);
    for (int d = 0; d < rank; ++d)
      shape[d] = x.shape[perm[d]];
    Tensor want(shape), got(shape);
    cleave_tensor xv = x.view(), wv = want.view(), gv = got.view();
    ASSERT_EQ(cleave_cpu_transpose(&xv, perm.data(), &wv), nullptr);
    applyCopy(transposePlan(xv, perm.data(), gv), x, got);
    expectSame(got, want);
  }
}

TEST(CudaPlan, SliceMatchesCpu) {
  std::mt19937 random(2);
  for (int trial = 0; trial < 200; ++trial) {
    int rank = 1 + trial % 4;
    Tensor x(randomShape(random, rank, 6), random);
    std::vector<int64_t> starts(rank), steps(rank), shape(rank);
    for (int d = 0; d < rank; ++d) {
      int64_t n = x.shape[d];
      bool backward = random() % 3 == 0;
      steps[d] = (backward ? -1 : 1) * (1 + (int64_t)(random() % 2));
      starts[d] = random() % n;
      int64_t room = backward ? starts[d] + 1 : n - starts[d];
      shape[d] = 1 + (room - 1) / std::abs(steps[d]);
    }
    Tensor want(shape), got(shape);
    cleave_tensor xv = x.view(), wv = want.view(), gv = got.view();
    ASSERT_EQ(cleave_cpu_slice(&xv, starts.data(), steps.data(), &wv),
              nullptr);
    applyCopy(slicePlan(xv, starts.data(), steps.data(), gv), x, got);
    expectSame(got, want);
  }
}

TEST(CudaPlan, ExpandAndTileMatchCpu) {
  std::mt19937 random(3);
  for (int trial = 0; trial < 200; ++trial) {
    int rank = 1 + trial % 4;
    std::vector<int64_t> yShape = randomShape(random, rank);
    // x: y's trailing axes, some of them 1 (expand) / divisors (tile).
    int xRank = 1 + (int)(random() % rank);
    std::vector<int64_t> xShape(yShape.end() - xRank, yShape.end());
    for (int64_t &d : xShape)
      if (random() % 2)
        d = 1;
    Tensor x(xShape, random), want(yShape), got(yShape);
    cleave_tensor xv = x.view(), wv = want.view(), gv = got.view();
    ASSERT_EQ(cleave_cpu_expand(&xv, &wv), nullptr);
    const cleave_tensor *ops[] = {&xv};
    applyCopy(broadcastPlan<2>(gv, ops, true), x, got);
    expectSame(got, want);

    // Tile: same rank, y a multiple of x.
    Tensor t(randomShape(random, rank, 3), random);
    std::vector<int64_t> tiled(t.shape);
    for (int64_t &d : tiled)
      d *= 1 + random() % 3;
    Tensor tWant(tiled), tGot(tiled);
    cleave_tensor tv = t.view(), twv = tWant.view(), tgv = tGot.view();
    ASSERT_EQ(cleave_cpu_tile(&tv, &twv), nullptr);
    applyCopy(tilePlan(tv, tgv), t, tGot);
    expectSame(tGot, tWant);
  }
}

TEST(CudaPlan, ConcatMatchesCpu) {
  std::mt19937 random(4);
  for (int trial = 0; trial < 100; ++trial) {
    int rank = 1 + trial % 4, axis = (int)(random() % rank);
    std::vector<int64_t> base = randomShape(random, rank);
    std::vector<Tensor> inputs;
    std::vector<int64_t> yShape = base;
    yShape[axis] = 0;
    for (int i = 0, n = 1 + (int)(random() % 3); i < n; ++i) {
      std::vector<int64_t> shape = base;
      shape[axis] = 1 + random() % 3;
      yShape[axis] += shape[axis];
      inputs.emplace_back(shape, random);
    }
    std::vector<cleave_tensor> views;
    for (Tensor &t : inputs)
      views.push_back(t.view());
    std::vector<const cleave_tensor *> list;
    for (cleave_tensor &v : views)
      list.push_back(&v);
    Tensor want(yShape), got(yShape);
    cleave_tensor wv = want.view(), gv = got.view();
    ASSERT_EQ(cleave_cpu_concat(list.data(), (int32_t)list.size(), axis, &wv),
              nullptr);
    int64_t offset = 0;
    for (size_t i = 0; i < inputs.size(); ++i) {
      applyCopy(concatPlan(views[i], axis, offset, gv), inputs[i], got);
      offset += inputs[i].shape[axis];
    }
    expectSame(got, want);
  }
}

TEST(CudaPlan, BinaryBroadcastMatchesCpu) {
  std::mt19937 random(5);
  for (int trial = 0; trial < 200; ++trial) {
    int rank = 1 + trial % 5;
    std::vector<int64_t> yShape = randomShape(random, rank);
    auto operandShape = [&] {
      int r = 1 + (int)(random() % rank);
      std::vector<int64_t> s(yShape.end() - r, yShape.end());
      for (int64_t &d : s)
        if (random() % 3 == 0)
          d = 1;
      return s;
    };
    Tensor a(operandShape(), random), b(operandShape(), random);
    // y's shape is the broadcast of a and b, which may be smaller.
    std::vector<int64_t> shape(std::max(a.shape.size(), b.shape.size()));
    for (size_t i = 0; i < shape.size(); ++i) {
      auto dim = [&](const std::vector<int64_t> &s) -> int64_t {
        size_t shift = shape.size() - s.size();
        return i < shift ? 1 : s[i - shift];
      };
      shape[i] = std::max(dim(a.shape), dim(b.shape));
    }
    Tensor want(shape), got(shape);
    cleave_tensor av = a.view(), bv = b.view(), wv = want.view(),
                  gv = got.view();
    ASSERT_EQ(cleave_cpu_binary(CLEAVE_BINARY_SUB, &av, &bv, &wv), nullptr);
    const cleave_tensor *ops[] = {&av, &bv};
    Plan<3> plan = broadcastPlan<3>(gv, ops, true);
    for (int64_t i = 0; i < plan.count(); ++i) {
      int64_t o[3];
      plan.offsets(i, o);
      got.data[o[0]] = a.data[o[1]] - b.data[o[2]];
    }
    expectSame(got, want);
  }
}

TEST(CudaPlan, PadSourceMatchesCpu) {
  std::mt19937 random(6);
  for (int trial = 0; trial < 300; ++trial) {
    int rank = 1 + trial % 3;
    auto mode = (cleave_pad_mode)(trial % 3);
    Tensor x(randomShape(random, rank, 5), random);
    std::vector<int64_t> begin(rank), shape(rank);
    for (int d = 0; d < rank; ++d) {
      // Reflect pads stay below the axis length, as ONNX requires.
      int64_t limit = mode == CLEAVE_PAD_REFLECT ? x.shape[d] - 1 : 3;
      begin[d] = limit ? (int64_t)(random() % (limit + 1)) : 0;
      int64_t end = limit ? (int64_t)(random() % (limit + 1)) : 0;
      shape[d] = x.shape[d] + begin[d] + end;
    }
    Tensor want(shape), got(shape);
    cleave_tensor xv = x.view(), wv = want.view();
    ASSERT_EQ(cleave_cpu_pad(&xv, begin.data(), mode, 0.5, &wv), nullptr);
    for (int64_t i = 0; i < got.count(); ++i) {
      int64_t rest = i, source = 0, stride = 1;
      bool inside = true;
      for (int d = rank - 1; d >= 0; --d) {
        int64_t c = rest % shape[d];
        rest /= shape[d];
        int64_t s = padSource(c, begin[d], x.shape[d], (int)mode);
        inside &= s >= 0;
        source += s * stride;
        stride *= x.shape[d];
      }
      got.data[i] = inside ? x.data[source] : 0.5f;
    }
    expectSame(got, want);
  }
}

/// What cuBLAS computes for `call` (its column-major definition), on
/// host copies of our row-major a, b and y.
void runColumnMajor(const GemmCall &call, const float *a, const float *b,
                    float *y) {
  for (int64_t batch = 0; batch < call.batch; ++batch) {
    const float *first = b + call.offsetB + batch * call.strideFirst;
    const float *second = a + call.offsetA + batch * call.strideSecond;
    float *c = y + call.offsetY + batch * call.strideC;
    for (int64_t i = 0; i < call.m; ++i)
      for (int64_t j = 0; j < call.n; ++j) {
        double sum = 0;
        for (int64_t l = 0; l < call.k; ++l) {
          float f = call.transFirst ? first[l + i * call.ldFirst]
                                    : first[i + l * call.ldFirst];
          float g = call.transSecond ? second[j + l * call.ldSecond]
                                     : second[l + j * call.ldSecond];
          sum += (double)f * g;
        }
        c[i + j * call.ldc] = (float)sum;
      }
  }
}

void expectClose(const Tensor &got, const Tensor &want) {
  ASSERT_EQ(got.data.size(), want.data.size());
  for (size_t i = 0; i < got.data.size(); ++i)
    ASSERT_NEAR(got.data[i], want.data[i], 1e-4f) << "element " << i;
}

/// `t` stored with its last two axes swapped.
Tensor swappedLastTwo(Tensor t) {
  std::vector<int64_t> shape = t.shape, perm(shape.size());
  std::iota(perm.begin(), perm.end(), 0);
  std::swap(shape[shape.size() - 1], shape[shape.size() - 2]);
  std::swap(perm[perm.size() - 1], perm[perm.size() - 2]);
  Tensor out(shape);
  cleave_tensor in = t.view(), outView = out.view();
  EXPECT_EQ(cleave_cpu_transpose(&in, perm.data(), &outView), nullptr);
  return out;
}

TEST(CudaPlan, MatMulCallsMatchCpu) {
  std::mt19937 random(7);
  int paths[3] = {}; // Shared b, one strided call, one call per batch.
  int transposed = 0;
  for (int trial = 0; trial < 300; ++trial) {
    int64_t m = 1 + random() % 4, k = 1 + random() % 5, n = 1 + random() % 4;
    int batchRank = (int)(random() % 3);
    std::vector<int64_t> batch = randomShape(random, batchRank, 3);
    auto operandBatch = [&] {
      std::vector<int64_t> dims(batch.end() - (random() % (batchRank + 1)),
                                batch.end());
      for (int64_t &d : dims)
        if (random() % 3 == 0)
          d = 1;
      return dims;
    };
    std::vector<int64_t> aShape = operandBatch(), bShape = operandBatch();
    bool aVector = aShape.empty() && random() % 4 == 0,
         bVector = bShape.empty() && random() % 4 == 0;
    if (aVector)
      aShape = {k};
    else
      aShape.insert(aShape.end(), {m, k});
    if (bVector)
      bShape = {k};
    else
      bShape.insert(bShape.end(), {k, n});
    // y: the broadcast batch, then m and n unless a side is a vector.
    size_t aB = aVector ? 0 : aShape.size() - 2,
           bB = bVector ? 0 : bShape.size() - 2;
    std::vector<int64_t> yShape(std::max(aB, bB), 1);
    for (size_t i = 0; i < yShape.size(); ++i) {
      size_t fromEnd = yShape.size() - i;
      if (fromEnd <= aB)
        yShape[i] = std::max(yShape[i], aShape[aB - fromEnd]);
      if (fromEnd <= bB)
        yShape[i] = std::max(yShape[i], bShape[bB - fromEnd]);
    }
    if (!aVector)
      yShape.push_back(m);
    if (!bVector)
      yShape.push_back(n);
    Tensor a(aShape, random), b(bShape, random), want(yShape), got(yShape);
    cleave_tensor av = a.view(), bv = b.view(), wv = want.view(),
                  gv = got.view();
    ASSERT_EQ(cleave_cpu_matmul(&av, &bv, 0, 0, &wv), nullptr);
    // Half the matrices are stored transposed (by the transpose kernel)
    // and read through the flags: the same product.
    bool transA = !aVector && random() % 2, transB = !bVector && random() % 2;
    Tensor at = transA ? swappedLastTwo(a) : a,
           bt = transB ? swappedLastTwo(b) : b, flagged(yShape);
    cleave_tensor atv = at.view(), btv = bt.view(), fv = flagged.view();
    ASSERT_EQ(cleave_cpu_matmul(&atv, &btv, transA, transB, &fv), nullptr);
    expectClose(flagged, want);
    std::vector<GemmCall> calls = matmulCalls(atv, btv, gv, transA, transB);
    ++paths[calls.size() > 1 ? 2 : calls[0].batch > 1];
    transposed += transA || transB;
    for (const GemmCall &call : calls)
      runColumnMajor(call, at.data.data(), bt.data.data(), got.data.data());
    expectClose(got, want);
  }
  // Every dispatch path was taken.
  EXPECT_GT(paths[0], 0);
  EXPECT_GT(paths[1], 0);
  EXPECT_GT(paths[2], 0);
  EXPECT_GT(transposed, 50);
}

TEST(CudaPlan, GemmTransposesMatchCpu) {
  std::mt19937 random(8);
  for (int trial = 0; trial < 100; ++trial) {
    int64_t m = 1 + random() % 5, k = 1 + random() % 5, n = 1 + random() % 5;
    bool transA = random() % 2, transB = random() % 2;
    Tensor a(transA ? std::vector<int64_t>{k, m} : std::vector<int64_t>{m, k},
             random);
    Tensor b(transB ? std::vector<int64_t>{n, k} : std::vector<int64_t>{k, n},
             random);
    Tensor want({m, n}), got({m, n});
    cleave_tensor av = a.view(), bv = b.view(), wv = want.view();
    ASSERT_EQ(cleave_cpu_gemm(&av, &bv, nullptr, 1.0f, 0.0f, transA, transB,
                              &wv),
              nullptr);
    runColumnMajor(gemmCall({transA, transB, m, n, k}, 0, 0, 0, 1),
                   a.data.data(), b.data.data(), got.data.data());
    expectClose(got, want);
  }
}

/// Equal (infinities too), or both NaN, or within a relative 1e-5 (libm
/// against oneDNN).
void expectSameValue(float got, float want, const char *what, float x) {
  if (got == want)
    return;
  if (std::isnan(want)) {
    EXPECT_TRUE(std::isnan(got)) << what << " at " << x;
    return;
  }
  EXPECT_NEAR(got, want, 1e-5f * std::max(1.0f, std::fabs(want)))
      << what << " at " << x;
}

TEST(CudaMath, EveryUnaryOpMatchesCpu) {
  std::mt19937 random(9);
  // Values around the ops' interesting points, negatives, halves (Round).
  std::vector<float> values = {-3.5f, -2.5f, -1.0f, -0.5f, -0.25f, 0.0f,
                               0.25f, 0.5f, 1.5f, 2.5f, 3.0f, 7.0f};
  for (int i = 0; i < 40; ++i)
    values.push_back(std::uniform_real_distribution<float>(-4, 4)(random));
  Tensor x({(int64_t)values.size()});
  x.data = values;
  const int ops[] = {
#define CLEAVE_UNARY_OP(NAME) CLEAVE_UNARY_##NAME,
#include "cleave/Runtime/UnaryOps.def"
  };
  for (int op : ops) {
    float alpha = 0.3f, beta = op == CLEAVE_UNARY_CLIP ? 1.2f : 0.7f;
    if (op == CLEAVE_UNARY_CLIP)
      alpha = -0.8f;
    bool positive = op == CLEAVE_UNARY_LOG || op == CLEAVE_UNARY_SQRT;
    Tensor in({(int64_t)values.size()}), want(in.shape);
    for (size_t i = 0; i < values.size(); ++i)
      in.data[i] = positive ? std::fabs(values[i]) + 0.1f : values[i];
    cleave_tensor iv = in.view(), wv = want.view();
    ASSERT_EQ(cleave_cpu_unary((cleave_unary_op)op, alpha, beta, &iv, &wv),
              nullptr)
        << "op " << op;
    for (size_t i = 0; i < values.size(); ++i)
      expectSameValue(unaryOp(op, in.data[i], alpha, beta), want.data[i],
                      ("unary op " + std::to_string(op)).c_str(), in.data[i]);
  }
}

TEST(CudaMath, EveryBinaryOpMatchesCpu) {
  std::mt19937 random(10);
  Tensor a({64}, random, -3, 3), b({64}, random, -3, 3);
  b.data[0] = 0.0f; // Division and modulo by zero.
  for (int op = CLEAVE_BINARY_ADD; op <= CLEAVE_BINARY_PRELU; ++op) {
    Tensor want({64});
    cleave_tensor av = a.view(), bv = b.view(), wv = want.view();
    ASSERT_EQ(cleave_cpu_binary((cleave_binary_op)op, &av, &bv, &wv), nullptr)
        << "op " << op;
    for (size_t i = 0; i < a.data.size(); ++i)
      expectSameValue(binaryOp(op, a.data[i], b.data[i]), want.data[i],
                      ("binary op " + std::to_string(op)).c_str(), a.data[i]);
  }
  for (int op = CLEAVE_COMPARE_EQUAL; op <= CLEAVE_COMPARE_GREATER_OR_EQUAL;
       ++op) {
    std::vector<uint8_t> want(64);
    Tensor c({64});
    for (size_t i = 0; i < 64; ++i) // Some equal pairs.
      c.data[i] = i % 3 ? b.data[i] : a.data[i];
    cleave_tensor av = a.view(), cv = c.view(),
                  wv = cleave::testing::view(CLEAVE_DTYPE_BOOL, {64}, want);
    ASSERT_EQ(cleave_cpu_compare((cleave_compare_op)op, &av, &cv, &wv),
              nullptr);
    for (size_t i = 0; i < 64; ++i)
      EXPECT_EQ(compareOp(op, a.data[i], c.data[i]), want[i] != 0)
          << "compare op " << op << " element " << i;
  }
}

TEST(CudaMath, PoolingMatchesCpu) {
  std::mt19937 random(11);
  auto pick = [&](int64_t lo, int64_t hi) {
    return std::uniform_int_distribution<int64_t>(lo, hi)(random);
  };
  int compared = 0;
  for (int trial = 0; trial < 300; ++trial) {
    cleave_window w{};
    w.spatial_rank = 1 + trial % 3;
    PoolShape shape{w.spatial_rank, {}, {}};
    std::vector<int64_t> xShape = {pick(1, 2), pick(1, 3)}, yShape = xShape;
    for (int32_t d = 0; d < w.spatial_rank; ++d) {
      w.kernel[d] = pick(1, 3);
      w.strides[d] = pick(1, 2);
      w.dilations[d] = pick(1, 2);
      w.pads_begin[d] = pick(0, w.kernel[d] - 1);
      w.pads_end[d] = pick(0, w.kernel[d] - 1);
      int64_t extent = (w.kernel[d] - 1) * w.dilations[d] + 1;
      shape.in[d] = pick(extent, extent + 4);
      shape.out[d] = (shape.in[d] + w.pads_begin[d] + w.pads_end[d] - extent) /
                         w.strides[d] +
                     1;
      xShape.push_back(shape.in[d]);
      yShape.push_back(shape.out[d]);
    }
    auto kind = (cleave_pool_kind)(trial % 3);
    Tensor x(xShape, random), want(yShape);
    cleave_tensor xv = x.view(), wv = want.view();
    // oneDNN refuses some windows (padding past a dilated window's reach):
    // the CPU kernel is the reference only where it runs.
    if (cleave_status status = cleave_cpu_pool(kind, &xv, &w, &wv)) {
      cleave_status_free(status);
      continue;
    }
    ++compared;
    for (int64_t i = 0; i < want.count(); ++i)
      ASSERT_NEAR(poolAt(kind, w, shape, x.data.data(), i), want.data[i],
                  1e-5f)
          << "pool kind " << kind << " trial " << trial << " element " << i;
  }
  EXPECT_GT(compared, 200);
}

TEST(CudaPlan, ReduceMatchesCpu) {
  std::mt19937 random(12);
  for (int trial = 0; trial < 200; ++trial) {
    int rank = 1 + trial % 4;
    Tensor x(randomShape(random, rank), random);
    std::vector<int64_t> yShape = x.shape;
    for (int64_t &d : yShape)
      if (random() % 2)
        d = 1;
    Tensor want(yShape), got(yShape);
    cleave_tensor xv = x.view(), wv = want.view(), gv = got.view();
    ASSERT_EQ(cleave_cpu_reduce(CLEAVE_REDUCE_SUM, &xv, &wv), nullptr);
    Plan<1> kept, reduced;
    int64_t count = reducePlans(xv, gv, kept, reduced);
    for (int64_t o = 0; o < got.count(); ++o) { // A block per output.
      int64_t base[1], off[1];
      kept.offsets(o, base);
      float sum = 0;
      for (int64_t r = 0; r < count; ++r) {
        reduced.offsets(r, off);
        sum += x.data[base[0] + off[0]];
      }
      got.data[o] = sum;
    }
    expectClose(got, want);
  }
}

TEST(CudaPlan, GatherMatchesCpu) {
  std::mt19937 random(13);
  for (int trial = 0; trial < 200; ++trial) {
    int rank = 1 + trial % 3, axis = (int)(random() % rank);
    Tensor data(randomShape(random, rank), random);
    int64_t axisSize = data.shape[axis];
    std::vector<int64_t> indexShape = randomShape(random, 1 + trial % 2, 3);
    int64_t indexCount = 1;
    for (int64_t d : indexShape)
      indexCount *= d;
    std::vector<int64_t> indices(indexCount);
    for (int64_t &i : indices) // Negative ones count from the end.
      i = (int64_t)(random() % (2 * axisSize)) - axisSize;
    std::vector<int64_t> yShape(data.shape.begin(), data.shape.begin() + axis);
    yShape.insert(yShape.end(), indexShape.begin(), indexShape.end());
    yShape.insert(yShape.end(), data.shape.begin() + axis + 1,
                  data.shape.end());
    Tensor want(yShape), got(yShape);
    cleave_tensor dv = data.view(), wv = want.view(),
                  iv = cleave::testing::view(CLEAVE_DTYPE_I64, indexShape,
                                             indices);
    ASSERT_EQ(cleave_cpu_gather(&dv, &iv, axis, &wv), nullptr);
    int64_t inner = 1, count = (int64_t)indices.size();
    for (int d = axis + 1; d < rank; ++d)
      inner *= data.shape[d];
    for (int64_t i = 0; i < got.count(); ++i) {
      int64_t index = indices[gatherPosition(i, count, inner)];
      ASSERT_TRUE(resolveIndex(index, axisSize));
      got.data[i] = data.data[gatherSource(i, index, axisSize, count, inner)];
    }
    expectSame(got, want);
  }
}

TEST(CudaPlan, GatherElementsMatchesCpu) {
  std::mt19937 random(14);
  for (int trial = 0; trial < 200; ++trial) {
    int rank = 1 + trial % 3, axis = (int)(random() % rank);
    Tensor data(randomShape(random, rank), random);
    std::vector<int64_t> shape = data.shape;
    for (int64_t &d : shape) // Indices no larger than data, any axis length.
      d = 1 + random() % d;
    shape[axis] = 1 + random() % 4;
    Plan<1> out;
    out.rank = rank;
    int64_t n = 1;
    for (int d = 0; d < rank; ++d)
      n *= (out.dims[d] = shape[d]);
    std::vector<int64_t> indices(n);
    int64_t axisSize = data.shape[axis];
    for (int64_t &i : indices)
      i = (int64_t)(random() % (2 * axisSize)) - axisSize;
    Tensor want(shape), got(shape);
    cleave_tensor dv = data.view(), wv = want.view(),
                  iv = cleave::testing::view(CLEAVE_DTYPE_I64, shape, indices);
    ASSERT_EQ(cleave_cpu_gather_elements(&dv, &iv, axis, &wv), nullptr);
    int64_t strides[CLEAVE_MAX_RANK] = {};
    rowMajorStrides(dv, strides);
    for (int64_t i = 0; i < n; ++i) {
      int64_t index = indices[i];
      ASSERT_TRUE(resolveIndex(index, axisSize));
      got.data[i] =
          data.data[gatherElementsSource(out, strides, axis, index, i)];
    }
    expectSame(got, want);
  }
}

TEST(CudaPlan, SoftmaxRowsMatchCpu) {
  std::mt19937 random(15);
  for (int trial = 0; trial < 100; ++trial) {
    int rank = 1 + trial % 4, axis = (int)(random() % rank);
    Tensor x(randomShape(random, rank), random), want(x.shape), got(x.shape);
    cleave_tensor xv = x.view(), wv = want.view();
    ASSERT_EQ(cleave_cpu_softmax(&xv, axis, 0, &wv), nullptr);
    int64_t count = 0;
    Rows rows = rowsOf(xv, axis, count);
    for (int64_t r = 0; r < count; ++r) { // A block per row.
      int64_t start = rows.start(r), step = rows.inner;
      float m = -INFINITY, sum = 0;
      for (int64_t j = 0; j < rows.length; ++j)
        m = std::max(m, x.data[start + j * step]);
      for (int64_t j = 0; j < rows.length; ++j)
        sum += std::exp(x.data[start + j * step] - m);
      for (int64_t j = 0; j < rows.length; ++j)
        got.data[start + j * step] = std::exp(x.data[start + j * step] - m) /
                                     sum;
    }
    expectClose(got, want);
  }
}

TEST(CudaPlan, TrailingOperandsTakeTheLinearPath) {
  std::mt19937 random(16);
  int linear = 0;
  for (int trial = 0; trial < 300; ++trial) {
    int rank = 1 + trial % 4;
    std::vector<int64_t> yShape = randomShape(random, rank);
    int bRank = 1 + (int)(random() % rank);
    std::vector<int64_t> bShape(yShape.end() - bRank, yShape.end());
    for (int64_t &d : bShape)
      if (random() % 4 == 0)
        d = 1;
    Tensor a(yShape, random), b(bShape, random), want(yShape);
    cleave_tensor av = a.view(), bv = b.view(), wv = want.view();
    int64_t repeat = trailingRepeat(bv, wv);
    if (!repeat)
      continue;
    ++linear;
    ASSERT_EQ(cleave_cpu_binary(CLEAVE_BINARY_ADD, &av, &bv, &wv), nullptr);
    for (int64_t i = 0; i < want.count(); ++i)
      ASSERT_EQ(a.data[i] + b.data[i % repeat], want.data[i]) << "element "
                                                              << i;
  }
  EXPECT_GT(linear, 100);
}

TEST(CudaPlan, SimplifiedPlansKeepEveryOffset) {
  std::mt19937 random(17);
  for (int trial = 0; trial < 300; ++trial) {
    Plan<3> plan;
    plan.rank = 1 + trial % 6;
    for (int k = 0; k < 3; ++k)
      plan.base[k] = random() % 5;
    for (int32_t d = plan.rank - 1; d >= 0; --d) {
      plan.dims[d] = 1 + random() % 3;
      for (int k = 0; k < 3; ++k) {
        // Contiguous (mergeable) strides, broadcasts, odd ones, wraps.
        int64_t inner = d + 1 < plan.rank
                            ? plan.strides[k][d + 1] * plan.dims[d + 1]
                            : 1;
        switch (random() % 4) {
        case 0: plan.strides[k][d] = inner; break;
        case 1: plan.strides[k][d] = 0; break;
        case 2: plan.strides[k][d] = 1 + random() % 7; break;
        default:
          plan.strides[k][d] = inner;
          plan.wrap[k][d] = 1 + random() % plan.dims[d];
        }
      }
    }
    Plan<3> simple = simplified(plan);
    ASSERT_EQ(simple.count(), plan.count());
    ASSERT_LE(simple.rank, plan.rank);
    for (int64_t i = 0; i < plan.count(); ++i) {
      int64_t want[3], got[3];
      plan.offsets(i, want);
      simple.offsets(i, got);
      for (int k = 0; k < 3; ++k)
        ASSERT_EQ(got[k], want[k]) << "trial " << trial << " index " << i;
    }
  }
  // An identity transpose is one contiguous dim; swapping the last two
  // axes keeps all three.
  std::vector<int64_t> shape = {2, 3, 4}, swapped = {2, 4, 3};
  cleave_tensor x = cleave::testing::view(CLEAVE_DTYPE_F32, shape, shape),
                y = cleave::testing::view(CLEAVE_DTYPE_F32, swapped, swapped);
  int64_t identity[] = {0, 1, 2}, swap[] = {0, 2, 1};
  EXPECT_EQ(transposePlan(x, identity, x).rank, 1);
  EXPECT_EQ(transposePlan(x, swap, y).rank, 3);
}

} // namespace
