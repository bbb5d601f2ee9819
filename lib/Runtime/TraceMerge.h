//===- TraceMerge.h - the devices' timelines as one trace -------*- C++ -*-===//
//
// cleave-run --trace: each device writes its events (Trace.h); the launcher
// merges them into one trace-event file that ui.perfetto.dev and
// chrome://tracing open: one process per device (replica r's device k is
// process r * devices + k, as its MPI rank), times in microseconds from the
// first event, and a flow from each send to the receive that takes it (the
// n-th send from device a to b with tag t matches the n-th such receive,
// the order MPI and NCCL deliver them in).
//
//===----------------------------------------------------------------------===//

#ifndef CLEAVE_LIB_RUNTIME_TRACEMERGE_H
#define CLEAVE_LIB_RUNTIME_TRACEMERGE_H

#include <string>
#include <vector>

namespace cleave::runtime {

/// One device process's events: the file it wrote, its device and replica.
struct DeviceTrace {
  std::string file;
  size_t device = 0, replica = 0;
};

/// Merges `traces` (of a job with `devices` devices per replica) into the
/// trace file `path`; returns an error or "". `summary` gets a line per
/// device: its spans by kind and the flows.
std::string mergeTraces(const std::vector<DeviceTrace> &traces,
                        size_t devices, const std::string &path,
                        std::string &summary);

} // namespace cleave::runtime

#endif // CLEAVE_LIB_RUNTIME_TRACEMERGE_H
