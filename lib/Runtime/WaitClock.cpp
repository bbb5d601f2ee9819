//===- WaitClock.cpp - the process's wait clock, replica and hooks --------===//

#include "cleave/Runtime/Transport.h"
#include "Trace.h"

namespace {
double waited = 0; // A device program runs its ops from one thread.
int32_t replica = 0;
} // namespace

extern "C" {
void cleave_runtime_record_wait(int64_t start_ns, int64_t end_ns) {
  waited += (end_ns - start_ns) * 1e-9;
  if (cleave::runtime::tracing())
    cleave::runtime::traceWait(start_ns, end_ns);
}
int64_t (*cleave_runtime_clock_offset)(int64_t *) = nullptr;
cleave_status (*cleave_runtime_replica_all_gather)(const cleave_tensor *,
                                                   cleave_tensor *) = nullptr;
double cleave_runtime_wait_seconds(void) { return waited; }
void cleave_runtime_set_replica(int32_t r) { replica = r; }
int32_t cleave_runtime_replica(void) { return replica; }
}
