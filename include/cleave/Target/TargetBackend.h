//===- TargetBackend.h - what a target contributes to a bundle --*- C++ -*-===//
//
// A target is the kind of device a bundle's programs run on (CPU processes,
// GPUs). It contributes passes at two points of the pipeline (graph
// rewrites its kernels want before placement; planning and lowering of each
// device's function to EmitC) and the build of the device executables from
// the sources the bundle writer emits. Targets register themselves by name
// (cleave/Target/Targets.def lists them; InitAll registers that list).
//
//===----------------------------------------------------------------------===//

#ifndef CLEAVE_TARGET_TARGETBACKEND_H
#define CLEAVE_TARGET_TARGETBACKEND_H

#include "mlir/IR/BuiltinOps.h"
#include "mlir/Pass/PassManager.h"
#include <functional>
#include <memory>
#include <string>
#include <vector>

namespace cleave::target {

/// Where a long compile says how far it is: one short line per step
/// (nothing when empty).
using Progress = std::function<void(const llvm::Twine &line)>;

/// What a bundle's devices are, for the target's build step.
struct BundleLayout {
  /// The folder the sources are in (the bundle's temporary folder).
  std::string folder;
  /// device_0 ... device_{count-1}: one source and one executable each.
  size_t devices = 1;
  /// Sources only (no executable): for machines without the compilers.
  bool buildExecutables = true;
  /// Data-parallel replicas of every device (training with --dp).
  size_t replicas = 1;
  /// Where the build says which devices are done.
  Progress progress;
  /// Whether the devices run as one MPI job (several devices or replicas).
  bool multiDevice() const { return devices > 1 || replicas > 1; }
  /// `file` inside the folder.
  std::string path(llvm::StringRef file) const;
};

class TargetBackend {
public:
  virtual ~TargetBackend();

  /// The `--target=` name ("cpu") and a line for --help.
  virtual llvm::StringRef name() const = 0;
  virtual llvm::StringRef description() const = 0;

  /// Whether matrix products and convolutions can compute in `precision`
  /// (fp32, tf32, fp16, bf16). Default: fp32 only.
  virtual bool supportsPrecision(llvm::StringRef precision) const;

  /// Graph rewrites for the target's kernels (layout, fusion), run before
  /// placement so that the placement costs the graph the devices run.
  virtual void buildGraphPasses(mlir::OpPassManager &pm) const = 0;

  /// From split device functions to planned ones: the memory plan and the
  /// weights layout. The default suits every target with one arena.
  virtual void buildPlanningPasses(mlir::OpPassManager &pm) const;

  /// From planned device functions to EmitC, each function's program in an
  /// `emitc.file` named after it.
  virtual void buildLoweringPasses(mlir::OpPassManager &pm,
                                   llvm::StringRef precision) const = 0;

  /// How the devices of a multi-device bundle exchange tensors ("mpi").
  virtual llvm::StringRef transport() const = 0;

  /// The extension of a device's source: ".cc", ".cu".
  virtual llvm::StringRef sourceExtension() const = 0;

  /// Writes the target's build files into the bundle's folder (a
  /// CMakeLists.txt, a build.sh) and, when asked, builds one executable per
  /// device from its source. Errors go to `module`'s diagnostics.
  virtual mlir::LogicalResult
  buildExecutables(mlir::ModuleOp module, const BundleLayout &bundle) const = 0;
};

/// Adds a target; a second target of the same name replaces none and fails
/// an assertion.
void registerTargetBackend(std::unique_ptr<TargetBackend> backend);

/// The registered target called `name`, or null.
const TargetBackend *lookupTargetBackend(llvm::StringRef name);

/// Every registered target, in registration order.
std::vector<const TargetBackend *> registeredTargetBackends();

/// "cpu, cuda": the registered names, for messages.
std::string registeredTargetNames();

/// One command of a build: its arguments (the program first), the file
/// its output goes to (removed when it succeeds), and what it builds, for
/// messages ("device_1").
struct BuildCommand {
  std::vector<std::string> args;
  std::string log;
  std::string what;
};

/// Runs the commands, as many at once as the machine has cores, and says
/// each one done to `progress`; on a failure, waits for the others and
/// reports the first failure's `what` with its log quoted (its start, with
/// the first compiler error, and its end, with the linker's).
mlir::LogicalResult runBuildCommands(mlir::ModuleOp module,
                                     llvm::ArrayRef<BuildCommand> commands,
                                     const Progress &progress);

} // namespace cleave::target

#endif // CLEAVE_TARGET_TARGETBACKEND_H
