//===- CpuKernels.cpp - CPU kernels of the runtime ------------------------===//
//
// oneDNN 2.6 (the v2 API: an op descriptor, then its primitive descriptor)
// for matmul, elementwise, binary and softmax; plain loops where oneDNN has
// no equivalent. oneDNN reports errors as exceptions: each entry point
// catches them and returns a status, so none crosses the C boundary.
//
//===----------------------------------------------------------------------===//

#include "cleave/Runtime/CpuKernels.h"
#include "ElementwiseMath.h"
#include "StatusInternal.h"
#include <algorithm>
#include <cmath>
#include <cstring>
#include <dnnl.hpp>
#include <omp.h>
#include <optional>
#include <string>
#include <vector>

namespace {

using dnnl::memory;
using Dims = memory::dims;

dnnl::engine &cpuEngine() {
  static dnnl::engine engine(dnnl::engine::kind::cpu, 0);
  return engine;
}

/// Row-major strides of `dims` (empty axes count as 1, as oneDNN wants).
Dims rowMajorStrides(const Dims &dims) {
  Dims strides(dims.size(), 1);
  for (int i = (int)dims.size() - 2; i >= 0; --i)
    strides[i] = strides[i + 1] * std::max<memory::dim>(dims[i + 1], 1);
  return strides;
}

/// A plain row-major f32 memory descriptor for `dims`.
memory::desc rowMajor(const Dims &dims) {
  return memory::desc(dims, memory::data_type::f32, rowMajorStrides(dims));
}

Dims dimsOf(const cleave_tensor *t) { return Dims(t->dims, t->dims + t->rank); }

/// The descriptor of an activation of a convolution or pooling: oneDNN's
/// dims are always [N, C, spatial...]; the bytes are row-major in that
/// order, or in [N, spatial..., C] order when `channelsLast`.
memory::desc activationDesc(const cleave_tensor *t, bool channelsLast) {
  Dims dims = dimsOf(t);
  if (!channelsLast)
    return rowMajor(dims);
  Dims strides = rowMajorStrides(dims);
  // Axis order of the stored tensor as oneDNN sees it: N, C, spatial...
  Dims logical = {dims.front(), dims.back()},
       logicalStrides = {strides.front(), strides.back()};
  logical.insert(logical.end(), dims.begin() + 1, dims.end() - 1);
  logicalStrides.insert(logicalStrides.end(), strides.begin() + 1,
                        strides.end() - 1);
  return memory::desc(logical, memory::data_type::f32, logicalStrides);
}

/// `dims` with leading 1s up to `rank`.
Dims padded(Dims dims, size_t rank) {
  dims.insert(dims.begin(), rank - dims.size(), 1);
  return dims;
}

memory wrap(const memory::desc &desc, const cleave_tensor *t) {
  return memory(desc, cpuEngine(), const_cast<void *>(t->data));
}

/// Runs `body`, turning oneDNN and allocation errors into statuses.
template <typename Body> cleave_status guarded(const char *kernel, Body body) {
  try {
    return body();
  } catch (const dnnl::error &e) {
    return CLEAVE_ERROR(CLEAVE_INTERNAL,
                        std::string(kernel) + ": oneDNN: " + e.what());
  } catch (const std::bad_alloc &) {
    return CLEAVE_ERROR(CLEAVE_OUT_OF_MEMORY, std::string(kernel));
  }
}

cleave_status checkF32(const char *kernel,
                       std::initializer_list<const cleave_tensor *> tensors) {
  for (const cleave_tensor *t : tensors) {
    if (!t || !t->data)
      return CLEAVE_ERROR(CLEAVE_INVALID_ARGUMENT,
                          std::string(kernel) + ": missing tensor");
    if (t->dtype != CLEAVE_DTYPE_F32)
      return CLEAVE_ERROR(CLEAVE_UNSUPPORTED, std::string(kernel) +
                                                  ": element type " +
                                                  cleave_dtype_name(t->dtype) +
                                                  " is not supported");
  }
  return nullptr;
}

std::string shapeText(const Dims &dims) {
  std::string text = "[";
  for (size_t i = 0; i < dims.size(); ++i)
    text += (i ? ", " : "") + std::to_string(dims[i]);
  return text + "]";
}

/// NumPy broadcasting of two shapes into `out`; false if incompatible.
bool broadcast(const Dims &a, const Dims &b, Dims &out) {
  size_t rank = std::max(a.size(), b.size());
  Dims pa = padded(a, rank), pb = padded(b, rank);
  out.resize(rank);
  for (size_t i = 0; i < rank; ++i) {
    if (pa[i] != pb[i] && pa[i] != 1 && pb[i] != 1)
      return false;
    out[i] = pa[i] == 1 ? pb[i] : pa[i];
  }
  return true;
}

/// One stream per thread that runs kernels (a device program runs its ops
/// from one thread; oneDNN parallelises inside each).
void execute(const dnnl::primitive &primitive,
             const std::unordered_map<int, memory> &args) {
  thread_local dnnl::stream stream(cpuEngine());
  primitive.execute(stream, args);
  stream.wait();
}

/// out[i] = f(in[i], alpha, beta), inlined so the compiler vectorises it.
template <typename F>
cleave_status unaryLoop(const float *in, float *out, int64_t count, float alpha,
                        float beta, F f) {
#pragma omp parallel for if (count > 65536)
  for (int64_t i = 0; i < count; ++i)
    out[i] = f(in[i], alpha, beta);
  return nullptr;
}

/// The numbers that decide a kernel's oneDNN primitive (shapes and
/// parameters): the key of its cached plan.
using PlanKey = std::vector<int64_t>;

struct PlanKeyHash {
  size_t operator()(const PlanKey &key) const {
    size_t h = key.size();
    for (int64_t v : key)
      h ^=
          std::hash<int64_t>()(v) + 0x9e3779b97f4a7c15ull + (h << 6) + (h >> 2);
    return h;
  }
};

/// Plans (primitives and their buffers) by key. A program calls each
/// kernel with the same shapes on every run, so after the first run every
/// call finds its plan here instead of building a primitive.
template <typename Plan> class PlanCache {
public:
  template <typename Make> Plan &get(const PlanKey &key, Make make) {
    auto it = plans.find(key);
    if (it == plans.end())
      it = plans.emplace(key, make()).first;
    return it->second;
  }

private:
  std::unordered_map<PlanKey, Plan, PlanKeyHash> plans;
};

/// Kernels whose primitives are cached, as the first number of their keys.
enum PlanKind : int64_t {
  kMatmul = 1,
  kGemm,
  kEltwise,
  kBinary,
  kSoftmax,
  kPool,
  kBatchNorm,
  kReduce,
  kConv,
  kLrn
};

/// A key from a kind and any mix of numbers and dim lists.
PlanKey planKey(PlanKind kind, std::initializer_list<Dims> dims,
                std::initializer_list<double> params = {}) {
  PlanKey key = {kind};
  for (const Dims &d : dims) {
    key.push_back((int64_t)d.size());
    key.insert(key.end(), d.begin(), d.end());
  }
  for (double p : params) {
    int64_t bits;
    std::memcpy(&bits, &p, sizeof bits);
    key.push_back(bits);
  }
  return key;
}

/// The primitive cached under `key`, made by `make` on first use.
template <typename Make>
const dnnl::primitive &cachedPrimitive(const PlanKey &key, Make make) {
  thread_local PlanCache<dnnl::primitive> primitives;
  return primitives.get(key, [&] { return dnnl::primitive(make()); });
}

/// [begin, end): memory that stays unchanged for the rest of the run.
const char *constantBegin = nullptr, *constantEnd = nullptr;

bool isConstant(const void *data) {
  return data >= (const void *)constantBegin &&
         data < (const void *)constantEnd;
}

/// A convolution whose primitive picks its own layouts (blocked ones are
/// several times faster than plain NCHW), with reorders to and from the
/// plain tensors of the program, and its epilogue y = clip(conv + z) as
/// oneDNN post-ops. Weights in the constant region are reordered once.
struct ConvPlan {
  dnnl::convolution_forward primitive;
  memory::desc plainX, plainW, plainY, bias;
  memory x, w, y; // In the primitive's layouts; empty when plain.
  /// Reordered constant weights by source address: call sites with the same
  /// shapes share a plan, each with its own weights.
  std::unordered_map<const void *, memory> constantWeights;
  /// The epilogue as a loop after the primitive, where oneDNN cannot fuse
  /// the residual (a blocked output layout).
  bool epilogueLoop = false;
  float lo = -INFINITY, hi = INFINITY;
};

Dims windowDims(const int64_t *values, int32_t rank, int64_t minus = 0) {
  Dims dims;
  for (int32_t i = 0; i < rank; ++i)
    dims.push_back(values[i] - minus);
  return dims;
}

/// Post-ops: add `residual` (when given), then clip to [lo, hi] (nothing
/// when both are infinite; Relu's form when lo is 0 and hi infinite).
dnnl::primitive_attr epilogueAttr(const memory::desc *residual, float lo,
                                  float hi) {
  dnnl::primitive_attr attr;
  dnnl::post_ops ops;
  if (residual)
    ops.append_binary(dnnl::algorithm::binary_add, *residual);
  if (lo == 0.0f && std::isinf(hi) && hi > 0)
    ops.append_eltwise(1.0f, dnnl::algorithm::eltwise_relu, 0.0f, 0.0f);
  else if (!std::isinf(lo) || !std::isinf(hi))
    ops.append_eltwise(1.0f, dnnl::algorithm::eltwise_clip_v2, lo, hi);
  attr.set_post_ops(ops);
  return attr;
}

ConvPlan makeConvPlan(const cleave_tensor *x, const cleave_tensor *w,
                      const cleave_tensor *b, bool residual,
                      const cleave_window *window, int64_t group, float lo,
                      float hi, const cleave_tensor *y) {
  int32_t rank = window->spatial_rank;
  ConvPlan plan;
  plan.lo = lo;
  plan.hi = hi;
  plan.plainX = activationDesc(x, window->channels_last);
  plan.plainY = activationDesc(y, window->channels_last);
  // Grouped weights are [group, M/group, C/group, kernel...] to oneDNN.
  Dims wDims = dimsOf(w);
  if (group > 1) {
    wDims[0] /= group;
    wDims.insert(wDims.begin(), group);
  }
  plan.plainW = rowMajor(wDims);
  if (b)
    plan.bias = rowMajor(dimsOf(b));
  auto any = [](const memory::desc &plain) {
    return memory::desc(plain.dims(), memory::data_type::f32,
                        memory::format_tag::any);
  };
  // oneDNN counts dilation from 0 (none); ONNX from 1.
  dnnl::convolution_forward::desc desc(
      dnnl::prop_kind::forward_inference, dnnl::algorithm::convolution_direct,
      any(plan.plainX), any(plan.plainW), plan.bias, any(plan.plainY),
      windowDims(window->strides, rank), windowDims(window->dilations, rank, 1),
      windowDims(window->pads_begin, rank), windowDims(window->pads_end, rank));
  dnnl::convolution_forward::primitive_desc pd;
  try {
    // The residual has the program's layout: fusable when the output has it.
    pd = dnnl::convolution_forward::primitive_desc(
        desc, epilogueAttr(residual ? &plan.plainY : nullptr, lo, hi),
        cpuEngine());
    plan.epilogueLoop = residual && pd.dst_desc() != plan.plainY;
  } catch (const dnnl::error &) {
    if (!residual)
      throw;
    plan.epilogueLoop = true;
  }
  if (plan.epilogueLoop)
    pd = dnnl::convolution_forward::primitive_desc(
        desc, epilogueAttr(nullptr, -INFINITY, INFINITY), cpuEngine());
  plan.primitive = dnnl::convolution_forward(pd);
  if (pd.src_desc() != plan.plainX)
    plan.x = memory(pd.src_desc(), cpuEngine());
  if (pd.weights_desc() != plan.plainW)
    plan.w = memory(pd.weights_desc(), cpuEngine());
  if (pd.dst_desc() != plan.plainY)
    plan.y = memory(pd.dst_desc(), cpuEngine());
  return plan;
}

void reorder(const memory &from, const memory &to) {
  thread_local dnnl::stream stream(cpuEngine());
  dnnl::reorder(from, to).execute(stream, const_cast<memory &>(from),
                                  const_cast<memory &>(to));
  stream.wait();
}

void runConvPlan(ConvPlan &plan, const cleave_tensor *x, const cleave_tensor *w,
                 const cleave_tensor *b, const cleave_tensor *z,
                 cleave_tensor *y) {
  memory xUser = wrap(plan.plainX, x), wUser = wrap(plan.plainW, w),
         yUser = wrap(plan.plainY, y);
  if (plan.x)
    reorder(xUser, plan.x);
  memory weights = wUser;
  if (plan.w && isConstant(w->data)) {
    auto [it, added] = plan.constantWeights.try_emplace(w->data);
    if (added) {
      it->second = memory(plan.w.get_desc(), cpuEngine());
      reorder(wUser, it->second);
    }
    weights = it->second;
  } else if (plan.w) {
    reorder(wUser, plan.w);
    weights = plan.w;
  }
  std::unordered_map<int, memory> args = {
      {DNNL_ARG_SRC, plan.x ? plan.x : xUser},
      {DNNL_ARG_WEIGHTS, weights},
      {DNNL_ARG_DST, plan.y ? plan.y : yUser}};
  if (b)
    args[DNNL_ARG_BIAS] = wrap(plan.bias, b);
  if (z && !plan.epilogueLoop)
    args[DNNL_ARG_ATTR_MULTIPLE_POST_OP(0) | DNNL_ARG_SRC_1] =
        wrap(plan.plainY, z);
  execute(plan.primitive, args);
  if (plan.y)
    reorder(plan.y, yUser);
  if (plan.epilogueLoop) {
    // z and y share the program's layout: one loop over both.
    float *out = (float *)y->data;
    const float *add = (const float *)z->data;
    float lo = plan.lo, hi = plan.hi;
    int64_t count = cleave_tensor_num_elements(y);
#pragma omp parallel for if (count > 65536)
    for (int64_t i = 0; i < count; ++i)
      out[i] = std::min(std::max(out[i] + add[i], lo), hi);
  }
}

/// ONNX Resize: each output element is a weighted sum of input elements,
/// separable by axis. Per axis, an output index has taps (source index,
/// weight): one for nearest (mode 0), two for linear (1), four for cubic
/// (2, Keys' kernel with coefficient `a`; with `excludeOutside` taps past
/// the edge get no weight and the others are renormalised, else their
/// index is clamped).
cleave_status resizeWithTaps(const cleave_tensor *x, const float *scales,
                             int mode, cleave_resize_coordinates coordinates,
                             cleave_resize_nearest nearest, float a,
                             int32_t excludeOutside, cleave_tensor *y) {
  CLEAVE_RETURN_IF_ERROR(checkF32("resize", {x, y}));
  int32_t rank = x->rank;
  if (y->rank != rank || rank > CLEAVE_MAX_RANK)
    return CLEAVE_ERROR(CLEAVE_INVALID_ARGUMENT, "resize: ranks differ");
  for (int32_t i = 0; i < rank; ++i)
    if (x->dims[i] == 0 && y->dims[i] != 0)
      return CLEAVE_ERROR(CLEAVE_INVALID_ARGUMENT,
                          "resize: cannot grow an empty axis");
  // The source coordinate of output index `i` along `axis` (ONNX's
  // coordinate_transformation_mode).
  auto source = [&](int32_t axis, int64_t i) {
    // ONNX's length_resized is in * scale, which need not be the integer
    // output size (a downsample by 0.6 of 4 is 2.4, its output 2).
    double scale = scales[axis], in = (double)x->dims[axis], out = in * scale;
    switch (coordinates) {
    case CLEAVE_RESIZE_HALF_PIXEL:
      return (i + 0.5) / scale - 0.5;
    case CLEAVE_RESIZE_PYTORCH_HALF_PIXEL:
      return out > 1 ? (i + 0.5) / scale - 0.5 : 0.0;
    case CLEAVE_RESIZE_ALIGN_CORNERS:
      return out == 1 ? 0.0 : i * (in - 1) / (out - 1);
    case CLEAVE_RESIZE_ASYMMETRIC:
      return i / scale;
    case CLEAVE_RESIZE_TF_HALF_PIXEL_FOR_NN:
      return (i + 0.5) / scale;
    }
    return 0.0;
  };
  // Taps of every output index of every axis, computed once.
  struct Tap {
    int64_t index;
    double weight;
  };
  std::vector<std::vector<std::vector<Tap>>> taps(rank);
  for (int32_t axis = 0; axis < rank; ++axis) {
    int64_t last = x->dims[axis] - 1;
    auto clamp = [&](int64_t i) {
      return std::min(std::max<int64_t>(i, 0), last);
    };
    for (int64_t i = 0; i < y->dims[axis]; ++i) {
      double s = source(axis, i), f = std::floor(s), t = s - f;
      std::vector<Tap> list;
      if (mode == 0) {
        int64_t n;
        switch (nearest) {
        case CLEAVE_NEAREST_ROUND_PREFER_FLOOR:
          n = t == 0.5 ? (int64_t)f : (int64_t)std::round(s);
          break;
        case CLEAVE_NEAREST_ROUND_PREFER_CEIL:
          n = t == 0.5 ? (int64_t)f + 1 : (int64_t)std::round(s);
          break;
        case CLEAVE_NEAREST_FLOOR:
          n = (int64_t)f;
          break;
        default:
          n = (int64_t)std::ceil(s);
          break;
        }
        list.push_back({clamp(n), 1.0});
      } else if (mode == 1) {
        list.push_back({clamp((int64_t)f), 1 - t});
        list.push_back({clamp((int64_t)f + 1), t});
      } else {
        // Keys' cubic kernel at distances 1 + t, t, 1 - t and 2 - t.
        auto near = [&](double d) {
          return ((a + 2) * d - (a + 3)) * d * d + 1;
        };
        auto far = [&](double d) {
          return ((a * d - 5 * a) * d + 8 * a) * d - 4 * a;
        };
        double weights[4] = {far(1 + t), near(t), near(1 - t), far(2 - t)};
        double total = 0;
        for (int k = 0; k < 4; ++k) {
          int64_t index = (int64_t)f - 1 + k;
          bool outside = index < 0 || index > last;
          if (excludeOutside && outside)
            continue;
          list.push_back({clamp(index), weights[k]});
          total += weights[k];
        }
        if (excludeOutside && total != 0)
          for (Tap &tap : list)
            tap.weight /= total;
      }
      taps[axis].push_back(std::move(list));
    }
  }
  std::vector<int64_t> stride(rank, 1);
  for (int32_t i = rank - 2; i >= 0; --i)
    stride[i] = stride[i + 1] * x->dims[i + 1];
  int64_t count = cleave_tensor_num_elements(y);
  const float *in = (const float *)x->data;
  float *out = (float *)y->data;
#pragma omp parallel for
  for (int64_t flat = 0; flat < count; ++flat) {
    const std::vector<Tap> *axisTaps[CLEAVE_MAX_RANK];
    int64_t rest = flat;
    for (int32_t a2 = rank - 1; a2 >= 0; --a2) {
      axisTaps[a2] = &taps[a2][rest % y->dims[a2]];
      rest /= y->dims[a2];
    }
    // Sum over every combination of taps (an odometer over the axes).
    size_t pick[CLEAVE_MAX_RANK] = {};
    double value = 0;
    for (;;) {
      double w = 1;
      int64_t index = 0;
      for (int32_t a2 = 0; a2 < rank; ++a2) {
        const Tap &tap = (*axisTaps[a2])[pick[a2]];
        w *= tap.weight;
        index += tap.index * stride[a2];
      }
      value += w * in[index];
      int32_t a2 = rank - 1;
      while (a2 >= 0 && ++pick[a2] == axisTaps[a2]->size())
        pick[a2--] = 0;
      if (a2 < 0)
        break;
    }
    out[flat] = (float)value;
  }
  return nullptr;
}

} // namespace

