//===- RuntimeNnKernelsTest.cpp - conv, pooling, norm, gemm vs loops ------===//
//
// Convolution, pooling, batch normalisation and Gemm on random shapes and
// windows (strides, dilations, uneven padding, groups), each compared with a
// direct loop over the ONNX operator's definition.
//
//===----------------------------------------------------------------------===//

#include "../../lib/Runtime/ElementwiseMath.h"
#include "RuntimeTestUtils.h"
#include "cleave/Runtime/CpuKernels.h"
#include <cmath>
#include <gtest/gtest.h>
#include <algorithm>
#include <numeric>
#include <random>
#include <vector>

namespace {

using namespace cleave::testing;

/// A random 2-D window and the output size it gives for `in`.
cleave_window randomWindow(std::mt19937 &random, const int64_t in[2],
                           int64_t out[2]) {
  cleave_window w{};
  w.spatial_rank = 2;
  for (int i = 0; i < 2; ++i) {
    w.kernel[i] = 1 + random() % 3;
    w.strides[i] = 1 + random() % 2;
    w.dilations[i] = 1 + random() % 2;
    int64_t extent = (w.kernel[i] - 1) * w.dilations[i] + 1;
    w.pads_begin[i] = random() % w.kernel[i];
    w.pads_end[i] = random() % w.kernel[i];
    out[i] =
        (in[i] + w.pads_begin[i] + w.pads_end[i] - extent) / w.strides[i] + 1;
  }
  return w;
}

TEST(RuntimeNnKernels, ConvMatchesDirectLoop) {
  std::mt19937 random(21);
  for (int trial = 0; trial < 30; ++trial) {
    int64_t group = 1 + random() % 2;
    int64_t n = 1 + random() % 2, cg = 1 + random() % 3, mg = 1 + random() % 3;
    int64_t in[2] = {(int64_t)(4 + random() % 5), (int64_t)(4 + random() % 5)};
    int64_t out[2];
    cleave_window w = randomWindow(random, in, out);
    Tensor x({n, cg * group, in[0], in[1]}, random);
    Tensor weights({mg * group, cg, w.kernel[0], w.kernel[1]}, random);
    Tensor bias({mg * group}, random);
    Tensor y({n, mg * group, out[0], out[1]});
    cleave_tensor xv = x.view(), wv = weights.view(), bv = bias.view(),
                  yv = y.view();
    bool withBias = random() % 2;
    expectOk(
        cleave_cpu_conv(&xv, &wv, withBias ? &bv : nullptr, &w, group, &yv));
    std::vector<float> want(y.data.size());
    for (int64_t b = 0; b < n; ++b)
      for (int64_t m = 0; m < mg * group; ++m)
        for (int64_t oh = 0; oh < out[0]; ++oh)
          for (int64_t ow = 0; ow < out[1]; ++ow) {
            double sum = withBias ? bias.data[m] : 0;
            int64_t g = m / mg;
            for (int64_t c = 0; c < cg; ++c)
              for (int64_t kh = 0; kh < w.kernel[0]; ++kh)
                for (int64_t kw = 0; kw < w.kernel[1]; ++kw) {
                  int64_t ih =
                      oh * w.strides[0] - w.pads_begin[0] + kh * w.dilations[0];
                  int64_t iw =
                      ow * w.strides[1] - w.pads_begin[1] + kw * w.dilations[1];
                  if (ih < 0 || ih >= in[0] || iw < 0 || iw >= in[1])
                    continue;
                  sum += x.data[((b * cg * group + g * cg + c) * in[0] + ih) *
                                    in[1] +
                                iw] *
                         weights.data[((m * cg + c) * w.kernel[0] + kh) *
                                          w.kernel[1] +
                                      kw];
                }
            want[((b * mg * group + m) * out[0] + oh) * out[1] + ow] =
                (float)sum;
          }
    SCOPED_TRACE(testing::Message() << "trial " << trial);
    expectClose(y.data, want);
  }
}

/// x [N, C, H, W] as [N, H, W, C].
Tensor toChannelsLast(const Tensor &x) {
  int64_t n = x.shape[0], c = x.shape[1], h = x.shape[2], w = x.shape[3];
  Tensor y({n, h, w, c});
  for (int64_t b = 0; b < n; ++b)
    for (int64_t k = 0; k < c; ++k)
      for (int64_t i = 0; i < h * w; ++i)
        y.data[(b * h * w + i) * c + k] = x.data[(b * c + k) * h * w + i];
  return y;
}

// The channels-last forms (cleave-channels-last) and the fused residual and
// output clip (cleave-fuse-ops) against the plain kernel checked above.
TEST(RuntimeNnKernels, ChannelsLastAndClippedConvMatchPlain) {
  std::mt19937 random(25);
  for (int trial = 0; trial < 20; ++trial) {
    int64_t group = 1 + random() % 2, n = 1 + random() % 2;
    int64_t cg = 1 + random() % 4, mg = 1 + random() % 4;
    int64_t in[2] = {(int64_t)(4 + random() % 5), (int64_t)(4 + random() % 5)};
    int64_t out[2];
    cleave_window w = randomWindow(random, in, out);
    Tensor x({n, cg * group, in[0], in[1]}, random);
    Tensor weights({mg * group, cg, w.kernel[0], w.kernel[1]}, random);
    Tensor bias({mg * group}, random);
    Tensor plain({n, mg * group, out[0], out[1]});
    Tensor last({n, out[0], out[1], mg * group});
    Tensor xLast = toChannelsLast(x);
    cleave_tensor xv = x.view(), xl = xLast.view(), wv = weights.view(),
                  bv = bias.view(), pv = plain.view(), lv = last.view();
    float lo = trial % 3 == 0 ? 0.0f : -0.5f,
          hi = trial % 3 == 0 ? INFINITY : 0.75f;
    bool withResidual = trial % 2;
    // 0 none, 1 SiLU, 2 HardSwish, after the clip.
    int32_t activation = trial % 5 < 3 ? trial % 5 : 0;
    Tensor residual({n, out[0], out[1], mg * group}, random);
    cleave_tensor zv = residual.view();
    expectOk(cleave_cpu_conv(&xv, &wv, &bv, &w, group, &pv));
    cleave_window wl = w;
    wl.channels_last = 1;
    expectOk(
        cleave_cpu_conv_fused(&xl, &wv, &bv, withResidual ? &zv : nullptr, &wl,
                              group, lo, hi, activation, &lv));
    Tensor want = toChannelsLast(plain);
    for (size_t i = 0; i < want.data.size(); ++i) {
      float v = std::min(
          std::max(want.data[i] + (withResidual ? residual.data[i] : 0), lo),
          hi);
      if (activation == 1)
        v = v / (1.0f + std::exp(-v));
      else if (activation == 2)
        v = v * std::min(std::max(v / 6.0f + 0.5f, 0.0f), 1.0f);
      want.data[i] = v;
    }
    SCOPED_TRACE(testing::Message() << "trial " << trial);
    expectClose(last.data, want.data);
  }
}

// Weights outside the constant region may change between runs (they are
// computed): the kernel must not reuse a reordered copy of old values. In
// the constant region it may, and the result stays right.
TEST(RuntimeNnKernels, ConvWeightsReorderedOnlyWhenConstant) {
  std::mt19937 random(26);
  int64_t in[2] = {6, 6}, out[2];
  cleave_window w = randomWindow(random, in, out);
  w.channels_last = 1;
  Tensor x({1, in[0], in[1], 16}, random);
  Tensor weights({32, 16, w.kernel[0], w.kernel[1]}, random);
  Tensor y({1, out[0], out[1], 32}), reference({1, out[0], out[1], 32});
  cleave_tensor xv = x.view(), wv = weights.view(), yv = y.view(),
                rv = reference.view();
  expectOk(cleave_cpu_conv(&xv, &wv, nullptr, &w, 1, &yv));
  for (float &v : weights.data)
    v = -v;
  expectOk(cleave_cpu_conv(&xv, &wv, nullptr, &w, 1, &yv));
  std::vector<float> negated = y.data;
  for (float &v : weights.data)
    v = -v;
  cleave_cpu_set_constant_region(weights.data.data(),
                                 weights.count() * sizeof(float));
  expectOk(cleave_cpu_conv(&xv, &wv, nullptr, &w, 1, &rv));
  expectOk(cleave_cpu_conv(&xv, &wv, nullptr, &w, 1, &yv));
  cleave_cpu_set_constant_region(nullptr, 0);
  expectClose(y.data, reference.data);
  for (float &v : negated)
    v = -v;
  expectClose(reference.data, negated);
}

TEST(RuntimeNnKernels, PoolingMatchesDirectLoop) {
  std::mt19937 random(22);
  for (int kind = CLEAVE_POOL_MAX; kind <= CLEAVE_POOL_AVG_EXCLUDE_PAD; ++kind)
    for (int trial = 0; trial < 15; ++trial) {
      int64_t in[2] = {(int64_t)(3 + random() % 6),
                       (int64_t)(3 + random() % 6)};
      int64_t out[2];
      cleave_window w = randomWindow(random, in, out);
      if (kind != CLEAVE_POOL_MAX)
        w.dilations[0] = w.dilations[1] = 1; // ONNX AveragePool-11 has none.
      for (int i = 0; i < 2; ++i)
        out[i] = (in[i] + w.pads_begin[i] + w.pads_end[i] -
                  ((w.kernel[i] - 1) * w.dilations[i] + 1)) /
                     w.strides[i] +
                 1;
      Tensor x({2, 3, in[0], in[1]}, random), y({2, 3, out[0], out[1]});
      cleave_tensor xv = x.view(), yv = y.view();
      expectOk(cleave_cpu_pool((cleave_pool_kind)kind, &xv, &w, &yv));
      std::vector<float> want(y.data.size());
      for (int64_t nc = 0; nc < 6; ++nc)
        for (int64_t oh = 0; oh < out[0]; ++oh)
          for (int64_t ow = 0; ow < out[1]; ++ow) {
            double best = -INFINITY, sum = 0;
            int64_t inside = 0;
            for (int64_t kh = 0; kh < w.kernel[0]; ++kh)
              for (int64_t kw = 0; kw < w.kernel[1]; ++kw) {
                int64_t ih =
                    oh * w.strides[0] - w.pads_begin[0] + kh * w.dilations[0];
                int64_t iw =
                    ow * w.strides[1] - w.pads_begin[1] + kw * w.dilations[1];
                if (ih < 0 || ih >= in[0] || iw < 0 || iw >= in[1])
                  continue;
                float v = x.data[(nc * in[0] + ih) * in[1] + iw];
                best = std::max<double>(best, v);
                sum += v;
                ++inside;
              }
            double value = kind == CLEAVE_POOL_MAX ? best
                           : kind == CLEAVE_POOL_AVG_INCLUDE_PAD
                               ? sum / (w.kernel[0] * w.kernel[1])
                               : sum / inside;
            want[(nc * out[0] + oh) * out[1] + ow] = (float)value;
          }
      SCOPED_TRACE(testing::Message() << "kind " << kind << " trial " << trial);
      expectClose(y.data, want);
    }
}

// MaxPool's own loop (other element types, and the Indices output) against
// oneDNN's f32 pooling on the same random windows, and its indices against
// their definition: each points at an input of its window that holds the
// maximum, offsets into x flattened, spatial part row- or column-major.
TEST(RuntimeNnKernels, MaxPoolIndicesMatchPooling) {
  std::mt19937 random(24);
  for (int trial = 0; trial < 12; ++trial) {
    int64_t in[2] = {(int64_t)(3 + random() % 6), (int64_t)(3 + random() % 6)};
    int64_t out[2];
    cleave_window w = randomWindow(random, in, out);
    for (int i = 0; i < 2; ++i)
      out[i] = (in[i] + w.pads_begin[i] + w.pads_end[i] -
                ((w.kernel[i] - 1) * w.dilations[i] + 1)) /
                   w.strides[i] +
               1;
    Tensor x({2, 3, in[0], in[1]}, random), want({2, 3, out[0], out[1]}),
        y({2, 3, out[0], out[1]});
    cleave_tensor xv = x.view(), wantv = want.view(), yv = y.view();
    expectOk(cleave_cpu_pool(CLEAVE_POOL_MAX, &xv, &w, &wantv));
    int32_t storageOrder = trial % 2;
    std::vector<int64_t> indices(y.data.size(), -1);
    cleave_tensor iv = view(CLEAVE_DTYPE_I64, y.shape, indices);
    expectOk(cleave_cpu_max_pool_indices(&xv, &w, storageOrder, &yv, &iv));
    SCOPED_TRACE(testing::Message() << "trial " << trial);
    EXPECT_EQ(y.data, want.data);
    int64_t plane = in[0] * in[1];
    for (int64_t nc = 0; nc < 6; ++nc)
      for (int64_t oh = 0; oh < out[0]; ++oh)
        for (int64_t ow = 0; ow < out[1]; ++ow) {
          int64_t o = (nc * out[0] + oh) * out[1] + ow;
          int64_t spatial = indices[o] - nc * plane;
          ASSERT_TRUE(spatial >= 0 && spatial < plane) << "at " << o;
          int64_t ih = storageOrder ? spatial % in[0] : spatial / in[1];
          int64_t iw = storageOrder ? spatial / in[0] : spatial % in[1];
          EXPECT_EQ(x.data[nc * plane + ih * in[1] + iw], y.data[o]);
          // In the window: an offset of a whole number of dilations.
          int64_t dh = ih - (oh * w.strides[0] - w.pads_begin[0]),
                  dw = iw - (ow * w.strides[1] - w.pads_begin[1]);
          EXPECT_TRUE(dh >= 0 && dh % w.dilations[0] == 0 &&
                      dh / w.dilations[0] < w.kernel[0] && dw >= 0 &&
                      dw % w.dilations[1] == 0 &&
                      dw / w.dilations[1] < w.kernel[1])
              << "index " << indices[o] << " outside output " << o
              << "'s window";
        }
    // uint8: the same maxima as the f32 pooling of the same values.
    std::vector<uint8_t> bytes(x.data.size()), pooled(y.data.size());
    for (size_t i = 0; i < bytes.size(); ++i) {
      bytes[i] = uint8_t(random() % 256);
      x.data[i] = bytes[i];
    }
    cleave_tensor bv = view(CLEAVE_DTYPE_U8, x.shape, bytes),
                  pv = view(CLEAVE_DTYPE_U8, y.shape, pooled);
    expectOk(cleave_cpu_pool(CLEAVE_POOL_MAX, &xv, &w, &wantv));
    expectOk(cleave_cpu_max_pool_indices(&bv, &w, 0, &pv, nullptr));
    for (size_t i = 0; i < pooled.size(); ++i)
      EXPECT_EQ((float)pooled[i], want.data[i]) << "u8 at " << i;
  }
}

TEST(RuntimeNnKernels, BatchNormMatchesFormula) {
  std::mt19937 random(23);
  Tensor x({2, 4, 3, 5}, random), scale({4}, random), bias({4}, random),
      mean({4}, random), var({4}, random), y({2, 4, 3, 5});
  for (float &v : var.data)
    v = std::fabs(v) + 0.1f;
  cleave_tensor xv = x.view(), sv = scale.view(), bv = bias.view(),
                mv = mean.view(), vv = var.view(), yv = y.view();
  // The same bytes read as [2, 4, 3, 5] and as channels-last [2, 3, 5, 4]:
  // channel (i / 15) % 4 or i % 4.
  for (int32_t channelsLast : {0, 1}) {
    if (channelsLast) {
      cleave_tensor *views[] = {&xv, &yv};
      for (cleave_tensor *v : views) {
        v->dims[1] = 3, v->dims[2] = 5, v->dims[3] = 4;
      }
    }
    expectOk(cleave_cpu_batch_norm(&xv, &sv, &bv, &mv, &vv, 1e-5f,
                                   channelsLast, &yv));
    std::vector<float> want(y.data.size());
    for (size_t i = 0; i < want.size(); ++i) {
      int64_t c = channelsLast ? i % 4 : (i / 15) % 4;
      want[i] = scale.data[c] * (x.data[i] - mean.data[c]) /
                    std::sqrt(var.data[c] + 1e-5f) +
                bias.data[c];
    }
    SCOPED_TRACE(testing::Message() << "channels_last " << channelsLast);
    expectClose(y.data, want);
  }
}

TEST(RuntimeNnKernels, DetMatchesLeibnizFormula) {
  // Sizes 1 to 5, three matrices each; the third has two equal rows
  // (singular) from size 2.
  std::mt19937 random(27);
  for (int64_t m = 1; m <= 5; ++m) {
    Tensor x({3, m, m}, random), y({3});
    if (m > 1)
      std::copy_n(&x.data[2 * m * m], m, &x.data[2 * m * m + m]);
    cleave_tensor xv = x.view(), yv = y.view();
    expectOk(cleave_cpu_det(&xv, &yv));
    std::vector<float> want;
    for (int64_t b = 0; b < 3; ++b) {
      std::vector<int64_t> perm(m);
      std::iota(perm.begin(), perm.end(), 0);
      double sum = 0;
      do {
        int inversions = 0;
        for (int64_t i = 0; i < m; ++i)
          for (int64_t j = i + 1; j < m; ++j)
            inversions += perm[i] > perm[j];
        double term = inversions % 2 ? -1.0 : 1.0;
        for (int64_t i = 0; i < m; ++i)
          term *= x.data[b * m * m + i * m + perm[i]];
        sum += term;
      } while (std::next_permutation(perm.begin(), perm.end()));
      want.push_back((float)sum);
    }
    SCOPED_TRACE(testing::Message() << "size " << m);
    expectClose(y.data, want);
  }
}

TEST(RuntimeNnKernels, GemmMatchesDefinition) {
  std::mt19937 random(24);
  for (int trial = 0; trial < 24; ++trial) {
    int64_t m = 1 + random() % 9, k = 1 + random() % 9, n = 1 + random() % 9;
    int transA = trial % 2, transB = (trial / 2) % 2;
    std::vector<int64_t> cShapes[] = {{n}, {m, n}, {m, 1}, {}};
    std::vector<int64_t> cShape = cShapes[(trial / 4) % 4];
    float alpha = trial % 3 ? 1.0f : 0.5f, beta = trial % 5 ? 1.0f : 2.0f;
    Tensor a(transA ? std::vector<int64_t>{k, m} : std::vector<int64_t>{m, k},
             random);
    Tensor b(transB ? std::vector<int64_t>{n, k} : std::vector<int64_t>{k, n},
             random);
    Tensor c(cShape, random), y({m, n});
    cleave_tensor av = a.view(), bv = b.view(), cv = c.view(), yv = y.view();
    expectOk(cleave_cpu_gemm(&av, &bv, &cv, alpha, beta, transA, transB, &yv));
    std::vector<float> want(m * n);
    for (int64_t i = 0; i < m; ++i)
      for (int64_t j = 0; j < n; ++j) {
        double sum = 0;
        for (int64_t p = 0; p < k; ++p)
          sum += (double)a.data[transA ? p * m + i : i * k + p] *
                 b.data[transB ? j * k + p : p * n + j];
        int64_t ci = cShape.size() == 2 ? (cShape[0] == 1 ? 0 : i) : 0;
        int64_t cj = cShape.empty() ? 0 : (cShape.back() == 1 ? 0 : j);
        int64_t cols = cShape.empty() ? 1 : cShape.back();
        want[i * n + j] = (float)(alpha * sum + beta * c.data[ci * cols + cj]);
      }
    SCOPED_TRACE(testing::Message() << "trial " << trial);
    expectClose(y.data, want);
  }
}
} // namespace

