//===- cleave-translate.cpp - translations into and out of Cleave IR -----===//

#include "cleave/Import/ONNX/Importer.h"
#include "mlir/Support/LogicalResult.h"
#include "mlir/Tools/mlir-translate/MlirTranslateMain.h"

int main(int argc, char **argv) {
  cleave::onnx_import::registerImportOnnxTranslation();
  return mlir::failed(
             mlir::mlirTranslateMain(argc, argv, "Cleave translation driver\n"))
             ? 1
             : 0;
}
