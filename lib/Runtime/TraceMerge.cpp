//===- TraceMerge.cpp - the devices' timelines as one trace ---------------===//

#include "TraceMerge.h"
#include <algorithm>
#include <cstdio>
#include <fstream>
#include <map>
#include <nlohmann/json.hpp>
#include <tuple>

using nlohmann::json;

namespace cleave::runtime {

namespace {

/// A send or receive span: where it is in the merged events.
struct Transfer {
  int64_t ts;
  size_t event;
};

/// Counts of one device's spans, for the summary.
struct Counts {
  size_t ops = 0, sends = 0, receives = 0, waits = 0, otherTransfers = 0,
         runs = 0, phases = 0;
};

json metadata(const char *name, int64_t pid, int64_t tid, const json &args) {
  json event = {{"ph", "M"}, {"name", name}, {"pid", pid}, {"args", args}};
  if (tid >= 0)
    event["tid"] = tid;
  return event;
}

} // namespace

std::string mergeTraces(const std::vector<DeviceTrace> &traces,
                        size_t devices, const std::string &path,
                        std::string &summary) {
  json events = json::array();
  std::map<int64_t, Counts> counts;
  // (replica, from, to, tag) -> the sends, and the receives, in time order.
  using Link = std::tuple<size_t, int64_t, int64_t, int64_t>;
  std::map<Link, std::vector<Transfer>> sends, receives;
  int64_t first = INT64_MAX;
  for (const DeviceTrace &trace : traces) {
    std::ifstream in(trace.file);
    if (!in)
      return "device " + std::to_string(trace.device) + " wrote no trace";
    json file = json::parse(in, nullptr, /*allow_exceptions=*/false);
    if (!file.is_object() || !file.value("events", json()).is_array())
      return "the trace of device " + std::to_string(trace.device) +
             " is not a trace: " + trace.file;
    int64_t pid = (int64_t)(trace.replica * devices + trace.device);
    std::string name = "device " + std::to_string(trace.device);
    if (trace.replica)
      name = "replica " + std::to_string(trace.replica) + " " + name;
    events.push_back(metadata("process_name", pid, -1, {{"name", name}}));
    // How its clock was aligned with device 0's (the checker's tolerance).
    events.push_back(metadata(
        "process_labels", pid, -1,
        {{"labels", "clock offset " +
                        std::to_string(file.value("clock_offset_ns", (int64_t)0)) +
                        " ns, +- " +
                        std::to_string(file.value("clock_uncertainty_ns", (int64_t)0)) +
                        " ns"},
         {"clock_offset_ns", file.value("clock_offset_ns", (int64_t)0)},
         {"clock_uncertainty_ns", file.value("clock_uncertainty_ns", (int64_t)0)}}));
    events.push_back(
        metadata("process_sort_index", pid, -1, {{"sort_index", pid}}));
    events.push_back(metadata("thread_name", pid, 1, {{"name", "compute"}}));
    events.push_back(
        metadata("thread_name", pid, 2, {{"name", "communication"}}));
    Counts &count = counts[pid];
    for (json &event : file["events"]) {
      if (!event.is_object() || !event.value("ts", json()).is_number_integer())
        return "the trace of device " + std::to_string(trace.device) +
               " has an event without a time: " + event.dump();
      event["pid"] = pid;
      first = std::min(first, event["ts"].get<int64_t>());
      std::string category = event.value("cat", std::string());
      const json &args = event.value("args", json::object());
      std::string kernel = args.value("kernel", std::string());
      // A posted receive's flow ends at its wait, where the tensor is in.
      if (kernel == "send" || kernel == "recv" || kernel == "recv_wait") {
        int64_t peer = args.value("peer", (int64_t)-1);
        int64_t tag = args.value("tag", (int64_t)-1);
        int64_t self = (int64_t)trace.device;
        Link link = kernel == "send"
                        ? Link{trace.replica, self, peer, tag}
                        : Link{trace.replica, peer, self, tag};
        (kernel == "send" ? sends : receives)[link].push_back(
            {event["ts"].get<int64_t>(), events.size()});
        ++(kernel == "send" ? count.sends : count.receives);
      } else if (category == "wait") {
        ++count.waits;
      } else if (category == "run") {
        ++count.runs;
      } else if (category == "phase") {
        ++count.phases;
      } else if (event.value("ph", std::string()) == "X") {
        ++(event.value("tid", 0) == 2 ? count.otherTransfers : count.ops);
      }
      events.push_back(std::move(event));
    }
  }
  if (first == INT64_MAX)
    first = 0;
  // Microseconds from the first event (the format's unit).
  for (json &event : events) {
    if (event.contains("ts"))
      event["ts"] = (event["ts"].get<int64_t>() - first) / 1e3;
    if (event.contains("dur"))
      event["dur"] = event["dur"].get<int64_t>() / 1e3;
  }
  // The n-th send of a link goes to its n-th receive.
  size_t flows = 0, unmatched = 0;
  for (auto &[link, out] : sends) {
    std::vector<Transfer> &in = receives[link];
    std::sort(out.begin(), out.end(),
              [](const Transfer &a, const Transfer &b) { return a.ts < b.ts; });
    std::sort(in.begin(), in.end(),
              [](const Transfer &a, const Transfer &b) { return a.ts < b.ts; });
    size_t pairs = std::min(out.size(), in.size());
    unmatched += out.size() - pairs;
    for (size_t i = 0; i < pairs; ++i) {
      int64_t id = (int64_t)++flows;
      json start = {{"ph", "s"}, {"id", id}, {"name", "tensor"},
                    {"cat", "transfer"}, {"tid", 2}};
      json finish = start;
      finish["ph"] = "f";
      finish["bp"] = "e";
      for (auto [end, at] : {std::pair{&start, out[i].event},
                             std::pair{&finish, in[i].event}}) {
        json &span = events[at];
        span["args"]["flow"] = id;
        (*end)["pid"] = span["pid"];
        (*end)["ts"] = span["ts"];
      }
      // The arrow ends where the receive has its tensor: at its end (a
      // nanosecond before, to stay inside its span).
      const json &recv = events[in[i].event];
      finish["ts"] = recv["ts"].get<double>() +
                     std::max(0.0, recv["dur"].get<double>() - 1e-3);
      events.push_back(std::move(start));
      events.push_back(std::move(finish));
    }
  }
  for (auto &[link, in] : receives)
    if (!sends.count(link) || sends[link].size() < in.size())
      unmatched += in.size() - (sends.count(link) ? sends[link].size() : 0);

  std::ofstream out(path);
  out << json{{"traceEvents", events}, {"displayTimeUnit", "ms"}}.dump()
      << "\n";
  if (!out)
    return "cannot write the trace to '" + path + "'";
  char line[256];
  for (const auto &[pid, c] : counts) {
    std::snprintf(line, sizeof line,
                  "  process %lld: %zu runs, %zu phase spans, %zu op spans, "
                  "%zu sends, %zu receives, %zu waits, %zu other transfer "
                  "calls\n",
                  (long long)pid, c.runs, c.phases, c.ops, c.sends,
                  c.receives, c.waits, c.otherTransfers);
    summary += line;
  }
  std::snprintf(line, sizeof line,
                "  %zu flows from a send to its receive%s\n", flows,
                unmatched ? (", " + std::to_string(unmatched) +
                             " transfers without their other end")
                                .c_str()
                          : "");
  summary += line;
  return "";
}

} // namespace cleave::runtime
