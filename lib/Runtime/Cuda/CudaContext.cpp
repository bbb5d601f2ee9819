//===- CudaContext.cpp - stream, handles, memory, errors ------------------===//

#include "CudaContext.h"
#include <cublas_v2.h>
#include <cudnn.h>
#include <map>
#include <mutex>
#include <utility>

namespace cleave::cuda {
namespace {

struct Context {
  bool ready = false;
  int device = 0;
  cleave_precision precision = CLEAVE_PRECISION_FP32;
  cudaStream_t stream = nullptr;
  cublasHandle_t cublas = nullptr;
  cudnnHandle_t cudnn = nullptr;
  void *workspace = nullptr;
  size_t workspaceBytes = 0;
  void *cublasWorkspace = nullptr;
  int *errorFlag = nullptr;
  const char *constants = nullptr;
  int64_t constantsSize = 0;
  std::map<std::pair<const void *, int>, void *> converted;
  int64_t fallbacks = 0;
};

Context &context() {
  static Context c;
  return c;
}

} // namespace

cleave_status check(cudaError_t error, const char *what, const char *file,
                    int line) {
  if (error == cudaSuccess)
    return nullptr;
  return runtime::makeStatus(CLEAVE_INTERNAL, file, line,
                             std::string(what) + ": " +
                                 cudaGetErrorString(error));
}

cleave_status checkLaunch(const char *what, const char *file, int line) {
  return check(cudaGetLastError(), what, file, line);
}

cudaStream_t stream() { return context().stream; }
cleave_status cublas(cublasHandle_t *out) {
  Context &c = context();
  if (!c.cublas) {
    cublasHandle_t handle = nullptr;
    if (cublasCreate(&handle) != CUBLAS_STATUS_SUCCESS ||
        cublasSetStream(handle, c.stream) != CUBLAS_STATUS_SUCCESS)
      return CLEAVE_ERROR(CLEAVE_INTERNAL, "cannot create the cuBLAS handle");
    c.cublas = handle;
    // A workspace of its own, so cuBLAS allocates nothing while a run is
    // captured into a CUDA graph (32 MiB, NVIDIA's advice for Hopper).
    size_t bytes = size_t(32) << 20;
    CLEAVE_CUDA_CHECK(cudaMalloc(&c.cublasWorkspace, bytes),
                      "cuBLAS workspace");
    // TF32 tensor cores only where asked for: fp32 means fp32.
    if (cublasSetWorkspace(handle, c.cublasWorkspace, bytes) !=
            CUBLAS_STATUS_SUCCESS ||
        cublasSetMathMode(handle, c.precision == CLEAVE_PRECISION_FP32
                                      ? CUBLAS_PEDANTIC_MATH
                                      : CUBLAS_TF32_TENSOR_OP_MATH) !=
            CUBLAS_STATUS_SUCCESS)
      return CLEAVE_ERROR(CLEAVE_INTERNAL, "cannot set up the cuBLAS handle");
  }
  *out = c.cublas;
  return nullptr;
}

cleave_status cudnn(cudnnHandle_t *out) {
  Context &c = context();
  if (!c.cudnn) {
    cudnnHandle_t handle = nullptr;
    if (cudnnStatus_t s = cudnnCreate(&handle); s != CUDNN_STATUS_SUCCESS)
      return CLEAVE_ERROR(CLEAVE_INTERNAL,
                          std::string("cannot create the cuDNN handle: ") +
                              cudnnGetErrorString(s));
    if (cudnnStatus_t s = cudnnSetStream(handle, c.stream);
        s != CUDNN_STATUS_SUCCESS)
      return CLEAVE_ERROR(CLEAVE_INTERNAL,
                          std::string("cannot set cuDNN's stream: ") +
                              cudnnGetErrorString(s));
    c.cudnn = handle;
  }
  *out = c.cudnn;
  return nullptr;
}
cleave_precision precision() { return context().precision; }
int *errorFlag() { return context().errorFlag; }
void countFallback() { ++context().fallbacks; }

cleave_status workspace(size_t bytes, void **out) {
  Context &c = context();
  if (bytes > c.workspaceBytes) {
    // The old buffer may still be read by queued work.
    CLEAVE_CUDA_CHECK(cudaStreamSynchronize(c.stream), "workspace");
    cudaFree(c.workspace);
    c.workspace = nullptr;
    c.workspaceBytes = 0;
    size_t grown = bytes + bytes / 2;
    CLEAVE_CUDA_CHECK(cudaMalloc(&c.workspace, grown),
                      ("workspace of " + std::to_string(grown) + " bytes")
                          .c_str());
    c.workspaceBytes = grown;
  }
  *out = c.workspace;
  return nullptr;
}

const void *convertedWeight(const cleave_tensor &t, cleave_dtype dtype) {
  Context &c = context();
  const char *data = static_cast<const char *>(t.data);
  if (!c.constants || data < c.constants ||
      data >= c.constants + c.constantsSize || t.dtype != CLEAVE_DTYPE_F32)
    return nullptr;
  auto key = std::make_pair(t.data, (int)dtype);
  auto it = c.converted.find(key);
  if (it != c.converted.end())
    return it->second;
  int64_t n = cleave_tensor_num_elements(&t);
  void *copy = nullptr;
  if (cudaMalloc(&copy, n * 2) != cudaSuccess) {
    cudaGetLastError(); // Not an error: converted on every use instead.
    return nullptr;
  }
  if (cleave_status s = convertFromF32(static_cast<const float *>(t.data),
                                       copy, dtype, n)) {
    cleave_status_free(s);
    cudaFree(copy);
    return nullptr;
  }
  c.converted[key] = copy;
  return copy;
}

} // namespace cleave::cuda