namespace {
using namespace cleave::testing;

TEST(RuntimeNnKernels, ConvTransposeMatchesDefinition) {
  std::mt19937 random(25);
  for (int trial = 0; trial < 12; ++trial) {
    int64_t group = 1 + random() % 2, cg = 1 + random() % 2,
            mg = 1 + random() % 3;
    int64_t in[2] = {(int64_t)(2 + random() % 3), (int64_t)(2 + random() % 3)};
    cleave_window w{};
    w.spatial_rank = 2;
    int64_t out[2];
    for (int i = 0; i < 2; ++i) {
      w.kernel[i] = 1 + random() % 3;
      w.strides[i] = 1 + random() % 2;
      w.dilations[i] = 1 + random() % 2;
      w.pads_begin[i] = random() % 2;
      int64_t extra = random() % 2; // Output padding or a longer output.
      out[i] = w.strides[i] * (in[i] - 1) + (w.kernel[i] - 1) * w.dilations[i] +
               1 - w.pads_begin[i] + extra;
    }
    Tensor x({1, cg * group, in[0], in[1]}, random);
    Tensor weights({cg * group, mg, w.kernel[0], w.kernel[1]}, random);
    Tensor bias({mg * group}, random), y({1, mg * group, out[0], out[1]});
    cleave_tensor xv = x.view(), wv = weights.view(), bv = bias.view(),
                  yv = y.view();
    expectOk(cleave_cpu_conv_transpose(&xv, &wv, &bv, &w, group, &yv));
    // Gather form: y[m, o] = b[m] + sum over inputs i and taps k with
    // o = i * s - pad + k * d.
    std::vector<float> want(y.data.size());
    for (int64_t m = 0; m < mg * group; ++m)
      for (int64_t oh = 0; oh < out[0]; ++oh)
        for (int64_t ow = 0; ow < out[1]; ++ow) {
          double sum = bias.data[m];
          int64_t g = m / mg;
          for (int64_t c = g * cg; c < (g + 1) * cg; ++c)
            for (int64_t ih = 0; ih < in[0]; ++ih)
              for (int64_t iw = 0; iw < in[1]; ++iw)
                for (int64_t kh = 0; kh < w.kernel[0]; ++kh)
                  for (int64_t kw = 0; kw < w.kernel[1]; ++kw)
                    if (ih * w.strides[0] - w.pads_begin[0] +
                                kh * w.dilations[0] ==
                            oh &&
                        iw * w.strides[1] - w.pads_begin[1] +
                                kw * w.dilations[1] ==
                            ow)
                      sum +=
                          x.data[(c * in[0] + ih) * in[1] + iw] *
                          weights.data[((c * mg + m % mg) * w.kernel[0] + kh) *
                                           w.kernel[1] +
                                       kw];
          want[(m * out[0] + oh) * out[1] + ow] = (float)sum;
        }
    SCOPED_TRACE(testing::Message() << "trial " << trial);
    expectClose(y.data, want);
  }
}

TEST(RuntimeNnKernels, InstanceNormMatchesFormula) {
  // Planes of 35: the kernel's 8-lane sums and their remainder.
  std::mt19937 random(26);
  const int n = 35;
  Tensor x({2, 3, 5, 7}, random), g({3}, random), b({3}, random),
      y({2, 3, 5, 7});
  cleave_tensor xv = x.view(), gv = g.view(), bv = b.view(), yv = y.view();
  expectOk(cleave_cpu_instance_norm(&xv, &gv, &bv, 1e-5f, &yv));
  std::vector<float> want(y.data.size());
  for (int64_t p = 0; p < 6; ++p) {
    double mean = 0, var = 0;
    for (int i = 0; i < n; ++i)
      mean += x.data[p * n + i] / (double)n;
    for (int i = 0; i < n; ++i)
      var += std::pow(x.data[p * n + i] - mean, 2) / n;
    for (int i = 0; i < n; ++i)
      want[p * n + i] = (float)((x.data[p * n + i] - mean) /
                                    std::sqrt(var + 1e-5) * g.data[p % 3] +
                                b.data[p % 3]);
  }
  expectClose(y.data, want);
}
} // namespace

