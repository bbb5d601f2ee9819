//===- Trace.cpp - a timeline of a device program's calls -----------------===//
//
// Recording appends to vectors (two clock reads and a push per call); the
// events are made when the run ends. Tracks: 1 "compute" holds the runs,
// the training phases of a pipeline step (F3: microbatch 3's forward ops,
// B3 its backward ones, "optimizer" the update) and the kernel calls
// nested in them; 2
// "communication" holds the transfer calls and the waits inside them.
//
//===----------------------------------------------------------------------===//

#include "Trace.h"
#include "Profile.h"
#include <chrono>
#include <cstdio>
#include <cstring>
#include <vector>

namespace {

struct Span {
  int32_t site;
  int64_t start, end;
};

struct Run {
  const char *label;
  long index;
  int64_t start, end;
};

struct Recording {
  bool on = false;
  int64_t offset = 0, uncertainty = 0;
  std::vector<Span> calls, waits;
  std::vector<Run> runs;
};

Recording &recording() {
  static Recording r;
  return r;
}

constexpr int kComputeTrack = 1, kCommunicationTrack = 2;

/// Transfers and collectives run on the communication track.
bool isCommunication(const cleave_program_site &site) {
  for (const char *name :
       {"send", "recv", "recv_start", "recv_wait", "send_done", "wait_sends",
        "all_reduce_start", "all_reduce_wait", "all_gather", "reduce_scatter",
        "broadcast"})
    if (std::strcmp(site.kernel, name) == 0)
      return true;
  return false;
}

/// One complete ("X") event; `args` is a JSON object's members or "".
std::string span(const std::string &name, const char *category, int track,
                 int64_t start, int64_t end, const std::string &args) {
  return "{\"ph\":\"X\",\"name\":" + cleave::runtime::jsonString(name.c_str()) +
         ",\"cat\":\"" + category + "\",\"tid\":" + std::to_string(track) +
         ",\"ts\":" + std::to_string(start) +
         ",\"dur\":" + std::to_string(end - start) + ",\"args\":{" + args +
         "}}";
}

/// The label of a group of training ops: F3, B3, or the phase alone.
std::string phaseName(const cleave_program_site &site) {
  std::string phase = site.phase ? site.phase : "";
  if (site.microbatch < 0 || (phase != "forward" && phase != "backward"))
    return phase;
  return (phase == "forward" ? "F" : "B") + std::to_string(site.microbatch);
}

} // namespace