extern "C" {

void cleave_cpu_set_constant_region(const void *data, int64_t size) {
  constantBegin = (const char *)data;
  constantEnd = constantBegin + (data ? size : 0);
}

void cleave_cpu_set_num_threads(int32_t threads) {
  omp_set_num_threads(threads > 0 ? threads : omp_get_num_procs());
}

cleave_status cleave_cpu_matmul(const cleave_tensor *a, const cleave_tensor *b,
                                cleave_tensor *y) {
  CLEAVE_RETURN_IF_ERROR(checkF32("matmul", {a, b, y}));
  return guarded("matmul", [&]() -> cleave_status {
    Dims aDims = dimsOf(a), bDims = dimsOf(b);
    if (aDims.empty() || bDims.empty())
      return CLEAVE_ERROR(CLEAVE_INVALID_ARGUMENT,
                          "matmul: inputs must have rank 1 or more");
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
    if (aDims[rank - 1] == 0) {
      std::fill_n((float *)y->data, cleave_tensor_num_elements(y), 0.0f);
      return nullptr;
    }
    memory::desc aDesc = rowMajor(aDims), bDesc = rowMajor(bDims),
                 yDesc = rowMajor(yDims);
    const dnnl::primitive &matmul =
        cachedPrimitive(planKey(kMatmul, {aDims, bDims, yDims}), [&] {
          return dnnl::matmul(dnnl::matmul::primitive_desc(
              dnnl::matmul::desc(aDesc, bDesc, yDesc), cpuEngine()));
        });
    execute(matmul, {{DNNL_ARG_SRC, wrap(aDesc, a)},
                     {DNNL_ARG_WEIGHTS, wrap(bDesc, b)},
                     {DNNL_ARG_DST, wrap(yDesc, y)}});
    return nullptr;
  });
}

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
  case CLEAVE_UNARY_LEAKY_RELU:
    return A::eltwise_relu;
  case CLEAVE_UNARY_LOG:
    return A::eltwise_log;
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
  case CLEAVE_UNARY_LINEAR:
    return A::eltwise_linear;
  default:
    return std::nullopt;
  }
}

