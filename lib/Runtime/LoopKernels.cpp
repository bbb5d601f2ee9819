//===- LoopKernels.cpp - arithmetic loops for every element type ------------===//
//
// The binary, comparison, reduction and cumulative-sum kernels as loops
// over output positions, for element types and shapes oneDNN does not take.
//
//===----------------------------------------------------------------------===//

#include "ElementAccess.h"
#include "StatusInternal.h"
#include "StridedLoops.h"
#include "cleave/Runtime/CpuKernels.h"
#include <algorithm>
#include <cmath>
#include <cstring>
#include <map>
#include <string>
#include <vector>

using namespace cleave::data;

namespace {

/// And, Or and Xor on bool tensors, row by row: a clipped activation's
/// gradient masks hundreds of thousands of elements, which the
/// element-by-element loop (a div/mod per axis each) took 100 ns apiece.
/// Each row reads its inputs before writing, so y may alias a or b.
void logicalRows(cleave_binary_op op, const cleave_tensor *a,
                 const cleave_tensor *b, cleave_tensor *y) {
  std::vector<int64_t> sa = broadcastStrides(a, y->rank, y->dims),
                       sb = broadcastStrides(b, y->rank, y->dims);
  const int64_t *strides[2] = {sa.data(), sb.data()};
  auto space = cleave::runtime::simplify<2>(y->rank, y->dims, strides);
  const uint8_t *pa = static_cast<const uint8_t *>(a->data),
                *pb = static_cast<const uint8_t *>(b->data);
  uint8_t *out = static_cast<uint8_t *>(y->data);
  auto each = [&](auto f) {
    cleave::runtime::forEachRow(space, [&](int64_t r, const int64_t *offsets,
                                           int64_t n, const int64_t *steps) {
      const uint8_t *p = pa + offsets[0], *q = pb + offsets[1];
      uint8_t *o = out + r * n;
      if (steps[0] == 1 && steps[1] == 1)
        for (int64_t i = 0; i < n; ++i)
          o[i] = f(p[i] != 0, q[i] != 0);
      else
        for (int64_t i = 0; i < n; ++i)
          o[i] = f(p[i * steps[0]] != 0, q[i * steps[1]] != 0);
    });
  };
  if (op == CLEAVE_BINARY_AND)
    each([](bool u, bool v) -> uint8_t { return u && v; });
  else if (op == CLEAVE_BINARY_OR)
    each([](bool u, bool v) -> uint8_t { return u || v; });
  else
    each([](bool u, bool v) -> uint8_t { return u != v; });
}

} // namespace

