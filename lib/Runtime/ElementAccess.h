//===- ElementAccess.h - elements of any type, by position ------*- C++ -*-===//
//
// What the loop kernels of every element type share: broadcast strides,
// element loads and stores through double (or int64, so large integers
// stay exact), half-precision conversions, strided copies.
//
//===----------------------------------------------------------------------===//

#ifndef CLEAVE_LIB_RUNTIME_ELEMENTACCESS_H
#define CLEAVE_LIB_RUNTIME_ELEMENTACCESS_H

#include "StatusInternal.h"
#include "StridedLoops.h"
#include "cleave/Runtime/CpuKernels.h"
#include <algorithm>
#include <cmath>
#include <cstring>
#include <string>
#include <vector>

namespace cleave::data {

/// Row-major strides of `t`, with 0 where `t`'s dim is 1 and `shape`'s is
/// not (NumPy broadcasting), right-aligned to `rank` axes.
inline std::vector<int64_t>
broadcastStrides(const cleave_tensor *t, int32_t rank, const int64_t *shape) {
  std::vector<int64_t> strides(rank, 0);
  int64_t stride = 1;
  for (int32_t i = t->rank - 1, j = rank - 1; i >= 0; --i, --j) {
    strides[j] = (t->dims[i] == 1 && shape[j] != 1) ? 0 : stride;
    stride *= t->dims[i];
  }
  return strides;
}

inline bool broadcastsTo(const cleave_tensor *t, const cleave_tensor *out) {
  if (t->rank > out->rank)
    return false;
  for (int32_t i = t->rank - 1, j = out->rank - 1; i >= 0; --i, --j)
    if (t->dims[i] != out->dims[j] && t->dims[i] != 1)
      return false;
  return true;
}

/// Flat source index of output position `flat` for `strides`.
inline int64_t sourceIndex(int64_t flat, const cleave_tensor *out,
                           const std::vector<int64_t> &strides) {
  int64_t index = 0;
  for (int32_t i = out->rank - 1; i >= 0; --i) {
    index += (flat % out->dims[i]) * strides[i];
    flat /= out->dims[i];
  }
  return index;
}

inline float halfToFloat(uint16_t h) {
  uint32_t sign = (h & 0x8000u) << 16, exponent = (h >> 10) & 0x1f,
           mantissa = h & 0x3ff, bits;
  if (exponent == 0) {
    if (mantissa == 0) {
      bits = sign;
    } else { // Subnormal: normalise.
      exponent = 127 - 15 + 1;
      while (!(mantissa & 0x400)) {
        mantissa <<= 1;
        --exponent;
      }
      bits = sign | exponent << 23 | (mantissa & 0x3ff) << 13;
    }
  } else if (exponent == 31) {
    bits = sign | 0x7f800000u | mantissa << 13;
  } else {
    bits = sign | (exponent + 127 - 15) << 23 | mantissa << 13;
  }
  float f;
  std::memcpy(&f, &bits, 4);
  return f;
}

inline uint16_t floatToHalf(float f) {
  uint32_t bits;
  std::memcpy(&bits, &f, 4);
  uint32_t sign = (bits >> 16) & 0x8000u;
  int32_t exponent = (int32_t)((bits >> 23) & 0xff) - 127 + 15;
  uint32_t mantissa = bits & 0x7fffff;
  if (((bits >> 23) & 0xff) == 0xff) // Inf or NaN.
    return (uint16_t)(sign | 0x7c00u | (mantissa ? 0x200u : 0));
  if (exponent >= 31)
    return (uint16_t)(sign | 0x7c00u);
  if (exponent <= 0) { // Subnormal or zero, rounded to nearest even.
    if (exponent < -10)
      return (uint16_t)sign;
    mantissa |= 0x800000;
    uint32_t shift = 14 - exponent;
    uint32_t half = mantissa >> shift, rest = mantissa & ((1u << shift) - 1);
    uint32_t midpoint = 1u << (shift - 1);
    if (rest > midpoint || (rest == midpoint && (half & 1)))
      ++half;
    return (uint16_t)(sign | half);
  }
  uint32_t half = sign | (uint32_t)exponent << 10 | mantissa >> 13;
  uint32_t rest = mantissa & 0x1fff;
  if (rest > 0x1000 || (rest == 0x1000 && (half & 1)))
    ++half; // May carry into the exponent, which is still correct.
  return (uint16_t)half;
}

inline bool isFloat(cleave_dtype t) {
  return t == CLEAVE_DTYPE_F32 || t == CLEAVE_DTYPE_F64 ||
         t == CLEAVE_DTYPE_F16 || t == CLEAVE_DTYPE_BF16;
}

inline double loadFloat(const void *p, cleave_dtype t) {
  switch (t) {
  case CLEAVE_DTYPE_F32:
    return *(const float *)p;
  case CLEAVE_DTYPE_F64:
    return *(const double *)p;
  case CLEAVE_DTYPE_F16:
    return halfToFloat(*(const uint16_t *)p);
  default: { // bf16: the high half of an f32.
    uint32_t bits = (uint32_t)(*(const uint16_t *)p) << 16;
    float f;
    std::memcpy(&f, &bits, 4);
    return f;
  }
  }
}

inline int64_t loadInt(const void *p, cleave_dtype t) {
  switch (t) {
  case CLEAVE_DTYPE_I8:
    return *(const int8_t *)p;
  case CLEAVE_DTYPE_I16:
    return *(const int16_t *)p;
  case CLEAVE_DTYPE_I32:
    return *(const int32_t *)p;
  case CLEAVE_DTYPE_I64:
    return *(const int64_t *)p;
  case CLEAVE_DTYPE_U8:
  case CLEAVE_DTYPE_BOOL:
    return *(const uint8_t *)p;
  case CLEAVE_DTYPE_U16:
    return *(const uint16_t *)p;
  case CLEAVE_DTYPE_U32:
    return *(const uint32_t *)p;
  default:
    return (int64_t) * (const uint64_t *)p;
  }
}

inline void storeFloat(void *p, cleave_dtype t, double v) {
  switch (t) {
  case CLEAVE_DTYPE_F32:
    *(float *)p = (float)v;
    break;
  case CLEAVE_DTYPE_F64:
    *(double *)p = v;
    break;
  case CLEAVE_DTYPE_F16:
    *(uint16_t *)p = floatToHalf((float)v);
    break;
  default: { // bf16, rounded to nearest even.
    float f = (float)v;
    uint32_t bits;
    std::memcpy(&bits, &f, 4);
    if (std::isnan(f))
      bits = 0x7fc00000u;
    else
      bits += 0x7fff + ((bits >> 16) & 1);
    *(uint16_t *)p = (uint16_t)(bits >> 16);
  }
  }
}

inline void storeInt(void *p, cleave_dtype t, int64_t v) {
  switch (t) {
  case CLEAVE_DTYPE_I8:
    *(int8_t *)p = (int8_t)v;
    break;
  case CLEAVE_DTYPE_I16:
    *(int16_t *)p = (int16_t)v;
    break;
  case CLEAVE_DTYPE_I32:
    *(int32_t *)p = (int32_t)v;
    break;
  case CLEAVE_DTYPE_I64:
    *(int64_t *)p = v;
    break;
  case CLEAVE_DTYPE_U8:
    *(uint8_t *)p = (uint8_t)v;
    break;
  case CLEAVE_DTYPE_BOOL:
    *(uint8_t *)p = v != 0;
    break;
  case CLEAVE_DTYPE_U16:
    *(uint16_t *)p = (uint16_t)v;
    break;
  case CLEAVE_DTYPE_U32:
    *(uint32_t *)p = (uint32_t)v;
    break;
  default:
    *(uint64_t *)p = (uint64_t)v;
    break;
  }
}

/// Row-major element strides of `t`.
inline std::vector<int64_t> rowMajorStrides(const cleave_tensor *t) {
  std::vector<int64_t> stride(t->rank, 1);
  for (int32_t i = t->rank - 2; i >= 0; --i)
    stride[i] = stride[i + 1] * t->dims[i + 1];
  return stride;
}

/// to[i * toStep + j] = from[i + j * fromStep] for i, j < 4, for 4-byte
/// elements: four 4-element loads, eight shuffles and four stores.
template <typename T>
inline void transpose4x4(const T *from, int64_t fromStep, T *to,
                         int64_t toStep) {
  static_assert(sizeof(T) == 4);
  using V = uint32_t __attribute__((vector_size(16)));
  using Unaligned = uint32_t __attribute__((vector_size(16), aligned(4)));
  using Mask = int32_t __attribute__((vector_size(16)));
  V v0 = *(const Unaligned *)from, v1 = *(const Unaligned *)(from + fromStep),
    v2 = *(const Unaligned *)(from + 2 * fromStep),
    v3 = *(const Unaligned *)(from + 3 * fromStep);
  V t0 = __builtin_shuffle(v0, v1, Mask{0, 4, 1, 5}),
    t1 = __builtin_shuffle(v0, v1, Mask{2, 6, 3, 7}),
    t2 = __builtin_shuffle(v2, v3, Mask{0, 4, 1, 5}),
    t3 = __builtin_shuffle(v2, v3, Mask{2, 6, 3, 7});
  *(Unaligned *)to = __builtin_shuffle(t0, t2, Mask{0, 1, 4, 5});
  *(Unaligned *)(to + toStep) = __builtin_shuffle(t0, t2, Mask{2, 3, 6, 7});
  *(Unaligned *)(to + 2 * toStep) = __builtin_shuffle(t1, t3, Mask{0, 1, 4, 5});
  *(Unaligned *)(to + 3 * toStep) = __builtin_shuffle(t1, t3, Mask{2, 3, 6, 7});
}

/// y[index] = x[base + sum of index[i] * step[i]]: slices, transposes,
/// broadcasts and other strided views, copied row by row.
inline void stridedCopy(const cleave_tensor *x, int64_t base,
                        const std::vector<int64_t> &step, cleave_tensor *y) {
  if (cleave_tensor_num_elements(y) == 0)
    return;
  size_t width = cleave_dtype_size(x->dtype);
  const char *in = (const char *)x->data + base * width;
  char *out = (char *)y->data;
  const int64_t *strides[1] = {step.data()};
  auto space = cleave::runtime::simplify<1>(y->rank, y->dims, strides);
  // A transpose of the last two axes (after merging: an image's channels
  // moved last or first, a sequence's features and steps swapped): each
  // output row would read a column of the input, one cache line per
  // element. Tiles of kTile x kTile instead read input rows and write
  // output rows that stay in cache while the tile is done; rows of fewer
  // than 4 elements (an image's 3 channels moved last) take tiles of
  // kTile * kTile rows, whose columns are long contiguous reads.
  int32_t rank = space.rank;
  int64_t rows = rank >= 2 ? space.dims[rank - 2] : 0,
          length = rank >= 2 ? space.dims[rank - 1] : 0;
  constexpr int64_t kTile = 32;
  if ((rank == 2 || rank == 3) && space.strides[0][rank - 2] == 1 &&
      space.strides[0][rank - 1] != 1 && rows * length >= kTile * kTile &&
      cleave::runtime::withElementType(width, [&](auto type) {
        using T = decltype(type);
        int64_t images = rank == 3 ? space.dims[0] : 1,
                imageStep = rank == 3 ? space.strides[0][0] : 0,
                step = space.strides[0][rank - 1];
        int64_t tileRows = length < 4 ? kTile * kTile : kTile;
        int64_t rowTiles = (rows + tileRows - 1) / tileRows,
                columnTiles = (length + kTile - 1) / kTile;
#pragma omp parallel for collapse(3) if (images * rows * length > 65536)
        for (int64_t image = 0; image < images; ++image)
          for (int64_t rowTile = 0; rowTile < rowTiles; ++rowTile)
            for (int64_t columnTile = 0; columnTile < columnTiles;
                 ++columnTile) {
              const T *from = (const T *)in + image * imageStep;
              T *to = (T *)out + image * rows * length;
              int64_t r0 = rowTile * tileRows, c0 = columnTile * kTile;
              int64_t r1 = std::min(rows, r0 + tileRows),
                      c1 = std::min(length, c0 + kTile);
              int64_t r = r0;
              if constexpr (sizeof(T) == 4)
                for (; length >= 4 && r + 4 <= r1; r += 4) {
                  int64_t c = c0;
                  for (; c + 4 <= c1; c += 4)
                    transpose4x4(from + r + c * step, step, to + r * length + c,
                                 length);
                  for (; c < c1; ++c)
                    for (int64_t i = r; i < r + 4; ++i)
                      to[i * length + c] = from[i + c * step];
                }
              for (int64_t c = c0; c < c1; ++c)
                for (int64_t i = r; i < r1; ++i)
                  to[i * length + c] = from[i + c * step];
            }
      }))
    return;
  cleave::runtime::forEachRow(space, [&](int64_t r, const int64_t *offsets,
                                         int64_t length, const int64_t *steps) {
    cleave::runtime::copyRow(out + r * length * width, in + offsets[0] * width,
                             length, steps[0], width);
  });
}

inline cleave_status sameType(const char *kernel, const cleave_tensor *x,
                              const cleave_tensor *y) {
  if (x->dtype != y->dtype || !cleave_dtype_size(x->dtype))
    return CLEAVE_ERROR(CLEAVE_INVALID_ARGUMENT,
                        std::string(kernel) + ": element types differ");
  return nullptr;
}

/// Gather's indices (i32 or i64) made non-negative for an axis of `dim`;
/// an index out of [-dim, dim) is an error naming `kernel`.
inline cleave_status gatherIndices(const char *kernel,
                                   const cleave_tensor *indices, int64_t dim,
                                   std::vector<int64_t> &out) {
  if (indices->dtype != CLEAVE_DTYPE_I64 && indices->dtype != CLEAVE_DTYPE_I32)
    return CLEAVE_ERROR(CLEAVE_UNSUPPORTED, std::string(kernel) +
                                                ": indices must be i32 or i64");
  int64_t count = cleave_tensor_num_elements(indices);
  out.resize(count);
  for (int64_t i = 0; i < count; ++i) {
    int64_t v = indices->dtype == CLEAVE_DTYPE_I64
                    ? ((const int64_t *)indices->data)[i]
                    : ((const int32_t *)indices->data)[i];
    if (v < -dim || v >= dim)
      return CLEAVE_ERROR(CLEAVE_INVALID_ARGUMENT,
                          std::string(kernel) + ": index " + std::to_string(v) +
                              " is out of range for an axis of size " +
                              std::to_string(dim));
    out[i] = v < 0 ? v + dim : v;
  }
  return nullptr;
}

} // namespace cleave::data

#endif // CLEAVE_LIB_RUNTIME_ELEMENTACCESS_H
