//===- Checkpoint.cpp - training state as safetensors ---------------------===//

#include "cleave/Runtime/Checkpoint.h"
#include "FileUtils.h"
#include "cleave/Runtime/BundleFormat.h"
#include "cleave/Runtime/Weights.h"
#include <algorithm>
#include <cstring>
#include <nlohmann/json.hpp>

using json = nlohmann::json;

namespace cleave {
namespace {

struct DtypeName {
  const char *manifest, *safetensors;
  int bytes;
};
constexpr DtypeName kDtypes[] = {
    {"f32", "F32", 4}, {"f64", "F64", 8},  {"f16", "F16", 2},
    {"bf16", "BF16", 2}, {"i64", "I64", 8}, {"i32", "I32", 4},
    {"i16", "I16", 2}, {"i8", "I8", 1},    {"u64", "U64", 8},
    {"u32", "U32", 4}, {"u16", "U16", 2},  {"u8", "U8", 1},
    {"bool", "BOOL", 1}};

const DtypeName *byManifest(const std::string &name) {
  for (const DtypeName &d : kDtypes)
    if (name == d.manifest)
      return &d;
  return nullptr;
}

const DtypeName *bySafetensors(const std::string &name) {
  for (const DtypeName &d : kDtypes)
    if (name == d.safetensors)
      return &d;
  return nullptr;
}

std::string takeMessage(cleave_status status) {
  std::string message = cleave_status_message(status);
  cleave_status_free(status);
  return message;
}

std::string join(const std::string &folder, const std::string &file) {
  return folder.empty() || folder.back() == '/' ? folder + file
                                                : folder + "/" + file;
}

std::string describeShape(const std::vector<int64_t> &shape) {
  std::string text = "[";
  for (size_t i = 0; i < shape.size(); ++i)
    text += (i ? ", " : "") + std::to_string(shape[i]);
  return text + "]";
}

/// "'a'", "'a' and 'b'", "'a', 'b', 'c' and 4 more".
std::string listNames(const std::vector<std::string> &names) {
  std::string text;
  size_t shown = std::min<size_t>(names.size(), 3);
  for (size_t i = 0; i < shown; ++i)
    text += (i == 0 ? "" : i + 1 == names.size() ? " and " : ", ") + ("'" + names[i] + "'");
  if (names.size() > shown)
    text += " and " + std::to_string(names.size() - shown) + " more";
  return text;
}

/// One device's variables, as the manifest lists them.
struct Variable {
  std::string name, dtype;
  std::vector<int64_t> shape; // as one replica holds it
  int64_t offset = 0, bytes = 0;
  bool replicaShard = false; // each replica's slice of axis 0
};
struct Device {
  std::string weights;
  std::vector<Variable> variables;
  int replicas = 1; // the bundle's data-parallel replicas

