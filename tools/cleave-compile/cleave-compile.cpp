//===- cleave-compile.cpp - the Cleave compiler driver --------------------===//
//
// ONNX model in; out, the cleaned-up graph IR (--emit=mlir, with a per-op
// summary) or, for --target=cpu or cuda, a bundle: per-device sources
// (C++, or CUDA built by nvcc), weights, executables and a manifest that
// cleave-run reads (--emit=bundle).
//
//===----------------------------------------------------------------------===//

#include "ModelSummary.h"
#include "cleave/Import/ONNX/Importer.h"
#include "cleave/InitAll.h"
#include "cleave/Dialect/Cleave/Transforms/Passes.h"
#include "cleave/Dialect/Cleave/Transforms/Placement.h"
#include "cleave/Target/Cpu/Bundle.h"
#include "mlir/IR/Diagnostics.h"
#include "mlir/IR/DialectRegistry.h"
#include "mlir/IR/MLIRContext.h"
#include "mlir/Pass/PassManager.h"
#include "mlir/Transforms/Passes.h"
#include "llvm/Support/CommandLine.h"
#include "llvm/Support/Error.h"
#include "llvm/Support/InitLLVM.h"
#include "llvm/Support/FileSystem.h"
#include "llvm/Support/Path.h"
#include "llvm/Support/Program.h"
#include "llvm/Support/raw_ostream.h"

using namespace mlir;
namespace cl = llvm::cl;

namespace {
cl::opt<std::string> inputPath(cl::Positional, cl::desc("<model.onnx>"),
                               cl::Required);
cl::opt<std::string> outputPath("o", cl::desc("Output file ('-' for stdout)"),
                                cl::value_desc("path"), cl::init("-"));
enum class Emit { Mlir, Sources, Bundle };
cl::opt<Emit>
    emit("emit",
         cl::desc("What to produce (default: bundle with --target, else "
                  "mlir)"),
         cl::values(clEnumValN(Emit::Mlir, "mlir", "the verified graph IR"),
                    clEnumValN(Emit::Sources, "sources",
                               "a bundle without executables"),
                    clEnumValN(Emit::Bundle, "bundle",
                               "a bundle with built executables")));
enum class Target { None, Cpu, Cuda };
cl::opt<Target> target(
    "target", cl::desc("The devices to compile for"),
    cl::values(clEnumValN(Target::Cpu, "cpu", "CPU processes (oneDNN)"),
               clEnumValN(Target::Cuda, "cuda",
                          "one GPU per process (cuBLAS, cuDNN, NCCL)")),
    cl::init(Target::None));
cl::opt<std::string> precision(
    "precision",
    cl::desc("cuda: what matrix products and convolutions compute in: fp32, "
             "tf32, fp16 or bf16 (fp32 accumulation, f32 activations; the "
             "placement uses the matching peak)"),
    cl::init("fp32"));
cl::list<std::string> inputShapes(
    "input-shape",
    cl::desc("Static shape of a graph input: name:2x128 (repeatable)"),
    cl::value_desc("name:dims"));
cl::list<std::string> dimSizes(
    "dim",
    cl::desc("Size of a symbolic dimension, by name, in every input that "
             "has it: batch=8 (repeatable)"),
    cl::value_desc("name=size"));
cl::list<std::string> inputValues(
    "input-value",
    cl::desc("Fix a graph input to the value in a TensorProto file, so shapes "
             "computed from it are static: name=value.pb"),
    cl::value_desc("name=file"));
cl::opt<int64_t> defaultDimSize(
    "default-dim-size",
    cl::desc("Size for symbolic input dims left unbound (default: error)"),
    cl::init(-1));
cl::OptionCategory placementCategory("Placement");
cl::opt<std::string> machine(
    "machine",
    cl::desc("Machine preset (h100-sxm-x8, h200-x8, a100-x8, pcie-4gpu, "
             "h100-x16, local-cpu) or machine JSON file"),
    cl::init("local-cpu"), cl::cat(placementCategory));
cl::opt<unsigned> numDevices(
    "num-devices",
    cl::desc("Place on at most the first N devices of the machine (0: all; "
             "placement runs when a placement option is given)"),
    cl::init(0), cl::cat(placementCategory));
cl::opt<std::string> placement(
    "placement",
    cl::desc("pipeline (cost-model DP), dag (list scheduling for latency) "
             "or manual (--cuts)"),
    cl::init("pipeline"), cl::cat(placementCategory));
cl::list<std::string> cuts(
    "cuts", cl::desc("ONNX node names that start stages 2, 3, ... (manual)"),
    cl::CommaSeparated, cl::cat(placementCategory));
cl::opt<std::string> placementIn("placement-in",
                                 cl::desc("Read the placement from a file"),
                                 cl::cat(placementCategory));
cl::opt<std::string> placementOut("placement-out",
                                  cl::desc("Write the placement to a file"),
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
                      cl::init(false));
cl::opt<bool> noCleanup("no-cleanup",
                        cl::desc("Skip canonicalize/CSE after import"),
                        cl::init(false));
cl::opt<bool> elideWeights(
    "elide-weights",
    cl::desc("Print weights as dense_resource references without their "
             "bytes (for reading large models; the output does not reload)"),
    cl::init(false));
} // namespace

