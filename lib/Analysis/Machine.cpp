//===- Machine.cpp - machine descriptions: parsing, checks, presets ------===//

#include "cleave/Analysis/Machine.h"
#include "llvm/Support/FormatVariadic.h"
#include "llvm/Support/JSON.h"
#include "llvm/Support/MemoryBuffer.h"
#include <cmath>
#include <thread>
#include <unistd.h>

using namespace llvm;

namespace cleave::analysis {

double Device::peakFor(StringRef dtype) const {
  auto it = peakFlops.find(dtype);
  return it != peakFlops.end() ? it->second : peakFlops.lookup("f32");
}

double Device::kernelSeconds(double flops, double bytes, StringRef dtype,
                             StringRef kind) const {
  auto overhead = kernelOverhead.find(kind);
  double launch =
      overhead != kernelOverhead.end() ? overhead->second : launchOverhead;
  auto it = kernelEfficiency.find(kind);
  if (it != kernelEfficiency.end())
    return std::max(flops / peakFor(dtype), bytes / memoryBandwidth) /
               it->second +
           launch;
  return std::max(flops / (peakFor(dtype) * computeEfficiency),
                  bytes / (memoryBandwidth * memoryEfficiency)) +
         launch;
}

const Link &Machine::linkBetween(size_t a, size_t b) const {
  StringRef level =
      devices[a].node == devices[b].node ? StringRef("node") : "network";
  for (const Link &link : links)
    if (link.level == level)
      return link;
  llvm_unreachable("parseMachine checks that every needed link exists");
}

double Machine::transferSeconds(size_t a, size_t b, int64_t bytes) const {
  if (a == b || bytes == 0)
    return 0;
  const Link &link = linkBetween(a, b);
  return link.latency + (double)bytes / link.bandwidth;
}

const Link *Machine::replicaLink() const {
  for (StringRef level : {"node", "network"})
    for (const Link &link : links)
      if (link.level == level)
        return &link;
  return nullptr;
}

namespace {

/// Reads one JSON object's fields, collecting the first error with its path.
class Reader {
public:
  Reader(StringRef source) : source(source) {}

  Error fail(const Twine &path, const Twine &message) {
    return createStringError(inconvertibleErrorCode(), "%s: %s: %s",
                             source.str().c_str(), path.str().c_str(),
                             message.str().c_str());
  }

  /// A required (or, with `fallback`, optional) positive number.
  Expected<double> positive(const json::Object &object, StringRef key,
                            const Twine &path,
                            std::optional<double> fallback = std::nullopt,
                            bool allowZero = false) {
    const json::Value *value = object.get(key);
    if (!value) {
      if (fallback)
        return *fallback;
      return fail(path + "." + key, "is required");
    }
    std::optional<double> number = value->getAsNumber();
    if (!number || !std::isfinite(*number) || *number < 0 ||
        (*number == 0 && !allowZero))
      return fail(path + "." + key,
                  Twine("must be a ") + (allowZero ? "non-negative" : "positive") +
                      " number");
    return *number;
  }

  Expected<std::string> string(const json::Object &object, StringRef key,
                               const Twine &path,
                               std::optional<StringRef> fallback = std::nullopt) {
    const json::Value *value = object.get(key);
    if (!value && fallback)
      return fallback->str();
    std::optional<StringRef> text = value ? value->getAsString() : std::nullopt;
    if (!text || text->empty())
      return fail(path + "." + key, "must be a non-empty string");
    return text->str();
  }

