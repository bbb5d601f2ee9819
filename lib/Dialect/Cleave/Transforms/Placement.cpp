//===- Placement.cpp - ops on devices: problem, plan, report --------------===//

#include "cleave/Dialect/Cleave/Transforms/Placement.h"
#include "cleave/Dialect/Cleave/IR/CleaveOps.h"
#include "cleave/Dialect/Cleave/Transforms/Passes.h"
#include "cleave/Dialect/Cleave/Transforms/TrainingPlacement.h"
#include "llvm/ADT/DenseMap.h"
#include "llvm/Support/FileSystem.h"
#include "llvm/Support/FormatVariadic.h"
#include "llvm/Support/Program.h"
#include "llvm/Support/raw_ostream.h"
#include "llvm/Support/xxhash.h"

using namespace mlir;
using namespace cleave::analysis;

namespace cleave::graph {

namespace {

/// "f32", "f16", "bf16", ... for the cost model's peak lookup.
std::string dtypeOf(Operation *op) {
  for (Value result : op->getResults())
    if (auto type = dyn_cast<RankedTensorType>(result.getType())) {
      std::string text;
      llvm::raw_string_ostream os(text);
      type.getElementType().print(os);
      return text;
    }
  return "f32";
}

double megabytes(double bytes) { return bytes / 1e6; }

} // namespace

int64_t tensorBytesOf(Value v) {
  auto type = dyn_cast<RankedTensorType>(v.getType());
  if (!type)
    return 0;
  return type.getNumElements() *
         std::max<int64_t>(type.getElementTypeBitWidth() / 8, 1);
}

std::optional<int64_t> deviceOf(Operation *op) {
  if (auto attr = op->getAttrOfType<IntegerAttr>(kDeviceAttr))
    return attr.getInt();
  return std::nullopt;
}

std::string nodeName(Operation *op) {
  Location loc = op->getLoc();
  if (auto fused = dyn_cast<FusedLoc>(loc))
    if (!fused.getLocations().empty())
      loc = fused.getLocations().front();
  if (auto name = dyn_cast<NameLoc>(loc))
    return name.getName().str();
  return "";
}

std::optional<double> collectiveSeconds(Operation *op,
                                        const Machine &machine) {
  auto costed = dyn_cast<CostOpInterface>(op);
  const Link *link = machine.replicaLink();
  if (!costed || !link)
    return std::nullopt;
  LinkTraffic traffic = costed.getLinkTraffic();
  if (traffic.messages == 0)
    return std::nullopt;
  return traffic.messages * link->latency + traffic.bytes / link->bandwidth;
}

std::string opSignature(Operation *op) {
  std::string text;
  llvm::raw_string_ostream os(text);
  os << op->getName() << "(";
  llvm::interleaveComma(op->getOperandTypes(), os);
  os << ")->(";
  llvm::interleaveComma(op->getResultTypes(), os);
  os << ")";
  // Inherent attributes (properties) and discardable ones alike.
  for (NamedAttribute attr : op->getAttrDictionary())
    if (!attr.getName().getValue().starts_with("cleave."))
      os << " " << attr.getName().getValue() << "=" << attr.getValue();
  std::string hex;
  llvm::raw_string_ostream(hex)
      << llvm::format_hex_no_prefix(llvm::xxh3_64bits(text), 16);
  return hex;
}

std::vector<double> opSeconds(Operation *op, const Machine &machine,
                              llvm::StringRef precision) {
  // The peak the precision's matrix units reach: "f32", "tf32", "f16", ...
  std::string computeType = precision == "fp16"   ? "f16"
                            : precision == "bf16" ? "bf16"
                            : precision == "tf32" ? "tf32"
                                                  : "f32";
  OpCost cost;
  if (auto costed = dyn_cast<CostOpInterface>(op))
    cost = costed.getCost();
  double bytes = (double)(cost.bytesRead + cost.bytesWritten);
  std::string dtype = dtypeOf(op);
  llvm::StringRef kind = cost.kind;
  if (dtype == "f32" &&
      (kind == "matmul" || kind == "conv" || kind == "conv_grad"))
    dtype = computeType;
  std::vector<double> seconds;
  std::optional<double> link = collectiveSeconds(op, machine);
  // The signature only when some device has measured times.
  std::string signature;
  for (const Device &device : machine.devices)
    if (!device.measuredSeconds.empty() && signature.empty())
      signature = opSignature(op);
  for (const Device &device : machine.devices) {
    auto measured = signature.empty() ? device.measuredSeconds.end()
                                      : device.measuredSeconds.find(signature);
    seconds.push_back(link ? *link
                      : cost.flops == 0 && bytes == 0
                          ? 0.0 // A view: no kernel runs.
                      : measured != device.measuredSeconds.end()
                          ? measured->second
                          : device.kernelSeconds(cost.flops, bytes, dtype,
                                                 cost.kind));
  }
  return seconds;
}

PlacementProblem buildPlacementProblem(func::FuncOp function,
                                       const Machine &machine,
                                       llvm::StringRef precision) {
  PlacementProblem result;
  PipelineProblem &problem = result.pipeline;
  problem.machine = machine;
  llvm::DenseMap<Operation *, int64_t> index;
  for (Operation &op : function.getBody().front()) {
    problem.training |= isa<VariableOp>(op);
    if (isWeights(&op) || isa<NoneOp, func::ReturnOp>(op))
      continue;
    index[&op] = (int64_t)result.ops.size();
    result.ops.push_back(&op);
  }
  llvm::DenseSet<Value> countedWeights;
  for (auto [i, op] : llvm::enumerate(result.ops)) {
    problem.seconds.push_back(opSeconds(op, machine, precision));
    // A training state's variable counts where it is first read, though
    // the forward, backward and update ops all read a parameter (they stay
    // on one device). A constant counts at each reader: readers on two
    // stages (a tied embedding) each need a copy.
    int64_t weightBytes = 0;
    for (Value operand : op->getOperands())
      if (Operation *def = operand.getDefiningOp();
          def && isWeights(def) &&
          (!isa<VariableOp>(def) || countedWeights.insert(operand).second))
        weightBytes += tensorBytesOf(operand);
    problem.weightBytes.push_back(weightBytes);
    for (Value value : op->getResults()) {
      PipelineValue v;
      v.producer = (int64_t)i;
      v.bytes = tensorBytesOf(value);
      for (Operation *user : value.getUsers()) {
        auto it = index.find(user);
        if (it != index.end() && !llvm::is_contained(v.users, it->second))
          v.users.push_back(it->second);
      }
      problem.values.push_back(std::move(v));
    }
  }
  return result;
}

void applyPlan(const PlacementProblem &problem, const PipelinePlan &plan) {
  for (const PipelineStage &stage : plan.stages)
    for (size_t i = stage.begin; i < stage.end; ++i) {
      Operation *op = problem.ops[i];
      op->setAttr(kDeviceAttr,
                  IntegerAttr::get(IntegerType::get(op->getContext(), 64),
                                   (int64_t)stage.device));
    }
}

void applyDevices(const PlacementProblem &problem,
                  const std::vector<size_t> &devices) {
  for (auto [op, device] : llvm::zip(problem.ops, devices))
    op->setAttr(kDeviceAttr,
                IntegerAttr::get(IntegerType::get(op->getContext(), 64),
                                 (int64_t)device));
}

llvm::Expected<std::vector<size_t>>
currentDevices(const PlacementProblem &problem) {
  std::vector<size_t> devices;
  for (Operation *op : problem.ops) {
    auto attr = op->getAttrOfType<IntegerAttr>(kDeviceAttr);
    if (!attr || attr.getInt() < 0 ||
        (size_t)attr.getInt() >= problem.pipeline.machine.devices.size())
      return llvm::createStringError(llvm::inconvertibleErrorCode(),
                                     "op '" + nodeName(op) + "' (" +
                                         op->getName().getStringRef().str() +
                                         ") has no device of this machine");
    devices.push_back((size_t)attr.getInt());
  }
  return devices;
}

void printDagReport(const PlacementProblem &problem, const DagPlan &plan,
                    llvm::raw_ostream &os) {
  const Machine &machine = problem.pipeline.machine;
  std::vector<size_t> ops(machine.devices.size(), 0);
  for (size_t d : plan.devices)
    ++ops[d];
  os << llvm::formatv("placement on {0} (dag): {1} device(s)\n", machine.name,
                      machine.devices.size());
  os << llvm::formatv("{0,-14} {1,6} {2,11} {3,12}\n", "device", "ops",
                      "memory MB", "busy ms");
  for (size_t d = 0; d < machine.devices.size(); ++d)
    os << llvm::formatv(
        "{0,-14} {1,6} {2,11:f2} {3,12:f3}\n", machine.devices[d].name, ops[d],
        megabytes(plan.memoryBytes[d]), plan.busySeconds[d] * 1e3);
  os << llvm::formatv("predicted: latency {0:f3} ms\n",
                      plan.latencySeconds * 1e3);
}

llvm::Expected<PipelinePlan> currentPlan(const PlacementProblem &problem) {
  std::vector<size_t> cuts, devices;
  for (auto [i, op] : llvm::enumerate(problem.ops)) {
    auto attr = op->getAttrOfType<IntegerAttr>(kDeviceAttr);
    if (!attr)
      return llvm::createStringError(llvm::inconvertibleErrorCode(),
                                     "op '" + nodeName(op) + "' (" +
                                         op->getName().getStringRef().str() +
                                         ") has no device");
    // An interleaved schedule's stage k is device k of chunkedMachine's.
    auto stage = op->getAttrOfType<IntegerAttr>(kStageAttr);
    size_t device = (size_t)(stage ? stage : attr).getInt();
    if (device >= problem.pipeline.machine.devices.size())
      return llvm::createStringError(
          llvm::inconvertibleErrorCode(),
          llvm::formatv("op '{0}' is on device {1}, but the machine has {2}",
                        nodeName(op), device,
                        problem.pipeline.machine.devices.size())
              .str());
    if (devices.empty() || device != devices.back()) {
      if (!devices.empty() && device < devices.back())
        return llvm::createStringError(
            llvm::inconvertibleErrorCode(),
            llvm::formatv("op '{0}' is on device {1} after an op on device "
                          "{2}: pipeline stages follow the op order on "
                          "increasing devices",
                          nodeName(op), device, devices.back())
                .str());
      if (!devices.empty())
        cuts.push_back(i);
      devices.push_back(device);
    }
  }
  return evaluatePipeline(problem.pipeline, cuts, devices);
}

void printPlacementReport(const PlacementProblem &problem,
                          const PipelinePlan &plan, llvm::raw_ostream &os) {
  const Machine &machine = problem.pipeline.machine;
  os << llvm::formatv(
      "placement on {0}: {1} stage(s) on {2} device(s){3}\n", machine.name,
      plan.stages.size(), machine.devices.size() / problem.chunks,
      problem.chunks > 1 ? llvm::formatv(", {0} each", problem.chunks).str()
                         : "");
  os << llvm::formatv("{0,-14} {1,6} {2,11} {3,12} {4,13} {5,9} {6,9}\n",
                      "device", "ops", "weights MB", "activ. MB",
                      "predicted ms", "recv MB", "sent MB");
  for (auto [s, stage] : llvm::enumerate(plan.stages)) {
    os << llvm::formatv(
        "{0,-14} {1,6} {2,11:f2} {3,12:f2} {4,13:f3} {5,9:f2} {6,9:f2}\n",
        machine.devices[stage.device].name, stage.end - stage.begin,
        megabytes(stage.weightBytes),
        megabytes(stage.memoryBytes - stage.weightBytes),
        stage.computeSeconds * 1e3, megabytes(stage.receiveBytes),
        megabytes(stage.sendBytes));
  }
  // Data parallelism: what the step's collectives cost, within the above
  // (a training step's problem holds its forward ops only).
  auto function = problem.ops.front()->getParentOfType<func::FuncOp>();
  double linkSeconds = 0, linkBytes = 0;
  function.walk([&](Operation *op) {
    if (std::optional<double> seconds = collectiveSeconds(op, machine)) {
      linkSeconds += *seconds;
      linkBytes += cast<CostOpInterface>(op).getLinkTraffic().bytes;
    }
  });
  if (linkSeconds > 0) {
    auto replicas = function->getAttrOfType<IntegerAttr>(kReplicasAttr);
    os << llvm::formatv("replicas: {0}, each sending {1:f3} MB to the others "
                        "per step in collectives, predicted {2:f3} ms of "
                        "the above\n",
                        replicas ? replicas.getInt() : 1,
                        megabytes(linkBytes), linkSeconds * 1e3);
  }
  os << llvm::formatv("predicted: bottleneck {0:f3} ms ({1:f1} batches/s "
                      "pipelined), latency {2:f3} ms\n",
                      plan.bottleneckSeconds * 1e3,
                      plan.bottleneckSeconds > 0 ? 1 / plan.bottleneckSeconds
                                                 : 0.0,
                      plan.latencySeconds * 1e3);
}

void printPlacementDot(const PlacementProblem &problem,
                       const PipelinePlan &plan, llvm::raw_ostream &os) {
  static const char *colours[] = {"#8dd3c7", "#ffffb3", "#bebada", "#fb8072",
                                  "#80b1d3", "#fdb462", "#b3de69", "#fccde5"};
  std::vector<size_t> deviceOf(problem.ops.size(), 0);
  for (const PipelineStage &stage : plan.stages)
    for (size_t i = stage.begin; i < stage.end; ++i)
      deviceOf[i] = stage.device;
  os << "digraph placement {\n  node [shape=box, style=filled];\n";
  for (auto [i, op] : llvm::enumerate(problem.ops)) {
    std::string label = nodeName(op);
    std::replace(label.begin(), label.end(), '"', '\'');
    os << llvm::formatv("  n{0} [label=\"{1}\\n{2} (device {3})\", "
                        "fillcolor=\"{4}\"];\n",
                        i, label, op->getName().getStringRef(), deviceOf[i],
                        colours[deviceOf[i] % 8]);
  }
  for (const PipelineValue &v : problem.pipeline.values)
    for (int64_t user : v.users)
      os << llvm::formatv("  n{0} -> n{1};\n", v.producer, user);
  os << "}\n";
}

llvm::Error writePlacementGraph(const PlacementProblem &problem,
                                const PipelinePlan &plan,
                                llvm::StringRef path) {
  bool svg = path.ends_with(".svg");
  llvm::SmallString<128> dotPath(path);
  if (svg)
    dotPath += ".dot";
  if (llvm::Error error =
          llvm::writeToOutput(dotPath, [&](llvm::raw_ostream &os) {
            printPlacementDot(problem, plan, os);
            return llvm::Error::success();
          }))
    return error;
  if (!svg)
    return llvm::Error::success();
  auto failed = [&](const llvm::Twine &message) {
    llvm::sys::fs::remove(dotPath);
    return llvm::createStringError(llvm::inconvertibleErrorCode(), message);
  };
  llvm::ErrorOr<std::string> dot = llvm::sys::findProgramByName("dot");
  if (!dot)
    return failed("--report-graph=" + path +
                  " needs Graphviz's dot on PATH (or name a .dot file)");
  std::string error;
  llvm::StringRef args[] = {*dot, "-Tsvg", dotPath, "-o", path};
  if (llvm::sys::ExecuteAndWait(*dot, args, std::nullopt, {}, 0, 0, &error))
    return failed("dot failed: " + error);
  llvm::sys::fs::remove(dotPath);
  return llvm::Error::success();
}

} // namespace cleave::graph