/// The placement graph as DOT, or as SVG through Graphviz's dot.
static LogicalResult writeGraph(const cleave::graph::PlacementProblem &problem,
                                const cleave::analysis::PipelinePlan &plan) {
  bool svg = llvm::StringRef(reportGraph).ends_with(".svg");
  llvm::SmallString<128> dotPath(reportGraph);
  if (svg)
    dotPath += ".dot";
  if (llvm::Error error =
          llvm::writeToOutput(dotPath, [&](llvm::raw_ostream &os) {
            cleave::graph::printPlacementDot(problem, plan, os);
            return llvm::Error::success();
          })) {
    llvm::errs() << "cleave-compile: error: " << toString(std::move(error))
                 << "\n";
    return failure();
  }
  if (!svg)
    return success();
  llvm::ErrorOr<std::string> dot = llvm::sys::findProgramByName("dot");
  if (!dot) {
    llvm::sys::fs::remove(dotPath);
    llvm::errs() << "cleave-compile: error: --report-graph=" << reportGraph
                 << " needs Graphviz's dot on PATH (or name a .dot file)\n";
    return failure();
  }
  std::string error;
  llvm::StringRef args[] = {*dot, "-Tsvg", dotPath, "-o", reportGraph};
  int rc = llvm::sys::ExecuteAndWait(*dot, args, std::nullopt, {}, 0, 0,
                                     &error);
  llvm::sys::fs::remove(dotPath);
  if (rc != 0) {
    llvm::errs() << "cleave-compile: error: dot failed: " << error << "\n";
    return failure();
  }
  return success();
}

/// The placement's predicted time per device used, for the manifest.
static std::vector<double> predictedMilliseconds;

/// Renumbers the devices the ops use to 0..k-1 (in order of first use),
/// then splits the module into one function per device.
static LogicalResult splitForBundle(ModuleOp module,
                                    const cleave::graph::PlacementProblem &problem,
                                    size_t machineDevices) {
  std::vector<int64_t> renumber(machineDevices, -1);
  int64_t next = 0;
  for (Operation *op : problem.ops) {
    int64_t device =
        op->getAttrOfType<IntegerAttr>(cleave::graph::kDeviceAttr).getInt();
    if (renumber[device] < 0)
      renumber[device] = next++;
    op->setAttr(cleave::graph::kDeviceAttr,
                IntegerAttr::get(IntegerType::get(module.getContext(), 64),
                                 renumber[device]));
  }
  PassManager split(module.getContext());
  split.nest<func::FuncOp>().addPass(
      cleave::graph::createInsertTransfersPass());
  split.addPass(cleave::graph::createSplitDevicesPass());
  return split.run(module);
}

