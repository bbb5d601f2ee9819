/* A C consumer of the compiler's C API (cleave/Compiler/CApi.h):
 *   cleave-capi-compile <model.onnx> <output> [target] [compile_to] [dim]
 * compiles the model and prints the diagnostics of a failure. */

#include "cleave/Compiler/CApi.h"
#include <stdio.h>

int main(int argc, char **argv) {
  if (argc < 3) {
    fprintf(stderr, "usage: %s <model.onnx> <output> [target] [compile_to] "
                    "[dim]\n",
            argv[0]);
    return 2;
  }
  cleave_compile_options options;
  cleave_compile_options_init(&options);
  if (argc > 3 && argv[3][0])
    options.target = argv[3];
  if (argc > 4 && argv[4][0])
    options.compile_to = argv[4];
  const char *dims[1];
  if (argc > 5) {
    dims[0] = argv[5];
    options.dims = dims;
    options.num_dims = 1;
  }
  char *message = NULL;
  int status = cleave_compile(argv[1], argv[2], &options, &message);
  if (status != 0)
    fprintf(stderr, "cleave_compile failed:\n%s", message ? message : "");
  cleave_free(message);
  return status;
}
