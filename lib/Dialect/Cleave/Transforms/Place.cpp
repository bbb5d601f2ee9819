//===- Place.cpp - the cleave-place pass
//------------------------------------===//

#include "cleave/Analysis/DagSchedule.h"
#include "cleave/Analysis/OpProfile.h"
#include "cleave/Analysis/PipelineSchedule.h"
#include "cleave/Dialect/Cleave/IR/CleaveOps.h"
#include "cleave/Dialect/Cleave/IR/ModuleAttrs.h"
#include "cleave/Dialect/Cleave/Transforms/Passes.h"
#include "cleave/Dialect/Cleave/Transforms/Placement.h"
#include "cleave/Dialect/Cleave/Transforms/TrainingPlacement.h"
#include "mlir/Support/FileUtilities.h"
#include "llvm/Support/FormatVariadic.h"
#include "llvm/Support/JSON.h"
#include "llvm/Support/MemoryBuffer.h"
#include "llvm/Support/ToolOutputFile.h"
#include <map>

namespace cleave::graph {
#define GEN_PASS_DEF_PLACEPASS
#include "cleave/Dialect/Cleave/Transforms/Passes.h.inc"
} // namespace cleave::graph

using namespace mlir;
using namespace cleave::graph;
using namespace cleave::analysis;

namespace {

struct PlacePass : public cleave::graph::impl::PlacePassBase<PlacePass> {
  using PlacePassBase::PlacePassBase;
  PlacePass(const PlacePassOptions &options, llvm::raw_ostream &report)
      : PlacePassBase(options), reportStream(&report) {}

