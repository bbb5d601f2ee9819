//===- Recurrent.h - what a recurrent layer op computes ---------*- C++ -*-===//
//
// The attributes of an RNN, GRU or LSTM op resolved as ONNX defines them
// (defaults, the activations of each direction with their alphas and betas,
// the hidden size), read once and shared by the verifier, the
// decomposition into graph ops and the lowering to the fused CPU kernel.
//
//===----------------------------------------------------------------------===//

#ifndef CLEAVE_DIALECT_CLEAVE_IR_RECURRENT_H
#define CLEAVE_DIALECT_CLEAVE_IR_RECURRENT_H

#include "mlir/IR/Operation.h"
#include "llvm/ADT/SmallVector.h"
#include <optional>
#include <string>

namespace cleave::graph {

enum class RecurrentCell { Rnn, Gru, Lstm };

/// One activation of a cell (lower-case ONNX name) with its alpha and beta.
struct RecurrentActivation {
  std::string name;
  float alpha, beta;
};

struct RecurrentLayer {
  RecurrentCell cell;
  int64_t hidden = 0, directions = 1, layout = 0;
  std::string direction; // forward, reverse or bidirectional
  std::optional<double> clip;
  bool linearBeforeReset = false, inputForget = false;
  /// Per direction: f, g (and h for LSTM), as ONNX orders them.
  llvm::SmallVector<llvm::SmallVector<RecurrentActivation>> activations;
  /// X, W, R, then B, sequence_lens, initial_h, initial_c and P, each null
  /// when absent (or not of this cell).
  mlir::Value x, w, r, b, sequenceLens, initialH, initialC, peepholes;

  /// Reads `op` (a cleave.rnn, cleave.gru or cleave.lstm); on invalid
  /// attributes or shapes, emits the error at the op and fails.
  static mlir::FailureOr<RecurrentLayer> read(mlir::Operation *op);

  /// Gates per step: 1 (RNN), 3 (GRU) or 4 (LSTM).
  int64_t gates() const;

  /// Whether the CPU's fused kernel computes the layer: f32, layout 0, no
  /// sequence_lens, clip or input_forget, and the default activations (an
  /// RNN may use Tanh, Relu or Sigmoid, the same in both directions).
  bool hasFusedKernel() const;
};

} // namespace cleave::graph

#endif // CLEAVE_DIALECT_CLEAVE_IR_RECURRENT_H
