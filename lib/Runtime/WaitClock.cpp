//===- WaitClock.cpp - the process's wait clock and replica ---------------===//

#include "cleave/Runtime/Transport.h"

namespace {
double waited = 0; // A device program runs its ops from one thread.
int32_t replica = 0;
} // namespace

extern "C" {
void cleave_runtime_add_wait(double seconds) { waited += seconds; }
double cleave_runtime_wait_seconds(void) { return waited; }
void cleave_runtime_set_replica(int32_t r) { replica = r; }
int32_t cleave_runtime_replica(void) { return replica; }
}
