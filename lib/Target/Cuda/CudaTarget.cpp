//===- CudaTarget.cpp - device programs on GPUs ---------------------------===//
//
// Each device is a process driving one GPU through the CUDA runtime
// (cuBLAS, cuDNN, our kernels), built by nvcc from the bundle's build.sh;
// the devices of a multi-device bundle exchange tensors over NCCL (or
// host-staged MPI, chosen at run time).
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

#ifdef CLEAVE_HAVE_CUDA
/// build.sh of a CUDA bundle: builds device_0 ... device_{k-1} (or the
/// devices it is given) from their .cu sources with nvcc. The defaults are this compiler's runtime; elsewhere,
/// CLEAVE_INCLUDE_DIR names Cleave's include/ folder and CLEAVE_LIB_DIR a
/// folder holding the runtime libraries (and libdnnl).
std::string cudaBuildScript(size_t devices, bool mpi) {
  const RuntimeLocation &runtime = runtimeLocation();
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
include=${CLEAVE_INCLUDE_DIR:-)sh" + runtime.includeDir + R"sh(}
if [ -n "${CLEAVE_LIB_DIR:-}" ]; then
  cuda_runtime=$CLEAVE_LIB_DIR/libCleaveRuntimeCuda.a
  cuda_mpi=$CLEAVE_LIB_DIR/libCleaveRuntimeCudaMpi.a
  mpi=$CLEAVE_LIB_DIR/libCleaveRuntimeMpi.a
  runtime=$CLEAVE_LIB_DIR/libCleaveRuntime.a
  lib_flags="-L$CLEAVE_LIB_DIR"
else
  cuda_runtime=)sh" + runtime.library("CleaveRuntimeCuda") + R"sh(
  cuda_mpi=)sh" + runtime.library("CleaveRuntimeCudaMpi") + R"sh(
  mpi=)sh" + runtime.library("CleaveRuntimeMpi") + R"sh(
  runtime=)sh" + runtime.library("CleaveRuntime") + R"sh(
  lib_flags=
fi
nvcc=${CLEAVE_NVCC:-)sh" CLEAVE_NVCC R"sh(}
if [ -n "${CLEAVE_CUDA_ARCH:-}" ]; then
  arch="-gencode arch=compute_$CLEAVE_CUDA_ARCH,code=sm_$CLEAVE_CUDA_ARCH"
else
  arch="-gencode arch=compute_80,code=sm_80 -gencode arch=compute_90,code=sm_90 -gencode arch=compute_90,code=compute_90"
fi
)sh";
  // The devices named on the command line (cleave-compile builds each on
  // its own, side by side), else all of them.
  text += "all=(";
  for (size_t k = 0; k < devices; ++k)
    text += (k ? " device_" : "device_") + std::to_string(k);
  text += ")\nfor device in \"${@:-${all[@]}}\"; do\n";
  text += std::string("  \"$nvcc\" -O2 -std=c++17 $arch") +
          (mpi ? " -ccbin mpicxx" : "") +
          " -Xcompiler -fopenmp -I\"$include\" \"$device.cu\" " +
          (mpi ? "\"$cuda_mpi\" \"$mpi\" " : "") +
          "\"$cuda_runtime\" \"$runtime\" $lib_flags -L" CLEAVE_CUDA_LIB_DIR
          " ${CLEAVE_LINK_FLAGS:-} -ldnnl -lgomp -l:" CLEAVE_CUBLAS_SONAME
          " -l:libcudnn.so.9" +
          std::string(mpi ? " -l:libnccl.so.2" : "") +
          " -o \"$device\"\ndone\n";
  return text;
}
#endif

class CudaTarget final : public TargetBackend {
public:
  StringRef name() const override { return "cuda"; }
  StringRef description() const override {
    return "one GPU per process (cuBLAS, cuDNN, NCCL)";
  }
  StringRef transport() const override { return "nccl"; }
  StringRef sourceExtension() const override { return ".cu"; }
  bool supportsPrecision(StringRef precision) const override {
    return llvm::is_contained({"fp32", "tf32", "fp16", "bf16"}, precision);
  }

  void buildGraphPasses(OpPassManager &pm) const override {
    // cuDNN runs NCHW in f32: the ONNX layout stays.
    pm.nest<func::FuncOp>().addPass(graph::createFuseOpsPass());
  }

  void buildLoweringPasses(OpPassManager &pm,
                           StringRef precision) const override {
    ConvertCleaveToEmitCPassOptions options;
    options.target = "cuda";
    options.precision = precision.str();
    options.filePerFunction = true;
    pm.addPass(createConvertCleaveToEmitCPass(options));
  }

  LogicalResult buildExecutables(ModuleOp module,
                                 const BundleLayout &bundle) const override {
#ifdef CLEAVE_HAVE_CUDA
    std::string script = bundle.path("build.sh");
    std::error_code ec;
    llvm::raw_fd_ostream os(script, ec);
    if (!ec)
      os << cudaBuildScript(bundle.devices, bundle.multiDevice());
    os.close();
    if (ec || os.has_error())
      return module.emitError() << "cannot write '" << script << "'";
    if (!bundle.buildExecutables)
      return success();
    llvm::ErrorOr<std::string> bash = llvm::sys::findProgramByName("bash");
    if (!bash)
      return module.emitError("cannot find bash to run the bundle's build.sh");
    // One build.sh per device, side by side, one per core.
    std::vector<BuildCommand> commands;
    for (size_t k = 0; k < bundle.devices; ++k) {
      std::string name = "device_" + std::to_string(k);
      commands.push_back({{*bash, script, name},
                          bundle.path(name + ".build.log"),
                          name});
    }
    return runBuildCommands(module, commands, bundle.progress);
#else
    if (!bundle.buildExecutables)
      return success();
    return module.emitError(
        "this cleave-compile was built without the CUDA target (no nvcc was "
        "found); --emit=sources still writes a CUDA bundle's sources");
#endif
  }
};

} // namespace

void registerCudaTarget() {
  registerTargetBackend(std::make_unique<CudaTarget>());
}

} // namespace cleave::target
