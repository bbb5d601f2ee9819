/*===- Launcher.h - run a compiled bundle ----------------------*- C -*-===*
 *
 * cleave-run's logic, in the runtime (no LLVM): reads a bundle's manifest
 * (BundleFormat.h), starts its device programs (one process, or one MPI
 * job with a process per device), hands each the inputs it reads and the
 * outputs it makes, and prints the latency. Takes cleave-run's command
 * line; returns its exit code.
 *
 *===----------------------------------------------------------------------===*/

#ifndef CLEAVE_RUNTIME_LAUNCHER_H
#define CLEAVE_RUNTIME_LAUNCHER_H

#ifdef __cplusplus
extern "C" {
#endif

int cleave_launcher_main(int argc, char **argv);

#ifdef __cplusplus
} /* extern "C" */
#endif

#endif /* CLEAVE_RUNTIME_LAUNCHER_H */
