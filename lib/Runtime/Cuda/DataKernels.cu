//===- DataKernels.cu - data movement on the GPU --------------------------===//
//
// Any element type: kernels move elements of 1, 2, 4 or 8 bytes, addressed
// through Plans (IndexMath.h) built on the host.
//
//===----------------------------------------------------------------------===//

#include "CudaContext.h"
#include "HostFallback.h"
#include "IndexMath.h"

namespace cleave::cuda {
namespace {

#define GRID_STRIDE(i, n)                                                      \
  for (int64_t i = blockIdx.x * (int64_t)blockDim.x + threadIdx.x; i < (n);    \
       i += (int64_t)gridDim.x * blockDim.x)

/// Operand 0 of the plan is written from operand 1.
template <typename T>
__global__ void planCopy(Plan<2> plan, const T *x, T *y, int64_t n) {
  GRID_STRIDE(i, n) {
    int64_t o[2];
    plan.offsets(i, o);
    y[o[0]] = x[o[1]];
  }
}

/// Per-axis arrays a kernel reads, passed by value (kernel parameters), so
/// that a captured CUDA graph holds no pointer to host memory.
struct AxisArrays {
  int64_t a[CLEAVE_MAX_RANK];
  int64_t b[CLEAVE_MAX_RANK];
};

template <typename T>
__global__ void padKernel(int32_t rank, Plan<1> out, AxisArrays xDimsBegin,
                          int mode, T value, const T *x, T *y, int64_t n) {
  const int64_t *xDims = xDimsBegin.a, *begin = xDimsBegin.b;
  GRID_STRIDE(i, n) {
    int64_t rest = i, source = 0, stride = 1;
    bool inside = true;
    for (int32_t d = rank - 1; d >= 0; --d) {
      int64_t c = rest % out.dims[d];
      rest /= out.dims[d];
      int64_t s = padSource(c, begin[d], xDims[d], mode);
      inside &= s >= 0;
      source += s * stride;
      stride *= xDims[d];
    }
    y[i] = inside ? x[source] : value;
  }
}

template <typename T, typename I>
__global__ void gatherKernel(const T *data, const I *indices, T *y,
                             int64_t n, int64_t axisSize, int64_t count,
                             int64_t inner, int *error) {
  GRID_STRIDE(i, n) {
    int64_t index = (int64_t)indices[gatherPosition(i, count, inner)];
    if (!resolveIndex(index, axisSize))
      atomicOr(error, kIndexOutOfRange);
    y[i] = data[gatherSource(i, index, axisSize, count, inner)];
  }
}

template <typename T, typename I>
__global__ void gatherElementsKernel(Plan<1> out, AxisArrays strides,
                                     int32_t axis, int64_t axisSize,
                                     const T *data, const I *indices, T *y,
                                     int64_t n, int *error) {
  GRID_STRIDE(i, n) {
    int64_t index = (int64_t)indices[i];
    if (!resolveIndex(index, axisSize))
      atomicOr(error, kIndexOutOfRange);
    y[i] = data[gatherElementsSource(out, strides.a, axis, index, i)];
  }
}

template <typename T>
__global__ void triluKernel(const T *x, T *y, int64_t n, int64_t rows,
                            int64_t cols, int64_t k, int upper) {
  GRID_STRIDE(i, n) {
    int64_t j = i % cols, r = (i / cols) % rows;
    bool keep = upper ? j - r >= k : j - r <= k;
    y[i] = keep ? x[i] : T(0);
  }
}

/// Calls f(T{}) with an unsigned type of `width` bytes; false if none.
template <typename F> bool byWidth(size_t width, F &&f) {
  switch (width) {
  case 1: f(uint8_t{}); return true;
  case 2: f(uint16_t{}); return true;
  case 4: f(uint32_t{}); return true;
  case 8: f(uint64_t{}); return true;
  }
  return false;
}

cleave_status runPlan(const Plan<2> &plan, const cleave_tensor &x,
                      cleave_tensor &y, const char *what) {
  int64_t n = plan.count();
  if (n == 0)
    return nullptr;
  bool known = byWidth(cleave_dtype_size(x.dtype), [&](auto t) {
    using T = decltype(t);
    planCopy<<<blocksFor(n), 256, 0, stream()>>>(plan, (const T *)x.data,
                                                 (T *)y.data, n);
  });
  if (!known)
    return CLEAVE_ERROR(CLEAVE_UNSUPPORTED,
                        std::string(what) + ": element type " +
                            cleave_dtype_name(x.dtype));
  return CLEAVE_CUDA_LAUNCHED(what);
}

} // namespace
} // namespace cleave::cuda

