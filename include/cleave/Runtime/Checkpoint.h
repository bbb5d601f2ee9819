//===- Checkpoint.h - training state under the ONNX names -------*- C++ -*-===//
//
// A checkpoint is one safetensors file (the format Hugging Face and PyTorch
// users load with `safetensors.torch.load_file`): every variable of a
// training bundle under its own name, the parameters under their ONNX
// initializer names ("fc1.weight"), the optimizer state beside them
// ("fc1.weight.exp_avg", "optimizer.step"). It does not depend on the
// placement: a run resumes from it in a bundle compiled for other devices,
// replicas or microbatches, as long as the variables are the same.
//
// safetensors: an 8-byte little-endian header length N, N bytes of JSON
// {name: {dtype, shape, data_offsets: [begin, end]}, "__metadata__": {...}},
// then the tensors' bytes, contiguous, offsets relative to their start.
//
//===----------------------------------------------------------------------===//

#ifndef CLEAVE_RUNTIME_CHECKPOINT_H
#define CLEAVE_RUNTIME_CHECKPOINT_H

#include <cstdint>
#include <map>
#include <string>
#include <utility>
#include <vector>

namespace cleave {

/// The checkpoint file's name in a `cleave-run --save` folder.
inline constexpr const char *kCheckpointFile = "checkpoint.safetensors";

/// The weights file of data-parallel replica `replica` when the replicas
/// hold different state (optimizer state sharded over them): replica 0's
/// is `path` itself, replica r's `path` + ".replica<r>".
inline std::string replicaWeightsFile(const std::string &path, int replica) {
  return replica == 0 ? path : path + ".replica" + std::to_string(replica);
}

struct CheckpointTensor {
  std::string dtype; // the manifest's spelling: "f32", "i64", ...
  std::vector<int64_t> shape;
  std::string bytes;
};

struct Checkpoint {
  std::vector<std::pair<std::string, CheckpointTensor>> tensors; // file order
  std::map<std::string, std::string> metadata;

  const CheckpointTensor *find(const std::string &name) const;
};

/// Each function returns an error message, empty on success.

/// Reads a safetensors file.
std::string readCheckpoint(const std::string &path, Checkpoint &out);

/// Writes `checkpoint` to `path` atomically (a temporary file, synced and
/// renamed over it): an interrupted save leaves the previous file intact.
std::string writeCheckpoint(const std::string &path,
                            const Checkpoint &checkpoint);

/// The variables of `bundle`'s devices, read from the weights files in
/// `weightsFolder` (device_k.weights, as the devices wrote them). A
/// variable the manifest marks `replica_shard` is joined along axis 0 from
/// every replica's file (replicaWeightsFile); without `replicaFiles` (the
/// bundle's own files, from which every replica starts) the one file's
/// slice stands for each replica's.
std::string gatherCheckpoint(const std::string &bundle,
                             const std::string &weightsFolder, Checkpoint &out,
                             bool replicaFiles = true);

/// Writes into `outFolder` each device's weights file: the bundle's, with
/// every variable taken from `checkpoint` (which must hold each one, with
/// its dtype and shape, and nothing else). A device with `replica_shard`
/// variables gets one file per replica, each with its slice of them.
std::string scatterCheckpoint(const std::string &bundle,
                              const Checkpoint &checkpoint,
                              const std::string &outFolder);

} // namespace cleave

#endif // CLEAVE_RUNTIME_CHECKPOINT_H
