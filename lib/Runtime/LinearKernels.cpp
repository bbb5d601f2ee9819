//===- LinearKernels.cpp - MatMul and Gemm on the CPU -----------------------===//
//
// oneDNN matmul, with NumPy batch broadcasting and 1-D promotion.
//
//===----------------------------------------------------------------------===//

#include "ElementwiseMath.h"
#include "OneDnnSupport.h"
#include "StatusInternal.h"
#include "cleave/Runtime/CpuKernels.h"
#include <algorithm>
#include <cmath>
#include <cstring>
#include <dnnl.hpp>
#include <omp.h>
#include <optional>
#include <string>
#include <type_traits>
#include <unordered_map>
#include <vector>

using namespace cleave::cpu;

extern "C" {

/// `dims` stored with the last two axes swapped, described in `dims`'
/// order (oneDNN reads the same bytes through swapped strides).
static memory::desc swappedLastTwo(Dims dims) {
  size_t rank = dims.size();
  std::swap(dims[rank - 1], dims[rank - 2]);
  Dims strides = rowMajorStrides(dims);
  std::swap(dims[rank - 1], dims[rank - 2]);
  std::swap(strides[rank - 1], strides[rank - 2]);
  return memory::desc(dims, memory::data_type::f32, strides);
}

/// A matmul primitive, and for a constant B its copies in the primitive's
/// layout by source address (call sites of one shape share the plan).
struct MatmulPlan {
  dnnl::matmul primitive;
  memory::desc weights;
  bool packed = false;
  std::unordered_map<const void *, memory> constantWeights;
  /// The program's tensors and the primitive's arguments, rebound each call.
  BoundMemory userA, userB, userY;
  std::unordered_map<int, memory> args;
  size_t bytes = 0;
};

/// y = alpha * a b through a cached oneDNN matmul (the plan keyed by `key`).
/// A constant B (a layer's weights; `mayPack`: a plain matrix) is reordered
/// once into the layout the primitive prefers, as onnxruntime prepacks its
/// weights.
static void runProduct(PlanKey key, const memory::desc &aDesc,
                       const memory::desc &bDesc, const memory::desc &yDesc,
                       const cleave_tensor *a, const cleave_tensor *b,
                       cleave_tensor *y, bool mayPack, float alpha = 1.0f) {
  bool constantB = mayPack && isConstant(b->data);
  key.push_back(constantB);
  SerialScope scope(tensorBytes({a, b, y}));
  thread_local PlanCache<MatmulPlan> plans;
  MatmulPlan &plan = plans.get(key, [&] {
    memory::desc weights =
        constantB ? memory::desc(bDesc.dims(), memory::data_type::f32,
                                 memory::format_tag::any)
                  : bDesc;
    dnnl::primitive_attr attr;
    if (alpha != 1.0f)
      attr.set_output_scales(0, {alpha});
    dnnl::matmul::primitive_desc pd(dnnl::matmul::desc(aDesc, weights, yDesc),
                                    attr, cpuEngine());
    MatmulPlan made;
    made.primitive = dnnl::matmul(pd);
    made.weights = pd.weights_desc();
    made.packed = made.weights != bDesc;
    return made;
  });
  memory packed = plan.userB.at(bDesc, b->data);
  if (plan.packed) {
    auto it = plan.constantWeights.find(b->data);
    if (it == plan.constantWeights.end()) {
      memory copy(plan.weights, cpuEngine());
      reorder(packed, copy);
      it = plan.constantWeights.emplace(b->data, copy).first;
    }
    packed = it->second;
  }
  plan.args[DNNL_ARG_SRC] = plan.userA.at(aDesc, a->data);
  plan.args[DNNL_ARG_WEIGHTS] = packed;
  plan.args[DNNL_ARG_DST] = plan.userY.at(yDesc, y->data);
  if (!plan.bytes)
    plan.bytes = argumentBytes(plan.args);
  execute(plan.primitive, plan.args, plan.bytes);
}

/// The most multiply-adds, and rows, of a product the loop computes: below
/// them oneDNN's dispatch (about 1.5 us a call) costs more than the
/// arithmetic. A recurrent step written out by an exporter is such a
/// product ([1, 128] x [128, 128]: 2.4 us through oneDNN).
constexpr int64_t kSmallProductMacs = 32768, kSmallProductRows = 4;

/// y[m, n] = a[m, k] b[k, n], b stored [n, k] when `transB`: rows of b
/// scaled and added (or dot products in 8 lanes), which vectorise.
static void smallProduct(const float *__restrict a, const float *__restrict b,
                         bool transB, int64_t m, int64_t n, int64_t k,
                         float *__restrict y) {
  for (int64_t i = 0; i < m; ++i) {
    const float *row = a + i * k;
    float *out = y + i * n;
    if (!transB) {
      std::fill(out, out + n, 0.0f);
      for (int64_t p = 0; p < k; ++p) {
        float scale = row[p];
        const float *bRow = b + p * n;
        for (int64_t j = 0; j < n; ++j)
          out[j] += scale * bRow[j];
      }
      continue;
    }
    for (int64_t j = 0; j < n; ++j) {
      const float *bRow = b + j * k;
      float lanes[8] = {};
      int64_t p = 0;
      for (; p + 8 <= k; p += 8)
        for (int l = 0; l < 8; ++l)
          lanes[l] += row[p + l] * bRow[p + l];
      float sum = ((lanes[0] + lanes[1]) + (lanes[2] + lanes[3])) +
                  ((lanes[4] + lanes[5]) + (lanes[6] + lanes[7]));
      for (; p < k; ++p)
        sum += row[p] * bRow[p];
      out[j] = sum;
    }
  }
}

} // extern "C"