namespace {

using namespace cleave::testing;

TEST(RuntimeNnKernels, LrnMatchesDefinition) {
  std::mt19937 random(27);
  for (int64_t size : {1, 3, 5}) {
    Tensor x({2, 7, 3, 4}, random), y({2, 7, 3, 4});
    cleave_tensor xv = x.view(), yv = y.view();
    float alpha = 0.002f, beta = 0.7f, bias = 1.5f;
    expectOk(cleave_cpu_lrn(&xv, alpha, beta, bias, size, &yv));
    std::vector<float> want(x.data.size());
    int64_t c = 7, plane = 12;
    for (int64_t n = 0; n < 2; ++n)
      for (int64_t ch = 0; ch < c; ++ch)
        for (int64_t p = 0; p < plane; ++p) {
          // ONNX: channels max(0, c - floor((size - 1) / 2)) to
          // min(C - 1, c + ceil((size - 1) / 2)).
          double sum = 0;
          for (int64_t k = std::max<int64_t>(0, ch - (size - 1) / 2);
               k <= std::min<int64_t>(c - 1, ch + size / 2); ++k) {
            double v = x.data[(n * c + k) * plane + p];
            sum += v * v;
          }
          int64_t at = (n * c + ch) * plane + p;
          want[at] =
              (float)(x.data[at] / std::pow(bias + alpha / size * sum, beta));
        }
    SCOPED_TRACE(testing::Message() << "size " << size);
    expectClose(y.data, want);
  }
}

TEST(RuntimeNnKernels, TopKMatchesSorting) {
  std::mt19937 random(28);
  for (int trial = 0; trial < 10; ++trial) {
    int64_t outer = 1 + random() % 3, dim = 2 + random() % 9,
            inner = 1 + random() % 3, k = 1 + random() % dim;
    bool largest = trial % 2;
    Tensor x({outer, dim, inner}, random), values({outer, k, inner});
    for (float &v : x.data) // Ties: the lower index comes first.
      v = std::round(v * 3);
    std::vector<int64_t> indices(outer * k * inner, -1);
    cleave_tensor xv = x.view(), vv = values.view(), iv{};
    iv.dtype = CLEAVE_DTYPE_I64;
    iv.rank = 3;
    iv.dims[0] = outer, iv.dims[1] = k, iv.dims[2] = inner;
    iv.data = indices.data();
    expectOk(cleave_cpu_top_k(&xv, 1, largest, &vv, &iv));
    for (int64_t o = 0; o < outer; ++o)
      for (int64_t i = 0; i < inner; ++i) {
        std::vector<std::pair<float, int64_t>> column;
        for (int64_t d = 0; d < dim; ++d)
          column.push_back({x.data[(o * dim + d) * inner + i], d});
        std::stable_sort(column.begin(), column.end(),
                         [&](const auto &a, const auto &b) {
                           return largest ? a.first > b.first
                                          : a.first < b.first;
                         });
        for (int64_t j = 0; j < k; ++j) {
          EXPECT_EQ(values.data[(o * k + j) * inner + i], column[j].first);
          EXPECT_EQ(indices[(o * k + j) * inner + i], column[j].second);
        }
      }
  }
}

} // namespace

