//===- cleave-compile.cpp - the Cleave compiler driver --------------------===//
//
// ONNX model in; out, the IR of a phase (--compile-to=graph, placed, ...;
// --emit=mlir, with a per-op summary) or, for a --target, a bundle:
// per-device sources (C++, or CUDA built by nvcc), weights, executables and
// a manifest that cleave-run reads. Flag parsing around one call of the
// compiler library (cleave/Compiler/Compiler.h).
//
//===----------------------------------------------------------------------===//

#include "ModelSummary.h"
#include "ProfileOps.h"
#include "cleave/Analysis/Machine.h"
#include "cleave/Analysis/PipelineSchedule.h"
#include "cleave/Compiler/Compiler.h"
#include "cleave/Import/ONNX/Importer.h"
#include "cleave/Import/ONNX/StageExport.h"
#include "cleave/InitAll.h"
#include "cleave/Target/TargetBackend.h"
#include "mlir/IR/Diagnostics.h"
#include "llvm/ADT/ScopeExit.h"
#include "llvm/Support/CommandLine.h"
#include "llvm/Support/FileSystem.h"
#include "llvm/Support/FormatVariadic.h"
#include "llvm/Support/InitLLVM.h"
#include "llvm/Support/JSON.h"
#include "llvm/Support/MemoryBuffer.h"
#include "llvm/Support/raw_ostream.h"

using namespace mlir;
namespace cl = llvm::cl;
using cleave::pipelines::Phase;

