//===- TraceMergeTest.cpp - the devices' timelines as one trace -----------===//
//
// mergeTraces on hand-written device files: processes and their names,
// times rebased to microseconds from the first event, and flows that join
// the n-th send of a (replica, from, to, tag) to the n-th such receive.
//
//===----------------------------------------------------------------------===//

#include "../../lib/Runtime/TraceMerge.h"
#include <cstdio>
#include <fstream>
#include <gtest/gtest.h>
#include <nlohmann/json.hpp>
#include <unistd.h>

using nlohmann::json;
using cleave::runtime::DeviceTrace;
using cleave::runtime::mergeTraces;

namespace {

struct Folder {
  std::string path;
  Folder() {
    char pattern[] = "/tmp/cleave-trace-test-XXXXXX";
    path = mkdtemp(pattern);
  }
  ~Folder() { std::system(("rm -rf '" + path + "'").c_str()); }
  std::string write(const std::string &name, const json &content) {
    std::ofstream(path + "/" + name) << content.dump();
    return path + "/" + name;
  }
};

json span(const char *kernel, int64_t ts, int64_t dur, int peer, int tag) {
  return {{"ph", "X"},
          {"name", kernel},
          {"cat", "op"},
          {"tid", 2},
          {"ts", ts},
          {"dur", dur},
          {"args", {{"kernel", kernel}, {"peer", peer}, {"tag", tag},
                    {"bytes", 64}}}};
}

TEST(TraceMerge, JoinsTheNthSendToTheNthReceive) {
  Folder folder;
  // Device 0 sends two tensors with tag 5 and one with tag 6 to device 1;
  // device 1 receives them (the tag-6 one is never received).
  std::string zero = folder.write(
      "d0.json", {{"program", "device_0"},
                  {"replica", 0},
                  {"clock_offset_ns", 0},
                  {"clock_uncertainty_ns", 0},
                  {"events", {span("send", 2000, 1000, 1, 5),
                              span("send", 6000, 1000, 1, 5),
                              span("send", 9000, 1000, 1, 6)}}});
  std::string one = folder.write(
      "d1.json", {{"program", "device_1"},
                  {"replica", 0},
                  {"clock_offset_ns", 0},
                  {"clock_uncertainty_ns", 250},
                  {"events", {span("recv", 1000, 4000, 0, 5),
                              span("recv", 5500, 3000, 0, 5)}}});
  std::string summary;
  std::string out = folder.path + "/trace.json";
  ASSERT_EQ(mergeTraces({{zero, 0, 0}, {one, 1, 0}}, 2, out, summary), "");
  json trace = json::parse(std::ifstream(out));
  std::map<int64_t, std::string> names;
  std::vector<json> sends, receives, arrows;
  for (const json &e : trace["traceEvents"]) {
    if (e["ph"] == "M" && e["name"] == "process_name")
      names[e["pid"]] = e["args"]["name"];
    if (e["ph"] == "X")
      (e["args"]["kernel"] == "send" ? sends : receives).push_back(e);
    if (e["ph"] == "s" || e["ph"] == "f")
      arrows.push_back(e);
  }
  EXPECT_EQ(names, (std::map<int64_t, std::string>{{0, "device 0"},
                                                   {1, "device 1"}}));
  ASSERT_EQ(sends.size(), 3u);
  ASSERT_EQ(receives.size(), 2u);
  // Microseconds from the first event (device 1's receive at 1000 ns).
  EXPECT_DOUBLE_EQ(receives[0]["ts"].get<double>(), 0.0);
  EXPECT_DOUBLE_EQ(sends[0]["ts"].get<double>(), 1.0);
  EXPECT_DOUBLE_EQ(sends[0]["dur"].get<double>(), 1.0);
  // First send to first receive, second to second; tag 6 has none.
  EXPECT_EQ(sends[0]["args"]["flow"], receives[0]["args"]["flow"]);
  EXPECT_EQ(sends[1]["args"]["flow"], receives[1]["args"]["flow"]);
  EXPECT_NE(sends[0]["args"]["flow"], sends[1]["args"]["flow"]);
  EXPECT_FALSE(sends[2]["args"].contains("flow"));
  ASSERT_EQ(arrows.size(), 4u);
  for (const json &a : arrows)
    EXPECT_EQ(a["pid"], a["ph"] == "s" ? 0 : 1);
  EXPECT_NE(summary.find("2 flows from a send to its receive, 1 transfers "
                         "without their other end"),
            std::string::npos)
      << summary;
  EXPECT_NE(summary.find("process 0: 0 runs, 0 phase spans, 0 op spans, 3 "
                         "sends, 0 receives"),
            std::string::npos)
      << summary;
}

TEST(TraceMerge, ReplicasAreProcessesOfTheirOwn) {
  Folder folder;
  json empty = {{"program", "device_0"}, {"events", json::array()}};
  std::string a = folder.write("a.json", empty), b = folder.write("b.json", empty);
  std::string summary, out = folder.path + "/trace.json";
  ASSERT_EQ(mergeTraces({{a, 0, 0}, {b, 0, 1}}, 1, out, summary), "");
  json trace = json::parse(std::ifstream(out));
  std::vector<std::string> names;
  for (const json &e : trace["traceEvents"])
    if (e["ph"] == "M" && e["name"] == "process_name")
      names.push_back(e["args"]["name"]);
  EXPECT_EQ(names, (std::vector<std::string>{"device 0", "replica 1 device 0"}));
}

TEST(TraceMerge, NamesADeviceWithoutItsFile) {
  std::string summary;
  EXPECT_EQ(mergeTraces({{"/nonexistent/d.json", 3, 0}}, 4, "/tmp/x.json",
                        summary),
            "device 3 wrote no trace");
}

} // namespace
