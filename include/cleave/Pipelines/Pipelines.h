//===- Pipelines.h - the compiler's phases as pass pipelines ----*- C++ -*-===//
//
// The compiler is one pipeline with named phases:
//
//   import   the ONNX model as graph IR (not a pass: the importer)
//   graph    cleanup (canonicalize, CSE), then the target's graph rewrites
//   placed   cleave-place: every op's device, the predicted times
//   split    transfers and one function per device (@device_0, ...)
//   planned  the target's memory plan and weights layout
//   lowered  the target's lowering to EmitC, one emitc.file per device
//   bundle   the folder on disk (not a pass: the bundle writer)
//
// buildCleavePipeline adds the passes between two phases; cleave-opt's
// registered pipelines (cleave-graph-pipeline, cleave-placement-pipeline,
// cleave-<target>-backend-pipeline) run the same passes, so every phase of
// `cleave-compile --compile-to=<phase>` can be reproduced from the one
// before it.
//
//===----------------------------------------------------------------------===//

#ifndef CLEAVE_PIPELINES_PIPELINES_H
#define CLEAVE_PIPELINES_PIPELINES_H

#include "mlir/Pass/PassManager.h"
#include "llvm/Support/raw_ostream.h"
#include <optional>
#include <string>
#include <vector>

namespace cleave::target {
class TargetBackend;
} // namespace cleave::target

namespace cleave::pipelines {

enum class Phase { Import, Graph, Placed, Split, Planned, Lowered, Bundle };

/// "import", "graph", ...; and back (nullopt for an unknown name).
llvm::StringRef phaseName(Phase phase);
std::optional<Phase> parsePhase(llvm::StringRef name);
/// "import, graph, ..., bundle", for messages.
std::string phaseNames();

enum class Precision { FP32, TF32, FP16, BF16 };
llvm::StringRef precisionName(Precision precision);
std::optional<Precision> parsePrecision(llvm::StringRef name);

enum class Strategy { Pipeline, Auto, Dag, Manual, Onnx };
llvm::StringRef strategyName(Strategy strategy);
std::optional<Strategy> parseStrategy(llvm::StringRef name);

/// Where the ops go (cleave-place's options).
struct PlacementOptions {
  /// Without placement, the whole model is one device's program.
  bool enabled = false;
  std::string machine = "local-cpu";
  unsigned numDevices = 0;
  Strategy strategy = Strategy::Pipeline;
  std::vector<std::string> cuts;
  std::string placementIn, placementOut;
  /// The placement table, to `reportStream` (stderr when null).
  bool report = false;
  llvm::raw_ostream *reportStream = nullptr;
  /// The placed graph as .dot or .svg.
  std::string reportGraph;
  /// A training step's pipeline schedule: auto (1f1b, or interleaved:v=2
  /// when its predicted step is shorter), gpipe, 1f1b or interleaved[:v=N].
  std::string schedule = "auto";
  /// An op profile whose measured times replace the roofline's ("": none).
  std::string opProfile;
  /// Inference: data-parallel replicas of the placement, each a share of a
  /// run's microbatches (a training step's come from TrainingOptions).
  unsigned replicas = 1;
  /// Post each receive ahead of its use (cleave-post-receives); false:
  /// each blocks where its reader is (for measuring what posting saves).
  bool postReceives = true;
};

/// A training step instead of inference (docs/Training.md): the graph phase
/// makes the float initializers variables, adds the loss, differentiates
/// and, with an optimizer, updates the variables; without one the
/// gradients are outputs (`grad:<initializer>`).
struct TrainingOptions {
  bool enabled = false;
  std::string loss, optimizer;
  std::vector<std::string> trainable, frozen;
  /// Clip the gradients to this global L2 norm (0: no clipping).
  double clipGradNorm = 0;
  /// Microbatches per step and data-parallel replicas: the model is
  /// imported for one microbatch of one replica (ImportOptions::batchSplit
  /// = microbatches * replicas) and cleave-accumulate-gradients makes the
  /// step.
  unsigned microbatches = 1, replicas = 1;
  /// ZeRO stage: 1 shards the AdamW state over the replicas
  /// (cleave-shard-optimizer); 0 keeps a whole copy on each.
  unsigned zero = 0;
  /// Dropouts drop (false: the identity, as in eval mode), with masks
  /// drawn from this seed.
  bool dropout = true;
  uint64_t seed = 0;
};

struct PipelineOptions {
  /// The devices' target; null: graph phases only (no target rewrites, no
  /// planning or lowering).
  const target::TargetBackend *target = nullptr;
  Precision precision = Precision::FP32;
  /// canonicalize and CSE after import.
  bool cleanup = true;
  TrainingOptions training;
  PlacementOptions placement;
};

/// Adds to `pm` (anchored on builtin.module) the passes that take a module
/// from phase `from` to phase `to` (from < to; Bundle adds what Lowered
/// does, the writer needs the planned module). Phases past `split` need a
/// target.
void buildCleavePipeline(mlir::OpPassManager &pm,
                         const PipelineOptions &options, Phase from, Phase to);

/// Registers the pipelines cleave-opt runs (call after the targets are
/// registered: each target gets its backend pipeline).
void registerCleavePipelines();

} // namespace cleave::pipelines

#endif // CLEAVE_PIPELINES_PIPELINES_H
