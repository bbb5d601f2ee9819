//===- CpuTarget.cpp - device programs as CPU processes -------------------===//
//
// Each device is a process running C++ against the CPU runtime (oneDNN);
// the devices of a multi-device bundle exchange tensors over MPI.
//
//===----------------------------------------------------------------------===//

#include "cleave/Conversion/Passes.h"
#include "cleave/Dialect/Cleave/Transforms/Passes.h"
#include "cleave/Target/RuntimeLocation.h"
#include "cleave/Target/TargetBackend.h"
#include "mlir/Dialect/Func/IR/FuncOps.h"
#include "llvm/Support/FileSystem.h"
#include "llvm/Support/Program.h"
#include "llvm/Support/raw_ostream.h"

using namespace mlir;

namespace cleave::target {

namespace {

/// The CMakeLists.txt that rebuilds the executables against an installed
/// Cleave runtime (find_package(CleaveRuntime)), by default the one of the
/// compiler that wrote the bundle.
std::string rebuildRecipe(size_t devices, bool mpi) {
  std::string text =
      "# Rebuilds this bundle's device executables against the Cleave "
      "runtime:\n"
      "#   cmake -S . -B build -DCMAKE_PREFIX_PATH=<runtime install prefix>\n"
      "#   cmake --build build\n"
      "cmake_minimum_required(VERSION 3.20)\n"
      "project(cleave_bundle CXX)\n"
      "set(CMAKE_CXX_STANDARD 17)\n"
      "find_package(CleaveRuntime REQUIRED CONFIG HINTS \"" +
      runtimeLocation().cmakeDir + "\")\n";
  for (size_t k = 0; k < devices; ++k) {
    std::string name = "device_" + std::to_string(k);
    text += "add_executable(" + name + " " + name + ".cc)\n" +
            "target_link_libraries(" + name + " PRIVATE " +
            (mpi ? "Cleave::RuntimeMpi" : "Cleave::Runtime") + ")\n";
  }
  return text;
}

class CpuTarget final : public TargetBackend {
public:
  StringRef name() const override { return "cpu"; }
  StringRef description() const override { return "CPU processes (oneDNN)"; }
  StringRef transport() const override { return "mpi"; }
  StringRef sourceExtension() const override { return ".cc"; }

  void buildGraphPasses(OpPassManager &pm) const override {
    // Fusion first folds batch norms (which would block the layout
    // change); after channels-last it fuses what the transposes hid.
    OpPassManager &functions = pm.nest<func::FuncOp>();
    functions.addPass(graph::createFuseOpsPass());
    functions.addPass(graph::createChannelsLastPass());
    functions.addPass(graph::createFuseOpsPass());
  }

  void buildLoweringPasses(OpPassManager &pm,
                           StringRef precision) const override {
    ConvertCleaveToEmitCPassOptions options;
    options.target = "cpu";
    options.filePerFunction = true;
    pm.addPass(createConvertCleaveToEmitCPass(options));
  }

  LogicalResult buildExecutables(ModuleOp module,
                                 const BundleLayout &bundle) const override {
    std::error_code ec;
    llvm::raw_fd_ostream recipe(bundle.path("CMakeLists.txt"), ec);
    if (!ec)
      recipe << rebuildRecipe(bundle.devices, bundle.multiDevice());
    recipe.close();
    if (ec || recipe.has_error())
      return module.emitError()
             << "cannot write '" << bundle.path("CMakeLists.txt") << "'";
    if (!bundle.buildExecutables)
      return success();
    // Devices of a multi-device bundle build with MPI's compiler wrapper
    // and link the MPI transport.
    bool mpi = bundle.multiDevice();
    StringRef compilerName = mpi ? "mpicxx" : CLEAVE_HOST_CXX;
    llvm::ErrorOr<std::string> compiler =
        llvm::sys::findProgramByName(compilerName);
    if (!compiler)
      return module.emitError()
             << "cannot find the C++ compiler '" << compilerName
             << "' to build the device executable"
             << (mpi ? " (install OpenMPI)" : "");
    const RuntimeLocation &runtime = runtimeLocation();
    std::string include = "-I" + runtime.includeDir;
    std::string library = runtime.library("CleaveRuntime");
    std::string mpiLibrary = runtime.library("CleaveRuntimeMpi");
    std::vector<BuildCommand> commands;
    for (size_t k = 0; k < bundle.devices; ++k) {
      std::string name = "device_" + std::to_string(k);
      // The kernels are in the runtime, built optimized; the generated
      // code only calls them, in a straight line, so -O2 gains nothing
      // on -O1 but compile time (4 s against 8 s for 1,500 calls), nor
      // -O1 on -Og (9.9 s against 6.9 s for 14,000 calls).
      BuildCommand command{{*compiler, "-Og", "-std=c++17", "-fopenmp",
                            include, bundle.path(name + ".cc")},
                           bundle.path(name + ".build.log"),
                           name};
      if (mpi)
        command.args.push_back(mpiLibrary);
      command.args.insert(command.args.end(),
                          {library, "-ldnnl", "-o", bundle.path(name)});
      if (StringRef(CLEAVE_DEVICE_FLAGS).size())
        command.args.push_back(CLEAVE_DEVICE_FLAGS);
      commands.push_back(std::move(command));
    }
    // The devices build side by side, one per core.
    if (failed(runBuildCommands(module, commands, bundle.progress)))
      return failure();
    return success();
  }
};

} // namespace

void registerCpuTarget() {
  registerTargetBackend(std::make_unique<CpuTarget>());
}

} // namespace cleave::target
