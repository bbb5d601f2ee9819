//===- Trace.h - a timeline of a device program's calls --------*- C++ -*-===//
//
// `--trace`: the device records every call of its program (the span the
// profile's hook measures), every wait for another device inside a
// transfer, and each run, then writes them as trace events (ph X and C,
// Chrome's trace-event format) with nanosecond times on device 0's clock.
// cleave-run merges the devices' files into one trace and adds the flows
// from each send to its receive (TraceMerge.cpp).
//
//===----------------------------------------------------------------------===//

#ifndef CLEAVE_LIB_RUNTIME_TRACE_H
#define CLEAVE_LIB_RUNTIME_TRACE_H

#include "cleave/Runtime/ProgramTable.h"
#include <string>

namespace cleave::runtime {

/// The steady clock, in nanoseconds.
int64_t steadyNanoseconds();

/// Starts recording the calls of `program`; `clockOffsetNs` turns this
/// process's clock into device 0's, off by at most `uncertaintyNs`.
void startTrace(const cleave_program &program, int64_t clockOffsetNs,
                int64_t uncertaintyNs);
bool tracing();
/// Forgets what the warm-up runs recorded.
void resetTrace();
/// Records one call and one wait (cleave_profile_record and the wait
/// clock call these while tracing).
void traceCall(int32_t site, int64_t startNs, int64_t endNs);
void traceWait(int64_t startNs, int64_t endNs);
/// Records one run of the program: `label` ("step", "microbatch" or
/// "run") and its number.
void traceRun(const char *label, long index, int64_t startNs, int64_t endNs);
/// Writes the events to `path`: {"program", "replica", "clock_offset_ns",
/// "clock_uncertainty_ns", "events": [...]}, times in nanoseconds. Returns an error or "".
std::string writeTrace(const cleave_program &program, int32_t replica,
                       const std::string &path);

} // namespace cleave::runtime

#endif // CLEAVE_LIB_RUNTIME_TRACE_H
