//===- TargetBackend.cpp - the target registry ----------------------------===//

#include "cleave/Target/TargetBackend.h"
#include "cleave/Dialect/Cleave/Transforms/Passes.h"
#include "llvm/ADT/STLExtras.h"
#include "llvm/Support/MemoryBuffer.h"
#include "llvm/Support/Path.h"
#include "llvm/Support/FileSystem.h"
#include "llvm/Support/Program.h"
#include <chrono>
#include <thread>

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

LogicalResult runBuildCommands(ModuleOp module,
                               ArrayRef<BuildCommand> commands,
                               const Progress &progress) {
  size_t parallel = std::max(1u, std::thread::hardware_concurrency());
  struct Running {
    llvm::sys::ProcessInfo process;
    size_t command;
  };
  std::vector<Running> running;
  std::optional<size_t> failed;
  std::string failure;
  size_t next = 0, done = 0;
  while (next < commands.size() || !running.empty()) {
    // Start more while there are cores free (and nothing failed).
    while (!failed && next < commands.size() && running.size() < parallel) {
      const BuildCommand &command = commands[next];
      SmallVector<StringRef> args(command.args.begin(), command.args.end());
      std::optional<StringRef> redirects[] = {std::nullopt,
                                              StringRef(command.log),
                                              StringRef(command.log)};
      std::string message;
      bool notStarted = false;
      llvm::sys::ProcessInfo process = llvm::sys::ExecuteNoWait(
          args.front(), args, std::nullopt, redirects, 0, &message,
          &notStarted);
      if (notStarted) {
        failed = next;
        failure = message;
        break;
      }
      running.push_back({process, next++});
    }
    if (running.empty())
      break;
    // Poll them until one ends (builds take seconds; a poll, microseconds).
    std::string message;
    llvm::sys::ProcessInfo finished;
    auto it = running.end();
    while (it == running.end()) {
      for (it = running.begin(); it != running.end(); ++it) {
        finished = llvm::sys::Wait(it->process, /*SecondsToWait=*/0, &message);
        if (finished.Pid != 0)
          break;
      }
      if (it == running.end())
        std::this_thread::sleep_for(std::chrono::milliseconds(20));
    }
    size_t index = it->command;
    running.erase(it);
    if (finished.ReturnCode != 0) {
      if (!failed) {
        failed = index;
        failure = message.empty()
                      ? "exit " + std::to_string(finished.ReturnCode)
                      : message;
      }
      continue;
    }
    llvm::sys::fs::remove(commands[index].log);
    ++done;
    if (progress)
      progress("built " + commands[index].what + " (" + Twine(done) + " of " +
               Twine(commands.size()) + ")");
  }
  if (!failed)
    return success();
  const BuildCommand &command = commands[*failed];
  std::string log;
  if (auto buffer = llvm::MemoryBuffer::getFile(command.log)) {
    StringRef text = (*buffer)->getBuffer();
    log =
        text.size() <= 4000
            ? text.str()
            : (text.take_front(2000) + "\n...\n" + text.take_back(2000)).str();
  }
  return module.emitError() << "building " << command.what << " failed ("
                            << failure << "):\n"
                            << log;
}

} // namespace cleave::target