cleave_status cleave_cpu_unary(cleave_unary_op op, float alpha, float beta,
                               const cleave_tensor *x, cleave_tensor *y) {
  CLEAVE_RETURN_IF_ERROR(checkF32("unary", {x, y}));
  if (dimsOf(x) != dimsOf(y))
    return CLEAVE_ERROR(CLEAVE_INVALID_ARGUMENT,
                        "unary: input " + shapeText(dimsOf(x)) +
                            " and output " + shapeText(dimsOf(y)) + " differ");
  int64_t count = cleave_tensor_num_elements(x);
  if (count == 0)
    return nullptr;
  const float *in = (const float *)x->data;
  float *out = (float *)y->data;
  // oneDNN's algorithm where it has one; the shared math as a loop (one
  // per op, so each loop body is that op's math alone) elsewhere.
  std::optional<dnnl::algorithm> found = oneDnnUnary(op, alpha, beta);
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
    execute(eltwise,
            {{DNNL_ARG_SRC, wrap(desc, x)}, {DNNL_ARG_DST, wrap(desc, y)}});
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
  if (cleave_tensor_num_elements(y) == 0)
    return nullptr;
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
      execute(binary, {{DNNL_ARG_SRC_0, wrap(aDesc, a)},
                       {DNNL_ARG_SRC_1, wrap(bDesc, b)},
                       {DNNL_ARG_DST, wrap(aDesc, y)}});
      return nullptr;
    });
  }
  // Both inputs broadcast: oneDNN cannot, the loop can.
  return cleave_cpu_binary_loop(op, a, b, y);
}

