//===- DataKernels.cpp - data movement and conversions, any element type ----===//
//
// Loops over output positions that copy whole elements by size, so one
// kernel serves every element type. Numeric conversions go through double
// (or int64 for integers, so large values stay exact).
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

extern "C" {

cleave_status cleave_cpu_slice(const cleave_tensor *x, const int64_t *starts,
                               const int64_t *steps, cleave_tensor *y) {
  CLEAVE_RETURN_IF_ERROR(sameType("slice", x, y));
  if (x->rank != y->rank)
    return CLEAVE_ERROR(CLEAVE_INVALID_ARGUMENT, "slice: ranks differ");
  for (int32_t i = 0; i < x->rank; ++i)
    if (y->dims[i] > 0 &&
        (starts[i] < 0 || starts[i] >= x->dims[i] ||
         starts[i] + (y->dims[i] - 1) * steps[i] < 0 ||
         starts[i] + (y->dims[i] - 1) * steps[i] >= x->dims[i]))
      return CLEAVE_ERROR(CLEAVE_INVALID_ARGUMENT,
                          "slice: axis " + std::to_string(i) +
                              " reads outside the input");
  std::vector<int64_t> stride = rowMajorStrides(x), step(x->rank);
  int64_t base = 0;
  for (int32_t i = 0; i < x->rank; ++i) {
    base += starts[i] * stride[i];
    step[i] = steps[i] * stride[i];
  }
  stridedCopy(x, base, step, y);
  return nullptr;
}

cleave_status cleave_cpu_transpose(const cleave_tensor *x, const int64_t *perm,
                                   cleave_tensor *y) {
  CLEAVE_RETURN_IF_ERROR(sameType("transpose", x, y));
  if (x->rank != y->rank)
    return CLEAVE_ERROR(CLEAVE_INVALID_ARGUMENT, "transpose: ranks differ");
  std::vector<int64_t> stride = rowMajorStrides(x), step(x->rank);
  for (int32_t i = 0; i < x->rank; ++i) {
    if (perm[i] < 0 || perm[i] >= x->rank || y->dims[i] != x->dims[perm[i]])
      return CLEAVE_ERROR(CLEAVE_INVALID_ARGUMENT,
                          "transpose: y's shape is not x's permuted");
    step[i] = stride[perm[i]];
  }
  stridedCopy(x, 0, step, y);
  return nullptr;
}

cleave_status cleave_cpu_gather(const cleave_tensor *data,
                                const cleave_tensor *indices, int32_t axis,
                                cleave_tensor *y) {
  CLEAVE_RETURN_IF_ERROR(sameType("gather", data, y));
  if (axis < 0 || axis >= data->rank)
    return CLEAVE_ERROR(CLEAVE_INVALID_ARGUMENT, "gather: bad axis");
  size_t width = cleave_dtype_size(data->dtype);
  int64_t outer = 1, inner = 1, dim = data->dims[axis];
  for (int32_t i = 0; i < axis; ++i)
    outer *= data->dims[i];
  for (int32_t i = axis + 1; i < data->rank; ++i)
    inner *= data->dims[i];
  std::vector<int64_t> index;
  CLEAVE_RETURN_IF_ERROR(gatherIndices("gather", indices, dim, index));
  int64_t count = (int64_t)index.size();
  const char *in = (const char *)data->data;
  char *out = (char *)y->data;
  size_t chunk = inner * width;
  for (int64_t o = 0; o < outer; ++o)
    for (int64_t i = 0; i < count; ++i)
      std::memcpy(out + (o * count + i) * chunk,
                  in + (o * dim + index[i]) * chunk, chunk);
  return nullptr;
}

cleave_status cleave_cpu_expand(const cleave_tensor *x, cleave_tensor *y) {
  if (x->data == y->data) // Planned in place: already there.
    return nullptr;
  CLEAVE_RETURN_IF_ERROR(sameType("expand", x, y));
  if (!broadcastsTo(x, y))
    return CLEAVE_ERROR(CLEAVE_INVALID_ARGUMENT,
                        "expand: input does not broadcast to the output");
  stridedCopy(x, 0, broadcastStrides(x, y->rank, y->dims), y);
  return nullptr;
}

cleave_status cleave_cpu_tile(const cleave_tensor *x, cleave_tensor *y) {
  CLEAVE_RETURN_IF_ERROR(sameType("tile", x, y));
  if (x->rank != y->rank)
    return CLEAVE_ERROR(CLEAVE_INVALID_ARGUMENT, "tile: ranks differ");
  size_t width = cleave_dtype_size(x->dtype);
  int64_t count = cleave_tensor_num_elements(y);
  const char *in = (const char *)x->data;
  char *out = (char *)y->data;
#pragma omp parallel for
  for (int64_t flat = 0; flat < count; ++flat) {
    int64_t rest = flat, index = 0, stride = 1;
    for (int32_t i = y->rank - 1; i >= 0; --i) {
      index += ((rest % y->dims[i]) % x->dims[i]) * stride;
      rest /= y->dims[i];
      stride *= x->dims[i];
    }
    std::memcpy(out + flat * width, in + index * width, width);
  }
  return nullptr;
}

cleave_status cleave_cpu_where(const cleave_tensor *condition,
                               const cleave_tensor *x, const cleave_tensor *y,
                               cleave_tensor *out) {
  CLEAVE_RETURN_IF_ERROR(sameType("where", x, out));
  CLEAVE_RETURN_IF_ERROR(sameType("where", y, out));
  if (condition->dtype != CLEAVE_DTYPE_BOOL || !broadcastsTo(condition, out) ||
      !broadcastsTo(x, out) || !broadcastsTo(y, out))
    return CLEAVE_ERROR(CLEAVE_INVALID_ARGUMENT,
                        "where: inputs do not broadcast to the output");
  if (cleave_tensor_num_elements(out) == 0)
    return nullptr;
  size_t width = cleave_dtype_size(out->dtype);
  std::vector<int64_t> c = broadcastStrides(condition, out->rank, out->dims),
                       a = broadcastStrides(x, out->rank, out->dims),
                       b = broadcastStrides(y, out->rank, out->dims);
  const int64_t *strides[3] = {c.data(), a.data(), b.data()};
  auto space = cleave::runtime::simplify<3>(out->rank, out->dims, strides);
  const uint8_t *pc = (const uint8_t *)condition->data;
  const char *pa = (const char *)x->data, *pb = (const char *)y->data;
  char *po = (char *)out->data;
  cleave::runtime::forEachRow(space, [&](int64_t r, const int64_t *offsets,
                                         int64_t length, const int64_t *steps) {
    // Element types are 1, 2, 4 or 8 bytes wide.
    cleave::runtime::withElementType(width, [&](auto type) {
      using T = decltype(type);
      T *o = (T *)po + r * length;
      const uint8_t *rc = pc + offsets[0];
      const T *ra = (const T *)pa + offsets[1], *rb = (const T *)pb + offsets[2];
      for (int64_t i = 0; i < length; ++i)
        o[i] = rc[i * steps[0]] ? ra[i * steps[1]] : rb[i * steps[2]];
    });
  });
  return nullptr;
}

cleave_status cleave_cpu_top_k(const cleave_tensor *x, int32_t axis,
                               int32_t largest, cleave_tensor *values,
                               cleave_tensor *indices) {
  CLEAVE_RETURN_IF_ERROR(sameType("top_k", x, values));
  if (indices->dtype != CLEAVE_DTYPE_I64 || axis < 0 || axis >= x->rank ||
      values->rank != x->rank || indices->rank != x->rank)
    return CLEAVE_ERROR(CLEAVE_INVALID_ARGUMENT,
                        "top_k: bad axis, ranks or index type");
  int64_t dim = x->dims[axis], k = values->dims[axis];
  if (k > dim || indices->dims[axis] != k)
    return CLEAVE_ERROR(CLEAVE_INVALID_ARGUMENT,
                        "top_k: k is larger than the axis");
  int64_t outer = 1, inner = 1;
  for (int32_t i = 0; i < axis; ++i)
    outer *= x->dims[i];
  for (int32_t i = axis + 1; i < x->rank; ++i)
    inner *= x->dims[i];
  size_t width = cleave_dtype_size(x->dtype);
  bool floating = isFloat(x->dtype);
  const char *in = (const char *)x->data;
  char *out = (char *)values->data;
  int64_t *index = (int64_t *)indices->data;
  auto key = [&](int64_t flat) {
    const char *p = in + flat * width;
    return floating ? loadFloat(p, x->dtype) : (double)loadInt(p, x->dtype);
  };
#pragma omp parallel for
  for (int64_t o = 0; o < outer * inner; ++o) {
    int64_t base = (o / inner) * dim * inner + o % inner;
    std::vector<int64_t> order(dim);
    for (int64_t i = 0; i < dim; ++i)
      order[i] = i;
    // Sorted by value, ties by the lower index (as onnxruntime does).
    std::partial_sort(order.begin(), order.begin() + k, order.end(),
                      [&](int64_t a, int64_t b) {
                        double va = key(base + a * inner),
                               vb = key(base + b * inner);
                        if (va != vb)
                          return largest ? va > vb : va < vb;
                        return a < b;
                      });
    int64_t outBase = (o / inner) * k * inner + o % inner;
    for (int64_t j = 0; j < k; ++j) {
      std::memcpy(out + (outBase + j * inner) * width,
                  in + (base + order[j] * inner) * width, width);
      index[outBase + j * inner] = order[j];
    }
  }
  return nullptr;
}

namespace {

/// Constant padding that only adds (every input element lands in the
/// output, as the gradient of a slice pads): fills the output, then copies
/// the input's rows into place. False when some pad crops.
bool padByRows(const cleave_tensor *x, const int64_t *begin,
               const std::vector<char> &fill, cleave_tensor *y) {
  int32_t rank = x->rank;
  for (int32_t i = 0; i < rank; ++i)
    if (begin[i] < 0 || begin[i] + x->dims[i] > y->dims[i])
      return false;
  size_t width = fill.size();
  int64_t count = cleave_tensor_num_elements(y);
  char *out = (char *)y->data;
  if (std::all_of(fill.begin(), fill.end(), [](char c) { return c == 0; }))
    std::memset(out, 0, count * width);
  else
    for (int64_t i = 0; i < count; ++i)
      std::memcpy(out + i * width, fill.data(), width);
  int64_t elements = cleave_tensor_num_elements(x);
  if (elements == 0)
    return true;
  if (rank == 0) {
    std::memcpy(out, x->data, width);
    return true;
  }
  std::vector<int64_t> yStride = rowMajorStrides(y);
  int64_t row = x->dims[rank - 1];
  std::vector<int64_t> index(rank, 0); // Of the row, in x (the last is 0).
  const char *in = (const char *)x->data;
  for (int64_t r = 0; r < elements / row; ++r) {
    int64_t offset = 0;
    for (int32_t i = 0; i < rank; ++i)
      offset += (index[i] + begin[i]) * yStride[i];
    std::memcpy(out + offset * width, in + r * row * width, row * width);
    for (int32_t i = rank - 2; i >= 0 && ++index[i] == x->dims[i]; --i)
      index[i] = 0;
  }
  return true;
}

} // namespace

cleave_status cleave_cpu_pad(const cleave_tensor *x, const int64_t *begin,
                             cleave_pad_mode mode, double value,
                             cleave_tensor *y) {
  CLEAVE_RETURN_IF_ERROR(sameType("pad", x, y));
  if (x->rank != y->rank)
    return CLEAVE_ERROR(CLEAVE_INVALID_ARGUMENT, "pad: ranks differ");
  for (int32_t i = 0; i < x->rank; ++i)
    if (mode != CLEAVE_PAD_CONSTANT && x->dims[i] == 0 && y->dims[i] > 0)
      return CLEAVE_ERROR(CLEAVE_INVALID_ARGUMENT,
                          "pad: edge and reflect need a non-empty axis");
  size_t width = cleave_dtype_size(x->dtype);
  // The fill value in the element type.
  std::vector<char> fill(width);
  if (isFloat(x->dtype))
    storeFloat(fill.data(), x->dtype, value);
  else
    storeInt(fill.data(), x->dtype, (int64_t)value);
  if (mode == CLEAVE_PAD_CONSTANT && padByRows(x, begin, fill, y))
    return nullptr;
  std::vector<int64_t> stride = rowMajorStrides(x);
  int64_t count = cleave_tensor_num_elements(y);
  const char *in = (const char *)x->data;
  char *out = (char *)y->data;
#pragma omp parallel for
  for (int64_t flat = 0; flat < count; ++flat) {
    int64_t rest = flat, index = 0;
    bool outside = false;
    for (int32_t i = y->rank - 1; i >= 0; --i) {
      int64_t p = rest % y->dims[i] - begin[i], n = x->dims[i];
      rest /= y->dims[i];
      if (p < 0 || p >= n) {
        if (mode == CLEAVE_PAD_CONSTANT) {
          outside = true;
          continue;
        }
        if (mode == CLEAVE_PAD_EDGE) {
          p = p < 0 ? 0 : n - 1;
        } else { // Reflect without repeating the edge.
          int64_t period = n > 1 ? 2 * (n - 1) : 1;
          p = ((p % period) + period) % period;
          if (p >= n)
            p = period - p;
        }
      }
      index += p * stride[i];
    }
    std::memcpy(out + flat * width, outside ? fill.data() : in + index * width,
                width);
  }
  return nullptr;
}

} // extern "C"

