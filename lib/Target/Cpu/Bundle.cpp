//===- Bundle.cpp - a compiled model for the CPU target -------------------===//

#include "cleave/Target/Cpu/Bundle.h"
#include "cleave/Conversion/Passes.h"
#include "cleave/Dialect/Cleave/IR/CleaveOps.h"
#include "cleave/Dialect/Cleave/Transforms/Passes.h"
#include "mlir/Dialect/Func/IR/FuncOps.h"
#include "mlir/Pass/PassManager.h"
#include "mlir/Target/Cpp/CppEmitter.h"
#include "llvm/ADT/ScopeExit.h"
#include "llvm/Support/FileSystem.h"
#include "llvm/Support/FormatVariadic.h"
#include "llvm/Support/JSON.h"
#include "llvm/Support/MemoryBuffer.h"
#include "llvm/Support/Path.h"
#include "llvm/Support/Program.h"
#include "llvm/Support/raw_ostream.h"

using namespace mlir;
using namespace cleave::graph;

namespace cleave::cpu {

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

llvm::json::Array ioJson(func::FuncOp function, bool inputs) {
  llvm::json::Array list;
  TypeRange types =
      inputs ? function.getArgumentTypes() : function.getResultTypes();
  for (auto [i, type] : llvm::enumerate(types)) {
    auto name =
        inputs
            ? function.getArgAttrOfType<StringAttr>(i, CleaveDialect::kNameAttr)
            : function.getResultAttrOfType<StringAttr>(
                  i, CleaveDialect::kNameAttr);
    llvm::json::Array shape;
    for (int64_t d : cast<ShapedType>(type).getShape())
      shape.push_back(d);
    list.push_back(llvm::json::Object{
        {"name", name ? name.str()
                      : (inputs ? "input_" : "output_") + std::to_string(i)},
        {"dtype", elementName(type)},
        {"shape", std::move(shape)}});
  }
  return list;
}

/// The CMakeLists.txt that rebuilds the executables against an installed
/// or built Cleave runtime.
std::string rebuildRecipe() {
  return "# Rebuilds this bundle's device executables.\n"
         "#   cmake -S . -B build -DCLEAVE_RUNTIME_DIR=<cleave source> \\\n"
         "#     -DCLEAVE_RUNTIME_LIBRARY=<path of libCleaveRuntime.a>\n"
         "cmake_minimum_required(VERSION 3.20)\n"
         "project(cleave_bundle CXX)\n"
         "set(CMAKE_CXX_STANDARD 17)\n"
         "find_package(dnnl REQUIRED CONFIG)\n"
         "find_package(OpenMP REQUIRED)\n"
         "set(CLEAVE_RUNTIME_DIR \"" CLEAVE_RUNTIME_INCLUDE_DIR
         "/..\" CACHE PATH \"Cleave source folder\")\n"
         "set(CLEAVE_RUNTIME_LIBRARY \"" CLEAVE_RUNTIME_LIBRARY
         "\" CACHE FILEPATH \"libCleaveRuntime.a\")\n"
         "add_executable(device_0 device_0.cc)\n"
         "target_include_directories(device_0 PRIVATE "
         "${CLEAVE_RUNTIME_DIR}/include)\n"
         "target_link_libraries(device_0 PRIVATE ${CLEAVE_RUNTIME_LIBRARY} "
         "DNNL::dnnl OpenMP::OpenMP_CXX)\n";
}

/// Builds `source` into `executable` with the host compiler.
LogicalResult buildExecutable(ModuleOp module, StringRef source,
                              StringRef executable, StringRef logPath) {
  llvm::ErrorOr<std::string> compiler =
      llvm::sys::findProgramByName(CLEAVE_HOST_CXX);
  if (!compiler)
    return fail(module, "cannot find the host C++ compiler '" CLEAVE_HOST_CXX
                        "' to build the device executable");
  SmallVector<StringRef> args = {*compiler,
                                 "-O2",
                                 "-std=c++17",
                                 "-fopenmp",
                                 "-I" CLEAVE_RUNTIME_INCLUDE_DIR,
                                 source,
                                 CLEAVE_RUNTIME_LIBRARY,
                                 "-ldnnl",
                                 "-o",
                                 executable};
  if (StringRef(CLEAVE_DEVICE_FLAGS).size())
    args.push_back(CLEAVE_DEVICE_FLAGS);
  std::optional<StringRef> redirects[] = {std::nullopt, logPath, logPath};
  std::string message;
  int rc = llvm::sys::ExecuteAndWait(*compiler, args, std::nullopt, redirects,
                                     0, 0, &message);
  if (rc == 0)
    return success();
  std::string log;
  if (auto buffer = llvm::MemoryBuffer::getFile(logPath))
    log = (*buffer)->getBuffer().take_front(4000).str();
  return fail(module,
              "building the device executable failed (" +
                  (message.empty() ? "exit " + std::to_string(rc) : message) +
                  "):\n" + log);
}

} // namespace

