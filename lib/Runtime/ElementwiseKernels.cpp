//===- ElementwiseKernels.cpp - unary, binary and Not on the CPU ------------===//
//
// oneDNN eltwise and binary where they have the op; elsewhere loops over
// the math the CUDA kernels share (ElementwiseMath.h).
//
//===----------------------------------------------------------------------===//

#include "cleave/Runtime/CpuKernels.h"
#include "ElementAccess.h"
#include "ElementwiseMath.h"
#include "OneDnnSupport.h"
#include "StatusInternal.h"
#include "StridedLoops.h"
#include <algorithm>
#include <cmath>
#include <cstring>
#include <dnnl.hpp>
#include <omp.h>
#include <optional>
#include <string>
#include <vector>

using namespace cleave::cpu;

/// oneDNN 2.6's eltwise algorithm for a unary op (adjusting its scalars
/// to oneDNN's), if it has one.
static std::optional<dnnl::algorithm> oneDnnUnary(cleave_unary_op op,
                                                  float &alpha, float &beta) {
  using A = dnnl::algorithm;
  switch (op) {
  case CLEAVE_UNARY_ABS:
    return A::eltwise_abs;
  case CLEAVE_UNARY_ELU:
    return A::eltwise_elu;
  case CLEAVE_UNARY_EXP:
    return A::eltwise_exp;
  case CLEAVE_UNARY_GELU:
    return A::eltwise_gelu_erf;
  case CLEAVE_UNARY_GELU_TANH:
    return A::eltwise_gelu_tanh;
  case CLEAVE_UNARY_HARD_SWISH: // x * relu6(x + 3) / 6, ONNX's HardSwish.
    return A::eltwise_hardswish;
  case CLEAVE_UNARY_LEAKY_RELU:
    return A::eltwise_relu;
  // Not LOG: oneDNN 2.6's JIT log errs by up to 81 ulp (6e-6 relative),
  // which flips integer buckets computed from it (T5's relative position
  // buckets, log(16 / 8) / log(128 / 8) * 8 truncated); the loop's logf is
  // within an ulp.
  case CLEAVE_UNARY_NEG:
    alpha = -1.0f, beta = 0.0f;
    return A::eltwise_linear;
  case CLEAVE_UNARY_RELU:
    alpha = 0.0f;
    return A::eltwise_relu;
  case CLEAVE_UNARY_SIGMOID:
    return A::eltwise_logistic;
  case CLEAVE_UNARY_SQRT:
    return A::eltwise_sqrt;
  case CLEAVE_UNARY_TANH:
    return A::eltwise_tanh;
  case CLEAVE_UNARY_SWISH: // x * sigmoid(alpha * x)
    return A::eltwise_swish;
  case CLEAVE_UNARY_LINEAR:
    return A::eltwise_linear;
  default:
    return std::nullopt;
  }
}

