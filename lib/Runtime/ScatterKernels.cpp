//===- ScatterKernels.cpp - GatherND, ScatterND, ScatterElements ----------===//
//
// Indexed reads and writes of any element type. Indices are checked (and
// made non-negative) in one pass before anything is written, so a bad index
// leaves the output untouched and names the offending value. Scatters apply
// their updates in order on one thread: with repeated indices the last
// update wins (reduction none) and reductions combine in a fixed order, so
// the result does not depend on the thread count.
//
//===----------------------------------------------------------------------===//

#include "ElementAccess.h"
#include "StatusInternal.h"
#include "cleave/Runtime/CpuKernels.h"
#include <cmath>
#include <cstring>
#include <string>
#include <vector>

using namespace cleave::data;

namespace {

int64_t product(const int64_t *dims, int32_t from, int32_t to) {
  int64_t result = 1;
  for (int32_t i = from; i < to; ++i)
    result *= dims[i];
  return result;
}

/// The index at `flat` of an i32 or i64 tensor.
int64_t indexAt(const cleave_tensor *indices, int64_t flat) {
  return indices->dtype == CLEAVE_DTYPE_I64
             ? ((const int64_t *)indices->data)[flat]
             : ((const int32_t *)indices->data)[flat];
}

cleave_status checkIndexType(const char *kernel, const cleave_tensor *indices) {
  if (indices->dtype != CLEAVE_DTYPE_I64 && indices->dtype != CLEAVE_DTYPE_I32)
    return CLEAVE_ERROR(CLEAVE_UNSUPPORTED,
                        std::string(kernel) + ": indices must be i32 or i64");
  return nullptr;
}

cleave_status outOfRange(const char *kernel, int64_t value, int64_t dim) {
  return CLEAVE_ERROR(CLEAVE_INVALID_ARGUMENT,
                      std::string(kernel) + ": index " + std::to_string(value) +
                          " is out of range for an axis of size " +
                          std::to_string(dim));
}

/// The element offsets, in data's first `k` axes after `batch` ones, of each
/// k-tuple of the last axis of `indices` (GatherND, ScatterND): tuple t of
/// batch b starts at element b * batchStride + sum_j index_j * stride_j.
cleave_status tupleOffsets(const char *kernel, const cleave_tensor *data,
                           const cleave_tensor *indices, int32_t batch,
                           std::vector<int64_t> &offsets) {
  CLEAVE_RETURN_IF_ERROR(checkIndexType(kernel, indices));
  int32_t q = indices->rank;
  int64_t k = q ? indices->dims[q - 1] : 0;
  if (q < 1 || k < 1 || batch < 0 || batch >= q || batch + k > data->rank)
    return CLEAVE_ERROR(CLEAVE_INVALID_ARGUMENT,
                        std::string(kernel) +
                            ": bad ranks, batch_dims or index length");
  for (int32_t i = 0; i < batch; ++i)
    if (indices->dims[i] != data->dims[i])
      return CLEAVE_ERROR(CLEAVE_INVALID_ARGUMENT,
                          std::string(kernel) +
                              ": data and indices differ in a batch dim");
  std::vector<int64_t> stride = rowMajorStrides(data);
  int64_t batches = product(data->dims, 0, batch);
  int64_t perBatch = product(indices->dims, batch, q - 1);
  int64_t batchStride = product(data->dims, batch, data->rank);
  offsets.resize(batches * perBatch);
  for (int64_t b = 0; b < batches; ++b)
    for (int64_t t = 0; t < perBatch; ++t) {
      int64_t tuple = b * perBatch + t, offset = b * batchStride;
      for (int64_t j = 0; j < k; ++j) {
        int64_t dim = data->dims[batch + j];
        int64_t v = indexAt(indices, tuple * k + j);
        if (v < -dim || v >= dim)
          return outOfRange(kernel, v, dim);
        offset += (v < 0 ? v + dim : v) * stride[batch + j];
      }
      offsets[tuple] = offset;
    }
  return nullptr;
}

/// NumPy's maximum and minimum: a NaN on either side wins.
template <typename T> T combine(cleave_scatter_reduction reduction, T a, T b) {
  switch (reduction) {
  case CLEAVE_SCATTER_ADD:
    return a + b;
  case CLEAVE_SCATTER_MUL:
    return a * b;
  case CLEAVE_SCATTER_MAX:
    return a != a ? a : (b != b || b > a) ? b : a;
  case CLEAVE_SCATTER_MIN:
    return a != a ? a : (b != b || b < a) ? b : a;
  case CLEAVE_SCATTER_NONE:
    break;
  }
  return b;
}

/// dst = dst (reduction) src for `count` elements of type `t`. Floats
/// combine in double: one add or multiply of two f32 (or f16, bf16) values
/// rounded back is their correctly rounded result, as in f32 arithmetic.
void update(cleave_scatter_reduction reduction, cleave_dtype t, char *dst,
            const char *src, int64_t count) {
  size_t width = cleave_dtype_size(t);
  if (reduction == CLEAVE_SCATTER_NONE) {
    std::memcpy(dst, src, count * width);
    return;
  }
  if (t == CLEAVE_DTYPE_F32) {
    float *d = (float *)dst;
    const float *s = (const float *)src;
    for (int64_t i = 0; i < count; ++i)
      d[i] = combine(reduction, d[i], s[i]);
    return;
  }
  for (int64_t i = 0; i < count; ++i, dst += width, src += width) {
    if (isFloat(t))
      storeFloat(dst, t,
                 combine(reduction, loadFloat(dst, t), loadFloat(src, t)));
    else if (t == CLEAVE_DTYPE_U64)
      storeInt(dst, t,
               (int64_t)combine(reduction, (uint64_t)loadInt(dst, t),
                                (uint64_t)loadInt(src, t)));
    else
      storeInt(dst, t, combine(reduction, loadInt(dst, t), loadInt(src, t)));
  }
}

/// y starts as data, unless the memory plan made them one buffer.
void copyUnlessSame(const cleave_tensor *data, cleave_tensor *y) {
  if (y->data != data->data)
    std::memcpy(y->data, data->data,
                cleave_tensor_num_elements(data) *
                    cleave_dtype_size(data->dtype));
}

bool sameDims(const cleave_tensor *a, const cleave_tensor *b) {
  if (a->rank != b->rank)
    return false;
  for (int32_t i = 0; i < a->rank; ++i)
    if (a->dims[i] != b->dims[i])
      return false;
  return true;
}

} // namespace

