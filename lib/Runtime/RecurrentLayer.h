//===- RecurrentLayer.h - one call of the recurrent kernel ----------------===//
//
// The operands of `cleave_cpu_recurrent`, read once, for its two paths:
// oneDNN's fused primitives (RecurrentKernels.cpp) and the step loop for
// small batches (RecurrentLoop.cpp).
//
//===----------------------------------------------------------------------===//

#ifndef CLEAVE_RUNTIME_RECURRENTLAYER_H
#define CLEAVE_RUNTIME_RECURRENTLAYER_H

#include "cleave/Runtime/Status.h"
#include "cleave/Runtime/Tensor.h"
#include <cstdint>

namespace cleave::cpu {

enum RecurrentCell : int32_t { kRnn = 0, kGru = 1, kLstm = 2 };

/// The vanilla RNN's activation; the GRU and LSTM use ONNX's defaults
/// (sigmoid gates, tanh candidates).
enum RecurrentActivation : int32_t { kTanh = 0, kRelu = 1, kSigmoid = 2 };

struct RecurrentShape {
  int64_t steps, batch, input, directions, hidden, gates;
};

/// A layer in ONNX's layout: X [T, N, K], W [D, G*H, K], R [D, G*H, H],
/// B [D, 2*G*H], states [D, N, H], Y [T, D, N, H], peepholes [D, 3*H]
/// (i, o, f); gates in ONNX's order (GRU z, r, h; LSTM i, o, f, c).
/// Optional operands are null.
struct RecurrentCall {
  int32_t cell, activation, direction; // direction 2: both.
  bool linearBeforeReset;
  RecurrentShape shape;
  const cleave_tensor *x, *w, *r, *b, *initialH, *initialC, *peepholes;
  cleave_tensor *y, *yH, *yC;
};

/// Whether the step loop beats oneDNN's primitive on this shape with
/// `threads` threads: at small batches oneDNN's per-step overhead
/// dominates.
bool preferRecurrentLoop(const RecurrentShape &shape, int threads);

/// The layer by its definition, one step after another; with AVX2 and FMA
/// where the CPU has them, unless `baseline`.
cleave_status runRecurrentLoop(const RecurrentCall &call,
                               bool baseline = false);

} // namespace cleave::cpu

#endif // CLEAVE_RUNTIME_RECURRENTLAYER_H