cleave_status cleave_cpu_arg_reduce(const cleave_tensor *x, int32_t axis,
                                    int32_t is_max, int32_t select_last,
                                    cleave_tensor *y) {
  CLEAVE_RETURN_IF_ERROR(checkF32("arg_reduce", {x}));
  if (y->dtype != CLEAVE_DTYPE_I64 || axis < 0 || axis >= x->rank ||
      y->rank != x->rank || y->dims[axis] != 1)
    return CLEAVE_ERROR(CLEAVE_INVALID_ARGUMENT,
                        "arg_reduce: y must be i64 with x's rank and 1 on the "
                        "axis");
  int64_t outer = 1, inner = 1, dim = x->dims[axis];
  for (int32_t i = 0; i < axis; ++i)
    outer *= x->dims[i];
  for (int32_t i = axis + 1; i < x->rank; ++i)
    inner *= x->dims[i];
  const float *in = (const float *)x->data;
  int64_t *out = (int64_t *)y->data;
#pragma omp parallel for
  for (int64_t o = 0; o < outer; ++o)
    for (int64_t i = 0; i < inner; ++i) {
      int64_t best = 0;
      for (int64_t k = 1; k < dim; ++k) {
        float v = in[(o * dim + k) * inner + i],
              w = in[(o * dim + best) * inner + i];
        bool better = is_max ? (v > w || (select_last && v == w))
                             : (v < w || (select_last && v == w));
        if (better)
          best = k;
      }
      out[o * inner + i] = best;
    }
  return nullptr;
}

