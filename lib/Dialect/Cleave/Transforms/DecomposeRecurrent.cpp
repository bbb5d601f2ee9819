//===- DecomposeRecurrent.cpp - RNN, GRU and LSTM as unrolled graph ops ---===//
//
// Each layer becomes graph ops unrolled over its static sequence length, as
// Loop and Scan import: the input projection of every step is one MatMul
// over the whole sequence (X W^T + Wb), then each step adds H R^T and
// applies its gates (RecurrentOps.td says when this runs).
//
//===----------------------------------------------------------------------===//

#include "cleave/Dialect/Cleave/IR/CleaveOps.h"
#include "cleave/Dialect/Cleave/IR/Recurrent.h"
#include "cleave/Dialect/Cleave/Transforms/Passes.h"
#include "mlir/Dialect/Func/IR/FuncOps.h"

namespace cleave::graph {
#define GEN_PASS_DEF_DECOMPOSERECURRENTPASS
#include "cleave/Dialect/Cleave/Transforms/Passes.h.inc"
} // namespace cleave::graph

using namespace mlir;
using namespace cleave::graph;

namespace {

/// Steps a layer may be unrolled into at most, per direction.
constexpr int64_t kMaxSteps = 4096;

/// Builds the unrolled ops of one layer in front of it.
class Unroller {
public:
  Unroller(Operation *op, const RecurrentLayer &layer)
      : b(op), loc(op->getLoc()), layer(layer),
        element(cast<ShapedType>(layer.x.getType()).getElementType()) {}

  /// The layer's results (Y, Y_h and for LSTM Y_c).
  SmallVector<Value> build();

private:
  Value constantI64(ArrayRef<int64_t> values, bool scalar = false) {
    auto type = RankedTensorType::get(
        scalar ? ArrayRef<int64_t>{} : ArrayRef<int64_t>{(int64_t)values.size()},
        b.getI64Type());
    return ConstantOp::create(b, loc, DenseElementsAttr::get(type, values));
  }
  Value scalar(double value) {
    auto type = RankedTensorType::get({}, element);
    return ConstantOp::create(
        b, loc, DenseElementsAttr::get(type, b.getFloatAttr(element, value)));
  }
  Value zeros(ArrayRef<int64_t> shape) {
    auto type = RankedTensorType::get(shape, element);
    return ConstantOp::create(
        b, loc, DenseElementsAttr::get(type, b.getFloatAttr(element, 0.0)));
  }
  Value slice(Value x, int64_t axis, int64_t begin, int64_t end) {
    Value none = NoneOp::create(b, loc);
    return SliceOp::create(b, loc, x, constantI64({begin}), constantI64({end}),
                           constantI64({axis}), none);
  }
  Value pick(Value x, int64_t index, int64_t axis) {
    return GatherOp::create(b, loc, x, constantI64({index}, true), axis);
  }
  /// `parts` stacked on a new axis.
  Value stack(ArrayRef<Value> parts, int64_t axis) {
    SmallVector<Value> expanded;
    for (Value part : parts)
      expanded.push_back(UnsqueezeOp::create(b, loc, part, constantI64({axis})));
    if (expanded.size() == 1)
      return expanded.front();
    return ConcatOp::create(b, loc, expanded, axis);
  }
  Value activate(const RecurrentActivation &f, Value x);
  Value clip(Value x) {
    if (!layer.clip)
      return x;
    return ClipOp::create(b, loc, x, scalar(-*layer.clip), scalar(*layer.clip));
  }
  /// The initial state `given` of direction `d`, or zeros.
  Value initialState(Value given, int64_t d) {
    if (!given)
      return zeros({batch, layer.hidden});
    // [num_directions, batch, hidden], or [batch, num_directions, hidden].
    return pick(given, d, layer.layout == 0 ? 0 : 1);
  }
  /// One direction over the sequence: fills `outputs` (one [batch, hidden]
  /// per step, in time order) and the final states.
  void runDirection(int64_t d, SmallVectorImpl<Value> &outputs, Value &finalH,
                    Value &finalC);

