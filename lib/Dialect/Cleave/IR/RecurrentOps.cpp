//===- RecurrentOps.cpp - RNN, GRU and LSTM: types, checks, cost ----------===//

#include "OpHelpers.h"
#include "cleave/Dialect/Cleave/IR/OpCost.h"
#include "cleave/Dialect/Cleave/IR/Recurrent.h"
#include "llvm/ADT/STLExtras.h"
#include "llvm/ADT/StringExtras.h"

using namespace mlir;
using namespace cleave::graph;
using namespace cleave::graph::helpers;

namespace {

int64_t gateCount(RecurrentCell cell) {
  return cell == RecurrentCell::Rnn ? 1 : cell == RecurrentCell::Gru ? 3 : 4;
}

SmallVector<StringRef> defaultActivations(RecurrentCell cell) {
  if (cell == RecurrentCell::Rnn)
    return {"tanh"};
  if (cell == RecurrentCell::Gru)
    return {"sigmoid", "tanh"};
  return {"sigmoid", "tanh", "tanh"};
}

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

int64_t directionCount(StringRef direction) {
  return direction == "bidirectional" ? 2 : 1;
}

/// Y, Y_h (and Y_c) from X, R and the attributes; the rest of the checks
/// are the verifier's (RecurrentLayer::read).
template <typename Adaptor>
LogicalResult inferRecurrentTypes(std::optional<Location> loc, Adaptor adaptor,
                                  bool lstm, SmallVectorImpl<Type> &types) {
  RankedTensorType x = rankedType(adaptor.getX());
  RankedTensorType r = rankedType(adaptor.getR());
  if (x.getRank() != 3)
    return emitOptionalError(loc, "X must have rank 3");
  if (r.getRank() != 3)
    return emitOptionalError(loc, "R must have rank 3");
  int64_t layout = adaptor.getLayout();
  if (layout != 0 && layout != 1)
    return emitOptionalError(loc, "layout must be 0 or 1");
  int64_t hidden = adaptor.getHiddenSize() ? (int64_t)*adaptor.getHiddenSize()
                                           : r.getDimSize(2);
  int64_t directions = directionCount(adaptor.getDirection());
  int64_t steps = x.getDimSize(layout), batch = x.getDimSize(1 - layout);
  Type element = x.getElementType();
  types.push_back(RankedTensorType::get(
      layout == 0 ? SmallVector<int64_t>{steps, directions, batch, hidden}
                  : SmallVector<int64_t>{batch, steps, directions, hidden},
      element));
  auto state = RankedTensorType::get(
      layout == 0 ? SmallVector<int64_t>{directions, batch, hidden}
                  : SmallVector<int64_t>{batch, directions, hidden},
      element);
  types.push_back(state);
  if (lstm)
    types.push_back(state);
  return success();
}

/// 2 flops per multiply-add of the input and recurrent products, and a few
/// per gate element for the activations and the state update.
double recurrentFlops(Operation *op, int64_t gates) {
  auto x = cast<RankedTensorType>(op->getOperand(0).getType());
  auto r = cast<RankedTensorType>(op->getOperand(2).getType());
  double rows = (double)x.getDimSize(0) * x.getDimSize(1) * r.getDimSize(0);
  double width = (double)r.getDimSize(1); // gates * hidden
  return rows * width * (2.0 * (x.getDimSize(2) + r.getDimSize(2)) + 4.0) +
         rows * width / gates * 4.0;
}

} // namespace

int64_t RecurrentLayer::gates() const { return gateCount(cell); }