namespace {
cl::OptionCategory compileCategory("Compiler");
cl::opt<std::string> inputPath(cl::Positional, cl::desc("<model.onnx>"),
                               cl::cat(compileCategory));
cl::opt<bool> listOnnxOps(
    "list-onnx-ops",
    cl::desc("Print the ONNX operators the importer supports and exit"),
    cl::cat(compileCategory));
cl::opt<std::string> outputPath("o", cl::desc("Output file ('-' for stdout)"),
                                cl::value_desc("path"), cl::init("-"),
                                cl::cat(compileCategory));
cl::OptionCategory trainingCategory("Training");
cl::opt<bool> train("train",
                    cl::desc("Compile a training step (docs/Training.md)"),
                    cl::cat(trainingCategory));
cl::opt<std::string> loss(
    "loss",
    cl::desc("cross_entropy:logits=<output>,labels=<new input>[,reduction="
             "mean|sum][,ignore_index=N], mse:prediction=<output>,target="
             "<new input>[,reduction=mean|sum] or output:<scalar output>"),
    cl::value_desc("spec"), cl::cat(trainingCategory));
cl::opt<std::string> optimizer(
    "optimizer",
    cl::desc("sgd:lr=X[,momentum=M][,nesterov=1][,weight_decay=W] or "
             "adamw:lr=X[,beta1=,beta2=,eps=,weight_decay=] (torch.optim's "
             "definitions); none: the gradients are outputs"),
    cl::value_desc("spec"), cl::cat(trainingCategory));
cl::list<std::string> trainable(
    "trainable", cl::desc("Train only initializers matching this glob "
                          "(repeatable; default: every float initializer)"),
    cl::value_desc("glob"), cl::cat(trainingCategory));
cl::list<std::string> frozen(
    "frozen", cl::desc("Keep initializers matching this glob constant "
                       "(repeatable)"),
    cl::value_desc("glob"), cl::cat(trainingCategory));
cl::opt<double> clipGradNorm(
    "clip-grad-norm",
    cl::desc("Scale the gradients down to this global L2 norm when they "
             "exceed it (torch.nn.utils.clip_grad_norm_)"),
    cl::init(0.0), cl::cat(trainingCategory));
cl::opt<unsigned> microbatches(
    "microbatches",
    cl::desc("Accumulate the gradients over M microbatches per step (axis 0 "
             "of every input splits; the step equals the unsplit one)"),
    cl::init(1), cl::cat(trainingCategory));
cl::opt<unsigned> dataParallel(
    "dp",
    cl::desc("Train N data-parallel replicas as one MPI job, each on 1/N of "
             "the batch, their gradients all-reduced; in inference, run N "
             "replicas of the placement (of --num-devices devices each, 1 "
             "by default), each a share of a run's microbatches"),
    cl::init(1), cl::cat(trainingCategory));
cl::opt<unsigned> zeroStage(
    "zero",
    cl::desc("1: each --dp replica keeps and updates 1/N of the AdamW state, "
             "its gradients reduce-scattered and parameters all-gathered "
             "(DeepSpeed's ZeRO stage 1); 0: a whole copy on each (default)"),
    cl::init(0), cl::cat(trainingCategory));
cl::opt<std::string> schedule(
    "schedule",
    cl::desc("The pipeline schedule of a training step on several devices: "
             "auto (default: 1f1b, or interleaved when the placement predicts "
             "a shorter step), 1f1b (one forward, one backward; a stage "
             "keeps at most as many microbatches as there are stages from "
             "it on), gpipe (every forward, then every backward) or "
             "interleaved[:v=N] (interleaved 1F1B: N stages per device, "
             "default 2, a bubble N times smaller; microbatches a multiple "
             "of the devices)"),
    cl::init("auto"), cl::cat(trainingCategory));
cl::opt<bool> postReceives(
    "post-receives",
    cl::desc("Post each receive ahead of its use (default); "
             "--post-receives=false receives where the reader is (to "
             "measure what posting saves)"),
    cl::init(true), cl::Hidden);
cl::opt<std::string> dropout(
    "dropout",
    cl::desc("on: Dropouts drop while training, as after model.train() "
             "(default); off: they are the identity, for comparisons"),
    cl::init("on"), cl::cat(trainingCategory));
cl::opt<uint64_t> seed("seed", cl::desc("The seed of the Dropout masks"),
                       cl::init(0), cl::cat(trainingCategory));
enum class Emit { Mlir, Sources, Bundle };
cl::opt<Emit>
    emit("emit",
         cl::desc("What to produce (default: bundle with --target, else "
                  "mlir)"),
         cl::values(clEnumValN(Emit::Mlir, "mlir", "the verified graph IR"),
                    clEnumValN(Emit::Sources, "sources",
                               "a bundle without executables"),
                    clEnumValN(Emit::Bundle, "bundle",
                               "a bundle with built executables")),
         cl::cat(compileCategory));
cl::opt<std::string> compileTo(
    "compile-to",
    cl::desc("Stop after a phase and write its IR: import, graph, placed, "
             "split, planned, lowered (or bundle)"),
    cl::value_desc("phase"), cl::cat(compileCategory));
cl::opt<std::string> target(
    "target",
    cl::desc("The devices to compile for (the registered targets are "
             "listed when the tool starts)"),
    cl::value_desc("name"), cl::cat(compileCategory));
cl::opt<std::string> precision(
    "precision",
    cl::desc("cuda: what matrix products and convolutions compute in: fp32, "
             "tf32, fp16 or bf16 (fp32 accumulation, f32 activations; the "
             "placement uses the matching peak)"),
    cl::init("fp32"), cl::cat(compileCategory));
cl::list<std::string> inputShapes(
    "input-shape",
    cl::desc("Static shape of a graph input: name:2x128 (repeatable)"),
    cl::value_desc("name:dims"), cl::cat(compileCategory));
cl::list<std::string> dimSizes(
    "dim",
    cl::desc("Size of a symbolic dimension, by name, in every input that "
             "has it: batch=8 (repeatable)"),
    cl::value_desc("name=size"), cl::cat(compileCategory));
cl::list<std::string> inputValues(
    "input-value",
    cl::desc("Fix a graph input to the value in a TensorProto file, so shapes "
             "computed from it are static: name=value.pb"),
    cl::value_desc("name=file"), cl::cat(compileCategory));
cl::opt<int64_t> defaultDimSize(
    "default-dim-size",
    cl::desc("Size for symbolic input dims left unbound (default: error)"),
    cl::init(-1), cl::cat(compileCategory));
cl::OptionCategory placementCategory("Placement");
cl::opt<std::string> machine(
    "machine",
    cl::desc("Machine preset (h100-sxm-x8, h200-x8, a100-x8, pcie-4gpu, "
             "h100-x16, local-cpu) or machine JSON file"),
    cl::init("local-cpu"), cl::cat(placementCategory));
cl::opt<std::string> opProfile(
    "op-profile",
    cl::desc("An op profile (cleave-calibrate --model): the measured time "
             "of each op it holds replaces the roofline's"),
    cl::value_desc("file"), cl::init(""), cl::cat(placementCategory));
cl::opt<bool> profileOpsFirst(
    "profile-ops",
    cl::desc("Time every op with the runtime's kernels first "
             "(cleave-calibrate --model with this compile's shape and "
             "training flags; on several devices also as placed on them) "
             "and place with those times (CPU)"),
    cl::cat(placementCategory));
cl::opt<unsigned> numDevices(
    "num-devices",
    cl::desc("Place on at most the first N devices of the machine (0: all; "
             "placement runs when a placement option is given)"),
    cl::init(0), cl::cat(placementCategory));
cl::opt<std::string> placement(
    "placement",
    cl::desc("pipeline (cost-model DP), auto (inference: pipeline stages, "
             "or data-parallel replicas of fewer where the cost model "
             "predicts 10% more throughput), dag (list scheduling for "
             "latency), manual (--cuts) or onnx (the model's per-node "
             "pipeline_stage, ONNX IR 11)"),
    cl::init("pipeline"), cl::cat(placementCategory));
cl::list<std::string>
    cuts("cuts",
         cl::desc("ONNX node names that start stages 2, 3, ... (manual)"),
         cl::CommaSeparated, cl::cat(placementCategory));
cl::opt<std::string> placementIn("placement-in",
                                 cl::desc("Read the placement from a file"),
                                 cl::cat(placementCategory));
cl::opt<std::string> placementOut("placement-out",
                                  cl::desc("Write the placement to a file: "
                                           "JSON, or with .onnx a copy of "
                                           "the model whose nodes carry "
                                           "their pipeline_stage"),
                                  cl::cat(placementCategory));
cl::opt<bool> report("report",
                     cl::desc("Print the placement table (per device: ops, "
                              "memory, predicted time, transfers)"),
                     cl::init(false), cl::cat(placementCategory));
cl::opt<std::string> reportGraph(
    "report-graph",
    cl::desc("Write the graph coloured by device: .svg (needs Graphviz's "
             "dot) or .dot"),
    cl::cat(placementCategory));
cl::opt<bool> summary("summary",
                      cl::desc("Print a per-op summary of the model to stderr"),
                      cl::init(false), cl::cat(compileCategory));
cl::opt<bool> noCleanup("no-cleanup",
                        cl::desc("Skip canonicalize/CSE after import"),
                        cl::init(false), cl::cat(compileCategory));
cl::opt<bool> elideWeights(
    "elide-weights",
    cl::desc("Print weights as dense_resource references without their "
             "bytes (for reading large models; the output does not reload)"),
    cl::init(false), cl::cat(compileCategory));
cl::opt<bool> debugInfo(
    "debug-info",
    cl::desc("Print each op's location (its ONNX node) in the IR, so that a "
             "later phase reading it keeps the names of reports and "
             "profiles (cleave-opt: --mlir-print-debuginfo)"),
    cl::init(false), cl::cat(compileCategory));
cl::opt<bool> verbose(
    "verbose",
    cl::desc("Print a line per phase and per device built, with the time "
             "so far (the default when stderr is a terminal)"),
    cl::init(false), cl::cat(compileCategory));
int fail(const llvm::Twine &message) {
  llvm::errs() << "cleave-compile: error: " << message << "\n";
  return 1;
}
} // namespace

