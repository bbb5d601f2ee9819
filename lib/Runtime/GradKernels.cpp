//===- GradKernels.cpp - kernels only backward passes use -----------------===//

#include "cleave/Runtime/CpuKernels.h"
#include "ElementAccess.h"
#include "OneDnnSupport.h"
#include "StatusInternal.h"
#include <cstring>
#include <string>
#include <vector>

using namespace cleave::cpu;
using namespace cleave::data;

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

} // extern "C"