extern "C" {

cleave_status cleave_cpu_gather_nd(const cleave_tensor *data,
                                   const cleave_tensor *indices,
                                   int32_t batch_dims, cleave_tensor *y) {
  CLEAVE_RETURN_IF_ERROR(sameType("gather_nd", data, y));
  std::vector<int64_t> offsets;
  CLEAVE_RETURN_IF_ERROR(
      tupleOffsets("gather_nd", data, indices, batch_dims, offsets));
  int64_t k = indices->dims[indices->rank - 1];
  int64_t slice = product(data->dims, batch_dims + (int32_t)k, data->rank);
  if (cleave_tensor_num_elements(y) != (int64_t)offsets.size() * slice)
    return CLEAVE_ERROR(CLEAVE_INVALID_ARGUMENT,
                        "gather_nd: the output has the wrong size");
  size_t width = cleave_dtype_size(data->dtype);
  const char *in = (const char *)data->data;
  char *out = (char *)y->data;
  int64_t count = (int64_t)offsets.size();
#pragma omp parallel for if (count * slice > 65536)
  for (int64_t t = 0; t < count; ++t)
    std::memcpy(out + t * slice * width, in + offsets[t] * width,
                slice * width);
  return nullptr;
}

cleave_status cleave_cpu_scatter_nd(const cleave_tensor *data,
                                    const cleave_tensor *indices,
                                    const cleave_tensor *updates,
                                    cleave_scatter_reduction reduction,
                                    cleave_tensor *y) {
  CLEAVE_RETURN_IF_ERROR(sameType("scatter_nd", data, y));
  CLEAVE_RETURN_IF_ERROR(sameType("scatter_nd", data, updates));
  if (!sameDims(data, y))
    return CLEAVE_ERROR(CLEAVE_INVALID_ARGUMENT,
                        "scatter_nd: the output differs from data in shape");
  std::vector<int64_t> offsets;
  CLEAVE_RETURN_IF_ERROR(tupleOffsets("scatter_nd", data, indices, 0, offsets));
  int64_t k = indices->dims[indices->rank - 1];
  int64_t slice = product(data->dims, (int32_t)k, data->rank);
  if (cleave_tensor_num_elements(updates) != (int64_t)offsets.size() * slice)
    return CLEAVE_ERROR(CLEAVE_INVALID_ARGUMENT,
                        "scatter_nd: updates have the wrong size");
  copyUnlessSame(data, y);
  size_t width = cleave_dtype_size(data->dtype);
  for (size_t t = 0; t < offsets.size(); ++t)
    update(reduction, data->dtype, (char *)y->data + offsets[t] * width,
           (const char *)updates->data + t * slice * width, slice);
  return nullptr;
}

cleave_status cleave_cpu_scatter_elements(const cleave_tensor *data,
                                          const cleave_tensor *indices,
                                          const cleave_tensor *updates,
                                          int32_t axis,
                                          cleave_scatter_reduction reduction,
                                          cleave_tensor *y) {
  CLEAVE_RETURN_IF_ERROR(sameType("scatter_elements", data, y));
  CLEAVE_RETURN_IF_ERROR(sameType("scatter_elements", data, updates));
  if (!sameDims(data, y) || !sameDims(indices, updates) ||
      indices->rank != data->rank || axis < 0 || axis >= data->rank)
    return CLEAVE_ERROR(CLEAVE_INVALID_ARGUMENT,
                        "scatter_elements: bad shapes, ranks or axis");
  for (int32_t i = 0; i < data->rank; ++i)
    if (i != axis && indices->dims[i] > data->dims[i])
      return CLEAVE_ERROR(CLEAVE_INVALID_ARGUMENT,
                          "scatter_elements: indices exceed data's shape");
  std::vector<int64_t> along;
  CLEAVE_RETURN_IF_ERROR(gatherIndices("scatter_elements", indices,
                                       data->dims[axis], along));
  std::vector<int64_t> stride = rowMajorStrides(data);
  int64_t count = cleave_tensor_num_elements(indices);
  std::vector<int64_t> offsets(count);
  for (int64_t flat = 0; flat < count; ++flat) {
    int64_t rest = flat, offset = 0;
    for (int32_t i = indices->rank - 1; i >= 0; --i) {
      int64_t c = rest % indices->dims[i];
      rest /= indices->dims[i];
      offset += (i == axis ? along[flat] : c) * stride[i];
    }
    offsets[flat] = offset;
  }
  copyUnlessSame(data, y);
  size_t width = cleave_dtype_size(data->dtype);
  for (int64_t flat = 0; flat < count; ++flat)
    update(reduction, data->dtype, (char *)y->data + offsets[flat] * width,
           (const char *)updates->data + flat * width, 1);
  return nullptr;
}

} // extern "C"
