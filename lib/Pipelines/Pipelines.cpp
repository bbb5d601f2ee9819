//===- Pipelines.cpp - the compiler's phases as pass pipelines ------------===//

#include "cleave/Pipelines/Pipelines.h"
#include "cleave/Dialect/Cleave/Transforms/Passes.h"
#include "cleave/Target/TargetBackend.h"
#include "mlir/Dialect/Func/IR/FuncOps.h"
#include "mlir/Pass/PassOptions.h"
#include "mlir/Pass/PassRegistry.h"
#include "mlir/Transforms/Passes.h"
#include "llvm/ADT/StringExtras.h"

using namespace mlir;

namespace cleave::pipelines {

namespace {
constexpr llvm::StringLiteral kPhaseNames[] = {
    "import", "graph", "placed", "split", "planned", "lowered", "bundle"};
constexpr llvm::StringLiteral kPrecisionNames[] = {"fp32", "tf32", "fp16",
                                                   "bf16"};
constexpr llvm::StringLiteral kStrategyNames[] = {"pipeline", "auto", "dag",
                                                  "manual", "onnx"};

template <typename Enum, size_t N>
std::optional<Enum> parse(const llvm::StringLiteral (&names)[N],
                          llvm::StringRef name) {
  for (size_t i = 0; i < N; ++i)
    if (names[i] == name)
      return static_cast<Enum>(i);
  return std::nullopt;
}
} // namespace

llvm::StringRef phaseName(Phase phase) {
  return kPhaseNames[static_cast<size_t>(phase)];
}
std::optional<Phase> parsePhase(llvm::StringRef name) {
  return parse<Phase>(kPhaseNames, name);
}
std::string phaseNames() {
  return llvm::join(llvm::ArrayRef<llvm::StringLiteral>(kPhaseNames), ", ");
}

llvm::StringRef precisionName(Precision precision) {
  return kPrecisionNames[static_cast<size_t>(precision)];
}
std::optional<Precision> parsePrecision(llvm::StringRef name) {
  return parse<Precision>(kPrecisionNames, name);
}

llvm::StringRef strategyName(Strategy strategy) {
  return kStrategyNames[static_cast<size_t>(strategy)];
}
std::optional<Strategy> parseStrategy(llvm::StringRef name) {
  return parse<Strategy>(kStrategyNames, name);
}

namespace {

/// After cleanup: cleave-make-trainable comes first, in addGraphPasses,
/// so that the cleanup folds no parameter away.
void addTrainingPasses(OpPassManager &pm, const TrainingOptions &training) {
  OpPassManager &functions = pm.nest<func::FuncOp>();
  functions.addPass(graph::createTrainBatchNormPass());
  functions.addPass(graph::createAddLossPass({training.loss}));
  functions.addPass(graph::createAutodiffPass());
  if (training.microbatches > 1 || training.replicas > 1) {
    graph::AccumulateGradientsPassOptions accumulate;
    accumulate.microbatches = training.microbatches;
    accumulate.replicas = training.replicas;
    functions.addPass(graph::createAccumulateGradientsPass(accumulate));
  }
  // "none" (or nothing): the gradients stay outputs.
  if (!training.optimizer.empty() && training.optimizer != "none")
    functions.addPass(graph::createOptimizePass(
        {training.optimizer, training.clipGradNorm}));
  // The forward outputs the loss does not need go.
  pm.addPass(createCanonicalizerPass());
  pm.addPass(createCSEPass());
  // After the canonicalizer, which folds each gradient's 1 / (M N) into
  // its update.
  if (training.zero >= 1)
    pm.nest<func::FuncOp>().addPass(graph::createShardOptimizerPass());
}

void addGraphPasses(OpPassManager &pm, const PipelineOptions &options) {
  const TrainingOptions &training = options.training;
  // Layers the fused kernels do not compute, and every layer of a training
  // step, become graph ops before the cleanup folds their weight slices.
  pm.nest<func::FuncOp>().addPass(
      graph::createDecomposeRecurrentPass({/*all=*/training.enabled}));
  if (training.enabled) {
    graph::MakeTrainablePassOptions trainable;
    trainable.trainable.assign(training.trainable.begin(),
                               training.trainable.end());
    trainable.frozen.assign(training.frozen.begin(), training.frozen.end());
    pm.nest<func::FuncOp>().addPass(graph::createMakeTrainablePass(trainable));
    // Before the cleanup, which folds inference-mode Dropouts away.
    pm.nest<func::FuncOp>().addPass(
        graph::createTrainDropoutPass({training.dropout, training.seed}));
  }
  if (options.cleanup) {
    pm.addPass(createCanonicalizerPass());
    pm.addPass(createCSEPass());
  }
  if (options.training.enabled)
    addTrainingPasses(pm, options.training);
  if (options.target)
    options.target->buildGraphPasses(pm);
}

graph::PlacePassOptions placeOptions(const PipelineOptions &options) {
  const PlacementOptions &placement = options.placement;
  graph::PlacePassOptions place;
  place.machine = placement.machine;
  place.numDevices = placement.numDevices;
  place.strategy = strategyName(placement.strategy).str();
  place.cuts.assign(placement.cuts.begin(), placement.cuts.end());
  place.placementIn = placement.placementIn;
  place.placementOut = placement.placementOut;
  place.precision = precisionName(options.precision).str();
  place.report = placement.report;
  place.reportGraph = placement.reportGraph;
  place.schedule = placement.schedule;
  place.opProfile = placement.opProfile;
  place.replicas = placement.replicas;
  return place;
}

} // namespace

void buildCleavePipeline(OpPassManager &pm, const PipelineOptions &options,
                         Phase from, Phase to) {
  auto covers = [&](Phase phase) { return from < phase && phase <= to; };
  bool place = options.placement.enabled;
  if (covers(Phase::Graph))
    addGraphPasses(pm, options);
  if (covers(Phase::Placed) && place)
    pm.nest<func::FuncOp>().addPass(graph::createPlacePass(
        placeOptions(options), options.placement.reportStream
                                   ? *options.placement.reportStream
                                   : llvm::errs()));
  if (covers(Phase::Split)) {
    if (place) {
      // A training step's actions in its schedule's order (a no-op on
      // inference).
      pm.nest<func::FuncOp>().addPass(graph::createSchedulePipelinePass());
      pm.nest<func::FuncOp>().addPass(graph::createInsertTransfersPass());
    }
    pm.addPass(graph::createSplitDevicesPass());
    if (place && options.placement.postReceives)
      pm.nest<func::FuncOp>().addPass(graph::createPostReceivesPass());
  }
  if (!options.target)
    return;
  if (covers(Phase::Planned))
    options.target->buildPlanningPasses(pm);
  // The bundle writer lowers the planned module itself (it needs the
  // weights the lowering drops).
  if (covers(Phase::Lowered) && to != Phase::Bundle)
    options.target->buildLoweringPasses(pm, precisionName(options.precision));
}

namespace {

/// Registers a pipeline whose builder may reject its options.
template <typename Options>
void registerPipeline(
    llvm::StringRef arg, llvm::StringRef description,
    std::function<LogicalResult(OpPassManager &, const Options &,
                                function_ref<LogicalResult(const Twine &)>)>
        builder) {
  registerPassPipeline(
      arg, description,
      [builder](OpPassManager &pm, StringRef text,
                function_ref<LogicalResult(const Twine &)> errorHandler) {
        Options options;
        if (failed(options.parseFromString(text)))
          return failure();
        return builder(pm, options, errorHandler);
      },
      [](function_ref<void(const detail::PassOptions &)> handler) {
        handler(Options());
      });
}

struct GraphPipelineOptions : public PassPipelineOptions<GraphPipelineOptions> {
  Option<std::string> target{*this, "target",
                             llvm::cl::desc("Add this target's graph rewrites "
                                            "(cpu, cuda; default: none)"),
                             llvm::cl::init("")};
  Option<bool> cleanup{*this, "cleanup",
                       llvm::cl::desc("Canonicalize and CSE first"),
                       llvm::cl::init(true)};
  Option<std::string> loss{
      *this, "loss",
      llvm::cl::desc("Train: the loss (as cleave-compile's --loss)"),
      llvm::cl::init("")};
  Option<std::string> optimizer{
      *this, "optimizer",
      llvm::cl::desc("Train: the optimizer (none: gradients as outputs)"),
      llvm::cl::init("")};
  ListOption<std::string> trainable{
      *this, "trainable", llvm::cl::desc("Globs of initializers to train")};
  ListOption<std::string> frozen{
      *this, "frozen", llvm::cl::desc("Globs of initializers to keep")};
  Option<unsigned> microbatches{
      *this, "microbatches",
      llvm::cl::desc("Train: microbatches per step (the IR is one's)"),
      llvm::cl::init(1)};
  Option<unsigned> replicas{
      *this, "replicas", llvm::cl::desc("Train: data-parallel replicas"),
      llvm::cl::init(1)};
  Option<unsigned> zero{
      *this, "zero",
      llvm::cl::desc("Train: 1 shards the AdamW state over the replicas"),
      llvm::cl::init(0)};
  Option<bool> dropout{*this, "dropout",
                       llvm::cl::desc("Train: Dropouts drop (false: identity)"),
                       llvm::cl::init(true)};
  Option<uint64_t> seed{*this, "seed",
                        llvm::cl::desc("Train: the Dropout masks' seed"),
                        llvm::cl::init(0)};
};

struct PlacementPipelineOptions
    : public PassPipelineOptions<PlacementPipelineOptions> {
  Option<std::string> machine{*this, "machine",
                              llvm::cl::desc("A machine preset or JSON file"),
                              llvm::cl::init("local-cpu")};
  Option<unsigned> numDevices{*this, "num-devices",
                              llvm::cl::desc("Use at most N devices (0: all)"),
                              llvm::cl::init(0)};
  Option<std::string> strategy{*this, "strategy",
                               llvm::cl::desc("pipeline, dag, manual or onnx"),
                               llvm::cl::init("pipeline")};
  ListOption<std::string> cuts{
      *this, "cuts", llvm::cl::desc("ONNX node names that start stages")};
  Option<std::string> placementIn{*this, "placement-in",
                                  llvm::cl::desc("Read the placement")};
  Option<std::string> placementOut{*this, "placement-out",
                                   llvm::cl::desc("Write the placement")};
  Option<std::string> precision{*this, "precision",
                                llvm::cl::desc("fp32, tf32, fp16 or bf16"),
                                llvm::cl::init("fp32")};
  Option<bool> report{*this, "report",
                      llvm::cl::desc("Print the placement table to stderr"),
                      llvm::cl::init(false)};
  Option<std::string> reportGraph{*this, "report-graph",
                                  llvm::cl::desc("Write the placed graph")};
  Option<std::string> schedule{
      *this, "schedule",
      llvm::cl::desc("A training step's pipeline schedule: auto (1f1b or "
                     "interleaved:v=2, the shorter predicted step), gpipe, "
                     "1f1b or interleaved[:v=N]"),
      llvm::cl::init("auto")};
  Option<std::string> opProfile{
      *this, "op-profile",
      llvm::cl::desc("An op profile: measured times for the ops it has")};
};

struct BackendPipelineOptions
    : public PassPipelineOptions<BackendPipelineOptions> {
  Option<std::string> precision{
      *this, "precision",
      llvm::cl::desc("What products and convolutions compute in"),
      llvm::cl::init("fp32")};
};

} // namespace

void registerCleavePipelines() {
  registerPipeline<GraphPipelineOptions>(
      "cleave-graph-pipeline",
      "The graph phase: cleanup, then a target's graph rewrites",
      [](OpPassManager &pm, const GraphPipelineOptions &given,
         function_ref<LogicalResult(const Twine &)> error) -> LogicalResult {
        PipelineOptions options;
        options.cleanup = given.cleanup;
        if (!given.loss.empty()) {
          options.training.enabled = true;
          options.training.loss = given.loss;
          options.training.optimizer = given.optimizer;
          options.training.trainable.assign(given.trainable.begin(),
                                            given.trainable.end());
          options.training.frozen.assign(given.frozen.begin(),
                                         given.frozen.end());
          options.training.microbatches = given.microbatches;
          options.training.replicas = given.replicas;
          options.training.zero = given.zero;
          options.training.dropout = given.dropout;
          options.training.seed = given.seed;
        }
        if (!given.target.empty()) {
          options.target = target::lookupTargetBackend(given.target);
          if (!options.target)
            return error("unknown target '" + given.target + "' (expected " +
                         target::registeredTargetNames() + ")");
        }
        buildCleavePipeline(pm, options, Phase::Import, Phase::Graph);
        return success();
      });
  registerPipeline<PlacementPipelineOptions>(
      "cleave-placement-pipeline",
      "The placed and split phases: cleave-place, transfers, one function "
      "per device",
      [](OpPassManager &pm, const PlacementPipelineOptions &given,
         function_ref<LogicalResult(const Twine &)> error) -> LogicalResult {
        PipelineOptions options;
        PlacementOptions &placement = options.placement;
        placement.enabled = true;
        placement.machine = given.machine;
        placement.numDevices = given.numDevices;
        std::optional<Strategy> strategy = parseStrategy(given.strategy);
        std::optional<Precision> precision = parsePrecision(given.precision);
        if (!strategy)
          return error("unknown strategy '" + given.strategy +
                       "' (expected pipeline, auto, dag, manual or onnx)");
        if (!precision)
          return error("unknown precision '" + given.precision +
                       "'; expected fp32, tf32, fp16 or bf16");
        placement.strategy = *strategy;
        options.precision = *precision;
        placement.cuts.assign(given.cuts.begin(), given.cuts.end());
        placement.placementIn = given.placementIn;
        placement.placementOut = given.placementOut;
        placement.report = given.report;
        placement.reportGraph = given.reportGraph;
        placement.schedule = given.schedule;
        placement.opProfile = given.opProfile;
        buildCleavePipeline(pm, options, Phase::Graph, Phase::Split);
        return success();
      });
  for (const target::TargetBackend *backend :
       target::registeredTargetBackends()) {
    std::string name = backend->name().str();
    registerPipeline<BackendPipelineOptions>(
        "cleave-" + name + "-backend-pipeline",
        "The planned and lowered phases for the " + name + " target",
        [backend](
            OpPassManager &pm, const BackendPipelineOptions &given,
            function_ref<LogicalResult(const Twine &)> error) -> LogicalResult {
          std::optional<Precision> precision = parsePrecision(given.precision);
          if (!precision || !backend->supportsPrecision(given.precision))
            return error("the " + backend->name() +
                         " target does not compute in '" + given.precision +
                         "'");
          PipelineOptions options;
          options.target = backend;
          options.precision = *precision;
          buildCleavePipeline(pm, options, Phase::Split, Phase::Lowered);
          return success();
        });
  }
}

} // namespace cleave::pipelines
