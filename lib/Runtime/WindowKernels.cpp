//===- WindowKernels.cpp - convolutions and pooling on the CPU --------------===//
//
// oneDNN convolutions (layouts of its choosing, weights reordered once,
// fused residual and clip) and pooling; ConvTranspose as a loop.
//
//===----------------------------------------------------------------------===//

#include "cleave/Runtime/CpuKernels.h"
#include "ElementwiseMath.h"
#include "OneDnnSupport.h"
#include "StatusInternal.h"
#include <algorithm>
#include <cmath>
#include <cstring>
#include <dnnl.hpp>
#include <omp.h>
#include <optional>
#include <string>
#include <vector>

using namespace cleave::cpu;

namespace {
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
  /// The program's tensors and the primitive's arguments, rebound each call.
  BoundMemory userX, userW, userY, userB, userZ;
  std::unordered_map<int, memory> args;
  size_t bytes = 0;
  /// The epilogue as a loop after the primitive, where oneDNN cannot fuse
  /// the residual (a blocked output layout).
  bool epilogueLoop = false;
  float lo = -INFINITY, hi = INFINITY;
  int32_t activation = 0;
};

Dims windowDims(const int64_t *values, int32_t rank, int64_t minus = 0) {
  Dims dims;
  for (int32_t i = 0; i < rank; ++i)
    dims.push_back(values[i] - minus);
  return dims;
}

/// The conv_fused kernel's activations: 1 SiLU, 2 HardSwish.
constexpr int32_t kSilu = 1, kHardSwish = 2;

/// Post-ops: add `residual` (when given), then clip to [lo, hi] (nothing
/// when both are infinite; Relu's form when lo is 0 and hi infinite), then
/// the activation.
dnnl::primitive_attr epilogueAttr(const memory::desc *residual, float lo,
                                  float hi, int32_t activation) {
  dnnl::primitive_attr attr;
  dnnl::post_ops ops;
  if (residual)
    ops.append_binary(dnnl::algorithm::binary_add, *residual);
  if (lo == 0.0f && std::isinf(hi) && hi > 0)
    ops.append_eltwise(1.0f, dnnl::algorithm::eltwise_relu, 0.0f, 0.0f);
  else if (!std::isinf(lo) || !std::isinf(hi))
    ops.append_eltwise(1.0f, dnnl::algorithm::eltwise_clip_v2, lo, hi);
  if (activation == kSilu)
    ops.append_eltwise(1.0f, dnnl::algorithm::eltwise_swish, 1.0f, 0.0f);
  else if (activation == kHardSwish)
    ops.append_eltwise(1.0f, dnnl::algorithm::eltwise_hardswish, 0.0f, 0.0f);
  attr.set_post_ops(ops);
  return attr;
}

ConvPlan makeConvPlan(const cleave_tensor *x, const cleave_tensor *w,
                      const cleave_tensor *b, bool residual,
                      const cleave_window *window, int64_t group, float lo,
                      float hi, int32_t activation, const cleave_tensor *y) {
  int32_t rank = window->spatial_rank;
  ConvPlan plan;
  plan.lo = lo;
  plan.hi = hi;
  plan.activation = activation;
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
        desc,
        epilogueAttr(residual ? &plan.plainY : nullptr, lo, hi, activation),
        cpuEngine());
    plan.epilogueLoop = residual && pd.dst_desc() != plan.plainY;
  } catch (const dnnl::error &) {
    if (!residual)
      throw;
    plan.epilogueLoop = true;
  }
  if (plan.epilogueLoop)
    pd = dnnl::convolution_forward::primitive_desc(
        desc, epilogueAttr(nullptr, -INFINITY, INFINITY, 0), cpuEngine());
  plan.primitive = dnnl::convolution_forward(pd);
  if (pd.src_desc() != plan.plainX)
    plan.x = memory(pd.src_desc(), cpuEngine());
  if (pd.weights_desc() != plan.plainW)
    plan.w = memory(pd.weights_desc(), cpuEngine());
  if (pd.dst_desc() != plan.plainY)
    plan.y = memory(pd.dst_desc(), cpuEngine());
  return plan;
}