  void runOnOperation() override {
    func::FuncOp function = getOperation();
    autoChoice.clear();
    auto fail = [&](const llvm::Twine &message) {
      function.emitError() << "cleave-place: " << message;
      signalPassFailure();
    };
    llvm::Expected<Machine> loaded = loadMachine(machine);
    if (!loaded)
      return fail(llvm::toString(loaded.takeError()));
    if (numDevices > loaded->devices.size())
      return fail("--num-devices=" + llvm::Twine(numDevices) + " but " +
                  loaded->name + " has " + llvm::Twine(loaded->devices.size()) +
                  " devices");
    if (!llvm::is_contained({"fp32", "tf32", "fp16", "bf16"},
                            llvm::StringRef(precision)))
      return fail("unknown precision '" + precision +
                  "'; expected fp32, tf32, fp16 or bf16");
    if (!llvm::is_contained({"pipeline", "auto", "dag", "manual", "onnx"},
                            llvm::StringRef(strategy)))
      return fail("unknown strategy '" + strategy +
                  "' (expected pipeline, auto, dag, manual or onnx)");
    replicaChoice.clear();
    if (replicas == 0)
      return fail("replicas must be positive");
    if (replicas > 1 && strategy == "auto")
      return fail("replicas=" + llvm::Twine(replicas) +
                  " fixes the replicas and strategy auto chooses them: give "
                  "one");
    if (replicas > 1 && isTrainingStep(function))
      return fail("a training step's replicas come with its gradients "
                  "(--dp: cleave-accumulate-gradients), not cleave-place");
    if (replicas > 1) {
      function->setAttr(kReplicasAttr,
                        Builder(&getContext()).getI64IntegerAttr(replicas));
      replicaChoice = llvm::formatv("{0} data-parallel replicas of this "
                                    "placement, each a share of a run's "
                                    "microbatches\n",
                                    replicas)
                          .str();
    }
    // auto: 1F1B (GPipe's bubble, fewer microbatches kept), or interleaved
    // 1F1B where the pipeline DP predicts a shorter step (planAuto).
    std::optional<Schedule> parsed =
        parseSchedule(schedule == "auto" ? llvm::StringRef("1f1b")
                                         : llvm::StringRef(schedule));
    if (!parsed)
      return fail("unknown schedule '" + schedule +
                  "' (expected auto, gpipe, 1f1b, interleaved or "
                  "interleaved:v=N with N >= 2)");
    chosen = *parsed;
    Machine target = numDevices ? firstDevices(*loaded, numDevices) : *loaded;
    // Measured op times on the devices of the profile's kind.
    size_t profiled = 0, costed = 0;
    std::vector<Operation *> unmeasured;
    if (!opProfile.empty()) {
      llvm::Expected<OpProfile> ops = loadOpProfile(opProfile);
      if (!ops)
        return fail(llvm::toString(ops.takeError()));
      llvm::StringMap<double> seconds = ops->secondsBySignature();
      bool used = false;
      for (Device &device : target.devices)
        if (device.kind == ops->kind) {
          device.measuredSeconds = seconds;
          used = true;
        }
      if (!used)
        return fail("the op profile '" + opProfile + "' is of " + ops->kind +
                    " devices; " + target.name + " has none");
      // Ops that run nothing (a view, a value computed into its variable)
      // need no measurement.
      for (Operation &op : function.getBody().front()) {
        auto costedOp = dyn_cast<CostOpInterface>(op);
        if (!costedOp || isWeights(&op))
          continue;
        OpCost cost = costedOp.getCost();
        if (cost.flops == 0 && cost.bytesRead + cost.bytesWritten == 0)
          continue;
        ++costed;
        if (seconds.count(opSignature(&op)))
          ++profiled;
        else
          unmeasured.push_back(&op);
      }
    }
    // A training step on several devices places its forward ops; the rest
    // follows them. On one, every op in its order gives the exact memory.
    std::optional<TrainingRoles> roles;
    if (isTrainingStep(function) && target.devices.size() > 1)
      roles = classifyTrainingOps(function);
    bool interleaved = roles && chosen.chunks > 1;
    if (interleaved && !pipelined() && placementIn.empty())
      return fail("--schedule=" + schedule + " places its stages with " +
                  "--placement=pipeline or --placement-in, not --placement=" +
                  strategy);
    PlacementProblem problem;
    if (!roles) {
      problem = buildPlacementProblem(function, target, precision);
    } else if (interleaved) {
      // The stages' machine depends on how many devices the plan uses.
      problem.ops.assign(roles->anchors.begin(), roles->anchors.end());
    } else {
      llvm::Expected<PlacementProblem> built =
          trainingProblem(function, target, *roles);
      if (!built)
        return fail(llvm::toString(built.takeError()));
      problem = std::move(*built);
    }
    if (problem.ops.empty())
      return;

    if (!placementIn.empty()) {
      if (failed(readPlacement(problem)))
        return signalPassFailure();
      // The file's devices and runs of forward ops on one device. It names
      // devices, not the schedule: under auto, runs that take turns over
      // the devices (an interleaved plan's --placement-out) read back
      // interleaved.
      int64_t runs = 0, previous = -1, devices = 0;
      for (Operation *op : problem.ops) { // A training step's: its anchors.
        int64_t device = *deviceOf(op);
        runs += device != previous;
        previous = device;
        devices = std::max(devices, device + 1);
      }
      if (roles && schedule == "auto" && devices > 1 && runs > devices &&
          runs % devices == 0)
        chosen = {ScheduleKind::Interleaved, (size_t)(runs / devices)};
      if (roles && chosen.chunks > 1) {
        if (devices > (int64_t)target.devices.size())
          return fail(placementIn + " places ops on device " +
                      llvm::Twine(devices - 1) + ", but " + target.name +
                      " has " + llvm::Twine(target.devices.size()) +
                      " devices");
        llvm::Expected<PlacementProblem> built =
            trainingProblem(function, firstDevices(target, devices), *roles);
        if (!built)
          return fail(llvm::toString(built.takeError()));
        problem = std::move(*built);
        if (failed(assignInterleavedStages(*roles, devices, chosen.chunks)))
          return signalPassFailure();
      }
    } else if (strategy == "onnx") {
      if (failed(onnxStages(problem)))
        return signalPassFailure();
    } else if (strategy == "dag") {
      llvm::Expected<DagPlan> dag = scheduleDag(problem.pipeline);
      if (!dag)
        return fail(llvm::toString(dag.takeError()));
      applyDevices(problem, dag->devices);
    } else {
      llvm::Expected<PipelinePlan> plan =
          strategy == "manual" ? manualPlan(problem)
          : roles && schedule == "auto"
              ? planAuto(function, target, *roles, problem)
          : roles              ? planStages(function, target, *roles, problem)
          : strategy == "auto" ? planReplicas(function, target, problem)
                               : planPipeline(problem.pipeline);
      if (!plan)
        return fail(llvm::toString(plan.takeError()));
      applyPlan(problem, *plan);
      if (roles && chosen.chunks > 1) {
        // Stage k ran on chunk k / p of device k mod p.
        size_t devices = plan->stages.size() / chosen.chunks;
        Builder builder(&getContext());
        for (Operation *anchor : roles->anchors)
          anchor->setAttr(kDeviceAttr, builder.getI64IntegerAttr(
                                           *deviceOf(anchor) % devices));
        if (failed(assignInterleavedStages(*roles, devices, chosen.chunks)))
          return signalPassFailure();
      }
    }
    if (!placementOut.empty() && failed(writePlacement(problem)))
      return signalPassFailure();
    if (roles) {
      spreadTrainingDevices(function, *roles);
      function->setAttr(kScheduleAttr,
                        StringAttr::get(&getContext(), scheduleName(chosen)));
    }
    if (report)
      (reportStream ? *reportStream : llvm::errs()) << replicaChoice;
    if (report && !opProfile.empty()) {
      llvm::raw_ostream &os = reportStream ? *reportStream : llvm::errs();
      os << llvm::formatv("op costs: {0} of {1} ops measured (op profile "
                          "{2}), the others from the roofline\n",
                          profiled, costed, opProfile);
      // Which: a profile of other shapes or flags misses many.
      constexpr size_t kListed = 8;
      for (auto [i, op] : llvm::enumerate(unmeasured)) {
        if (i == kListed) {
          os << llvm::formatv("  ... and {0} more\n",
                              unmeasured.size() - kListed);
          break;
        }
        os << "  roofline: " << op->getName() << " " << nodeName(op) << "\n";
      }
    }
    if (failed(describe(problem, roles)))
      return signalPassFailure();
  }

