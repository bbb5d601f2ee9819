//===- Tensor.cpp - host tensors of the runtime ---------------------------===//

#include "cleave/Runtime/Tensor.h"
#include "StatusInternal.h"
#include <cstdlib>
#include <cstring>

extern "C" {

size_t cleave_dtype_size(cleave_dtype dtype) {
  switch (dtype) {
  case CLEAVE_DTYPE_BOOL:
  case CLEAVE_DTYPE_U8:
  case CLEAVE_DTYPE_I8:
    return 1;
  case CLEAVE_DTYPE_U16:
  case CLEAVE_DTYPE_I16:
  case CLEAVE_DTYPE_F16:
  case CLEAVE_DTYPE_BF16:
    return 2;
  case CLEAVE_DTYPE_F32:
  case CLEAVE_DTYPE_I32:
  case CLEAVE_DTYPE_U32:
    return 4;
  case CLEAVE_DTYPE_F64:
  case CLEAVE_DTYPE_I64:
  case CLEAVE_DTYPE_U64:
    return 8;
  default:
    return 0;
  }
}

const char *cleave_dtype_name(cleave_dtype dtype) {
  switch (dtype) {
  case CLEAVE_DTYPE_F32:
    return "f32";
  case CLEAVE_DTYPE_U8:
    return "u8";
  case CLEAVE_DTYPE_I8:
    return "i8";
  case CLEAVE_DTYPE_U16:
    return "u16";
  case CLEAVE_DTYPE_I16:
    return "i16";
  case CLEAVE_DTYPE_I32:
    return "i32";
  case CLEAVE_DTYPE_I64:
    return "i64";
  case CLEAVE_DTYPE_BOOL:
    return "bool";
  case CLEAVE_DTYPE_F16:
    return "f16";
  case CLEAVE_DTYPE_F64:
    return "f64";
  case CLEAVE_DTYPE_U32:
    return "u32";
  case CLEAVE_DTYPE_U64:
    return "u64";
  case CLEAVE_DTYPE_BF16:
    return "bf16";
  default:
    return "invalid";
  }
}

int64_t cleave_tensor_num_elements(const cleave_tensor *tensor) {
  int64_t count = 1;
  for (int32_t i = 0; i < tensor->rank; ++i)
    count *= tensor->dims[i];
  return count;
}

size_t cleave_tensor_num_bytes(const cleave_tensor *tensor) {
  return (size_t)cleave_tensor_num_elements(tensor) *
         cleave_dtype_size(tensor->dtype);
}

cleave_status cleave_tensor_alloc(cleave_dtype dtype, int32_t rank,
                                  const int64_t *dims, cleave_tensor *out) {
  if (!out)
    return CLEAVE_ERROR(CLEAVE_INVALID_ARGUMENT, "no output tensor");
  std::memset(out, 0, sizeof(*out));
  if (cleave_dtype_size(dtype) == 0)
    return CLEAVE_ERROR(CLEAVE_INVALID_ARGUMENT,
                        "invalid element type " + std::to_string(dtype));
  if (rank < 0 || rank > CLEAVE_MAX_RANK)
    return CLEAVE_ERROR(CLEAVE_UNSUPPORTED,
                        "rank " + std::to_string(rank) + " is above " +
                            std::to_string(CLEAVE_MAX_RANK));
  int64_t count = 1;
  for (int32_t i = 0; i < rank; ++i) {
    if (dims[i] < 0)
      return CLEAVE_ERROR(CLEAVE_INVALID_ARGUMENT,
                          "dimension " + std::to_string(i) + " is negative");
    if (dims[i] != 0 &&
        count > INT64_MAX / dims[i] / (int64_t)cleave_dtype_size(dtype))
      return CLEAVE_ERROR(CLEAVE_INVALID_ARGUMENT, "tensor size overflows");
    count *= dims[i];
    out->dims[i] = dims[i];
  }
  size_t bytes = (size_t)count * cleave_dtype_size(dtype);
  // 64-byte alignment suits every vector unit; round the size up to it.
  size_t rounded = (bytes + 63) / 64 * 64;
  void *data = std::aligned_alloc(64, rounded ? rounded : 64);
  if (!data)
    return CLEAVE_ERROR(CLEAVE_OUT_OF_MEMORY,
                        "cannot allocate " + std::to_string(bytes) + " bytes");
  std::memset(data, 0, rounded ? rounded : 64);
  out->dtype = dtype;
  out->rank = rank;
  out->data = data;
  out->owns_data = 1;
  return nullptr;
}

void cleave_tensor_free(cleave_tensor *tensor) {
  if (!tensor)
    return;
  if (tensor->owns_data)
    std::free(tensor->data);
  std::memset(tensor, 0, sizeof(*tensor));
}

} // extern "C"