namespace {
using namespace cleave::testing;

// cleave_cpu_adamw against torch.optim.AdamW's update written out in
// double (float32 rounding of about ten operations is the only
// difference), also with the outputs in the inputs' memory, as the
// program may plan them.
TEST(RuntimeNnKernels, AdamWMatchesItsDefinitionAndRunsInPlace) {
  std::mt19937 random(5);
  Tensor p({3, 7}, random), g({3, 7}, random), m({3, 7}, random),
      v({3, 7}, random, 0.0f, 1.0f);
  std::vector<float> lr = {0.01f}, c1 = {0.19f}, c2 = {0.002f};
  const float beta1 = 0.9f, beta2 = 0.999f, eps = 1e-6f, decay = 0.05f;
  std::vector<double> expectP, expectM, expectV;
  for (size_t i = 0; i < p.data.size(); ++i) {
    double mi = m.data[i] + (1 - double(beta1)) * (g.data[i] - m.data[i]);
    double vi = v.data[i] * double(beta2) +
                (1 - double(beta2)) * g.data[i] * g.data[i];
    double denom = std::sqrt(vi) / std::sqrt(double(c2[0])) + eps;
    expectP.push_back(p.data[i] * (1 - double(lr[0]) * decay) -
                      double(lr[0]) / c1[0] * mi / denom);
    expectM.push_back(mi);
    expectV.push_back(vi);
  }
  cleave_tensor lv = view(CLEAVE_DTYPE_F32, {}, lr),
                c1v = view(CLEAVE_DTYPE_F32, {}, c1),
                c2v = view(CLEAVE_DTYPE_F32, {}, c2);
  for (bool inPlace : {false, true}) {
    Tensor pIn = p, mIn = m, vIn = v;
    Tensor pOut({3, 7}), mOut({3, 7}), vOut({3, 7});
    cleave_tensor pv = pIn.view(), gv = g.view(), mv = mIn.view(),
                  vv = vIn.view();
    cleave_tensor po = inPlace ? pv : pOut.view(),
                  mo = inPlace ? mv : mOut.view(),
                  vo = inPlace ? vv : vOut.view();
    expectOk(cleave_cpu_adamw(&pv, &gv, &mv, &vv, &lv, &c1v, &c2v, beta1,
                              beta2, eps, decay, 1.0f, &po, &mo, &vo));
    const float *gotP = (const float *)po.data, *gotM = (const float *)mo.data,
                *gotV = (const float *)vo.data;
    for (size_t i = 0; i < expectP.size(); ++i) {
      EXPECT_NEAR(gotP[i], expectP[i], 1e-6 * (1 + std::fabs(expectP[i])))
          << i << (inPlace ? " in place" : "");
      EXPECT_NEAR(gotM[i], expectM[i], 1e-6 * (1 + std::fabs(expectM[i])));
      EXPECT_NEAR(gotV[i], expectV[i], 1e-6 * (1 + std::fabs(expectV[i])));
    }
  }
  Tensor wrong({7, 3});
  cleave_tensor pv = p.view(), gv = g.view(), mv = m.view(), vv = v.view(),
                wv = wrong.view();
  cleave_status status = cleave_cpu_adamw(&pv, &gv, &mv, &vv, &lv, &c1v, &c2v,
                                          beta1, beta2, eps, decay, 1.0f, &wv,
                                          &mv, &vv);
  EXPECT_EQ(cleave_status_get_code(status), CLEAVE_INVALID_ARGUMENT);
  cleave_status_free(status);
}

// A gradient scale (the 1 / (M N) the canonicalizer folds into the update)
// gives the same bits as the update of the gradient multiplied first in
// f32, as the cleave.mul it replaces did.
TEST(RuntimeNnKernels, AdamWGradScaleIsTheF32Product) {
  std::mt19937 random(6);
  Tensor p({5, 9}, random), g({5, 9}, random), m({5, 9}, random),
      v({5, 9}, random, 0.0f, 1.0f);
  std::vector<float> lr = {0.01f}, c1 = {0.19f}, c2 = {0.002f};
  cleave_tensor lv = view(CLEAVE_DTYPE_F32, {}, lr),
                c1v = view(CLEAVE_DTYPE_F32, {}, c1),
                c2v = view(CLEAVE_DTYPE_F32, {}, c2);
  const float scale = 1.0f / 3.0f;
  Tensor scaled = g;
  for (float &x : scaled.data)
    x *= scale;
  Tensor p1({5, 9}), m1({5, 9}), v1({5, 9}), p2({5, 9}), m2({5, 9}),
      v2({5, 9});
  cleave_tensor pv = p.view(), gv = g.view(), sv = scaled.view(),
                mv = m.view(), vv = v.view();
  cleave_tensor po1 = p1.view(), mo1 = m1.view(), vo1 = v1.view(),
                po2 = p2.view(), mo2 = m2.view(), vo2 = v2.view();
  expectOk(cleave_cpu_adamw(&pv, &gv, &mv, &vv, &lv, &c1v, &c2v, 0.9f, 0.999f,
                            1e-6f, 0.05f, scale, &po1, &mo1, &vo1));
  expectOk(cleave_cpu_adamw(&pv, &sv, &mv, &vv, &lv, &c1v, &c2v, 0.9f, 0.999f,
                            1e-6f, 0.05f, 1.0f, &po2, &mo2, &vo2));
  EXPECT_EQ(p1.data, p2.data);
  EXPECT_EQ(m1.data, m2.data);
  EXPECT_EQ(v1.data, v2.data);
  EXPECT_NE(p1.data, p.data);
}

// In a training run's mode (cleave_cpu_flush_denormals), moments that
// decay below float's smallest normal number (a parameter whose gradient
// has stopped, or tiny gradients whose square underflows) become zero,
// never denormal; larger ones follow the definition, and the parameter
// moves as it would with the denormal moments (their share of the update,
// under 1e-38 / eps, rounds away).
TEST(RuntimeNnKernels, AdamWMomentsNeverGoDenormal) {
  cleave_cpu_flush_denormals();
  std::vector<float> p = {1.0f, 1.0f, 1.0f, 1.0f},
                     g = {0.0f, 0.0f, 1e-25f, 0.5f},
                     m = {1.2e-38f, 1e-3f, 0.0f, 0.1f},
                     v = {1.1e-38f, 1e-6f, 0.0f, 0.01f}, pOut(4), mOut(4),
                     vOut(4);
  std::vector<float> lr = {0.01f}, c1 = {0.5f}, c2 = {0.5f};
  cleave_tensor pv = view(CLEAVE_DTYPE_F32, {4}, p),
                gv = view(CLEAVE_DTYPE_F32, {4}, g),
                mv = view(CLEAVE_DTYPE_F32, {4}, m),
                vv = view(CLEAVE_DTYPE_F32, {4}, v),
                lv = view(CLEAVE_DTYPE_F32, {}, lr),
                c1v = view(CLEAVE_DTYPE_F32, {}, c1),
                c2v = view(CLEAVE_DTYPE_F32, {}, c2),
                po = view(CLEAVE_DTYPE_F32, {4}, pOut),
                mo = view(CLEAVE_DTYPE_F32, {4}, mOut),
                vo = view(CLEAVE_DTYPE_F32, {4}, vOut);
  expectOk(cleave_cpu_adamw(&pv, &gv, &mv, &vv, &lv, &c1v, &c2v, 0.9f, 0.999f,
                            1e-8f, 0.0f, 1.0f, &po, &mo, &vo));
  for (int i = 0; i < 4; ++i) {
    EXPECT_NE(std::fpclassify(mOut[i]), FP_SUBNORMAL) << i;
    EXPECT_NE(std::fpclassify(vOut[i]), FP_SUBNORMAL) << i;
  }
  // 0.999 x 1.1e-38 is denormal: zero. (The first moment's step toward 0,
  // 0.1 x 1.2e-38, is denormal too: it stays 1.2e-38, or becomes 0 where
  // the compiler fuses the lerp into one FMA; either is checked above.)
  // 1e-25's square underflows: v zero, m 1e-26 kept.
  EXPECT_EQ(vOut[0], 0.0f);
  EXPECT_EQ(vOut[2], 0.0f);
  EXPECT_FLOAT_EQ(mOut[2], 1e-26f);
  EXPECT_FLOAT_EQ(mOut[1], 0.9e-3f);
  EXPECT_FLOAT_EQ(vOut[1], 0.999e-6f);
  EXPECT_FLOAT_EQ(mOut[3], 0.9f * 0.1f + 0.1f * 0.5f);
  EXPECT_EQ(pOut[0], 1.0f);
}
} // namespace

