/*===- TensorIO.h - tensor files: .npy and ONNX TensorProto .pb ----*- C -*-===*
 *
 * Readers allocate the tensor (free it with cleave_tensor_free). Errors name
 * the file and what is wrong with it.
 *
 *===----------------------------------------------------------------------===*/

#ifndef CLEAVE_RUNTIME_TENSORIO_H
#define CLEAVE_RUNTIME_TENSORIO_H

#include "cleave/Runtime/Tensor.h"

#ifdef __cplusplus
extern "C" {
#endif

/* NumPy .npy, format versions 1 to 3, little-endian, C order. */
cleave_status cleave_npy_read(const char *path, cleave_tensor *out);
cleave_status cleave_npy_write(const char *path, const cleave_tensor *tensor);

/* ONNX TensorProto, as in the ONNX test data (raw_data or typed fields). When
 * `name` is not NULL it receives the tensor's name (free() it). */
cleave_status cleave_pb_read(const char *path, cleave_tensor *out, char **name);
cleave_status cleave_pb_write(const char *path, const cleave_tensor *tensor,
                              const char *name);

/* By extension: ".npy" or ".pb". */
cleave_status cleave_tensor_read(const char *path, cleave_tensor *out);
cleave_status cleave_tensor_write(const char *path,
                                  const cleave_tensor *tensor);

#ifdef __cplusplus
} /* extern "C" */
#endif

#endif /* CLEAVE_RUNTIME_TENSORIO_H */