cleave_status cleave_cpu_softmax(const cleave_tensor *x, int32_t axis,
                                 int32_t log, cleave_tensor *y) {
  CLEAVE_RETURN_IF_ERROR(checkF32("softmax", {x, y}));
  if (dimsOf(x) != dimsOf(y))
    return CLEAVE_ERROR(CLEAVE_INVALID_ARGUMENT,
                        "softmax: input and output shapes differ");
  if (axis < -x->rank || axis >= x->rank)
    return CLEAVE_ERROR(CLEAVE_INVALID_ARGUMENT,
                        "softmax: axis " + std::to_string(axis) +
                            " is out of range for rank " +
                            std::to_string(x->rank));
  if (axis < 0)
    axis += x->rank;
  if (cleave_tensor_num_elements(x) == 0)
    return nullptr;
  return guarded("softmax", [&]() -> cleave_status {
    memory::desc desc = rowMajor(dimsOf(x));
    const dnnl::primitive &softmax = cachedPrimitive(
        planKey(kSoftmax, {dimsOf(x)}, {(double)axis, (double)log}), [&] {
          return dnnl::softmax_v2_forward(
              dnnl::softmax_v2_forward::primitive_desc(
                  dnnl::softmax_v2_forward::desc(
                      dnnl::prop_kind::forward_inference,
                      log ? dnnl::algorithm::softmax_log
                          : dnnl::algorithm::softmax_accurate,
                      desc, desc, axis),
                  cpuEngine()));
        });
    execute(softmax,
            {{DNNL_ARG_SRC, wrap(desc, x)}, {DNNL_ARG_DST, wrap(desc, y)}});
    return nullptr;
  });
}

cleave_status cleave_cpu_conv(const cleave_tensor *x, const cleave_tensor *w,
                              const cleave_tensor *b,
                              const cleave_window *window, int64_t group,
                              cleave_tensor *y) {
  return cleave_cpu_conv_fused(x, w, b, nullptr, window, group, -INFINITY,
                               INFINITY, y);
}

cleave_status cleave_cpu_conv_fused(const cleave_tensor *x,
                                    const cleave_tensor *w,
                                    const cleave_tensor *b,
                                    const cleave_tensor *z,
                                    const cleave_window *window, int64_t group,
                                    float lo, float hi, cleave_tensor *y) {
  CLEAVE_RETURN_IF_ERROR(checkF32("conv", {x, w, y}));
  if (b)
    CLEAVE_RETURN_IF_ERROR(checkF32("conv", {b}));
  if (z) {
    CLEAVE_RETURN_IF_ERROR(checkF32("conv", {z}));
    if (dimsOf(z) != dimsOf(y))
      return CLEAVE_ERROR(CLEAVE_INVALID_ARGUMENT,
                          "conv: the residual " + shapeText(dimsOf(z)) +
                              " differs from the output " +
                              shapeText(dimsOf(y)));
  }
  int32_t rank = window->spatial_rank;
  if (x->rank != rank + 2 || w->rank != rank + 2 || y->rank != rank + 2 ||
      group <= 0 || w->dims[0] % group != 0)
    return CLEAVE_ERROR(CLEAVE_INVALID_ARGUMENT,
                        "conv: inconsistent ranks or groups");
  if (cleave_tensor_num_elements(y) == 0)
    return nullptr;
  return guarded("conv", [&]() -> cleave_status {
    PlanKey key = planKey(kConv, {},
                          {(double)rank, (double)group, (double)(b != nullptr),
                           (double)(z != nullptr),
                           (double)window->channels_last, lo, hi});
    for (const cleave_tensor *t : {x, w, (const cleave_tensor *)y})
      key.insert(key.end(), t->dims, t->dims + t->rank);
    for (const int64_t *v : {window->strides, window->dilations,
                             window->pads_begin, window->pads_end})
      key.insert(key.end(), v, v + rank);
    thread_local PlanCache<ConvPlan> plans;
    ConvPlan &plan = plans.get(key, [&] {
      return makeConvPlan(x, w, b, z != nullptr, window, group, lo, hi, y);
    });
    runConvPlan(plan, x, w, b, z, y);
    return nullptr;
  });
}

