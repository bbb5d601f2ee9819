//===- Compiler.cpp - the compiler as a library ---------------------------===//

#include "cleave/Compiler/Compiler.h"
#include "cleave/Import/ONNX/Importer.h"
#include "cleave/InitAll.h"
#include "cleave/Target/Bundle.h"
#include "cleave/Target/TargetBackend.h"
#include "mlir/IR/DialectRegistry.h"
#include "mlir/Pass/PassManager.h"
#include "llvm/Support/Error.h"
#include "llvm/Support/FormatVariadic.h"
#include "llvm/Support/Path.h"
#include "llvm/Support/ToolOutputFile.h"
#include <chrono>

using namespace mlir;
using cleave::pipelines::Phase;

namespace cleave::compiler {

std::unique_ptr<MLIRContext> createContext() {
  DialectRegistry registry;
  registerAllDialects(registry);
  registerAllTargets();
  auto context = std::make_unique<MLIRContext>(registry);
  context->disableMultithreading();
  return context;
}

namespace {

LogicalResult error(MLIRContext &context, const Twine &message) {
  return emitError(UnknownLoc::get(&context)) << message;
}

/// Options a pipeline cannot run with, named as cleave-compile spells them.
LogicalResult checkOptions(MLIRContext &context,
                           const CompileOptions &options) {
  const target::TargetBackend *target = options.pipeline.target;
  llvm::StringRef precision =
      pipelines::precisionName(options.pipeline.precision);
  if (target && !target->supportsPrecision(precision))
    return error(context, "--precision=" + precision +
                              " needs --target=cuda "
                              "(the " +
                              target->name() + " target computes in fp32)");
  if (options.phase > Phase::Split && !target)
    return error(context,
                 "--compile-to=" + pipelines::phaseName(options.phase) +
                     " needs a --target (" + target::registeredTargetNames() +
                     ")");
  if (options.phase == Phase::Bundle && options.output == "-")
    return error(context, "a bundle needs -o <folder>");
  return success();
}

/// Writes the IR, through a temporary file renamed at the end, so no
/// failure (or crash) leaves a partial file behind.
LogicalResult writeModule(ModuleOp module, const CompileOptions &options) {
  OpPrintingFlags flags;
  // Printing in local scope skips the resource section. MLIR 22's printer
  // hex-encodes every blob before it checks an elision limit, which would
  // read all memory-mapped weights; local scope never touches them.
  if (options.elideWeights)
    flags.useLocalScope();
  if (options.debugInfo)
    flags.enableDebugInfo();
  if (llvm::Error failure =
          llvm::writeToOutput(options.output, [&](llvm::raw_ostream &os) {
            module->print(os, flags);
            os << "\n";
            return llvm::Error::success();
          }))
    return error(*module->getContext(),
                 "cannot write '" + options.output +
                     "': " + llvm::toString(std::move(failure)));
  return success();
}

} // namespace

LogicalResult compileModel(MLIRContext &context, llvm::StringRef modelPath,
                           const CompileOptions &options,
                           OwningOpRef<ModuleOp> *result) {
  if (failed(checkOptions(context, options)))
    return failure();
  // Training keeps every parameter an initializer of its own.
  onnx_import::ImportOptions import = options.import;
  import.keepParameters |= options.pipeline.training.enabled;
  // The model is imported for one microbatch of one replica.
  if (options.pipeline.training.enabled)
    import.batchSplit = int64_t(options.pipeline.training.microbatches) *
                        options.pipeline.training.replicas;
  // Each step says when it is done, with the time since the start.
  auto start = std::chrono::steady_clock::now();
  auto say = [&](const Twine &line) {
    if (options.progress)
      options.progress(
          llvm::formatv("[{0,6:f1} s] ",
                        std::chrono::duration<double>(
                            std::chrono::steady_clock::now() - start)
                            .count())
              .str() +
          line);
  };
  // The op count, only when someone reads it (a walk of the module).
  auto opCount = [&](ModuleOp module) -> std::string {
    if (!options.progress)
      return "";
    size_t ops = 0;
    module.walk([&](Operation *) { ++ops; });
    return " (" + std::to_string(ops) + " ops)";
  };
  OwningOpRef<ModuleOp> module =
      onnx_import::importOnnxFile(modelPath, context, import);
  if (!module)
    return failure();
  say("imported " + llvm::sys::path::filename(modelPath) + opCount(*module));
  // The pipeline phase by phase, so that a long compile says where it is
  // (a bundle's lowering is the bundle writer's).
  Phase last = options.phase == Phase::Bundle ? Phase::Planned : options.phase;
  for (Phase phase = Phase::Graph; phase <= last;
       phase = Phase((int)phase + 1)) {
    PassManager pm(&context);
    pipelines::buildCleavePipeline(pm, options.pipeline, Phase((int)phase - 1),
                                   phase);
    if (pm.size() == 0)
      continue;
    if (failed(pm.run(*module)))
      return failure();
    say(pipelines::phaseName(phase) + opCount(*module));
  }
  if (options.phase == Phase::Bundle) {
    target::BundleOptions bundle;
    bundle.outputDir = options.output;
    bundle.buildExecutables = options.buildExecutables;
    bundle.precision =
        pipelines::precisionName(options.pipeline.precision).str();
    bundle.modelName = options.modelName.empty()
                           ? llvm::sys::path::stem(modelPath).str()
                           : options.modelName;
    bundle.modelPath = modelPath.str();
    bundle.progress = say;
    if (failed(target::writeBundle(*module, *options.pipeline.target, bundle)))
      return failure();
  } else if (failed(writeModule(*module, options))) {
    return failure();
  }
  if (result)
    *result = std::move(module);
  return success();
}

} // namespace cleave::compiler