namespace {
using namespace cleave::testing;

/// LayerNormalization's gradients by their definition, in double, from
/// the kernel's statistics: dx = r (g - mean(g) - xhat mean(g xhat)).
struct LayerNormGrads {
  std::vector<double> dx, dscale, dbias;
};
LayerNormGrads layerNormGrads(const Tensor &dy, const Tensor &x,
                              const Tensor &scale, const Tensor &mean,
                              const Tensor &inv, int64_t rows, int64_t cols) {
  LayerNormGrads want{std::vector<double>(rows * cols),
                      std::vector<double>(cols), std::vector<double>(cols)};
  for (int64_t r = 0; r < rows; ++r) {
    double meanG = 0, meanGX = 0;
    auto xhat = [&](int64_t c) {
      return ((double)x.data[r * cols + c] - mean.data[r]) * inv.data[r];
    };
    for (int64_t c = 0; c < cols; ++c) {
      double g = (double)dy.data[r * cols + c] * scale.data[c];
      meanG += g / cols;
      meanGX += g * xhat(c) / cols;
      want.dscale[c] += dy.data[r * cols + c] * xhat(c);
      want.dbias[c] += dy.data[r * cols + c];
    }
    for (int64_t c = 0; c < cols; ++c)
      want.dx[r * cols + c] =
          inv.data[r] * ((double)dy.data[r * cols + c] * scale.data[c] -
                         meanG - xhat(c) * meanGX);
  }
  return want;
}

void expectNear(const std::vector<float> &got, const std::vector<double> &want,
                double tolerance) {
  ASSERT_EQ(got.size(), want.size());
  for (size_t i = 0; i < got.size(); ++i)
    EXPECT_NEAR(got[i], want[i], tolerance * (1 + std::fabs(want[i])))
        << "element " << i;
}

TEST(RuntimeNnKernels, LayerNormBackwardMatchesItsDefinition) {
  std::mt19937 random(11);
  // A row of 35 (two column blocks and a part), and one of 40 over 64 rows.
  for (auto [shape, axis] :
       {std::pair(std::vector<int64_t>{3, 5, 7}, 1),
        std::pair(std::vector<int64_t>{64, 40}, 1)}) {
    int64_t rows = 1, cols = 1;
    for (size_t i = 0; i < shape.size(); ++i)
      ((int64_t)i < axis ? rows : cols) *= shape[i];
    std::vector<int64_t> normalised(shape.begin() + axis, shape.end());
    Tensor x(shape, random, -2, 2), dy(shape, random),
        scale(normalised, random, 0.5, 1.5), y(shape), mean({rows}),
        inv({rows}), dx(shape), dscale(normalised), dbias(normalised),
        dxAlone(shape), dx1(shape), dscale1(normalised);
    cleave_tensor xv = x.view(), dyv = dy.view(), sv = scale.view(),
                  yv = y.view(), mv = mean.view(), iv = inv.view(),
                  dxv = dx.view(), dsv = dscale.view(), dbv = dbias.view(),
                  aloneView = dxAlone.view(), dx1v = dx1.view(),
                  ds1v = dscale1.view();
    expectOk(cleave_cpu_layer_norm_stats(&xv, &sv, nullptr, axis, 1e-5f, &yv,
                                         &mv, &iv));
    expectOk(cleave_cpu_layer_norm_backward(&dyv, &xv, &sv, &mv, &iv, axis,
                                            &dxv, &dsv, &dbv));
    LayerNormGrads want = layerNormGrads(dy, x, scale, mean, inv, rows, cols);
    // Float rounding of a few operations per element, and of sums over
    // at most 64 rows kept in double: well under 1e-5.
    expectNear(dx.data, want.dx, 1e-5);
    expectNear(dscale.data, want.dscale, 1e-5);
    expectNear(dbias.data, want.dbias, 1e-5);
    // Without the parameter gradients dx is the same; one thread gives the
    // same bits as all of them.
    expectOk(cleave_cpu_layer_norm_backward(&dyv, &xv, &sv, &mv, &iv, axis,
                                            &aloneView, nullptr, nullptr));
    EXPECT_EQ(dxAlone.data, dx.data);
    cleave_cpu_set_num_threads(1);
    expectOk(cleave_cpu_layer_norm_backward(&dyv, &xv, &sv, &mv, &iv, axis,
                                            &dx1v, &ds1v, nullptr));
    cleave_cpu_set_num_threads(0);
    EXPECT_EQ(dx1.data, dx.data);
    EXPECT_EQ(dscale1.data, dscale.data);
  }
}

TEST(RuntimeNnKernels, SoftmaxBackwardMatchesItsDefinition) {
  std::mt19937 random(12);
  // [2, 5, 3] along the middle axis (rows 3 floats apart) and the last.
  Tensor x({2, 5, 3}, random, -2, 2), dy({2, 5, 3}, random), y({2, 5, 3}),
      dx({2, 5, 3});
  cleave_tensor xv = x.view(), dyv = dy.view(), yv = y.view(), dxv = dx.view();
  for (int32_t axis = 1; axis < 3; ++axis)
    for (int32_t log = 0; log < 2; ++log) {
      expectOk(cleave_cpu_softmax(&xv, axis, log, &yv));
      expectOk(cleave_cpu_softmax_backward(&dyv, &yv, axis, log, &dxv));
      int64_t length = axis == 1 ? 5 : 3, inner = axis == 1 ? 3 : 1,
              outer = 30 / (length * inner);
      std::vector<double> want(30);
      for (int64_t o = 0; o < outer; ++o)
        for (int64_t i = 0; i < inner; ++i) {
          auto at = [&](int64_t j) { return (o * length + j) * inner + i; };
          double sum = 0;
          for (int64_t j = 0; j < length; ++j)
            sum += log ? dy.data[at(j)]
                       : (double)dy.data[at(j)] * y.data[at(j)];
          for (int64_t j = 0; j < length; ++j)
            want[at(j)] =
                log ? dy.data[at(j)] - std::exp((double)y.data[at(j)]) * sum
                    : y.data[at(j)] * (dy.data[at(j)] - sum);
        }
      expectNear(dx.data, want, 1e-6);
    }
}
} // namespace

