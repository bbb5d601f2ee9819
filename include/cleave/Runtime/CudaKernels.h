/*===- CudaKernels.h - CUDA kernels of the runtime -----------------*- C -*-===*
 *
 * The CUDA target's kernels: cleave_cuda_<name> for every kernel of
 * Kernels.def, with the CPU kernel's arguments, but every tensor's data is
 * device memory. Work is queued on the runtime's compute stream and runs
 * asynchronously: errors a kernel finds on the device (an index out of
 * range) are reported by cleave_cuda_synchronize. cuBLAS does matrix
 * products, cuDNN convolutions; our own kernels do the rest. Kernels for
 * rare ops and element types copy their operands to the host, run the CPU
 * kernel and copy back (the "host fallback"), which cleave_cuda_fallback_count
 * counts.
 *
 *===----------------------------------------------------------------------===*/

#ifndef CLEAVE_RUNTIME_CUDAKERNELS_H
#define CLEAVE_RUNTIME_CUDAKERNELS_H

#include "cleave/Runtime/CpuKernels.h"

#ifdef __cplusplus
extern "C" {
#endif

/* How matrix products and convolutions compute. Weights are converted once
 * (fp16, bf16), accumulation is fp32, activations stay fp32. */
typedef enum cleave_precision {
  CLEAVE_PRECISION_FP32 = 0,
  CLEAVE_PRECISION_TF32 = 1,
  CLEAVE_PRECISION_FP16 = 2,
  CLEAVE_PRECISION_BF16 = 3,
} cleave_precision;

/* Picks the GPU (before any other call) and creates the stream and the
 * library handles. */
cleave_status cleave_cuda_init(int32_t device, cleave_precision precision);
/* Waits for the queued work and reports the first error it raised. */
cleave_status cleave_cuda_synchronize(void);
/* Device memory (cudaMalloc) and copies; NULL-safe free. */
cleave_status cleave_cuda_alloc(size_t bytes, void **out);
void cleave_cuda_free(void *data);
cleave_status cleave_cuda_upload(void *device, const void *host, size_t bytes);
cleave_status cleave_cuda_download(void *host, const void *device,
                                   size_t bytes);
/* As cleave_cpu_set_constant_region: converted weights are cached in it. */
void cleave_cuda_set_constant_region(const void *data, int64_t size);
/* How many kernel calls ran on the host so far. */
int64_t cleave_cuda_fallback_count(void);

#define CLEAVE_KERNEL(name, params) cleave_status cleave_cuda_##name params;
#include "cleave/Runtime/Kernels.def"
#undef CLEAVE_KERNEL

#ifdef __cplusplus
} /* extern "C" */

struct cleave_program;

/* The main of a CUDA device program (one GPU, no transport). */
int cleave_cuda_device_main(int argc, char **argv,
                            const cleave_program &program,
                            cleave_precision precision);
#endif

#endif /* CLEAVE_RUNTIME_CUDAKERNELS_H */