namespace {

/// The most elements a binary op (or an arithmetic unary one) computes
/// with its loop, not oneDNN.
constexpr int64_t kSmallBinary = 4096;
/// Rows shorter than this, against a repeated row, take one loop.
constexpr int64_t kShortRow = 64;

/// Unary ops of a few vector instructions an element (no libm call).
bool isArithmeticUnary(cleave_unary_op op) {
  switch (op) {
  case CLEAVE_UNARY_ABS:
  case CLEAVE_UNARY_CLIP:
  case CLEAVE_UNARY_HARD_SIGMOID:
  case CLEAVE_UNARY_HARD_SWISH:
  case CLEAVE_UNARY_LEAKY_RELU:
  case CLEAVE_UNARY_LINEAR:
  case CLEAVE_UNARY_NEG:
  case CLEAVE_UNARY_RECIPROCAL:
  case CLEAVE_UNARY_RELU:
  case CLEAVE_UNARY_SQRT:
    return true;
  default:
    return false;
  }
}

/// The operands' strides over y, simplified (see StridedLoops.h).
cleave::runtime::StridedSpace<2> binarySpace(const cleave_tensor *a,
                                             const cleave_tensor *b,
                                             const cleave_tensor *y) {
  using cleave::data::broadcastStrides;
  std::vector<int64_t> sa = broadcastStrides(a, y->rank, y->dims),
                       sb = broadcastStrides(b, y->rank, y->dims);
  const int64_t *strides[2] = {sa.data(), sb.data()};
  return cleave::runtime::simplify<2>(y->rank, y->dims, strides);
}

/// Short rows with one operand a row repeated down the tensor (x - mean
/// over a channels-last map: rows of C floats). oneDNN's binary took 1.6
/// ns an element there, 13 times a same-shape op; one loop over all rows
/// (no call per row) is as fast as the plain case.
bool repeatsShortRow(const cleave::runtime::StridedSpace<2> &space) {
  if (space.rank != 2)
    return false;
  int64_t length = space.dims[1];
  auto tiled = [&](int k) {
    return space.strides[k][0] == length && space.strides[k][1] == 1;
  };
  auto repeated = [&](int k) {
    return space.strides[k][0] == 0 && space.strides[k][1] == 1;
  };
  return length < kShortRow &&
         ((tiled(0) && repeated(1)) || (repeated(0) && tiled(1)));
}

/// y = op(a, b) on f32 with broadcasting, row by row: for the shapes
/// oneDNN's binary has only its reference kernel for (a last axis
/// broadcast, as attention's x - max(x)) or cannot take (both inputs
/// broadcast, or the first). The common steps (contiguous or broadcast
/// operands) get loops of their own, which the compiler vectorizes, and
/// short rows against a repeated row one loop over all rows.
void binaryRows(cleave_binary_op op, const cleave_tensor *a,
                const cleave_tensor *b, cleave_tensor *y) {
  auto space = binarySpace(a, b, y);
  const float *pa = static_cast<const float *>(a->data),
              *pb = static_cast<const float *>(b->data);
  float *out = static_cast<float *>(y->data);
  bool shortRows = repeatsShortRow(space);
  int64_t rows = space.dims[0], length = shortRows ? space.dims[1] : 0;
  int64_t stepA = shortRows ? space.strides[0][0] : 0;
  auto each = [&](auto f) {
    if (shortRows) {
      // The repeated row copied `per` times side by side, so that `per`
      // rows at once are one long loop (the tiled rows are contiguous).
      const float *row = stepA == 0 ? pa : pb;
      int64_t per = std::max<int64_t>(1, 256 / length), span = per * length;
      std::vector<float> repeated(span);
      for (int64_t i = 0; i < span; ++i)
        repeated[i] = row[i % length];
      int64_t blocks = (rows + per - 1) / per;
#pragma omp parallel for if (rows * length > 32768)
      for (int64_t block = 0; block < blocks; ++block) {
        int64_t begin = block * per * length,
                n = std::min(rows - block * per, per) * length;
        float *o = out + begin;
        const float *r = repeated.data();
        if (stepA == 0) {
          const float *q = pb + begin;
          for (int64_t i = 0; i < n; ++i)
            o[i] = f(r[i], q[i]);
        } else {
          const float *p = pa + begin;
          for (int64_t i = 0; i < n; ++i)
            o[i] = f(p[i], r[i]);
        }
      }
      return;
    }
    cleave::runtime::forEachRow(space, [&](int64_t r, const int64_t *offsets,
                                           int64_t n, const int64_t *steps) {
      const float *p = pa + offsets[0], *q = pb + offsets[1];
      float *o = out + r * n;
      if (steps[0] == 1 && steps[1] == 1)
        for (int64_t i = 0; i < n; ++i)
          o[i] = f(p[i], q[i]);
      else if (steps[0] == 1 && steps[1] == 0)
        for (int64_t i = 0; i < n; ++i)
          o[i] = f(p[i], q[0]);
      else if (steps[0] == 0 && steps[1] == 1)
        for (int64_t i = 0; i < n; ++i)
          o[i] = f(p[0], q[i]);
      else
        for (int64_t i = 0; i < n; ++i)
          o[i] = f(p[i * steps[0]], q[i * steps[1]]);
    });
  };
  switch (op) {
  case CLEAVE_BINARY_ADD:
    return each([](float u, float v) { return u + v; });
  case CLEAVE_BINARY_SUB:
    return each([](float u, float v) { return u - v; });
  case CLEAVE_BINARY_MUL:
    return each([](float u, float v) { return u * v; });
  case CLEAVE_BINARY_DIV:
    return each([](float u, float v) { return u / v; });
  case CLEAVE_BINARY_MAX: // NaN wins, as oneDNN's and the loop's
    return each([](float u, float v) {
      return std::isnan(u) || std::isnan(v) ? NAN : std::max(u, v);
    });
  case CLEAVE_BINARY_MIN:
    return each([](float u, float v) {
      return std::isnan(u) || std::isnan(v) ? NAN : std::min(u, v);
    });
  default:
    return;
  }
}

/// An integer op ONNX defines on integers (Abs, Neg, Relu, Sign, Shrink),
/// exactly; unsigned values have no sign. Nullopt for the others.
std::optional<int64_t> unaryInteger(cleave_unary_op op, float alpha,
                                    float beta, int64_t v, bool isUnsigned) {
  bool negative = !isUnsigned && v < 0;
  switch (op) {
  case CLEAVE_UNARY_ABS:
    return negative ? (int64_t)(0 - (uint64_t)v) : v;
  case CLEAVE_UNARY_NEG:
    return (int64_t)(0 - (uint64_t)v); // Wraps, as in two's complement.
  case CLEAVE_UNARY_RELU:
    return negative ? 0 : v;
  case CLEAVE_UNARY_SIGN:
    return negative ? -1 : v != 0;
  case CLEAVE_UNARY_SHRINK: { // In double, as ONNX's reference computes it.
    double d = isUnsigned ? (double)(uint64_t)v : (double)v;
    return (int64_t)(d < -alpha ? d + beta : (d > alpha ? d - beta : 0.0));
  }
  default:
    return std::nullopt;
  }
}

/// Unary ops on types other than f32: f16 and bf16 through the f32 math
/// (rounded back once, as PyTorch computes half-precision ops), integers
/// for the ops ONNX defines on them. f64 has no kernel yet (the compiler
/// says so before a bundle is built).
cleave_status unaryOtherTypes(cleave_unary_op op, float alpha, float beta,
                              const cleave_tensor *x, cleave_tensor *y) {
  using namespace cleave::data;
  cleave_dtype t = x->dtype;
  if (y->dtype != t)
    return CLEAVE_ERROR(CLEAVE_INVALID_ARGUMENT,
                        "unary: input and output differ in element type");
  bool half = t == CLEAVE_DTYPE_F16 || t == CLEAVE_DTYPE_BF16;
  bool integer = !isFloat(t) && t != CLEAVE_DTYPE_BOOL;
  if (!half && !integer)
    return CLEAVE_ERROR(CLEAVE_UNSUPPORTED,
                        "unary: no kernel for element type " +
                            std::to_string(t));
  bool isUnsigned = t == CLEAVE_DTYPE_U8 || t == CLEAVE_DTYPE_U16 ||
                    t == CLEAVE_DTYPE_U32 || t == CLEAVE_DTYPE_U64;
  if (integer && !unaryInteger(op, alpha, beta, 0, isUnsigned))
    return CLEAVE_ERROR(CLEAVE_UNSUPPORTED,
                        "unary: op " + std::to_string(op) +
                            " has no integer form");
  size_t width = cleave_dtype_size(t);
  int64_t count = cleave_tensor_num_elements(x);
  const char *in = (const char *)x->data;
  char *out = (char *)y->data;
#pragma omp parallel for if (count > 65536)
  for (int64_t i = 0; i < count; ++i) {
    const char *src = in + i * width;
    char *dst = out + i * width;
    if (half)
      storeFloat(dst, t,
                 cleave::unaryOp(op, (float)loadFloat(src, t), alpha, beta));
    else
      storeInt(dst, t,
               *unaryInteger(op, alpha, beta, loadInt(src, t), isUnsigned));
  }
  return nullptr;
}

} // namespace

