//===- GradKernels.cpp - kernels only backward passes use -----------------===//

#include "cleave/Runtime/CpuKernels.h"
#include "ElementAccess.h"
#include "OneDnnSupport.h"
#include "StatusInternal.h"
#include "cleave/Runtime/Transport.h"
#include <cmath>
#include <cstring>
#include <string>
#include <vector>

using namespace cleave::cpu;
using namespace cleave::data;

namespace {

/// splitmix64: mix(key + n * golden) for n = 0, 1, ... is its stream.
inline uint64_t mix(uint64_t x) {
  x = (x ^ (x >> 30)) * 0xbf58476d1ce4e5b9ull;
  x = (x ^ (x >> 27)) * 0x94d049bb133111ebull;
  return x ^ (x >> 31);
}
constexpr uint64_t kGolden = 0x9e3779b97f4a7c15ull;

/// Whether Dropout drops element n of the stream of (seed, counter): when
/// the top 24 bits of its hash fall below ratio * 2^24.
struct DropDecision {
  DropDecision(int64_t seed, uint64_t counter, double ratio)
      : key(mix(mix((uint64_t)seed + kGolden) ^ (counter * kGolden))),
        threshold((uint64_t)std::llround(ratio * (1 << 24))) {}
  bool operator()(uint64_t n) const {
    return (mix(key + (n + 1) * kGolden) >> 40) < threshold;
  }
  uint64_t key, threshold;
};

} // namespace

extern "C" {

cleave_status cleave_cpu_gather_grad(const cleave_tensor *indices,
                                     const cleave_tensor *dy, int32_t axis,
                                     cleave_tensor *ddata) {
  CLEAVE_RETURN_IF_ERROR(checkF32("gather_grad", {dy, ddata}));
  if (axis < 0 || axis >= ddata->rank)
    return CLEAVE_ERROR(CLEAVE_INVALID_ARGUMENT, "gather_grad: bad axis");
  int64_t outer = 1, inner = 1, dim = ddata->dims[axis];
  for (int32_t i = 0; i < axis; ++i)
    outer *= ddata->dims[i];
  for (int32_t i = axis + 1; i < ddata->rank; ++i)
    inner *= ddata->dims[i];
  std::vector<int64_t> index;
  CLEAVE_RETURN_IF_ERROR(gatherIndices("gather_grad", indices, dim, index));
  int64_t count = (int64_t)index.size();
  if (cleave_tensor_num_elements(dy) != outer * count * inner)
    return CLEAVE_ERROR(CLEAVE_INVALID_ARGUMENT,
                        "gather_grad: dy does not have the gather's shape");
  const float *in = static_cast<const float *>(dy->data);
  float *out = static_cast<float *>(ddata->data);
  std::memset(out, 0, sizeof(float) * outer * dim * inner);
  // In index order, so repeated indices sum in a fixed order.
  for (int64_t o = 0; o < outer; ++o)
    for (int64_t i = 0; i < count; ++i) {
      const float *row = in + (o * count + i) * inner;
      float *target = out + (o * dim + index[i]) * inner;
      for (int64_t k = 0; k < inner; ++k)
        target[k] += row[k];
    }
  return nullptr;
}

cleave_status cleave_cpu_dropout_mask(const cleave_tensor *step, double ratio,
                                      int64_t seed, int64_t microbatch,
                                      int64_t microbatches,
                                      cleave_tensor *mask) {
  CLEAVE_RETURN_IF_ERROR(checkF32("dropout_mask", {step, mask}));
  if (cleave_tensor_num_elements(step) != 1 || !(ratio > 0 && ratio < 1) ||
      microbatch < 0 || microbatch >= microbatches)
    return CLEAVE_ERROR(CLEAVE_INVALID_ARGUMENT,
                        "dropout_mask: bad step, ratio or microbatch");
  int64_t size = cleave_tensor_num_elements(mask);
  // This part's first element in the step's whole batch.
  uint64_t first = ((uint64_t)cleave_runtime_replica() * microbatches +
                    (uint64_t)microbatch) *
                   (uint64_t)size;
  uint64_t counter = (uint64_t)*static_cast<const float *>(step->data);
  DropDecision drop(seed, counter, ratio);
  float scale = (float)(1.0 / (1.0 - ratio));
  float *out = static_cast<float *>(mask->data);
#pragma omp parallel for schedule(static) if (size > (1 << 16))
  for (int64_t i = 0; i < size; ++i)
    out[i] = drop(first + (uint64_t)i) ? 0.0f : scale;
  return nullptr;
}

cleave_status cleave_cpu_dropout(const cleave_tensor *x, double ratio,
                                 int64_t seed, cleave_tensor *y,
                                 cleave_tensor *mask) {
  CLEAVE_RETURN_IF_ERROR(checkF32("dropout", {x, y}));
  int64_t size = cleave_tensor_num_elements(x);
  if (!(ratio >= 0 && ratio < 1) || cleave_tensor_num_elements(y) != size ||
      (mask && (mask->dtype != CLEAVE_DTYPE_BOOL ||
                cleave_tensor_num_elements(mask) != size)))
    return CLEAVE_ERROR(CLEAVE_INVALID_ARGUMENT,
                        "dropout: bad ratio, or y or the bool mask differs "
                        "from x in size");
  DropDecision drop(seed, 0, ratio);
  float scale = (float)(1.0 / (1.0 - ratio));
  const float *in = static_cast<const float *>(x->data);
  float *out = static_cast<float *>(y->data);
  bool *keep = mask ? static_cast<bool *>(mask->data) : nullptr;
#pragma omp parallel for schedule(static) if (size > (1 << 16))
  for (int64_t i = 0; i < size; ++i) {
    bool dropped = ratio > 0 && drop((uint64_t)i);
    out[i] = dropped ? 0.0f : in[i] * scale;
    if (keep)
      keep[i] = !dropped;
  }
  return nullptr;
}

} // extern "C"
