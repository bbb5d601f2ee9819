//===- ElementwiseKernels.cu - unary, binary, compare, where, cast --------===//
//
// One thread per output element (grid-stride loops). Operands are
// addressed through Plans (IndexMath.h); same-shape operands take the
// linear path. Math ops run natively on f32; other element types use the
// host fallback.
//
//===----------------------------------------------------------------------===//

#include "../ElementwiseMath.h"
#include "CudaContext.h"
#include "HostFallback.h"
#include "IndexMath.h"
#include "cleave/Runtime/Transport.h"
#include <cuda_bf16.h>
#include <cuda_fp16.h>
#include <type_traits>

namespace cleave::cuda {
namespace {

#define GRID_STRIDE(i, n)                                                      \
  for (int64_t i = blockIdx.x * (int64_t)blockDim.x + threadIdx.x; i < (n);    \
       i += (int64_t)gridDim.x * blockDim.x)

__global__ void unaryKernel(int op, float a, float b, const float *x, float *y,
                            int64_t n) {
  GRID_STRIDE(i, n) y[i] = unaryOp(op, x[i], a, b);
}

__global__ void binaryLinear(int op, const float *a, const float *b, float *y,
                             int64_t n, int64_t bSize) {
  // b repeats every bSize elements (a scalar, or a trailing-axes operand).
  GRID_STRIDE(i, n) y[i] = binaryOp(op, a[i], b[i % bSize]);
}

__global__ void binaryPlanned(int op, Plan<3> plan, const float *a,
                              const float *b, float *y, int64_t n) {
  GRID_STRIDE(i, n) {
    int64_t o[3];
    plan.offsets(i, o);
    y[o[0]] = binaryOp(op, a[o[1]], b[o[2]]);
  }
}

template <typename T>
__global__ void compareKernel(int op, Plan<3> plan, const T *a, const T *b,
                              bool *y, int64_t n) {
  GRID_STRIDE(i, n) {
    int64_t o[3];
    plan.offsets(i, o);
    y[o[0]] = compareOp(op, a[o[1]], b[o[2]]);
  }
}

__global__ void notKernel(const bool *x, bool *y, int64_t n) {
  GRID_STRIDE(i, n) y[i] = !x[i];
}

template <typename T>
__global__ void whereKernel(Plan<4> plan, const bool *c, const T *x,
                            const T *y, T *out, int64_t n) {
  GRID_STRIDE(i, n) {
    int64_t o[4];
    plan.offsets(i, o);
    out[o[0]] = c[o[1]] ? x[o[2]] : y[o[3]];
  }
}

// Casts go through double (or int64 between integers), as the CPU kernel.
template <typename T> __device__ double toDouble(T v) { return (double)v; }
template <> __device__ double toDouble(__half v) { return __half2float(v); }
template <> __device__ double toDouble(__nv_bfloat16 v) {
  return __bfloat162float(v);
}
template <typename T> __device__ T fromDouble(double v) { return (T)v; }
template <> __device__ bool fromDouble(double v) { return v != 0; }
template <> __device__ __half fromDouble(double v) {
  return __float2half((float)v);
}
template <> __device__ __nv_bfloat16 fromDouble(double v) {
  return __float2bfloat16((float)v);
}

/// As the CPU kernel: integers to integers through int64 (wrapping),
/// floats to integers truncated toward zero (non-finite: 0), else through
/// double.
template <typename From, typename To>
__global__ void castKernel(const From *x, To *y, int64_t n) {
  constexpr bool toInt = std::is_integral_v<To> && !std::is_same_v<To, bool>;
  GRID_STRIDE(i, n) {
    if constexpr (toInt && std::is_integral_v<From>) {
      y[i] = (To)(int64_t)x[i];
    } else if constexpr (toInt) {
      double v = toDouble(x[i]);
      y[i] = isfinite(v) ? (To)(int64_t)trunc(v) : To(0);
    } else {
      y[i] = fromDouble<To>(toDouble(x[i]));
    }
  }
}

__global__ void toHalf(const float *x, __half *y, int64_t n) {
  GRID_STRIDE(i, n) y[i] = __float2half(x[i]);
}
__global__ void toBf16(const float *x, __nv_bfloat16 *y, int64_t n) {
  GRID_STRIDE(i, n) y[i] = __float2bfloat16(x[i]);
}

__global__ void batchNormKernel(const float *x, const float *scale,
                                const float *bias, const float *mean,
                                const float *var, float epsilon, float *y,
                                int64_t n, int64_t channels, int64_t inner) {
  GRID_STRIDE(i, n) {
    int64_t c = (i / inner) % channels;
    y[i] = scale[c] * (x[i] - mean[c]) * rsqrtf(var[c] + epsilon) + bias[c];
  }
}


template <typename From>
cleave_status castTo(const From *x, cleave_tensor *y, int64_t n) {
  unsigned blocks = blocksFor(n);
  cudaStream_t s = stream();
  void *d = y->data;
  switch (y->dtype) {
  case CLEAVE_DTYPE_F32: castKernel<<<blocks, 256, 0, s>>>(x, (float *)d, n); break;
  case CLEAVE_DTYPE_F64: castKernel<<<blocks, 256, 0, s>>>(x, (double *)d, n); break;
  case CLEAVE_DTYPE_F16: castKernel<<<blocks, 256, 0, s>>>(x, (__half *)d, n); break;
  case CLEAVE_DTYPE_BF16: castKernel<<<blocks, 256, 0, s>>>(x, (__nv_bfloat16 *)d, n); break;
  case CLEAVE_DTYPE_I32: castKernel<<<blocks, 256, 0, s>>>(x, (int32_t *)d, n); break;
  case CLEAVE_DTYPE_I64: castKernel<<<blocks, 256, 0, s>>>(x, (int64_t *)d, n); break;
  case CLEAVE_DTYPE_BOOL: castKernel<<<blocks, 256, 0, s>>>(x, (bool *)d, n); break;
  default: return nullptr; // Not reached: checked by the caller.
  }
  return CLEAVE_CUDA_LAUNCHED("cast");
}

bool nativeCastType(cleave_dtype t) {
  switch (t) {
  case CLEAVE_DTYPE_F32: case CLEAVE_DTYPE_F64: case CLEAVE_DTYPE_F16:
  case CLEAVE_DTYPE_BF16: case CLEAVE_DTYPE_I32: case CLEAVE_DTYPE_I64:
  case CLEAVE_DTYPE_BOOL:
    return true;
  default:
    return false;
  }
}

// torch.optim.AdamW's step (OptimizerKernels.cpp has the same arithmetic);
// lr and the corrections are read from device memory.
__global__ void adamwKernel(const float *p, const float *g, const float *m,
                            const float *v, const float *lr, const float *c1,
                            const float *c2, float beta1, float beta2,
                            float eps, float decay, float gradScale,
                            float *pOut, float *mOut, float *vOut,
                            int64_t n) {
  float rate = *lr, stepSize = rate / *c1, rootC2 = sqrtf(*c2);
  float keep = 1.0f - rate * decay;
  GRID_STRIDE(i, n) {
    float gi = g[i] * gradScale;
    float mi = m[i] + (1.0f - beta1) * (gi - m[i]);
    float vi = v[i] * beta2 + (1.0f - beta2) * gi * gi;
    float pi = p[i] * keep;
    pOut[i] = pi - stepSize * (mi / (sqrtf(vi) / rootC2 + eps));
    mOut[i] = mi;
    vOut[i] = vi;
  }
}

__global__ void geluBackwardKernel(const float *dy, const float *x, int tanh,
                                   float *dx, int64_t n) {
  GRID_STRIDE(i, n) { dx[i] = dy[i] * geluSlope(x[i], tanh != 0); }
}

} // namespace
} // namespace cleave::cuda

