//===- Bundle.cpp - writing a compiled model to disk ----------------------===//

#include "cleave/Target/Bundle.h"
#include "cleave/Analysis/PipelineSchedule.h"
#include "cleave/Dialect/Cleave/IR/CleaveOps.h"
#include "cleave/Dialect/Cleave/IR/ModuleAttrs.h"
#include "cleave/Dialect/Cleave/Transforms/Passes.h"
#include "cleave/Dialect/Cleave/Transforms/Placement.h"
#include "cleave/Dialect/Cleave/Transforms/TrainingPlacement.h"
#include "cleave/Runtime/BundleFormat.h"
#include "cleave/Target/TargetBackend.h"
#include "mlir/Dialect/EmitC/IR/EmitC.h"
#include "mlir/Dialect/Func/IR/FuncOps.h"
#include "mlir/Pass/PassManager.h"
#include "mlir/Target/Cpp/CppEmitter.h"
#include "llvm/ADT/ScopeExit.h"
#include "llvm/ADT/StringSet.h"
#include "llvm/Support/FileSystem.h"
#include "llvm/Support/FormatVariadic.h"
#include "llvm/Support/JSON.h"
#include "llvm/Support/Path.h"
#include "llvm/Support/raw_ostream.h"

using namespace mlir;
using namespace cleave::graph;