  /// The training problem of the anchors on `machine`'s devices, a device
  /// per stage (each chunk of an interleaved schedule's).
  llvm::Expected<PlacementProblem> trainingProblem(func::FuncOp function,
                                                   const Machine &machine,
                                                   const TrainingRoles &roles) {
    return buildTrainingPlacementProblem(
        function,
        chosen.chunks > 1 ? chunkedMachine(machine, chosen.chunks) : machine,
        precision, roles, chosen);
  }

  /// A training step's stages: the DP on the first p devices for each p,
  /// and the plan of the shortest predicted step, its slowest stage's time
  /// times (v M + p - 1) / M on p devices of v stages each (more devices,
  /// more bubble). Leaves `problem` the chosen plan's.
  llvm::Expected<PipelinePlan> planStages(func::FuncOp function,
                                          const Machine &target,
                                          const TrainingRoles &roles,
                                          PlacementProblem &problem) {
    std::optional<PipelinePlan> best;
    // When nothing fits, the error of all the devices says most.
    std::optional<llvm::Error> lastError;
    for (size_t p = 1; p <= target.devices.size(); ++p) {
      // Interleaving needs a pipeline, and microbatches in rounds of p.
      if (chosen.chunks > 1 && (p < 2 || roles.microbatches % p))
        continue;
      llvm::Expected<PlacementProblem> candidate =
          trainingProblem(function, firstDevices(target, p), roles);
      llvm::Expected<PipelinePlan> plan =
          candidate ? planPipeline(candidate->pipeline)
                    : llvm::Expected<PipelinePlan>(candidate.takeError());
      if (!plan) {
        if (lastError)
          llvm::consumeError(std::move(*lastError));
        lastError = plan.takeError();
        continue;
      }
      if (!best || stepUnits(*plan, roles) < stepUnits(*best, roles)) {
        best = std::move(*plan);
        problem = std::move(*candidate);
      }
    }
    if (best) {
      if (lastError)
        llvm::consumeError(std::move(*lastError));
      return *best;
    }
    if (!lastError)
      return llvm::createStringError(
          llvm::inconvertibleErrorCode(),
          llvm::formatv("--schedule={0} needs 2 or more devices and "
                        "microbatches in rounds of one per device, but {1} "
                        "microbatch(es) divide among none of 2..{2} devices",
                        scheduleName(chosen), roles.microbatches,
                        target.devices.size())
              .str());
    return std::move(*lastError);
  }

