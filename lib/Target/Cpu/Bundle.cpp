//===- Bundle.cpp - a compiled model for the CPU target -------------------===//

#include "cleave/Target/Cpu/Bundle.h"
#include "cleave/Conversion/Passes.h"
#include "cleave/Dialect/Cleave/IR/CleaveOps.h"
#include "cleave/Dialect/Cleave/Transforms/Passes.h"
#include "mlir/Dialect/Func/IR/FuncOps.h"
#include "mlir/Pass/PassManager.h"
#include "mlir/Target/Cpp/CppEmitter.h"
#include "llvm/ADT/ScopeExit.h"
#include "llvm/ADT/StringSet.h"
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
std::string rebuildRecipe(size_t devices) {
  bool mpi = devices > 1;
  std::string text =
      "# Rebuilds this bundle's device executables.\n"
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
      "\" CACHE FILEPATH \"libCleaveRuntime.a\")\n";
  if (mpi)
    text += "find_package(MPI REQUIRED COMPONENTS CXX)\n"
            "set(CLEAVE_RUNTIME_MPI_LIBRARY \"" CLEAVE_RUNTIME_MPI_LIBRARY
            "\" CACHE FILEPATH \"libCleaveRuntimeMpi.a\")\n";
  for (size_t k = 0; k < devices; ++k) {
    std::string name = "device_" + std::to_string(k);
    text += "add_executable(" + name + " " + name + ".cc)\n" +
            "target_include_directories(" + name +
            " PRIVATE ${CLEAVE_RUNTIME_DIR}/include)\n" +
            "target_link_libraries(" + name + " PRIVATE " +
            (mpi ? "${CLEAVE_RUNTIME_MPI_LIBRARY} MPI::MPI_CXX " : "") +
            "${CLEAVE_RUNTIME_LIBRARY} DNNL::dnnl OpenMP::OpenMP_CXX)\n";
  }
  return text;
}

/// Runs a build command with its output in `logPath`; on failure, the error
/// names `what` and quotes the log (its start, with the first compiler
/// error, and its end, with the linker's or build.sh's).
LogicalResult runBuild(ModuleOp module, ArrayRef<StringRef> args,
                       StringRef logPath, const Twine &what) {
  std::optional<StringRef> redirects[] = {std::nullopt, logPath, logPath};
  std::string message;
  int rc = llvm::sys::ExecuteAndWait(args.front(), args, std::nullopt,
                                     redirects, 0, 0, &message);
  if (rc == 0)
    return success();
  std::string log;
  if (auto buffer = llvm::MemoryBuffer::getFile(logPath)) {
    StringRef text = (*buffer)->getBuffer();
    log = text.size() <= 4000 ? text.str()
                              : (text.take_front(2000) + "\n...\n" +
                                 text.take_back(2000))
                                    .str();
  }
  return fail(module,
              "building " + what + " failed (" +
                  (message.empty() ? "exit " + std::to_string(rc) : message) +
                  "):\n" + log);
}

/// Builds `source` into `executable` with the host compiler.
/// Devices of a multi-device bundle build with MPI's compiler wrapper and
/// link the MPI transport.
LogicalResult buildExecutable(ModuleOp module, StringRef source,
                              StringRef executable, StringRef logPath,
                              bool mpi) {
  StringRef name = mpi ? "mpicxx" : CLEAVE_HOST_CXX;
  llvm::ErrorOr<std::string> compiler = llvm::sys::findProgramByName(name);
  if (!compiler)
    return fail(module, "cannot find the C++ compiler '" + name +
                            "' to build the device executable" +
                            (mpi ? " (install OpenMPI)" : ""));
  SmallVector<StringRef> args = {*compiler, "-O2", "-std=c++17", "-fopenmp",
                                 "-I" CLEAVE_RUNTIME_INCLUDE_DIR, source};
  if (mpi)
    args.push_back(CLEAVE_RUNTIME_MPI_LIBRARY);
  args.append({CLEAVE_RUNTIME_LIBRARY, "-ldnnl", "-o", executable});
  if (StringRef(CLEAVE_DEVICE_FLAGS).size())
    args.push_back(CLEAVE_DEVICE_FLAGS);
  return runBuild(module, args, logPath, "the device executable");
}