namespace cleave::target {

namespace {

LogicalResult fail(ModuleOp module, const Twine &message) {
  return module.emitError() << message;
}

LogicalResult writeText(ModuleOp module, StringRef path, StringRef text) {
  std::error_code ec;
  llvm::raw_fd_ostream os(path, ec);
  if (!ec) {
    os << text;
    os.close();
  }
  if (ec || os.has_error())
    return fail(module, "cannot write '" + path + "'");
  return success();
}

std::string elementName(Type type) {
  Type e = cast<ShapedType>(type).getElementType();
  std::string text;
  llvm::raw_string_ostream(text) << e;
  return text;
}

/// The manifest's list of a function's inputs or outputs.
llvm::json::Array ioJson(func::FuncOp function, bool inputs) {
  llvm::json::Array list;
  TypeRange types =
      inputs ? function.getArgumentTypes() : function.getResultTypes();
  for (auto [i, type] : llvm::enumerate(types)) {
    llvm::json::Array shape;
    for (int64_t d : cast<ShapedType>(type).getShape())
      shape.push_back(d);
    list.push_back(llvm::json::Object{{"name", ioName(function, i, inputs)},
                                      {"dtype", elementName(type)},
                                      {"shape", std::move(shape)}});
  }
  return list;
}

/// The training state in a device's weights: each variable's name, where
/// it starts in the payload, and its type (what --save files hold).
llvm::json::Array variablesJson(func::FuncOp function) {
  llvm::json::Array list;
  function.walk([&](VariableOp variable) {
    llvm::json::Array shape;
    for (int64_t d : variable.getType().getShape())
      shape.push_back(d);
    llvm::json::Object entry{
        {"name", variable.getName()},
        {"offset",
         variable->getAttrOfType<IntegerAttr>(kWeightOffsetAttr).getInt()},
        {"dtype", elementName(variable.getType())},
        {"shape", std::move(shape)}};
    // This replica's slice of axis 0 (ZeRO): the checkpoint joins them.
    if (variable.getReplicaShard())
      entry["replica_shard"] = true;
    list.push_back(std::move(entry));
  });
  return list;
}

llvm::json::Array names(const llvm::json::Array &list) {
  llvm::json::Array result;
  for (const llvm::json::Value &v : list)
    result.push_back(v.getAsObject()->getString("name")->str());
  return result;
}

/// A temporary folder beside `output`, removed unless released.
struct TemporaryFolder {
  SmallString<256> path;
  bool keep = false;
  ~TemporaryFolder() {
    if (!path.empty() && !keep)
      llvm::sys::fs::remove_directories(path);
  }
};

/// Replaces `output` (an earlier bundle, never an unrelated folder) with
/// `folder`.
LogicalResult moveIntoPlace(ModuleOp module, StringRef folder,
                            StringRef output) {
  if (llvm::sys::fs::exists(output)) {
    SmallString<256> oldManifest(output);
    llvm::sys::path::append(oldManifest, CLEAVE_BUNDLE_MANIFEST);
    if (!llvm::sys::fs::exists(oldManifest))
      return fail(module, "'" + output +
                              "' exists and is not a Cleave bundle; "
                              "refusing to replace it");
    if (std::error_code ec = llvm::sys::fs::remove_directories(output))
      return fail(module, "cannot replace '" + output + "': " + ec.message());
  }
  if (std::error_code ec = llvm::sys::fs::rename(folder, output))
    return fail(module,
                "cannot move the bundle to '" + output + "': " + ec.message());
  return success();
}

} // namespace

LogicalResult writeBundle(ModuleOp module, const TargetBackend &target,
                          const BundleOptions &options) {
  // @device_0 ... @device_{k-1}, from cleave-split-devices.
  auto functions = llvm::to_vector(module.getOps<func::FuncOp>());
  for (auto [k, function] : llvm::enumerate(functions))
    if (function.getName() != "device_" + std::to_string(k))
      return fail(module, "a bundle needs @device_0, @device_1, ... in order "
                          "(cleave-split-devices)");
  if (functions.empty())
    return fail(module, "a bundle needs at least one device function");

  // Absolute: createUniqueDirectory puts a relative path in the system's
  // temporary folder, where a relative parent (-o out/bundle) is missing
  // and from which the rename may cross file systems.
  SmallString<256> output(options.outputDir);
  if (std::error_code ec = llvm::sys::fs::make_absolute(output))
    return fail(module, "cannot resolve the output folder '" +
                            options.outputDir + "': " + ec.message());
  llvm::sys::path::remove_dots(output, /*remove_dot_dot=*/true);
  while (output.size() > 1 && llvm::sys::path::is_separator(output.back()))
    output.pop_back();
  SmallString<256> pattern(output);
  pattern += ".tmp-%%%%%%";
  TemporaryFolder folder;
  if (std::error_code ec =
          llvm::sys::fs::createUniqueDirectory(pattern, folder.path))
    return fail(module, "cannot create a folder beside '" + output +
                            "': " + ec.message());
  BundleLayout layout;
  layout.folder = std::string(folder.path);
  layout.devices = functions.size();
  if (auto replicas = functions.front()->getAttrOfType<IntegerAttr>(
          kReplicasAttr))
    layout.replicas = replicas.getInt();
  layout.buildExecutables = options.buildExecutables;
  layout.progress = options.progress;
  // A pipelined training step: its schedule and microbatches, for the
  // launcher's report.
  std::string schedule;
  int64_t microbatches = 1;
  if (auto attr = functions.front()->getAttrOfType<StringAttr>(kScheduleAttr)) {
    schedule = attr.getValue().str();
    for (func::FuncOp function : functions)
      function.walk([&](Operation *op) {
        if (auto m = op->getAttrOfType<IntegerAttr>(kMicrobatchAttr))
          microbatches = std::max(microbatches, m.getInt() + 1);
      });
  }

  // What the manifest says of each device, from the planned functions.
  llvm::json::Array devices, inputs, outputs;
  bool trains = false;
  llvm::StringSet<> seenInputs;
  for (auto [k, function] : llvm::enumerate(functions)) {
    std::string name = function.getName().str();
    if (failed(writeWeightsFile(function, layout.path(name + ".weights"))))
      return failure();
    llvm::json::Array in = ioJson(function, true),
                      out = ioJson(function, false);
    llvm::json::Object entry{
        {"index", (int64_t)k},
        {"kind", target.name()},
        {"executable", name},
        {"source", name + target.sourceExtension().str()},
        {"weights", name + ".weights"},
        {"arena_bytes",
         function->getAttrOfType<IntegerAttr>(kArenaSizeAttr).getInt()},
        {"weights_bytes",
         function->getAttrOfType<IntegerAttr>(kWeightsSizeAttr).getInt()},
        {"inputs", names(in)},
        {"outputs", names(out)}};
    if (auto predicted = function->getAttrOfType<FloatAttr>(kPredictedMsAttr))
      entry["predicted_ms"] = predicted.getValueAsDouble();
    llvm::json::Array variables = variablesJson(function);
    trains |= !variables.empty();
    if (!variables.empty())
      entry["variables"] = std::move(variables);
    devices.push_back(std::move(entry));
    // Graph inputs may go to several devices; list each once.
    for (llvm::json::Value &input : in)
      if (seenInputs.insert(*input.getAsObject()->getString("name")).second)
        inputs.push_back(std::move(input));
    for (llvm::json::Value &value : out)
      outputs.push_back(std::move(value));
  }

  // The target's lowering, then one source per device.
  PassManager lower(module.getContext());
  target.buildLoweringPasses(lower, options.precision);
  if (failed(lower.run(module)))
    return failure();
  for (size_t k = 0; k < layout.devices; ++k) {
    std::string name = "device_" + std::to_string(k);
    std::string source;
    llvm::raw_string_ostream sourceStream(source);
    if (failed(emitc::translateToCpp(module, sourceStream,
                                     /*declareVariablesAtTop=*/false, name)) ||
        failed(writeText(
            module, layout.path(name + target.sourceExtension().str()),
            "// Generated by cleave-compile; do not edit.\n" + source)))
      return failure();
  }
  if (options.progress)
    options.progress("wrote the weights and " + Twine(layout.devices) + " " +
                     target.name() + " source(s)" +
                     (layout.buildExecutables ? "; building them" : ""));
  if (failed(target.buildExecutables(module, layout)))
    return failure();
  // A training bundle keeps the model its trained weights export into.
  if (trains && !options.modelPath.empty()) {
    if (std::error_code ec = llvm::sys::fs::copy_file(
            options.modelPath, layout.path(CLEAVE_BUNDLE_MODEL)))
      return module.emitError() << "cannot copy '" << options.modelPath
                                << "' into the bundle: " << ec.message();
    // With its external data, at the same places beside it (the importer
    // checked each stays inside the model's folder).
    if (auto files = module->getAttrOfType<ArrayAttr>(
            graph::kExternalDataAttr))
      for (StringAttr file : files.getAsRange<StringAttr>()) {
        llvm::SmallString<256> from(
            llvm::sys::path::parent_path(options.modelPath));
        llvm::sys::path::append(from, file.getValue());
        std::string to = layout.path(file.getValue().str());
        std::error_code ec = llvm::sys::fs::create_directories(
            llvm::sys::path::parent_path(to));
        if (!ec)
          ec = llvm::sys::fs::copy_file(from, to);
        if (ec)
          return module.emitError()
                 << "cannot copy the external data '" << file.getValue()
                 << "' into the bundle: " << ec.message();
      }
  }

  llvm::json::Object manifest{
      {"format_version", CLEAVE_BUNDLE_FORMAT_VERSION},
      {"model", options.modelName},
      {"target", target.name()},
      {"transport", layout.multiDevice() ? target.transport() : "none"},
      {"devices", std::move(devices)},
      {"precision", options.precision},
      {"inputs", std::move(inputs)},
      {"outputs", std::move(outputs)}};
  if (trains && !options.modelPath.empty())
    manifest["model_file"] = CLEAVE_BUNDLE_MODEL;
  if (layout.replicas > 1)
    manifest["replicas"] = (int64_t)layout.replicas;
  if (!schedule.empty()) {
    manifest["schedule"] = schedule;
    manifest["microbatches"] = microbatches;
    // The share of a step each device idles with equal stages.
    if (std::optional<analysis::Schedule> parsed =
            analysis::parseSchedule(schedule))
      manifest["bubble"] = analysis::scheduleBubble(*parsed, functions.size(),
                                                    (size_t)microbatches);
  }
  std::string manifestText;
  llvm::raw_string_ostream(manifestText)
      << llvm::formatv("{0:2}", llvm::json::Value(std::move(manifest)));
  if (failed(writeText(module, layout.path(CLEAVE_BUNDLE_MANIFEST),
                       manifestText + "\n")) ||
      failed(moveIntoPlace(module, folder.path, output)))
    return failure();
  folder.keep = true;
  return success();
}

} // namespace cleave::target