using namespace cleave::cuda;

extern "C" {

cleave_status cleave_cuda_unary(cleave_unary_op op, float alpha, float beta,
                                const cleave_tensor *x, cleave_tensor *y) {
  if (x->dtype != CLEAVE_DTYPE_F32 || y->dtype != CLEAVE_DTYPE_F32) {
    HostMirror m;
    return m.finish(cleave_cpu_unary(op, alpha, beta, m.in(x), m.out(y)));
  }
  int64_t n = cleave_tensor_num_elements(y);
  if (n == 0)
    return nullptr;
  unaryKernel<<<blocksFor(n), 256, 0, stream()>>>(
      op, alpha, beta, (const float *)x->data, (float *)y->data, n);
  return CLEAVE_CUDA_LAUNCHED("unary");
}

cleave_status cleave_cuda_binary(cleave_binary_op op, const cleave_tensor *a,
                                 const cleave_tensor *b, cleave_tensor *y) {
  bool f32 = a->dtype == CLEAVE_DTYPE_F32 && b->dtype == CLEAVE_DTYPE_F32 &&
             y->dtype == CLEAVE_DTYPE_F32;
  if (!f32 || op > CLEAVE_BINARY_PRELU || y->rank > CLEAVE_MAX_RANK) {
    HostMirror m;
    return m.finish(cleave_cpu_binary(op, m.in(a), m.in(b), m.out(y)));
  }
  int64_t n = cleave_tensor_num_elements(y);
  if (n == 0)
    return nullptr;
  const float *pa = (const float *)a->data, *pb = (const float *)b->data;
  float *py = (float *)y->data;
  int64_t repeat = sameShape(*a, *y) ? trailingRepeat(*b, *y) : 0;
  if (repeat) {
    binaryLinear<<<blocksFor(n), 256, 0, stream()>>>(op, pa, pb, py, n, repeat);
  } else {
    const cleave_tensor *ops[] = {a, b};
    binaryPlanned<<<blocksFor(n), 256, 0, stream()>>>(
        op, broadcastPlan<3>(*y, ops, true), pa, pb, py, n);
  }
  return CLEAVE_CUDA_LAUNCHED("binary");
}

cleave_status cleave_cuda_compare(cleave_compare_op op, const cleave_tensor *a,
                                  const cleave_tensor *b, cleave_tensor *y) {
  int64_t n = cleave_tensor_num_elements(y);
  const cleave_tensor *ops[] = {a, b};
  Plan<3> plan = broadcastPlan<3>(*y, ops, true);
  if (a->dtype == CLEAVE_DTYPE_F32 && b->dtype == CLEAVE_DTYPE_F32) {
    if (n)
      compareKernel<<<blocksFor(n), 256, 0, stream()>>>(
          op, plan, (const float *)a->data, (const float *)b->data,
          (bool *)y->data, n);
  } else if (a->dtype == CLEAVE_DTYPE_I64 && b->dtype == CLEAVE_DTYPE_I64) {
    if (n)
      compareKernel<<<blocksFor(n), 256, 0, stream()>>>(
          op, plan, (const int64_t *)a->data, (const int64_t *)b->data,
          (bool *)y->data, n);
  } else {
    HostMirror m;
    return m.finish(cleave_cpu_compare(op, m.in(a), m.in(b), m.out(y)));
  }
  return CLEAVE_CUDA_LAUNCHED("compare");
}

cleave_status cleave_cuda_not(const cleave_tensor *x, cleave_tensor *y) {
  if (x->dtype != CLEAVE_DTYPE_BOOL) {
    HostMirror m;
    return m.finish(cleave_cpu_not(m.in(x), m.out(y)));
  }
  if (int64_t n = cleave_tensor_num_elements(y))
    notKernel<<<blocksFor(n), 256, 0, stream()>>>((const bool *)x->data,
                                                  (bool *)y->data, n);
  return CLEAVE_CUDA_LAUNCHED("not");
}

cleave_status cleave_cuda_adamw(
    const cleave_tensor *param, const cleave_tensor *grad,
    const cleave_tensor *exp_avg, const cleave_tensor *exp_avg_sq,
    const cleave_tensor *lr, const cleave_tensor *correction1,
    const cleave_tensor *correction2, float beta1, float beta2, float eps,
    float weight_decay, float grad_scale, cleave_tensor *next_param,
    cleave_tensor *next_exp_avg, cleave_tensor *next_exp_avg_sq) {
  int64_t n = cleave_tensor_num_elements(grad);
  for (const cleave_tensor *t :
       {param, grad, exp_avg, exp_avg_sq, lr, correction1, correction2,
        (const cleave_tensor *)next_param, (const cleave_tensor *)next_exp_avg,
        (const cleave_tensor *)next_exp_avg_sq})
    if (t->dtype != CLEAVE_DTYPE_F32)
      return CLEAVE_ERROR(CLEAVE_UNSUPPORTED, "adamw: only f32");
  if (n == 0)
    return nullptr;
  // A parameter sharded over the replicas (ZeRO stage 1): this replica
  // updates its slice.
  int64_t at = 0;
  if (int64_t whole = cleave_tensor_num_elements(param); whole != n) {
    at = (int64_t)cleave_runtime_replica() * n;
    if (whole % n != 0 || at + n > whole)
      return CLEAVE_ERROR(CLEAVE_INVALID_ARGUMENT,
                          "adamw: the parameter must have its gradient's "
                          "shape or hold one slice per replica");
  }
  adamwKernel<<<blocksFor(n), 256, 0, stream()>>>(
      (const float *)param->data + at, (const float *)grad->data,
      (const float *)exp_avg->data, (const float *)exp_avg_sq->data,
      (const float *)lr->data, (const float *)correction1->data,
      (const float *)correction2->data, beta1, beta2, eps, weight_decay,
      grad_scale, (float *)next_param->data, (float *)next_exp_avg->data,
      (float *)next_exp_avg_sq->data, n);
  return CLEAVE_CUDA_LAUNCHED("adamw");
}

cleave_status cleave_cuda_gelu_backward(const cleave_tensor *dy,
                                        const cleave_tensor *x, int32_t tanh,
                                        cleave_tensor *dx) {
  int64_t n = cleave_tensor_num_elements(x);
  if (dy->dtype != CLEAVE_DTYPE_F32 || x->dtype != CLEAVE_DTYPE_F32 ||
      dx->dtype != CLEAVE_DTYPE_F32 || cleave_tensor_num_elements(dy) != n ||
      cleave_tensor_num_elements(dx) != n) {
    HostMirror m;
    return m.finish(
        cleave_cpu_gelu_backward(m.in(dy), m.in(x), tanh, m.out(dx)));
  }
  if (n == 0)
    return nullptr;
  geluBackwardKernel<<<blocksFor(n), 256, 0, stream()>>>(
      (const float *)dy->data, (const float *)x->data, tanh, (float *)dx->data,
      n);
  return CLEAVE_CUDA_LAUNCHED("gelu_backward");
}

cleave_status cleave_cuda_where(const cleave_tensor *condition,
                                const cleave_tensor *x, const cleave_tensor *y,
                                cleave_tensor *out) {
  int64_t n = cleave_tensor_num_elements(out);
  size_t width = cleave_dtype_size(out->dtype);
  if (condition->dtype != CLEAVE_DTYPE_BOOL || x->dtype != out->dtype ||
      y->dtype != out->dtype) {
    HostMirror m;
    return m.finish(
        cleave_cpu_where(m.in(condition), m.in(x), m.in(y), m.out(out)));
  }
  if (n == 0)
    return nullptr;
  const cleave_tensor *ops[] = {condition, x, y};
  Plan<4> plan = broadcastPlan<4>(*out, ops, true);
  const bool *c = (const bool *)condition->data;
  unsigned blocks = blocksFor(n);
  switch (width) {
  case 1: whereKernel<<<blocks, 256, 0, stream()>>>(plan, c, (const uint8_t *)x->data, (const uint8_t *)y->data, (uint8_t *)out->data, n); break;
  case 2: whereKernel<<<blocks, 256, 0, stream()>>>(plan, c, (const uint16_t *)x->data, (const uint16_t *)y->data, (uint16_t *)out->data, n); break;
  case 4: whereKernel<<<blocks, 256, 0, stream()>>>(plan, c, (const uint32_t *)x->data, (const uint32_t *)y->data, (uint32_t *)out->data, n); break;
  case 8: whereKernel<<<blocks, 256, 0, stream()>>>(plan, c, (const uint64_t *)x->data, (const uint64_t *)y->data, (uint64_t *)out->data, n); break;
  default:
    return CLEAVE_ERROR(CLEAVE_UNSUPPORTED, "where: element type");
  }
  return CLEAVE_CUDA_LAUNCHED("where");
}

cleave_status cleave_cuda_cast(const cleave_tensor *x, cleave_tensor *y) {
  if (!nativeCastType(x->dtype) || !nativeCastType(y->dtype)) {
    HostMirror m;
    return m.finish(cleave_cpu_cast(m.in(x), m.out(y)));
  }
  int64_t n = cleave_tensor_num_elements(y);
  if (n == 0)
    return nullptr;
  const void *d = x->data;
  switch (x->dtype) {
  case CLEAVE_DTYPE_F32: return castTo((const float *)d, y, n);
  case CLEAVE_DTYPE_F64: return castTo((const double *)d, y, n);
  case CLEAVE_DTYPE_F16: return castTo((const __half *)d, y, n);
  case CLEAVE_DTYPE_BF16: return castTo((const __nv_bfloat16 *)d, y, n);
  case CLEAVE_DTYPE_I32: return castTo((const int32_t *)d, y, n);
  case CLEAVE_DTYPE_I64: return castTo((const int64_t *)d, y, n);
  case CLEAVE_DTYPE_BOOL: return castTo((const bool *)d, y, n);
  default: return nullptr;
  }
}

cleave_status cleave_cuda_batch_norm(const cleave_tensor *x,
                                     const cleave_tensor *scale,
                                     const cleave_tensor *bias,
                                     const cleave_tensor *mean,
                                     const cleave_tensor *var, float epsilon,
                                     int32_t channels_last, cleave_tensor *y) {
  if (x->dtype != CLEAVE_DTYPE_F32 || x->rank < 2) {
    HostMirror m;
    return m.finish(cleave_cpu_batch_norm(m.in(x), m.in(scale), m.in(bias),
                                          m.in(mean), m.in(var), epsilon,
                                          channels_last, m.out(y)));
  }
  // Channel c of element i: (i / inner) % channels, inner 1 when the
  // channels are the last axis.
  int64_t n = cleave_tensor_num_elements(y), inner = 1;
  int64_t channels = channels_last ? x->dims[x->rank - 1] : x->dims[1];
  for (int32_t d = 2; !channels_last && d < x->rank; ++d)
    inner *= x->dims[d];
  if (n)
    batchNormKernel<<<blocksFor(n), 256, 0, stream()>>>(
        (const float *)x->data, (const float *)scale->data,
        (const float *)bias->data, (const float *)mean->data,
        (const float *)var->data, epsilon, (float *)y->data, n, channels,
        inner);
  return CLEAVE_CUDA_LAUNCHED("batch_norm");
}

} // extern "C"

namespace cleave::cuda {

cleave_status convertFromF32(const float *src, void *dst, cleave_dtype dtype,
                             int64_t n) {
  if (n == 0)
    return nullptr;
  if (dtype == CLEAVE_DTYPE_F16)
    toHalf<<<blocksFor(n), 256, 0, stream()>>>(src, (__half *)dst, n);
  else
    toBf16<<<blocksFor(n), 256, 0, stream()>>>(src, (__nv_bfloat16 *)dst, n);
  return CLEAVE_CUDA_LAUNCHED("convert");
}

} // namespace cleave::cuda
