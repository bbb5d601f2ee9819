//===- TargetBackend.cpp - the target registry ----------------------------===//

#include "cleave/Target/TargetBackend.h"
#include "cleave/Dialect/Cleave/Transforms/Passes.h"
#include "llvm/ADT/STLExtras.h"
#include "llvm/Support/MemoryBuffer.h"
#include "llvm/Support/Path.h"
#include "llvm/Support/Program.h"

using namespace mlir;

namespace cleave::target {

namespace {
std::vector<std::unique_ptr<TargetBackend>> &registry() {
  static std::vector<std::unique_ptr<TargetBackend>> backends;
  return backends;
}
} // namespace

std::string BundleLayout::path(llvm::StringRef file) const {
  llvm::SmallString<256> result(folder);
  llvm::sys::path::append(result, file);
  return std::string(result);
}

TargetBackend::~TargetBackend() = default;

bool TargetBackend::supportsPrecision(llvm::StringRef precision) const {
  return precision == "fp32";
}

void TargetBackend::buildPlanningPasses(OpPassManager &pm) const {
  OpPassManager &functions = pm.nest<func::FuncOp>();
  functions.addPass(graph::createPlanMemoryPass());
  functions.addPass(graph::createLayoutWeightsPass());
}

void registerTargetBackend(std::unique_ptr<TargetBackend> backend) {
  assert(!lookupTargetBackend(backend->name()) && "target registered twice");
  registry().push_back(std::move(backend));
}

const TargetBackend *lookupTargetBackend(llvm::StringRef name) {
  for (const std::unique_ptr<TargetBackend> &backend : registry())
    if (backend->name() == name)
      return backend.get();
  return nullptr;
}

std::vector<const TargetBackend *> registeredTargetBackends() {
  std::vector<const TargetBackend *> result;
  for (const std::unique_ptr<TargetBackend> &backend : registry())
    result.push_back(backend.get());
  return result;
}

std::string registeredTargetNames() {
  std::string text;
  for (const std::unique_ptr<TargetBackend> &backend : registry())
    text += (text.empty() ? "" : ", ") + backend->name().str();
  return text;
}

LogicalResult runBuildCommand(ModuleOp module, ArrayRef<StringRef> args,
                              StringRef logPath, const Twine &what) {
  std::optional<StringRef> redirects[] = {std::nullopt, logPath, logPath};
  std::string message;
  int rc = llvm::sys::ExecuteAndWait(args.front(), args, std::nullopt,
                                     redirects, 0, 0, &message);
  if (rc == 0)
    return success();
  std::string log;
  if (auto buffer = llvm::MemoryBuffer::getFile(logPath)) {
    StringRef text = (*buffer)->getBuffer();
    log =
        text.size() <= 4000
            ? text.str()
            : (text.take_front(2000) + "\n...\n" + text.take_back(2000)).str();
  }
  return module.emitError()
         << "building " << what << " failed ("
         << (message.empty() ? "exit " + std::to_string(rc) : message) << "):\n"
         << log;
}

} // namespace cleave::target
