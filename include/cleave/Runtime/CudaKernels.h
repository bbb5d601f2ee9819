/*===- CudaKernels.h - CUDA kernels of the runtime -----------------*- C -*-===*
 *
 * The CUDA target's kernels. They take the same arguments as the CPU
 * kernels of the same name (CpuKernels.h), but every tensor's data is
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

cleave_status cleave_cuda_copy(const cleave_tensor *x, cleave_tensor *y);
cleave_status cleave_cuda_matmul(const cleave_tensor *a, const cleave_tensor *b,
                                 cleave_tensor *y);
cleave_status cleave_cuda_gemm(const cleave_tensor *a, const cleave_tensor *b,
                               const cleave_tensor *c, float alpha, float beta,
                               int32_t trans_a, int32_t trans_b,
                               cleave_tensor *y);
cleave_status cleave_cuda_unary(cleave_unary_op op, float alpha, float beta,
                                const cleave_tensor *x, cleave_tensor *y);
cleave_status cleave_cuda_binary(cleave_binary_op op, const cleave_tensor *a,
                                 const cleave_tensor *b, cleave_tensor *y);
cleave_status cleave_cuda_compare(cleave_compare_op op, const cleave_tensor *a,
                                  const cleave_tensor *b, cleave_tensor *y);
cleave_status cleave_cuda_not(const cleave_tensor *x, cleave_tensor *y);
cleave_status cleave_cuda_where(const cleave_tensor *condition,
                                const cleave_tensor *x, const cleave_tensor *y,
                                cleave_tensor *out);
cleave_status cleave_cuda_cast(const cleave_tensor *x, cleave_tensor *y);
cleave_status cleave_cuda_softmax(const cleave_tensor *x, int32_t axis,
                                  int32_t log, cleave_tensor *y);
cleave_status cleave_cuda_arg_reduce(const cleave_tensor *x, int32_t axis,
                                     int32_t is_max, int32_t select_last,
                                     cleave_tensor *y);
cleave_status cleave_cuda_reduce(cleave_reduce_op op, const cleave_tensor *x,
                                 cleave_tensor *y);
cleave_status cleave_cuda_layer_norm(const cleave_tensor *x,
                                     const cleave_tensor *scale,
                                     const cleave_tensor *bias, int32_t axis,
                                     float epsilon, cleave_tensor *y);
cleave_status cleave_cuda_layer_norm_stats(
    const cleave_tensor *x, const cleave_tensor *scale,
    const cleave_tensor *bias, int32_t axis, float epsilon, cleave_tensor *y,
    cleave_tensor *mean, cleave_tensor *inv_std_dev);
cleave_status cleave_cuda_batch_norm(const cleave_tensor *x,
                                     const cleave_tensor *scale,
                                     const cleave_tensor *bias,
                                     const cleave_tensor *mean,
                                     const cleave_tensor *var, float epsilon,
                                     cleave_tensor *y);
cleave_status cleave_cuda_conv_fused(const cleave_tensor *x,
                                     const cleave_tensor *w,
                                     const cleave_tensor *b,
                                     const cleave_tensor *z,
                                     const cleave_window *window,
                                     int64_t group, float lo, float hi,
                                     cleave_tensor *y);
cleave_status cleave_cuda_pool(cleave_pool_kind kind, const cleave_tensor *x,
                               const cleave_window *window, cleave_tensor *y);
cleave_status cleave_cuda_transpose(const cleave_tensor *x,
                                    const int64_t *perm, cleave_tensor *y);
cleave_status cleave_cuda_concat(const cleave_tensor *const *inputs,
                                 int32_t count, int32_t axis,
                                 cleave_tensor *y);
cleave_status cleave_cuda_slice(const cleave_tensor *x, const int64_t *starts,
                                const int64_t *steps, cleave_tensor *y);
cleave_status cleave_cuda_gather(const cleave_tensor *data,
                                 const cleave_tensor *indices, int32_t axis,
                                 cleave_tensor *y);
cleave_status cleave_cuda_gather_elements(const cleave_tensor *data,
                                          const cleave_tensor *indices,
                                          int32_t axis, cleave_tensor *y);
cleave_status cleave_cuda_expand(const cleave_tensor *x, cleave_tensor *y);
cleave_status cleave_cuda_tile(const cleave_tensor *x, cleave_tensor *y);
cleave_status cleave_cuda_pad(const cleave_tensor *x, const int64_t *begin,
                              cleave_pad_mode mode, double value,
                              cleave_tensor *y);
cleave_status cleave_cuda_trilu(const cleave_tensor *x, int64_t k,
                                int32_t upper, cleave_tensor *y);

/* Host fallbacks (the CPU kernel on host copies). */
cleave_status cleave_cuda_lrn(const cleave_tensor *x, float alpha, float beta,
                              float bias, int64_t size, cleave_tensor *y);
cleave_status cleave_cuda_einsum(const char *equation,
                                 const cleave_tensor *const *inputs,
                                 int32_t count, cleave_tensor *y);
cleave_status cleave_cuda_top_k(const cleave_tensor *x, int32_t axis,
                                int32_t largest, cleave_tensor *values,
                                cleave_tensor *indices);
cleave_status cleave_cuda_conv_transpose(const cleave_tensor *x,
                                         const cleave_tensor *w,
                                         const cleave_tensor *b,
                                         const cleave_window *window,
                                         int64_t group, cleave_tensor *y);
cleave_status cleave_cuda_instance_norm(const cleave_tensor *x,
                                        const cleave_tensor *scale,
                                        const cleave_tensor *bias,
                                        float epsilon, cleave_tensor *y);
cleave_status cleave_cuda_cumsum(const cleave_tensor *x, int32_t axis,
                                 int32_t exclusive, int32_t reverse,
                                 cleave_tensor *y);
cleave_status cleave_cuda_resize(const cleave_tensor *x, const float *scales,
                                 int32_t linear,
                                 cleave_resize_coordinates coordinates,
                                 cleave_resize_nearest nearest,
                                 cleave_tensor *y);
cleave_status cleave_cuda_resize_cubic(const cleave_tensor *x,
                                       const float *scales,
                                       cleave_resize_coordinates coordinates,
                                       float cubic_a, int32_t exclude_outside,
                                       cleave_tensor *y);

#ifdef __cplusplus
} /* extern "C" */

struct cleave_program;

/* The main of a CUDA device program (one GPU, no transport). */
int cleave_cuda_device_main(int argc, char **argv,
                            const cleave_program &program,
                            cleave_precision precision);
#endif

#endif /* CLEAVE_RUNTIME_CUDAKERNELS_H */
