//===- OpProfiling.h - cleave-calibrate --model: an op profile --*- C++ -*-===//

#ifndef CLEAVE_TOOLS_CLEAVE_CALIBRATE_OPPROFILING_H
#define CLEAVE_TOOLS_CLEAVE_CALIBRATE_OPPROFILING_H

#include <string>
#include <vector>

namespace cleave::calibrate {

struct ProfileOptions {
  /// The ONNX model and the cleave-compile flags that fix its shapes.
  std::string model;
  std::vector<std::string> compileFlags;
  /// Copies run at once (one per device of the machine) and timed runs.
  unsigned copies = 1;
  unsigned runs = 20;
  /// Rounds of those runs (each its own processes); each op's median.
  unsigned rounds = 3;
  /// Then retime the ops as placed on this many devices (0: not): the
  /// model compiled for them with the first profile and `machine`, run as
  /// `microbatches` microbatches (inference) or as its compiled schedule.
  unsigned placedDevices = 0;
  std::string machine;
  unsigned microbatches = 8;
  /// The op profile to write.
  std::string output;
};

/// Writes the op profile of `options.model` (OpProfile.h); returns the
/// exit code, with the error printed.
int profileModel(const char *argv0, const ProfileOptions &options);

} // namespace cleave::calibrate

#endif // CLEAVE_TOOLS_CLEAVE_CALIBRATE_OPPROFILING_H
