//===- MachineTest.cpp - machine descriptions: presets, errors -----------===//

#include "cleave/Analysis/Machine.h"
#include <gtest/gtest.h>

using namespace cleave::analysis;

namespace {

std::string errorOf(llvm::StringRef json) {
  llvm::Expected<Machine> machine = parseMachine(json, "m.json");
  if (machine)
    return "(parsed)";
  return llvm::toString(machine.takeError());
}

constexpr const char *kDevice =
    R"("name": "g", "kind": "gpu", "peak_flops": {"f32": 1e12},
       "memory_bandwidth": 1e12, "memory_capacity": 1e9)";

TEST(Machine, EveryPresetParses) {
  for (llvm::StringRef name : machinePresetNames()) {
    llvm::Expected<Machine> machine = loadMachine(name);
    ASSERT_TRUE((bool)machine) << llvm::toString(machine.takeError());
    EXPECT_FALSE(machine->devices.empty()) << name.str();
    // The JSON form reads back to the same machine.
    llvm::Expected<Machine> again =
        parseMachine(machineToJson(*machine), "round trip");
    ASSERT_TRUE((bool)again) << llvm::toString(again.takeError());
    ASSERT_EQ(again->devices.size(), machine->devices.size());
    for (size_t i = 0; i < machine->devices.size(); ++i) {
      EXPECT_EQ(again->devices[i].name, machine->devices[i].name);
      EXPECT_EQ(again->devices[i].memoryCapacity,
                machine->devices[i].memoryCapacity);
      EXPECT_EQ(again->devices[i].peakFor("bf16"),
                machine->devices[i].peakFor("bf16"));
    }
  }
}

TEST(Machine, TwoNodesUseTheNetworkBetweenThem) {
  llvm::Expected<Machine> machine = loadMachine("h100-x16");
  ASSERT_TRUE((bool)machine);
  ASSERT_EQ(machine->devices.size(), 16u);
  EXPECT_EQ(machine->devices[3].name, "h100:3");
  EXPECT_EQ(machine->linkBetween(0, 7).level, "node");
  EXPECT_EQ(machine->linkBetween(7, 8).level, "network");
  // 1 GB over NVLink (370 GB/s) against InfiniBand (50 GB/s).
  EXPECT_NEAR(machine->transferSeconds(0, 1, 1000000000), 3e-6 + 1 / 370.0,
              1e-9);
  EXPECT_NEAR(machine->transferSeconds(0, 8, 1000000000), 10e-6 + 1 / 50.0,
              1e-9);
  EXPECT_EQ(machine->transferSeconds(2, 2, 1000), 0.0);
  // Element types without their own peak use f32's.
  EXPECT_EQ(machine->devices[0].peakFor("f64"), 67e12);
  EXPECT_EQ(machine->devices[0].peakFor("bf16"), 989.4e12);
}

TEST(Machine, ReplicasUseTheNodeLinkElseTheNetwork) {
  llvm::Expected<Machine> both = loadMachine("h100-x16");
  ASSERT_TRUE((bool)both);
  ASSERT_NE(both->replicaLink(), nullptr);
  EXPECT_EQ(both->replicaLink()->level, "node");
  std::string device = std::string("{") + kDevice + "}";
  llvm::Expected<Machine> network = parseMachine(
      R"({"name": "n", "devices": [)" + device +
          R"(], "links": [{"level": "network", "bandwidth": 1e9, "latency": 1e-5}]})",
      "m.json");
  ASSERT_TRUE((bool)network) << llvm::toString(network.takeError());
  ASSERT_NE(network->replicaLink(), nullptr);
  EXPECT_EQ(network->replicaLink()->level, "network");
  llvm::Expected<Machine> none = parseMachine(
      R"({"name": "n", "devices": [)" + device + "]}", "m.json");
  ASSERT_TRUE((bool)none) << llvm::toString(none.takeError());
  EXPECT_EQ(none->replicaLink(), nullptr);
}

TEST(Machine, BadValuesNameTheField) {
  EXPECT_NE(errorOf("{").find("m.json: not valid JSON"), std::string::npos);
  EXPECT_NE(errorOf("[]").find("must be an object"), std::string::npos);
  EXPECT_NE(errorOf(R"({"devices": []})").find("at least one device"),
            std::string::npos);
  EXPECT_EQ(errorOf(std::string(R"({"devices": [{)") + kDevice + "}]}"),
            "(parsed)");
  auto with = [](const std::string &extra) {
    return errorOf(std::string(R"({"devices": [{)") + kDevice + ", " + extra +
                   "}]}");
  };
  std::string negative = errorOf(
      R"({"devices": [{"name": "g", "kind": "gpu", "peak_flops": {"f32": 1},
          "memory_bandwidth": 1, "memory_capacity": -1}]})");
  EXPECT_EQ(negative,
            "m.json: devices[0].memory_capacity: must be a positive number");
  EXPECT_EQ(with(R"("count": 2.5)"),
            "m.json: devices[0]: count and node must be integers");
  EXPECT_EQ(with(R"("colour": "red")"),
            "m.json: devices[0]: unknown field 'colour'");
  EXPECT_EQ(with(R"("compute_efficiency": 1.5)"),
            "m.json: devices[0]: efficiencies are fractions of peak, at most 1");
  EXPECT_EQ(errorOf(R"({"devices": [{"name": "g", "kind": "tpu",
            "peak_flops": {"f32": 1}, "memory_bandwidth": 1,
            "memory_capacity": 1}]})"),
            "m.json: devices[0].kind: must be \"cpu\" or \"gpu\"");
  EXPECT_EQ(errorOf(R"({"devices": [{"name": "g", "kind": "gpu",
            "peak_flops": {"bf16": 1}, "memory_bandwidth": 1,
            "memory_capacity": 1}]})"),
            "m.json: devices[0].peak_flops: needs an \"f32\" entry");
  EXPECT_EQ(errorOf(std::string(R"({"devices": [{)") + kDevice +
                    R"(, "count": 2}]})"),
            "m.json: links: no \"node\" link, needed between g:0 and g:1");
  EXPECT_EQ(errorOf(std::string(R"({"devices": [{)") + kDevice +
                    R"(, "count": 2}], "links": [{"level": "bus",
                    "bandwidth": 1}]})"),
            "m.json: links[0].level: must be \"node\" or \"network\"");
  EXPECT_EQ(errorOf(std::string(R"({"devices": [{)") + kDevice +
                    R"(, "count": 2}], "links": [{"level": "node",
                    "bandwidth": 0}]})"),
            "m.json: links[0].bandwidth: must be a positive number");
  llvm::Expected<Machine> missing = loadMachine("/nonexistent/m.json");
  ASSERT_FALSE((bool)missing);
  std::string message = llvm::toString(missing.takeError());
  EXPECT_NE(message.find("/nonexistent/m.json: cannot read machine file"),
            std::string::npos);
  EXPECT_NE(message.find("presets: h100-sxm-x8"), std::string::npos);
}

} // namespace
