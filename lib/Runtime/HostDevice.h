//===- HostDevice.h - functions for the host and the GPU --------*- C++ -*-===//

#ifndef CLEAVE_LIB_RUNTIME_HOSTDEVICE_H
#define CLEAVE_LIB_RUNTIME_HOSTDEVICE_H

/// Marks a function that nvcc compiles for both the host and the device
/// (nothing for the host compiler).
#ifdef __CUDACC__
#define CLEAVE_HD __host__ __device__
#else
#define CLEAVE_HD
#endif

/// Inlined wherever called: the elementwise math is one switch over the op,
/// which constant-folds to one case and vectorises only once inlined (GCC
/// judged unaryOp too large and called it per element).
#ifdef __CUDACC__
#define CLEAVE_HD_INLINE __host__ __device__ __forceinline__
#else
#define CLEAVE_HD_INLINE __attribute__((always_inline)) inline
#endif

#endif // CLEAVE_LIB_RUNTIME_HOSTDEVICE_H