/// The dag strategy: its report, then (for a bundle) the split.
static LogicalResult finishDag(ModuleOp module,
                               const cleave::graph::PlacementProblem &problem,
                               Emit what) {
  llvm::Expected<std::vector<size_t>> devices =
      cleave::graph::currentDevices(problem);
  llvm::Expected<cleave::analysis::DagPlan> plan =
      devices ? cleave::analysis::evaluateDag(problem.pipeline, *devices)
              : llvm::Expected<cleave::analysis::DagPlan>(devices.takeError());
  if (!plan) {
    llvm::errs() << "cleave-compile: error: " << toString(plan.takeError())
                 << "\n";
    return failure();
  }
  if (report)
    cleave::graph::printDagReport(
        problem, *plan, outputPath == "-" ? llvm::errs() : llvm::outs());
  if (what == Emit::Mlir)
    return success();
  std::vector<bool> used(problem.pipeline.machine.devices.size(), false);
  for (size_t d : plan->devices)
    if (!used[d]) {
      used[d] = true;
      predictedMilliseconds.push_back(plan->busySeconds[d] * 1e3);
    }
  return splitForBundle(module, problem,
                        problem.pipeline.machine.devices.size());
}

/// Runs cleave-place with the placement options, prints the report and
/// writes the graph. For a bundle, splits the model into one function per
/// device used.
static LogicalResult placeModel(ModuleOp module, Emit what) {
  cleave::graph::PlacePassOptions options;
  options.machine = machine;
  options.numDevices = numDevices;
  options.strategy = placement;
  options.cuts.assign(cuts.begin(), cuts.end());
  options.placementIn = placementIn;
  options.placementOut = placementOut;
  options.precision = precision;
  PassManager pm(module.getContext());
  // Place the graph the devices will run: after the CPU target's layout
  // and fusion passes (they run again per device, changing nothing more).
  if (what != Emit::Mlir) {
    pm.nest<func::FuncOp>().addPass(cleave::graph::createFuseOpsPass());
    if (target != Target::Cuda) { // cuDNN keeps NCHW.
      pm.nest<func::FuncOp>().addPass(cleave::graph::createChannelsLastPass());
      pm.nest<func::FuncOp>().addPass(cleave::graph::createFuseOpsPass());
    }
  }
  pm.nest<func::FuncOp>().addPass(cleave::graph::createPlacePass(options));
  if (failed(pm.run(module)))
    return failure();
  auto function = *module.getOps<func::FuncOp>().begin();
  llvm::Expected<cleave::analysis::Machine> loaded =
      cleave::analysis::loadMachine(machine);
  if (!loaded) { // Already reported by the pass.
    llvm::consumeError(loaded.takeError());
    return failure();
  }
  cleave::analysis::Machine target =
      numDevices ? cleave::analysis::firstDevices(*loaded, numDevices)
                 : *loaded;
  cleave::graph::PlacementProblem problem =
      cleave::graph::buildPlacementProblem(function, target, precision);
  if (placement == "dag")
    return finishDag(module, problem, what);
  llvm::Expected<cleave::analysis::PipelinePlan> plan =
      cleave::graph::currentPlan(problem);
  if (!plan) {
    llvm::errs() << "cleave-compile: error: " << toString(plan.takeError())
                 << "\n";
    return failure();
  }
  if (report)
    cleave::graph::printPlacementReport(
        problem, *plan, outputPath == "-" ? llvm::errs() : llvm::outs());
  if (!reportGraph.empty() && failed(writeGraph(problem, *plan)))
    return failure();
  for (const cleave::analysis::PipelineStage &stage : plan->stages)
    predictedMilliseconds.push_back(stage.computeSeconds * 1e3);
  if (what == Emit::Mlir)
    return success();
  // Bundles get one program per device: transfers, then the split. Devices
  // the plan leaves unused get none; the others are renumbered 0..k-1.
  return splitForBundle(module, problem, target.devices.size());
}

