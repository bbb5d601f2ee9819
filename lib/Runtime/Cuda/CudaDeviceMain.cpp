//===- CudaDeviceMain.cpp - the main of a CUDA device program -------------===//

#include "CudaDevice.h"
#include "cleave/Runtime/CudaProgram.h"
#include <cuda_runtime.h>
#include <cstdio>
#include <cstdlib>
#include <string>

namespace {

cleave_status synchronizeAll() {
  if (cleave::cuda::syncHook)
    if (cleave_status s = cleave::cuda::syncHook())
      return s;
  return cleave_cuda_synchronize();
}

const cleave_device_backend kCudaBackend = {
    "cuda",
    cleave_cuda_alloc,
    cleave_cuda_free,
    cleave_cuda_upload,
    cleave_cuda_download,
    synchronizeAll,
    cleave_cuda_set_constant_region,
    cleave::cuda::runProgram,
};

} // namespace

namespace cleave::cuda {

cleave_status (*syncHook)() = nullptr;

int32_t deviceFor(int32_t rank) {
  if (const char *chosen = std::getenv("CLEAVE_CUDA_DEVICE"))
    return (int32_t)std::atoi(chosen);
  int count = 0;
  if (cudaGetDeviceCount(&count) != cudaSuccess || count == 0)
    return 0; // cleave_cuda_init reports it.
  return rank % count;
}

int runOnGpu(int argc, char **argv, const cleave_program &program,
             int32_t gpu, cleave_precision precision) {
  if (cleave_status s = cleave_cuda_init(gpu, precision)) {
    std::fprintf(stderr, "%s: error: %s\n", program.name,
                 cleave_status_message(s));
    cleave_status_free(s);
    return 1;
  }
  int rc = cleave_device_main_on(argc, argv, program, &kCudaBackend);
  if (int64_t n = cleave_cuda_fallback_count())
    std::fprintf(stderr,
                 "%s: note: %lld kernel calls ran on the host (no CUDA "
                 "kernel for their op or element type)\n",
                 program.name, (long long)n);
  return rc;
}

} // namespace cleave::cuda

int cleave_cuda_device_main(int argc, char **argv,
                            const cleave_program &program,
                            cleave_precision precision) {
  return cleave::cuda::runOnGpu(argc, argv, program,
                                cleave::cuda::deviceFor(0), precision);
}