void runConvPlan(ConvPlan &plan, const cleave_tensor *x, const cleave_tensor *w,
                 const cleave_tensor *b, const cleave_tensor *z,
                 cleave_tensor *y) {
  const memory &xUser = plan.userX.at(plan.plainX, x->data),
               &wUser = plan.userW.at(plan.plainW, w->data),
               &yUser = plan.userY.at(plan.plainY, y->data);
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
  // Every call of a plan has the same arguments (b and z are in its key).
  std::unordered_map<int, memory> &args = plan.args;
  args[DNNL_ARG_SRC] = plan.x ? plan.x : xUser;
  args[DNNL_ARG_WEIGHTS] = weights;
  args[DNNL_ARG_DST] = plan.y ? plan.y : yUser;
  if (b)
    args[DNNL_ARG_BIAS] = plan.userB.at(plan.bias, b->data);
  if (z && !plan.epilogueLoop)
    args[DNNL_ARG_ATTR_MULTIPLE_POST_OP(0) | DNNL_ARG_SRC_1] =
        plan.userZ.at(plan.plainY, z->data);
  if (!plan.bytes)
    plan.bytes = argumentBytes(args);
  execute(plan.primitive, args, plan.bytes);
  if (plan.y)
    reorder(plan.y, yUser);
  if (plan.epilogueLoop) {
    // z and y share the program's layout: one loop over both.
    float *out = (float *)y->data;
    const float *add = (const float *)z->data;
    float lo = plan.lo, hi = plan.hi;
    int64_t count = cleave_tensor_num_elements(y);
    // One loop per activation, each with its op fixed, so that it
    // vectorises (ResNet's 1x1 convolution of 16 channels: 26 -> 11 us).
    auto epilogue = [&](auto activate) {
#pragma omp parallel for if (count > 65536)
      for (int64_t i = 0; i < count; ++i)
        out[i] = activate(std::min(std::max(out[i] + add[i], lo), hi));
    };
    if (plan.activation == kSilu)
      epilogue([](float v) {
        return cleave::unaryOp(CLEAVE_UNARY_SWISH, v, 1.0f, 0.0f);
      });
    else if (plan.activation == kHardSwish)
      epilogue([](float v) {
        return cleave::unaryOp(CLEAVE_UNARY_HARD_SWISH, v, 1.0f, 0.0f);
      });
    else
      epilogue([](float v) { return v; });
  }
}
/// MaxPool by its definition, for any numeric type, with ONNX's indices:
/// offsets into x flattened, batch and channel included, the spatial part
/// row-major (storage order 0) or column-major (1). Padding never wins.
template <typename T>
void maxPoolLoop(const cleave_tensor *x, const cleave_window *w,
                 int32_t storageOrder, cleave_tensor *y, cleave_tensor *ind) {
  int32_t rank = w->spatial_rank;
  int64_t planes = x->dims[0] * x->dims[1], inSize = 1, outSize = 1;
  for (int32_t d = 0; d < rank; ++d) {
    inSize *= x->dims[d + 2];
    outSize *= y->dims[d + 2];
  }
  const T *in = (const T *)x->data;
  T *out = (T *)y->data;
  int64_t *indices = ind ? (int64_t *)ind->data : nullptr;
#pragma omp parallel for if (planes * outSize > 16384)
  for (int64_t plane = 0; plane < planes; ++plane)
    for (int64_t o = 0; o < outSize; ++o) {
      int64_t outPos[CLEAVE_MAX_RANK], rest = o;
      for (int32_t d = rank - 1; d >= 0; --d) {
        outPos[d] = rest % y->dims[d + 2];
        rest /= y->dims[d + 2];
      }
      int64_t taps = 1;
      for (int32_t d = 0; d < rank; ++d)
        taps *= w->kernel[d];
      bool found = false;
      T best{};
      int64_t bestIndex = 0;
      for (int64_t t = 0; t < taps; ++t) {
        int64_t tap = t, rowMajor = 0, columnMajor = 0, stride = 1;
        int64_t pos[CLEAVE_MAX_RANK];
        bool inside = true;
        for (int32_t d = rank - 1; d >= 0; --d) {
          int64_t k = tap % w->kernel[d];
          tap /= w->kernel[d];
          pos[d] = outPos[d] * w->strides[d] - w->pads_begin[d] +
                   k * w->dilations[d];
          inside = inside && pos[d] >= 0 && pos[d] < x->dims[d + 2];
        }
        if (!inside)
          continue;
        for (int32_t d = 0; d < rank; ++d)
          rowMajor = rowMajor * x->dims[d + 2] + pos[d];
        for (int32_t d = 0; d < rank; ++d) {
          columnMajor += pos[d] * stride;
          stride *= x->dims[d + 2];
        }
        T v = in[plane * inSize + rowMajor];
        if (!found || v > best) {
          found = true;
          best = v;
          bestIndex = storageOrder ? columnMajor : rowMajor;
        }
      }
      out[plane * outSize + o] = best;
      if (indices)
        indices[plane * outSize + o] = plane * inSize + bestIndex;
    }
}

} // namespace