#ifdef CLEAVE_HAVE_CUDA
/// build.sh of a CUDA bundle: builds device_0 ... device_{k-1} from their
/// .cu sources with nvcc. The defaults are this build's paths; elsewhere,
/// CLEAVE_INCLUDE_DIR names Cleave's include/ folder and CLEAVE_LIB_DIR a
/// folder holding the runtime libraries (and libdnnl).
std::string cudaBuildScript(size_t devices) {
  bool mpi = devices > 1;
  std::string text = R"sh(#!/usr/bin/env bash
# Builds this bundle's device executables with nvcc. Environment:
#   CLEAVE_INCLUDE_DIR  Cleave's include/ folder
#   CLEAVE_LIB_DIR      a folder with libCleaveRuntimeCuda.a,
#                       libCleaveRuntime.a (+ the Mpi ones) and libdnnl
#   CLEAVE_CUDA_ARCH    one compute capability (90), default sm_80 + sm_90 + PTX
#   CLEAVE_NVCC, CLEAVE_LINK_FLAGS (extra -L folders for cuBLAS, cuDNN, NCCL;
#   named by soname, so pip's nvidia-* wheels, which have no libfoo.so, do)
set -euo pipefail
cd "$(dirname "$0")"
include=${CLEAVE_INCLUDE_DIR:-)sh" CLEAVE_RUNTIME_INCLUDE_DIR R"sh(}
if [ -n "${CLEAVE_LIB_DIR:-}" ]; then
  cuda_runtime=$CLEAVE_LIB_DIR/libCleaveRuntimeCuda.a
  cuda_mpi=$CLEAVE_LIB_DIR/libCleaveRuntimeCudaMpi.a
  mpi=$CLEAVE_LIB_DIR/libCleaveRuntimeMpi.a
  runtime=$CLEAVE_LIB_DIR/libCleaveRuntime.a
  lib_flags="-L$CLEAVE_LIB_DIR"
else
  cuda_runtime=)sh" CLEAVE_RUNTIME_CUDA_LIBRARY R"sh(
  cuda_mpi=)sh" CLEAVE_RUNTIME_CUDA_MPI_LIBRARY R"sh(
  mpi=)sh" CLEAVE_RUNTIME_MPI_LIBRARY R"sh(
  runtime=)sh" CLEAVE_RUNTIME_LIBRARY R"sh(
  lib_flags=
fi
nvcc=${CLEAVE_NVCC:-)sh" CLEAVE_NVCC R"sh(}
if [ -n "${CLEAVE_CUDA_ARCH:-}" ]; then
  arch="-gencode arch=compute_$CLEAVE_CUDA_ARCH,code=sm_$CLEAVE_CUDA_ARCH"
else
  arch="-gencode arch=compute_80,code=sm_80 -gencode arch=compute_90,code=sm_90 -gencode arch=compute_90,code=compute_90"
fi
)sh";
  text += "for device in";
  for (size_t k = 0; k < devices; ++k)
    text += " device_" + std::to_string(k);
  text += "; do\n";
  text += std::string("  \"$nvcc\" -O2 -std=c++17 $arch") +
          (mpi ? " -ccbin mpicxx" : "") +
          " -Xcompiler -fopenmp -I\"$include\" \"$device.cu\" " +
          (mpi ? "\"$cuda_mpi\" \"$mpi\" " : "") +
          "\"$cuda_runtime\" \"$runtime\" $lib_flags -L" CLEAVE_CUDA_LIB_DIR
          " ${CLEAVE_LINK_FLAGS:-} -ldnnl -lgomp -l:" CLEAVE_CUBLAS_SONAME
          " -l:libcudnn.so.9" +
          std::string(mpi ? " -l:libnccl.so.2" : "") + " -o \"$device\"\ndone\n";
  return text;
}
#endif

