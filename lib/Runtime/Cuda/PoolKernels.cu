//===- PoolKernels.cu - pooling and the convolution epilogue --------------===//

#include "Conv.h"
#include "CudaContext.h"
#include "HostFallback.h"
#include "Pooling.h"
#include "../ElementwiseMath.h"

namespace cleave::cuda {
namespace {

#define GRID_STRIDE(i, n)                                                      \
  for (int64_t i = blockIdx.x * (int64_t)blockDim.x + threadIdx.x; i < (n);    \
       i += (int64_t)gridDim.x * blockDim.x)

/// One output element per thread; x and y are [N, C, spatial...].
__global__ void poolKernel(int kind, cleave_window w, PoolShape shape,
                           const float *x, float *y, int64_t n) {
  GRID_STRIDE(i, n) y[i] = poolAt(kind, w, shape, x, i);
}

/// y = act(clip(y + bias[c] + z, lo, hi)) on [N, M, spatial...]; `unary`
/// is the activation's unary op, or -1 for none.
__global__ void epilogueKernel(float *y, const float *bias, const float *z,
                               float lo, float hi, int unary, int64_t n,
                               int64_t channels, int64_t spatial) {
  GRID_STRIDE(i, n) {
    float v = y[i];
    if (bias)
      v += bias[(i / spatial) % channels];
    if (z)
      v += z[i];
    v = fminf(fmaxf(v, lo), hi);
    y[i] = unary < 0 ? v : unaryOp(unary, v, 1.0f, 0.0f);
  }
}

} // namespace

cleave_status convEpilogue(cleave_tensor *y, const cleave_tensor *bias,
                           const cleave_tensor *z, float lo, float hi,
                           int32_t activation) {
  int64_t n = cleave_tensor_num_elements(y), spatial = 1;
  for (int32_t d = 2; d < y->rank; ++d)
    spatial *= y->dims[d];
  if (n == 0 || (!bias && !z && lo == -INFINITY && hi == INFINITY &&
                 activation == 0))
    return nullptr;
  int unary = activation == 1   ? CLEAVE_UNARY_SWISH
              : activation == 2 ? CLEAVE_UNARY_HARD_SWISH
                                : -1;
  epilogueKernel<<<blocksFor(n), 256, 0, stream()>>>(
      (float *)y->data, bias ? (const float *)bias->data : nullptr,
      z ? (const float *)z->data : nullptr, lo, hi, unary, n, y->dims[1],
      spatial);
  return CLEAVE_CUDA_LAUNCHED("conv epilogue");
}

} // namespace cleave::cuda

using namespace cleave::cuda;

extern "C" cleave_status cleave_cuda_pool(cleave_pool_kind kind,
                                          const cleave_tensor *x,
                                          const cleave_window *window,
                                          cleave_tensor *y) {
  int32_t rank = window->spatial_rank;
  if (x->dtype != CLEAVE_DTYPE_F32 || window->channels_last ||
      x->rank != rank + 2 || y->rank != rank + 2) {
    HostMirror m;
    return m.finish(cleave_cpu_pool(kind, m.in(x), window, m.out(y)));
  }
  PoolShape shape{rank, {}, {}};
  for (int32_t d = 0; d < rank; ++d) {
    shape.in[d] = x->dims[d + 2];
    shape.out[d] = y->dims[d + 2];
  }
  int64_t n = cleave_tensor_num_elements(y);
  if (n == 0)
    return nullptr;
  poolKernel<<<blocksFor(n), 256, 0, stream()>>>(
      kind, *window, shape, (const float *)x->data, (float *)y->data, n);
  return CLEAVE_CUDA_LAUNCHED("pool");
}
