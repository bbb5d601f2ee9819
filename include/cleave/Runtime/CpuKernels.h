/*===- CpuKernels.h - CPU kernels of the runtime --------------------*- C -*-===*
 *
 * Kernels on dense row-major tensors: cleave_cpu_<name> for every kernel of
 * Kernels.def (documented there), plus the few the compiler never calls.
 * oneDNN does the heavy lifting where it has the operation; the rest are
 * plain loops.
 *
 *===----------------------------------------------------------------------===*/

#ifndef CLEAVE_RUNTIME_CPUKERNELS_H
#define CLEAVE_RUNTIME_CPUKERNELS_H

#include "cleave/Runtime/KernelTypes.h"

#ifdef __cplusplus
extern "C" {
#endif

#define CLEAVE_KERNEL(name, params) cleave_status cleave_cpu_##name params;
#include "cleave/Runtime/Kernels.def"
#undef CLEAVE_KERNEL

/* Threads the kernels may use; 0 means all cores (the default). */
void cleave_cpu_set_num_threads(int32_t threads);

/* From now on, in the calling thread and the kernels' threads, floats under
 * the smallest normal number read and compute as zero (x86's flush-to-zero
 * and denormals-are-zero modes, as TensorFlow runs its CPU kernels):
 * denormal floats make x86 arithmetic up to 100 times slower. A training
 * run sets it (a saturated softmax makes such gradients, and a moment
 * whose gradient stops decays into them); inference keeps IEEE
 * arithmetic, as ONNX's test data expects. */
void cleave_cpu_flush_denormals(void);

/* Declares [data, data + size) unchanged for the rest of the run (the mapped
 * weights): kernels may keep derived forms of tensors in it, such as
 * convolution weights in oneDNN's blocked layout. NULL clears it. */
void cleave_cpu_set_constant_region(const void *data, int64_t size);

/* ONNX Conv, f32: cleave_cpu_conv_fused with no residual and no clip (the
 * calibrator's and the tests' entry). */
cleave_status cleave_cpu_conv(const cleave_tensor *x, const cleave_tensor *w,
                              const cleave_tensor *b,
                              const cleave_window *window, int64_t group,
                              cleave_tensor *y);

/* The loops behind cleave_cpu_binary and cleave_cpu_reduce for every type
 * (f32 uses oneDNN there). */
cleave_status cleave_cpu_binary_loop(cleave_binary_op op,
                                     const cleave_tensor *a,
                                     const cleave_tensor *b, cleave_tensor *y);
cleave_status cleave_cpu_reduce_loop(cleave_reduce_op op,
                                     const cleave_tensor *x, cleave_tensor *y);

#ifdef __cplusplus
} /* extern "C" */
#endif

#endif /* CLEAVE_RUNTIME_CPUKERNELS_H */
