//===- ModelLoader.cpp - reading ONNX model files -------------------------===//

#include "ModelLoader.h"
#include "cleave/Import/ONNX/ImportOptions.h"
#include "llvm/Support/FileSystem.h"
#include "llvm/Support/MemoryBuffer.h"
#include "llvm/Support/Path.h"
#include <google/protobuf/io/coded_stream.h>
#include <google/protobuf/io/tokenizer.h>
#include <google/protobuf/text_format.h>
#include <google/protobuf/util/json_util.h>

using namespace mlir;

namespace cleave::onnx_import {

namespace {
/// Collects protobuf text/JSON parse errors instead of printing them.
class TextErrorCollector : public google::protobuf::io::ErrorCollector {
public:
  void AddError(int line, int column, const std::string &message) override {
    if (text.empty())
      text = "line " + std::to_string(line + 1) + ":" +
             std::to_string(column + 1) + ": " + message;
  }
  std::string text;
};

bool hasExtension(StringRef path, std::initializer_list<StringRef> exts) {
  for (StringRef ext : exts)
    if (path.ends_with(ext))
      return true;
  return false;
}
} // namespace

LogicalResult loadModel(StringRef path, onnx::ModelProto &model,
                        std::string &error) {
  llvm::sys::fs::file_status status;
  if (std::error_code ec = llvm::sys::fs::status(path, status)) {
    error = "cannot open the model: " + ec.message();
    return failure();
  }
  if (!llvm::sys::fs::is_regular_file(status)) {
    error = "the model is not a regular file";
    return failure();
  }
  if ((int64_t)status.getSize() > kMaxProtobufBytes) {
    error = "the model file is over 2 GB; protobuf cannot hold it: keep the "
            "weights in external data (onnx.save_model(..., "
            "save_as_external_data=True))";
    return failure();
  }
  llvm::ErrorOr<std::unique_ptr<llvm::MemoryBuffer>> buffer =
      llvm::MemoryBuffer::getFile(path, /*IsText=*/false,
                                  /*RequiresNullTerminator=*/false);
  if (!buffer) {
    error = "cannot read the model: " + buffer.getError().message();
    return failure();
  }
  StringRef bytes = (*buffer)->getBuffer();
  if (hasExtension(path, {".onnxtxt", ".textproto", ".pbtxt"})) {
    google::protobuf::TextFormat::Parser parser;
    TextErrorCollector collector;
    parser.RecordErrorsTo(&collector);
    if (!parser.ParseFromString(std::string(bytes), &model)) {
      error =
          "not a valid ONNX model in protobuf text format: " + collector.text;
      return failure();
    }
  } else if (hasExtension(path, {".json"})) {
    google::protobuf::util::Status parsed =
        google::protobuf::util::JsonStringToMessage(std::string(bytes), &model);
    if (!parsed.ok()) {
      error = "not a valid ONNX model in JSON: " + parsed.ToString();
      return failure();
    }
  } else {
    google::protobuf::io::CodedInputStream stream(
        reinterpret_cast<const uint8_t *>(bytes.data()), (int)bytes.size());
    stream.SetTotalBytesLimit((int)kMaxProtobufBytes);
    if (!model.ParseFromCodedStream(&stream) ||
        !stream.ConsumedEntireMessage()) {
      error = "not a valid ONNX protobuf (the file is truncated, corrupted "
              "or not an ONNX model)";
      return failure();
    }
  }
  if (model.ir_version() <= 0 || !model.has_graph()) {
    error = "not an ONNX model: it has no ir_version or no graph";
    return failure();
  }
  if (model.ir_version() > kMaxIrVersion) {
    error = "ONNX IR version " + std::to_string(model.ir_version()) +
            " is newer than the newest supported (" +
            std::to_string(kMaxIrVersion) + ")";
    return failure();
  }
  if (model.ir_version() < 3) {
    error = "ONNX IR version " + std::to_string(model.ir_version()) +
            " is older than the oldest supported (3)";
    return failure();
  }
  return success();
}

} // namespace cleave::onnx_import
