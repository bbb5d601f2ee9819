/*===- CApi.h - the compiler's C interface ---------------------*- C -*-===*
 *
 * For C, Python (ctypes) and other toolchains: compile an ONNX model to
 * the IR of a phase or to a bundle, with the diagnostics as a message.
 * Link libCleaveCompiler (and what it links).
 *
 *   cleave_compile_options options;
 *   cleave_compile_options_init(&options);
 *   options.target = "cpu";
 *   char *message = NULL;
 *   if (cleave_compile("model.onnx", "bundle", &options, &message) != 0)
 *     fprintf(stderr, "%s", message);
 *   cleave_free(message);
 *
 *===----------------------------------------------------------------------===*/

#ifndef CLEAVE_COMPILER_CAPI_H
#define CLEAVE_COMPILER_CAPI_H

#include <stddef.h>

#ifdef __cplusplus
extern "C" {
#endif

typedef struct cleave_compile_options {
  /* "cpu", "cuda", ...; NULL: the graph IR only. */
  const char *target;
  /* A phase (import, graph, placed, split, planned, lowered, bundle); NULL:
   * bundle with a target, else graph (placed when placing). */
  const char *compile_to;
  /* fp32 (NULL), tf32, fp16, bf16. */
  const char *precision;
  /* Placement runs when machine, strategy or num_devices is set. */
  const char *machine;  /* a preset or a machine JSON file */
  const char *strategy; /* pipeline, dag, manual */
  unsigned num_devices; /* at most this many devices (0: all) */
  /* Symbolic dimension sizes ("batch=8") and input shapes ("x:2x16"). */
  const char *const *dims;
  size_t num_dims;
  const char *const *input_shapes;
  size_t num_input_shapes;
  /* 0: a bundle with sources only. */
  int build_executables;
  /* Training (docs/Training.md): a loss ("cross_entropy:logits=out,
   * labels=y", ...) makes the bundle a training step; the optimizer
   * ("sgd:lr=0.1", "adamw:lr=1e-3", NULL: the gradients as outputs);
   * globs of the initializers to train (NULL: all) and to keep. */
  const char *loss;
  const char *optimizer;
  const char *const *trainable;
  size_t num_trainable;
  const char *const *frozen;
  size_t num_frozen;
} cleave_compile_options;

/* The defaults: no target, fp32, executables built. */
void cleave_compile_options_init(cleave_compile_options *options);

/* Compiles `model_path` into `output` (a file for IR phases, "-" for
 * stdout; a folder for a bundle). Returns 0 on success. Otherwise returns
 * non-zero and, when `message` is not NULL, sets *message to the
 * diagnostics (free it with cleave_free). Safe to call from one thread at
 * a time. */
int cleave_compile(const char *model_path, const char *output,
                   const cleave_compile_options *options, char **message);

void cleave_free(char *message);

#ifdef __cplusplus
} /* extern "C" */
#endif

#endif /* CLEAVE_COMPILER_CAPI_H */
