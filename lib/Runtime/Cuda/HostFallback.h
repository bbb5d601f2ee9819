//===- HostFallback.h - running a CPU kernel on host copies -----*- C++ -*-===//
//
// For ops and element types without a CUDA kernel: waits for the stream,
// copies the operands to the host, runs the CPU kernel there and copies the
// outputs back. Slow, but every op of the dialect runs on the cuda target;
// cleave_cuda_fallback_count tells how often it happened.
//
//   HostMirror m;
//   return m.finish(cleave_cpu_lrn(m.in(x), ..., m.out(y)));
//
//===----------------------------------------------------------------------===//

#ifndef CLEAVE_LIB_RUNTIME_CUDA_HOSTFALLBACK_H
#define CLEAVE_LIB_RUNTIME_CUDA_HOSTFALLBACK_H

#include "CudaContext.h"
#include <deque>
#include <vector>

namespace cleave::cuda {

class HostMirror {
public:
  HostMirror();
  ~HostMirror();
  HostMirror(const HostMirror &) = delete;
  HostMirror &operator=(const HostMirror &) = delete;

  /// A host copy of device tensor `t` (nullptr stays nullptr).
  const cleave_tensor *in(const cleave_tensor *t);
  /// A host copy of output `t`, copied back by finish().
  cleave_tensor *out(cleave_tensor *t);
  /// The CPU kernel's status; on success, the outputs go back to the device.
  cleave_status finish(cleave_status status);

private:
  cleave_tensor *copy(const cleave_tensor *t);
  std::deque<cleave_tensor> host_;
  std::deque<std::vector<char>> storage_;
  std::vector<std::pair<cleave_tensor *, cleave_tensor *>> outputs_;
  cleave_status error_ = nullptr;
};

} // namespace cleave::cuda

#endif // CLEAVE_LIB_RUNTIME_CUDA_HOSTFALLBACK_H
