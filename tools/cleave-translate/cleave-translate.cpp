//===- cleave-translate.cpp - translations into and out of Cleave IR -----===//

#include "cleave/Import/ONNX/Importer.h"
#include "mlir/Dialect/EmitC/IR/EmitC.h"
#include "mlir/Dialect/Func/IR/FuncOps.h"
#include "mlir/Support/LogicalResult.h"
#include "mlir/Target/Cpp/CppEmitter.h"
#include "mlir/Tools/mlir-translate/MlirTranslateMain.h"
#include "mlir/Tools/mlir-translate/Translation.h"

int main(int argc, char **argv) {
  cleave::onnx_import::registerImportOnnxTranslation();
  // EmitC (from convert-cleave-to-emitc) to the C++ of a device program.
  mlir::TranslateFromMLIRRegistration emitCpp(
      "emit-cpp", "translate EmitC to C++ (a device program)",
      [](mlir::Operation *op, llvm::raw_ostream &os) {
        return mlir::emitc::translateToCpp(op, os);
      },
      [](mlir::DialectRegistry &registry) {
        registry.insert<mlir::emitc::EmitCDialect, mlir::func::FuncDialect>();
      });
  return mlir::failed(
             mlir::mlirTranslateMain(argc, argv, "Cleave translation driver\n"))
             ? 1
             : 0;
}