/// The copy of the model with the placement the pass wrote to `json` as
/// each node's pipeline stage (--placement-out=<file>.onnx).
static LogicalResult writePlacedModel(const std::string &json) {
  auto buffer = llvm::MemoryBuffer::getFile(json, /*IsText=*/true);
  llvm::Expected<llvm::json::Value> value =
      buffer ? llvm::json::parse((*buffer)->getBuffer())
             : llvm::Expected<llvm::json::Value>(llvm::createStringError(
                   buffer.getError(), "cannot read the placement"));
  const llvm::json::Object *ops =
      value && value->getAsObject() ? value->getAsObject()->getObject("ops")
                                    : nullptr;
  if (!ops) {
    if (!value)
      llvm::consumeError(value.takeError());
    fail("--placement-out: the placement was not written");
    return failure();
  }
  llvm::StringMap<int64_t> stages;
  int64_t devices = 1;
  for (const auto &[name, device] : *ops) {
    stages[name.str()] = device.getAsInteger().value_or(0);
    devices = std::max(devices, stages[name.str()] + 1);
  }
  std::string error;
  if (failed(cleave::onnx_import::writeModelWithStages(
          inputPath, stages, devices, placementOut, error))) {
    fail("--placement-out=" + placementOut + ": " + error);
    return failure();
  }
  return success();
}

