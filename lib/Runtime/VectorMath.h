//===- VectorMath.h - exp, tanh and sigmoid that vectorise ----------------===//
//
// libm's expf and tanhf are calls the compiler cannot vectorise (about
// 15 ns each): a recurrent layer at batch 1 spends more time in them than
// in its products. These are branch-free, so a loop over them vectorises:
// exp by range reduction to [-ln2/2, ln2/2] and a degree-7 Taylor
// polynomial (relative error a few ulp), tanh by its odd series near zero
// and 1 - 2 / (exp(2|x|) + 1) elsewhere (absolute error under 2e-7); exp
// in double likewise, for results that must round as libm's would.
// VectorMathTest checks them against double precision.
//
//===----------------------------------------------------------------------===//

#ifndef CLEAVE_RUNTIME_VECTORMATH_H
#define CLEAVE_RUNTIME_VECTORMATH_H

#include <cstdint>
#include <cstring>

namespace cleave::cpu {

/// e^x for x in float's range; below -87.3 it returns about 1e-38, not 0.
inline float vectorExp(float x) {
  x = x < -87.3f ? -87.3f : x > 88.3f ? 88.3f : x;
  // n = round(x / ln 2) by the 1.5 * 2^23 trick (no rounding instruction
  // in baseline x86-64's SSE2).
  const float shifter = 12582912.0f;
  float n = (x * 1.44269504089f + shifter) - shifter;
  float r = x - n * 0.693145752f; // ln 2 in two parts: exact n * hi.
  r = r - n * 1.42860677e-6f;
  float p = 1.0f / 5040;
  p = p * r + 1.0f / 720;
  p = p * r + 1.0f / 120;
  p = p * r + 1.0f / 24;
  p = p * r + 1.0f / 6;
  p = p * r + 0.5f;
  p = p * r + 1.0f;
  p = p * r + 1.0f;
  n = n == n ? n : 0.0f; // NaN: p is NaN already; keep the cast defined.
  int32_t bits = ((int32_t)n + 127) << 23; // 2^n
  float scale;
  std::memcpy(&scale, &bits, sizeof(scale));
  return p * scale;
}

inline float vectorTanh(float x) {
  float a = x < 0 ? -x : x;
  a = a > 10.0f ? 10.0f : a; // tanh(10) rounds to 1.
  // Near zero the exp form cancels: x - x^3/3 + 2x^5/15 - ... to x^13
  // (truncation under 3e-9 relative for |x| < 0.4).
  float s = a * a;
  float series = -21844.0f / 6081075;
  series = series * s + 1382.0f / 155925;
  series = series * s - 62.0f / 2835;
  series = series * s + 17.0f / 315;
  series = series * s - 2.0f / 15;
  series = series * s + 1.0f / 3;
  series = a - a * s * series;
  float far = 1.0f - 2.0f / (vectorExp(2.0f * a) + 1.0f);
  float t = a < 0.4f ? series : far;
  return x < 0 ? -t : t;
}

inline float vectorSigmoid(float x) { return 1.0f / (1.0f + vectorExp(-x)); }

/// e^x in double for x in [-700, 700] (clamped there), within a few ulp
/// of libm's exp: n = round(x / ln 2), r = x - n ln 2 (ln 2 in fdlibm's
/// two parts, n ln2hi exact), a degree-12 Taylor polynomial on |r| <=
/// ln2 / 2 (truncation 2e-16 relative), times 2^n built in the exponent
/// bits (a 64-bit shift, which SSE2 has). For float results rounded from
/// double, as libm's would be.
inline double vectorExpDouble(double x) {
  x = x < -700.0 ? -700.0 : x > 700.0 ? 700.0 : x;
  const double shifter = 6755399441055744.0; // 1.5 * 2^52
  double n = (x * 1.4426950408889634 + shifter) - shifter;
  double r = x - n * 6.93147180369123816490e-01;
  r = r - n * 1.90821492927058770002e-10;
  double p = 1.0 / 479001600;
  p = p * r + 1.0 / 39916800;
  p = p * r + 1.0 / 3628800;
  p = p * r + 1.0 / 362880;
  p = p * r + 1.0 / 40320;
  p = p * r + 1.0 / 5040;
  p = p * r + 1.0 / 720;
  p = p * r + 1.0 / 120;
  p = p * r + 1.0 / 24;
  p = p * r + 1.0 / 6;
  p = p * r + 0.5;
  p = p * r + 1.0;
  p = p * r + 1.0;
  // n + 1023 in the low bits of 2^52 + n + 1023, shifted into the exponent.
  double biased = n + (4503599627370496.0 + 1023.0);
  uint64_t bits;
  std::memcpy(&bits, &biased, sizeof(bits));
  bits <<= 52;
  double scale;
  std::memcpy(&scale, &bits, sizeof(scale));
  return p * scale;
}

} // namespace cleave::cpu

#endif // CLEAVE_RUNTIME_VECTORMATH_H