namespace {
using namespace cleave::testing;

/// GELU in double, exact or with the tanh approximation.
double gelu(double x, bool tanh) {
  if (tanh)
    return 0.5 * x *
           (1 + std::tanh(std::sqrt(2 / M_PI) * (x + 0.044715 * x * x * x)));
  return 0.5 * x * (1 + std::erf(x / std::sqrt(2.0)));
}

TEST(RuntimeNnKernels, GeluBackwardMatchesCentralDifferences) {
  std::mt19937 random(13);
  Tensor x({3, 50}, random, -4, 4), dy({3, 50}, random), dx({3, 50});
  cleave_tensor xv = x.view(), dyv = dy.view(), dxv = dx.view();
  for (int32_t tanh = 0; tanh < 2; ++tanh) {
    expectOk(cleave_cpu_gelu_backward(&dyv, &xv, tanh, &dxv));
    for (int64_t i = 0; i < x.count(); ++i) {
      // Central differences in double: error ~h^2 = 1e-10.
      double h = 1e-5, at = x.data[i];
      double slope = (gelu(at + h, tanh) - gelu(at - h, tanh)) / (2 * h);
      EXPECT_NEAR(dx.data[i], dy.data[i] * slope, 1e-5) << "element " << i;
      // The CUDA kernel's formula, run here.
      EXPECT_NEAR(dy.data[i] * cleave::geluSlope(x.data[i], tanh),
                  dy.data[i] * slope, 1e-5)
          << "element " << i;
    }
  }
}
} // namespace
