//===- ProfileOps.h - cleave-compile --profile-ops ------------*- C++ -*-===//

#ifndef CLEAVE_TOOLS_CLEAVE_COMPILE_PROFILEOPS_H
#define CLEAVE_TOOLS_CLEAVE_COMPILE_PROFILEOPS_H

#include "llvm/Support/Error.h"
#include <string>
#include <vector>

namespace cleave {

struct ProfileOpsRequest {
  std::string model;
  /// The compile's --dim and --input-shape values (cleave-calibrate takes
  /// them as its own options) and its other flags that shape the ops
  /// (--train, --loss, ...: space-separated in --compile-flags).
  std::vector<std::string> dims, inputShapes, compileFlags;
  /// The placement the profile is for: more than one device retimes the
  /// ops as placed on them (cleave-calibrate --placed-devices).
  unsigned devices = 1;
  std::string machine;
  /// Where to write the profile.
  std::string output;
};

/// Runs cleave-calibrate --model (beside this tool or on PATH) for
/// `request`; the error carries its output when it fails.
llvm::Error profileOps(const char *argv0, const ProfileOpsRequest &request);

} // namespace cleave

#endif // CLEAVE_TOOLS_CLEAVE_COMPILE_PROFILEOPS_H
