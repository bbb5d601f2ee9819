//===- ElementwiseMath.h - the elementwise ops, host and device -*- C++ -*-===//
//
// The math of the unary, binary and comparison kernels, one element at a
// time: the CUDA kernels run it on the GPU; the CPU kernels run it where
// oneDNN has no algorithm for the op. The unit tests check every op on the
// host against the CPU kernel (test/Unit/CudaPlanTest.cpp). A new unary op
// is a line in cleave/Runtime/UnaryOps.def and a case here.
//
//===----------------------------------------------------------------------===//

#ifndef CLEAVE_LIB_RUNTIME_ELEMENTWISEMATH_H
#define CLEAVE_LIB_RUNTIME_ELEMENTWISEMATH_H

#include "cleave/Runtime/CpuKernels.h"
#include <cmath>

#include "HostDevice.h"

namespace cleave {

#ifndef __CUDACC__
using std::isnan;
#endif

/// GELU's derivative at x: exactly Phi(x) + x phi(x); of the tanh
/// approximation 0.5 x (1 + t), t = tanh(c (x + k x^3)),
/// 0.5 (1 + t) + 0.5 x (1 - t^2) c (1 + 3 k x^2).
CLEAVE_HD inline float geluSlope(float x, bool tanh) {
  if (tanh) {
    const float c = 0.79788456080f, k = 0.044715f;
    float t = tanhf(c * (x + k * x * x * x));
    return 0.5f * (1.0f + t) + 0.5f * x * (1.0f - t * t) * c * (1.0f + 3.0f * k * x * x);
  }
  return 0.5f * (1.0f + erff(x * 0.70710678118f)) +
         x * 0.39894228040f * expf(-0.5f * x * x);
}

/// v clamped to [lo, hi], NaN kept: comparisons, not fminf/fmaxf, which GCC
/// calls out of line without -ffast-math (a 12,800-element Clip took 45 us
/// instead of 2).
CLEAVE_HD_INLINE float clampTo(float v, float lo, float hi) {
  return v < lo ? lo : v > hi ? hi : v;
}

CLEAVE_HD_INLINE float unaryOp(int op, float x, float a, float b) {
  switch (op) {
  case CLEAVE_UNARY_ABS: return fabsf(x);
  case CLEAVE_UNARY_ELU: return x > 0 ? x : a * expm1f(x);
  case CLEAVE_UNARY_EXP: return expf(x);
  case CLEAVE_UNARY_GELU: return 0.5f * x * (1.0f + erff(x * 0.70710678118f));
  case CLEAVE_UNARY_GELU_TANH:
    return 0.5f * x *
           (1.0f + tanhf(0.79788456080f * (x + 0.044715f * x * x * x)));
  case CLEAVE_UNARY_HARD_SIGMOID: return clampTo(a * x + b, 0.0f, 1.0f);
  case CLEAVE_UNARY_LEAKY_RELU: return x >= 0 ? x : a * x;
  case CLEAVE_UNARY_LOG: return logf(x);
  case CLEAVE_UNARY_NEG: return -x;
  case CLEAVE_UNARY_RELU: return x > 0.0f ? x : 0.0f;
  case CLEAVE_UNARY_SIGMOID: return 1.0f / (1.0f + expf(-x));
  case CLEAVE_UNARY_SQRT: return sqrtf(x);
  case CLEAVE_UNARY_TANH: return tanhf(x);
  case CLEAVE_UNARY_CEIL: return ceilf(x);
  case CLEAVE_UNARY_CLIP: return clampTo(x, a, b);
  case CLEAVE_UNARY_COS: return cosf(x);
  case CLEAVE_UNARY_ERF: return erff(x);
  case CLEAVE_UNARY_FLOOR: return floorf(x);
  case CLEAVE_UNARY_HARD_SWISH:
    return x * clampTo(x / 6.0f + 0.5f, 0.0f, 1.0f);
  case CLEAVE_UNARY_RECIPROCAL: return 1.0f / x;
  case CLEAVE_UNARY_ROUND: return rintf(x); // Half to even.
  case CLEAVE_UNARY_SELU: return x > 0 ? b * x : b * a * expm1f(x);
  case CLEAVE_UNARY_SIGN: return x > 0 ? 1.0f : (x < 0 ? -1.0f : x);
  case CLEAVE_UNARY_SIN: return sinf(x);
  case CLEAVE_UNARY_SOFTPLUS: return x > 20 ? x : log1pf(expf(x));
  case CLEAVE_UNARY_SOFTSIGN: return x / (1 + fabsf(x));
  case CLEAVE_UNARY_LINEAR: return a * x + b;
  case CLEAVE_UNARY_SHRINK: return x < -a ? x + b : (x > a ? x - b : 0.0f);
  case CLEAVE_UNARY_ACOS: return acosf(x);
  case CLEAVE_UNARY_ACOSH: return acoshf(x);
  case CLEAVE_UNARY_ASIN: return asinf(x);
  case CLEAVE_UNARY_ASINH: return asinhf(x);
  case CLEAVE_UNARY_ATAN: return atanf(x);
  case CLEAVE_UNARY_ATANH: return atanhf(x);
  case CLEAVE_UNARY_COSH: return coshf(x);
  case CLEAVE_UNARY_SINH: return sinhf(x);
  case CLEAVE_UNARY_SWISH: return x / (1.0f + expf(-a * x));
  }
  return x;
}

CLEAVE_HD_INLINE float binaryOp(int op, float p, float q) {
  switch (op) {
  case CLEAVE_BINARY_ADD: return p + q;
  case CLEAVE_BINARY_SUB: return p - q;
  case CLEAVE_BINARY_MUL: return p * q;
  case CLEAVE_BINARY_DIV: return p / q;
  case CLEAVE_BINARY_MAX: return isnan(p) || isnan(q) ? NAN : p > q ? p : q;
  case CLEAVE_BINARY_MIN: return isnan(p) || isnan(q) ? NAN : p < q ? p : q;
  case CLEAVE_BINARY_POW: return powf(p, q);
  case CLEAVE_BINARY_FMOD: return fmodf(p, q);
  case CLEAVE_BINARY_MOD: {
    float r = fmodf(p, q);
    return r != 0 && ((r < 0) != (q < 0)) ? r + q : r;
  }
  case CLEAVE_BINARY_PRELU: return p < 0 ? p * q : p;
  }
  return NAN;
}

template <typename T>
CLEAVE_HD inline bool compareOp(int op, T p, T q) {
  switch (op) {
  case CLEAVE_COMPARE_EQUAL: return p == q;
  case CLEAVE_COMPARE_LESS: return p < q;
  case CLEAVE_COMPARE_LESS_OR_EQUAL: return p <= q;
  case CLEAVE_COMPARE_GREATER: return p > q;
  case CLEAVE_COMPARE_GREATER_OR_EQUAL: return p >= q;
  }
  return false;
}

} // namespace cleave

#endif // CLEAVE_LIB_RUNTIME_ELEMENTWISEMATH_H
