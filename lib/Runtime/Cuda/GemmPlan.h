//===- GemmPlan.h - MatMul and Gemm as cuBLAS calls -------------*- C++ -*-===//
//
// What Blas.cpp asks cuBLAS to do, worked out on the host so the unit tests
// can run the same calls through a column-major reference GEMM and compare
// with the CPU kernels (test/Unit/CudaPlanTest.cpp).
//
// cuBLAS is column-major: a row-major [r, c] matrix is, to it, the
// column-major [c, r] matrix, its transpose. Row-major y = a b is therefore
// y^T = b^T a^T: every call passes b first and a second.
//
//===----------------------------------------------------------------------===//

#ifndef CLEAVE_LIB_RUNTIME_CUDA_GEMMPLAN_H
#define CLEAVE_LIB_RUNTIME_CUDA_GEMMPLAN_H

#include "IndexMath.h"
#include <algorithm>
#include <vector>

namespace cleave::cuda {

/// A row-major product y[m, n] = op(a)[m, k] op(b)[k, n].
struct Product {
  bool transA = false, transB = false;
  int64_t m = 0, n = 0, k = 0;
};

/// One cublasGemmStridedBatchedEx call, in cuBLAS's terms: `batch` times
/// C[m, n] = op(First)[m, k] op(Second)[k, n], column-major, First = b and
/// Second = a (at element offsets of our tensors), C = y.
struct GemmCall {
  bool transFirst = false, transSecond = false;
  int64_t m = 0, n = 0, k = 0;
  int64_t ldFirst = 0, ldSecond = 0, ldc = 0;
  int64_t strideFirst = 0, strideSecond = 0, strideC = 0, batch = 1;
  int64_t offsetA = 0, offsetB = 0, offsetY = 0;
};

/// `batch` products with element strides between them (0: shared).
inline GemmCall gemmCall(const Product &p, int64_t strideA, int64_t strideB,
                         int64_t strideY, int64_t batch) {
  GemmCall c;
  c.transFirst = p.transB;
  c.transSecond = p.transA;
  c.m = p.n;
  c.n = p.m;
  c.k = p.k;
  c.ldFirst = p.transB ? p.k : p.n;  // b is [k, n], or [n, k] transposed.
  c.ldSecond = p.transA ? p.m : p.k; // a is [m, k], or [k, m] transposed.
  c.ldc = p.n;
  c.strideFirst = strideB;
  c.strideSecond = strideA;
  c.strideC = strideY;
  c.batch = batch;
  return c;
}

/// ONNX MatMul (NumPy matmul: 1-D promotion, batch broadcasting) of op(a)
/// and op(b) into y, op swapping an operand's last two axes where its
/// flag is set, as cuBLAS calls: one over all rows when b has no batch and
/// a is not transposed, one strided-batched call for equal batches (or a
/// shared operand), else one call per batch of y.
inline std::vector<GemmCall> matmulCalls(const cleave_tensor &a,
                                         const cleave_tensor &b,
                                         const cleave_tensor &y,
                                         bool transA = false,
                                         bool transB = false) {
  Product p;
  p.transA = transA;
  p.transB = transB;
  int32_t ar = a.rank, br = b.rank;
  p.m = ar == 1 ? 1 : a.dims[transA ? ar - 1 : ar - 2];
  p.k = a.dims[transA ? ar - 2 : ar - 1];
  p.n = br == 1 ? 1 : b.dims[transB ? br - 2 : br - 1];
  int32_t aBatchRank = std::max(a.rank - 2, 0),
          bBatchRank = std::max(b.rank - 2, 0);
  int64_t aBatch = 1, bBatch = 1;
  for (int32_t d = 0; d < aBatchRank; ++d)
    aBatch *= a.dims[d];
  for (int32_t d = 0; d < bBatchRank; ++d)
    bBatch *= b.dims[d];
  int64_t yBatch = cleave_tensor_num_elements(&y) / (p.m * p.n);
  if (bBatch == 1 && !transA) // A shared b: one product over a's rows.
    return {gemmCall({false, transB, aBatch * p.m, p.n, p.k}, 0, 0, 0, 1)};
  bool sameBatch = aBatchRank == bBatchRank &&
                   std::equal(a.dims, a.dims + aBatchRank, b.dims);
  if (aBatch == 1 || bBatch == 1 || sameBatch)
    return {gemmCall(p, aBatch == 1 ? 0 : p.m * p.k,
                     bBatch == 1 ? 0 : p.k * p.n, p.m * p.n, yBatch)};
  // Broadcast batch dims: a plan over y's batch dims finds each product's
  // operands.
  cleave_tensor yb{}, ab{}, bb{};
  yb.rank = y.rank - 2;
  ab.rank = aBatchRank;
  bb.rank = bBatchRank;
  std::copy(y.dims, y.dims + yb.rank, yb.dims);
  std::copy(a.dims, a.dims + ab.rank, ab.dims);
  std::copy(b.dims, b.dims + bb.rank, bb.dims);
  const cleave_tensor *ops[] = {&ab, &bb};
  Plan<2> plan = broadcastPlan<2>(yb, ops, false);
  std::vector<GemmCall> calls;
  for (int64_t i = 0; i < yBatch; ++i) {
    int64_t o[2];
    plan.offsets(i, o);
    GemmCall c = gemmCall(p, 0, 0, 0, 1);
    c.offsetA = o[0] * p.m * p.k;
    c.offsetB = o[1] * p.k * p.n;
    c.offsetY = i * p.m * p.n;
    calls.push_back(c);
  }
  return calls;
}

} // namespace cleave::cuda

#endif // CLEAVE_LIB_RUNTIME_CUDA_GEMMPLAN_H