int main(int argc, char **argv) {
  llvm::InitLLVM init(argc, argv);
  cl::ParseCommandLineOptions(argc, argv, "Cleave compiler\n");

  DialectRegistry registry;
  cleave::registerAllDialects(registry);
  MLIRContext context(registry);
  context.disableMultithreading();
  // Diagnostics print as "cleave-compile: error: <message>".
  ScopedDiagnosticHandler handler(&context, [](Diagnostic &diag) {
    llvm::errs() << "cleave-compile: "
                 << (diag.getSeverity() == DiagnosticSeverity::Error ? "error: "
                                                                     : "note: ")
                 << diag.str() << "\n";
    return success();
  });

  cleave::onnx_import::ImportOptions options;
  if (defaultDimSize >= 0)
    options.defaultDimSize = defaultDimSize;
  for (const std::string &spec : inputShapes) {
    std::string error;
    if (failed(cleave::onnx_import::parseInputShape(spec, options, error))) {
      llvm::errs() << "cleave-compile: error: " << error << "\n";
      return 1;
    }
  }
  for (const std::string &spec : dimSizes) {
    std::string error;
    if (failed(cleave::onnx_import::parseDimSize(spec, options, error))) {
      llvm::errs() << "cleave-compile: error: " << error << "\n";
      return 1;
    }
  }
  for (const std::string &spec : inputValues) {
    std::string error;
    if (failed(cleave::onnx_import::parseInputValue(spec, options, error))) {
      llvm::errs() << "cleave-compile: error: " << error << "\n";
      return 1;
    }
  }
  OwningOpRef<ModuleOp> module =
      cleave::onnx_import::importOnnxFile(inputPath, context, options);
  if (!module)
    return 1;

  if (!llvm::is_contained({"fp32", "tf32", "fp16", "bf16"},
                          llvm::StringRef(precision))) {
    llvm::errs() << "cleave-compile: error: --precision=" << precision
                 << " is not one of fp32, tf32, fp16, bf16\n";
    return 1;
  }
  if (precision != "fp32" && target == Target::Cpu) {
    llvm::errs() << "cleave-compile: error: --precision=" << precision
                 << " needs --target=cuda (the CPU target computes in fp32)\n";
    return 1;
  }
  Emit what = emit.getNumOccurrences()
                  ? emit.getValue()
                  : (target == Target::None ? Emit::Mlir : Emit::Bundle);
  if (what != Emit::Mlir) {
    if (target == Target::None) {
      llvm::errs() << "cleave-compile: error: --emit=bundle and "
                      "--emit=sources need --target=cpu or cuda\n";
      return 1;
    }
    if (outputPath == "-") {
      llvm::errs() << "cleave-compile: error: a bundle needs -o <folder>\n";
      return 1;
    }
  }

  if (!noCleanup) {
    PassManager pm(&context);
    pm.addPass(createCanonicalizerPass());
    pm.addPass(createCSEPass());
    if (failed(pm.run(*module)))
      return 1;
  }

  bool place = numDevices || !placementIn.empty() || report ||
               !reportGraph.empty() || placement.getNumOccurrences() ||
               !cuts.empty() || !placementOut.empty();
  if (place && failed(placeModel(*module, what)))
    return 1;

  if (what != Emit::Mlir) {
    cleave::cpu::BundleOptions bundle;
    bundle.outputDir = outputPath;
    bundle.buildExecutables = what == Emit::Bundle;
    bundle.modelName = llvm::sys::path::stem(inputPath).str();
    bundle.predictedMilliseconds = predictedMilliseconds;
    bundle.target = target == Target::Cuda ? "cuda" : "cpu";
    bundle.precision = precision;
    if (failed(cleave::cpu::writeBundle(*module, bundle)))
      return 1;
    if (summary)
      llvm::errs() << "wrote bundle '" << outputPath << "'\n";
    return 0;
  }

  OpPrintingFlags flags;
  // Printing in local scope skips the resource section. MLIR 22's printer
  // hex-encodes every blob before it checks an elision limit, which would
  // read all memory-mapped weights; local scope never touches them.
  if (elideWeights)
    flags.useLocalScope();
  // writeToOutput writes a temporary file and renames it over the output at
  // the end, so no failure (or crash) leaves a partial file behind.
  if (llvm::Error error =
          llvm::writeToOutput(outputPath, [&](llvm::raw_ostream &os) {
            module->print(os, flags);
            os << "\n";
            return llvm::Error::success();
          })) {
    llvm::errs() << "cleave-compile: error: cannot write '" << outputPath
                 << "': " << llvm::toString(std::move(error)) << "\n";
    return 1;
  }
  if (summary)
    cleave::printModelSummary(*module, llvm::errs());
  return 0;
}
