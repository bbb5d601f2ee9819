//===- cleave-export-onnx.cpp - a training bundle's weights, as ONNX ------===//
//
//   cleave-export-onnx <bundle> [--checkpoint <file or folder>] -o trained.onnx
//
// Writes the bundle's copy of the model it was compiled from (model.onnx)
// with every trained initializer replaced by its value in a checkpoint
// (the one `cleave-run --save` wrote, or else the bundle's initial
// weights): the forward model a user takes to onnxruntime. cleave-run
// --export-onnx runs it.
//
//===----------------------------------------------------------------------===//

#include "cleave/Runtime/BundleFormat.h"
#include "cleave/Runtime/Checkpoint.h"
#include "llvm/Support/CommandLine.h"
#include "llvm/Support/FileSystem.h"
#include "llvm/Support/InitLLVM.h"
#include "llvm/Support/JSON.h"
#include "llvm/Support/MemoryBuffer.h"
#include "llvm/Support/Path.h"
#include "llvm/Support/raw_ostream.h"
#include <fstream>
#include <map>

#ifndef ONNX_ML
#define ONNX_ML 1
#endif
#ifndef ONNX_NAMESPACE
#define ONNX_NAMESPACE onnx
#endif
#include <onnx/onnx_pb.h>

namespace cl = llvm::cl;

namespace {
cl::OptionCategory category("Export");
cl::opt<std::string> bundlePath(cl::Positional, cl::desc("<bundle>"),
                                cl::Required, cl::cat(category));
cl::opt<std::string> checkpointPath(
    "checkpoint",
    cl::desc("The checkpoint of the trained weights (cleave-run --save's "
             "folder or its checkpoint.safetensors; default: the bundle's "
             "initial weights)"),
    cl::cat(category));
cl::opt<std::string> outputPath("o", cl::desc("The ONNX model to write"),
                                cl::Required, cl::cat(category));

int fail(const llvm::Twine &message) {
  llvm::errs() << "cleave-export-onnx: error: " << message << "\n";
  return 1;
}

std::string join(llvm::StringRef folder, llvm::StringRef name) {
  llvm::SmallString<256> path(folder);
  llvm::sys::path::append(path, name);
  return path.str().str();
}
} // namespace

int main(int argc, char **argv) {
  llvm::InitLLVM init(argc, argv);
  cl::HideUnrelatedOptions(category);
  cl::ParseCommandLineOptions(argc, argv,
                              "Cleave: a training bundle's weights as ONNX\n");
  std::string manifestPath = join(bundlePath, CLEAVE_BUNDLE_MANIFEST);
  auto text = llvm::MemoryBuffer::getFile(manifestPath);
  if (!text)
    return fail("cannot read '" + manifestPath + "'");
  llvm::Expected<llvm::json::Value> manifest =
      llvm::json::parse((*text)->getBuffer());
  if (!manifest)
    return fail(manifestPath + ": " + llvm::toString(manifest.takeError()));
  const llvm::json::Object *root = manifest->getAsObject();
  std::optional<llvm::StringRef> modelFile =
      root ? root->getString("model_file") : std::nullopt;
  if (!modelFile)
    return fail("'" + bundlePath.getValue() +
                "' is not a training bundle (its manifest names no "
                "model_file)");

  // Each trained variable's bytes, by name.
  cleave::Checkpoint checkpoint;
  std::string error;
  if (checkpointPath.empty()) {
    error = cleave::gatherCheckpoint(bundlePath, bundlePath, checkpoint);
  } else {
    std::string file = checkpointPath;
    if (llvm::sys::fs::is_directory(file))
      file = join(file, cleave::kCheckpointFile);
    error = cleave::readCheckpoint(file, checkpoint);
  }
  if (!error.empty())
    return fail(error);

  std::string modelPath = join(bundlePath, *modelFile);
  onnx::ModelProto model;
  {
    std::ifstream in(modelPath, std::ios::binary);
    if (!in || !model.ParseFromIstream(&in))
      return fail("cannot read the ONNX model '" + modelPath + "'");
  }
  int replaced = 0;
  for (onnx::TensorProto &init : *model.mutable_graph()->mutable_initializer()) {
    const cleave::CheckpointTensor *tensor = checkpoint.find(init.name());
    if (!tensor || tensor->dtype != "f32" ||
        init.data_type() != onnx::TensorProto::FLOAT)
      continue;
    if (init.data_location() == onnx::TensorProto::EXTERNAL)
      return fail("initializer '" + init.name() +
                  "' is external data, which export does not write yet");
    init.clear_float_data();
    init.set_raw_data(tensor->bytes);
    ++replaced;
  }
  std::string temporary = outputPath + ".tmp";
  {
    std::ofstream out(temporary, std::ios::binary | std::ios::trunc);
    if (!out || !model.SerializeToOstream(&out))
      return fail("cannot write '" + outputPath + "'");
  }
  if (std::error_code ec = llvm::sys::fs::rename(temporary, outputPath))
    return fail("cannot write '" + outputPath + "': " + ec.message());
  llvm::outs() << "exported " << replaced << " trained initializers to "
               << outputPath << "\n";
  return 0;
}