/// y = op(a) op(b) for integer tensors (ONNX MatMul on int32, int64,
/// uint32, uint64, and MatMulInteger after its zero points): the batch
/// axes of a and b broadcast to y's, and sums wrap around in the type, as
/// onnxruntime's do. Unsigned arithmetic makes the wrap defined.
template <typename T>
static void integerProduct(const cleave_tensor *a, const cleave_tensor *b,
                           const Dims &aDims, const Dims &bDims,
                           const Dims &yDims, bool transA, bool transB,
                           cleave_tensor *y) {
  using U = std::make_unsigned_t<T>;
  size_t rank = yDims.size();
  int64_t m = yDims[rank - 2], n = yDims[rank - 1], k = aDims[rank - 1];
  int64_t batches = 1;
  for (size_t i = 0; i + 2 < rank; ++i)
    batches *= yDims[i];
  const T *aData = (const T *)a->data, *bData = (const T *)b->data;
  T *yData = (T *)y->data;
#pragma omp parallel for if (batches * m * n * k > 65536)
  for (int64_t batch = 0; batch < batches; ++batch) {
    // Offsets of this batch in a and b, broadcasting their size-1 axes.
    int64_t aOffset = 0, bOffset = 0, index = batch, aStride = m * k,
            bStride = k * n;
    for (size_t i = rank - 2; i-- > 0;) {
      int64_t coordinate = index % yDims[i];
      index /= yDims[i];
      if (aDims[i] != 1)
        aOffset += coordinate * aStride;
      if (bDims[i] != 1)
        bOffset += coordinate * bStride;
      aStride *= aDims[i];
      bStride *= bDims[i];
    }
    const T *aBatch = aData + aOffset, *bBatch = bData + bOffset;
    T *yBatch = yData + batch * m * n;
    for (int64_t i = 0; i < m; ++i)
      for (int64_t j = 0; j < n; ++j) {
        U sum = 0;
        for (int64_t p = 0; p < k; ++p)
          sum += U(aBatch[transA ? p * m + i : i * k + p]) *
                 U(bBatch[transB ? j * k + p : p * n + j]);
        yBatch[i * n + j] = T(sum);
      }
  }
}