  OpBuilder b;
  Location loc;
  const RecurrentLayer &layer;
  Type element;
  int64_t steps = 0, batch = 0;
  Value x;    // [steps, batch, input]
  Value mask; // [steps, batch, 1] bool, with sequence_lens; else null.
};

Value Unroller::activate(const RecurrentActivation &f, Value v) {
  StringRef name = f.name;
  if (name == "sigmoid")
    return SigmoidOp::create(b, loc, v);
  if (name == "tanh")
    return TanhOp::create(b, loc, v);
  if (name == "relu")
    return ReluOp::create(b, loc, v);
  if (name == "leakyrelu")
    return LeakyReluOp::create(b, loc, v, APFloat(f.alpha));
  if (name == "hardsigmoid")
    return HardSigmoidOp::create(b, loc, v, APFloat(f.alpha), APFloat(f.beta));
  if (name == "elu")
    return EluOp::create(b, loc, v, APFloat(f.alpha));
  if (name == "softsign")
    return SoftsignOp::create(b, loc, v);
  if (name == "softplus")
    return SoftplusOp::create(b, loc, v);
  if (name == "thresholdedrelu")
    return WhereOp::create(b, loc, GreaterOp::create(b, loc, v, scalar(f.alpha)),
                           v, scalar(0.0));
  if (name == "scaledtanh")
    return MulOp::create(
        b, loc, scalar(f.alpha),
        TanhOp::create(b, loc, MulOp::create(b, loc, v, scalar(f.beta))));
  // affine
  return AddOp::create(b, loc, MulOp::create(b, loc, v, scalar(f.alpha)),
                       scalar(f.beta));
}

void Unroller::runDirection(int64_t d, SmallVectorImpl<Value> &outputs,
                            Value &finalH, Value &finalC) {
  int64_t gates = layer.gates(), hidden = layer.hidden;
  RecurrentCell cell = layer.cell;
  const SmallVector<RecurrentActivation> &f = layer.activations[d];
  Value w = pick(layer.w, d, 0); // [gates * hidden, input]
  Value r = pick(layer.r, d, 0); // [gates * hidden, hidden]
  // Wb and Rb, [gates * hidden] each; zeros without B.
  Value wb, rb;
  if (layer.b) {
    Value bias = pick(layer.b, d, 0);
    wb = slice(bias, 0, 0, gates * hidden);
    rb = slice(bias, 0, gates * hidden, 2 * gates * hidden);
  } else {
    wb = rb = zeros({gates * hidden});
  }
  // GRU with linear_before_reset keeps Rb of the h gate inside the reset.
  bool lbr = cell == RecurrentCell::Gru && layer.linearBeforeReset;
  Value outsideBias =
      lbr ? AddOp::create(b, loc, wb,
                          ConcatOp::create(b, loc,
                                           ValueRange{slice(rb, 0, 0, 2 * hidden),
                                                      zeros({hidden})},
                                           0))
          : AddOp::create(b, loc, wb, rb);
  // Every step's input projection at once: [steps, batch, gates * hidden].
  Value projected = AddOp::create(
      b, loc, MatMulOp::create(b, loc, x, w, false, true), outsideBias);

  Value h = initialState(layer.initialH, d);
  Value c = cell == RecurrentCell::Lstm ? initialState(layer.initialC, d)
                                        : Value();
  Value peepI, peepO, peepF;
  if (layer.peepholes) {
    Value p = pick(layer.peepholes, d, 0); // [3 * hidden]: i, o, f.
    peepI = slice(p, 0, 0, hidden);
    peepO = slice(p, 0, hidden, 2 * hidden);
    peepF = slice(p, 0, 2 * hidden, 3 * hidden);
  }
  // The parts of R a step multiplies by: GRU's h gate apart (it multiplies
  // r * H without linear_before_reset).
  Value rAll = r, rZr, rH;
  if (cell == RecurrentCell::Gru) {
    rZr = slice(r, 0, 0, 2 * hidden);
    rH = slice(r, 0, 2 * hidden, 3 * hidden);
  }
  Value rbH = cell == RecurrentCell::Gru ? slice(rb, 0, 2 * hidden, 3 * hidden)
                                         : Value();

  bool reverse = layer.direction == "reverse" || d == 1;
  outputs.assign(steps, Value());
  for (int64_t i = 0; i < steps; ++i) {
    int64_t t = reverse ? steps - 1 - i : i;
    Value xt = pick(projected, t, 0); // [batch, gates * hidden]
    Value hNew, cNew;
    if (cell == RecurrentCell::Rnn) {
      Value pre = AddOp::create(b, loc, xt,
                                MatMulOp::create(b, loc, h, rAll, false, true));
      hNew = activate(f[0], clip(pre));
    } else if (cell == RecurrentCell::Gru) {
      Value hz = MatMulOp::create(b, loc, h, rZr, false, true);
      Value z = activate(f[0], clip(AddOp::create(
                                   b, loc, slice(xt, 1, 0, hidden),
                                   slice(hz, 1, 0, hidden))));
      Value rGate = activate(f[0], clip(AddOp::create(
                                       b, loc, slice(xt, 1, hidden, 2 * hidden),
                                       slice(hz, 1, hidden, 2 * hidden))));
      Value candidate;
      if (lbr) {
        Value hh = AddOp::create(
            b, loc, MatMulOp::create(b, loc, h, rH, false, true), rbH);
        candidate = AddOp::create(b, loc, slice(xt, 1, 2 * hidden, 3 * hidden),
                                  MulOp::create(b, loc, rGate, hh));
      } else {
        Value reset = MulOp::create(b, loc, rGate, h);
        candidate = AddOp::create(
            b, loc, slice(xt, 1, 2 * hidden, 3 * hidden),
            MatMulOp::create(b, loc, reset, rH, false, true));
      }
      Value hTilde = activate(f[1], clip(candidate));
      // (1 - z) * h~ + z * H = h~ + z * (H - h~).
      hNew = AddOp::create(
          b, loc, hTilde,
          MulOp::create(b, loc, z, SubOp::create(b, loc, h, hTilde)));
    } else {
      Value pre = AddOp::create(b, loc, xt,
                                MatMulOp::create(b, loc, h, rAll, false, true));
      Value iPre = slice(pre, 1, 0, hidden);
      Value oPre = slice(pre, 1, hidden, 2 * hidden);
      Value fPre = slice(pre, 1, 2 * hidden, 3 * hidden);
      Value cPre = slice(pre, 1, 3 * hidden, 4 * hidden);
      if (peepI) {
        iPre = AddOp::create(b, loc, iPre, MulOp::create(b, loc, peepI, c));
        fPre = AddOp::create(b, loc, fPre, MulOp::create(b, loc, peepF, c));
      }
      Value iGate = activate(f[0], clip(iPre));
      Value fGate = layer.inputForget
                        ? Value(SubOp::create(b, loc, scalar(1.0), iGate))
                        : activate(f[0], clip(fPre));
      Value cand = activate(f[1], clip(cPre));
      cNew = AddOp::create(b, loc, MulOp::create(b, loc, fGate, c),
                           MulOp::create(b, loc, iGate, cand));
      if (peepO)
        oPre = AddOp::create(b, loc, oPre, MulOp::create(b, loc, peepO, cNew));
      Value oGate = activate(f[0], clip(oPre));
      hNew = MulOp::create(b, loc, oGate, activate(f[2], cNew));
    }
    if (mask) {
      // Past a sequence's length the state holds and the output is zero.
      Value live = pick(mask, t, 0); // [batch, 1]
      outputs[t] = WhereOp::create(b, loc, live, hNew, scalar(0.0));
      hNew = WhereOp::create(b, loc, live, hNew, h);
      if (cNew)
        cNew = WhereOp::create(b, loc, live, cNew, c);
    } else {
      outputs[t] = hNew;
    }
    h = hNew;
    c = cNew;
  }
  finalH = h;
  finalC = c;
}

SmallVector<Value> Unroller::build() {
  x = layer.x;
  if (layer.layout == 1)
    x = TransposeOp::create(b, loc, x, b.getDenseI64ArrayAttr({1, 0, 2}));
  auto seqType = cast<RankedTensorType>(x.getType());
  steps = seqType.getDimSize(0);
  batch = seqType.getDimSize(1);
  if (Value lengths = layer.sequenceLens) {
    // live[t, b] = t < sequence_lens[b], as [steps, batch, 1].
    auto lengthType = cast<RankedTensorType>(lengths.getType());
    SmallVector<int64_t> times;
    for (int64_t t = 0; t < steps; ++t)
      times.push_back(t);
    Value steps64 = ConstantOp::create(
        b, loc,
        DenseElementsAttr::get(RankedTensorType::get({steps, 1}, b.getI64Type()),
                               ArrayRef<int64_t>(times)));
    Value lengths64 = lengthType.getElementType().isInteger(64)
                          ? lengths
                          : Value(CastOp::create(b, loc, lengths,
                                                 b.getI64Type(), 1));
    mask = UnsqueezeOp::create(b, loc,
                               LessOp::create(b, loc, steps64, lengths64),
                               constantI64({2}));
  }
  SmallVector<SmallVector<Value>> perDirection(layer.directions);
  SmallVector<Value> finalH(layer.directions), finalC(layer.directions);
  for (int64_t d = 0; d < layer.directions; ++d)
    runDirection(d, perDirection[d], finalH[d], finalC[d]);
  // Y: [steps, directions, batch, hidden]; layout 1: [batch, steps,
  // directions, hidden]. Y_h, Y_c: [directions, batch, hidden]; layout 1:
  // [batch, directions, hidden].
  SmallVector<Value> stepOutputs;
  for (int64_t t = 0; t < steps; ++t) {
    SmallVector<Value> atT;
    for (int64_t d = 0; d < layer.directions; ++d)
      atT.push_back(perDirection[d][t]);
    stepOutputs.push_back(stack(atT, 0)); // [directions, batch, h]
  }
  auto batchFirst = [&](Value state) -> Value {
    if (layer.layout == 0)
      return state;
    return TransposeOp::create(b, loc, state,
                               b.getDenseI64ArrayAttr({1, 0, 2}));
  };
  Value y = stack(stepOutputs, 0);
  if (layer.layout == 1)
    y = TransposeOp::create(b, loc, y, b.getDenseI64ArrayAttr({2, 0, 1, 3}));
  SmallVector<Value> results = {y, batchFirst(stack(finalH, 0))};
  if (layer.cell == RecurrentCell::Lstm)
    results.push_back(batchFirst(stack(finalC, 0)));
  return results;
}

struct DecomposeRecurrentPass
    : public cleave::graph::impl::DecomposeRecurrentPassBase<
          DecomposeRecurrentPass> {
  using DecomposeRecurrentPassBase::DecomposeRecurrentPassBase;

  void runOnOperation() override {
    SmallVector<Operation *> layers;
    getOperation().walk([&](Operation *op) {
      if (isa<RNNOp, GRUOp, LSTMOp>(op))
        layers.push_back(op);
    });
    for (Operation *op : layers) {
      FailureOr<RecurrentLayer> layer = RecurrentLayer::read(op);
      if (failed(layer))
        return signalPassFailure();
      if (!all && layer->hasFusedKernel())
        continue;
      int64_t steps =
          cast<ShapedType>(layer->x.getType()).getDimSize(layer->layout);
      if (steps > kMaxSteps) {
        op->emitOpError() << "has " << steps
                          << " steps; Cleave unrolls at most " << kMaxSteps;
        return signalPassFailure();
      }
      SmallVector<Value> results = Unroller(op, *layer).build();
      op->replaceAllUsesWith(results);
      op->erase();
    }
  }
};

} // namespace