LogicalResult writeBundle(ModuleOp module, const BundleOptions &options) {
  auto functions = llvm::to_vector(module.getOps<func::FuncOp>());
  if (functions.size() != 1 || functions.front().getName() != "main")
    return fail(module, "the CPU target expects one function, @main");
  func::FuncOp function = functions.front();

  PassManager pm(module.getContext());
  OpPassManager &fpm = pm.nest<func::FuncOp>();
  fpm.addPass(createChannelsLastPass());
  fpm.addPass(createFuseOpsPass());
  fpm.addPass(createPlanMemoryPass());
  fpm.addPass(createLayoutWeightsPass());
  if (failed(pm.run(module)))
    return failure();

  // Build everything in a temporary folder beside the output, then rename.
  SmallString<256> output(options.outputDir);
  llvm::sys::path::remove_dots(output, /*remove_dot_dot=*/true);
  while (output.size() > 1 && llvm::sys::path::is_separator(output.back()))
    output.pop_back();
  SmallString<256> temporary(output);
  temporary += ".tmp-%%%%%%";
  SmallString<256> folder;
  if (std::error_code ec =
          llvm::sys::fs::createUniqueDirectory(temporary, folder))
    return fail(module, "cannot create a folder beside '" + output +
                            "': " + ec.message());
  auto cleanup =
      llvm::make_scope_exit([&] { llvm::sys::fs::remove_directories(folder); });
  auto inFolder = [&](StringRef name) {
    SmallString<256> path(folder);
    llvm::sys::path::append(path, name);
    return std::string(path);
  };

  int64_t arenaBytes =
      function->getAttrOfType<IntegerAttr>(kArenaSizeAttr).getInt();
  int64_t weightsBytes =
      function->getAttrOfType<IntegerAttr>(kWeightsSizeAttr).getInt();
  llvm::json::Array inputs = ioJson(function, true);
  llvm::json::Array outputs = ioJson(function, false);
  if (failed(writeWeightsFile(function, inFolder("device_0.weights"))))
    return failure();

  // The program is named after its device, in messages and symbols.
  function.setName("device_0");
  PassManager lower(module.getContext());
  lower.addPass(createConvertCleaveToEmitCPass());
  if (failed(lower.run(module)))
    return failure();
  std::string source;
  llvm::raw_string_ostream sourceStream(source);
  if (failed(emitc::translateToCpp(module, sourceStream)))
    return failure();
  if (failed(writeText(module, inFolder("device_0.cc"),
                       "// Generated by cleave-compile; do not edit.\n" +
                           source)) ||
      failed(writeText(module, inFolder("CMakeLists.txt"), rebuildRecipe())))
    return failure();

  llvm::json::Object device{{"index", 0},
                            {"kind", "cpu"},
                            {"executable", "device_0"},
                            {"source", "device_0.cc"},
                            {"weights", "device_0.weights"},
                            {"arena_bytes", arenaBytes},
                            {"weights_bytes", weightsBytes}};
  llvm::json::Object manifest{{"format_version", kBundleFormatVersion},
                              {"model", options.modelName},
                              {"target", "cpu"},
                              {"devices", llvm::json::Array{std::move(device)}},
                              {"inputs", std::move(inputs)},
                              {"outputs", std::move(outputs)}};
  std::string manifestText;
  llvm::raw_string_ostream(manifestText)
      << llvm::formatv("{0:2}", llvm::json::Value(std::move(manifest)));
  if (failed(writeText(module, inFolder("manifest.json"), manifestText + "\n")))
    return failure();

  if (options.buildExecutables &&
      failed(buildExecutable(module, inFolder("device_0.cc"),
                             inFolder("device_0"), inFolder("build.log"))))
    return failure();
  llvm::sys::fs::remove(inFolder("build.log"));

  // Replace an earlier bundle, never an unrelated folder.
  if (llvm::sys::fs::exists(output)) {
    SmallString<256> oldManifest(output);
    llvm::sys::path::append(oldManifest, "manifest.json");
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
  cleanup.release();
  return success();
}

} // namespace cleave::cpu
