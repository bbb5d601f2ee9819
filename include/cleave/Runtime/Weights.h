/*===- Weights.h - the device weights file --------------------------*- C
 *-*-===*
 *
 * device_k.weights holds every constant a device program reads, each blob
 * at a 64-byte aligned offset chosen by the compiler. Layout (version 1):
 *
 *   bytes 0..7    magic "CLVWGHT1"
 *   bytes 8..15   payload size in bytes (little-endian uint64)
 *   bytes 16..63  zero
 *   bytes 64..    payload; program offsets are relative to its start
 *
 * The runtime maps the file privately: a training program updates its
 * variables in that memory, and cleave_weights_write saves them.
 *
 *===----------------------------------------------------------------------===*/

#ifndef CLEAVE_RUNTIME_WEIGHTS_H
#define CLEAVE_RUNTIME_WEIGHTS_H

#include "cleave/Runtime/Status.h"
#include <stddef.h>
#include <stdint.h>

#ifdef __cplusplus
extern "C" {
#endif

#define CLEAVE_WEIGHTS_MAGIC "CLVWGHT1"
#define CLEAVE_WEIGHTS_HEADER_SIZE 64
#define CLEAVE_WEIGHTS_ALIGNMENT 64

typedef struct cleave_weights {
  const char *payload; /* NULL for an empty payload */
  int64_t size;        /* payload bytes */
  void *mapping;       /* what to unmap */
  size_t mapping_size;
} cleave_weights;

/* Maps `path`, checking its header and that the payload has `expected_size`
 * bytes (-1: any size). */
cleave_status cleave_weights_map(const char *path, int64_t expected_size,
                                 cleave_weights *out);
void cleave_weights_unmap(cleave_weights *weights);

/* Writes a weights file holding `payload` (atomically: a temporary file
 * renamed over `path`). */
cleave_status cleave_weights_write(const char *path, const void *payload,
                                   int64_t size);

#ifdef __cplusplus
} /* extern "C" */
#endif

#endif /* CLEAVE_RUNTIME_WEIGHTS_H */
