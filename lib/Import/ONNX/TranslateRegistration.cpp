//===- TranslateRegistration.cpp - `--import-onnx` for cleave-translate ---===//

#include "cleave/Dialect/Cleave/IR/CleaveDialect.h"
#include "cleave/Import/ONNX/Importer.h"
#include "mlir/Dialect/Func/IR/FuncOps.h"
#include "mlir/Tools/mlir-translate/Translation.h"
#include "llvm/Support/CommandLine.h"
#include "llvm/Support/SourceMgr.h"

using namespace mlir;

namespace cleave::onnx_import {

void registerImportOnnxTranslation() {
  // Options of this translation, registered when it is (function statics,
  // so tools that link the importer without it keep their own options).
  static llvm::cl::list<std::string> inputShapes(
      "input-shape",
      llvm::cl::desc("Static shape of a graph input, binding its "
                     "symbolic dims: name:2x128 (repeatable)"),
      llvm::cl::value_desc("name:dims"));
  static llvm::cl::list<std::string> dimSizes(
      "dim",
      llvm::cl::desc("Size of a symbolic dimension, by name, in every input "
                     "that has it: batch=8 (repeatable)"),
      llvm::cl::value_desc("name=size"));
  static llvm::cl::list<std::string> inputValues(
      "input-value",
      llvm::cl::desc("Fix a graph input to the value in a TensorProto file, so "
                     "shapes computed from it are static: name=value.pb"),
      llvm::cl::value_desc("name=file"));
  static llvm::cl::opt<int64_t> defaultDimSize(
      "default-dim-size",
      llvm::cl::desc("Size for symbolic input dims left unbound (default: "
                     "such a dim is an error)"),
      llvm::cl::init(-1));
  static llvm::cl::opt<bool> noFold(
      "no-import-folding",
      llvm::cl::desc("Do not fold constant subgraphs "
                     "while importing"),
      llvm::cl::init(false));

  TranslateToMLIRRegistration registration(
      "import-onnx", "import an ONNX model into the cleave dialect",
      [](llvm::SourceMgr &sourceMgr,
         MLIRContext *context) -> OwningOpRef<Operation *> {
        const llvm::MemoryBuffer *buffer =
            sourceMgr.getMemoryBuffer(sourceMgr.getMainFileID());
        StringRef path = buffer->getBufferIdentifier();
        ImportOptions options;
        options.foldConstants = !noFold;
        if (defaultDimSize >= 0)
          options.defaultDimSize = defaultDimSize;
        for (const std::string &spec : inputShapes) {
          std::string error;
          if (failed(parseInputShape(spec, options, error))) {
            emitError(UnknownLoc::get(context)) << error;
            return nullptr;
          }
        }
        for (const std::string &spec : dimSizes) {
          std::string error;
          if (failed(parseDimSize(spec, options, error))) {
            emitError(UnknownLoc::get(context)) << error;
            return nullptr;
          }
        }
        for (const std::string &spec : inputValues) {
          std::string error;
          if (failed(parseInputValue(spec, options, error))) {
            emitError(UnknownLoc::get(context)) << error;
            return nullptr;
          }
        }
        return importOnnxFile(path, *context, options);
      },
      [](DialectRegistry &registry) {
        registry.insert<graph::CleaveDialect, func::FuncDialect>();
      });
}

} // namespace cleave::onnx_import