extern "C" {

cleave_status cleave_cpu_binary_loop(cleave_binary_op op,
                                     const cleave_tensor *a,
                                     const cleave_tensor *b, cleave_tensor *y) {
  bool pow = op == CLEAVE_BINARY_POW;
  if ((a->dtype != y->dtype || (!pow && b->dtype != y->dtype)) ||
      !broadcastsTo(a, y) || !broadcastsTo(b, y) ||
      !cleave_dtype_size(b->dtype))
    return CLEAVE_ERROR(CLEAVE_INVALID_ARGUMENT,
                        "binary: inputs differ in type or do not broadcast");
  bool logical = op == CLEAVE_BINARY_AND || op == CLEAVE_BINARY_OR ||
                 op == CLEAVE_BINARY_XOR;
  bool shift = op == CLEAVE_BINARY_SHIFT_LEFT || op == CLEAVE_BINARY_SHIFT_RIGHT;
  if (shift && (isFloat(y->dtype) || y->dtype == CLEAVE_DTYPE_BOOL))
    return CLEAVE_ERROR(CLEAVE_UNSUPPORTED,
                        "binary: shifts take unsigned integers");
  if (logical != (y->dtype == CLEAVE_DTYPE_BOOL))
    return CLEAVE_ERROR(CLEAVE_UNSUPPORTED,
                        "binary: logical ops take bool, the others numbers");
  size_t width = cleave_dtype_size(y->dtype),
         bWidth = cleave_dtype_size(b->dtype);
  bool floats = isFloat(y->dtype), bFloats = isFloat(b->dtype);
  bool unsignedInts = y->dtype == CLEAVE_DTYPE_U64;
  std::vector<int64_t> sa = broadcastStrides(a, y->rank, y->dims),
                       sb = broadcastStrides(b, y->rank, y->dims);
  int64_t count = cleave_tensor_num_elements(y);
  const char *pa = (const char *)a->data, *pb = (const char *)b->data;
  char *out = (char *)y->data;
  if (logical) {
    logicalRows(op, a, b, y);
    return nullptr;
  }
  // Element by element, reading both inputs before writing (in place safe).
  for (int64_t flat = 0; flat < count; ++flat) {
    const char *u = pa + sourceIndex(flat, y, sa) * width;
    const char *v = pb + sourceIndex(flat, y, sb) * bWidth;
    char *dst = out + flat * width;
    if (floats) {
      double p = loadFloat(u, y->dtype);
      double q =
          bFloats ? loadFloat(v, b->dtype) : (double)loadInt(v, b->dtype);
      double r = 0;
      switch (op) {
      case CLEAVE_BINARY_ADD:
        r = p + q;
        break;
      case CLEAVE_BINARY_SUB:
        r = p - q;
        break;
      case CLEAVE_BINARY_MUL:
        r = p * q;
        break;
      case CLEAVE_BINARY_DIV:
        r = p / q;
        break;
      case CLEAVE_BINARY_MAX:
        r = std::isnan(p) || std::isnan(q) ? NAN : std::max(p, q);
        break;
      case CLEAVE_BINARY_MIN:
        r = std::isnan(p) || std::isnan(q) ? NAN : std::min(p, q);
        break;
      case CLEAVE_BINARY_POW:
        r = std::pow(p, q);
        break;
      case CLEAVE_BINARY_FMOD:
        r = std::fmod(p, q);
        break;
      case CLEAVE_BINARY_MOD: {
        r = std::fmod(p, q);
        if (r != 0 && ((r < 0) != (q < 0)))
          r += q;
        break;
      }
      case CLEAVE_BINARY_PRELU:
        r = p < 0 ? p * q : p;
        break;
      default:
        break;
      }
      storeFloat(dst, y->dtype, r);
    } else if (logical) {
      bool p = *(const uint8_t *)u, q = *(const uint8_t *)v;
      *(uint8_t *)dst = op == CLEAVE_BINARY_AND  ? (p && q)
                        : op == CLEAVE_BINARY_OR ? (p || q)
                                                 : (p != q);
    } else {
      int64_t p = loadInt(u, y->dtype);
      int64_t q =
          bFloats ? (int64_t)loadFloat(v, b->dtype) : loadInt(v, b->dtype);
      int64_t r = 0;
      switch (op) {
      case CLEAVE_BINARY_ADD:
        r = (int64_t)((uint64_t)p + (uint64_t)q);
        break;
      case CLEAVE_BINARY_SUB:
        r = (int64_t)((uint64_t)p - (uint64_t)q);
        break;
      case CLEAVE_BINARY_MUL:
        r = (int64_t)((uint64_t)p * (uint64_t)q);
        break;
      case CLEAVE_BINARY_DIV:
        if (q == 0)
          return CLEAVE_ERROR(CLEAVE_INVALID_ARGUMENT,
                              "binary: integer division by zero");
        r = unsignedInts ? (int64_t)((uint64_t)p / (uint64_t)q) : p / q;
        break;
      case CLEAVE_BINARY_MAX:
        r = unsignedInts ? (int64_t)std::max((uint64_t)p, (uint64_t)q)
                         : std::max(p, q);
        break;
      case CLEAVE_BINARY_MIN:
        r = unsignedInts ? (int64_t)std::min((uint64_t)p, (uint64_t)q)
                         : std::min(p, q);
        break;
      case CLEAVE_BINARY_POW: {
        double d =
            std::pow((double)p, bFloats ? loadFloat(v, b->dtype) : (double)q);
        r = (int64_t)d;
        break;
      }
      case CLEAVE_BINARY_MOD:
      case CLEAVE_BINARY_FMOD:
        if (q == 0)
          return CLEAVE_ERROR(CLEAVE_INVALID_ARGUMENT,
                              "binary: integer modulo by zero");
        r = unsignedInts ? (int64_t)((uint64_t)p % (uint64_t)q) : p % q;
        if (op == CLEAVE_BINARY_MOD && !unsignedInts && r != 0 &&
            ((r < 0) != (q < 0)))
          r += q;
        break;
      case CLEAVE_BINARY_PRELU:
        r = p < 0 ? p * q : p;
        break;
      case CLEAVE_BINARY_SHIFT_LEFT:
      case CLEAVE_BINARY_SHIFT_RIGHT: {
        // storeInt keeps the type's low bits, so only shifts of 64 or more
        // (undefined in C) need their own case.
        uint64_t bits = (uint64_t)p, by = (uint64_t)q;
        r = by >= 64 ? 0
                     : (int64_t)(op == CLEAVE_BINARY_SHIFT_LEFT ? bits << by
                                                                : bits >> by);
        break;
      }
      default:
        break;
      }
      storeInt(dst, y->dtype, r);
    }
  }
  return nullptr;
}

cleave_status cleave_cpu_compare(cleave_compare_op op, const cleave_tensor *a,
                                 const cleave_tensor *b, cleave_tensor *y) {
  if (a->dtype != b->dtype || y->dtype != CLEAVE_DTYPE_BOOL ||
      !broadcastsTo(a, y) || !broadcastsTo(b, y))
    return CLEAVE_ERROR(CLEAVE_INVALID_ARGUMENT,
                        "compare: inputs differ in type or do not broadcast");
  size_t width = cleave_dtype_size(a->dtype);
  bool floats = isFloat(a->dtype), unsignedInts = a->dtype == CLEAVE_DTYPE_U64;
  std::vector<int64_t> sa = broadcastStrides(a, y->rank, y->dims),
                       sb = broadcastStrides(b, y->rank, y->dims);
  int64_t count = cleave_tensor_num_elements(y);
  const char *pa = (const char *)a->data, *pb = (const char *)b->data;
  uint8_t *out = (uint8_t *)y->data;
  // Row by row for the common types (ReLU's backward pass compares every
  // activation with 0; a one-hot compares every token with every class);
  // comparisons with NaN are false, as below.
  auto rows = [&](auto zero) {
    using T = decltype(zero);
    const int64_t *strides[2] = {sa.data(), sb.data()};
    auto space = cleave::runtime::simplify<2>(y->rank, y->dims, strides);
    cleave::runtime::forEachRow(space, [&](int64_t r, const int64_t *offsets,
                                           int64_t length,
                                           const int64_t *steps) {
      const T *p = (const T *)pa + offsets[0], *q = (const T *)pb + offsets[1];
      uint8_t *o = out + r * length;
      int64_t i0 = steps[0], i1 = steps[1];
      auto each = [&](auto compare) {
        for (int64_t i = 0; i < length; ++i)
          o[i] = compare(p[i * i0], q[i * i1]);
      };
      switch (op) {
      case CLEAVE_COMPARE_EQUAL:
        return each([](T u, T v) { return u == v; });
      case CLEAVE_COMPARE_LESS:
        return each([](T u, T v) { return u < v; });
      case CLEAVE_COMPARE_LESS_OR_EQUAL:
        return each([](T u, T v) { return u <= v; });
      case CLEAVE_COMPARE_GREATER:
        return each([](T u, T v) { return u > v; });
      case CLEAVE_COMPARE_GREATER_OR_EQUAL:
        return each([](T u, T v) { return u >= v; });
      }
    });
    return nullptr;
  };
  if (count > 0)
    switch (a->dtype) {
    case CLEAVE_DTYPE_F32:
      return rows(float());
    case CLEAVE_DTYPE_F64:
      return rows(double());
    case CLEAVE_DTYPE_I32:
      return rows(int32_t());
    case CLEAVE_DTYPE_I64:
      return rows(int64_t());
    case CLEAVE_DTYPE_U8:
      return rows(uint8_t());
    case CLEAVE_DTYPE_I8:
      return rows(int8_t());
    default:
      break;
    }
#pragma omp parallel for
  for (int64_t flat = 0; flat < count; ++flat) {
    const char *u = pa + sourceIndex(flat, y, sa) * width;
    const char *v = pb + sourceIndex(flat, y, sb) * width;
    int order; // -1, 0, 1; 2 when unordered (NaN).
    if (floats) {
      double p = loadFloat(u, a->dtype), q = loadFloat(v, a->dtype);
      order = p < q ? -1 : p > q ? 1 : p == q ? 0 : 2;
    } else if (unsignedInts) {
      uint64_t p = (uint64_t)loadInt(u, a->dtype),
               q = (uint64_t)loadInt(v, a->dtype);
      order = p < q ? -1 : p > q ? 1 : 0;
    } else {
      int64_t p = loadInt(u, a->dtype), q = loadInt(v, a->dtype);
      order = p < q ? -1 : p > q ? 1 : 0;
    }
    bool result = false;
    switch (op) {
    case CLEAVE_COMPARE_EQUAL:
      result = order == 0;
      break;
    case CLEAVE_COMPARE_LESS:
      result = order == -1;
      break;
    case CLEAVE_COMPARE_LESS_OR_EQUAL:
      result = order == -1 || order == 0;
      break;
    case CLEAVE_COMPARE_GREATER:
      result = order == 1;
      break;
    case CLEAVE_COMPARE_GREATER_OR_EQUAL:
      result = order == 1 || order == 0;
      break;
    }
    out[flat] = result;
  }
  return nullptr;
}

cleave_status cleave_cpu_reduce_loop(cleave_reduce_op op,
                                     const cleave_tensor *x, cleave_tensor *y) {
  CLEAVE_RETURN_IF_ERROR(sameType("reduce", x, y));
  if (x->rank != y->rank || x->dtype == CLEAVE_DTYPE_BOOL)
    return CLEAVE_ERROR(CLEAVE_INVALID_ARGUMENT,
                        "reduce: y must keep x's rank, and x be numeric");
  for (int32_t i = 0; i < x->rank; ++i)
    if (y->dims[i] != x->dims[i] && y->dims[i] != 1)
      return CLEAVE_ERROR(CLEAVE_INVALID_ARGUMENT,
                          "reduce: the output does not reduce the input");
  size_t width = cleave_dtype_size(x->dtype);
  bool floats = isFloat(x->dtype);
  int64_t count = cleave_tensor_num_elements(y),
          total = cleave_tensor_num_elements(x);
  int64_t group = count ? total / count : 0;
  std::vector<double> acc(count, op == CLEAVE_REDUCE_MAX    ? -INFINITY
                                 : op == CLEAVE_REDUCE_MIN  ? INFINITY
                                 : op == CLEAVE_REDUCE_PROD ? 1.0
                                                            : 0.0);
  std::vector<double> peak(count, -INFINITY);
  std::vector<int64_t> target(total);
  for (int64_t flat = 0; flat < total; ++flat) {
    int64_t rest = flat, index = 0, stride = 1;
    for (int32_t i = x->rank - 1; i >= 0; --i) {
      int64_t c = rest % x->dims[i];
      rest /= x->dims[i];
      if (y->dims[i] != 1)
        index += c * stride;
      stride *= y->dims[i];
    }
    target[flat] = index;
  }
  auto load = [&](int64_t i) {
    const char *p = (const char *)x->data + i * width;
    return floats ? loadFloat(p, x->dtype) : (double)loadInt(p, x->dtype);
  };
  for (int64_t i = 0; i < total; ++i)
    peak[target[i]] = std::max(peak[target[i]], load(i));
  for (int64_t i = 0; i < total; ++i) {
    double v = load(i), &a = acc[target[i]];
    switch (op) {
    case CLEAVE_REDUCE_SUM:
    case CLEAVE_REDUCE_MEAN:
      a += v;
      break;
    case CLEAVE_REDUCE_MAX:
      a = std::max(a, v);
      break;
    case CLEAVE_REDUCE_MIN:
      a = std::min(a, v);
      break;
    case CLEAVE_REDUCE_PROD:
      a *= v;
      break;
    case CLEAVE_REDUCE_L2:
    case CLEAVE_REDUCE_SUM_SQUARE:
      a += v * v;
      break;
    case CLEAVE_REDUCE_LOG_SUM_EXP:
      a += std::exp(v - peak[target[i]]);
      break;
    }
  }
  for (int64_t i = 0; i < count; ++i) {
    double a = acc[i];
    if (op == CLEAVE_REDUCE_MEAN)
      a = group ? a / group : NAN;
    else if (op == CLEAVE_REDUCE_L2)
      a = std::sqrt(a);
    else if (op == CLEAVE_REDUCE_LOG_SUM_EXP)
      a = group ? std::log(a) + peak[i] : -INFINITY;
    char *dst = (char *)y->data + i * width;
    if (floats)
      storeFloat(dst, y->dtype, a);
    else
      storeInt(dst, y->dtype, (int64_t)a);
  }
  return nullptr;
}

cleave_status cleave_cpu_cumsum(const cleave_tensor *x, int32_t axis,
                                int32_t exclusive, int32_t reverse,
                                cleave_tensor *y) {
  CLEAVE_RETURN_IF_ERROR(sameType("cumsum", x, y));
  if (axis < 0 || axis >= x->rank)
    return CLEAVE_ERROR(CLEAVE_INVALID_ARGUMENT, "cumsum: bad axis");
  bool floats = isFloat(x->dtype);
  size_t width = cleave_dtype_size(x->dtype);
  int64_t outer = 1, inner = 1, dim = x->dims[axis];
  for (int32_t i = 0; i < axis; ++i)
    outer *= x->dims[i];
  for (int32_t i = axis + 1; i < x->rank; ++i)
    inner *= x->dims[i];
  for (int64_t o = 0; o < outer; ++o)
    for (int64_t i = 0; i < inner; ++i) {
      double fsum = 0;
      int64_t isum = 0;
      for (int64_t s = 0; s < dim; ++s) {
        int64_t k = reverse ? dim - 1 - s : s;
        int64_t at = (o * dim + k) * inner + i;
        const char *src = (const char *)x->data + at * width;
        double fv = floats ? loadFloat(src, x->dtype) : 0;
        int64_t iv = floats ? 0 : loadInt(src, x->dtype);
        char *dst = (char *)y->data + at * width;
        if (!exclusive)
          fsum += fv, isum += iv;
        if (floats)
          storeFloat(dst, x->dtype, fsum);
        else
          storeInt(dst, x->dtype, isum);
        if (exclusive)
          fsum += fv, isum += iv;
      }
    }
  return nullptr;
}

} // extern "C"