cleave_status cleave_cpu_conv_transpose(const cleave_tensor *x,
                                        const cleave_tensor *w,
                                        const cleave_tensor *b,
                                        const cleave_window *window,
                                        int64_t group, cleave_tensor *y) {
  CLEAVE_RETURN_IF_ERROR(checkF32("conv_transpose", {x, w, y}));
  if (b)
    CLEAVE_RETURN_IF_ERROR(checkF32("conv_transpose", {b}));
  int32_t rank = window->spatial_rank;
  if (x->rank != rank + 2 || w->rank != rank + 2 || y->rank != rank + 2 ||
      group <= 0 || x->dims[1] != w->dims[0] || x->dims[1] % group != 0 ||
      y->dims[1] != w->dims[1] * group)
    return CLEAVE_ERROR(CLEAVE_INVALID_ARGUMENT,
                        "conv_transpose: inconsistent shapes or groups");
  int64_t n = x->dims[0], channels = x->dims[1], perGroupIn = channels / group,
          perGroupOut = w->dims[1];
  int64_t inSpatial = 1, outSpatial = 1, kernelSpatial = 1;
  for (int32_t i = 0; i < rank; ++i) {
    inSpatial *= x->dims[i + 2];
    outSpatial *= y->dims[i + 2];
    kernelSpatial *= w->dims[i + 2];
  }
  const float *in = (const float *)x->data, *weights = (const float *)w->data;
  float *out = (float *)y->data;
  int64_t outChannels = y->dims[1];
  for (int64_t i = 0; i < n * outChannels; ++i)
    std::fill_n(out + i * outSpatial, outSpatial,
                b ? ((const float *)b->data)[i % outChannels] : 0.0f);
    // Each input element scatters into the outputs its kernel window reaches.
#pragma omp parallel for
  for (int64_t no = 0; no < n * outChannels; ++no) {
    int64_t batch = no / outChannels, m = no % outChannels;
    int64_t g = m / perGroupOut, mg = m % perGroupOut;
    float *plane = out + no * outSpatial;
    for (int64_t c = g * perGroupIn; c < (g + 1) * perGroupIn; ++c) {
      const float *source = in + (batch * channels + c) * inSpatial;
      const float *kernel = weights + (c * perGroupOut + mg) * kernelSpatial;
      for (int64_t p = 0; p < inSpatial; ++p) {
        float value = source[p];
        for (int64_t k = 0; k < kernelSpatial; ++k) {
          int64_t restP = p, restK = k, target = 0, scale = 1;
          bool inside = true;
          for (int32_t a = rank - 1; a >= 0; --a) {
            int64_t ip = restP % x->dims[a + 2], kp = restK % w->dims[a + 2];
            restP /= x->dims[a + 2];
            restK /= w->dims[a + 2];
            int64_t o = ip * window->strides[a] - window->pads_begin[a] +
                        kp * window->dilations[a];
            if (o < 0 || o >= y->dims[a + 2]) {
              inside = false;
              break;
            }
            target += o * scale;
            scale *= y->dims[a + 2];
          }
          if (inside)
            plane[target] += value * kernel[k];
        }
      }
    }
  }
  return nullptr;
}

cleave_status cleave_cpu_instance_norm(const cleave_tensor *x,
                                       const cleave_tensor *scale,
                                       const cleave_tensor *bias, float epsilon,
                                       cleave_tensor *y) {
  CLEAVE_RETURN_IF_ERROR(checkF32("instance_norm", {x, scale, bias, y}));
  if (x->rank < 3 || dimsOf(x) != dimsOf(y) ||
      cleave_tensor_num_elements(scale) != x->dims[1] ||
      cleave_tensor_num_elements(bias) != x->dims[1])
    return CLEAVE_ERROR(CLEAVE_INVALID_ARGUMENT,
                        "instance_norm: inconsistent shapes");
  int64_t planes = x->dims[0] * x->dims[1],
          size = cleave_tensor_num_elements(x) / std::max<int64_t>(planes, 1);
  const float *in = (const float *)x->data;
  const float *g = (const float *)scale->data, *b = (const float *)bias->data;
  float *out = (float *)y->data;
#pragma omp parallel for
  for (int64_t p = 0; p < planes; ++p) {
    const float *plane = in + p * size;
    double mean = 0, var = 0;
    for (int64_t i = 0; i < size; ++i)
      mean += plane[i];
    mean /= size;
    for (int64_t i = 0; i < size; ++i)
      var += (plane[i] - mean) * (plane[i] - mean);
    var /= size;
    double inv = 1.0 / std::sqrt(var + epsilon);
    int64_t c = p % x->dims[1];
    for (int64_t i = 0; i < size; ++i)
      out[p * size + i] = (float)((plane[i] - mean) * inv * g[c] + b[c]);
  }
  return nullptr;
}

