//===- Recurrent.cpp - RNN, GRU and LSTM as unrolled compositions ---------===//
//
// Each recurrent layer imports as graph ops unrolled over its static
// sequence length, as Loop and Scan do: the input projection of every step
// is one MatMul over the whole sequence (X W^T + Wb), then each step adds
// H R^T and applies its gates. Every ONNX attribute is read: directions
// (forward, reverse, bidirectional), layout, activations with their alpha
// and beta, clip, sequence_lens (a mask: past its length a step keeps the
// state and writes zeros, which also starts a reversed pass at each
// sequence's own end), initial states, LSTM peepholes and input_forget,
// GRU linear_before_reset, and all outputs. Being ordinary ops, the layers
// train (their gradients are the ops' rules), place (a cut may fall
// between steps or layers) and run on every backend.
//
//===----------------------------------------------------------------------===//

#include "Builders.h"
#include "cleave/Dialect/Cleave/IR/CleaveOps.h"
#include "llvm/ADT/STLExtras.h"
#include "llvm/ADT/StringExtras.h"

using namespace mlir;
using namespace cleave::graph;

namespace cleave::onnx_import {

namespace {

/// Steps a layer may be unrolled into at most, per direction.
constexpr int64_t kMaxSteps = 4096;

enum class Cell { Rnn, Gru, Lstm };

/// ONNX's gate count and default activations of each cell.
int64_t gateCount(Cell cell) {
  return cell == Cell::Rnn ? 1 : cell == Cell::Gru ? 3 : 4;
}
SmallVector<StringRef> defaultActivations(Cell cell) {
  if (cell == Cell::Rnn)
    return {"Tanh"};
  if (cell == Cell::Gru)
    return {"Sigmoid", "Tanh"};
  return {"Sigmoid", "Tanh", "Tanh"};
}

/// One activation of the cell, with its alpha and beta.
struct Activation {
  std::string name; // Lower case.
  float alpha, beta;
};

bool takesAlpha(StringRef name) {
  return llvm::is_contained({"leakyrelu", "thresholdedrelu", "scaledtanh",
                             "hardsigmoid", "elu", "affine"},
                            name);
}
bool takesBeta(StringRef name) {
  return llvm::is_contained({"scaledtanh", "hardsigmoid", "affine"}, name);
}

/// ONNX's defaults: those of the operators of the same names.
std::pair<float, float> defaultScalars(StringRef name) {
  if (name == "leakyrelu")
    return {0.01f, 0.0f};
  if (name == "hardsigmoid")
    return {0.2f, 0.5f};
  if (name == "affine" || name == "scaledtanh")
    return {1.0f, name == "affine" ? 0.0f : 1.0f};
  return {1.0f, 0.0f}; // elu, thresholdedrelu.
}

/// The builder of one layer: its inputs, attributes and the ops of a step.
class RecurrentLayer {
public:
  RecurrentLayer(NodeState &node, Cell cell)
      : node(node), b(node.builder), loc(node.loc), cell(cell) {}

  LogicalResult build(SmallVectorImpl<Value> &results);

private:
  LogicalResult readAttributes();
  /// The activations of direction `d` (f, g[, h]), alphas and betas
  /// consumed in order by the functions that take them, as onnxruntime.
  LogicalResult readActivations();
  Value activate(const Activation &f, Value x);
  Value clip(Value x);
  Value scalar(double value) { return node.constantScalar(value, element); }
  Value slice(Value x, int64_t axis, int64_t begin, int64_t end);
  Value pick(Value x, int64_t index, int64_t axis) {
    return GatherOp::create(b, loc, x, node.constantI64({index}, true), axis);
  }
  Value zeros(ArrayRef<int64_t> shape) {
    auto type = RankedTensorType::get(shape, element);
    return ConstantOp::create(
        b, loc, DenseElementsAttr::get(type, b.getFloatAttr(element, 0.0)));
  }
  /// The initial state input `index` of direction `d`, or zeros.
  Value initialState(unsigned index, int64_t d);
  /// One direction over the sequence: fills `outputs` (one [batch, hidden]
  /// per step, in time order) and the final states.
  LogicalResult runDirection(int64_t d, SmallVectorImpl<Value> &outputs,
                             Value &finalH, Value &finalC);

