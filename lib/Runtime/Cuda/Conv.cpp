//===- Conv.cpp - convolutions on cuDNN -----------------------------------===//
//
// cuDNN's convolution (its legacy API, still in cuDNN 9), NCHW f32, with the
// algorithm found once per shape by timing the candidates (as PyTorch's
// cudnn.benchmark) and cached. Asymmetric padding, which cuDNN lacks, pads
// the input first. Bias, the residual and the clip run as one epilogue
// kernel. TF32 tensor cores unless the precision is fp32.
//
//===----------------------------------------------------------------------===//

#include "Conv.h"
#include "CudaContext.h"
#include "HostFallback.h"
#include <cudnn.h>
#include <map>
#include <vector>

namespace cleave::cuda {
namespace {

#define CLEAVE_CUDNN(expr)                                                     \
  do {                                                                         \
    cudnnStatus_t cleave_cudnn_ = (expr);                                      \
    if (cleave_cudnn_ != CUDNN_STATUS_SUCCESS)                                 \
      return CLEAVE_ERROR(CLEAVE_INTERNAL, std::string("cuDNN: ") +            \
                                               cudnnGetErrorString(            \
                                                   cleave_cudnn_));            \
  } while (0)

constexpr size_t kWorkspaceLimit = size_t(512) << 20;

/// Descriptors and algorithm of one convolution shape.
struct ConvPlan {
  cudnnTensorDescriptor_t x = nullptr, y = nullptr;
  cudnnFilterDescriptor_t w = nullptr;
  cudnnConvolutionDescriptor_t conv = nullptr;
  cudnnConvolutionFwdAlgo_t algo = CUDNN_CONVOLUTION_FWD_ALGO_IMPLICIT_GEMM;
  size_t workspaceBytes = 0;
  bool found = false;
  // The input as the convolution reads it (padded when pads differ).
  std::vector<int64_t> paddedDims, padBegin;
  bool explicitPad = false;
};

std::map<std::vector<int64_t>, ConvPlan> &plans() {
  static std::map<std::vector<int64_t>, ConvPlan> cache;
  return cache;
}

std::vector<int> ints(const int64_t *v, int n, int extra = -1) {
  std::vector<int> out;
  if (extra >= 0)
    out.push_back(extra); // A leading unit dim for 1-D convolutions.
  for (int i = 0; i < n; ++i)
    out.push_back((int)v[i]);
  return out;
}

cleave_status makePlan(const cleave_tensor &x, const cleave_tensor &w,
                       const cleave_window &win, int64_t group,
                       const cleave_tensor &y, ConvPlan &plan) {
  int32_t rank = win.spatial_rank;
  bool asymmetric = false;
  for (int32_t d = 0; d < rank; ++d)
    asymmetric |= win.pads_begin[d] != win.pads_end[d];
  plan.explicitPad = asymmetric;
  plan.paddedDims.assign(x.dims, x.dims + x.rank);
  plan.padBegin.assign(x.rank, 0);
  std::vector<int64_t> pads(win.pads_begin, win.pads_begin + rank);
  if (asymmetric) {
    for (int32_t d = 0; d < rank; ++d) {
      plan.paddedDims[d + 2] += win.pads_begin[d] + win.pads_end[d];
      plan.padBegin[d + 2] = win.pads_begin[d];
      pads[d] = 0;
    }
  }
  // cuDNN wants 2 or 3 spatial dims: a 1-D convolution is [N, C, 1, L].
  int lead = rank == 1 ? 1 : -1, dims = x.rank + (rank == 1);
  std::vector<int> xDims = ints(plan.paddedDims.data() + 2, rank, lead),
                   yDims = ints(y.dims + 2, rank, lead),
                   wDims = ints(w.dims + 2, rank, lead);
  for (auto *v : {&xDims, &yDims, &wDims})
    v->insert(v->begin(), 2, 0);
  xDims[0] = (int)x.dims[0], xDims[1] = (int)x.dims[1];
  yDims[0] = (int)y.dims[0], yDims[1] = (int)y.dims[1];
  wDims[0] = (int)w.dims[0], wDims[1] = (int)w.dims[1];
  std::vector<int> padV = ints(pads.data(), rank, rank == 1 ? 0 : -1),
                   strideV = ints(win.strides, rank, lead),
                   dilationV = ints(win.dilations, rank, lead);
  CLEAVE_CUDNN(cudnnCreateTensorDescriptor(&plan.x));
  CLEAVE_CUDNN(cudnnCreateTensorDescriptor(&plan.y));
  CLEAVE_CUDNN(cudnnCreateFilterDescriptor(&plan.w));
  CLEAVE_CUDNN(cudnnCreateConvolutionDescriptor(&plan.conv));
  CLEAVE_CUDNN(cudnnSetTensorNdDescriptorEx(plan.x, CUDNN_TENSOR_NCHW,
                                            CUDNN_DATA_FLOAT, dims,
                                            xDims.data()));
  CLEAVE_CUDNN(cudnnSetTensorNdDescriptorEx(plan.y, CUDNN_TENSOR_NCHW,
                                            CUDNN_DATA_FLOAT, dims,
                                            yDims.data()));
  CLEAVE_CUDNN(cudnnSetFilterNdDescriptor(plan.w, CUDNN_DATA_FLOAT,
                                          CUDNN_TENSOR_NCHW, dims,
                                          wDims.data()));
  CLEAVE_CUDNN(cudnnSetConvolutionNdDescriptor(
      plan.conv, dims - 2, padV.data(), strideV.data(), dilationV.data(),
      CUDNN_CROSS_CORRELATION, CUDNN_DATA_FLOAT));
  CLEAVE_CUDNN(cudnnSetConvolutionGroupCount(plan.conv, (int)group));
  CLEAVE_CUDNN(cudnnSetConvolutionMathType(
      plan.conv, precision() == CLEAVE_PRECISION_FP32
                     ? CUDNN_FMA_MATH
                     : CUDNN_TENSOR_OP_MATH_ALLOW_CONVERSION));
  return nullptr;
}

/// Times the algorithms on the real buffers once and keeps the fastest.
cleave_status findAlgorithm(ConvPlan &plan, const void *x, const void *w,
                            void *y) {
  void *space = nullptr;
  CLEAVE_RETURN_IF_ERROR(workspace(kWorkspaceLimit, &space));
  cudnnConvolutionFwdAlgoPerf_t results[CUDNN_CONVOLUTION_FWD_ALGO_COUNT];
  int count = 0;
  cudnnHandle_t handle;
  CLEAVE_RETURN_IF_ERROR(cudnn(&handle));
  CLEAVE_CUDNN(cudnnFindConvolutionForwardAlgorithmEx(
      handle, plan.x, x, plan.w, w, plan.conv, plan.y, y,
      CUDNN_CONVOLUTION_FWD_ALGO_COUNT, &count, results, space,
      kWorkspaceLimit));
  for (int i = 0; i < count; ++i)
    if (results[i].status == CUDNN_STATUS_SUCCESS) {
      plan.algo = results[i].algo;
      // The math type the timing used (as PyTorch does).
      CLEAVE_CUDNN(cudnnSetConvolutionMathType(plan.conv, results[i].mathType));
      plan.workspaceBytes = results[i].memory;
      plan.found = true;
      return nullptr;
    }
  return CLEAVE_ERROR(CLEAVE_UNSUPPORTED,
                      "conv: cuDNN has no algorithm for this shape");
}

} // namespace
} // namespace cleave::cuda

