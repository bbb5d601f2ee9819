//===- HostFallback.cpp - CPU kernels on host copies ----------------------===//

#include "HostFallback.h"

namespace cleave::cuda {

HostMirror::HostMirror() {
  countFallback();
  error_ = check(cudaStreamSynchronize(stream()), "host fallback", __FILE__,
                 __LINE__);
}

HostMirror::~HostMirror() {
  if (error_)
    cleave_status_free(error_);
}

cleave_tensor *HostMirror::copy(const cleave_tensor *t) {
  if (!t)
    return nullptr;
  size_t bytes = cleave_tensor_num_bytes(t);
  storage_.emplace_back(bytes ? bytes : 1);
  cleave_tensor &h = host_.emplace_back(*t);
  h.data = storage_.back().data();
  h.owns_data = 0;
  if (!error_ && bytes)
    error_ = check(cudaMemcpy(h.data, t->data, bytes, cudaMemcpyDeviceToHost),
                   "host fallback", __FILE__, __LINE__);
  return &h;
}

const cleave_tensor *HostMirror::in(const cleave_tensor *t) { return copy(t); }

cleave_tensor *HostMirror::out(cleave_tensor *t) {
  // Copied too: the kernel may run in place or write part of it.
  cleave_tensor *h = copy(t);
  if (t)
    outputs_.push_back({t, h});
  return h;
}

cleave_status HostMirror::finish(cleave_status status) {
  if (error_) {
    cleave_status_free(status);
    cleave_status e = error_;
    error_ = nullptr;
    return e;
  }
  if (status)
    return status;
  for (auto [device, host] : outputs_)
    if (size_t bytes = cleave_tensor_num_bytes(host))
      CLEAVE_CUDA_CHECK(cudaMemcpyAsync(device->data, host->data, bytes,
                                        cudaMemcpyHostToDevice, stream()),
                        "host fallback");
  // The host buffers die with this object.
  CLEAVE_CUDA_CHECK(cudaStreamSynchronize(stream()), "host fallback");
  return nullptr;
}

} // namespace cleave::cuda

using namespace cleave::cuda;

