//===- Passes.h - passes on the cleave graph dialect ------------*- C++ -*-===//

#ifndef CLEAVE_DIALECT_CLEAVE_TRANSFORMS_PASSES_H
#define CLEAVE_DIALECT_CLEAVE_TRANSFORMS_PASSES_H

#include "cleave/Dialect/Cleave/IR/CleaveDialect.h"
#include "mlir/Dialect/Func/IR/FuncOps.h"
#include "mlir/Pass/Pass.h"

namespace cleave::graph {

#define GEN_PASS_DECL
#include "cleave/Dialect/Cleave/Transforms/Passes.h.inc"

#define GEN_PASS_REGISTRATION
#include "cleave/Dialect/Cleave/Transforms/Passes.h.inc"

/// cleave-place whose `report` goes to `report` (the registered pass, as
/// in cleave-opt, prints it to stderr).
std::unique_ptr<mlir::Pass> createPlacePass(const PlacePassOptions &options,
                                            llvm::raw_ostream &report);

/// Attribute names the memory plan writes.
inline constexpr llvm::StringLiteral kArenaOffsetsAttr = "cleave.arena_offsets";
inline constexpr llvm::StringLiteral kArenaSizeAttr = "cleave.arena_size";
inline constexpr llvm::StringLiteral kInPlaceAttr = "cleave.in_place";
/// On the function: the arena bytes alive at each op, by its position.
inline constexpr llvm::StringLiteral kArenaInUseAttr = "cleave.arena_in_use";
/// Attribute names the weights layout writes.
inline constexpr llvm::StringLiteral kWeightOffsetAttr = "cleave.weight_offset";
inline constexpr llvm::StringLiteral kWeightsSizeAttr = "cleave.weights_size";
/// cleave-autodiff: the index of each forward op it differentiated, and on
/// every op a gradient rule built, the index of its forward op.
inline constexpr llvm::StringLiteral kOpIndexAttr = "cleave.op_index";
inline constexpr llvm::StringLiteral kBackwardOfAttr = "cleave.backward_of";
/// cleave-accumulate-gradients: the microbatch of each op it cloned, and on
/// the step's function the number of data-parallel replicas (absent: 1).
inline constexpr llvm::StringLiteral kMicrobatchAttr = "cleave.microbatch";
inline constexpr llvm::StringLiteral kReplicasAttr = "cleave.replicas";
/// cleave-add-loss: "mean" or "sum", how the loss reduces over the batch.
inline constexpr llvm::StringLiteral kLossReductionAttr =
    "cleave.loss_reduction";

/// Bytes a tensor of `type` occupies (booleans take one byte each).
int64_t tensorBytes(mlir::Type type);

} // namespace cleave::graph

#endif // CLEAVE_DIALECT_CLEAVE_TRANSFORMS_PASSES_H