FailureOr<RecurrentLayer> RecurrentLayer::read(Operation *op) {
  RecurrentLayer layer;
  auto optional = [](Value v) { return isNone(v) ? Value() : v; };
  layer.x = op->getOperand(0);
  layer.w = op->getOperand(1);
  layer.r = op->getOperand(2);
  layer.b = optional(op->getOperand(3));
  layer.sequenceLens = optional(op->getOperand(4));
  layer.initialH = optional(op->getOperand(5));
  std::optional<int64_t> hiddenSize;
  std::optional<ArrayAttr> names;
  std::optional<ArrayRef<float>> alphas, betas;
  auto common = [&](auto typed) {
    layer.direction = typed.getDirection().str();
    layer.layout = typed.getLayout();
    if (auto clip = typed.getClip())
      layer.clip = clip->convertToDouble();
    if (auto size = typed.getHiddenSize())
      hiddenSize = (int64_t)*size;
    names = typed.getActivations();
    alphas = typed.getActivationAlpha();
    betas = typed.getActivationBeta();
  };
  if (auto rnn = dyn_cast<RNNOp>(op)) {
    layer.cell = RecurrentCell::Rnn;
    common(rnn);
  } else if (auto gru = dyn_cast<GRUOp>(op)) {
    layer.cell = RecurrentCell::Gru;
    common(gru);
    layer.linearBeforeReset = gru.getLinearBeforeReset() != 0;
  } else {
    auto lstm = cast<LSTMOp>(op);
    layer.cell = RecurrentCell::Lstm;
    common(lstm);
    layer.inputForget = lstm.getInputForget() != 0;
    layer.initialC = optional(lstm.getInitialC());
    layer.peepholes = optional(lstm.getP());
  }

  if (layer.direction != "forward" && layer.direction != "reverse" &&
      layer.direction != "bidirectional")
    return op->emitOpError("direction '")
           << layer.direction << "' is not forward, reverse or bidirectional";
  layer.directions = directionCount(layer.direction);
  int64_t gates = layer.gates();
  RankedTensorType x = rankedType(layer.x), r = rankedType(layer.r),
                   w = rankedType(layer.w);
  if (r.getRank() != 3 || r.getDimSize(0) != layer.directions)
    return op->emitOpError("R must be [num_directions, ")
           << gates << " * hidden_size, hidden_size]";
  layer.hidden = hiddenSize ? *hiddenSize : r.getDimSize(2);
  int64_t hidden = layer.hidden;
  if (r.getDimSize(1) != gates * hidden || r.getDimSize(2) != hidden)
    return op->emitOpError("R has shape [")
           << r.getDimSize(0) << ", " << r.getDimSize(1) << ", "
           << r.getDimSize(2) << "], not [num_directions, " << gates << " * "
           << hidden << ", " << hidden << "]";
  if (x.getDimSize(layer.layout) < 1)
    return op->emitOpError("the sequence is empty");
  int64_t input = x.getDimSize(2);
  if (w.getRank() != 3 || w.getDimSize(0) != layer.directions ||
      w.getDimSize(1) != gates * hidden || w.getDimSize(2) != input)
    return op->emitOpError("W must be [")
           << layer.directions << ", " << gates * hidden << ", " << input
           << "]";
  auto expect = [&](Value v, ArrayRef<int64_t> shape,
                    StringRef what) -> LogicalResult {
    if (!v || rankedType(v).getShape() == shape)
      return success();
    std::string dims;
    llvm::raw_string_ostream os(dims);
    llvm::interleaveComma(shape, os);
    return op->emitOpError() << what << " must be [" << dims << "]";
  };
  int64_t batch = x.getDimSize(1 - layer.layout);
  SmallVector<int64_t> state =
      layer.layout == 0 ? SmallVector<int64_t>{layer.directions, batch, hidden}
                        : SmallVector<int64_t>{batch, layer.directions, hidden};
  if (failed(expect(layer.b, {layer.directions, 2 * gates * hidden}, "B")) ||
      failed(expect(layer.sequenceLens, {batch}, "sequence_lens")) ||
      failed(expect(layer.initialH, state, "initial_h")) ||
      failed(expect(layer.initialC, state, "initial_c")) ||
      failed(expect(layer.peepholes, {layer.directions, 3 * hidden}, "P")))
    return failure();
  for (Value v : {layer.b, layer.initialH, layer.initialC, layer.peepholes})
    if (v && rankedType(v).getElementType() != x.getElementType())
      return op->emitOpError("inputs have different element types");

  SmallVector<StringRef> defaults = defaultActivations(layer.cell);
  SmallVector<std::string> activationNames;
  if (names) {
    for (Attribute name : *names)
      activationNames.push_back(
          StringRef(cast<StringAttr>(name).getValue()).lower());
  } else {
    for (int64_t d = 0; d < layer.directions; ++d)
      for (StringRef name : defaults)
        activationNames.push_back(name.str());
  }
  size_t perDirection = defaults.size();
  if (activationNames.size() != perDirection * layer.directions)
    return op->emitOpError("has ")
           << activationNames.size() << " activations; it needs "
           << perDirection * layer.directions;
  size_t nextAlpha = 0, nextBeta = 0;
  layer.activations.assign(layer.directions, {});
  for (auto [i, name] : llvm::enumerate(activationNames)) {
    static const char *const known[] = {
        "sigmoid",    "tanh",        "relu", "leakyrelu", "thresholdedrelu",
        "scaledtanh", "hardsigmoid", "elu",  "softsign",  "softplus",
        "affine"};
    if (!llvm::is_contained(known, name))
      return op->emitOpError("activation '")
             << name << "' is not one ONNX defines";
    // Alphas and betas are consumed in order by the functions that take
    // them, as onnxruntime reads them.
    auto [alpha, beta] = defaultScalars(name);
    if (takesAlpha(name) && alphas && nextAlpha < alphas->size())
      alpha = (*alphas)[nextAlpha++];
    if (takesBeta(name) && betas && nextBeta < betas->size())
      beta = (*betas)[nextBeta++];
    layer.activations[i / perDirection].push_back({name, alpha, beta});
  }
  return layer;
}

bool RecurrentLayer::hasFusedKernel() const {
  if (!rankedType(x).getElementType().isF32() || layout != 0 || sequenceLens ||
      clip || inputForget)
    return false;
  SmallVector<StringRef> defaults = defaultActivations(cell);
  for (const SmallVector<RecurrentActivation> &perDirection : activations) {
    if (cell == RecurrentCell::Rnn) {
      // oneDNN's vanilla RNN takes one activation for both directions.
      if (!llvm::is_contained({"tanh", "relu", "sigmoid"},
                              perDirection.front().name) ||
          perDirection.front().name != activations.front().front().name)
        return false;
      continue;
    }
    for (auto [activation, expected] : llvm::zip(perDirection, defaults))
      if (activation.name != expected)
        return false;
  }
  return true;
}

#define CLEAVE_RECURRENT_OP(Op, isLstm, gates)                                 \
  LogicalResult Op::inferReturnTypes(MLIRContext *,                            \
                                     std::optional<Location> loc,              \
                                     Adaptor adaptor,                          \
                                     SmallVectorImpl<Type> &types) {           \
    return inferRecurrentTypes(loc, adaptor, isLstm, types);                   \
  }                                                                            \
  LogicalResult Op::verify() {                                                 \
    return success(succeeded(RecurrentLayer::read(getOperation())));           \
  }                                                                            \
  double Op::getFlops() { return recurrentFlops(getOperation(), gates); }

CLEAVE_RECURRENT_OP(RNNOp, false, 1)
CLEAVE_RECURRENT_OP(GRUOp, false, 3)
CLEAVE_RECURRENT_OP(LSTMOp, true, 4)

#undef CLEAVE_RECURRENT_OP