  /// Whether the strategy places pipeline stages (auto may replicate
  /// them too).
  bool pipelined() const {
    return strategy == "pipeline" || strategy == "auto";
  }

  /// --placement=auto (inference): the pipeline DP on all D devices, and
  /// on the first D / R for each R > 1 dividing D, run as R data-parallel
  /// replicas (each a share of the run's microbatches, on devices alike).
  /// Replicas win where they predict more than kReplicasMargin more
  /// throughput: they hold all the weights on every device, and a stage's
  /// share of them staying in cache made pipelines run 1.9-2.3x on 2
  /// devices where the compute halves, which the cost model does not see.
  /// So they are for models a pipeline cannot balance (a few large ops,
  /// as a recurrent layer is). Sets the function's cleave.replicas then,
  /// and leaves `problem` the chosen plan's.
  static constexpr double kReplicasMargin = 0.10;
  llvm::Expected<PipelinePlan> planReplicas(func::FuncOp function,
                                            const Machine &target,
                                            PlacementProblem &problem) {
    llvm::Expected<PipelinePlan> pipeline = planPipeline(problem.pipeline);
    if (!pipeline)
      return pipeline;
    size_t all = target.devices.size(), best = 1;
    double pipelineSeconds = pipeline->bottleneckSeconds,
           bestSeconds = pipelineSeconds;
    std::optional<PipelinePlan> bestPlan;
    for (size_t replicas = 2; replicas <= all; ++replicas) {
      size_t stages = all / replicas;
      if (all % replicas || !replicasAlike(target, stages))
        continue;
      PlacementProblem candidate = buildPlacementProblem(
          function, firstDevices(target, stages), precision);
      llvm::Expected<PipelinePlan> plan = planPipeline(candidate.pipeline);
      if (!plan) { // It does not fit on fewer devices.
        llvm::consumeError(plan.takeError());
        continue;
      }
      // The bundle numbers the devices a plan uses from 0, and replica r
      // runs on ranks from r times that count: a plan that leaves one of
      // its devices unused would put replicas on devices not checked alike.
      if (plan->stages.size() != stages)
        continue;
      double seconds = plan->bottleneckSeconds / (double)replicas;
      if (seconds * (1 + kReplicasMargin) < pipelineSeconds &&
          seconds < bestSeconds) {
        best = replicas;
        bestSeconds = seconds;
        bestPlan = std::move(*plan);
        problem = std::move(candidate);
      }
    }
    replicaChoice =
        llvm::formatv("placement auto: {0} data-parallel replica(s) of "
                      "{1} device(s), {2:f3} ms per microbatch predicted "
                      "(a pipeline on {3}: {4:f3} ms)\n",
                      best, all / best, bestSeconds * 1e3, all,
                      pipelineSeconds * 1e3)
            .str();
    if (best == 1)
      return pipeline;
    function->setAttr(kReplicasAttr,
                      Builder(&getContext()).getI64IntegerAttr(best));
    return *bestPlan;
  }

