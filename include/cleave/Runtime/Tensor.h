/*===- Tensor.h - host tensors of the runtime ----------------------*- C -*-===*
 *
 * A dense, row-major host tensor. Element types use the numbering of ONNX's
 * TensorProto.DataType, so files and models need no translation table.
 *
 *===----------------------------------------------------------------------===*/

#ifndef CLEAVE_RUNTIME_TENSOR_H
#define CLEAVE_RUNTIME_TENSOR_H

#include "cleave/Runtime/Status.h"
#include <stddef.h>
#include <stdint.h>

#ifdef __cplusplus
extern "C" {
#endif

typedef enum cleave_dtype {
  CLEAVE_DTYPE_INVALID = 0,
  CLEAVE_DTYPE_F32 = 1,
  CLEAVE_DTYPE_U8 = 2,
  CLEAVE_DTYPE_I8 = 3,
  CLEAVE_DTYPE_U16 = 4,
  CLEAVE_DTYPE_I16 = 5,
  CLEAVE_DTYPE_I32 = 6,
  CLEAVE_DTYPE_I64 = 7,
  CLEAVE_DTYPE_BOOL = 9,
  CLEAVE_DTYPE_F16 = 10,
  CLEAVE_DTYPE_F64 = 11,
  CLEAVE_DTYPE_U32 = 12,
  CLEAVE_DTYPE_U64 = 13,
  CLEAVE_DTYPE_BF16 = 16,
} cleave_dtype;

#define CLEAVE_MAX_RANK 8

typedef struct cleave_tensor {
  cleave_dtype dtype;
  int32_t rank;
  int64_t dims[CLEAVE_MAX_RANK];
  /* Row-major elements; owned by the tensor when it was allocated by the
   * runtime (cleave_tensor_alloc or a reader), else borrowed. */
  void *data;
  int32_t owns_data;
} cleave_tensor;

/* Bytes per element, or 0 for CLEAVE_DTYPE_INVALID and unknown values. */
size_t cleave_dtype_size(cleave_dtype dtype);
/* A short name ("f32", "i64", "bool", ...), or "invalid". */
const char *cleave_dtype_name(cleave_dtype dtype);

int64_t cleave_tensor_num_elements(const cleave_tensor *tensor);
size_t cleave_tensor_num_bytes(const cleave_tensor *tensor);

/* Allocates zeroed, 64-byte aligned storage for a tensor of the shape. */
cleave_status cleave_tensor_alloc(cleave_dtype dtype, int32_t rank,
                                  const int64_t *dims, cleave_tensor *out);
/* Frees owned storage and resets the tensor; safe on a zeroed tensor. */
void cleave_tensor_free(cleave_tensor *tensor);

#ifdef __cplusplus
} /* extern "C" */
#endif

#endif /* CLEAVE_RUNTIME_TENSOR_H */
