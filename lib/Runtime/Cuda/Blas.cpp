//===- Blas.cpp - MatMul and Gemm on cuBLAS -------------------------------===//
//
// Row-major products as cuBLAS's column-major ones: C = A B is C^T = B^T A^T,
// so every call swaps the operands. The precision picks the inputs' type
// and the compute type; accumulation and outputs are always f32.
//
//===----------------------------------------------------------------------===//

#include "CudaContext.h"
#include "HostFallback.h"
#include "IndexMath.h"
#include <climits>
#include <cublas_v2.h>

namespace cleave::cuda {
namespace {

struct Product {
  bool transA = false, transB = false;
  int64_t m = 0, n = 0, k = 0;
};

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

/// `batch` products with element strides between them (0: shared).
cleave_status gemm(const Product &p, const void *a, int64_t strideA,
                   const void *b, int64_t strideB, float *c, int64_t strideC,
                   int64_t batch, float alpha, float beta) {
  if (p.m > INT_MAX || p.n > INT_MAX || p.k > INT_MAX || batch > INT_MAX)
    return CLEAVE_ERROR(CLEAVE_UNSUPPORTED, "matmul: dimension over 2^31");
  cudaDataType type = CUDA_R_32F;
  cublasComputeType_t compute = CUBLAS_COMPUTE_32F;
  switch (precision()) {
  case CLEAVE_PRECISION_FP32: compute = CUBLAS_COMPUTE_32F_PEDANTIC; break;
  case CLEAVE_PRECISION_TF32: compute = CUBLAS_COMPUTE_32F_FAST_TF32; break;
  case CLEAVE_PRECISION_FP16: type = CUDA_R_16F; break;
  case CLEAVE_PRECISION_BF16: type = CUDA_R_16BF; break;
  }
  int lda = (int)(p.transA ? p.m : p.k), ldb = (int)(p.transB ? p.k : p.n);
  cublasStatus_t s = cublasGemmStridedBatchedEx(
      cublas(), p.transB ? CUBLAS_OP_T : CUBLAS_OP_N,
      p.transA ? CUBLAS_OP_T : CUBLAS_OP_N, (int)p.n, (int)p.m, (int)p.k,
      &alpha, b, type, ldb, strideB, a, type, lda, strideA, &beta, c,
      CUDA_R_32F, (int)p.n, strideC, (int)batch, compute, CUBLAS_GEMM_DEFAULT);
  if (s != CUBLAS_STATUS_SUCCESS)
    return CLEAVE_ERROR(CLEAVE_INTERNAL,
                        std::string("cuBLAS: ") + cublasGetStatusString(s));
  return nullptr;
}

int64_t product(const int64_t *dims, int32_t count) {
  int64_t n = 1;
  for (int32_t i = 0; i < count; ++i)
    n *= dims[i];
  return n;
}

} // namespace
} // namespace cleave::cuda

using namespace cleave::cuda;

extern "C" {

cleave_status cleave_cuda_matmul(const cleave_tensor *a, const cleave_tensor *b,
                                 cleave_tensor *y) {
  if (a->dtype != CLEAVE_DTYPE_F32 || b->dtype != CLEAVE_DTYPE_F32 ||
      y->dtype != CLEAVE_DTYPE_F32 || a->rank == 0 || b->rank == 0) {
    HostMirror m;
    return m.finish(cleave_cpu_matmul(m.in(a), m.in(b), m.out(y)));
  }
  // 1-D operands: a vector is a [1, K] row or a [K, 1] column.
  Product p;
  p.m = a->rank == 1 ? 1 : a->dims[a->rank - 2];
  p.k = a->dims[a->rank - 1];
  p.n = b->rank == 1 ? 1 : b->dims[b->rank - 1];
  int32_t aBatchRank = std::max(a->rank - 2, 0),
          bBatchRank = std::max(b->rank - 2, 0);
  int64_t aBatch = product(a->dims, aBatchRank),
          bBatch = product(b->dims, bBatchRank);
  int64_t yCount = cleave_tensor_num_elements(y);
  if (yCount == 0)
    return nullptr;
  if (p.k == 0) { // An empty sum.
    CLEAVE_CUDA_CHECK(cudaMemsetAsync(y->data, 0, yCount * sizeof(float),
                                      stream()),
                      "matmul");
    return nullptr;
  }
  const void *pa, *pb;
  CLEAVE_RETURN_IF_ERROR(operands(*a, *b, &pa, &pb));
  float *py = static_cast<float *>(y->data);
  size_t width = cleave_dtype_size(operandType());
  int64_t yBatch = yCount / (p.m * p.n);
  if (bBatch == 1) // Shared b: one product over every row of a.
    return gemm({false, false, aBatch * p.m, p.n, p.k}, pa, 0, pb, 0, py, 0, 1,
                1.0f, 0.0f);
  bool sameBatch = aBatchRank == bBatchRank &&
                   std::equal(a->dims, a->dims + aBatchRank, b->dims);
  if (aBatch == 1 || sameBatch)
    return gemm(p, pa, aBatch == 1 ? 0 : p.m * p.k, pb, p.k * p.n, py,
                p.m * p.n, yBatch, 1.0f, 0.0f);
  // Broadcast batch dims: one product per batch, found by a plan over
  // y's batch dims.
  cleave_tensor yb{}, ab{}, bb{};
  yb.rank = y->rank - 2;
  ab.rank = aBatchRank;
  bb.rank = bBatchRank;
  std::copy(y->dims, y->dims + yb.rank, yb.dims);
  std::copy(a->dims, a->dims + ab.rank, ab.dims);
  std::copy(b->dims, b->dims + bb.rank, bb.dims);
  const cleave_tensor *ops[] = {&ab, &bb};
  Plan<2> plan = broadcastPlan<2>(yb, ops, false);
  for (int64_t i = 0; i < yBatch; ++i) {
    int64_t o[2];
    plan.offsets(i, o);
    CLEAVE_RETURN_IF_ERROR(
        gemm(p, static_cast<const char *>(pa) + o[0] * p.m * p.k * width, 0,
             static_cast<const char *>(pb) + o[1] * p.k * p.n * width, 0,
             py + i * p.m * p.n, 0, 1, 1.0f, 0.0f));
  }
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
  return gemm(p, pa, 0, pb, 0, static_cast<float *>(y->data), 0, 1, alpha,
              c ? beta : 0.0f);
}

} // extern "C"