extern "C" {

cleave_status cleave_cpu_unary(cleave_unary_op op, float alpha, float beta,
                               const cleave_tensor *x, cleave_tensor *y) {
  if (dimsOf(x) != dimsOf(y))
    return CLEAVE_ERROR(CLEAVE_INVALID_ARGUMENT,
                        "unary: input " + shapeText(dimsOf(x)) +
                            " and output " + shapeText(dimsOf(y)) + " differ");
  if (x->dtype != CLEAVE_DTYPE_F32 || y->dtype != CLEAVE_DTYPE_F32)
    return unaryOtherTypes(op, alpha, beta, x, y);
  int64_t count = cleave_tensor_num_elements(x);
  if (count == 0)
    return nullptr;
  const float *in = (const float *)x->data;
  float *out = (float *)y->data;
  // oneDNN's algorithm where it has one; the shared math as a loop (one
  // per op, so each loop body is that op's math alone) elsewhere, and for
  // small tensors of the ops that are a few instructions an element (as
  // small binary ops: a Relu of 128 floats took 0.9 us through oneDNN's
  // dispatch; the loop's math rounds alike).
  std::optional<dnnl::algorithm> found;
  if (count > kSmallBinary || !isArithmeticUnary(op))
    found = oneDnnUnary(op, alpha, beta);
  if (!found) {
    switch (op) {
#define CLEAVE_UNARY_OP(NAME)                                                  \
  case CLEAVE_UNARY_##NAME:                                                    \
    return unaryLoop(in, out, count, alpha, beta,                              \
                     [](float x, float a, float b) {                           \
                       return cleave::unaryOp(CLEAVE_UNARY_##NAME, x, a, b);   \
                     });
#include "cleave/Runtime/UnaryOps.def"
    }
    return CLEAVE_ERROR(CLEAVE_INVALID_ARGUMENT,
                        "unary: unknown op " + std::to_string(op));
  }
  dnnl::algorithm algorithm = *found;
  return guarded("unary", [&]() -> cleave_status {
    memory::desc desc = rowMajor({count});
    const dnnl::primitive &eltwise = cachedPrimitive(
        planKey(kEltwise, {{count}}, {(double)algorithm, alpha, beta}), [&] {
          return dnnl::eltwise_forward(dnnl::eltwise_forward::primitive_desc(
              dnnl::eltwise_forward::desc(dnnl::prop_kind::forward_inference,
                                          algorithm, desc, alpha, beta),
              cpuEngine()));
        });
    executeOn(eltwise, {{DNNL_ARG_SRC, desc, x}, {DNNL_ARG_DST, desc, y}});
    return nullptr;
  });
}

cleave_status cleave_cpu_gelu_backward(const cleave_tensor *dy,
                                       const cleave_tensor *x, int32_t tanh,
                                       cleave_tensor *dx) {
  CLEAVE_RETURN_IF_ERROR(checkF32("gelu_backward", {dy, x, dx}));
  if (dimsOf(dy) != dimsOf(x) || dimsOf(dx) != dimsOf(x))
    return CLEAVE_ERROR(CLEAVE_INVALID_ARGUMENT,
                        "gelu_backward: dy, x and dx must have one shape");
  int64_t count = cleave_tensor_num_elements(x);
  if (count == 0)
    return nullptr;
  dnnl::algorithm algorithm = tanh ? dnnl::algorithm::eltwise_gelu_tanh
                                   : dnnl::algorithm::eltwise_gelu_erf;
  return guarded("gelu_backward", [&]() -> cleave_status {
    memory::desc desc = rowMajor({count});
    const dnnl::primitive &backward = cachedPrimitive(
        planKey(kEltwiseBackward, {{count}}, {(double)algorithm}), [&] {
          dnnl::eltwise_forward::primitive_desc forward(
              dnnl::eltwise_forward::desc(dnnl::prop_kind::forward_training,
                                          algorithm, desc, 0.0f, 0.0f),
              cpuEngine());
          return dnnl::eltwise_backward(dnnl::eltwise_backward::primitive_desc(
              dnnl::eltwise_backward::desc(algorithm, desc, desc, 0.0f, 0.0f),
              cpuEngine(), forward));
        });
    executeOn(backward, {{DNNL_ARG_SRC, desc, x},
                         {DNNL_ARG_DIFF_DST, desc, dy},
                         {DNNL_ARG_DIFF_SRC, desc, dx}});
    return nullptr;
  });
}

cleave_status cleave_cpu_binary(cleave_binary_op op, const cleave_tensor *a,
                                const cleave_tensor *b, cleave_tensor *y) {
  // oneDNN wants at least one dimension; scalars take the loop.
  if (op > CLEAVE_BINARY_MIN || a->dtype != CLEAVE_DTYPE_F32 ||
      b->dtype != CLEAVE_DTYPE_F32 || y->dtype != CLEAVE_DTYPE_F32 ||
      y->rank == 0)
    return cleave_cpu_binary_loop(op, a, b, y);
  Dims shape;
  if (!broadcast(dimsOf(a), dimsOf(b), shape) || shape != dimsOf(y))
    return CLEAVE_ERROR(CLEAVE_INVALID_ARGUMENT,
                        "binary: shapes " + shapeText(dimsOf(a)) + " and " +
                            shapeText(dimsOf(b)) + " do not broadcast to " +
                            shapeText(dimsOf(y)));
  int64_t count = cleave_tensor_num_elements(y);
  if (count == 0)
    return nullptr;
  // A small tensor takes the loop: oneDNN's dispatch costs about 1.4 us
  // a call, the loop adds 4,096 floats in 1.0 us (one core of the
  // development machine), and both round each element alike. The gates of
  // a recurrent layer's steps are such tensors.
  if (count <= kSmallBinary || repeatsShortRow(binarySpace(a, b, y))) {
    binaryRows(op, a, b, y);
    return nullptr;
  }
  bool commutative = op != CLEAVE_BINARY_SUB && op != CLEAVE_BINARY_DIV;
  // oneDNN broadcasts only its second input: put the full-shape one first.
  if (padded(dimsOf(a), shape.size()) != shape && commutative &&
      padded(dimsOf(b), shape.size()) == shape)
    std::swap(a, b);
  using A = dnnl::algorithm;
  const A algorithms[] = {A::binary_add, A::binary_sub, A::binary_mul,
                          A::binary_div, A::binary_max, A::binary_min};
  if ((unsigned)op >= std::size(algorithms))
    return CLEAVE_ERROR(CLEAVE_INVALID_ARGUMENT,
                        "binary: unknown op " + std::to_string(op));
  dnnl::algorithm algorithm = algorithms[op];
  if (padded(dimsOf(a), shape.size()) == shape) {
    return guarded("binary", [&]() -> cleave_status {
      memory::desc aDesc = rowMajor(shape),
                   bDesc = rowMajor(padded(dimsOf(b), shape.size()));
      const dnnl::primitive &binary = cachedPrimitive(
          planKey(kBinary, {shape, dimsOf(b)}, {(double)algorithm}), [&] {
            return dnnl::binary(dnnl::binary::primitive_desc(
                dnnl::binary::desc(algorithm, aDesc, bDesc, aDesc),
                cpuEngine()));
          });
      if (isReferenceKernel(binary)) {
        binaryRows(op, a, b, y);
        return nullptr;
      }
      executeOn(binary, {{DNNL_ARG_SRC_0, aDesc, a},
                         {DNNL_ARG_SRC_1, bDesc, b},
                         {DNNL_ARG_DST, aDesc, y}});
      return nullptr;
    });
  }
  // The first input broadcasts too: oneDNN cannot.
  binaryRows(op, a, b, y);
  return nullptr;
}

cleave_status cleave_cpu_not(const cleave_tensor *x, cleave_tensor *y) {
  if (x->dtype != CLEAVE_DTYPE_BOOL || y->dtype != CLEAVE_DTYPE_BOOL ||
      dimsOf(x) != dimsOf(y))
    return CLEAVE_ERROR(CLEAVE_INVALID_ARGUMENT, "not: x and y must be bool "
                                                 "tensors of one shape");
  int64_t count = cleave_tensor_num_elements(x);
  const uint8_t *in = (const uint8_t *)x->data;
  uint8_t *out = (uint8_t *)y->data;
  for (int64_t i = 0; i < count; ++i)
    out[i] = !in[i];
  return nullptr;
}

} // extern "C"
