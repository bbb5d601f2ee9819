//===- CudaProgram.h - what generated CUDA device programs include -*- C++ -*-===//
//
// The CUDA target's counterpart of Program.h: the same helpers, so the
// generated code is the same for both targets, calling the CUDA kernels on
// device memory (arena, weights, inputs and outputs all live on the GPU).
//
//===----------------------------------------------------------------------===//

#ifndef CLEAVE_RUNTIME_CUDAPROGRAM_H
#define CLEAVE_RUNTIME_CUDAPROGRAM_H

#include "cleave/Runtime/CudaKernels.h"
#include "cleave/Runtime/ProgramTable.h"
#include "cleave/Runtime/CudaTransport.h"

#endif // CLEAVE_RUNTIME_CUDAPROGRAM_H
