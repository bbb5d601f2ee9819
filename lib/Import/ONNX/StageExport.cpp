//===- StageExport.cpp - a placement written back into the model ----------===//

#include "cleave/Import/ONNX/StageExport.h"
#include "ModelLoader.h"
#include "llvm/Support/FileSystem.h"
#include "llvm/Support/Path.h"
#include <fstream>

using namespace mlir;

namespace cleave::onnx_import {

namespace {
constexpr const char *kConfiguration = "cleave";

std::string folderOf(StringRef path) {
  SmallString<256> absolute(path);
  (void)llvm::sys::fs::make_absolute(absolute);
  return llvm::sys::path::parent_path(absolute).str();
}
} // namespace

LogicalResult writeModelWithStages(StringRef modelPath,
                                   const llvm::StringMap<int64_t> &stages,
                                   int64_t numDevices, StringRef outPath,
                                   std::string &error) {
  onnx::ModelProto model;
  if (failed(loadModel(modelPath, model, error)))
    return failure();
  // External data files are named relative to the model's folder.
  for (const onnx::TensorProto &init : model.graph().initializer())
    if (init.data_location() == onnx::TensorProto::EXTERNAL &&
        folderOf(modelPath) != folderOf(outPath)) {
      error = "the model keeps its weights in external files; write the "
              "placed copy into its folder (" + folderOf(modelPath) + ")";
      return failure();
    }
  // IR 11 introduced device configurations.
  model.set_ir_version(std::max<int64_t>(model.ir_version(), 11));
  auto *configurations = model.mutable_configuration();
  for (int i = configurations->size() - 1; i >= 0; --i)
    if (configurations->Get(i).name() == kConfiguration)
      configurations->DeleteSubrange(i, 1);
  onnx::DeviceConfigurationProto *configuration = model.add_configuration();
  configuration->set_name(kConfiguration);
  configuration->set_num_devices((int32_t)numDevices);
  for (int index = 0; index < model.graph().node_size(); ++index) {
    onnx::NodeProto *node = model.mutable_graph()->mutable_node(index);
    auto *configs = node->mutable_device_configurations();
    for (int i = configs->size() - 1; i >= 0; --i)
      if (configs->Get(i).configuration_id() == kConfiguration)
        configs->DeleteSubrange(i, 1);
    std::string name = node->name().empty()
                           ? node->op_type() + "_" + std::to_string(index)
                           : node->name();
    auto it = stages.find(name);
    if (it == stages.end())
      continue;
    onnx::NodeDeviceConfigurationProto *config =
        node->add_device_configurations();
    config->set_configuration_id(kConfiguration);
    config->set_pipeline_stage((int32_t)it->second);
  }
  std::ofstream out(outPath.str(), std::ios::binary | std::ios::trunc);
  if (!out || !model.SerializeToOstream(&out) || !out.flush()) {
    error = "cannot write '" + outPath.str() + "'";
    return failure();
  }
  return success();
}

} // namespace cleave::onnx_import
