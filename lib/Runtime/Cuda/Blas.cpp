//===- Blas.cpp - MatMul and Gemm on cuBLAS -------------------------------===//
//
// Row-major products as cuBLAS's column-major ones: C = A B is C^T = B^T A^T,
// so every call swaps the operands. The precision picks the inputs' type
// and the compute type; accumulation and outputs are always f32.
//
//===----------------------------------------------------------------------===//

#include "CudaContext.h"
#include "HostFallback.h"
#include "GemmPlan.h"
#include <climits>
#include <cublas_v2.h>

namespace cleave::cuda {
namespace {

/// The element type cuBLAS reads operands in, for the precision.
cleave_dtype operandType() {
  switch (precision()) {
  case CLEAVE_PRECISION_FP16: return CLEAVE_DTYPE_F16;
  case CLEAVE_PRECISION_BF16: return CLEAVE_DTYPE_BF16;
  default: return CLEAVE_DTYPE_F32;
  }
}

/// Operand `t` of `elements` f32 values in the operand type: as is, a
/// cached converted weight, or converted into `scratch`.
cleave_status operand(const cleave_tensor &t, int64_t elements, void *scratch,
                      const void **out) {
  cleave_dtype type = operandType();
  if (type == CLEAVE_DTYPE_F32) {
    *out = t.data;
    return nullptr;
  }
  if ((*out = convertedWeight(t, type)))
    return nullptr;
  *out = scratch;
  return convertFromF32(static_cast<const float *>(t.data), scratch, type,
                        elements);
}

/// Both operands of a product in the operand type; converted ones share
/// the workspace (a's first).
cleave_status operands(const cleave_tensor &a, const cleave_tensor &b,
                       const void **pa, const void **pb) {
  int64_t aCount = cleave_tensor_num_elements(&a),
          bCount = cleave_tensor_num_elements(&b);
  void *scratch = nullptr;
  if (operandType() != CLEAVE_DTYPE_F32)
    CLEAVE_RETURN_IF_ERROR(workspace((aCount + bCount) * 2, &scratch));
  CLEAVE_RETURN_IF_ERROR(operand(a, aCount, scratch, pa));
  return operand(b, bCount, static_cast<char *>(scratch) + aCount * 2, pb);
}

/// Runs one planned call on our operands (elements of `width` bytes).
cleave_status run(const GemmCall &call, const void *a, const void *b,
                  float *y, size_t width, float alpha, float beta) {
  if (call.m > INT_MAX || call.n > INT_MAX || call.k > INT_MAX ||
      call.batch > INT_MAX)
    return CLEAVE_ERROR(CLEAVE_UNSUPPORTED, "matmul: dimension over 2^31");
  cudaDataType type = CUDA_R_32F;
  cublasComputeType_t compute = CUBLAS_COMPUTE_32F;
  switch (precision()) {
  case CLEAVE_PRECISION_FP32: compute = CUBLAS_COMPUTE_32F_PEDANTIC; break;
  case CLEAVE_PRECISION_TF32: compute = CUBLAS_COMPUTE_32F_FAST_TF32; break;
  case CLEAVE_PRECISION_FP16: type = CUDA_R_16F; break;
  case CLEAVE_PRECISION_BF16: type = CUDA_R_16BF; break;
  }
  cublasHandle_t handle;
  CLEAVE_RETURN_IF_ERROR(cublas(&handle));
  cublasStatus_t s = cublasGemmStridedBatchedEx(
      handle, call.transFirst ? CUBLAS_OP_T : CUBLAS_OP_N,
      call.transSecond ? CUBLAS_OP_T : CUBLAS_OP_N, (int)call.m, (int)call.n,
      (int)call.k, &alpha,
      static_cast<const char *>(b) + call.offsetB * width, type,
      (int)call.ldFirst, call.strideFirst,
      static_cast<const char *>(a) + call.offsetA * width, type,
      (int)call.ldSecond, call.strideSecond, &beta, y + call.offsetY,
      CUDA_R_32F, (int)call.ldc, call.strideC, (int)call.batch, compute,
      CUBLAS_GEMM_DEFAULT);
  if (s != CUBLAS_STATUS_SUCCESS)
    return CLEAVE_ERROR(CLEAVE_INTERNAL,
                        std::string("cuBLAS: ") + cublasGetStatusString(s));
  return nullptr;
}

} // namespace
} // namespace cleave::cuda

using namespace cleave::cuda;

extern "C" {

cleave_status cleave_cuda_matmul(const cleave_tensor *a, const cleave_tensor *b,
                                 int32_t trans_a, int32_t trans_b,
                                 cleave_tensor *y) {
  if (a->dtype != CLEAVE_DTYPE_F32 || b->dtype != CLEAVE_DTYPE_F32 ||
      y->dtype != CLEAVE_DTYPE_F32 || a->rank < (trans_a ? 2 : 1) ||
      b->rank < (trans_b ? 2 : 1)) {
    HostMirror m;
    return m.finish(
        cleave_cpu_matmul(m.in(a), m.in(b), trans_a, trans_b, m.out(y)));
  }
  int64_t yCount = cleave_tensor_num_elements(y);
  if (yCount == 0)
    return nullptr;
  if (a->dims[a->rank - (trans_a ? 2 : 1)] == 0) { // An empty sum.
    CLEAVE_CUDA_CHECK(cudaMemsetAsync(y->data, 0, yCount * sizeof(float),
                                      stream()),
                      "matmul");
    return nullptr;
  }
  const void *pa, *pb;
  CLEAVE_RETURN_IF_ERROR(operands(*a, *b, &pa, &pb));
  size_t width = cleave_dtype_size(operandType());
  for (const GemmCall &call :
       matmulCalls(*a, *b, *y, trans_a != 0, trans_b != 0))
    CLEAVE_RETURN_IF_ERROR(run(call, pa, pb, static_cast<float *>(y->data),
                               width, 1.0f, 0.0f));
  return nullptr;
}

cleave_status cleave_cuda_gemm(const cleave_tensor *a, const cleave_tensor *b,
                               const cleave_tensor *c, float alpha, float beta,
                               int32_t trans_a, int32_t trans_b,
                               cleave_tensor *y) {
  if (a->dtype != CLEAVE_DTYPE_F32 || b->dtype != CLEAVE_DTYPE_F32 ||
      y->dtype != CLEAVE_DTYPE_F32 || a->rank != 2 || b->rank != 2 ||
      (c && c->dtype != CLEAVE_DTYPE_F32) || a->dims[0] * a->dims[1] == 0) {
    HostMirror m;
    return m.finish(cleave_cpu_gemm(m.in(a), m.in(b), m.in(c), alpha, beta,
                                    trans_a, trans_b, m.out(y)));
  }
  Product p{trans_a != 0, trans_b != 0, y->dims[0], y->dims[1],
            trans_a ? a->dims[0] : a->dims[1]};
  if (p.m * p.n == 0)
    return nullptr;
  if (c)
    CLEAVE_RETURN_IF_ERROR(cleave_cuda_expand(c, y)); // beta * c, below.
  const void *pa, *pb;
  CLEAVE_RETURN_IF_ERROR(operands(*a, *b, &pa, &pb));
  return run(gemmCall(p, 0, 0, 0, 1), pa, pb, static_cast<float *>(y->data),
             cleave_dtype_size(operandType()), alpha, c ? beta : 0.0f);
}

} // extern "C"
