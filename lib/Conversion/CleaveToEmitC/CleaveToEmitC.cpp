//===- CleaveToEmitC.cpp - planned cleave functions to C++ ----------------===//
//
// convert-cleave-to-runtime, then convert-cleave-runtime-to-emitc with the
// header and device main of a runtime: the one pass the targets use.
//
//===----------------------------------------------------------------------===//

#include "cleave/Conversion/Passes.h"
#include "mlir/Pass/PassManager.h"
#include "llvm/ADT/StringSwitch.h"

namespace cleave {
#define GEN_PASS_DEF_CONVERTCLEAVETOEMITCPASS
#include "cleave/Conversion/Passes.h.inc"
} // namespace cleave

using namespace mlir;

namespace {

struct ConvertCleaveToEmitCPass
    : public cleave::impl::ConvertCleaveToEmitCPassBase<
          ConvertCleaveToEmitCPass> {
  using ConvertCleaveToEmitCPassBase::ConvertCleaveToEmitCPassBase;
  void runOnOperation() override {
    ModuleOp module = getOperation();
    cleave::ConvertRuntimeToEmitCPassOptions emit;
    emit.filePerProgram = filePerFunction;
    if (target == "cuda") {
      emit.header = "cleave/Runtime/CudaProgram.h";
      emit.kernels = "cleave_cuda_";
      emit.entry = "cleave_cuda_";
      emit.entryArgs = llvm::StringSwitch<std::string>(precision)
                           .Case("fp32", "CLEAVE_PRECISION_FP32")
                           .Case("tf32", "CLEAVE_PRECISION_TF32")
                           .Case("fp16", "CLEAVE_PRECISION_FP16")
                           .Case("bf16", "CLEAVE_PRECISION_BF16")
                           .Default("");
      if (emit.entryArgs.empty()) {
        module.emitError() << "unknown precision '" << precision
                           << "'; expected fp32, tf32, fp16 or bf16";
        return signalPassFailure();
      }
    } else if (target != "cpu") {
      module.emitError() << "unknown target '" << target
                         << "'; expected cpu or cuda";
      return signalPassFailure();
    }
    OpPassManager pm(ModuleOp::getOperationName());
    pm.addPass(cleave::createConvertCleaveToRuntimePass());
    pm.addPass(cleave::createConvertRuntimeToEmitCPass(emit));
    if (failed(runPipeline(pm, module)))
      signalPassFailure();
  }
};

} // namespace
