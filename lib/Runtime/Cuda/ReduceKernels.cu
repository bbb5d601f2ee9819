//===- ReduceKernels.cu - reductions, softmax, layer norm, arg max --------===//
//
// One thread block per output row; f32 (other types use the host
// fallback). Rows are [outer, axis, inner] slices read with stride inner.
//
//===----------------------------------------------------------------------===//

#include "CudaContext.h"
#include "HostFallback.h"
#include "IndexMath.h"
#include <cfloat>

namespace cleave::cuda {
namespace {

constexpr int kThreads = 256;

struct Sum {
  __device__ float operator()(float a, float b) const { return a + b; }
};
struct Max {
  __device__ float operator()(float a, float b) const { return fmaxf(a, b); }
};
struct Min {
  __device__ float operator()(float a, float b) const { return fminf(a, b); }
};
struct Prod {
  __device__ float operator()(float a, float b) const { return a * b; }
};

/// The block-wide reduction of every thread's `v`, returned to all threads.
template <typename Op>
__device__ float blockReduce(float v, Op op, float identity) {
  __shared__ float shared[32];
  for (int o = 16; o > 0; o >>= 1)
    v = op(v, __shfl_down_sync(0xffffffffu, v, o));
  int lane = threadIdx.x % 32, warp = threadIdx.x / 32;
  __syncthreads(); // The previous call's readers are done with shared.
  if (lane == 0)
    shared[warp] = v;
  __syncthreads();
  int warps = (blockDim.x + 31) / 32;
  v = (int)threadIdx.x < warps ? shared[threadIdx.x] : identity;
  if (warp == 0)
    for (int o = 16; o > 0; o >>= 1)
      v = op(v, __shfl_down_sync(0xffffffffu, v, o));
  if (threadIdx.x == 0)
    shared[0] = v;
  __syncthreads();
  return shared[0];
}

__global__ void softmaxKernel(const float *x, float *y, Rows rows, int log) {
  int64_t start = rows.start(blockIdx.x), step = rows.inner;
  float m = -INFINITY;
  for (int64_t j = threadIdx.x; j < rows.length; j += blockDim.x)
    m = fmaxf(m, x[start + j * step]);
  m = blockReduce(m, Max{}, -INFINITY);
  float s = 0;
  for (int64_t j = threadIdx.x; j < rows.length; j += blockDim.x)
    s += expf(x[start + j * step] - m);
  s = blockReduce(s, Sum{}, 0.0f);
  float logS = logf(s);
  for (int64_t j = threadIdx.x; j < rows.length; j += blockDim.x) {
    float v = x[start + j * step] - m;
    y[start + j * step] = log ? v - logS : expf(v) / s;
  }
}

__global__ void layerNormKernel(const float *x, const float *scale,
                                const float *bias, float epsilon, float *y,
                                float *meanOut, float *invStdOut,
                                int64_t cols) {
  int64_t start = (int64_t)blockIdx.x * cols;
  float s = 0;
  for (int64_t j = threadIdx.x; j < cols; j += blockDim.x)
    s += x[start + j];
  float mean = blockReduce(s, Sum{}, 0.0f) / cols;
  float q = 0;
  for (int64_t j = threadIdx.x; j < cols; j += blockDim.x) {
    float d = x[start + j] - mean;
    q += d * d;
  }
  float invStd = rsqrtf(blockReduce(q, Sum{}, 0.0f) / cols + epsilon);
  for (int64_t j = threadIdx.x; j < cols; j += blockDim.x) {
    float v = (x[start + j] - mean) * invStd * scale[j];
    y[start + j] = bias ? v + bias[j] : v;
  }
  if (threadIdx.x == 0) {
    if (meanOut)
      meanOut[blockIdx.x] = mean;
    if (invStdOut)
      invStdOut[blockIdx.x] = invStd;
  }
}

__global__ void softmaxBackwardKernel(const float *dy, const float *y,
                                      float *dx, Rows rows, int log) {
  int64_t start = rows.start(blockIdx.x), step = rows.inner;
  float s = 0;
  for (int64_t j = threadIdx.x; j < rows.length; j += blockDim.x) {
    int64_t at = start + j * step;
    s += log ? dy[at] : dy[at] * y[at];
  }
  s = blockReduce(s, Sum{}, 0.0f);
  for (int64_t j = threadIdx.x; j < rows.length; j += blockDim.x) {
    int64_t at = start + j * step;
    dx[at] = log ? dy[at] - expf(y[at]) * s : y[at] * (dy[at] - s);
  }
}

/// dx of one row: r (g - mean(g) - xhat mean(g xhat)), g = dy * scale.
__global__ void layerNormBackwardKernel(const float *dy, const float *x,
                                        const float *scale, const float *mean,
                                        const float *invStd, float *dx,
                                        int64_t cols) {
  int64_t start = (int64_t)blockIdx.x * cols;
  float m = mean[blockIdx.x], r = invStd[blockIdx.x];
  float sumG = 0, sumGX = 0;
  for (int64_t j = threadIdx.x; j < cols; j += blockDim.x) {
    float g = dy[start + j] * scale[j];
    sumG += g;
    sumGX += g * ((x[start + j] - m) * r);
  }
  float meanG = blockReduce(sumG, Sum{}, 0.0f) / cols;
  float meanGX = blockReduce(sumGX, Sum{}, 0.0f) / cols;
  for (int64_t j = threadIdx.x; j < cols; j += blockDim.x) {
    float g = dy[start + j] * scale[j];
    dx[start + j] = r * (g - meanG - ((x[start + j] - m) * r) * meanGX);
  }
}

/// dscale = sum(dy xhat) and dbias = sum(dy) of one column over the rows
/// (a thread per column: neighbouring threads read neighbouring floats).
__global__ void layerNormParamsKernel(const float *dy, const float *x,
                                      const float *mean, const float *invStd,
                                      float *dscale, float *dbias,
                                      int64_t rows, int64_t cols) {
  int64_t c = blockIdx.x * (int64_t)blockDim.x + threadIdx.x;
  if (c >= cols)
    return;
  float sumX = 0, sum = 0;
  for (int64_t r = 0; r < rows; ++r) {
    float d = dy[r * cols + c];
    sumX += d * ((x[r * cols + c] - mean[r]) * invStd[r]);
    sum += d;
  }
  if (dscale)
    dscale[c] = sumX;
  if (dbias)
    dbias[c] = sum;
}

/// Output o of a reduction: `kept` maps o to its first input element,
/// `reduced` enumerates the reduced elements' offsets from there.
__global__ void reduceKernel(int op, Plan<1> kept, Plan<1> reduced,
                             int64_t count, const float *x, float *y) {
  int64_t base[1], off[1];
  kept.offsets(blockIdx.x, base);
  auto at = [&](int64_t r) {
    reduced.offsets(r, off);
    return x[base[0] + off[0]];
  };
  float result;
  switch (op) {
  case CLEAVE_REDUCE_MAX:
  case CLEAVE_REDUCE_LOG_SUM_EXP: {
    float m = -INFINITY;
    for (int64_t r = threadIdx.x; r < count; r += blockDim.x)
      m = fmaxf(m, at(r));
    m = blockReduce(m, Max{}, -INFINITY);
    if (op == CLEAVE_REDUCE_MAX) {
      result = m;
      break;
    }
    float s = 0;
    for (int64_t r = threadIdx.x; r < count; r += blockDim.x)
      s += expf(at(r) - m);
    result = logf(blockReduce(s, Sum{}, 0.0f)) + m;
    break;
  }
  case CLEAVE_REDUCE_MIN: {
    float m = INFINITY;
    for (int64_t r = threadIdx.x; r < count; r += blockDim.x)
      m = fminf(m, at(r));
    result = blockReduce(m, Min{}, INFINITY);
    break;
  }
  case CLEAVE_REDUCE_PROD: {
    float p = 1;
    for (int64_t r = threadIdx.x; r < count; r += blockDim.x)
      p *= at(r);
    result = blockReduce(p, Prod{}, 1.0f);
    break;
  }
  default: { // Sums.
    bool square = op == CLEAVE_REDUCE_L2 || op == CLEAVE_REDUCE_SUM_SQUARE;
    float s = 0;
    for (int64_t r = threadIdx.x; r < count; r += blockDim.x) {
      float v = at(r);
      s += square ? v * v : v;
    }
    s = blockReduce(s, Sum{}, 0.0f);
    result = op == CLEAVE_REDUCE_MEAN ? s / count
             : op == CLEAVE_REDUCE_L2 ? sqrtf(s)
                                      : s;
  }
  }
  if (threadIdx.x == 0)
    y[blockIdx.x] = result;
}

__global__ void argReduceKernel(const float *x, int64_t *y, Rows rows,
                                int64_t count, int isMax, int selectLast) {
  for (int64_t r = blockIdx.x * (int64_t)blockDim.x + threadIdx.x; r < count;
       r += (int64_t)gridDim.x * blockDim.x) {
    int64_t start = rows.start(r), best = 0;
    float bestValue = x[start];
    for (int64_t j = 1; j < rows.length; ++j) {
      float v = x[start + j * rows.inner];
      bool better = isMax ? (selectLast ? v >= bestValue : v > bestValue)
                          : (selectLast ? v <= bestValue : v < bestValue);
      if (better)
        best = j, bestValue = v;
    }
    y[r] = best;
  }
}

/// An ONNX axis in [0, rank), or -1 when out of range.
int32_t normalAxis(int32_t axis, int32_t rank) {
  if (axis < 0)
    axis += rank;
  return axis >= 0 && axis < rank ? axis : -1;
}

int threadsFor(int64_t length) {
  int64_t t = (length + 31) / 32 * 32;
  return (int)(t < kThreads ? (t ? t : 32) : kThreads);
}

} // namespace
} // namespace cleave::cuda