  StringRef source;
};

/// Fails on keys that are not in `known` (a typo must not pass silently).
Error checkKeys(Reader &reader, const json::Object &object,
                ArrayRef<StringRef> known, const Twine &path) {
  for (const auto &entry : object)
    if (!llvm::is_contained(known, StringRef(entry.first)))
      return reader.fail(path, "unknown field '" + StringRef(entry.first) +
                                   "'");
  return Error::success();
}

Expected<std::vector<Device>> readDevices(Reader &reader,
                                          const json::Array &array) {
  std::vector<Device> devices;
  for (auto [index, value] : llvm::enumerate(array)) {
    std::string path = formatv("devices[{0}]", index).str();
    const json::Object *object = value.getAsObject();
    if (!object)
      return reader.fail(path, "must be an object");
    if (Error e = checkKeys(reader, *object,
                            {"name", "kind", "count", "node", "peak_flops",
                             "memory_bandwidth", "memory_capacity",
                             "launch_overhead", "compute_efficiency",
                             "memory_efficiency", "kernel_efficiency",
                             "kernel_overhead"},
                            path))
      return std::move(e);
    Device device;
    Expected<std::string> name = reader.string(*object, "name", path);
    Expected<std::string> kind = reader.string(*object, "kind", path);
    if (!name)
      return name.takeError();
    if (!kind)
      return kind.takeError();
    if (*kind != "cpu" && *kind != "gpu")
      return reader.fail(path + ".kind", "must be \"cpu\" or \"gpu\"");
    device.kind = *kind;
    Expected<double> count = reader.positive(*object, "count", path, 1.0);
    Expected<double> node =
        reader.positive(*object, "node", path, 0.0, /*allowZero=*/true);
    Expected<double> bandwidth =
        reader.positive(*object, "memory_bandwidth", path);
    Expected<double> capacity =
        reader.positive(*object, "memory_capacity", path);
    Expected<double> launch = reader.positive(*object, "launch_overhead", path,
                                              0.0, /*allowZero=*/true);
    Expected<double> computeEfficiency =
        reader.positive(*object, "compute_efficiency", path, 1.0);
    Expected<double> memoryEfficiency =
        reader.positive(*object, "memory_efficiency", path, 1.0);
    for (Expected<double> *field :
         {&count, &node, &bandwidth, &capacity, &launch, &computeEfficiency,
          &memoryEfficiency})
      if (!*field)
        return field->takeError();
    if (*count != std::floor(*count) || *node != std::floor(*node))
      return reader.fail(path, "count and node must be integers");
    if (*computeEfficiency > 1 || *memoryEfficiency > 1)
      return reader.fail(path, "efficiencies are fractions of peak, at most 1");
    device.node = (int64_t)*node;
    device.memoryBandwidth = *bandwidth;
    device.memoryCapacity = *capacity;
    device.launchOverhead = *launch;
    device.computeEfficiency = *computeEfficiency;
    device.memoryEfficiency = *memoryEfficiency;
    const json::Object *peaks = object->getObject("peak_flops");
    if (!peaks)
      return reader.fail(path + ".peak_flops",
                         "is required: an object of FLOP/s by element type");
    for (const auto &entry : *peaks) {
      Expected<double> peak = reader.positive(*peaks, entry.first.str(),
                                              path + ".peak_flops");
      if (!peak)
        return peak.takeError();
      device.peakFlops[StringRef(entry.first)] = *peak;
    }
    if (!device.peakFlops.count("f32"))
      return reader.fail(path + ".peak_flops", "needs an \"f32\" entry");
    if (const json::Value *kinds = object->get("kernel_efficiency")) {
      const json::Object *map = kinds->getAsObject();
      if (!map)
        return reader.fail(path + ".kernel_efficiency",
                           "must be an object of fractions by kernel kind");
      for (const auto &entry : *map) {
        Expected<double> fraction = reader.positive(
            *map, entry.first.str(), path + ".kernel_efficiency");
        if (!fraction)
          return fraction.takeError();
        if (*fraction > 1)
          return reader.fail(path + ".kernel_efficiency." + entry.first.str(),
                             "is a fraction of the roofline, at most 1");
        device.kernelEfficiency[StringRef(entry.first)] = *fraction;
      }
    }
    if (const json::Value *kinds = object->get("kernel_overhead")) {
      const json::Object *map = kinds->getAsObject();
      if (!map)
        return reader.fail(path + ".kernel_overhead",
                           "must be an object of seconds by kernel kind");
      for (const auto &entry : *map) {
        Expected<double> seconds =
            reader.positive(*map, entry.first.str(), path + ".kernel_overhead",
                            std::nullopt, /*allowZero=*/true);
        if (!seconds)
          return seconds.takeError();
        device.kernelOverhead[StringRef(entry.first)] = *seconds;
      }
    }
    for (int64_t i = 0; i < (int64_t)*count; ++i) {
      devices.push_back(device);
      devices.back().name =
          *count == 1 ? *name : formatv("{0}:{1}", *name, i).str();
    }
  }
  if (devices.empty())
    return reader.fail("devices", "must list at least one device");
  return devices;
}

} // namespace

Expected<Machine> parseMachine(StringRef text, StringRef source) {
  Reader reader(source);
  Expected<json::Value> parsed = json::parse(text);
  if (!parsed)
    return createStringError(inconvertibleErrorCode(), "%s: not valid JSON: %s",
                             source.str().c_str(),
                             toString(parsed.takeError()).c_str());
  const json::Object *root = parsed->getAsObject();
  if (!root)
    return reader.fail("(top level)", "must be an object");
  if (Error e = checkKeys(reader, *root, {"name", "devices", "links"},
                          "(top level)"))
    return std::move(e);
  Machine machine;
  Expected<std::string> name = reader.string(*root, "name", "(top level)",
                                             StringRef("machine"));
  if (!name)
    return name.takeError();
  machine.name = *name;
  const json::Array *devices = root->getArray("devices");
  if (!devices)
    return reader.fail("devices", "is required: an array of devices");
  Expected<std::vector<Device>> read = readDevices(reader, *devices);
  if (!read)
    return read.takeError();
  machine.devices = std::move(*read);

  if (const json::Value *links = root->get("links")) {
    const json::Array *array = links->getAsArray();
    if (!array)
      return reader.fail("links", "must be an array");
    for (auto [index, value] : llvm::enumerate(*array)) {
      std::string path = formatv("links[{0}]", index).str();
      const json::Object *object = value.getAsObject();
      if (!object)
        return reader.fail(path, "must be an object");
      if (Error e = checkKeys(reader, *object,
                              {"level", "bandwidth", "latency"}, path))
        return std::move(e);
      Link link;
      Expected<std::string> level = reader.string(*object, "level", path);
      Expected<double> bandwidth = reader.positive(*object, "bandwidth", path);
      Expected<double> latency =
          reader.positive(*object, "latency", path, 0.0, /*allowZero=*/true);
      if (!level)
        return level.takeError();
      if (*level != "node" && *level != "network")
        return reader.fail(path + ".level", "must be \"node\" or \"network\"");
      if (!bandwidth)
        return bandwidth.takeError();
      if (!latency)
        return latency.takeError();
      if (llvm::any_of(machine.links,
                       [&](const Link &l) { return l.level == *level; }))
        return reader.fail(path + ".level", "'" + *level + "' is given twice");
      link.level = *level;
      link.bandwidth = *bandwidth;
      link.latency = *latency;
      machine.links.push_back(link);
    }
  }
  // Every pair of devices needs its level's link.
  for (size_t a = 0; a < machine.devices.size(); ++a)
    for (size_t b = a + 1; b < machine.devices.size(); ++b) {
      StringRef level = machine.devices[a].node == machine.devices[b].node
                            ? StringRef("node")
                            : "network";
      if (!llvm::any_of(machine.links,
                        [&](const Link &l) { return l.level == level; }))
        return reader.fail("links", "no \"" + level + "\" link, needed between " +
                                        machine.devices[a].name + " and " +
                                        machine.devices[b].name);
    }
  return machine;
}

namespace {

// Peaks are dense (no sparsity); links are per direction, NCCL bus
// bandwidth for NVLink. Sources: NVIDIA data sheets (H100 SXM, H200,
// A100 SXM 80 GB, A100 PCIe 80 GB), ConnectX-7 (NDR 400 Gb/s).
constexpr const char *kH100 = R"({"name": "h100", "kind": "gpu", "count": 8,
  "node": %d, "peak_flops": {"f32": 67e12, "tf32": 494.7e12, "f16": 989.4e12,
  "bf16": 989.4e12}, "memory_bandwidth": 3.35e12, "memory_capacity": 80e9,
  "launch_overhead": 5e-6})";

