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

#endif // CLEAVE_LIB_RUNTIME_HOSTDEVICE_H