using namespace cleave::cuda;

extern "C" {

cleave_status cleave_cuda_softmax(const cleave_tensor *x, int32_t axis,
                                  int32_t log, cleave_tensor *y) {
  if ((axis = normalAxis(axis, x->rank)) < 0)
    return CLEAVE_ERROR(CLEAVE_INVALID_ARGUMENT, "softmax: axis out of range");
  int64_t count = 0;
  Rows rows = rowsOf(*x, axis, count);
  if (x->dtype != CLEAVE_DTYPE_F32 || count > INT32_MAX) {
    HostMirror m;
    return m.finish(cleave_cpu_softmax(m.in(x), axis, log, m.out(y)));
  }
  if (count == 0 || rows.length == 0)
    return nullptr;
  softmaxKernel<<<(unsigned)count, threadsFor(rows.length), 0, stream()>>>(
      (const float *)x->data, (float *)y->data, rows, log);
  return CLEAVE_CUDA_LAUNCHED("softmax");
}

cleave_status cleave_cuda_layer_norm_stats(
    const cleave_tensor *x, const cleave_tensor *scale,
    const cleave_tensor *bias, int32_t axis, float epsilon, cleave_tensor *y,
    cleave_tensor *mean, cleave_tensor *inv_std_dev) {
  if ((axis = normalAxis(axis, x->rank)) < 0)
    return CLEAVE_ERROR(CLEAVE_INVALID_ARGUMENT,
                        "layer_norm: axis out of range");
  int64_t rows = 1, cols = 1;
  for (int32_t d = 0; d < x->rank; ++d)
    (d < axis ? rows : cols) *= x->dims[d];
  bool native = x->dtype == CLEAVE_DTYPE_F32 &&
                cleave_tensor_num_elements(scale) == cols &&
                (!bias || cleave_tensor_num_elements(bias) == cols) &&
                rows <= INT32_MAX;
  if (!native) {
    HostMirror m;
    return m.finish(cleave_cpu_layer_norm_stats(m.in(x), m.in(scale),
                                                m.in(bias), axis, epsilon,
                                                m.out(y), m.out(mean),
                                                m.out(inv_std_dev)));
  }
  if (rows == 0 || cols == 0)
    return nullptr;
  layerNormKernel<<<(unsigned)rows, threadsFor(cols), 0, stream()>>>(
      (const float *)x->data, (const float *)scale->data,
      bias ? (const float *)bias->data : nullptr, epsilon, (float *)y->data,
      mean ? (float *)mean->data : nullptr,
      inv_std_dev ? (float *)inv_std_dev->data : nullptr, cols);
  return CLEAVE_CUDA_LAUNCHED("layer_norm");
}

cleave_status cleave_cuda_softmax_backward(const cleave_tensor *dy,
                                           const cleave_tensor *y,
                                           int32_t axis, int32_t log,
                                           cleave_tensor *dx) {
  if ((axis = normalAxis(axis, y->rank)) < 0)
    return CLEAVE_ERROR(CLEAVE_INVALID_ARGUMENT,
                        "softmax_backward: axis out of range");
  int64_t count = 0;
  Rows rows = rowsOf(*y, axis, count);
  if (y->dtype != CLEAVE_DTYPE_F32 || dy->dtype != CLEAVE_DTYPE_F32 ||
      !sameShape(*dy, *y) || !sameShape(*dx, *y) || count > INT32_MAX) {
    HostMirror m;
    return m.finish(cleave_cpu_softmax_backward(m.in(dy), m.in(y), axis, log,
                                                m.out(dx)));
  }
  if (count == 0 || rows.length == 0)
    return nullptr;
  softmaxBackwardKernel<<<(unsigned)count, threadsFor(rows.length), 0,
                          stream()>>>((const float *)dy->data,
                                      (const float *)y->data,
                                      (float *)dx->data, rows, log);
  return CLEAVE_CUDA_LAUNCHED("softmax_backward");
}

cleave_status cleave_cuda_layer_norm_backward(
    const cleave_tensor *dy, const cleave_tensor *x, const cleave_tensor *scale,
    const cleave_tensor *mean, const cleave_tensor *inv_std_dev, int32_t axis,
    cleave_tensor *dx, cleave_tensor *dscale, cleave_tensor *dbias) {
  if ((axis = normalAxis(axis, x->rank)) < 0)
    return CLEAVE_ERROR(CLEAVE_INVALID_ARGUMENT,
                        "layer_norm_backward: axis out of range");
  int64_t rows = 1, cols = 1;
  for (int32_t d = 0; d < x->rank; ++d)
    (d < axis ? rows : cols) *= x->dims[d];
  bool native = x->dtype == CLEAVE_DTYPE_F32 && dy->dtype == CLEAVE_DTYPE_F32 &&
                sameShape(*dy, *x) && sameShape(*dx, *x) &&
                cleave_tensor_num_elements(scale) == cols &&
                cleave_tensor_num_elements(mean) == rows &&
                cleave_tensor_num_elements(inv_std_dev) == rows &&
                (!dscale || cleave_tensor_num_elements(dscale) == cols) &&
                (!dbias || cleave_tensor_num_elements(dbias) == cols) &&
                rows <= INT32_MAX;
  if (!native) {
    HostMirror m;
    return m.finish(cleave_cpu_layer_norm_backward(
        m.in(dy), m.in(x), m.in(scale), m.in(mean), m.in(inv_std_dev), axis,
        m.out(dx), m.out(dscale), m.out(dbias)));
  }
  if (rows == 0 || cols == 0)
    return nullptr;
  const float *d = (const float *)dy->data, *in = (const float *)x->data,
              *mu = (const float *)mean->data,
              *inv = (const float *)inv_std_dev->data;
  layerNormBackwardKernel<<<(unsigned)rows, threadsFor(cols), 0, stream()>>>(
      d, in, (const float *)scale->data, mu, inv, (float *)dx->data, cols);
  if (dscale || dbias)
    layerNormParamsKernel<<<(unsigned)((cols + kThreads - 1) / kThreads),
                            kThreads, 0, stream()>>>(
        d, in, mu, inv, dscale ? (float *)dscale->data : nullptr,
        dbias ? (float *)dbias->data : nullptr, rows, cols);
  return CLEAVE_CUDA_LAUNCHED("layer_norm_backward");
}

cleave_status cleave_cuda_layer_norm(const cleave_tensor *x,
                                     const cleave_tensor *scale,
                                     const cleave_tensor *bias, int32_t axis,
                                     float epsilon, cleave_tensor *y) {
  return cleave_cuda_layer_norm_stats(x, scale, bias, axis, epsilon, y,
                                      nullptr, nullptr);
}

cleave_status cleave_cuda_reduce(cleave_reduce_op op, const cleave_tensor *x,
                                 cleave_tensor *y) {
  int64_t outputs = cleave_tensor_num_elements(y);
  if (x->dtype != CLEAVE_DTYPE_F32 || x->rank != y->rank ||
      outputs > INT32_MAX) {
    HostMirror m;
    return m.finish(cleave_cpu_reduce(op, m.in(x), m.out(y)));
  }
  Plan<1> kept, reduced;
  int64_t count = reducePlans(*x, *y, kept, reduced);
  if (outputs == 0)
    return nullptr;
  reduceKernel<<<(unsigned)outputs, threadsFor(count), 0, stream()>>>(
      op, kept, reduced, count, (const float *)x->data, (float *)y->data);
  return CLEAVE_CUDA_LAUNCHED("reduce");
}

cleave_status cleave_cuda_arg_reduce(const cleave_tensor *x, int32_t axis,
                                     int32_t is_max, int32_t select_last,
                                     cleave_tensor *y) {
  if ((axis = normalAxis(axis, x->rank)) < 0)
    return CLEAVE_ERROR(CLEAVE_INVALID_ARGUMENT,
                        "arg_reduce: axis out of range");
  int64_t count = 0;
  Rows rows = rowsOf(*x, axis, count);
  if (x->dtype != CLEAVE_DTYPE_F32 || rows.length == 0) {
    HostMirror m;
    return m.finish(
        cleave_cpu_arg_reduce(m.in(x), axis, is_max, select_last, m.out(y)));
  }
  if (count == 0)
    return nullptr;
  argReduceKernel<<<blocksFor(count), 256, 0, stream()>>>(
      (const float *)x->data, (int64_t *)y->data, rows, count, is_max,
      select_last);
  return CLEAVE_CUDA_LAUNCHED("arg_reduce");
}

} // extern "C"