int main(int argc, char **argv) {
  llvm::InitLLVM init(argc, argv);
  cl::HideUnrelatedOptions(
      {&compileCategory, &placementCategory, &trainingCategory});
  // --help lists the registered targets.
  cleave::registerAllTargets();
  static std::string targetHelp = "The devices to compile for:";
  for (auto [i, backend] :
       llvm::enumerate(cleave::target::registeredTargetBackends()))
    targetHelp += (i ? "; " : " ") + backend->name().str() + ": " +
                  backend->description().str();
  target.setDescription(targetHelp);
  cl::ParseCommandLineOptions(argc, argv, "Cleave compiler\n");
  if (listOnnxOps) {
    for (llvm::StringRef op : cleave::onnx_import::supportedOnnxOperators())
      llvm::outs() << op << "\n";
    return 0;
  }
  if (inputPath.empty())
    return fail("no model given (cleave-compile <model.onnx> ...; see "
                "--help)");

  std::unique_ptr<MLIRContext> context = cleave::compiler::createContext();
  // Diagnostics print as "cleave-compile: error: <message>".
  ScopedDiagnosticHandler handler(context.get(), [](Diagnostic &diag) {
    llvm::errs() << "cleave-compile: "
                 << (diag.getSeverity() == DiagnosticSeverity::Error ? "error: "
                                                                     : "note: ")
                 << diag.str() << "\n";
    return success();
  });

  cleave::compiler::CompileOptions options;
  cleave::onnx_import::ImportOptions &import = options.import;
  if (defaultDimSize >= 0)
    import.defaultDimSize = defaultDimSize;
  std::string error;
  for (const std::string &spec : inputShapes)
    if (failed(cleave::onnx_import::parseInputShape(spec, import, error)))
      return fail(error);
  for (const std::string &spec : dimSizes)
    if (failed(cleave::onnx_import::parseDimSize(spec, import, error)))
      return fail(error);
  for (const std::string &spec : inputValues)
    if (failed(cleave::onnx_import::parseInputValue(spec, import, error)))
      return fail(error);

  cleave::pipelines::PipelineOptions &pipeline = options.pipeline;
  pipeline.cleanup = !noCleanup;
  if (!target.empty()) {
    pipeline.target = cleave::target::lookupTargetBackend(target);
    if (!pipeline.target)
      return fail("unknown --target=" + target + " (expected " +
                  cleave::target::registeredTargetNames() + ")");
  }
  if (train) {
    if (loss.empty())
      return fail("--train needs a --loss");
    pipeline.training.enabled = true;
    pipeline.training.loss = loss;
    pipeline.training.optimizer =
        optimizer == "none" ? std::string() : optimizer.getValue();
    if (optimizer.empty())
      return fail("--train needs an --optimizer (or --optimizer=none for "
                  "the gradients as outputs)");
    pipeline.training.trainable.assign(trainable.begin(), trainable.end());
    pipeline.training.frozen.assign(frozen.begin(), frozen.end());
    pipeline.training.clipGradNorm = clipGradNorm;
    if (clipGradNorm.getNumOccurrences() && optimizer == "none")
      return fail("--clip-grad-norm needs an optimizer to clip for");
    if (microbatches == 0 || dataParallel == 0)
      return fail("--microbatches and --dp must be positive");
    pipeline.training.microbatches = microbatches;
    pipeline.training.replicas = dataParallel;
    if (zeroStage > 1)
      return fail("--zero=" + std::to_string(zeroStage) +
                  ": only stage 1 (the optimizer state) is sharded so far");
    if (zeroStage == 1 && dataParallel < 2)
      return fail("--zero=1 shards the optimizer state over --dp replicas: "
                  "give --dp=N with N > 1");
    if (zeroStage == 1 && !llvm::StringRef(optimizer).starts_with("adamw"))
      return fail("--zero=1 shards AdamW's moments: it needs "
                  "--optimizer=adamw:... (SGD's momentum is not sharded yet)");
    if (zeroStage == 1 && clipGradNorm > 0)
      return fail("--zero=1 and --clip-grad-norm do not combine yet (the "
                  "norm needs every gradient's whole sum)");
    pipeline.training.zero = zeroStage;
    if (dropout != "on" && dropout != "off")
      return fail("--dropout=" + dropout + " is not on or off");
    pipeline.training.dropout = dropout == "on";
    pipeline.training.seed = seed;
    if (schedule != "auto" && !cleave::analysis::parseSchedule(schedule))
      return fail("--schedule=" + schedule +
                  " is not one of auto, 1f1b, gpipe, interleaved, "
                  "interleaved:v=N (N >= 2)");
  } else if (!loss.empty() || !optimizer.empty() || !trainable.empty() ||
             !frozen.empty() || clipGradNorm.getNumOccurrences() ||
             microbatches.getNumOccurrences() ||
             zeroStage.getNumOccurrences() || dropout.getNumOccurrences() ||
             seed.getNumOccurrences() || schedule.getNumOccurrences()) {
    return fail("--loss, --optimizer, --trainable, --frozen, "
                "--clip-grad-norm, --microbatches, --zero, --schedule, "
                "--dropout and --seed need --train "
                "(inference splits microbatches at run time: cleave-run "
                "--microbatches)");
  }
  std::optional<cleave::pipelines::Precision> parsedPrecision =
      cleave::pipelines::parsePrecision(precision);
  if (!parsedPrecision)
    return fail("--precision=" + precision +
                " is not one of fp32, tf32, fp16, bf16");
  pipeline.precision = *parsedPrecision;

  cleave::pipelines::PlacementOptions &place = pipeline.placement;
  place.enabled = numDevices || !placementIn.empty() || report ||
                  !opProfile.empty() || profileOpsFirst ||
                  !reportGraph.empty() || placement.getNumOccurrences() ||
                  !cuts.empty() || !placementOut.empty();
  place.machine = machine;
  place.numDevices = numDevices;
  // Inference replicas (a training step's are its gradients'): of one
  // device each unless --num-devices says more.
  if (!train) {
    if (dataParallel == 0)
      return fail("--dp must be positive");
    if (dataParallel > 1 && placement == "auto")
      return fail("--dp fixes the replicas and --placement=auto chooses "
                  "them: give one or the other");
    if (dataParallel > 1) {
      place.enabled = true;
      place.replicas = dataParallel;
      // One device each unless the devices are given (--num-devices, or
      // a placement that names them).
      if (!numDevices.getNumOccurrences() && placementIn.empty() &&
          cuts.empty() && placement != "onnx")
        place.numDevices = 1;
    }
  }
  std::optional<cleave::pipelines::Strategy> strategy =
      cleave::pipelines::parseStrategy(placement);
  if (!strategy)
    return fail("--placement=" + placement +
                " is not one of pipeline, auto, dag, manual, onnx");
  place.strategy = *strategy;
  place.cuts.assign(cuts.begin(), cuts.end());
  place.placementIn = placementIn;
  // An .onnx placement is the model with stages: the pass writes JSON,
  // which becomes the copy once the compile succeeds.
  bool placedModel = StringRef(placementOut).ends_with(".onnx");
  std::string placementJson;
  if (placedModel) {
    SmallString<128> path;
    if (llvm::sys::fs::createTemporaryFile("cleave-placement", "json", path))
      return fail("cannot create a temporary file");
    placementJson = path.str().str();
  }
  auto removeJson = llvm::make_scope_exit([&] {
    if (!placementJson.empty())
      llvm::sys::fs::remove(placementJson);
  });
  place.placementOut = placedModel ? placementJson : std::string(placementOut);
  place.report = report;
  place.reportGraph = reportGraph;
  place.schedule = schedule;
  place.opProfile = opProfile;
  // --profile-ops: the profile made first, in a temporary file.
  std::string madeProfile;
  auto removeProfile = llvm::make_scope_exit([&] {
    if (!madeProfile.empty())
      llvm::sys::fs::remove(madeProfile);
  });
  if (profileOpsFirst) {
    if (!opProfile.empty())
      return fail("--profile-ops makes the op profile: give it or "
                  "--op-profile, not both");
    if (!target.empty() && target != "cpu")
      return fail("--profile-ops times the CPU runtime's kernels: it "
                  "needs --target=cpu");
    cleave::ProfileOpsRequest request;
    request.model = inputPath;
    std::vector<std::string> &flags = request.compileFlags;
    request.dims.assign(dimSizes.begin(), dimSizes.end());
    request.inputShapes.assign(inputShapes.begin(), inputShapes.end());
    if (noCleanup)
      flags.push_back("--no-cleanup");
    for (const std::string &value : inputValues)
      flags.push_back("--input-value=" + value);
    if (defaultDimSize >= 0)
      flags.push_back("--default-dim-size=" + std::to_string(defaultDimSize));
    if (train) {
      flags.insert(flags.end(),
                   {"--train", "--loss=" + loss, "--optimizer=" + optimizer});
      for (const std::string &glob : trainable)
        flags.push_back("--trainable=" + glob);
      for (const std::string &glob : frozen)
        flags.push_back("--frozen=" + glob);
      if (clipGradNorm.getNumOccurrences())
        flags.push_back(
            llvm::formatv("--clip-grad-norm={0:e9}", clipGradNorm.getValue())
                .str());
      flags.push_back("--microbatches=" + std::to_string(microbatches));
      flags.push_back("--dp=" + std::to_string(dataParallel));
      if (zeroStage)
        flags.push_back("--zero=" + std::to_string(zeroStage));
      flags.push_back("--dropout=" + dropout);
      flags.push_back("--seed=" + std::to_string(seed));
    }
    llvm::Expected<cleave::analysis::Machine> loaded =
        cleave::analysis::loadMachine(machine);
    if (!loaded)
      return fail(llvm::toString(loaded.takeError()));
    request.devices = place.numDevices ? place.numDevices
                                       : (unsigned)loaded->devices.size();
    // Fail before timing anything when no device could use the profile.
    if (llvm::none_of(cleave::analysis::firstDevices(*loaded, request.devices)
                          .devices,
                      [](const cleave::analysis::Device &device) {
                        return device.kind == "cpu";
                      }))
      return fail("--profile-ops times CPU kernels, but " + loaded->name +
                  " has no CPU device to place with them");
    request.machine = machine;
    SmallString<128> path;
    if (llvm::sys::fs::createTemporaryFile("cleave-ops", "json", path))
      return fail("cannot create a temporary file");
    madeProfile = request.output = path.str().str();
    if (llvm::Error error = cleave::profileOps(argv[0], request))
      return fail(llvm::toString(std::move(error)));
    place.opProfile = madeProfile;
  }
  place.postReceives = postReceives;
  // The report shares stdout with nothing unless the IR goes there.
  place.reportStream = outputPath == "-" ? &llvm::errs() : &llvm::outs();

  // The phase: --compile-to, else --emit, else a bundle for a target and
  // the (placed) graph without one.
  options.phase = pipeline.target ? Phase::Bundle : Phase::Placed;
  if (emit.getNumOccurrences())
    options.phase = emit == Emit::Mlir ? Phase::Placed : Phase::Bundle;
  if (!compileTo.empty()) {
    std::optional<Phase> phase = cleave::pipelines::parsePhase(compileTo);
    if (!phase)
      return fail("--compile-to=" + compileTo + " is not one of " +
                  cleave::pipelines::phaseNames());
    options.phase = *phase;
  }
  if (options.phase == Phase::Bundle && !pipeline.target)
    return fail("--emit=bundle and --emit=sources need --target (" +
                cleave::target::registeredTargetNames() + ")");
  options.buildExecutables =
      !(emit.getNumOccurrences() && emit == Emit::Sources);
  options.output = outputPath;
  options.elideWeights = elideWeights;
  options.debugInfo = debugInfo;
  if (verbose || llvm::errs().is_displayed())
    options.progress = [](const llvm::Twine &line) {
      llvm::errs() << "cleave-compile: " << line << "\n";
    };

  OwningOpRef<ModuleOp> module;
  if (failed(cleave::compiler::compileModel(*context, inputPath, options,
                                            &module)))
    return 1;
  if (placedModel && failed(writePlacedModel(placementJson)))
    return 1;
  if (summary && options.phase == Phase::Bundle)
    llvm::errs() << "wrote bundle '" << outputPath << "'\n";
  else if (summary)
    cleave::printModelSummary(*module, llvm::errs());
  return 0;
}