  /// Whether every group of `stages` devices of `machine` is like the
  /// first (replica r runs stage k on device r * stages + k): the same
  /// kind, speeds and memory, on one node where the first group is.
  static bool replicasAlike(const Machine &machine, size_t stages) {
    auto peaks = [](const Device &device) {
      std::map<std::string, double> byType;
      for (const auto &entry : device.peakFlops)
        byType[entry.getKey().str()] = entry.getValue();
      return byType;
    };
    const std::vector<Device> &devices = machine.devices;
    bool firstOnOneNode = llvm::all_of(
        llvm::ArrayRef(devices).take_front(stages),
        [&](const Device &d) { return d.node == devices.front().node; });
    for (size_t d = stages; d < devices.size(); ++d) {
      const Device &a = devices[d], &b = devices[d % stages];
      if (a.kind != b.kind || peaks(a) != peaks(b) ||
          a.memoryBandwidth != b.memoryBandwidth ||
          a.memoryCapacity != b.memoryCapacity ||
          a.launchOverhead != b.launchOverhead ||
          a.computeEfficiency != b.computeEfficiency ||
          a.memoryEfficiency != b.memoryEfficiency ||
          (firstOnOneNode && a.node != devices[d - d % stages].node))
        return false;
    }
    return true;
  }

  /// A pipelined step's length in chunk-stage times, times M.
  double stepUnits(const PipelinePlan &plan, const TrainingRoles &roles) const {
    size_t devices = plan.stages.size() / chosen.chunks;
    return plan.bottleneckSeconds *
           (double)(chosen.chunks * roles.microbatches + devices - 1);
  }

  /// --schedule=auto: the pipeline DP's plans with 1F1B and with
  /// interleaved 1F1B (2 stages per device, when the microbatches divide
  /// among the devices), and the one of the shorter predicted step. Leaves
  /// `chosen` and `problem` the winner's.
  llvm::Expected<PipelinePlan> planAuto(func::FuncOp function,
                                        const Machine &target,
                                        const TrainingRoles &roles,
                                        PlacementProblem &problem) {
    chosen = {ScheduleKind::OneFOneB, 1};
    llvm::Expected<PipelinePlan> plan =
        planStages(function, target, roles, problem);
    if (!plan)
      return plan;
    double oneFOneB = stepUnits(*plan, roles);
    chosen = {ScheduleKind::Interleaved, 2};
    PlacementProblem other;
    llvm::Expected<PipelinePlan> candidate =
        planStages(function, target, roles, other);
    if (!candidate) {
      llvm::consumeError(candidate.takeError());
      chosen = {ScheduleKind::OneFOneB, 1};
      return plan;
    }
    double interleaved = stepUnits(*candidate, roles);
    double perUnit = 1e3 / (double)roles.microbatches;
    autoChoice = llvm::formatv("schedule auto: 1f1b {0:f3} ms, "
                               "interleaved:v=2 {1:f3} ms predicted\n",
                               oneFOneB * perUnit, interleaved * perUnit)
                     .str();
    if (interleaved < oneFOneB) {
      problem = std::move(other);
      return candidate;
    }
    chosen = {ScheduleKind::OneFOneB, 1};
    return plan;
  }

  /// Evaluates the placement the ops carry (a dag placement may put any op
  /// anywhere; others must be pipelines): the predicted time of each
  /// device on the function, and the report and graph when asked.
  LogicalResult describe(const PlacementProblem &problem,
                         const std::optional<TrainingRoles> &roles) {
    func::FuncOp function = getOperation();
    llvm::raw_ostream &os = reportStream ? *reportStream : llvm::errs();
    // The devices: the machine's, or its chunks' (chunkedMachine).
    size_t devices = problem.pipeline.machine.devices.size() / problem.chunks;
    std::vector<double> milliseconds(devices);
    if (strategy == "dag") {
      llvm::Expected<std::vector<size_t>> devices = currentDevices(problem);
      llvm::Expected<DagPlan> plan =
          devices ? evaluateDag(problem.pipeline, *devices)
                  : llvm::Expected<DagPlan>(devices.takeError());
      if (!plan)
        return function.emitError()
               << "cleave-place: " << llvm::toString(plan.takeError());
      for (size_t d : plan->devices)
        milliseconds[d] = plan->busySeconds[d] * 1e3;
      if (report)
        printDagReport(problem, *plan, os);
    } else {
      llvm::Expected<PipelinePlan> plan = currentPlan(problem);
      if (!plan)
        return function.emitError()
               << "cleave-place: " << llvm::toString(plan.takeError());
      for (const PipelineStage &stage : plan->stages)
        milliseconds[stage.device % devices] += stage.computeSeconds * 1e3;
      if (report)
        printPlacementReport(problem, *plan, os);
      if (report && roles)
        printSchedule(plan->stages.size(), roles->microbatches,
                      plan->bottleneckSeconds * 1e3, os);
      if (!reportGraph.empty())
        if (llvm::Error error =
                writePlacementGraph(problem, *plan, reportGraph))
          return function.emitError()
                 << "cleave-place: " << llvm::toString(std::move(error));
    }
    function->setAttr(kPredictedMsAttr,
                      DenseF64ArrayAttr::get(&getContext(), milliseconds));
    // And each op's own time on its device: cleave-run --report and the
    // profile show it beside the measured one.
    Builder builder(&getContext());
    for (Operation &op : function.getBody().front())
      if (auto device = op.getAttrOfType<IntegerAttr>(kDeviceAttr))
        if (double ms = opSeconds(&op, problem.pipeline.machine,
                                  precision)[device.getInt()] *
                        1e3;
            ms > 0)
          op.setAttr(kPredictedMsAttr, builder.getF64FloatAttr(ms));
    return success();
  }

