//===- CudaKernelList.cpp - the CUDA runtime has every kernel -------------===//
//
// Links only if the CUDA runtime defines cleave_cuda_<name> for every kernel
// of Kernels.def; prints how many.
//
//===----------------------------------------------------------------------===//

#include "cleave/Runtime/CudaKernels.h"
#include <cstdio>
#include <iterator>

int main() {
  void (*const kernels[])() = {
#define CLEAVE_KERNEL(name, params)                                           \
  reinterpret_cast<void (*)()>(&cleave_cuda_##name),
#include "cleave/Runtime/Kernels.def"
#undef CLEAVE_KERNEL
  };
  for (auto kernel : kernels)
    if (!kernel)
      return 1;
  std::printf("the CUDA runtime defines all %zu kernels\n", std::size(kernels));
  return 0;
}