  /// Its weights files: one per replica where they differ (optimizer
  /// state sharded over them; replicaWeightsFile names each), else one.
  int weightsFiles() const {
    bool sharded =
        std::any_of(variables.begin(), variables.end(),
                    [](const Variable &var) { return var.replicaShard; });
    return sharded ? replicas : 1;
  }
};

/// Weights files mapped while a checkpoint is gathered from them.
struct MappedFiles {
  std::vector<cleave_weights> maps;
  ~MappedFiles() {
    for (cleave_weights &mapped : maps)
      cleave_weights_unmap(&mapped);
  }
};

/// The whole of a sharded variable: its replicas' slices joined.
std::vector<int64_t> wholeShape(const Variable &var, int replicas) {
  std::vector<int64_t> shape = var.shape;
  if (var.replicaShard && !shape.empty())
    shape[0] *= replicas;
  return shape;
}

std::string readManifest(const std::string &bundle,
                         std::vector<Device> &devices) {
  std::string path = join(bundle, CLEAVE_BUNDLE_MANIFEST), text;
  if (cleave_status s = runtime::readFile(path.c_str(), text))
    return takeMessage(s);
  json manifest = json::parse(text, nullptr, /*allow_exceptions=*/false);
  if (!manifest.is_object() || !manifest["devices"].is_array())
    return path + " is not a bundle manifest";
  int replicas = manifest.value("replicas", json(1)).is_number_unsigned()
                     ? std::max(1, manifest["replicas"].get<int>())
                     : 1;
  for (const json &d : manifest["devices"]) {
    Device device;
    device.replicas = replicas;
    if (!d.is_object() || !d.value("weights", json()).is_string())
      return path + ": a device has no weights file";
    device.weights = d["weights"];
    for (const json &v : d.value("variables", json::array())) {
      Variable var;
      if (!v.is_object() || !v.value("name", json()).is_string() ||
          !v.value("dtype", json()).is_string() ||
          !v.value("offset", json()).is_number_unsigned() ||
          !v.value("shape", json()).is_array())
        return path + ": a variable of " + device.weights +
               " has no name, dtype, offset or shape";
      var.name = v["name"];
      var.dtype = v["dtype"];
      var.offset = v["offset"];
      const json &shard = v.value("replica_shard", json(false));
      if (!shard.is_boolean())
        return path + ": variable '" + var.name +
               "' has a replica_shard that is not true or false";
      var.replicaShard = shard.get<bool>();
      const DtypeName *dtype = byManifest(var.dtype);
      if (!dtype)
        return path + ": variable '" + var.name + "' has dtype '" +
               var.dtype + "', which a checkpoint cannot hold";
      var.bytes = dtype->bytes;
      for (const json &dim : v["shape"]) {
        if (!dim.is_number_unsigned())
          return path + ": variable '" + var.name + "' has a bad shape";
        var.shape.push_back(dim);
        var.bytes *= var.shape.back();
      }
      device.variables.push_back(std::move(var));
    }
    devices.push_back(std::move(device));
  }
  return "";
}

} // namespace

const CheckpointTensor *Checkpoint::find(const std::string &name) const {
  for (const auto &[key, tensor] : tensors)
    if (key == name)
      return &tensor;
  return nullptr;
}

std::string readCheckpoint(const std::string &path, Checkpoint &out) {
  std::string bytes;
  if (cleave_status s = runtime::readFile(path.c_str(), bytes))
    return takeMessage(s);
  uint64_t headerSize = 0;
  if (bytes.size() < 8)
    return path + " is not a safetensors file (too short)";
  std::memcpy(&headerSize, bytes.data(), 8);
  if (headerSize > bytes.size() - 8)
    return path + " is not a safetensors file (its header runs past the end)";
  json header = json::parse(bytes.substr(8, headerSize), nullptr,
                            /*allow_exceptions=*/false);
  if (!header.is_object())
    return path + " is not a safetensors file (its header is not JSON)";
  const char *data = bytes.data() + 8 + headerSize;
  uint64_t dataSize = bytes.size() - 8 - headerSize;
  out = Checkpoint();
  std::vector<std::pair<uint64_t, std::pair<std::string, CheckpointTensor>>>
      placed; // by where their bytes start
  for (auto &[name, entry] : header.items()) {
    if (name == "__metadata__") {
      if (!entry.is_object())
        return path + ": __metadata__ is not an object";
      for (auto &[key, value] : entry.items())
        if (value.is_string())
          out.metadata[key] = value;
      continue;
    }
    CheckpointTensor tensor;
    const DtypeName *dtype =
        entry.is_object() && entry.value("dtype", json()).is_string()
            ? bySafetensors(entry["dtype"])
            : nullptr;
    if (!dtype)
      return path + ": tensor '" + name + "' has no dtype this reads";
    tensor.dtype = dtype->manifest;
    const json &offsets = entry.value("data_offsets", json());
    if (!entry.value("shape", json()).is_array() || !offsets.is_array() ||
        offsets.size() != 2 || !offsets[0].is_number_unsigned() ||
        !offsets[1].is_number_unsigned())
      return path + ": tensor '" + name + "' has no shape or data_offsets";
    uint64_t count = 1;
    for (const json &dim : entry["shape"]) {
      if (!dim.is_number_unsigned())
        return path + ": tensor '" + name + "' has a bad shape";
      tensor.shape.push_back(dim);
      count *= (uint64_t)tensor.shape.back();
    }
    uint64_t begin = offsets[0], end = offsets[1];
    if (begin > end || end > dataSize || end - begin != count * dtype->bytes)
      return path + ": tensor '" + name + "' has data_offsets [" +
             std::to_string(begin) + ", " + std::to_string(end) +
             "] that do not fit its shape " + describeShape(tensor.shape) +
             " or the file";
    tensor.bytes.assign(data + begin, end - begin);
    placed.push_back({begin, {name, std::move(tensor)}});
  }
  // File order, as the bytes lie.
  std::stable_sort(placed.begin(), placed.end(),
                   [](const auto &a, const auto &b) { return a.first < b.first; });
  for (auto &entry : placed)
    out.tensors.push_back(std::move(entry.second));
  return "";
}

std::string writeCheckpoint(const std::string &path,
                            const Checkpoint &checkpoint) {
  json header = json::object();
  uint64_t offset = 0;
  for (const auto &[name, tensor] : checkpoint.tensors) {
    const DtypeName *dtype = byManifest(tensor.dtype);
    if (!dtype)
      return "tensor '" + name + "' has dtype '" + tensor.dtype +
             "', which a checkpoint cannot hold";
    header[name] = {{"dtype", dtype->safetensors},
                    {"shape", tensor.shape},
                    {"data_offsets", {offset, offset + tensor.bytes.size()}}};
    offset += tensor.bytes.size();
  }
  if (!checkpoint.metadata.empty())
    header["__metadata__"] = checkpoint.metadata;
  std::string text = header.dump();
  // The tensors start 8-byte aligned, as the format recommends.
  text.append((8 - text.size() % 8) % 8, ' ');
  std::string bytes(8, '\0');
  uint64_t size = text.size();
  std::memcpy(bytes.data(), &size, 8);
  bytes += text;
  for (const auto &entry : checkpoint.tensors)
    bytes += entry.second.bytes;
  if (cleave_status s = runtime::writeFile(path.c_str(), bytes))
    return takeMessage(s);
  return "";
}

std::string gatherCheckpoint(const std::string &bundle,
                             const std::string &weightsFolder, Checkpoint &out,
                             bool replicaFiles) {
  std::vector<Device> devices;
  if (std::string error = readManifest(bundle, devices); !error.empty())
    return error;
  out = Checkpoint();
  out.metadata["format"] = "cleave-checkpoint-1";
  for (const Device &device : devices) {
    if (device.variables.empty())
      continue;
    // Replica 0's file, then the others' where the replicas differ.
    std::string path = join(weightsFolder, device.weights);
    MappedFiles files;
    int count = replicaFiles ? device.weightsFiles() : 1;
    for (int r = 0; r < count; ++r) {
      files.maps.emplace_back();
      if (cleave_status s = cleave_weights_map(
              replicaWeightsFile(path, r).c_str(), -1, &files.maps.back())) {
        files.maps.pop_back();
        return takeMessage(s);
      }
    }
    for (const Variable &var : device.variables) {
      // A sharded variable's slices, replica by replica (one file's
      // slice stands for all where the replicas share the file).
      std::string bytes;
      for (int r = 0; r < (var.replicaShard ? device.replicas : 1); ++r) {
        int file = std::min(r, count - 1);
        const cleave_weights &mapped = files.maps[file];
        if (var.offset + var.bytes > mapped.size)
          return replicaWeightsFile(path, file) +
                 " is too short for variable '" + var.name + "'";
        bytes.append(mapped.payload + var.offset, var.bytes);
      }
      // A variable two devices hold (a tied weight) is saved once; its
      // copies must have stayed identical.
      if (const CheckpointTensor *saved = out.find(var.name)) {
        if (saved->bytes != bytes)
          return "the copies of variable '" + var.name +
                 "' on two devices differ after training";
        continue;
      }
      out.tensors.push_back(
          {var.name,
           {var.dtype, wholeShape(var, device.replicas), std::move(bytes)}});
    }
  }
  return "";
}

std::string scatterCheckpoint(const std::string &bundle,
                              const Checkpoint &checkpoint,
                              const std::string &outFolder) {
  std::vector<Device> devices;
  if (std::string error = readManifest(bundle, devices); !error.empty())
    return error;
  std::map<std::string, bool> used;
  std::vector<std::string> missing, unexpected;
  for (const auto &entry : checkpoint.tensors)
    used[entry.first] = false;
  for (const Device &device : devices) {
    std::string path = join(bundle, device.weights);
    cleave_weights mapped;
    if (cleave_status s = cleave_weights_map(path.c_str(), -1, &mapped))
      return takeMessage(s);
    // One file per replica where they hold different slices.
    std::vector<std::string> payloads(
        device.weightsFiles(),
        std::string(mapped.payload ? mapped.payload : "", (size_t)mapped.size));
    cleave_weights_unmap(&mapped);
    for (const Variable &var : device.variables) {
      const CheckpointTensor *tensor = checkpoint.find(var.name);
      if (!tensor) {
        missing.push_back(var.name);
        continue;
      }
      std::vector<int64_t> shape = wholeShape(var, device.replicas);
      if (tensor->dtype != var.dtype || tensor->shape != shape)
        return "the checkpoint's '" + var.name + "' is " + tensor->dtype +
               describeShape(tensor->shape) + " but this bundle's is " +
               var.dtype + describeShape(shape);
      if (var.offset + var.bytes > (int64_t)payloads[0].size())
        return path + " is too short for variable '" + var.name + "'";
      for (size_t r = 0; r < payloads.size(); ++r)
        payloads[r].replace(var.offset, var.bytes, tensor->bytes,
                            var.replicaShard ? r * var.bytes : 0, var.bytes);
      used[var.name] = true;
    }
    for (size_t r = 0; r < payloads.size(); ++r) {
      std::string outPath =
          replicaWeightsFile(join(outFolder, device.weights), (int)r);
      if (cleave_status s = cleave_weights_write(
              outPath.c_str(), payloads[r].data(), (int64_t)payloads[r].size()))
        return takeMessage(s);
    }
  }
  for (const auto &[name, wasUsed] : used)
    if (!wasUsed)
      unexpected.push_back(name);
  // As PyTorch's load_state_dict: every name that does not match, at once.
  if (!missing.empty())
    return "the checkpoint lacks " + listNames(missing) +
           ", which this bundle trains";
  if (!unexpected.empty())
    return "the checkpoint's " + listNames(unexpected) +
           (unexpected.size() == 1 ? " is not a variable" : " are not variables") +
           " of this bundle (was it saved by a bundle compiled with another "
           "optimizer or --trainable?)";
  return "";
}

} // namespace cleave