namespace {
/// Calls f with a value of the C type of `dtype`, for the common types (bool
/// as its byte); false for the others.
template <typename F> bool withType(cleave_dtype dtype, F f) {
  switch (dtype) {
  case CLEAVE_DTYPE_F32:
    return f(float()), true;
  case CLEAVE_DTYPE_F64:
    return f(double()), true;
  case CLEAVE_DTYPE_I32:
    return f(int32_t()), true;
  case CLEAVE_DTYPE_I64:
    return f(int64_t()), true;
  case CLEAVE_DTYPE_I8:
    return f(int8_t()), true;
  case CLEAVE_DTYPE_U8:
  case CLEAVE_DTYPE_BOOL:
    return f(uint8_t()), true;
  default:
    return false;
  }
}

/// The cast loop for common types into f32, f64, i32 or i64, with the
/// element loop's semantics: floats to integers truncate (non-finite: 0),
/// integers to floats go through double, integers to integers wrap.
bool castTyped(cleave_dtype from, cleave_dtype to, const char *in, char *out,
               int64_t count) {
  if (to != CLEAVE_DTYPE_F32 && to != CLEAVE_DTYPE_F64 &&
      to != CLEAVE_DTYPE_I32 && to != CLEAVE_DTYPE_I64)
    return false;
  return withType(from, [&](auto source) {
    withType(to, [&](auto target) {
      using In = decltype(source);
      using Out = decltype(target);
      const In *src = (const In *)in;
      Out *dst = (Out *)out;
#pragma omp parallel for if (count > (1 << 16))
      for (int64_t i = 0; i < count; ++i) {
        if constexpr (std::is_floating_point_v<In> &&
                      !std::is_floating_point_v<Out>) {
          double v = (double)src[i];
          dst[i] = std::isfinite(v) ? (Out)(int64_t)std::trunc(v) : Out(0);
        } else if constexpr (!std::is_floating_point_v<In> &&
                             !std::is_floating_point_v<Out>) {
          dst[i] = (Out)(int64_t)src[i]; // Wraps, as the element loop.
        } else {
          dst[i] = (Out)(double)src[i];
        }
      }
    });
  });
}
} // namespace

