//===- ProfileOps.cpp - cleave-compile --profile-ops ----------------------===//
//
// One command for what otherwise takes two: time the model's ops with the
// runtime's kernels (cleave-calibrate --model, with this compile's shape
// and training flags; as placed on the devices when there are several),
// then place with those times.
//
//===----------------------------------------------------------------------===//

#include "ProfileOps.h"
#include "llvm/ADT/SmallString.h"
#include "llvm/ADT/StringExtras.h"
#include "llvm/Support/FileSystem.h"
#include "llvm/Support/MemoryBuffer.h"
#include "llvm/Support/Path.h"
#include "llvm/Support/Program.h"

using namespace llvm;

namespace cleave {

Error profileOps(const char *argv0, const ProfileOpsRequest &request) {
  auto fail = [](const Twine &message) {
    return createStringError(inconvertibleErrorCode(), message.str());
  };
  std::string self = sys::fs::getMainExecutable(argv0, (void *)&profileOps);
  SmallString<256> calibrate(sys::path::parent_path(self));
  sys::path::append(calibrate, "cleave-calibrate");
  std::string tool = std::string(calibrate);
  if (!sys::fs::can_execute(tool)) {
    ErrorOr<std::string> found = sys::findProgramByName("cleave-calibrate");
    if (!found)
      return fail("--profile-ops needs cleave-calibrate (beside "
                  "cleave-compile or on PATH)");
    tool = *found;
  }
  std::vector<std::string> args = {tool, "--model", request.model, "-o",
                                   request.output};
  for (const std::string &dim : request.dims)
    args.push_back("--dim=" + dim);
  for (const std::string &shape : request.inputShapes)
    args.push_back("--input-shape=" + shape);
  if (!request.compileFlags.empty())
    args.push_back("--compile-flags=" + join(request.compileFlags, " "));
  if (request.devices > 1) {
    args.push_back("--placed-devices=" + std::to_string(request.devices));
    args.push_back("--machine=" + request.machine);
  }
  SmallString<128> log;
  if (sys::fs::createTemporaryFile("cleave-profile-ops", "txt", log))
    return fail("cannot create a temporary file");
  SmallVector<StringRef> refs(args.begin(), args.end());
  std::optional<StringRef> redirects[] = {std::nullopt, StringRef(log),
                                          StringRef(log)};
  std::string notRun;
  int rc = sys::ExecuteAndWait(tool, refs, std::nullopt, redirects, 0, 0,
                               &notRun);
  ErrorOr<std::unique_ptr<MemoryBuffer>> text = MemoryBuffer::getFile(log);
  std::string output = text ? (*text)->getBuffer().trim().str() : "";
  sys::fs::remove(log);
  if (rc != 0)
    return fail("--profile-ops: cleave-calibrate failed:\n" +
                (output.empty() ? notRun : output));
  return Error::success();
}

} // namespace cleave
