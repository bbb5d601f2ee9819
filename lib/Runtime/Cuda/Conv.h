//===- Conv.h - convolution pieces shared by cuDNN and our kernels -*- C++ -*-===//

#ifndef CLEAVE_LIB_RUNTIME_CUDA_CONV_H
#define CLEAVE_LIB_RUNTIME_CUDA_CONV_H

#include "cleave/Runtime/CudaKernels.h"

namespace cleave::cuda {

/// y = act(clip(y + bias[c] + z, lo, hi)) on NCHW y (bias and z may be
/// NULL; activation as conv_fused's: 0 none, 1 SiLU, 2 HardSwish).
cleave_status convEpilogue(cleave_tensor *y, const cleave_tensor *bias,
                           const cleave_tensor *z, float lo, float hi,
                           int32_t activation);

} // namespace cleave::cuda

#endif // CLEAVE_LIB_RUNTIME_CUDA_CONV_H