extern "C" {

cleave_status cleave_cuda_lrn(const cleave_tensor *x, float alpha, float beta,
                              float bias, int64_t size, cleave_tensor *y) {
  HostMirror m;
  return m.finish(cleave_cpu_lrn(m.in(x), alpha, beta, bias, size, m.out(y)));
}

cleave_status cleave_cuda_einsum(const char *equation,
                                 const cleave_tensor *const *inputs,
                                 int32_t count, cleave_tensor *y) {
  HostMirror m;
  std::vector<const cleave_tensor *> host;
  for (int32_t i = 0; i < count; ++i)
    host.push_back(m.in(inputs[i]));
  return m.finish(cleave_cpu_einsum(equation, host.data(), count, m.out(y)));
}

cleave_status cleave_cuda_top_k(const cleave_tensor *x, int32_t axis,
                                int32_t largest, cleave_tensor *values,
                                cleave_tensor *indices) {
  HostMirror m;
  return m.finish(cleave_cpu_top_k(m.in(x), axis, largest, m.out(values),
                                   m.out(indices)));
}

cleave_status cleave_cuda_max_pool_indices(const cleave_tensor *x,
                                           const cleave_window *window,
                                           int32_t storage_order,
                                           cleave_tensor *y,
                                           cleave_tensor *indices) {
  HostMirror m;
  return m.finish(cleave_cpu_max_pool_indices(m.in(x), window, storage_order,
                                              m.out(y), m.out(indices)));
}

cleave_status cleave_cuda_det(const cleave_tensor *x, cleave_tensor *y) {
  HostMirror m;
  return m.finish(cleave_cpu_det(m.in(x), m.out(y)));
}

cleave_status cleave_cuda_grid_sample(const cleave_tensor *x,
                                      const cleave_tensor *grid, int32_t mode,
                                      int32_t padding, int32_t align_corners,
                                      cleave_tensor *y) {
  HostMirror m;
  return m.finish(cleave_cpu_grid_sample(m.in(x), m.in(grid), mode, padding,
                                         align_corners, m.out(y)));
}

cleave_status cleave_cuda_roi_align(const cleave_tensor *x,
                                    const cleave_tensor *rois,
                                    const cleave_tensor *batch_indices,
                                    int32_t mode, int32_t coordinates,
                                    int32_t sampling_ratio, float spatial_scale,
                                    cleave_tensor *y) {
  HostMirror m;
  return m.finish(cleave_cpu_roi_align(m.in(x), m.in(rois), m.in(batch_indices),
                                       mode, coordinates, sampling_ratio,
                                       spatial_scale, m.out(y)));
}

cleave_status cleave_cuda_tfidf_vectorizer(
    const cleave_tensor *x, const cleave_tensor *weights, int32_t mode,
    int32_t min_gram, int32_t max_gram, int32_t max_skip, const int64_t *pool,
    int64_t pool_size, const int64_t *counts, int64_t counts_size,
    const int64_t *indexes, int64_t indexes_size, cleave_tensor *y) {
  HostMirror m;
  return m.finish(cleave_cpu_tfidf_vectorizer(
      m.in(x), m.in(weights), mode, min_gram, max_gram, max_skip, pool,
      pool_size, counts, counts_size, indexes, indexes_size, m.out(y)));
}

cleave_status cleave_cuda_conv_integer(const cleave_tensor *x,
                                       const cleave_tensor *w,
                                       const cleave_tensor *x_zero_point,
                                       const cleave_tensor *w_zero_point,
                                       const cleave_window *window,
                                       int64_t group, cleave_tensor *y) {
  HostMirror m;
  return m.finish(cleave_cpu_conv_integer(m.in(x), m.in(w), m.in(x_zero_point),
                                          m.in(w_zero_point), window, group,
                                          m.out(y)));
}

cleave_status cleave_cuda_dropout(const cleave_tensor *x, double ratio,
                                  int64_t seed, cleave_tensor *y,
                                  cleave_tensor *mask) {
  HostMirror m;
  return m.finish(
      cleave_cpu_dropout(m.in(x), ratio, seed, m.out(y), m.out(mask)));
}

// Until cuDNN's RNN API serves it: the layer's weights are repacked on
// every call (their host copies are not the constants the CPU caches).
cleave_status cleave_cuda_recurrent(
    int32_t cell, int32_t activation, int32_t direction,
    int32_t linear_before_reset, const cleave_tensor *x, const cleave_tensor *w,
    const cleave_tensor *r, const cleave_tensor *b,
    const cleave_tensor *initial_h, const cleave_tensor *initial_c,
    const cleave_tensor *p, cleave_tensor *y, cleave_tensor *y_h,
    cleave_tensor *y_c) {
  HostMirror m;
  return m.finish(cleave_cpu_recurrent(
      cell, activation, direction, linear_before_reset, m.in(x), m.in(w),
      m.in(r), m.in(b), m.in(initial_h), m.in(initial_c), m.in(p), m.out(y),
      m.out(y_h), m.out(y_c)));
}

cleave_status cleave_cuda_conv_transpose(const cleave_tensor *x,
                                         const cleave_tensor *w,
                                         const cleave_tensor *b,
                                         const cleave_window *window,
                                         int64_t group, cleave_tensor *y) {
  HostMirror m;
  return m.finish(cleave_cpu_conv_transpose(m.in(x), m.in(w), m.in(b), window,
                                            group, m.out(y)));
}

cleave_status cleave_cuda_instance_norm(const cleave_tensor *x,
                                        const cleave_tensor *scale,
                                        const cleave_tensor *bias,
                                        float epsilon, cleave_tensor *y) {
  HostMirror m;
  return m.finish(cleave_cpu_instance_norm(m.in(x), m.in(scale), m.in(bias),
                                           epsilon, m.out(y)));
}

cleave_status cleave_cuda_cumsum(const cleave_tensor *x, int32_t axis,
                                 int32_t exclusive, int32_t reverse,
                                 cleave_tensor *y) {
  HostMirror m;
  return m.finish(
      cleave_cpu_cumsum(m.in(x), axis, exclusive, reverse, m.out(y)));
}

cleave_status cleave_cuda_dropout_mask(const cleave_tensor *step, double ratio,
                                       int64_t seed, int64_t microbatch,
                                       int64_t microbatches,
                                       cleave_tensor *mask) {
  HostMirror m;
  return m.finish(cleave_cpu_dropout_mask(m.in(step), ratio, seed, microbatch,
                                          microbatches, m.out(mask)));
}

// Indexed reads and writes: one pass on the host (a scatter applies its
// updates in order; out() starts as the device's y, in() as its data).
cleave_status cleave_cuda_gather_nd(const cleave_tensor *data,
                                    const cleave_tensor *indices,
                                    int32_t batch_dims, cleave_tensor *y) {
  HostMirror m;
  return m.finish(
      cleave_cpu_gather_nd(m.in(data), m.in(indices), batch_dims, m.out(y)));
}

cleave_status cleave_cuda_scatter_nd(const cleave_tensor *data,
                                     const cleave_tensor *indices,
                                     const cleave_tensor *updates,
                                     cleave_scatter_reduction reduction,
                                     cleave_tensor *y) {
  HostMirror m;
  return m.finish(cleave_cpu_scatter_nd(m.in(data), m.in(indices),
                                        m.in(updates), reduction, m.out(y)));
}

cleave_status cleave_cuda_scatter_elements(const cleave_tensor *data,
                                           const cleave_tensor *indices,
                                           const cleave_tensor *updates,
                                           int32_t axis,
                                           cleave_scatter_reduction reduction,
                                           cleave_tensor *y) {
  HostMirror m;
  return m.finish(cleave_cpu_scatter_elements(m.in(data), m.in(indices),
                                              m.in(updates), axis, reduction,
                                              m.out(y)));
}

cleave_status cleave_cuda_gather_grad(const cleave_tensor *indices,
                                      const cleave_tensor *dy, int32_t axis,
                                      cleave_tensor *ddata) {
  HostMirror m;
  return m.finish(
      cleave_cpu_gather_grad(m.in(indices), m.in(dy), axis, m.out(ddata)));
}

cleave_status cleave_cuda_conv_backward_data(const cleave_tensor *dy,
                                             const cleave_tensor *w,
                                             const cleave_window *window,
                                             int64_t group, cleave_tensor *dx) {
  HostMirror m;
  return m.finish(cleave_cpu_conv_backward_data(m.in(dy), m.in(w), window,
                                                group, m.out(dx)));
}

cleave_status cleave_cuda_conv_backward_weights(const cleave_tensor *x,
                                                const cleave_tensor *dy,
                                                const cleave_window *window,
                                                int64_t group,
                                                cleave_tensor *dw) {
  HostMirror m;
  return m.finish(cleave_cpu_conv_backward_weights(m.in(x), m.in(dy), window,
                                                   group, m.out(dw)));
}

cleave_status cleave_cuda_pool_backward(cleave_pool_kind kind,
                                        const cleave_tensor *x,
                                        const cleave_tensor *dy,
                                        const cleave_window *window,
                                        cleave_tensor *dx) {
  HostMirror m;
  return m.finish(cleave_cpu_pool_backward(kind, m.in(x), m.in(dy), window,
                                           m.out(dx)));
}

cleave_status cleave_cuda_cross_entropy(const cleave_tensor *logits,
                                        const cleave_tensor *labels,
                                        int32_t reduction_mean,
                                        int64_t ignore_index,
                                        cleave_tensor *loss) {
  HostMirror m;
  return m.finish(cleave_cpu_cross_entropy(
      m.in(logits), m.in(labels), reduction_mean, ignore_index, m.out(loss)));
}

cleave_status cleave_cuda_cross_entropy_grad(const cleave_tensor *logits,
                                             const cleave_tensor *labels,
                                             const cleave_tensor *dloss,
                                             int32_t reduction_mean,
                                             int64_t ignore_index,
                                             cleave_tensor *dlogits) {
  HostMirror m;
  return m.finish(cleave_cpu_cross_entropy_grad(
      m.in(logits), m.in(labels), m.in(dloss), reduction_mean, ignore_index,
      m.out(dlogits)));
}

cleave_status cleave_cuda_resize(const cleave_tensor *x, const float *scales,
                                 int32_t linear,
                                 cleave_resize_coordinates coordinates,
                                 cleave_resize_nearest nearest,
                                 cleave_tensor *y) {
  HostMirror m;
  return m.finish(cleave_cpu_resize(m.in(x), scales, linear, coordinates,
                                    nearest, m.out(y)));
}

cleave_status cleave_cuda_resize_crop(const cleave_tensor *x,
                                      const float *scales, const float *roi,
                                      int32_t mode,
                                      cleave_resize_nearest nearest,
                                      float cubic_a, int32_t exclude_outside,
                                      float extrapolation, cleave_tensor *y) {
  HostMirror m;
  return m.finish(cleave_cpu_resize_crop(m.in(x), scales, roi, mode, nearest,
                                         cubic_a, exclude_outside,
                                         extrapolation, m.out(y)));
}

cleave_status cleave_cuda_resize_cubic(const cleave_tensor *x,
                                       const float *scales,
                                       cleave_resize_coordinates coordinates,
                                       float cubic_a, int32_t exclude_outside,
                                       cleave_tensor *y) {
  HostMirror m;
  return m.finish(cleave_cpu_resize_cubic(m.in(x), scales, coordinates, cubic_a,
                                          exclude_outside, m.out(y)));
}

} // extern "C"
