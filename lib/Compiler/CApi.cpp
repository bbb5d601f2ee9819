//===- CApi.cpp - the compiler's C interface ------------------------------===//

#include "cleave/Compiler/CApi.h"
#include "cleave/Compiler/Compiler.h"
#include "cleave/Target/TargetBackend.h"
#include "mlir/IR/Diagnostics.h"
#include <cstdlib>
#include <cstring>

using namespace cleave;
using namespace cleave::compiler;

namespace {

/// The options the C struct gives, or an error message.
std::string translate(const cleave_compile_options &given,
                      CompileOptions &options) {
  pipelines::PipelineOptions &pipeline = options.pipeline;
  if (given.target) {
    pipeline.target = target::lookupTargetBackend(given.target);
    if (!pipeline.target)
      return std::string("unknown target '") + given.target + "' (expected " +
             target::registeredTargetNames() + ")";
  }
  if (given.precision) {
    std::optional<pipelines::Precision> precision =
        pipelines::parsePrecision(given.precision);
    if (!precision)
      return std::string("unknown precision '") + given.precision + "'";
    pipeline.precision = *precision;
  }
  pipelines::PlacementOptions &placement = pipeline.placement;
  placement.enabled = given.machine || given.strategy || given.num_devices;
  if (given.machine)
    placement.machine = given.machine;
  placement.numDevices = given.num_devices;
  if (given.strategy) {
    std::optional<pipelines::Strategy> strategy =
        pipelines::parseStrategy(given.strategy);
    if (!strategy)
      return std::string("unknown strategy '") + given.strategy + "'";
    placement.strategy = *strategy;
  }
  std::string error;
  for (size_t i = 0; i < given.num_dims; ++i)
    if (failed(onnx_import::parseDimSize(given.dims[i], options.import, error)))
      return error;
  for (size_t i = 0; i < given.num_input_shapes; ++i)
    if (failed(onnx_import::parseInputShape(given.input_shapes[i],
                                            options.import, error)))
      return error;
  if (given.compile_to) {
    std::optional<pipelines::Phase> phase =
        pipelines::parsePhase(given.compile_to);
    if (!phase)
      return std::string("unknown phase '") + given.compile_to +
             "' (expected " + pipelines::phaseNames() + ")";
    options.phase = *phase;
  } else if (!pipeline.target) {
    options.phase =
        placement.enabled ? pipelines::Phase::Placed : pipelines::Phase::Graph;
  }
  options.buildExecutables = given.build_executables != 0;
  if (given.loss) {
    pipelines::TrainingOptions &training = pipeline.training;
    training.enabled = true;
    training.loss = given.loss;
    if (given.optimizer)
      training.optimizer = given.optimizer;
    for (size_t i = 0; i < given.num_trainable; ++i)
      training.trainable.push_back(given.trainable[i]);
    for (size_t i = 0; i < given.num_frozen; ++i)
      training.frozen.push_back(given.frozen[i]);
  } else if (given.optimizer || given.num_trainable || given.num_frozen) {
    return "optimizer, trainable and frozen need a loss";
  }
  return "";
}

char *copy(const std::string &text) {
  char *result = static_cast<char *>(std::malloc(text.size() + 1));
  if (result)
    std::memcpy(result, text.c_str(), text.size() + 1);
  return result;
}

} // namespace

extern "C" void cleave_compile_options_init(cleave_compile_options *options) {
  std::memset(options, 0, sizeof(*options));
  options->build_executables = 1;
}

extern "C" int cleave_compile(const char *model_path, const char *output,
                              const cleave_compile_options *given,
                              char **message) {
  if (message)
    *message = nullptr;
  std::unique_ptr<mlir::MLIRContext> context = createContext();
  std::string diagnostics;
  mlir::ScopedDiagnosticHandler handler(
      context.get(), [&](mlir::Diagnostic &diag) {
        diagnostics +=
            (diag.getSeverity() == mlir::DiagnosticSeverity::Error ? "error: "
                                                                   : "note: ") +
            diag.str() + "\n";
        return mlir::success();
      });
  cleave_compile_options defaults;
  cleave_compile_options_init(&defaults);
  CompileOptions options;
  options.output = output ? output : "-";
  std::string error = translate(given ? *given : defaults, options);
  bool ok = error.empty() && model_path &&
            succeeded(compileModel(*context, model_path, options));
  if (!model_path)
    error = "no model path";
  if (!error.empty())
    diagnostics += "error: " + error + "\n";
  if (!ok && message)
    *message = copy(diagnostics);
  return ok ? 0 : 1;
}

extern "C" void cleave_free(char *message) { std::free(message); }
