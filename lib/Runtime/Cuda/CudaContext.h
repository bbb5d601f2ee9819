//===- CudaContext.h - the CUDA runtime's shared state ----------*- C++ -*-===//
//
// One GPU per process: its compute stream, the cuBLAS and cuDNN handles, a
// growing scratch workspace, the precision, and a device-side error flag
// that kernels raise (an index out of range) and cleave_cuda_synchronize
// reports.
//
//===----------------------------------------------------------------------===//

#ifndef CLEAVE_LIB_RUNTIME_CUDA_CUDACONTEXT_H
#define CLEAVE_LIB_RUNTIME_CUDA_CUDACONTEXT_H

#include "../StatusInternal.h"
#include "cleave/Runtime/CudaKernels.h"
#include <cuda_runtime.h>
#include <string>

typedef struct cublasContext *cublasHandle_t;
typedef struct cudnnContext *cudnnHandle_t;

namespace cleave::cuda {

/// The errors kernels raise on the device (bits of the error flag).
enum DeviceError : int {
  kIndexOutOfRange = 1,
};

cudaStream_t stream();
/// The library handles, created on first use (cuDNN's costs about a second,
/// which programs without convolutions need not pay).
cleave_status cublas(cublasHandle_t *out);
cleave_status cudnn(cudnnHandle_t *out);
cleave_precision precision();

/// Scratch device memory of at least `bytes`, valid until the next call
/// (work is ordered on the one stream, so reuse is safe).
cleave_status workspace(size_t bytes, void **out);

/// A device copy of constant `data` (in the weights) converted to `dtype`
/// (f16 or bf16), made once; NULL when `data` is not a weight.
const void *convertedWeight(const cleave_tensor &t, cleave_dtype dtype);

/// The device address of the error flag kernels set.
int *errorFlag();

/// A status for a failed CUDA call; nullptr on success.
cleave_status check(cudaError_t error, const char *what, const char *file,
                    int line);
/// A status for a failed kernel launch (cudaGetLastError).
cleave_status checkLaunch(const char *what, const char *file, int line);

/// Host fallback bookkeeping.
void countFallback();

/// Launch geometry for `n` independent elements.
inline unsigned blocksFor(int64_t n, int threads = 256) {
  int64_t blocks = (n + threads - 1) / threads;
  return (unsigned)(blocks < 65535 * 16 ? (blocks ? blocks : 1) : 65535 * 16);
}

} // namespace cleave::cuda

#define CLEAVE_CUDA_CHECK(expr, what)                                          \
  CLEAVE_RETURN_IF_ERROR(::cleave::cuda::check((expr), what, __FILE__, __LINE__))
#define CLEAVE_CUDA_LAUNCHED(what)                                             \
  ::cleave::cuda::checkLaunch(what, __FILE__, __LINE__)

#endif // CLEAVE_LIB_RUNTIME_CUDA_CUDACONTEXT_H

namespace cleave::cuda {
/// dst[i] = (dtype) src[i] for f16/bf16 dst (ElementwiseKernels.cu).
cleave_status convertFromF32(const float *src, void *dst, cleave_dtype dtype,
                             int64_t n);
} // namespace cleave::cuda
