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
#include <functional>
#include <map>
#include <memory>

#include "onnx/onnx.pb.h" // third_party/onnx's schema (CleaveOnnxProto)

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
    error = cleave::gatherCheckpoint(bundlePath, bundlePath, checkpoint,
                                     /*replicaFiles=*/false);
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
  // A model with external data exports with external data: every external
  // initializer, trained or not, goes into <output>.data beside it.
  std::string dataPath = outputPath + ".data";
  std::string dataName = llvm::sys::path::filename(dataPath).str();
  std::string data; // the new external data file's bytes
  std::map<std::string, std::unique_ptr<llvm::MemoryBuffer>> sources;
  auto externalBytes = [&](const onnx::TensorProto &init,
                           std::string &bytes) -> std::string {
    std::string location;
    int64_t offset = 0, length = -1;
    for (const onnx::StringStringEntryProto &entry : init.external_data()) {
      if (entry.key() == "location")
        location = entry.value();
      else if (entry.key() == "offset")
        offset = std::strtoll(entry.value().c_str(), nullptr, 10);
      else if (entry.key() == "length")
        length = std::strtoll(entry.value().c_str(), nullptr, 10);
    }
    auto &source = sources[location];
    if (!source) {
      auto file = llvm::MemoryBuffer::getFile(join(bundlePath, location));
      if (!file)
        return "cannot read the external data '" + location +
               "' of initializer '" + init.name() + "' in the bundle";
      source = std::move(*file);
    }
    int64_t size = (int64_t)source->getBufferSize();
    if (length < 0)
      length = size - offset;
    if (offset < 0 || offset + length > size)
      return "initializer '" + init.name() + "' lies outside '" + location +
             "'";
    bytes.assign(source->getBufferStart() + offset, length);
    return "";
  };
  int replaced = 0;
  for (onnx::TensorProto &init : *model.mutable_graph()->mutable_initializer()) {
    const cleave::CheckpointTensor *tensor = checkpoint.find(init.name());
    bool trained = tensor && tensor->dtype == "f32" &&
                   init.data_type() == onnx::TensorProto::FLOAT;
    replaced += trained;
    if (init.data_location() != onnx::TensorProto::EXTERNAL) {
      if (trained) {
        init.clear_float_data();
        init.set_raw_data(tensor->bytes);
      }
      continue;
    }
    std::string bytes;
    if (trained)
      bytes = tensor->bytes;
    else if (std::string error = externalBytes(init, bytes); !error.empty())
      return fail(error);
    data.append((64 - data.size() % 64) % 64, '\0'); // aligned, as onnx does
    int64_t offset = (int64_t)data.size();
    data += bytes;
    init.clear_external_data();
    for (auto [key, value] :
         {std::pair<std::string, std::string>{"location", dataName},
          {"offset", std::to_string(offset)},
          {"length", std::to_string(bytes.size())}}) {
      onnx::StringStringEntryProto *entry = init.add_external_data();
      entry->set_key(key);
      entry->set_value(value);
    }
  }
  // The data first, then the model that points at it, each renamed into
  // place whole.
  auto writeWhole = [&](const std::string &path,
                        const std::function<bool(std::ostream &)> &write) {
    std::string temporary = path + ".tmp";
    {
      std::ofstream out(temporary, std::ios::binary | std::ios::trunc);
      if (!out || !write(out) || !out.flush())
        return false;
    }
    return !llvm::sys::fs::rename(temporary, path);
  };
  if (!data.empty() &&
      !writeWhole(dataPath, [&](std::ostream &out) {
        return (bool)out.write(data.data(), (std::streamsize)data.size());
      }))
    return fail("cannot write '" + dataPath + "'");
  if (!writeWhole(outputPath, [&](std::ostream &out) {
        return model.SerializeToOstream(&out);
      }))
    return fail("cannot write '" + outputPath + "'");
  llvm::outs() << "exported " << replaced << " trained initializers to "
               << outputPath << "\n";
  return 0;
}