using namespace cleave::cuda;

extern "C" {

cleave_status cleave_cuda_init(int32_t device, cleave_precision precision) {
  Context &c = context();
  if (c.ready)
    return nullptr;
  int count = 0;
  if (cudaError_t e = cudaGetDeviceCount(&count); e != cudaSuccess || !count)
    return CLEAVE_ERROR(CLEAVE_UNSUPPORTED,
                        std::string("no usable CUDA GPU here (") +
                            (e == cudaSuccess ? "none visible"
                                              : cudaGetErrorString(e)) +
                            "); run CUDA bundles on a machine with one");
  if (device < 0 || device >= count)
    return CLEAVE_ERROR(CLEAVE_INVALID_ARGUMENT,
                        "GPU " + std::to_string(device) + " does not exist (" +
                            std::to_string(count) + " visible)");
  c.device = device;
  c.precision = precision;
  CLEAVE_CUDA_CHECK(cudaSetDevice(device), "selecting the GPU");
  CLEAVE_CUDA_CHECK(cudaStreamCreateWithFlags(&c.stream, cudaStreamNonBlocking),
                    "creating the compute stream");
  CLEAVE_CUDA_CHECK(cudaMalloc(&c.errorFlag, sizeof(int)), "error flag");
  CLEAVE_CUDA_CHECK(cudaMemsetAsync(c.errorFlag, 0, sizeof(int), c.stream),
                    "error flag");
  c.ready = true;
  return nullptr;
}

cleave_status cleave_cuda_synchronize(void) {
  Context &c = context();
  CLEAVE_CUDA_CHECK(cudaStreamSynchronize(c.stream), "running the kernels");
  int flag = 0;
  CLEAVE_CUDA_CHECK(cudaMemcpyAsync(&flag, c.errorFlag, sizeof(int),
                                    cudaMemcpyDeviceToHost, c.stream),
                    "reading the error flag");
  CLEAVE_CUDA_CHECK(cudaStreamSynchronize(c.stream), "reading the error flag");
  if (flag) {
    CLEAVE_CUDA_CHECK(cudaMemsetAsync(c.errorFlag, 0, sizeof(int), c.stream),
                      "error flag");
    if (flag & kIndexOutOfRange)
      return CLEAVE_ERROR(CLEAVE_INVALID_ARGUMENT,
                          "a Gather or GatherElements index is out of range");
    return CLEAVE_ERROR(CLEAVE_INTERNAL,
                        "a kernel raised error " + std::to_string(flag));
  }
  return nullptr;
}

cleave_status cleave_cuda_alloc(size_t bytes, void **out) {
  cudaError_t e = cudaMalloc(out, bytes ? bytes : 1);
  if (e == cudaErrorMemoryAllocation)
    return CLEAVE_ERROR(CLEAVE_OUT_OF_MEMORY,
                        "the GPU has no " + std::to_string(bytes) +
                            " free bytes left");
  return check(e, "allocating device memory", __FILE__, __LINE__);
}

void cleave_cuda_free(void *data) {
  if (data)
    cudaFree(data);
}

cleave_status cleave_cuda_upload(void *device, const void *host, size_t bytes) {
  // On the compute stream and waited for: a pageable copy on the legacy
  // stream is not ordered before the (non-blocking) compute stream.
  CLEAVE_CUDA_CHECK(cudaMemcpyAsync(device, host, bytes, cudaMemcpyHostToDevice,
                                    context().stream),
                    "copying to the GPU");
  CLEAVE_CUDA_CHECK(cudaStreamSynchronize(context().stream),
                    "copying to the GPU");
  return nullptr;
}

cleave_status cleave_cuda_download(void *host, const void *device,
                                   size_t bytes) {
  CLEAVE_CUDA_CHECK(cudaStreamSynchronize(context().stream), "running the kernels");
  CLEAVE_CUDA_CHECK(cudaMemcpyAsync(host, device, bytes,
                                    cudaMemcpyDeviceToHost, context().stream),
                    "copying from the GPU");
  CLEAVE_CUDA_CHECK(cudaStreamSynchronize(context().stream),
                    "copying from the GPU");
  return nullptr;
}

void cleave_cuda_set_constant_region(const void *data, int64_t size) {
  Context &c = context();
  c.constants = static_cast<const char *>(data);
  c.constantsSize = data ? size : 0;
}

int64_t cleave_cuda_fallback_count(void) { return context().fallbacks; }

cleave_status cleave_cuda_copy(const cleave_tensor *x, cleave_tensor *y) {
  size_t bytes = cleave_tensor_num_bytes(x);
  if (bytes != cleave_tensor_num_bytes(y))
    return CLEAVE_ERROR(CLEAVE_INTERNAL,
                        "copy: " + std::to_string(bytes) + " bytes into " +
                            std::to_string(cleave_tensor_num_bytes(y)));
  if (bytes && x->data != y->data)
    CLEAVE_CUDA_CHECK(cudaMemcpyAsync(y->data, x->data, bytes,
                                      cudaMemcpyDeviceToDevice, stream()),
                      "copy");
  return nullptr;
}

} // extern "C"
