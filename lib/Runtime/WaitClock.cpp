//===- WaitClock.cpp - time spent waiting for other devices ---------------===//

#include "cleave/Runtime/Transport.h"

namespace {
double waited = 0; // A device program runs its ops from one thread.
} // namespace

extern "C" {
void cleave_runtime_add_wait(double seconds) { waited += seconds; }
double cleave_runtime_wait_seconds(void) { return waited; }
}
