//===- RuntimeRecurrentTest.cpp - recurrent layers against ONNX's equations
//===//
//
// The recurrent kernel's two paths (the step loop for small batches, in
// both of its builds, and oneDNN's primitives) against the ONNX operators'
// equations evaluated in double precision, and VectorMath.h's functions
// against libm in double.
//
//===----------------------------------------------------------------------===//

#include "RecurrentLayer.h"
#include "RuntimeTestUtils.h"
#include "VectorMath.h"
#include "cleave/Runtime/CpuKernels.h"
#include <cmath>
#include <cstdio>
#include <gtest/gtest.h>

namespace {

using namespace cleave::testing;
using namespace cleave::cpu;

TEST(VectorMath, ExpTanhSigmoidMatchDouble) {
  double worstExp = 0, worstTanh = 0, worstTanhRelative = 0, worstSigmoid = 0;
  for (double x = -87.0; x <= 88.0; x += 1.0 / 1024) {
    float xf = (float)x;
    double e = std::exp((double)xf);
    worstExp = std::max(worstExp, std::fabs(vectorExp(xf) - e) / e);
  }
  for (double x = -12.0; x <= 12.0; x += 1.0 / 4096) {
    float xf = (float)x;
    double t = std::tanh((double)xf);
    double error = std::fabs(vectorTanh(xf) - t);
    worstTanh = std::max(worstTanh, error);
    if (t != 0)
      worstTanhRelative = std::max(worstTanhRelative, error / std::fabs(t));
    double s = 1.0 / (1.0 + std::exp(-(double)xf));
    worstSigmoid = std::max(worstSigmoid, std::fabs(vectorSigmoid(xf) - s));
  }
  // A few float ulps (1.2e-7 relative each): exp's range reduction and
  // polynomial; tanh's 1 - 2 / (e + 1) cancels at most two bits above 0.4.
  std::printf("worst: exp %.3g relative, tanh %.3g (%.3g relative), "
              "sigmoid %.3g\n",
              worstExp, worstTanh, worstTanhRelative, worstSigmoid);
  EXPECT_LT(worstExp, 2e-7);
  EXPECT_LT(worstTanh, 1.5e-7);
  EXPECT_LT(worstTanhRelative, 3e-7);
  EXPECT_LT(worstSigmoid, 1.5e-7);
  EXPECT_EQ(vectorTanh(0.0f), 0.0f);
  EXPECT_EQ(vectorTanh(30.0f), 1.0f);
  EXPECT_EQ(vectorTanh(-30.0f), -1.0f);
  EXPECT_GT(vectorSigmoid(-100.0f), 0.0f);
  EXPECT_LT(vectorSigmoid(-100.0f), 1e-30f);
}

TEST(VectorMath, DoubleExpMatchesLibm) {
  // A few double ulps (2.2e-16 relative each) over the whole clamped
  // range: the loss gradient rounds it to float as it rounded libm's.
  double worst = 0;
  for (double x = -700.0; x <= 700.0; x += 1.0 / 1024 + 1e-9) {
    double e = std::exp(x);
    worst = std::max(worst, std::fabs(vectorExpDouble(x) - e) / e);
  }
  std::printf("worst: double exp %.3g relative\n", worst);
  EXPECT_LT(worst, 1e-15);
  EXPECT_EQ(vectorExpDouble(0.0), 1.0);
  EXPECT_EQ(vectorExpDouble(-1000.0), vectorExpDouble(-700.0));
}

struct Layer {
  int32_t cell, activation, direction;
  bool linearBeforeReset, bias, initial, peepholes;
  int64_t steps, batch, input, hidden;
};

int64_t gatesOf(int32_t cell) {
  return cell == kRnn ? 1 : cell == kGru ? 3 : 4;
}

double sigmoid(double x) { return 1.0 / (1.0 + std::exp(-x)); }

/// ONNX's RNN, GRU and LSTM equations, in double.
struct Reference {
  std::vector<float> y, yH, yC;
};

Reference reference(const Layer &l, const Tensor &x, const Tensor &w,
                    const Tensor &r, const Tensor *b, const Tensor *h0,
                    const Tensor *c0, const Tensor *p) {
  int64_t dirs = l.direction == 2 ? 2 : 1, g = gatesOf(l.cell), n = l.batch,
          h = l.hidden, k = l.input, gh = g * h;
  Reference out;
  out.y.assign(l.steps * dirs * n * h, 0);
  out.yH.assign(dirs * n * h, 0);
  out.yC.assign(dirs * n * h, 0);
  for (int64_t d = 0; d < dirs; ++d)
    for (int64_t i = 0; i < n; ++i) {
      std::vector<double> state(h, 0), cell(h, 0);
      for (int64_t j = 0; j < h; ++j) {
        if (h0)
          state[j] = h0->data[(d * n + i) * h + j];
        if (c0)
          cell[j] = c0->data[(d * n + i) * h + j];
      }
      bool reverse = l.direction == 1 || d == 1;
      for (int64_t step = 0; step < l.steps; ++step) {
        int64_t t = reverse ? l.steps - 1 - step : step;
        const float *xt = &x.data[(t * n + i) * k];
        // xw[q] = x W_q^T + Wb_q, hr[q] = h R_q^T + Rb_q for gate row q.
        std::vector<double> xw(gh), hr(gh);
        for (int64_t q = 0; q < gh; ++q) {
          double a = b ? b->data[d * 2 * gh + q] : 0.0;
          double c = b ? b->data[d * 2 * gh + gh + q] : 0.0;
          for (int64_t m = 0; m < k; ++m)
            a += (double)xt[m] * w.data[(d * gh + q) * k + m];
          for (int64_t m = 0; m < h; ++m)
            c += state[m] * r.data[(d * gh + q) * h + m];
          xw[q] = a;
          hr[q] = c;
        }
        std::vector<double> next(h);
        if (l.cell == kRnn) {
          for (int64_t j = 0; j < h; ++j) {
            double v = xw[j] + hr[j];
            next[j] = l.activation == kRelu      ? std::max(v, 0.0)
                      : l.activation == kSigmoid ? sigmoid(v)
                                                 : std::tanh(v);
          }
        } else if (l.cell == kGru) {
          std::vector<double> z(h), reset(h);
          for (int64_t j = 0; j < h; ++j) {
            z[j] = sigmoid(xw[j] + hr[j]);
            reset[j] = sigmoid(xw[h + j] + hr[h + j]);
          }
          for (int64_t j = 0; j < h; ++j) {
            double candidate;
            if (l.linearBeforeReset) {
              candidate = std::tanh(xw[2 * h + j] + reset[j] * hr[2 * h + j]);
            } else {
              // (r * h) R_h^T + Rb_h.
              double c = b ? b->data[d * 2 * gh + gh + 2 * h + j] : 0.0;
              for (int64_t m = 0; m < h; ++m)
                c += reset[m] * state[m] * r.data[(d * gh + 2 * h + j) * h + m];
              candidate = std::tanh(xw[2 * h + j] + c);
            }
            next[j] = (1 - z[j]) * candidate + z[j] * state[j];
          }
        } else {
          auto peep = [&](int gate, int64_t j) {
            return p ? (double)p->data[d * 3 * h + gate * h + j] : 0.0;
          };
          for (int64_t j = 0; j < h; ++j) {
            double in = sigmoid(xw[j] + hr[j] + peep(0, j) * cell[j]);
            double forget =
                sigmoid(xw[2 * h + j] + hr[2 * h + j] + peep(2, j) * cell[j]);
            double c = forget * cell[j] +
                       in * std::tanh(xw[3 * h + j] + hr[3 * h + j]);
            double o = sigmoid(xw[h + j] + hr[h + j] + peep(1, j) * c);
            cell[j] = c;
            next[j] = o * std::tanh(c);
          }
        }
        state = next;
        for (int64_t j = 0; j < h; ++j)
          out.y[((t * dirs + d) * n + i) * h + j] = (float)state[j];
      }
      for (int64_t j = 0; j < h; ++j) {
        out.yH[(d * n + i) * h + j] = (float)state[j];
        out.yC[(d * n + i) * h + j] = (float)cell[j];
      }
    }
  return out;
}

/// Runs `l` through the loop (both builds) or through the public kernel,
/// and compares every output with the reference.
void check(const Layer &l) {
  std::mt19937 random(7 + l.cell * 31 + l.hidden);
  int64_t dirs = l.direction == 2 ? 2 : 1, g = gatesOf(l.cell);
  // Weights of about 1/sqrt(hidden), as trained layers have: the gates
  // then neither saturate nor vanish.
  float scale = 1.5f / std::sqrt((float)l.hidden);
  Tensor x({l.steps, l.batch, l.input}, random),
      w({dirs, g * l.hidden, l.input}, random, -scale, scale),
      r({dirs, g * l.hidden, l.hidden}, random, -scale, scale),
      b({dirs, 2 * g * l.hidden}, random, -0.5f, 0.5f),
      h0({dirs, l.batch, l.hidden}, random, -0.5f, 0.5f),
      c0({dirs, l.batch, l.hidden}, random, -0.5f, 0.5f),
      p({dirs, 3 * l.hidden}, random, -0.5f, 0.5f);
  bool lstm = l.cell == kLstm;
  Reference want =
      reference(l, x, w, r, l.bias ? &b : nullptr, l.initial ? &h0 : nullptr,
                l.initial && lstm ? &c0 : nullptr, l.peepholes ? &p : nullptr);
  cleave_tensor xv = x.view(), wv = w.view(), rv = r.view(), bv = b.view(),
                h0v = h0.view(), c0v = c0.view(), pv = p.view();
  RecurrentShape shape{l.steps, l.batch, l.input, dirs, l.hidden, g};
  // Sums of up to ~200 products in float, through saturating gates, over
  // a dozen steps: within 2e-5 of double (a wrong gate or bias is off by
  // O(0.1)).
  auto compare = [&](const char *path, bool baseline) {
    Tensor y({l.steps, dirs, l.batch, l.hidden}), yH({dirs, l.batch, l.hidden}),
        yC({dirs, l.batch, l.hidden});
    cleave_tensor yv = y.view(), yHv = yH.view(), yCv = yC.view();
    const cleave_tensor *bp = l.bias ? &bv : nullptr,
                        *h0p = l.initial ? &h0v : nullptr,
                        *c0p = l.initial && lstm ? &c0v : nullptr,
                        *pp = l.peepholes ? &pv : nullptr;
    SCOPED_TRACE(path);
    if (std::string(path) == "kernel") {
      expectOk(cleave_cpu_recurrent(l.cell, l.activation, l.direction,
                                    l.linearBeforeReset, &xv, &wv, &rv, bp, h0p,
                                    c0p, pp, &yv, &yHv, lstm ? &yCv : nullptr));
    } else {
      RecurrentCall call{l.cell,
                         l.activation,
                         l.direction,
                         l.linearBeforeReset,
                         shape,
                         &xv,
                         &wv,
                         &rv,
                         bp,
                         h0p,
                         c0p,
                         pp,
                         &yv,
                         &yHv,
                         lstm ? &yCv : nullptr};
      expectOk(runRecurrentLoop(call, baseline));
    }
    expectClose(y.data, want.y, 1e-4f, 2e-5f);
    expectClose(yH.data, want.yH, 1e-4f, 2e-5f);
    if (lstm)
      expectClose(yC.data, want.yC, 1e-4f, 2e-5f);
  };
  compare("loop, baseline build", true);
  compare("loop, best build", false);
  compare("kernel", false);
}

// Hidden sizes 13 (below a vector), 70 (a panel and a remainder of 6) and
// 130 (three panels). Each case runs the loop directly in both builds and
// the kernel, which picks by size: the loop for batch 1, oneDNN's
// primitive for batch 24.
TEST(RecurrentKernel, RnnMatchesOnnxEquations) {
  check({kRnn, kTanh, 0, false, true, false, false, 9, 1, 5, 70});
  check({kRnn, kRelu, 2, false, false, true, false, 6, 3, 4, 13});
  check({kRnn, kSigmoid, 1, false, true, true, false, 5, 24, 7, 130});
}

TEST(RecurrentKernel, GruMatchesOnnxEquations) {
  check({kGru, kTanh, 0, false, true, true, false, 8, 1, 6, 70});
  check({kGru, kTanh, 2, true, true, false, false, 7, 3, 5, 130});
  check({kGru, kTanh, 1, false, false, true, false, 6, 2, 3, 13});
  check({kGru, kTanh, 2, false, true, true, false, 4, 24, 6, 70});
}

TEST(RecurrentKernel, LstmMatchesOnnxEquations) {
  check({kLstm, kTanh, 0, false, true, true, true, 8, 1, 6, 130});
  check({kLstm, kTanh, 2, false, true, false, false, 7, 3, 5, 70});
  check({kLstm, kTanh, 1, false, false, true, true, 5, 2, 9, 13});
  check({kLstm, kTanh, 2, false, true, true, true, 4, 24, 6, 70});
}

} // namespace