std::string h100Node(int node) {
  char text[512];
  snprintf(text, sizeof text, kH100, node);
  return text;
}

struct Preset {
  StringRef name;
  std::string json;
};

std::vector<Preset> &presets() {
  static std::vector<Preset> list = {
      {"h100-sxm-x8", R"({"name": "h100-sxm-x8", "devices": [)" + h100Node(0) +
                          R"(], "links": [{"level": "node",
  "bandwidth": 370e9, "latency": 3e-6}]})"},
      {"h200-x8", R"({"name": "h200-x8", "devices": [{"name": "h200",
  "kind": "gpu", "count": 8, "peak_flops": {"f32": 67e12, "tf32": 494.7e12,
  "f16": 989.4e12, "bf16": 989.4e12}, "memory_bandwidth": 4.8e12,
  "memory_capacity": 141e9, "launch_overhead": 5e-6}],
  "links": [{"level": "node", "bandwidth": 370e9, "latency": 3e-6}]})"},
      {"a100-x8", R"({"name": "a100-x8", "devices": [{"name": "a100",
  "kind": "gpu", "count": 8, "peak_flops": {"f32": 19.5e12, "tf32": 156e12,
  "f16": 312e12, "bf16": 312e12}, "memory_bandwidth": 2.039e12,
  "memory_capacity": 80e9, "launch_overhead": 5e-6}],
  "links": [{"level": "node", "bandwidth": 230e9, "latency": 3e-6}]})"},
      {"pcie-4gpu", R"({"name": "pcie-4gpu", "devices": [{"name": "a100-pcie",
  "kind": "gpu", "count": 4, "peak_flops": {"f32": 19.5e12, "tf32": 156e12,
  "f16": 312e12, "bf16": 312e12}, "memory_bandwidth": 1.935e12,
  "memory_capacity": 80e9, "launch_overhead": 5e-6}],
  "links": [{"level": "node", "bandwidth": 25e9, "latency": 10e-6}]})"},
      {"h100-x16", R"({"name": "h100-x16", "devices": [)" + h100Node(0) +
                       ", " + h100Node(1) +
                       R"(], "links": [{"level": "node", "bandwidth": 370e9,
  "latency": 3e-6}, {"level": "network", "bandwidth": 50e9,
  "latency": 10e-6}]})"},
  };
  return list;
}