/// Builds a CUDA bundle's executables by running its build.sh.
LogicalResult buildCudaExecutables(ModuleOp module, StringRef folder) {
#ifdef CLEAVE_HAVE_CUDA
  SmallString<256> script(folder), logPath(folder);
  llvm::sys::path::append(script, "build.sh");
  llvm::sys::path::append(logPath, "build.log");
  llvm::ErrorOr<std::string> bash = llvm::sys::findProgramByName("bash");
  if (!bash)
    return fail(module, "cannot find bash to run the bundle's build.sh");
  StringRef args[] = {*bash, script};
  if (failed(runBuild(module, args, logPath, "the CUDA device executables")))
    return failure();
  llvm::sys::fs::remove(logPath);
  return success();
#else
  return fail(module, "this cleave-compile was built without the CUDA "
                      "target (no nvcc was found); --emit=sources still "
                      "writes a CUDA bundle's sources");
#endif
}

} // namespace

namespace {

/// What the manifest says of one device, and where its files went.
struct DeviceFiles {
  llvm::json::Object entry;
  llvm::json::Array inputs, outputs;
};

/// Plans, lowers and writes device `index` (its function alone in a module
/// of its own) into `folder`, and builds its executable.
FailureOr<DeviceFiles> writeDevice(func::FuncOp original, size_t index,
                                   bool multiDevice, StringRef folder,
                                   const BundleOptions &options) {
  MLIRContext *context = original.getContext();
  OwningOpRef<ModuleOp> owned = ModuleOp::create(original.getLoc());
  ModuleOp module = *owned;
  OpBuilder builder(module.getBodyRegion());
  auto function = cast<func::FuncOp>(builder.clone(*original));
  // The program is named after its device, in messages and symbols.
  std::string name = "device_" + std::to_string(index);
  function.setName(name);
  auto inFolder = [&](StringRef file) {
    SmallString<256> path(folder);
    llvm::sys::path::append(path, file);
    return std::string(path);
  };

  bool cuda = options.target == "cuda";
  PassManager pm(context);
  OpPassManager &fpm = pm.nest<func::FuncOp>();
  // Fusion first folds batch norms (which would block the layout change);
  // after channels-last it fuses what the transposes hid. cuDNN runs NCHW
  // in f32, so the CUDA target keeps the ONNX layout.
  fpm.addPass(createFuseOpsPass());
  if (!cuda) {
    fpm.addPass(createChannelsLastPass());
    fpm.addPass(createFuseOpsPass());
  }
  fpm.addPass(createPlanMemoryPass());
  fpm.addPass(createLayoutWeightsPass());
  if (failed(pm.run(module)))
    return failure();

  DeviceFiles files;
  files.inputs = ioJson(function, true);
  files.outputs = ioJson(function, false);
  int64_t arenaBytes =
      function->getAttrOfType<IntegerAttr>(kArenaSizeAttr).getInt();
  int64_t weightsBytes =
      function->getAttrOfType<IntegerAttr>(kWeightsSizeAttr).getInt();
  if (failed(writeWeightsFile(function, inFolder(name + ".weights"))))
    return failure();
  PassManager lower(context);
  cleave::ConvertCleaveToEmitCPassOptions lowering;
  lowering.target = options.target;
  lowering.precision = options.precision;
  lower.addPass(createConvertCleaveToEmitCPass(lowering));
  if (failed(lower.run(module)))
    return failure();
  std::string source;
  llvm::raw_string_ostream sourceStream(source);
  std::string sourceName = name + (cuda ? ".cu" : ".cc");
  if (failed(emitc::translateToCpp(module, sourceStream)) ||
      failed(writeText(module, inFolder(sourceName),
                       "// Generated by cleave-compile; do not edit.\n" +
                           source)))
    return failure();
  // CUDA bundles build all devices at once, with build.sh.
  if (!cuda && options.buildExecutables &&
      failed(buildExecutable(module, inFolder(name + ".cc"), inFolder(name),
                             inFolder(name + ".build.log"), multiDevice)))
    return failure();
  llvm::sys::fs::remove(inFolder(name + ".build.log"));

  auto names = [](const llvm::json::Array &list) {
    llvm::json::Array result;
    for (const llvm::json::Value &v : list)
      result.push_back(v.getAsObject()->getString("name")->str());
    return result;
  };
  files.entry = llvm::json::Object{{"index", (int64_t)index},
                                   {"kind", options.target},
                                   {"executable", name},
                                   {"source", sourceName},
                                   {"weights", name + ".weights"},
                                   {"arena_bytes", arenaBytes},
                                   {"weights_bytes", weightsBytes},
                                   {"inputs", names(files.inputs)},
                                   {"outputs", names(files.outputs)}};
  if (index < options.predictedMilliseconds.size())
    files.entry["predicted_ms"] = options.predictedMilliseconds[index];
  return files;
}

} // namespace