using namespace cleave::cuda;

extern "C" {

cleave_status cleave_cuda_transpose(const cleave_tensor *x,
                                    const int64_t *perm, cleave_tensor *y) {
  return runPlan(transposePlan(*x, perm, *y), *x, *y, "transpose");
}

cleave_status cleave_cuda_slice(const cleave_tensor *x, const int64_t *starts,
                                const int64_t *steps, cleave_tensor *y) {
  return runPlan(slicePlan(*x, starts, steps, *y), *x, *y, "slice");
}

cleave_status cleave_cuda_expand(const cleave_tensor *x, cleave_tensor *y) {
  if (x->data == y->data) // Planned in place: already there.
    return nullptr;
  const cleave_tensor *ops[] = {x};
  return runPlan(broadcastPlan<2>(*y, ops, true), *x, *y, "expand");
}

cleave_status cleave_cuda_tile(const cleave_tensor *x, cleave_tensor *y) {
  return runPlan(tilePlan(*x, *y), *x, *y, "tile");
}

cleave_status cleave_cuda_concat(const cleave_tensor *const *inputs,
                                 int32_t count, int32_t axis,
                                 cleave_tensor *y) {
  int64_t offset = 0;
  for (int32_t i = 0; i < count; ++i) {
    CLEAVE_RETURN_IF_ERROR(runPlan(concatPlan(*inputs[i], axis, offset, *y),
                                   *inputs[i], *y, "concat"));
    offset += inputs[i]->dims[axis];
  }
  return nullptr;
}

cleave_status cleave_cuda_pad(const cleave_tensor *x, const int64_t *begin,
                              cleave_pad_mode mode, double value,
                              cleave_tensor *y) {
  bool native = x->dtype == CLEAVE_DTYPE_F32 || x->dtype == CLEAVE_DTYPE_I64 ||
                x->dtype == CLEAVE_DTYPE_I32;
  int64_t n = cleave_tensor_num_elements(y);
  if (!native || (mode != CLEAVE_PAD_CONSTANT &&
                  cleave_tensor_num_elements(x) == 0)) {
    HostMirror m;
    return m.finish(cleave_cpu_pad(m.in(x), begin, mode, value, m.out(y)));
  }
  if (n == 0)
    return nullptr;
  AxisArrays args{};
  for (int32_t d = 0; d < x->rank; ++d) {
    args.a[d] = x->dims[d];
    args.b[d] = begin[d];
  }
  Plan<1> out;
  out.rank = y->rank;
  for (int32_t d = 0; d < y->rank; ++d)
    out.dims[d] = y->dims[d];
  unsigned blocks = blocksFor(n);
  if (x->dtype == CLEAVE_DTYPE_F32)
    padKernel<<<blocks, 256, 0, stream()>>>(
        x->rank, out, args, (int)mode, (float)value,
        (const float *)x->data, (float *)y->data, n);
  else if (x->dtype == CLEAVE_DTYPE_I64)
    padKernel<<<blocks, 256, 0, stream()>>>(
        x->rank, out, args, (int)mode, (int64_t)value,
        (const int64_t *)x->data, (int64_t *)y->data, n);
  else
    padKernel<<<blocks, 256, 0, stream()>>>(
        x->rank, out, args, (int)mode, (int32_t)value,
        (const int32_t *)x->data, (int32_t *)y->data, n);
  return CLEAVE_CUDA_LAUNCHED("pad");
}

cleave_status cleave_cuda_gather(const cleave_tensor *data,
                                 const cleave_tensor *indices, int32_t axis,
                                 cleave_tensor *y) {
  int64_t n = cleave_tensor_num_elements(y);
  if (n == 0)
    return nullptr;
  int64_t inner = 1, count = cleave_tensor_num_elements(indices);
  for (int32_t d = axis + 1; d < data->rank; ++d)
    inner *= data->dims[d];
  bool i64 = indices->dtype == CLEAVE_DTYPE_I64;
  if (!i64 && indices->dtype != CLEAVE_DTYPE_I32)
    return CLEAVE_ERROR(CLEAVE_INVALID_ARGUMENT, "gather: indices must be "
                                                 "i32 or i64");
  bool known = byWidth(cleave_dtype_size(data->dtype), [&](auto t) {
    using T = decltype(t);
    if (i64)
      gatherKernel<<<blocksFor(n), 256, 0, stream()>>>(
          (const T *)data->data, (const int64_t *)indices->data, (T *)y->data,
          n, data->dims[axis], count, inner, errorFlag());
    else
      gatherKernel<<<blocksFor(n), 256, 0, stream()>>>(
          (const T *)data->data, (const int32_t *)indices->data, (T *)y->data,
          n, data->dims[axis], count, inner, errorFlag());
  });
  if (!known)
    return CLEAVE_ERROR(CLEAVE_UNSUPPORTED, "gather: element type");
  return CLEAVE_CUDA_LAUNCHED("gather");
}

cleave_status cleave_cuda_gather_elements(const cleave_tensor *data,
                                          const cleave_tensor *indices,
                                          int32_t axis, cleave_tensor *y) {
  int64_t n = cleave_tensor_num_elements(y);
  if (n == 0)
    return nullptr;
  bool i64 = indices->dtype == CLEAVE_DTYPE_I64;
  if (!i64 && indices->dtype != CLEAVE_DTYPE_I32)
    return CLEAVE_ERROR(CLEAVE_INVALID_ARGUMENT,
                        "gather_elements: indices must be i32 or i64");
  AxisArrays strides{};
  rowMajorStrides(*data, strides.a);
  Plan<1> out;
  out.rank = y->rank;
  for (int32_t d = 0; d < y->rank; ++d)
    out.dims[d] = y->dims[d];
  bool known = byWidth(cleave_dtype_size(data->dtype), [&](auto t) {
    using T = decltype(t);
    if (i64)
      gatherElementsKernel<<<blocksFor(n), 256, 0, stream()>>>(
          out, strides, axis, data->dims[axis], (const T *)data->data,
          (const int64_t *)indices->data, (T *)y->data, n, errorFlag());
    else
      gatherElementsKernel<<<blocksFor(n), 256, 0, stream()>>>(
          out, strides, axis, data->dims[axis], (const T *)data->data,
          (const int32_t *)indices->data, (T *)y->data, n, errorFlag());
  });
  if (!known)
    return CLEAVE_ERROR(CLEAVE_UNSUPPORTED, "gather_elements: element type");
  return CLEAVE_CUDA_LAUNCHED("gather_elements");
}

cleave_status cleave_cuda_trilu(const cleave_tensor *x, int64_t k,
                                int32_t upper, cleave_tensor *y) {
  int64_t n = cleave_tensor_num_elements(y);
  if (n == 0 || x->rank < 2)
    return cleave_cuda_copy(x, y);
  int64_t rows = x->dims[x->rank - 2], cols = x->dims[x->rank - 1];
  bool known = byWidth(cleave_dtype_size(x->dtype), [&](auto t) {
    using T = decltype(t);
    triluKernel<<<blocksFor(n), 256, 0, stream()>>>(
        (const T *)x->data, (T *)y->data, n, rows, cols, k, upper);
  });
  if (!known)
    return CLEAVE_ERROR(CLEAVE_UNSUPPORTED, "trilu: element type");
  return CLEAVE_CUDA_LAUNCHED("trilu");
}

} // extern "C"