  NodeState &node;
  OpBuilder &b;
  Location loc;
  Cell cell;
  Type element;
  int64_t hidden = 0, steps = 0, batch = 0, directions = 1, layout = 0;
  std::string direction;
  std::optional<double> clipThreshold;
  int64_t linearBeforeReset = 0, inputForget = 0;
  SmallVector<SmallVector<Activation>> activations; // Per direction.
  Value x;    // [steps, batch, input]
  Value mask; // [steps, batch, 1] bool, with sequence_lens; else null.
};

LogicalResult RecurrentLayer::readAttributes() {
  FailureOr<int64_t> hiddenSize = node.intAttr("hidden_size", 0);
  FailureOr<std::string> dir = node.stringAttr("direction", "forward");
  FailureOr<int64_t> layoutAttr = node.intAttr("layout", 0);
  FailureOr<int64_t> lbr = node.intAttr("linear_before_reset", 0);
  FailureOr<int64_t> forget = node.intAttr("input_forget", 0);
  FailureOr<FloatAttr> clipAttr = node.optionalAttr<FloatAttr>("clip", "FLOAT");
  if (failed(hiddenSize) || failed(dir) || failed(layoutAttr) || failed(lbr) ||
      failed(forget) || failed(clipAttr))
    return failure();
  direction = *dir;
  if (direction != "forward" && direction != "reverse" &&
      direction != "bidirectional")
    return node.fail("direction '" + direction +
                     "' is not forward, reverse or bidirectional");
  directions = direction == "bidirectional" ? 2 : 1;
  layout = *layoutAttr;
  if (layout != 0 && layout != 1)
    return node.fail("layout must be 0 or 1");
  linearBeforeReset = *lbr;
  inputForget = *forget;
  if (*clipAttr)
    clipThreshold = clipAttr->getValueAsDouble();
  auto r = cast<RankedTensorType>(node.operands[2].getType());
  if (r.getRank() != 3 || r.getDimSize(0) != directions)
    return node.fail("R must be [num_directions, " + Twine(gateCount(cell)) +
                     " * hidden_size, hidden_size]");
  hidden = *hiddenSize ? *hiddenSize : r.getDimSize(2);
  if (r.getDimSize(1) != gateCount(cell) * hidden || r.getDimSize(2) != hidden)
    return node.fail("R has shape [" + Twine(r.getDimSize(0)) + ", " +
                     Twine(r.getDimSize(1)) + ", " + Twine(r.getDimSize(2)) +
                     "], not [num_directions, " + Twine(gateCount(cell)) +
                     " * " + Twine(hidden) + ", " + Twine(hidden) + "]");
  return readActivations();
}

LogicalResult RecurrentLayer::readActivations() {
  SmallVector<StringRef> defaults = defaultActivations(cell);
  SmallVector<std::string> names;
  if (Attribute attr = node.attributes.get("activations")) {
    auto list = dyn_cast<ArrayAttr>(attr);
    if (!list)
      return node.fail("attribute 'activations' must be STRINGS");
    for (Attribute name : list)
      names.push_back(llvm::StringRef(cast<StringAttr>(name).getValue()).lower());
  } else {
    for (int64_t d = 0; d < directions; ++d)
      for (StringRef name : defaults)
        names.push_back(name.lower());
  }
  size_t perDirection = defaults.size();
  if (names.size() != perDirection * directions)
    return node.fail("has " + Twine(names.size()) + " activations; it needs " +
                     Twine(perDirection * directions));
  auto floats = [&](StringRef name) -> FailureOr<SmallVector<float>> {
    Attribute attr = node.attributes.get(name);
    if (!attr)
      return SmallVector<float>();
    auto list = dyn_cast<DenseF32ArrayAttr>(attr);
    if (!list)
      return node.fail("attribute '" + name + "' must be FLOATS");
    return SmallVector<float>(list.asArrayRef());
  };
  FailureOr<SmallVector<float>> alphas = floats("activation_alpha");
  FailureOr<SmallVector<float>> betas = floats("activation_beta");
  if (failed(alphas) || failed(betas))
    return failure();
  size_t nextAlpha = 0, nextBeta = 0;
  activations.assign(directions, {});
  for (auto [i, name] : llvm::enumerate(names)) {
    static const char *const known[] = {
        "sigmoid", "tanh",  "relu",     "leakyrelu", "thresholdedrelu",
        "scaledtanh", "hardsigmoid", "elu", "softsign", "softplus", "affine"};
    if (!llvm::is_contained(known, name))
      return node.fail("activation '" + name + "' is not one ONNX defines");
    auto [alpha, beta] = defaultScalars(name);
    if (takesAlpha(name) && nextAlpha < alphas->size())
      alpha = (*alphas)[nextAlpha++];
    if (takesBeta(name) && nextBeta < betas->size())
      beta = (*betas)[nextBeta++];
    activations[i / perDirection].push_back({name, alpha, beta});
  }
  return success();
}

Value RecurrentLayer::activate(const Activation &f, Value v) {
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

Value RecurrentLayer::clip(Value v) {
  if (!clipThreshold)
    return v;
  return ClipOp::create(b, loc, v, scalar(-*clipThreshold),
                        scalar(*clipThreshold));
}

Value RecurrentLayer::slice(Value v, int64_t axis, int64_t begin, int64_t end) {
  Value none = NoneOp::create(b, loc);
  return SliceOp::create(b, loc, v, node.constantI64({begin}),
                         node.constantI64({end}), node.constantI64({axis}),
                         none);
}

Value RecurrentLayer::initialState(unsigned index, int64_t d) {
  if (node.operands.size() <= index || !node.operands[index])
    return zeros({batch, hidden});
  // [num_directions, batch, hidden], or [batch, num_directions, hidden].
  return pick(node.operands[index], d, layout == 0 ? 0 : 1);
}

LogicalResult RecurrentLayer::runDirection(int64_t d,
                                           SmallVectorImpl<Value> &outputs,
                                           Value &finalH, Value &finalC) {
  int64_t gates = gateCount(cell);
  const SmallVector<Activation> &f = activations[d];
  Value w = pick(node.operands[1], d, 0); // [gates * hidden, input]
  Value r = pick(node.operands[2], d, 0); // [gates * hidden, hidden]
  // Wb and Rb, [gates * hidden] each; zeros without B.
  Value wb, rb;
  if (node.operands.size() > 3 && node.operands[3]) {
    Value bias = pick(node.operands[3], d, 0);
    wb = slice(bias, 0, 0, gates * hidden);
    rb = slice(bias, 0, gates * hidden, 2 * gates * hidden);
  } else {
    wb = rb = zeros({gates * hidden});
  }
  // GRU with linear_before_reset keeps Rb of the h gate inside the reset.
  bool lbr = cell == Cell::Gru && linearBeforeReset;
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

  Value h = initialState(5, d);
  Value c = cell == Cell::Lstm ? initialState(6, d) : Value();
  Value peepI, peepO, peepF;
  if (cell == Cell::Lstm && node.operands.size() > 7 && node.operands[7]) {
    Value p = pick(node.operands[7], d, 0); // [3 * hidden]: i, o, f.
    peepI = slice(p, 0, 0, hidden);
    peepO = slice(p, 0, hidden, 2 * hidden);
    peepF = slice(p, 0, 2 * hidden, 3 * hidden);
  }
  // The parts of R a step multiplies by: GRU's h gate apart (it multiplies
  // r * H without linear_before_reset).
  Value rAll = r, rZr, rH;
  if (cell == Cell::Gru) {
    rZr = slice(r, 0, 0, 2 * hidden);
    rH = slice(r, 0, 2 * hidden, 3 * hidden);
  }
  Value rbH = cell == Cell::Gru ? slice(rb, 0, 2 * hidden, 3 * hidden) : Value();

  bool reverse = direction == "reverse" || d == 1;
  outputs.assign(steps, Value());
  for (int64_t i = 0; i < steps; ++i) {
    int64_t t = reverse ? steps - 1 - i : i;
    Value xt = pick(projected, t, 0); // [batch, gates * hidden]
    Value hNew, cNew;
    if (cell == Cell::Rnn) {
      Value pre = AddOp::create(b, loc, xt,
                                MatMulOp::create(b, loc, h, rAll, false, true));
      hNew = activate(f[0], clip(pre));
    } else if (cell == Cell::Gru) {
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
      Value fGate = inputForget
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
  return success();
}

LogicalResult RecurrentLayer::build(SmallVectorImpl<Value> &results) {
  if (failed(readAttributes()))
    return failure();
  x = node.operands[0];
  auto xType = cast<RankedTensorType>(x.getType());
  element = xType.getElementType();
  if (xType.getRank() != 3 || !isa<FloatType>(element))
    return node.fail("X must be a 3-D float tensor");
  if (layout == 1)
    x = TransposeOp::create(b, loc, x, b.getDenseI64ArrayAttr({1, 0, 2}));
  auto seqType = cast<RankedTensorType>(x.getType());
  steps = seqType.getDimSize(0);
  batch = seqType.getDimSize(1);
  if (steps < 1)
    return node.fail("the sequence is empty");
  if (steps > kMaxSteps)
    return node.fail("has " + Twine(steps) + " steps; Cleave unrolls at most " +
                     Twine(kMaxSteps));
  if (node.operands.size() > 4 && node.operands[4]) {
    // live[t, b] = t < sequence_lens[b], as [steps, batch, 1].
    Value lengths = node.operands[4];
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
                               node.constantI64({2}));
  }
  SmallVector<SmallVector<Value>> perDirection(directions);
  SmallVector<Value> finalH(directions), finalC(directions);
  for (int64_t d = 0; d < directions; ++d)
    if (failed(runDirection(d, perDirection[d], finalH[d], finalC[d])))
      return failure();
  // Y: [steps, directions, batch, hidden]; layout 1: [batch, steps,
  // directions, hidden]. Y_h, Y_c: [directions, batch, hidden]; layout 1:
  // [batch, directions, hidden].
  SmallVector<Value> stepOutputs;
  for (int64_t t = 0; t < steps; ++t) {
    SmallVector<Value> atT;
    for (int64_t d = 0; d < directions; ++d)
      atT.push_back(perDirection[d][t]);
    stepOutputs.push_back(node.stack(atT, 0)); // [directions, batch, h]
  }
  Value y = node.stack(stepOutputs, 0);
  Value yh = node.stack(finalH, 0);
  if (layout == 1) {
    y = TransposeOp::create(b, loc, y, b.getDenseI64ArrayAttr({2, 0, 1, 3}));
    yh = TransposeOp::create(b, loc, yh, b.getDenseI64ArrayAttr({1, 0, 2}));
  }
  results.assign({y, yh});
  if (cell == Cell::Lstm) {
    Value yc = node.stack(finalC, 0);
    if (layout == 1)
      yc = TransposeOp::create(b, loc, yc, b.getDenseI64ArrayAttr({1, 0, 2}));
    results.push_back(yc);
  }
  return success();
}

} // namespace

LogicalResult buildRNN(NodeState &node, SmallVectorImpl<Value> &results) {
  return RecurrentLayer(node, Cell::Rnn).build(results);
}

LogicalResult buildGRU(NodeState &node, SmallVectorImpl<Value> &results) {
  return RecurrentLayer(node, Cell::Gru).build(results);
}

LogicalResult buildLSTM(NodeState &node, SmallVectorImpl<Value> &results) {
  return RecurrentLayer(node, Cell::Lstm).build(results);
}

} // namespace cleave::onnx_import
