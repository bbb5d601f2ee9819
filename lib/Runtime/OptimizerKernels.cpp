//===- OptimizerKernels.cpp - optimizer updates on the CPU ----------------===//
//
// AdamW in one pass: each element of the parameter and its moments is read
// once and written once (the same update as elementwise ops is 13 kernels
// and as many passes over memory). The arithmetic is torch.optim.AdamW's,
// in float, in its order.
//
//===----------------------------------------------------------------------===//

#include "OneDnnSupport.h"
#include "StatusInternal.h"
#include "cleave/Runtime/CpuKernels.h"
#include "cleave/Runtime/Transport.h"
#include <cmath>

using namespace cleave::cpu;

extern "C" {

cleave_status cleave_cpu_adamw(
    const cleave_tensor *param, const cleave_tensor *grad,
    const cleave_tensor *exp_avg, const cleave_tensor *exp_avg_sq,
    const cleave_tensor *lr, const cleave_tensor *correction1,
    const cleave_tensor *correction2, float beta1, float beta2, float eps,
    float weight_decay, float grad_scale, cleave_tensor *next_param,
    cleave_tensor *next_exp_avg, cleave_tensor *next_exp_avg_sq) {
  CLEAVE_RETURN_IF_ERROR(checkF32(
      "adamw", {param, grad, exp_avg, exp_avg_sq, lr, correction1,
                correction2, next_param, next_exp_avg, next_exp_avg_sq}));
  for (const cleave_tensor *t :
       {exp_avg, exp_avg_sq, (const cleave_tensor *)next_param,
        (const cleave_tensor *)next_exp_avg,
        (const cleave_tensor *)next_exp_avg_sq})
    if (dimsOf(t) != dimsOf(grad))
      return CLEAVE_ERROR(CLEAVE_INVALID_ARGUMENT,
                          "adamw: the gradient, the moments and the outputs "
                          "must have one shape");
  int64_t n = cleave_tensor_num_elements(grad);
  const float *p = static_cast<const float *>(param->data);
  // A parameter larger than its gradient is sharded over the replicas
  // (ZeRO stage 1): this replica updates its slice.
  if (int64_t whole = cleave_tensor_num_elements(param); whole != n) {
    int64_t at = (int64_t)cleave_runtime_replica() * n;
    if (n == 0 || whole % n != 0 || at + n > whole)
      return CLEAVE_ERROR(CLEAVE_INVALID_ARGUMENT,
                          "adamw: the parameter must have its gradient's "
                          "shape or hold one slice per replica");
    p += at;
  }
  for (const cleave_tensor *t : {lr, correction1, correction2})
    if (cleave_tensor_num_elements(t) != 1)
      return CLEAVE_ERROR(CLEAVE_INVALID_ARGUMENT,
                          "adamw: lr and the corrections must be scalars");
  float rate = *static_cast<const float *>(lr->data);
  float c1 = *static_cast<const float *>(correction1->data);
  float c2 = *static_cast<const float *>(correction2->data);
  // torch: p.mul_(1 - lr * wd); m.lerp_(g, 1 - b1); v.mul_(b2).addcmul_(g,
  // g, 1 - b2); p.addcdiv_(m, v.sqrt() / sqrt(c2) + eps, -lr / c1).
  float decay = 1.0f - rate * weight_decay, stepSize = rate / c1,
        rootC2 = std::sqrt(c2), keep1 = 1.0f - beta1, keep2 = 1.0f - beta2;
  const float *g = static_cast<const float *>(grad->data),
              *m = static_cast<const float *>(exp_avg->data),
              *v = static_cast<const float *>(exp_avg_sq->data);
  float *pOut = static_cast<float *>(next_param->data),
        *mOut = static_cast<float *>(next_exp_avg->data),
        *vOut = static_cast<float *>(next_exp_avg_sq->data);
#pragma omp parallel for simd if (n * 28 > kSerialBytes)
  for (int64_t i = 0; i < n; ++i) {
    float gi = g[i] * grad_scale;
    float mi = m[i] + keep1 * (gi - m[i]);
    float vi = v[i] * beta2 + keep2 * gi * gi;
    float pi = p[i] * decay;
    pOut[i] = pi - stepSize * (mi / (std::sqrt(vi) / rootC2 + eps));
    mOut[i] = mi;
    vOut[i] = vi;
  }
  return nullptr;
}

} // extern "C"