extern "C" {

cleave_status cleave_cpu_cast(const cleave_tensor *x, cleave_tensor *y) {
  size_t inWidth = cleave_dtype_size(x->dtype),
         outWidth = cleave_dtype_size(y->dtype);
  if (!inWidth || !outWidth || x->rank != y->rank ||
      cleave_tensor_num_elements(x) != cleave_tensor_num_elements(y))
    return CLEAVE_ERROR(CLEAVE_INVALID_ARGUMENT,
                        "cast: input and output differ in shape");
  int64_t count = cleave_tensor_num_elements(y);
  const char *in = (const char *)x->data;
  char *out = (char *)y->data;
  if (castTyped(x->dtype, y->dtype, in, out, count))
    return nullptr;
  bool fromFloat = isFloat(x->dtype), toFloat = isFloat(y->dtype);
#pragma omp parallel for
  for (int64_t i = 0; i < count; ++i) {
    const char *src = in + i * inWidth;
    char *dst = out + i * outWidth;
    if (fromFloat) {
      double v = loadFloat(src, x->dtype);
      if (toFloat)
        storeFloat(dst, y->dtype, v);
      else if (y->dtype == CLEAVE_DTYPE_BOOL)
        *(uint8_t *)dst = v != 0;
      else
        storeInt(dst, y->dtype, std::isfinite(v) ? (int64_t)std::trunc(v) : 0);
    } else {
      int64_t v = loadInt(src, x->dtype);
      if (toFloat)
        storeFloat(dst, y->dtype,
                   x->dtype == CLEAVE_DTYPE_U64 ? (double)(uint64_t)v
                                                : (double)v);
      else
        storeInt(dst, y->dtype, v);
    }
  }
  return nullptr;
}

cleave_status cleave_cpu_gather_elements(const cleave_tensor *data,
                                         const cleave_tensor *indices,
                                         int32_t axis, cleave_tensor *y) {
  CLEAVE_RETURN_IF_ERROR(sameType("gather_elements", data, y));
  if ((indices->dtype != CLEAVE_DTYPE_I64 &&
       indices->dtype != CLEAVE_DTYPE_I32) ||
      indices->rank != data->rank || y->rank != data->rank || axis < 0 ||
      axis >= data->rank)
    return CLEAVE_ERROR(CLEAVE_INVALID_ARGUMENT,
                        "gather_elements: bad indices, ranks or axis");
  size_t width = cleave_dtype_size(data->dtype);
  std::vector<int64_t> stride = rowMajorStrides(data);
  int64_t count = cleave_tensor_num_elements(y), dim = data->dims[axis];
  for (int64_t flat = 0; flat < count; ++flat) {
    int64_t v = indices->dtype == CLEAVE_DTYPE_I64
                    ? ((const int64_t *)indices->data)[flat]
                    : ((const int32_t *)indices->data)[flat];
    if (v < -dim || v >= dim)
      return CLEAVE_ERROR(CLEAVE_INVALID_ARGUMENT,
                          "gather_elements: index " + std::to_string(v) +
                              " is out of range for an axis of size " +
                              std::to_string(dim));
    if (v < 0)
      v += dim;
    int64_t rest = flat, index = 0;
    for (int32_t i = y->rank - 1; i >= 0; --i) {
      int64_t c = rest % y->dims[i];
      rest /= y->dims[i];
      index += (i == axis ? v : c) * stride[i];
    }
    std::memcpy((char *)y->data + flat * width,
                (const char *)data->data + index * width, width);
  }
  return nullptr;
}

cleave_status cleave_cpu_trilu(const cleave_tensor *x, int64_t k, int32_t upper,
                               cleave_tensor *y) {
  CLEAVE_RETURN_IF_ERROR(sameType("trilu", x, y));
  if (x->rank < 2 ||
      cleave_tensor_num_elements(x) != cleave_tensor_num_elements(y))
    return CLEAVE_ERROR(CLEAVE_INVALID_ARGUMENT,
                        "trilu: x must have rank 2 or more, as y");
  size_t width = cleave_dtype_size(x->dtype);
  int64_t rows = x->dims[x->rank - 2], cols = x->dims[x->rank - 1];
  int64_t count = cleave_tensor_num_elements(x);
  for (int64_t flat = 0; flat < count; ++flat) {
    int64_t j = flat % cols, i = (flat / cols) % std::max<int64_t>(rows, 1);
    bool keep = upper ? j - i >= k : j - i <= k;
    char *dst = (char *)y->data + flat * width;
    if (keep)
      std::memmove(dst, (const char *)x->data + flat * width, width);
    else
      std::memset(dst, 0, width);
  }
  return nullptr;
}

} // extern "C"