extern "C" {

cleave_status cleave_cpu_matmul(const cleave_tensor *a, const cleave_tensor *b,
                                int32_t trans_a, int32_t trans_b,
                                cleave_tensor *y) {
  cleave_dtype type = a->dtype;
  bool integer = type == CLEAVE_DTYPE_I32 || type == CLEAVE_DTYPE_I64 ||
                 type == CLEAVE_DTYPE_U32 || type == CLEAVE_DTYPE_U64;
  if (!integer)
    CLEAVE_RETURN_IF_ERROR(checkF32("matmul", {a, b, y}));
  else if (b->dtype != type || y->dtype != type)
    return CLEAVE_ERROR(CLEAVE_INVALID_ARGUMENT,
                        "matmul: a, b and y must have one element type");
  return guarded("matmul", [&]() -> cleave_status {
    Dims aDims = dimsOf(a), bDims = dimsOf(b);
    if (aDims.empty() || bDims.empty())
      return CLEAVE_ERROR(CLEAVE_INVALID_ARGUMENT,
                          "matmul: inputs must have rank 1 or more");
    if ((trans_a && aDims.size() < 2) || (trans_b && bDims.size() < 2))
      return CLEAVE_ERROR(CLEAVE_INVALID_ARGUMENT,
                          "matmul: a transposed input needs rank 2 or more");
    // op(X): the last two axes swapped.
    if (trans_a)
      std::swap(aDims[aDims.size() - 1], aDims[aDims.size() - 2]);
    if (trans_b)
      std::swap(bDims[bDims.size() - 1], bDims[bDims.size() - 2]);
    bool aVector = aDims.size() == 1, bVector = bDims.size() == 1;
    if (aVector)
      aDims.insert(aDims.begin(), 1);
    if (bVector)
      bDims.push_back(1);
    size_t rank = std::max(aDims.size(), bDims.size());
    aDims = padded(aDims, rank);
    bDims = padded(bDims, rank);
    Dims batchA(aDims.begin(), aDims.end() - 2);
    Dims batchB(bDims.begin(), bDims.end() - 2), batch;
    if (aDims[rank - 1] != bDims[rank - 2] || !broadcast(batchA, batchB, batch))
      return CLEAVE_ERROR(CLEAVE_INVALID_ARGUMENT,
                          "matmul: shapes " + shapeText(dimsOf(a)) + " and " +
                              shapeText(dimsOf(b)) + " do not multiply");
    Dims yDims = batch;
    yDims.push_back(aDims[rank - 2]);
    yDims.push_back(bDims[rank - 1]);
    Dims expected = batch;
    if (!aVector)
      expected.push_back(aDims[rank - 2]);
    if (!bVector)
      expected.push_back(bDims[rank - 1]);
    if (dimsOf(y) != expected)
      return CLEAVE_ERROR(CLEAVE_INVALID_ARGUMENT,
                          "matmul: output has shape " + shapeText(dimsOf(y)) +
                              ", expected " + shapeText(expected));
    for (memory::dim d : yDims)
      if (d == 0)
        return nullptr; // Nothing to compute.
    if (integer) {
      bool ta = trans_a != 0, tb = trans_b != 0;
      if (type == CLEAVE_DTYPE_I32)
        integerProduct<int32_t>(a, b, aDims, bDims, yDims, ta, tb, y);
      else if (type == CLEAVE_DTYPE_I64)
        integerProduct<int64_t>(a, b, aDims, bDims, yDims, ta, tb, y);
      else if (type == CLEAVE_DTYPE_U32)
        integerProduct<uint32_t>(a, b, aDims, bDims, yDims, ta, tb, y);
      else
        integerProduct<uint64_t>(a, b, aDims, bDims, yDims, ta, tb, y);
      return nullptr;
    }
    if (aDims[rank - 1] == 0) {
      std::fill_n((float *)y->data, cleave_tensor_num_elements(y), 0.0f);
      return nullptr;
    }
    // A batch of A times one matrix B (a Linear on [N, T, K], ConvNeXt's
    // on [N, H, W, C]) is one product of all A's rows: oneDNN would run a
    // small product per batch element ([1,7,7,768] x [768,3072]: 7 of 7
    // rows each, 2.5 times slower).
    if (!trans_a && rank > 2 &&
        std::all_of(batchB.begin(), batchB.end(),
                    [](int64_t d) { return d == 1; })) {
      int64_t rows = 1;
      for (size_t i = 0; i + 1 < rank; ++i)
        rows *= aDims[i];
      aDims = {rows, aDims[rank - 1]};
      bDims = {bDims[rank - 2], bDims[rank - 1]};
      yDims = {rows, yDims[rank - 1]};
    }
    int64_t m = yDims[yDims.size() - 2], n = yDims.back(),
            k = aDims.back();
    if (!trans_a && yDims.size() == 2 && m <= kSmallProductRows &&
        m * n * k <= kSmallProductMacs) {
      smallProduct((const float *)a->data, (const float *)b->data, trans_b, m,
                   n, k, (float *)y->data);
      return nullptr;
    }
    memory::desc aDesc = trans_a ? swappedLastTwo(aDims) : rowMajor(aDims),
                 bDesc = trans_b ? swappedLastTwo(bDims) : rowMajor(bDims),
                 yDesc = rowMajor(yDims);
    runProduct(planKey(kMatmul, {aDims, bDims, yDims},
                       {(double)(trans_a != 0), (double)(trans_b != 0)}),
               aDesc, bDesc, yDesc, a, b, y, /*mayPack=*/bDims.size() == 2);
    return nullptr;
  });
}

cleave_status cleave_cpu_gemm(const cleave_tensor *a, const cleave_tensor *b,
                              const cleave_tensor *c, float alpha, float beta,
                              int32_t trans_a, int32_t trans_b,
                              cleave_tensor *y) {
  CLEAVE_RETURN_IF_ERROR(checkF32("gemm", {a, b, y}));
  if (c)
    CLEAVE_RETURN_IF_ERROR(checkF32("gemm", {c}));
  if (a->rank != 2 || b->rank != 2 || y->rank != 2)
    return CLEAVE_ERROR(CLEAVE_INVALID_ARGUMENT, "gemm: A, B and Y must be "
                                                 "matrices");
  int64_t m = trans_a ? a->dims[1] : a->dims[0];
  int64_t k = trans_a ? a->dims[0] : a->dims[1];
  int64_t n = trans_b ? b->dims[0] : b->dims[1];
  if ((trans_b ? b->dims[1] : b->dims[0]) != k || y->dims[0] != m ||
      y->dims[1] != n)
    return CLEAVE_ERROR(CLEAVE_INVALID_ARGUMENT,
                        "gemm: shapes " + shapeText(dimsOf(a)) + " and " +
                            shapeText(dimsOf(b)) + " do not give " +
                            shapeText(dimsOf(y)));
  Dims cShape;
  if (c && (!broadcast(dimsOf(c), {m, n}, cShape) || cShape != Dims{m, n}))
    return CLEAVE_ERROR(CLEAVE_INVALID_ARGUMENT,
                        "gemm: C does not broadcast to the output");
  if (m == 0 || n == 0)
    return nullptr;
  float *out = (float *)y->data;
  if (k == 0) {
    std::fill_n(out, m * n, 0.0f);
  } else {
    cleave_status status = guarded("gemm", [&]() -> cleave_status {
      // A transposed operand is the same bytes with swapped strides.
      memory::desc aDesc(Dims{m, k}, memory::data_type::f32,
                         trans_a ? Dims{1, m} : Dims{k, 1});
      memory::desc bDesc(Dims{k, n}, memory::data_type::f32,
                         trans_b ? Dims{1, k} : Dims{n, 1});
      memory::desc yDesc = rowMajor({m, n});
      runProduct(planKey(kGemm, {{m, k, n}},
                         {(double)trans_a, (double)trans_b, alpha}),
                 aDesc, bDesc, yDesc, a, b, y, /*mayPack=*/true, alpha);
      return nullptr;
    });
    if (status)
      return status;
  }
  if (c && beta != 0.0f) {
    Dims cDims = padded(dimsOf(c), 2);
    const float *pc = (const float *)c->data;
    int64_t rowStride = cDims[0] == 1 ? 0 : cDims[1];
    int64_t colStride = cDims[1] == 1 ? 0 : 1;
#pragma omp parallel for
    for (int64_t i = 0; i < m; ++i)
      for (int64_t j = 0; j < n; ++j)
        out[i * n + j] += beta * pc[i * rowStride + j * colStride];
  }
  return nullptr;
}

} // extern "C"