/// This host: one device per core, so a k-device CPU bundle runs k
/// single-threaded processes. Rough figures until cleave-calibrate measures
/// them: 32 f32 FLOP/cycle at 2.5 GHz, 10 GB/s per core, shared memory
/// between processes.
std::string localCpuJson() {
  unsigned cores = std::max(1u, std::thread::hardware_concurrency());
  double memory = (double)sysconf(_SC_PHYS_PAGES) * sysconf(_SC_PAGESIZE);
  return formatv(R"({{"name": "local-cpu", "devices": [{{"name": "cpu",
  "kind": "cpu", "count": {0}, "peak_flops": {{"f32": 80e9},
  "memory_bandwidth": 10e9, "memory_capacity": {1},
  "launch_overhead": 2e-6}], "links": [{{"level": "node", "bandwidth": 5e9,
  "latency": 2e-6}]})",
                 cores, memory > 0 ? memory / cores : 1e9)
      .str();
}

} // namespace

ArrayRef<StringRef> machinePresetNames() {
  static std::vector<StringRef> names = [] {
    std::vector<StringRef> list;
    for (const Preset &preset : presets())
      list.push_back(preset.name);
    list.push_back("local-cpu");
    return list;
  }();
  return names;
}

Expected<Machine> loadMachine(StringRef presetOrPath) {
  if (presetOrPath == "local-cpu")
    return parseMachine(localCpuJson(), "preset local-cpu");
  for (const Preset &preset : presets())
    if (preset.name == presetOrPath)
      return parseMachine(preset.json, "preset " + preset.name.str());
  auto buffer = MemoryBuffer::getFile(presetOrPath, /*IsText=*/true);
  if (!buffer) {
    std::string names;
    for (StringRef name : machinePresetNames())
      names += (names.empty() ? "" : ", ") + name.str();
    return createStringError(
        buffer.getError(), "%s: cannot read machine file (%s); presets: %s",
        presetOrPath.str().c_str(), buffer.getError().message().c_str(),
        names.c_str());
  }
  return parseMachine((*buffer)->getBuffer(), presetOrPath);
}

std::string machineToJson(const Machine &machine) {
  json::Array devices, links;
  for (const Device &device : machine.devices) {
    json::Object peaks, kinds, overheads;
    for (const auto &entry : device.kernelOverhead)
      overheads[entry.getKey()] = entry.getValue();
    for (const auto &entry : device.peakFlops)
      peaks[entry.getKey()] = entry.getValue();
    for (const auto &entry : device.kernelEfficiency)
      kinds[entry.getKey()] = entry.getValue();
    devices.push_back(json::Object{
        {"name", device.name},
        {"kind", device.kind},
        {"node", device.node},
        {"peak_flops", std::move(peaks)},
        {"memory_bandwidth", device.memoryBandwidth},
        {"memory_capacity", device.memoryCapacity},
        {"launch_overhead", device.launchOverhead},
        {"compute_efficiency", device.computeEfficiency},
        {"memory_efficiency", device.memoryEfficiency},
        {"kernel_efficiency", std::move(kinds)},
        {"kernel_overhead", std::move(overheads)}});
  }
  for (const Link &link : machine.links)
    links.push_back(json::Object{{"level", link.level},
                                 {"bandwidth", link.bandwidth},
                                 {"latency", link.latency}});
  json::Value root = json::Object{{"name", machine.name},
                                  {"devices", std::move(devices)},
                                  {"links", std::move(links)}};
  return formatv("{0:2}", root).str();
}

Machine firstDevices(const Machine &machine, size_t count) {
  Machine result = machine;
  result.devices.resize(std::min(count, machine.devices.size()));
  return result;
}

Machine chunkedMachine(const Machine &machine, size_t chunks) {
  Machine result = machine;
  result.devices.clear();
  for (size_t chunk = 0; chunk < chunks; ++chunk)
    for (const Device &device : machine.devices) {
      Device part = device;
      part.name += " chunk " + std::to_string(chunk);
      part.memoryCapacity /= (double)chunks;
      result.devices.push_back(std::move(part));
    }
  return result;
}

} // namespace cleave::analysis