using namespace cleave::cuda;

extern "C" cleave_status
cleave_cuda_conv_fused(const cleave_tensor *x, const cleave_tensor *w,
                       const cleave_tensor *b, const cleave_tensor *z,
                       const cleave_window *window, int64_t group, float lo,
                       float hi, int32_t activation, cleave_tensor *y) {
  int32_t rank = window->spatial_rank;
  if (x->dtype != CLEAVE_DTYPE_F32 || w->dtype != CLEAVE_DTYPE_F32 ||
      window->channels_last || rank < 1 || rank > 3 || x->rank != rank + 2) {
    HostMirror m;
    return m.finish(cleave_cpu_conv_fused(m.in(x), m.in(w), m.in(b), m.in(z),
                                          window, group, lo, hi, activation,
                                          m.out(y)));
  }
  if (cleave_tensor_num_elements(y) == 0)
    return nullptr;
  std::vector<int64_t> key(x->dims, x->dims + x->rank);
  key.insert(key.end(), w->dims, w->dims + w->rank);
  for (const int64_t *v : {window->strides, window->dilations,
                           window->pads_begin, window->pads_end})
    key.insert(key.end(), v, v + rank);
  key.push_back(group);
  key.push_back(precision());
  auto [it, inserted] = plans().try_emplace(key);
  ConvPlan &plan = it->second;
  if (inserted)
    if (cleave_status s = makePlan(*x, *w, *window, group, *y, plan)) {
      plans().erase(it);
      return s;
    }
  // An explicitly padded input lives at the workspace's front.
  const void *input = x->data;
  size_t paddedBytes = 0;
  if (plan.explicitPad) {
    cleave_tensor padded = *x;
    std::copy(plan.paddedDims.begin(), plan.paddedDims.end(), padded.dims);
    paddedBytes = (cleave_tensor_num_bytes(&padded) + 255) / 256 * 256;
    void *space = nullptr;
    CLEAVE_RETURN_IF_ERROR(workspace(paddedBytes + plan.workspaceBytes +
                                         (plan.found ? 0 : kWorkspaceLimit),
                                     &space));
    padded.data = space;
    CLEAVE_RETURN_IF_ERROR(cleave_cuda_pad(x, plan.padBegin.data(),
                                           CLEAVE_PAD_CONSTANT, 0.0, &padded));
    input = space;
  }
  if (!plan.found) {
    // Finding needs its own scratch: keep the padded input apart.
    if (plan.explicitPad) {
      void *copy = nullptr;
      CLEAVE_CUDA_CHECK(cudaMalloc(&copy, paddedBytes), "conv");
      CLEAVE_CUDA_CHECK(cudaMemcpyAsync(copy, input, paddedBytes,
                                        cudaMemcpyDeviceToDevice, stream()),
                        "conv");
      cleave_status s = findAlgorithm(plan, copy, w->data, y->data);
      cudaStreamSynchronize(stream());
      cudaFree(copy);
      CLEAVE_RETURN_IF_ERROR(s);
      return cleave_cuda_conv_fused(x, w, b, z, window, group, lo, hi,
                                    activation, y);
    }
    CLEAVE_RETURN_IF_ERROR(findAlgorithm(plan, input, w->data, y->data));
  }
  void *space = nullptr;
  CLEAVE_RETURN_IF_ERROR(workspace(paddedBytes + plan.workspaceBytes, &space));
  float one = 1.0f, zero = 0.0f;
  cudnnHandle_t handle;
  CLEAVE_RETURN_IF_ERROR(cudnn(&handle));
  CLEAVE_CUDNN(cudnnConvolutionForward(
      handle, &one, plan.x, input, plan.w, w->data, plan.conv, plan.algo,
      static_cast<char *>(space) + paddedBytes, plan.workspaceBytes, &zero,
      plan.y, y->data));
  return convEpilogue(y, b, z, lo, hi, activation);
}