extern "C" cleave_status cleave_cpu_det(const cleave_tensor *x,
                                        cleave_tensor *y) {
  CLEAVE_RETURN_IF_ERROR(checkF32("det", {x, y}));
  if (x->rank < 2 || x->dims[x->rank - 1] != x->dims[x->rank - 2] ||
      cleave_tensor_num_elements(y) * x->dims[x->rank - 1] *
              x->dims[x->rank - 1] !=
          cleave_tensor_num_elements(x))
    return CLEAVE_ERROR(CLEAVE_INVALID_ARGUMENT,
                        "det: x " + shapeText(dimsOf(x)) +
                            " is not [*, M, M] for y " + shapeText(dimsOf(y)));
  int64_t m = x->dims[x->rank - 1], count = cleave_tensor_num_elements(y);
  const float *in = (const float *)x->data;
  float *out = (float *)y->data;
  std::vector<double> a(m * m);
  for (int64_t b = 0; b < count; ++b) {
    std::copy(in + b * m * m, in + (b + 1) * m * m, a.begin());
    // Gaussian elimination with partial pivoting: the product of the
    // pivots, negated at each row swap.
    double det = 1.0;
    for (int64_t k = 0; k < m && det != 0.0; ++k) {
      int64_t pivot = k;
      for (int64_t i = k + 1; i < m; ++i)
        if (std::fabs(a[i * m + k]) > std::fabs(a[pivot * m + k]))
          pivot = i;
      if (a[pivot * m + k] == 0.0) {
        det = 0.0;
        break;
      }
      if (pivot != k) {
        std::swap_ranges(&a[k * m], &a[k * m] + m, &a[pivot * m]);
        det = -det;
      }
      det *= a[k * m + k];
      for (int64_t i = k + 1; i < m; ++i) {
        double factor = a[i * m + k] / a[k * m + k];
        for (int64_t j = k; j < m; ++j)
          a[i * m + j] -= factor * a[k * m + j];
      }
    }
    out[b] = (float)det;
  }
  return nullptr;
}
