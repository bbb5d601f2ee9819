//===- DataKernels.cpp - data movement and conversions, any element type --===//
//
// Loops over output positions that copy whole elements by size, so one
// kernel serves every element type. Numeric conversions go through double
// (or int64 for integers, so large values stay exact).
//
//===----------------------------------------------------------------------===//

#include "StatusInternal.h"
#include "StridedLoops.h"
#include "cleave/Runtime/CpuKernels.h"
#include <algorithm>
#include <cmath>
#include <cstring>
#include <map>
#include <string>
#include <vector>

namespace {

/// Row-major strides of `t`, with 0 where `t`'s dim is 1 and `shape`'s is
/// not (NumPy broadcasting), right-aligned to `rank` axes.
std::vector<int64_t> broadcastStrides(const cleave_tensor *t, int32_t rank,
                                      const int64_t *shape) {
  std::vector<int64_t> strides(rank, 0);
  int64_t stride = 1;
  for (int32_t i = t->rank - 1, j = rank - 1; i >= 0; --i, --j) {
    strides[j] = (t->dims[i] == 1 && shape[j] != 1) ? 0 : stride;
    stride *= t->dims[i];
  }
  return strides;
}

bool broadcastsTo(const cleave_tensor *t, const cleave_tensor *out) {
  if (t->rank > out->rank)
    return false;
  for (int32_t i = t->rank - 1, j = out->rank - 1; i >= 0; --i, --j)
    if (t->dims[i] != out->dims[j] && t->dims[i] != 1)
      return false;
  return true;
}

/// Flat source index of output position `flat` for `strides`.
int64_t sourceIndex(int64_t flat, const cleave_tensor *out,
                    const std::vector<int64_t> &strides) {
  int64_t index = 0;
  for (int32_t i = out->rank - 1; i >= 0; --i) {
    index += (flat % out->dims[i]) * strides[i];
    flat /= out->dims[i];
  }
  return index;
}

float halfToFloat(uint16_t h) {
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

uint16_t floatToHalf(float f) {
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

bool isFloat(cleave_dtype t) {
  return t == CLEAVE_DTYPE_F32 || t == CLEAVE_DTYPE_F64 ||
         t == CLEAVE_DTYPE_F16 || t == CLEAVE_DTYPE_BF16;
}

double loadFloat(const void *p, cleave_dtype t) {
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

int64_t loadInt(const void *p, cleave_dtype t) {
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

void storeFloat(void *p, cleave_dtype t, double v) {
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

void storeInt(void *p, cleave_dtype t, int64_t v) {
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
std::vector<int64_t> rowMajorStrides(const cleave_tensor *t) {
  std::vector<int64_t> stride(t->rank, 1);
  for (int32_t i = t->rank - 2; i >= 0; --i)
    stride[i] = stride[i + 1] * t->dims[i + 1];
  return stride;
}

/// y[index] = x[base + sum of index[i] * step[i]]: slices, transposes,
/// broadcasts and other strided views, copied row by row.
void stridedCopy(const cleave_tensor *x, int64_t base,
                 const std::vector<int64_t> &step, cleave_tensor *y) {
  if (cleave_tensor_num_elements(y) == 0)
    return;
  size_t width = cleave_dtype_size(x->dtype);
  const char *in = (const char *)x->data + base * width;
  char *out = (char *)y->data;
  const int64_t *strides[1] = {step.data()};
  auto space = cleave::runtime::simplify<1>(y->rank, y->dims, strides);
  cleave::runtime::forEachRow(
      space, [&](int64_t r, const int64_t *offsets, int64_t length,
                 const int64_t *steps) {
        cleave::runtime::copyRow(out + r * length * width,
                                 in + offsets[0] * width, length, steps[0],
                                 width);
      });
}

cleave_status sameType(const char *kernel, const cleave_tensor *x,
                       const cleave_tensor *y) {
  if (x->dtype != y->dtype || !cleave_dtype_size(x->dtype))
    return CLEAVE_ERROR(CLEAVE_INVALID_ARGUMENT,
                        std::string(kernel) + ": element types differ");
  return nullptr;
}

} // namespace

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
  if (indices->dtype != CLEAVE_DTYPE_I64 && indices->dtype != CLEAVE_DTYPE_I32)
    return CLEAVE_ERROR(CLEAVE_UNSUPPORTED, "gather: indices must be i32 or "
                                            "i64");
  if (axis < 0 || axis >= data->rank)
    return CLEAVE_ERROR(CLEAVE_INVALID_ARGUMENT, "gather: bad axis");
  size_t width = cleave_dtype_size(data->dtype);
  int64_t outer = 1, inner = 1, dim = data->dims[axis];
  for (int32_t i = 0; i < axis; ++i)
    outer *= data->dims[i];
  for (int32_t i = axis + 1; i < data->rank; ++i)
    inner *= data->dims[i];
  int64_t count = cleave_tensor_num_elements(indices);
  std::vector<int64_t> index(count);
  for (int64_t i = 0; i < count; ++i) {
    int64_t v = indices->dtype == CLEAVE_DTYPE_I64
                    ? ((const int64_t *)indices->data)[i]
                    : ((const int32_t *)indices->data)[i];
    if (v < -dim || v >= dim)
      return CLEAVE_ERROR(CLEAVE_INVALID_ARGUMENT,
                          "gather: index " + std::to_string(v) +
                              " is out of range for an axis of size " +
                              std::to_string(dim));
    index[i] = v < 0 ? v + dim : v;
  }
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

cleave_status cleave_cpu_einsum(const char *equation,
                                const cleave_tensor *const *inputs,
                                int32_t count, cleave_tensor *y) {
  auto fail = [&](const std::string &why) {
    return CLEAVE_ERROR(CLEAVE_INVALID_ARGUMENT,
                        "einsum '" + std::string(equation) + "': " + why);
  };
  for (int32_t k = 0; k < count; ++k)
    if (!isFloat(inputs[k]->dtype) || inputs[k]->dtype != y->dtype)
      return fail("inputs and output must share one float type");
  std::string text;
  for (const char *c = equation; *c; ++c)
    if (*c != ' ')
      text += *c;
  size_t arrow = text.find("->");
  std::string lhs = text.substr(0, arrow), rhs;
  bool explicitOutput = arrow != std::string::npos;
  if (explicitOutput)
    rhs = text.substr(arrow + 2);
  std::vector<std::string> terms;
  for (size_t start = 0;;) {
    size_t comma = lhs.find(',', start);
    terms.push_back(lhs.substr(start, comma - start));
    if (comma == std::string::npos)
      break;
    start = comma + 1;
  }
  if ((int32_t)terms.size() != count)
    return fail("it names " + std::to_string(terms.size()) +
                " inputs but has " + std::to_string(count));
  // "..." stands for the leading dims no letter names: letters '\1', '\2',
  // ... aligned to the right across inputs (NumPy broadcasting).
  int32_t ellipsis = 0;
  for (int32_t k = 0; k < count; ++k) {
    size_t at = terms[k].find("...");
    int32_t named = (int32_t)terms[k].size() - (at == std::string::npos ? 0 : 3);
    if (at != std::string::npos)
      ellipsis = std::max(ellipsis, inputs[k]->rank - named);
    else if (named != inputs[k]->rank)
      return fail("term '" + terms[k] + "' does not match rank " +
                  std::to_string(inputs[k]->rank));
  }
  auto expand = [&](const std::string &term, int32_t dims) {
    size_t at = term.find("...");
    if (at == std::string::npos)
      return term;
    std::string filled;
    for (int32_t i = ellipsis - dims; i < ellipsis; ++i)
      filled += (char)(1 + i);
    return term.substr(0, at) + filled + term.substr(at + 3);
  };
  for (int32_t k = 0; k < count; ++k) {
    size_t at = terms[k].find("...");
    int32_t named = (int32_t)terms[k].size() - (at == std::string::npos ? 0 : 3);
    terms[k] = expand(terms[k], inputs[k]->rank - named);
  }
  std::map<char, int64_t> size;
  std::map<char, int> uses;
  for (int32_t k = 0; k < count; ++k)
    for (size_t i = 0; i < terms[k].size(); ++i) {
      char c = terms[k][i];
      int64_t d = inputs[k]->dims[i];
      auto it = size.find(c);
      if (it != size.end() && it->second != d && it->second != 1 && d != 1)
        return fail(std::string("dim '") + c + "' has sizes " +
                    std::to_string(it->second) + " and " + std::to_string(d));
      size[c] = it == size.end() ? d : std::max(it->second, d);
      ++uses[c];
    }
  std::string output;
  if (explicitOutput) {
    output = expand(rhs, ellipsis);
  } else { // Ellipsis dims, then letters used once, in order.
    for (int32_t i = 0; i < ellipsis; ++i)
      output += (char)(1 + i);
    for (auto [c, n] : uses)
      if (n == 1 && c > 8)
        output += c;
  }
  if ((int32_t)output.size() != y->rank)
    return fail("the output has rank " + std::to_string(y->rank));
  std::string letters = output;
  for (auto [c, n] : size)
    if (output.find(c) == std::string::npos)
      letters += c;
  std::vector<int64_t> dims;
  for (char c : letters) {
    if (!size.count(c))
      return fail(std::string("output dim '") + c + "' is not an input dim");
    dims.push_back(size[c]);
  }
  for (size_t i = 0; i < output.size(); ++i)
    if (dims[i] != y->dims[i])
      return fail("the output shape does not match the equation");
  // Each input's element stride along each letter (repeats add up: a
  // diagonal; size-1 dims broadcast with stride 0).
  std::vector<std::vector<int64_t>> strides(count,
                                            std::vector<int64_t>(letters.size()));
  for (int32_t k = 0; k < count; ++k) {
    std::vector<int64_t> s = rowMajorStrides(inputs[k]);
    for (size_t i = 0; i < terms[k].size(); ++i)
      if (inputs[k]->dims[i] != 1)
        strides[k][letters.find(terms[k][i])] += s[i];
  }
  int64_t outCount = 1, sumCount = 1;
  for (size_t i = 0; i < letters.size(); ++i)
    (i < output.size() ? outCount : sumCount) *= dims[i];
  size_t outWidth = cleave_dtype_size(y->dtype);
  for (int64_t o = 0; o < outCount; ++o) {
    std::vector<int64_t> base(count, 0);
    int64_t rest = o;
    for (int64_t i = (int64_t)output.size() - 1; i >= 0; --i) {
      int64_t at = rest % dims[i];
      rest /= dims[i];
      for (int32_t k = 0; k < count; ++k)
        base[k] += at * strides[k][i];
    }
    double total = 0;
    for (int64_t s = 0; s < sumCount; ++s) {
      double product = 1;
      int64_t r = s;
      std::vector<int64_t> offset = base;
      for (int64_t i = (int64_t)letters.size() - 1;
           i >= (int64_t)output.size(); --i) {
        int64_t at = r % dims[i];
        r /= dims[i];
        for (int32_t k = 0; k < count; ++k)
          offset[k] += at * strides[k][i];
      }
      for (int32_t k = 0; k < count; ++k)
        product *= loadFloat((const char *)inputs[k]->data +
                                 offset[k] * cleave_dtype_size(inputs[k]->dtype),
                             inputs[k]->dtype);
      total += product;
    }
    storeFloat((char *)y->data + o * outWidth, y->dtype, total);
  }
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

cleave_status cleave_cpu_binary_loop(cleave_binary_op op,
                                     const cleave_tensor *a,
                                     const cleave_tensor *b, cleave_tensor *y) {
  bool pow = op == CLEAVE_BINARY_POW;
  if ((a->dtype != y->dtype || (!pow && b->dtype != y->dtype)) ||
      !broadcastsTo(a, y) || !broadcastsTo(b, y) ||
      !cleave_dtype_size(b->dtype))
    return CLEAVE_ERROR(CLEAVE_INVALID_ARGUMENT,
                        "binary: inputs differ in type or do not broadcast");
  bool logical = op >= CLEAVE_BINARY_AND;
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
      default:
        break;
      }
      storeInt(dst, y->dtype, r);
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

} // extern "C"