namespace cleave::runtime {

int64_t steadyNanoseconds() {
  return std::chrono::duration_cast<std::chrono::nanoseconds>(
             std::chrono::steady_clock::now().time_since_epoch())
      .count();
}

void startTrace(const cleave_program &program, int64_t clockOffsetNs,
                int64_t uncertaintyNs) {
  Recording &r = recording();
  r.on = true;
  r.offset = clockOffsetNs;
  r.uncertainty = uncertaintyNs;
  r.calls.reserve((size_t)program.num_sites);
}

bool tracing() { return recording().on; }

void resetTrace() {
  Recording &r = recording();
  r.calls.clear();
  r.waits.clear();
  r.runs.clear();
}

void traceCall(int32_t site, int64_t startNs, int64_t endNs) {
  recording().calls.push_back({site, startNs, endNs});
}

void traceWait(int64_t startNs, int64_t endNs) {
  recording().waits.push_back({-1, startNs, endNs});
}

void traceRun(const char *label, long index, int64_t startNs, int64_t endNs) {
  recording().runs.push_back({label, index, startNs, endNs});
}

std::string writeTrace(const cleave_program &program, int32_t replica,
                       const std::string &path) {
  const Recording &r = recording();
  int64_t offset = r.offset;
  std::vector<std::string> events;
  for (const Run &run : r.runs)
    events.push_back(span(std::string(run.label) + " " +
                              std::to_string(run.index),
                          "run", kComputeTrack, run.start + offset,
                          run.end + offset, ""));
  // A training step's ops in groups of one phase and microbatch.
  auto flushGroup = [&](const std::string &name, int64_t start, int64_t end) {
    if (!name.empty())
      events.push_back(span(name, "phase", kComputeTrack, start + offset,
                            end + offset, ""));
  };
  std::string group;
  int64_t groupStart = 0, groupEnd = 0, arena = -1;
  size_t run = 0; // The run the calls are in: a group ends with it.
  for (const Span &call : r.calls) {
    if (run < r.runs.size() && call.start > r.runs[run].end) {
      while (run < r.runs.size() && call.start > r.runs[run].end)
        ++run;
      flushGroup(group, groupStart, groupEnd);
      group.clear();
    }
    if (call.site < 0 || call.site >= program.num_sites)
      continue;
    const cleave_program_site &site = program.sites[call.site];
    bool communication = isCommunication(site);
    std::string args = "\"kernel\":" + jsonString(site.kernel) +
                       ",\"node\":" + jsonString(site.node) +
                       ",\"shapes\":" + jsonString(site.shapes);
    if (site.phase && *site.phase)
      args += ",\"phase\":" + jsonString(site.phase);
    if (site.microbatch >= 0)
      args += ",\"microbatch\":" + std::to_string(site.microbatch);
    if (site.peer >= 0)
      args += ",\"peer\":" + std::to_string(site.peer) +
              ",\"tag\":" + std::to_string(site.tag) +
              ",\"bytes\":" + std::to_string(site.bytes);
    if (site.predicted_ms > 0) {
      char predicted[48];
      std::snprintf(predicted, sizeof predicted, ",\"predicted_ms\":%.6f",
                    site.predicted_ms);
      args += predicted;
    }
    std::string name = std::strncmp(site.op, "cleave.", 7) == 0
                           ? site.op + 7
                           : std::string(site.op);
    events.push_back(span(name,
                          site.phase && *site.phase ? site.phase : "op",
                          communication ? kCommunicationTrack : kComputeTrack,
                          call.start + offset, call.end + offset, args));
    if (communication)
      continue;
    // Ops of no microbatch (slices of the inputs, masks) join the open
    // group rather than split it; the update is a group of its own.
    std::string phase = phaseName(site);
    bool joins = site.microbatch < 0 && !group.empty() && phase != "optimizer";
    if (!joins && phase != group) {
      flushGroup(group, groupStart, groupEnd);
      group = phase;
      groupStart = call.start;
    }
    groupEnd = call.end;
    if (site.arena_in_use != arena) {
      arena = site.arena_in_use;
      events.push_back("{\"ph\":\"C\",\"name\":\"arena in use\",\"ts\":" +
                       std::to_string(call.start + offset) +
                       ",\"args\":{\"MB\":" +
                       std::to_string((double)arena / (1 << 20)) + "}}");
    }
  }
  flushGroup(group, groupStart, groupEnd);
  for (const Span &wait : r.waits)
    events.push_back(span("wait", "wait", kCommunicationTrack,
                          wait.start + offset, wait.end + offset, ""));

  FILE *out = std::fopen(path.c_str(), "w");
  if (!out)
    return "cannot write the trace to '" + path + "'";
  std::fprintf(out,
               "{\"program\":%s,\"replica\":%d,\"clock_offset_ns\":%lld,"
               "\"clock_uncertainty_ns\":%lld,\"events\":[",
               jsonString(program.name).c_str(), replica, (long long)offset,
               (long long)r.uncertainty);
  for (size_t i = 0; i < events.size(); ++i)
    std::fprintf(out, "%s\n%s", i ? "," : "", events[i].c_str());
  std::fprintf(out, "]}\n");
  if (std::fclose(out) != 0)
    return "cannot write the trace to '" + path + "'";
  return "";
}

} // namespace cleave::runtime