cleave_status cleave_cpu_lrn(const cleave_tensor *x, float alpha, float beta,
                             float bias, int64_t size, cleave_tensor *y) {
  CLEAVE_RETURN_IF_ERROR(checkF32("lrn", {x, y}));
  if (x->rank < 3 || dimsOf(x) != dimsOf(y) || size <= 0)
    return CLEAVE_ERROR(CLEAVE_INVALID_ARGUMENT,
                        "lrn: x must have rank 3 or more, as y, and size "
                        "must be positive");
  if (cleave_tensor_num_elements(y) == 0)
    return nullptr;
  return guarded("lrn", [&]() -> cleave_status {
    // oneDNN's across-channel LRN is ONNX's: x * (k + alpha/n * sum)^-beta.
    memory::desc desc = rowMajor(dimsOf(x));
    const dnnl::primitive &lrn = cachedPrimitive(
        planKey(kLrn, {dimsOf(x)}, {alpha, beta, bias, (double)size}), [&] {
          return dnnl::lrn_forward(dnnl::lrn_forward::primitive_desc(
              dnnl::lrn_forward::desc(dnnl::prop_kind::forward_inference,
                                      dnnl::algorithm::lrn_across_channels,
                                      desc, size, alpha, beta, bias),
              cpuEngine()));
        });
    execute(lrn,
            {{DNNL_ARG_SRC, wrap(desc, x)}, {DNNL_ARG_DST, wrap(desc, y)}});
    return nullptr;
  });
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

cleave_status cleave_cpu_pool(cleave_pool_kind kind, const cleave_tensor *x,
                              const cleave_window *window, cleave_tensor *y) {
  CLEAVE_RETURN_IF_ERROR(checkF32("pool", {x, y}));
  int32_t rank = window->spatial_rank;
  if (x->rank != rank + 2 || y->rank != rank + 2)
    return CLEAVE_ERROR(CLEAVE_INVALID_ARGUMENT, "pool: inconsistent ranks");
  if (cleave_tensor_num_elements(y) == 0)
    return nullptr;
  dnnl::algorithm algorithm =
      kind == CLEAVE_POOL_MAX ? dnnl::algorithm::pooling_max
      : kind == CLEAVE_POOL_AVG_INCLUDE_PAD
          ? dnnl::algorithm::pooling_avg_include_padding
          : dnnl::algorithm::pooling_avg_exclude_padding;
  return guarded("pool", [&]() -> cleave_status {
    memory::desc xDesc = activationDesc(x, window->channels_last),
                 yDesc = activationDesc(y, window->channels_last);
    PlanKey key = planKey(
        kPool,
        {dimsOf(x), dimsOf(y), windowDims(window->strides, rank),
         windowDims(window->kernel, rank), windowDims(window->dilations, rank),
         windowDims(window->pads_begin, rank),
         windowDims(window->pads_end, rank)},
        {(double)kind, (double)window->channels_last});
    const dnnl::primitive &pool = cachedPrimitive(key, [&] {
      return dnnl::pooling_v2_forward(dnnl::pooling_v2_forward::primitive_desc(
          dnnl::pooling_v2_forward::desc(dnnl::prop_kind::forward_inference,
                                         algorithm, xDesc, yDesc,
                                         windowDims(window->strides, rank),
                                         windowDims(window->kernel, rank),
                                         windowDims(window->dilations, rank, 1),
                                         windowDims(window->pads_begin, rank),
                                         windowDims(window->pads_end, rank)),
          cpuEngine()));
    });
    execute(pool,
            {{DNNL_ARG_SRC, wrap(xDesc, x)}, {DNNL_ARG_DST, wrap(yDesc, y)}});
    return nullptr;
  });
}

cleave_status cleave_cpu_batch_norm(const cleave_tensor *x,
                                    const cleave_tensor *scale,
                                    const cleave_tensor *bias,
                                    const cleave_tensor *mean,
                                    const cleave_tensor *var, float epsilon,
                                    cleave_tensor *y) {
  CLEAVE_RETURN_IF_ERROR(
      checkF32("batch_norm", {x, scale, bias, mean, var, y}));
  if (x->rank < 2 || dimsOf(x) != dimsOf(y))
    return CLEAVE_ERROR(CLEAVE_INVALID_ARGUMENT,
                        "batch_norm: x must have rank 2 or more, as y");
  if (cleave_tensor_num_elements(y) == 0)
    return nullptr;
  return guarded("batch_norm", [&]() -> cleave_status {
    memory::desc xDesc = rowMajor(dimsOf(x));
    memory::desc cDesc = rowMajor({x->dims[1]});
    auto flags = dnnl::normalization_flags::use_global_stats |
                 dnnl::normalization_flags::use_scale |
                 dnnl::normalization_flags::use_shift;
    const dnnl::primitive &norm =
        cachedPrimitive(planKey(kBatchNorm, {dimsOf(x)}, {epsilon}), [&] {
          return dnnl::batch_normalization_forward(
              dnnl::batch_normalization_forward::primitive_desc(
                  dnnl::batch_normalization_forward::desc(
                      dnnl::prop_kind::forward_inference, xDesc, epsilon,
                      flags),
                  cpuEngine()));
        });
    execute(norm, {{DNNL_ARG_SRC, wrap(xDesc, x)},
                   {DNNL_ARG_MEAN, wrap(cDesc, mean)},
                   {DNNL_ARG_VARIANCE, wrap(cDesc, var)},
                   {DNNL_ARG_SCALE, wrap(cDesc, scale)},
                   {DNNL_ARG_SHIFT, wrap(cDesc, bias)},
                   {DNNL_ARG_DST, wrap(xDesc, y)}});
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
      const dnnl::primitive &gemm = cachedPrimitive(
          planKey(kGemm, {{m, k, n}},
                  {(double)trans_a, (double)trans_b, alpha}),
          [&] {
            dnnl::primitive_attr attr;
            if (alpha != 1.0f)
              attr.set_output_scales(0, {alpha});
            return dnnl::matmul(dnnl::matmul::primitive_desc(
                dnnl::matmul::desc(aDesc, bDesc, yDesc), attr, cpuEngine()));
          });
      execute(gemm, {{DNNL_ARG_SRC, wrap(aDesc, a)},
                     {DNNL_ARG_WEIGHTS, wrap(bDesc, b)},
                     {DNNL_ARG_DST, wrap(yDesc, y)}});
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

cleave_status cleave_cpu_reduce(cleave_reduce_op op, const cleave_tensor *x,
                                cleave_tensor *y) {
  // oneDNN for f32; every other type, empty and no-op reductions and
  // log-sum-exp (no oneDNN form) take the loop, which checks the shapes.
  if (x->dtype != CLEAVE_DTYPE_F32 || y->dtype != CLEAVE_DTYPE_F32 ||
      op == CLEAVE_REDUCE_LOG_SUM_EXP || cleave_tensor_num_elements(x) == 0 ||
      x->rank != y->rank || dimsOf(x) == dimsOf(y))
    return cleave_cpu_reduce_loop(op, x, y);
  for (int32_t i = 0; i < x->rank; ++i)
    if (y->dims[i] != x->dims[i] && y->dims[i] != 1)
      return CLEAVE_ERROR(CLEAVE_INVALID_ARGUMENT,
                          "reduce: output " + shapeText(dimsOf(y)) +
                              " does not reduce " + shapeText(dimsOf(x)));
  if (cleave_tensor_num_elements(y) == 0)
    return nullptr;
  using A = dnnl::algorithm;
  A algorithm;
  float p = 0;
  switch (op) {
  case CLEAVE_REDUCE_SUM:
    algorithm = A::reduction_sum;
    break;
  case CLEAVE_REDUCE_MEAN:
    algorithm = A::reduction_mean;
    break;
  case CLEAVE_REDUCE_MAX:
    algorithm = A::reduction_max;
    break;
  case CLEAVE_REDUCE_MIN:
    algorithm = A::reduction_min;
    break;
  case CLEAVE_REDUCE_PROD:
    algorithm = A::reduction_mul;
    break;
  case CLEAVE_REDUCE_L2:
    algorithm = A::reduction_norm_lp_sum, p = 2;
    break;
  case CLEAVE_REDUCE_SUM_SQUARE:
    algorithm = A::reduction_norm_lp_power_p_sum, p = 2;
    break;
  default:
    return CLEAVE_ERROR(CLEAVE_INVALID_ARGUMENT,
                        "reduce: unknown op " + std::to_string(op));
  }
  return guarded("reduce", [&]() -> cleave_status {
    memory::desc xDesc = rowMajor(dimsOf(x)), yDesc = rowMajor(dimsOf(y));
    const dnnl::primitive &reduction = cachedPrimitive(
        planKey(kReduce, {dimsOf(x), dimsOf(y)}, {(double)algorithm, p}), [&] {
          return dnnl::reduction(dnnl::reduction::primitive_desc(
              dnnl::reduction::desc(algorithm, xDesc, yDesc, p, 0.0f),
              cpuEngine()));
        });
    execute(reduction,
            {{DNNL_ARG_SRC, wrap(xDesc, x)}, {DNNL_ARG_DST, wrap(yDesc, y)}});
    return nullptr;
  });
}

cleave_status cleave_cpu_concat(const cleave_tensor *const *inputs,
                                int32_t count, int32_t axis, cleave_tensor *y) {
  size_t width = cleave_dtype_size(y->dtype);
  if (!width || axis < 0 || axis >= y->rank)
    return CLEAVE_ERROR(CLEAVE_INVALID_ARGUMENT, "concat: bad axis or type");
  int64_t outer = 1, inner = width;
  for (int32_t i = 0; i < axis; ++i)
    outer *= y->dims[i];
  for (int32_t i = axis + 1; i < y->rank; ++i)
    inner *= y->dims[i];
  int64_t rowBytes = y->dims[axis] * inner, offset = 0;
  for (int32_t k = 0; k < count; ++k) {
    const cleave_tensor *x = inputs[k];
    if (x->dtype != y->dtype || x->rank != y->rank)
      return CLEAVE_ERROR(CLEAVE_INVALID_ARGUMENT,
                          "concat: inputs differ from the output in type or "
                          "rank");
    int64_t chunk = x->dims[axis] * inner;
    for (int64_t o = 0; o < outer; ++o)
      std::memmove((char *)y->data + o * rowBytes + offset,
                   (const char *)x->data + o * chunk, chunk);
    offset += chunk;
  }
  if (offset != rowBytes)
    return CLEAVE_ERROR(CLEAVE_INVALID_ARGUMENT,
                        "concat: inputs do not fill the output axis");
  return nullptr;
}

cleave_status cleave_cpu_layer_norm(const cleave_tensor *x,
                                    const cleave_tensor *scale,
                                    const cleave_tensor *bias, int32_t axis,
                                    float epsilon, cleave_tensor *y) {
  return cleave_cpu_layer_norm_stats(x, scale, bias, axis, epsilon, y, nullptr,
                                     nullptr);
}

cleave_status cleave_cpu_layer_norm_stats(const cleave_tensor *x,
                                          const cleave_tensor *scale,
                                          const cleave_tensor *bias,
                                          int32_t axis, float epsilon,
                                          cleave_tensor *y, cleave_tensor *mean,
                                          cleave_tensor *inv_std_dev) {
  CLEAVE_RETURN_IF_ERROR(checkF32("layer_norm", {x, scale, y}));
  for (const cleave_tensor *t :
       {bias, (const cleave_tensor *)mean, (const cleave_tensor *)inv_std_dev})
    if (t)
      CLEAVE_RETURN_IF_ERROR(checkF32("layer_norm", {t}));
  if (axis < 0 || axis >= x->rank || dimsOf(x) != dimsOf(y))
    return CLEAVE_ERROR(CLEAVE_INVALID_ARGUMENT, "layer_norm: bad axis");
  int64_t rows = 1, cols = 1;
  for (int32_t i = 0; i < x->rank; ++i)
    (i < axis ? rows : cols) *= x->dims[i];
  if (cleave_tensor_num_elements(scale) != cols ||
      (bias && cleave_tensor_num_elements(bias) != cols))
    return CLEAVE_ERROR(CLEAVE_INVALID_ARGUMENT,
                        "layer_norm: scale and bias must cover the "
                        "normalised axes");
  if ((mean && cleave_tensor_num_elements(mean) != rows) ||
      (inv_std_dev && cleave_tensor_num_elements(inv_std_dev) != rows))
    return CLEAVE_ERROR(CLEAVE_INVALID_ARGUMENT,
                        "layer_norm: statistics need one value per row");
  const float *in = (const float *)x->data, *g = (const float *)scale->data;
  const float *b = bias ? (const float *)bias->data : nullptr;
  float *out = (float *)y->data;
  float *means = mean ? (float *)mean->data : nullptr;
  float *invs = inv_std_dev ? (float *)inv_std_dev->data : nullptr;
  // Scale and bias may broadcast over the normalised axes in ONNX; here they
  // cover them fully, so a row loop is exact and simple.
#pragma omp parallel for
  for (int64_t r = 0; r < rows; ++r) {
    const float *row = in + r * cols;
    double mu = 0, var = 0;
    for (int64_t c = 0; c < cols; ++c)
      mu += row[c];
    mu /= cols;
    for (int64_t c = 0; c < cols; ++c)
      var += (row[c] - mu) * (row[c] - mu);
    var /= cols;
    float inv = (float)(1.0 / std::sqrt(var + epsilon));
    if (means)
      means[r] = (float)mu;
    if (invs)
      invs[r] = inv;
    for (int64_t c = 0; c < cols; ++c)
      out[r * cols + c] =
          (float)((row[c] - mu) * inv) * g[c] + (b ? b[c] : 0.0f);
  }
  return nullptr;
}

cleave_status cleave_cpu_resize(const cleave_tensor *x, const float *scales,
                                int32_t linear,
                                cleave_resize_coordinates coordinates,
                                cleave_resize_nearest nearest,
                                cleave_tensor *y) {
  return resizeWithTaps(x, scales, linear ? 1 : 0, coordinates, nearest, -0.75f,
                        0, y);
}

cleave_status cleave_cpu_resize_cubic(const cleave_tensor *x,
                                      const float *scales,
                                      cleave_resize_coordinates coordinates,
                                      float cubic_a, int32_t exclude_outside,
                                      cleave_tensor *y) {
  return resizeWithTaps(x, scales, 2, coordinates, CLEAVE_NEAREST_FLOOR,
                        cubic_a, exclude_outside, y);
}

cleave_status cleave_cpu_copy(const cleave_tensor *x, cleave_tensor *y) {
  size_t bytes = cleave_tensor_num_bytes(x);
  if (bytes != cleave_tensor_num_bytes(y))
    return CLEAVE_ERROR(CLEAVE_INTERNAL,
                        "copy: " + std::to_string(bytes) + " bytes into " +
                            std::to_string(cleave_tensor_num_bytes(y)));
  if (bytes && x->data != y->data)
    std::memmove(y->data, x->data, bytes);
  return nullptr;
}

} // extern "C"