  /// The training step's schedule: a row of actions per stage.
  void printSchedule(size_t stages, int64_t microbatches, double bottleneckMs,
                     llvm::raw_ostream &os) {
    size_t devices = stages / chosen.chunks, v = chosen.chunks;
    llvm::Expected<StageActions> actions =
        buildSchedule(chosen, devices, microbatches);
    llvm::Expected<ScheduleTimeline> timeline =
        actions ? simulateSchedule(*actions, microbatches)
                : llvm::Expected<ScheduleTimeline>(actions.takeError());
    if (!timeline) {
      llvm::consumeError(timeline.takeError());
      return;
    }
    os << autoChoice;
    os << llvm::formatv("schedule: {0}, {1} microbatch(es) on {2} stage(s), "
                        "bubble {3:f1}% of a stage's time\n",
                        scheduleName(chosen), microbatches, stages,
                        100.0 * scheduleBubble(chosen, devices, microbatches));
    os << llvm::formatv("predicted step: {0:f3} ms (the slowest stage's "
                        "{1:f3} ms x ({2}M + p - 1) / M)\n",
                        bottleneckMs * (v * microbatches + devices - 1) /
                            microbatches,
                        bottleneckMs, v > 1 ? "v " : "");
    printScheduleGrid(*actions, *timeline, os);
  }

  /// Stages that start at the ops named by `cuts`, on devices 0, 1, ...
  llvm::Expected<PipelinePlan> manualPlan(const PlacementProblem &problem) {
    std::vector<size_t> starts, devices = {0};
    for (const std::string &cut : cuts) {
      auto it = llvm::find_if(
          problem.ops, [&](Operation *op) { return nodeName(op) == cut; });
      if (it == problem.ops.end())
        return llvm::createStringError(llvm::inconvertibleErrorCode(),
                                       "no op is named '" + cut + "'");
      size_t index = it - problem.ops.begin();
      if (index == 0 || (!starts.empty() && index <= starts.back()))
        return llvm::createStringError(
            llvm::inconvertibleErrorCode(),
            "cut '" + cut +
                "' must come after the first op and after the "
                "cuts before it");
      starts.push_back(index);
      devices.push_back(devices.size());
    }
    if (devices.size() > problem.pipeline.machine.devices.size())
      return llvm::createStringError(
          llvm::inconvertibleErrorCode(),
          llvm::formatv("{0} cuts make {1} stages, but there are {2} devices",
                        starts.size(), devices.size(),
                        problem.pipeline.machine.devices.size())
              .str());
    return evaluatePipeline(problem.pipeline, starts, devices);
  }