extern "C" {

cleave_status cleave_cpu_conv(const cleave_tensor *x, const cleave_tensor *w,
                              const cleave_tensor *b,
                              const cleave_window *window, int64_t group,
                              cleave_tensor *y) {
  return cleave_cpu_conv_fused(x, w, b, nullptr, window, group, -INFINITY,
                               INFINITY, 0, y);
}

cleave_status cleave_cpu_conv_fused(const cleave_tensor *x,
                                    const cleave_tensor *w,
                                    const cleave_tensor *b,
                                    const cleave_tensor *z,
                                    const cleave_window *window, int64_t group,
                                    float lo, float hi, int32_t activation,
                                    cleave_tensor *y) {
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
  if (activation < 0 || activation > kHardSwish)
    return CLEAVE_ERROR(CLEAVE_INVALID_ARGUMENT,
                        "conv: unknown activation " +
                            std::to_string(activation));
  if (cleave_tensor_num_elements(y) == 0)
    return nullptr;
  return guarded("conv", [&]() -> cleave_status {
    PlanKey key = planKey(kConv, {},
                          {(double)rank, (double)group, (double)(b != nullptr),
                           (double)(z != nullptr),
                           (double)window->channels_last, lo, hi,
                           (double)activation});
    for (const cleave_tensor *t : {x, w, (const cleave_tensor *)y})
      key.insert(key.end(), t->dims, t->dims + t->rank);
    for (const int64_t *v : {window->strides, window->dilations,
                             window->pads_begin, window->pads_end})
      key.insert(key.end(), v, v + rank);
    thread_local PlanCache<ConvPlan> plans;
    SerialScope scope(tensorBytes({x, w, b, z, y}));
    ConvPlan &plan = plans.get(key, [&] {
      return makeConvPlan(x, w, b, z != nullptr, window, group, lo, hi,
                          activation, y);
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

cleave_status cleave_cpu_max_pool_indices(const cleave_tensor *x,
                                          const cleave_window *window,
                                          int32_t storage_order,
                                          cleave_tensor *y,
                                          cleave_tensor *indices) {
  int32_t rank = window->spatial_rank;
  if (x->dtype != y->dtype || x->rank != rank + 2 || y->rank != rank + 2 ||
      window->channels_last || x->dims[0] != y->dims[0] ||
      x->dims[1] != y->dims[1] ||
      (indices &&
       (indices->dtype != CLEAVE_DTYPE_I64 || dimsOf(indices) != dimsOf(y))))
    return CLEAVE_ERROR(CLEAVE_INVALID_ARGUMENT,
                        "max_pool_indices: inconsistent shapes or types");
  switch (x->dtype) {
  case CLEAVE_DTYPE_F32:
    maxPoolLoop<float>(x, window, storage_order, y, indices);
    break;
  case CLEAVE_DTYPE_F64:
    maxPoolLoop<double>(x, window, storage_order, y, indices);
    break;
  case CLEAVE_DTYPE_U8:
    maxPoolLoop<uint8_t>(x, window, storage_order, y, indices);
    break;
  case CLEAVE_DTYPE_I8:
    maxPoolLoop<int8_t>(x, window, storage_order, y, indices);
    break;
  case CLEAVE_DTYPE_I32:
    maxPoolLoop<int32_t>(x, window, storage_order, y, indices);
    break;
  case CLEAVE_DTYPE_I64:
    maxPoolLoop<int64_t>(x, window, storage_order, y, indices);
    break;
  default:
    return CLEAVE_ERROR(CLEAVE_UNSUPPORTED,
                        "max_pool_indices: unsupported element type");
  }
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
    executeOn(pool, {{DNNL_ARG_SRC, xDesc, x}, {DNNL_ARG_DST, yDesc, y}});
    return nullptr;
  });
}

} // extern "C"
