//===- InitAll.cpp - register Cleave's dialects and passes ----------------===//

#include "cleave/InitAll.h"
#include "cleave/Conversion/Passes.h"
#include "cleave/Dialect/Cleave/Autodiff/GradientBuilder.h"
#include "cleave/Dialect/Cleave/IR/CleaveDialect.h"
#include "cleave/Dialect/Runtime/IR/RuntimeDialect.h"
#include "cleave/Dialect/Cleave/Transforms/Passes.h"
#include "cleave/Pipelines/Pipelines.h"
#include "mlir/Dialect/Func/Extensions/InlinerExtension.h"
#include "mlir/Dialect/EmitC/IR/EmitC.h"
#include "mlir/Dialect/Func/IR/FuncOps.h"
#include "mlir/IR/DialectRegistry.h"
#include "mlir/Transforms/Passes.h"

void cleave::registerAllDialects(mlir::DialectRegistry &registry) {
  registry.insert<cleave::graph::CleaveDialect, cleave::rt::CleaveRtDialect,
                  mlir::func::FuncDialect,
                  mlir::emitc::EmitCDialect>();
  mlir::func::registerInlinerExtension(registry);
  cleave::graph::registerGradientRules(registry);
}

namespace cleave::target {
#define CLEAVE_TARGET(Name) void register##Name##Target();
#include "cleave/Target/Targets.def"
} // namespace cleave::target

void cleave::registerAllTargets() {
  static bool registered = [] {
#define CLEAVE_TARGET(Name) cleave::target::register##Name##Target();
#include "cleave/Target/Targets.def"
    return true;
  }();
  (void)registered;
}

void cleave::registerAllPasses() {
  cleave::graph::registerCleavePasses();
  cleave::registerCleaveConversionPasses();
  // Generic graph cleanup used by every pipeline.
  mlir::registerCanonicalizerPass();
  mlir::registerCSEPass();
  mlir::registerSymbolDCEPass();
  mlir::registerInlinerPass();
  mlir::registerSCCPPass();
  registerAllTargets();
  cleave::pipelines::registerCleavePipelines();
}