  /// Each op on the device its ONNX node's pipeline_stage names.
  LogicalResult onnxStages(const PlacementProblem &problem) {
    size_t devices = problem.pipeline.machine.devices.size();
    std::vector<size_t> stages;
    for (Operation *op : problem.ops) {
      auto stage = op->getAttrOfType<IntegerAttr>(kOnnxStageAttr);
      if (!stage)
        return op->emitError()
               << "cleave-place: node '" << nodeName(op)
               << "' has no pipeline_stage in the model; --placement=onnx "
                  "needs one on every node";
      if (stage.getInt() < 0 || (size_t)stage.getInt() >= devices)
        return op->emitError()
               << "cleave-place: node '" << nodeName(op)
               << "' has pipeline_stage " << stage.getInt() << ", but the "
               << "machine has " << devices << " devices";
      stages.push_back(stage.getInt());
    }
    applyDevices(problem, stages);
    return success();
  }

  LogicalResult readPlacement(const PlacementProblem &problem) {
    Operation *function = getOperation();
    auto buffer = llvm::MemoryBuffer::getFile(placementIn, /*IsText=*/true);
    if (!buffer)
      return function->emitError()
             << "cleave-place: cannot read " << placementIn << ": "
             << buffer.getError().message();
    llvm::Expected<llvm::json::Value> json =
        llvm::json::parse((*buffer)->getBuffer());
    if (!json)
      return function->emitError()
             << "cleave-place: " << placementIn
             << ": not valid JSON: " << llvm::toString(json.takeError());
    const llvm::json::Object *root = json->getAsObject();
    const llvm::json::Object *ops = root ? root->getObject("ops") : nullptr;
    if (!root || root->getString("format") != "cleave-placement" ||
        root->getInteger("version") != 1 || !ops)
      return function->emitError()
             << "cleave-place: " << placementIn
             << ": not a version 1 cleave placement (expected {\"format\": "
                "\"cleave-placement\", \"version\": 1, \"ops\": {...}})";
    for (Operation *op : problem.ops) {
      std::string name = nodeName(op);
      std::optional<int64_t> device = ops->getInteger(name);
      if (!device || *device < 0)
        return function->emitError()
               << "cleave-place: " << placementIn << " gives no device for op '"
               << name << "' (" << op->getName() << ")";
      op->setAttr(
          kDeviceAttr,
          IntegerAttr::get(IntegerType::get(op->getContext(), 64), *device));
    }
    return success();
  }

  /// One device per ONNX node: the ops a node became (a composition such
  /// as an unrolled LSTM) must share it, as readPlacement gives it back.
  LogicalResult writePlacement(const PlacementProblem &problem) {
    llvm::json::Object ops;
    for (Operation *op : problem.ops) {
      std::string name = nodeName(op);
      int64_t device = op->getAttrOfType<IntegerAttr>(kDeviceAttr).getInt();
      if (name.empty())
        return op->emitError() << "cleave-place: cannot write a placement: "
                               << "this op has no ONNX node name";
      if (std::optional<int64_t> other = ops.getInteger(name);
          other && *other != device)
        return op->emitError()
               << "cleave-place: cannot write a placement: node '" << name
               << "' is split between devices " << *other << " and "
               << device << ", and a placement gives one device per node";
      ops[name] = device;
    }
    llvm::json::Object root{{"format", "cleave-placement"},
                            {"version", 1},
                            {"machine", problem.pipeline.machine.name},
                            {"ops", std::move(ops)}};
    std::string error;
    auto file = mlir::openOutputFile(placementOut, &error);
    if (!file)
      return getOperation().emitError() << "cleave-place: " << error;
    file->os() << llvm::formatv("{0:2}", llvm::json::Value(std::move(root)))
               << "\n";
    file->keep();
    return success();
  }

  /// Where `report` goes; null: stderr.
  llvm::raw_ostream *reportStream = nullptr;
  /// The training schedule (for auto, planAuto's choice).
  Schedule chosen;
  /// What planAuto compared, for the report.
  std::string autoChoice;
  /// What --placement=auto chose, for the report.
  std::string replicaChoice;
};

} // namespace

std::unique_ptr<Pass>
cleave::graph::createPlacePass(const PlacePassOptions &options,
                               llvm::raw_ostream &report) {
  return std::make_unique<PlacePass>(options, report);
}
