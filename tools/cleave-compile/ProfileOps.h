//===- ProfileOps.h - cleave-compile --profile-ops ------------*- C++ -*-===//

#ifndef CLEAVE_TOOLS_CLEAVE_COMPILE_PROFILEOPS_H
#define CLEAVE_TOOLS_CLEAVE_COMPILE_PROFILEOPS_H

#include "llvm/Support/Error.h"
#include <string>
#include <vector>

namespace cleave {

struct ProfileOpsRequest {
  std::string model;
  /// The flags that fix the compile's shapes and training step (--dim,
  /// --input-shape, --train, --loss, ...): the profile's compile takes
  /// them too.
  std::vector<std::string> compileFlags;
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