LogicalResult writeBundle(ModuleOp module, const BundleOptions &options) {
  // One @main, or @device_0 ... @device_{k-1} from cleave-split-devices.
  auto functions = llvm::to_vector(module.getOps<func::FuncOp>());
  bool single = functions.size() == 1 && functions.front().getName() == "main";
  if (!single) {
    for (auto [k, function] : llvm::enumerate(functions))
      if (function.getName() != "device_" + std::to_string(k))
        return fail(module, "the CPU target expects @main, or @device_0, "
                            "@device_1, ... in order (cleave-split-devices)");
  }
  bool multiDevice = !single && functions.size() > 1;
  if (options.target != "cpu" && options.target != "cuda")
    return fail(module, "unknown target '" + options.target + "'");
#ifndef CLEAVE_HAVE_CUDA
  if (options.target == "cuda" && options.buildExecutables)
    return buildCudaExecutables(module, "");
#endif

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

  llvm::json::Array devices, inputs, outputs;
  llvm::StringSet<> seenInputs;
  for (auto [k, function] : llvm::enumerate(functions)) {
    FailureOr<DeviceFiles> files =
        writeDevice(function, k, multiDevice, folder, options);
    if (failed(files))
      return failure();
    devices.push_back(std::move(files->entry));
    // Graph inputs may go to several devices; list each once.
    for (llvm::json::Value &input : files->inputs)
      if (seenInputs.insert(*input.getAsObject()->getString("name")).second)
        inputs.push_back(std::move(input));
    for (llvm::json::Value &out : files->outputs)
      outputs.push_back(std::move(out));
  }
  if (options.target == "cuda") {
#ifdef CLEAVE_HAVE_CUDA
    if (failed(writeText(module, inFolder("build.sh"),
                         cudaBuildScript(functions.size()))))
      return failure();
#endif
    if (options.buildExecutables &&
        failed(buildCudaExecutables(module, folder)))
      return failure();
  } else if (failed(writeText(module, inFolder("CMakeLists.txt"),
                              rebuildRecipe(functions.size())))) {
    return failure();
  }
  llvm::json::Object manifest{{"format_version", kBundleFormatVersion},
                              {"model", options.modelName},
                              {"target", options.target},
                              {"transport", !multiDevice ? "none"
                                            : options.target == "cuda" ? "nccl"
                                                                       : "mpi"},
                              {"devices", std::move(devices)},
                              {"precision", options.target == "cuda"
                                                ? options.precision
                                                : std::string("fp32")},
                              {"inputs", std::move(inputs)},
                              {"outputs", std::move(outputs)}};
  std::string manifestText;
  llvm::raw_string_ostream(manifestText)
      << llvm::formatv("{0:2}", llvm::json::Value(std::move(manifest)));
  if (failed(writeText(module, inFolder("manifest.json"), manifestText + "\n")))
    return failure();

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
