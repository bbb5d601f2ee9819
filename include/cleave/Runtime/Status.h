/*===- Status.h - runtime status codes and messages ----------------*- C -*-===*
 *
 * The runtime's C boundary never throws: every call that can fail returns a
 * cleave_status, NULL on success. A non-NULL status carries a code and a
 * message that starts with the runtime source location that raised it; the
 * caller frees it with cleave_status_free.
 *
 *===----------------------------------------------------------------------===*/

#ifndef CLEAVE_RUNTIME_STATUS_H
#define CLEAVE_RUNTIME_STATUS_H

#ifdef __cplusplus
extern "C" {
#endif

typedef enum cleave_status_code {
  CLEAVE_OK = 0,
  CLEAVE_INVALID_ARGUMENT = 1, /* a caller error: wrong shape, dtype, name */
  CLEAVE_IO_ERROR = 2,         /* a file could not be opened, read, written */
  CLEAVE_FORMAT_ERROR = 3,     /* a file's contents are malformed */
  CLEAVE_UNSUPPORTED = 4,      /* valid, but not handled by this runtime */
  CLEAVE_OUT_OF_MEMORY = 5,
  CLEAVE_INTERNAL = 6, /* a bug in Cleave */
} cleave_status_code;

typedef struct cleave_status_t *cleave_status;

/* CLEAVE_OK for a NULL status. */
cleave_status_code cleave_status_get_code(cleave_status status);
/* "" for a NULL status; valid until the status is freed. */
const char *cleave_status_message(cleave_status status);
void cleave_status_free(cleave_status status);

#ifdef __cplusplus
} /* extern "C" */
#endif

#endif /* CLEAVE_RUNTIME_STATUS_H */
