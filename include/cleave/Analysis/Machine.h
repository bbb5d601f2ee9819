//===- Machine.h - the machine a model is placed on -------------*- C++ -*-===//
//
// A machine is a JSON file: its devices (kind, peak FLOP/s per element type,
// memory bandwidth and capacity, launch overhead, node) and its links by
// level ("node" between devices of one node, "network" between nodes). The
// cost model reads op and transfer times from it; presets describe common
// GPU servers and the local CPU. Units are SI: FLOP/s, bytes/s, bytes and
// seconds.
//
//   {
//     "name": "h100-sxm-x8",
//     "devices": [{"name": "h100", "kind": "gpu", "count": 8, "node": 0,
//                  "peak_flops": {"f32": 67e12, "bf16": 989e12},
//                  "memory_bandwidth": 3.35e12, "memory_capacity": 80e9,
//                  "launch_overhead": 5e-6}],
//     "links": [{"level": "node", "bandwidth": 370e9, "latency": 3e-6}]
//   }
//
// Optional device fields: "compute_efficiency" and "memory_efficiency"
// (fractions of peak that kernels reach, 1 by default), and
// "kernel_efficiency", the fraction per kind of kernel ("matmul", "conv",
// "dwconv", "pool", "norm", "softmax", "eltwise", "data", "reduce") that
// replaces both
// for that kind, and "kernel_overhead", seconds per call of each kind (it
// replaces the launch overhead for that kind). cleave-calibrate measures
// both from a small and a large kernel of each kind.
//
//===----------------------------------------------------------------------===//

#ifndef CLEAVE_ANALYSIS_MACHINE_H
#define CLEAVE_ANALYSIS_MACHINE_H

#include "llvm/ADT/ArrayRef.h"
#include "llvm/ADT/StringMap.h"
#include "llvm/ADT/StringRef.h"
#include "llvm/Support/Error.h"
#include <cstdint>
#include <string>
#include <vector>

namespace cleave::analysis {

struct Device {
  std::string name; // "h100:3" for the fourth of a counted group
  std::string kind; // "cpu" or "gpu"
  int64_t node = 0;
  /// Peak FLOP/s by element type ("f32", "tf32", "f16", "bf16", ...).
  llvm::StringMap<double> peakFlops;
  double memoryBandwidth = 0; // bytes/s
  double memoryCapacity = 0;  // bytes
  double launchOverhead = 0;  // seconds per kernel
  double computeEfficiency = 1, memoryEfficiency = 1;
  /// Fraction of the roofline each kind of kernel reaches, by kind.
  llvm::StringMap<double> kernelEfficiency;
  /// Seconds per call by kind of kernel (replacing launchOverhead).
  llvm::StringMap<double> kernelOverhead;
  /// Measured seconds per call by op signature (an op profile, OpProfile.h):
  /// the cost model uses them instead of the roofline.
  llvm::StringMap<double> measuredSeconds;

  /// Peak FLOP/s for `dtype`, or the f32 peak when the type has none.
  double peakFor(llvm::StringRef dtype) const;
  /// Whether receiving takes the device's own time: a CPU process copies
  /// what it receives itself (MPI moves data inside the receiver's calls),
  /// where a GPU's copy engines and NCCL's kernels overlap its compute.
  bool receivesTakeComputeTime() const { return kind == "cpu"; }
  /// Seconds for a kernel of `kind` doing `flops` operations on `dtype`
  /// and moving `bytes`: a roofline at the efficiencies (the kind's own if
  /// calibrated), plus the launch overhead.
  double kernelSeconds(double flops, double bytes, llvm::StringRef dtype,
                       llvm::StringRef kind = "") const;
};

struct Link {
  std::string level; // "node" or "network"
  double bandwidth = 0; // bytes/s, per direction
  double latency = 0;   // seconds
};

struct Machine {
  std::string name;
  std::vector<Device> devices;
  std::vector<Link> links;

  /// The link between devices `a` and `b` (a != b): "node" on one node,
  /// "network" across nodes. Parsing checks that it exists.
  const Link &linkBetween(size_t a, size_t b) const;
  /// Seconds to move `bytes` from device `a` to device `b` (0 if a == b).
  double transferSeconds(size_t a, size_t b, int64_t bytes) const;
  /// The link between the data-parallel replicas of one device: the
  /// node's (they start on one host unless a hostfile spreads them), else
  /// the network's; null for a machine without links.
  const Link *replicaLink() const;
};

/// Parses and checks a machine description; errors name `source` and the
/// field ("m.json: devices[1].memory_capacity: must be a positive number").
llvm::Expected<Machine> parseMachine(llvm::StringRef json,
                                     llvm::StringRef source);

/// A preset by name ("h100-sxm-x8", ...; see machinePresetNames) or a file.
llvm::Expected<Machine> loadMachine(llvm::StringRef presetOrPath);

/// The names of the shipped presets.
llvm::ArrayRef<llvm::StringRef> machinePresetNames();

/// The JSON of `machine` (one entry per device; parseMachine reads it back).
std::string machineToJson(const Machine &machine);

/// The first `count` devices of `machine` (links kept).
Machine firstDevices(const Machine &machine, size_t count);

/// The stages of an interleaved schedule as devices: `chunks` times the
/// devices of `machine`, device k being device k mod p's chunk k / p with
/// 1 / chunks of its memory (links kept).
Machine chunkedMachine(const Machine &machine, size_t chunks);

} // namespace cleave::analysis

#endif // CLEAVE_ANALYSIS_MACHINE_H
