//===- cleave-run.cpp - run a compiled bundle -----------------------------===//
//
//   cleave-run bundle/ --input x=x.npy --output y=y.npy [--benchmark]
//              [--num-threads N] [--repeat N] [--warmup N] [--microbatches M]
//
// The launcher lives in the runtime (cleave/Runtime/Launcher.h); this tool
// is its main, built with the runtime and without LLVM.
//
//===----------------------------------------------------------------------===//

#include "cleave/Runtime/Launcher.h"

int main(int argc, char **argv) { return cleave_launcher_main(argc, argv); }
