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
#include "cleave/Runtime/CudaTransport.h"
#include "cleave/Runtime/ProgramTable.h"

namespace cleave::program {

/// Transfers between GPUs (multi-device bundles, libCleaveRuntimeCudaMpi).
inline cleave_status send(const cleave_tensor &x, int64_t peer, int64_t tag) {
  return cleave_cuda_transport_send(&x, (int32_t)peer, (int32_t)tag);
}

inline cleave_status recv(const cleave_tensor &y, int64_t peer, int64_t tag) {
  return cleave_cuda_transport_recv(const_cast<cleave_tensor *>(&y), (int32_t)peer,
                               (int32_t)tag);
}

inline cleave_status wait_sends() { return cleave_cuda_transport_wait_sends(); }

inline cleave_status matmul(const cleave_tensor &a, const cleave_tensor &b,
                            const cleave_tensor &y) {
  return cleave_cuda_matmul(&a, &b, const_cast<cleave_tensor *>(&y));
}

inline cleave_status unary(cleave_unary_op op, float alpha, float beta,
                           const cleave_tensor &x, const cleave_tensor &y) {
  return cleave_cuda_unary(op, alpha, beta, &x, const_cast<cleave_tensor *>(&y));
}

inline cleave_status binary(cleave_binary_op op, const cleave_tensor &a,
                            const cleave_tensor &b, const cleave_tensor &y) {
  return cleave_cuda_binary(op, &a, &b, const_cast<cleave_tensor *>(&y));
}

inline cleave_status softmax(const cleave_tensor &x, int32_t axis, int32_t log,
                             const cleave_tensor &y) {
  return cleave_cuda_softmax(&x, axis, log, const_cast<cleave_tensor *>(&y));
}

/// Convolutions: y = clip(conv(x, w) + b + z, lo, hi), the bias b and the
/// residual z optional (cleave-fuse-ops fuses z, lo and hi).
inline cleave_status conv(const cleave_tensor &x, const cleave_tensor &w,
                          const cleave_window &window, int64_t group,
                          const cleave_tensor &y, float lo = -INFINITY,
                          float hi = INFINITY) {
  return cleave_cuda_conv_fused(&x, &w, nullptr, nullptr, &window, group, lo,
                               hi, const_cast<cleave_tensor *>(&y));
}

inline cleave_status conv_bias(const cleave_tensor &x, const cleave_tensor &w,
                               const cleave_tensor &b,
                               const cleave_window &window, int64_t group,
                               const cleave_tensor &y, float lo = -INFINITY,
                               float hi = INFINITY) {
  return cleave_cuda_conv_fused(&x, &w, &b, nullptr, &window, group, lo, hi,
                               const_cast<cleave_tensor *>(&y));
}

inline cleave_status conv_add(const cleave_tensor &x, const cleave_tensor &w,
                              const cleave_tensor &z,
                              const cleave_window &window, int64_t group,
                              const cleave_tensor &y, float lo = -INFINITY,
                              float hi = INFINITY) {
  return cleave_cuda_conv_fused(&x, &w, nullptr, &z, &window, group, lo, hi,
                               const_cast<cleave_tensor *>(&y));
}

inline cleave_status conv_bias_add(const cleave_tensor &x,
                                   const cleave_tensor &w,
                                   const cleave_tensor &b,
                                   const cleave_tensor &z,
                                   const cleave_window &window, int64_t group,
                                   const cleave_tensor &y, float lo = -INFINITY,
                                   float hi = INFINITY) {
  return cleave_cuda_conv_fused(&x, &w, &b, &z, &window, group, lo, hi,
                               const_cast<cleave_tensor *>(&y));
}

inline cleave_status lrn(const cleave_tensor &x, float alpha, float beta,
                         float bias, int64_t size, const cleave_tensor &y) {
  return cleave_cuda_lrn(&x, alpha, beta, bias, size,
                        const_cast<cleave_tensor *>(&y));
}

inline cleave_status top_k(const cleave_tensor &x, int32_t axis,
                           int32_t largest, const cleave_tensor &values,
                           const cleave_tensor &indices) {
  return cleave_cuda_top_k(&x, axis, largest,
                          const_cast<cleave_tensor *>(&values),
                          const_cast<cleave_tensor *>(&indices));
}

inline cleave_status pool(cleave_pool_kind kind, const cleave_tensor &x,
                          const cleave_window &window, const cleave_tensor &y) {
  return cleave_cuda_pool(kind, &x, &window, const_cast<cleave_tensor *>(&y));
}

inline cleave_status
batch_norm(const cleave_tensor &x, const cleave_tensor &scale,
           const cleave_tensor &bias, const cleave_tensor &mean,
           const cleave_tensor &var, float epsilon, const cleave_tensor &y) {
  return cleave_cuda_batch_norm(&x, &scale, &bias, &mean, &var, epsilon,
                               const_cast<cleave_tensor *>(&y));
}

inline cleave_status gemm(const cleave_tensor &a, const cleave_tensor &b,
                          float alpha, int32_t transA, int32_t transB,
                          const cleave_tensor &y) {
  return cleave_cuda_gemm(&a, &b, nullptr, alpha, 0.0f, transA, transB,
                         const_cast<cleave_tensor *>(&y));
}

inline cleave_status gemm_c(const cleave_tensor &a, const cleave_tensor &b,
                            const cleave_tensor &c, float alpha, float beta,
                            int32_t transA, int32_t transB,
                            const cleave_tensor &y) {
  return cleave_cuda_gemm(&a, &b, &c, alpha, beta, transA, transB,
                         const_cast<cleave_tensor *>(&y));
}

inline cleave_status reduce(cleave_reduce_op op, const cleave_tensor &x,
                            const cleave_tensor &y) {
  return cleave_cuda_reduce(op, &x, const_cast<cleave_tensor *>(&y));
}

inline cleave_status transpose(const cleave_tensor &x,
                               std::initializer_list<int64_t> perm,
                               const cleave_tensor &y) {
  return cleave_cuda_transpose(&x, perm.begin(),
                              const_cast<cleave_tensor *>(&y));
}

template <typename... Tensors>
cleave_status concat(int32_t axis, const cleave_tensor &y,
                     const Tensors &...inputs) {
  const cleave_tensor *list[] = {&inputs...};
  return cleave_cuda_concat(list, (int32_t)sizeof...(inputs), axis,
                           const_cast<cleave_tensor *>(&y));
}

template <typename... Tensors>
cleave_status einsum(const char *equation, const cleave_tensor &y,
                     const Tensors &...inputs) {
  const cleave_tensor *list[] = {&inputs...};
  return cleave_cuda_einsum(equation, list, (int32_t)sizeof...(inputs),
                           const_cast<cleave_tensor *>(&y));
}

inline cleave_status layer_norm(const cleave_tensor &x,
                                const cleave_tensor &scale, int32_t axis,
                                float epsilon, const cleave_tensor &y) {
  return cleave_cuda_layer_norm_stats(&x, &scale, nullptr, axis, epsilon,
                                      const_cast<cleave_tensor *>(&y),
                                      nullptr, nullptr);
}

inline cleave_status layer_norm_bias(const cleave_tensor &x,
                                     const cleave_tensor &scale,
                                     const cleave_tensor &bias, int32_t axis,
                                     float epsilon, const cleave_tensor &y) {
  return cleave_cuda_layer_norm_stats(&x, &scale, &bias, axis, epsilon,
                                      const_cast<cleave_tensor *>(&y),
                                      nullptr, nullptr);
}

inline cleave_status slice(const cleave_tensor &x,
                           std::initializer_list<int64_t> starts,
                           std::initializer_list<int64_t> steps,
                           const cleave_tensor &y) {
  return cleave_cuda_slice(&x, starts.begin(), steps.begin(),
                          const_cast<cleave_tensor *>(&y));
}

inline cleave_status gather(const cleave_tensor &data,
                            const cleave_tensor &indices, int32_t axis,
                            const cleave_tensor &y) {
  return cleave_cuda_gather(&data, &indices, axis,
                           const_cast<cleave_tensor *>(&y));
}

inline cleave_status expand(const cleave_tensor &x, const cleave_tensor &y) {
  if (x.data == y.data) // Planned in place: already there.
    return nullptr;
  return cleave_cuda_expand(&x, const_cast<cleave_tensor *>(&y));
}

inline cleave_status arg_reduce(const cleave_tensor &x, int32_t axis,
                                int32_t isMax, int32_t selectLast,
                                const cleave_tensor &y) {
  return cleave_cuda_arg_reduce(&x, axis, isMax, selectLast,
                               const_cast<cleave_tensor *>(&y));
}

inline cleave_status tile(const cleave_tensor &x, const cleave_tensor &y) {
  return cleave_cuda_tile(&x, const_cast<cleave_tensor *>(&y));
}

inline cleave_status where(const cleave_tensor &c, const cleave_tensor &x,
                           const cleave_tensor &y, const cleave_tensor &out) {
  return cleave_cuda_where(&c, &x, &y, const_cast<cleave_tensor *>(&out));
}

inline cleave_status pad(const cleave_tensor &x,
                         std::initializer_list<int64_t> begin,
                         cleave_pad_mode mode, double value,
                         const cleave_tensor &y) {
  return cleave_cuda_pad(&x, begin.begin(), mode, value,
                        const_cast<cleave_tensor *>(&y));
}

inline cleave_status cast(const cleave_tensor &x, const cleave_tensor &y) {
  return cleave_cuda_cast(&x, const_cast<cleave_tensor *>(&y));
}

inline cleave_status compare(cleave_compare_op op, const cleave_tensor &a,
                             const cleave_tensor &b, const cleave_tensor &y) {
  return cleave_cuda_compare(op, &a, &b, const_cast<cleave_tensor *>(&y));
}

inline cleave_status gather_elements(const cleave_tensor &data,
                                     const cleave_tensor &indices, int32_t axis,
                                     const cleave_tensor &y) {
  return cleave_cuda_gather_elements(&data, &indices, axis,
                                    const_cast<cleave_tensor *>(&y));
}

inline cleave_status trilu(const cleave_tensor &x, int64_t k, int32_t upper,
                           const cleave_tensor &y) {
  return cleave_cuda_trilu(&x, k, upper, const_cast<cleave_tensor *>(&y));
}

inline cleave_status cumsum(const cleave_tensor &x, int32_t axis,
                            int32_t exclusive, int32_t reverse,
                            const cleave_tensor &y) {
  return cleave_cuda_cumsum(&x, axis, exclusive, reverse,
                           const_cast<cleave_tensor *>(&y));
}

/// LayerNormalization with its Mean and InvStdDev outputs.
inline cleave_status layer_norm_stats(const cleave_tensor &x,
                                      const cleave_tensor &scale, int32_t axis,
                                      float epsilon, const cleave_tensor &y,
                                      const cleave_tensor &mean,
                                      const cleave_tensor &invStdDev) {
  return cleave_cuda_layer_norm_stats(&x, &scale, nullptr, axis, epsilon,
                                     const_cast<cleave_tensor *>(&y),
                                     const_cast<cleave_tensor *>(&mean),
                                     const_cast<cleave_tensor *>(&invStdDev));
}

inline cleave_status
layer_norm_bias_stats(const cleave_tensor &x, const cleave_tensor &scale,
                      const cleave_tensor &bias, int32_t axis, float epsilon,
                      const cleave_tensor &y, const cleave_tensor &mean,
                      const cleave_tensor &invStdDev) {
  return cleave_cuda_layer_norm_stats(&x, &scale, &bias, axis, epsilon,
                                     const_cast<cleave_tensor *>(&y),
                                     const_cast<cleave_tensor *>(&mean),
                                     const_cast<cleave_tensor *>(&invStdDev));
}

inline cleave_status resize(const cleave_tensor &x,
                            std::initializer_list<float> scales, int32_t linear,
                            cleave_resize_coordinates coordinates,
                            cleave_resize_nearest nearest,
                            const cleave_tensor &y) {
  return cleave_cuda_resize(&x, scales.begin(), linear, coordinates, nearest,
                           const_cast<cleave_tensor *>(&y));
}

inline cleave_status resize_cubic(const cleave_tensor &x,
                                  std::initializer_list<float> scales,
                                  cleave_resize_coordinates coordinates,
                                  float cubicA, int32_t excludeOutside,
                                  const cleave_tensor &y) {
  return cleave_cuda_resize_cubic(&x, scales.begin(), coordinates, cubicA,
                                 excludeOutside,
                                 const_cast<cleave_tensor *>(&y));
}

inline cleave_status conv_transpose(const cleave_tensor &x,
                                    const cleave_tensor &w,
                                    const cleave_window &window, int64_t group,
                                    const cleave_tensor &y) {
  return cleave_cuda_conv_transpose(&x, &w, nullptr, &window, group,
                                   const_cast<cleave_tensor *>(&y));
}

inline cleave_status
conv_transpose_bias(const cleave_tensor &x, const cleave_tensor &w,
                    const cleave_tensor &b, const cleave_window &window,
                    int64_t group, const cleave_tensor &y) {
  return cleave_cuda_conv_transpose(&x, &w, &b, &window, group,
                                   const_cast<cleave_tensor *>(&y));
}

inline cleave_status instance_norm(const cleave_tensor &x,
                                   const cleave_tensor &scale,
                                   const cleave_tensor &bias, float epsilon,
                                   const cleave_tensor &y) {
  return cleave_cuda_instance_norm(&x, &scale, &bias, epsilon,
                                  const_cast<cleave_tensor *>(&y));
}

inline cleave_status logical_not(const cleave_tensor &x,
                                 const cleave_tensor &y) {
  return cleave_cuda_not(&x, const_cast<cleave_tensor *>(&y));
}

/// Copies x into y (same number of bytes; shapes may differ, as in a
/// reshape that could not share its buffer).
inline cleave_status copy(const cleave_tensor &x, const cleave_tensor &y) {
  return cleave_cuda_copy(&x, const_cast<cleave_tensor *>(&y));
}

} // namespace cleave::program

#endif // CLEAVE_RUNTIME_CUDAPROGRAM_H
