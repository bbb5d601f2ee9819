//===- CudaDevice.h - the device main's hooks for transports ----*- C++ -*-===//

#ifndef CLEAVE_LIB_RUNTIME_CUDA_CUDADEVICE_H
#define CLEAVE_LIB_RUNTIME_CUDA_CUDADEVICE_H

#include "cleave/Runtime/CudaKernels.h"
#include "cleave/Runtime/ProgramTable.h"

namespace cleave::cuda {

/// Set by a transport: waits for its own queued work (and reports its
/// errors) whenever the device main synchronizes.
extern cleave_status (*syncHook)();

/// The GPU of device `rank`: CLEAVE_CUDA_DEVICE, else rank modulo the
/// number of GPUs.
int32_t deviceFor(int32_t rank);

/// Runs the program once: eagerly the first time for a set of buffers,
/// then as a captured CUDA graph (GraphReplay.cpp).
cleave_status runProgram(const cleave_program &program, char *arena,
                         const char *weights, const cleave_tensor *inputs,
                         const cleave_tensor *outputs);

/// Initializes the GPU and runs the program on it (cleave_device_main_on).
int runOnGpu(int argc, char **argv, const cleave_program &program,
             int32_t gpu, cleave_precision precision);

} // namespace cleave::cuda

#endif // CLEAVE_LIB_RUNTIME_CUDA_CUDADEVICE_H
