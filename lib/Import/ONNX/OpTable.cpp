//===- OpTable.cpp - ONNX operators the importer knows --------------------===//

#include "OpTable.h"
#include "TensorImport.h"
#include "cleave/Dialect/Cleave/IR/CleaveOps.h"
#include "cleave/Dialect/Cleave/IR/ConstantUtils.h"
#include "llvm/ADT/STLExtras.h"
#include <limits>

using namespace mlir;
using namespace cleave::graph;

namespace cleave::onnx_import {

Value NodeState::constantI64(ArrayRef<int64_t> values, bool scalar) {
  auto type = RankedTensorType::get(
      scalar ? ArrayRef<int64_t>{} : ArrayRef<int64_t>{(int64_t)values.size()},
      builder.getI64Type());
  return ConstantOp::create(builder, loc, DenseElementsAttr::get(type, values));
}

Value NodeState::constantScalar(double value, Type elementType) {
  auto type = RankedTensorType::get({}, elementType);
  Attribute element =
      isa<FloatType>(elementType)
          ? Attribute(FloatAttr::get(elementType, value))
          : Attribute(IntegerAttr::get(elementType, (int64_t)value));
  return ConstantOp::create(builder, loc,
                            DenseElementsAttr::get(type, element));
}

LogicalResult NodeState::moveIntsToInput(StringRef attr, unsigned index) {
  FailureOr<DenseI64ArrayAttr> values =
      optionalAttr<DenseI64ArrayAttr>(attr, "INTS");
  if (failed(values))
    return failure();
  attributes.erase(attr);
  if (!*values)
    return success();
  if (operands.size() <= index)
    operands.resize(index + 1);
  operands[index] = constantI64(values->asArrayRef());
  return success();
}

namespace {

//===----------------------------------------------------------------------===//
// Adapters from older opsets
//===----------------------------------------------------------------------===//

LogicalResult axesToInput(NodeState &node) {
  return node.moveIntsToInput("axes", 1);
}

LogicalResult shapeToInput(NodeState &node) {
  return node.moveIntsToInput("shape", 1);
}

LogicalResult sliceAttrsToInputs(NodeState &node) {
  return failure(failed(node.moveIntsToInput("starts", 1)) ||
                 failed(node.moveIntsToInput("ends", 2)) ||
                 failed(node.moveIntsToInput("axes", 3)));
}

/// Split before opset 18 had no num_outputs: the node's outputs count.
LogicalResult splitCountFromOutputs(NodeState &node) {
  if ((node.operands.size() >= 2 && node.operands[1]) ||
      node.attributes.get("num_outputs"))
    return success();
  // Before opset 18 the parts must be equal.
  int64_t parts = node.node.output_size();
  auto type = cast<RankedTensorType>(node.operands[0].getType());
  FailureOr<IntegerAttr> axisAttr =
      node.optionalAttr<IntegerAttr>("axis", "INT");
  if (failed(axisAttr))
    return failure();
  int64_t axis = *axisAttr ? axisAttr->getInt() : 0;
  if (axis < 0)
    axis += type.getRank();
  if (axis >= 0 && axis < type.getRank() && parts > 0 &&
      type.getDimSize(axis) % parts != 0)
    return node.fail("cannot split axis " + Twine(axis) + " of size " +
                     Twine(type.getDimSize(axis)) + " into " + Twine(parts) +
                     " equal parts");
  node.attributes.set("num_outputs", node.builder.getI64IntegerAttr(parts));
  return success();
}

LogicalResult splitAttrToInput(NodeState &node) {
  if (failed(node.moveIntsToInput("split", 1)))
    return failure();
  return splitCountFromOutputs(node);
}

Type elementTypeOf(Value v) {
  return cast<RankedTensorType>(v.getType()).getElementType();
}

LogicalResult clipAttrsToInputs(NodeState &node) {
  Type elementType = elementTypeOf(node.operands[0]);
  node.operands.resize(3);
  for (auto [name, index] : {std::pair{"min", 1}, std::pair{"max", 2}}) {
    FailureOr<FloatAttr> value = node.optionalAttr<FloatAttr>(name, "FLOAT");
    if (failed(value))
      return failure();
    if (*value)
      node.operands[index] =
          node.constantScalar(value->getValueAsDouble(), elementType);
    node.attributes.erase(name);
  }
  return success();
}

LogicalResult padAttrsToInputs(NodeState &node) {
  if (failed(node.moveIntsToInput("pads", 1)))
    return failure();
  FailureOr<FloatAttr> value = node.optionalAttr<FloatAttr>("value", "FLOAT");
  if (failed(value))
    return failure();
  if (*value) {
    node.operands.resize(3);
    node.operands[2] = node.constantScalar(value->getValueAsDouble(),
                                           elementTypeOf(node.operands[0]));
  }
  node.attributes.erase("value");
  return success();
}

LogicalResult topKAttrToInput(NodeState &node) {
  FailureOr<IntegerAttr> k = node.optionalAttr<IntegerAttr>("k", "INT");
  if (failed(k))
    return failure();
  if (!*k)
    return node.fail("attribute 'k' is required");
  node.attributes.erase("k");
  node.operands.resize(2);
  node.operands[1] = node.constantI64({k->getInt()});
  return success();
}

/// Before opset 7, binary ops broadcast only with `broadcast=1`, aligning B
/// at `axis` of A; NumPy broadcasting covers that once B gets trailing 1s.
LogicalResult legacyBroadcast(NodeState &node) {
  FailureOr<IntegerAttr> broadcastAttr =
      node.optionalAttr<IntegerAttr>("broadcast", "INT");
  FailureOr<IntegerAttr> axisAttr =
      node.optionalAttr<IntegerAttr>("axis", "INT");
  if (failed(broadcastAttr) || failed(axisAttr))
    return failure();
  IntegerAttr broadcast = *broadcastAttr, axis = *axisAttr;
  for (StringRef name : {"broadcast", "axis", "consumed_inputs"})
    node.attributes.erase(name);
  if (!broadcast || broadcast.getInt() == 0 || !axis ||
      node.operands.size() != 2)
    return success();
  auto a = cast<RankedTensorType>(node.operands[0].getType());
  auto b = cast<RankedTensorType>(node.operands[1].getType());
  int64_t start =
      axis.getInt() < 0 ? axis.getInt() + a.getRank() : axis.getInt();
  int64_t trailing = a.getRank() - start - b.getRank();
  if (start < 0 || trailing < 0)
    return node.fail("legacy broadcast axis " + Twine(axis.getInt()) +
                     " does not fit the inputs' ranks");
  SmallVector<int64_t> shape(b.getShape());
  shape.append(trailing, 1);
  node.operands[1] = ReshapeOp::create(node.builder, node.loc, node.operands[1],
                                       node.constantI64(shape), uint64_t(0));
  return success();
}

LogicalResult dropConsumedInputs(NodeState &node) {
  node.attributes.erase("consumed_inputs");
  return success();
}

/// PRelu before opset 7 shares a 1-D slope along the channel axis (1).
LogicalResult legacyPRelu(NodeState &node) {
  node.attributes.erase("consumed_inputs");
  auto x = cast<RankedTensorType>(node.operands[0].getType());
  auto slope = cast<RankedTensorType>(node.operands[1].getType());
  if (slope.getRank() != 1 || x.getRank() < 2 ||
      slope.getDimSize(0) != x.getDimSize(1) || slope.getDimSize(0) == 1)
    return success();
  SmallVector<int64_t> shape(x.getRank() - 1, 1);
  shape[0] = slope.getDimSize(0);
  node.operands[1] = ReshapeOp::create(node.builder, node.loc, node.operands[1],
                                       node.constantI64(shape), uint64_t(0));
  return success();
}

LogicalResult dropGemmBroadcast(NodeState &node) {
  node.attributes.erase("broadcast");
  return success();
}

/// BatchNormalization before opset 9: `spatial` (only 1 is supported),
/// `is_test` and `consumed_inputs`.
LogicalResult legacyBatchNorm(NodeState &node) {
  FailureOr<IntegerAttr> spatial =
      node.optionalAttr<IntegerAttr>("spatial", "INT");
  if (failed(spatial))
    return failure();
  if (*spatial && spatial->getInt() != 1)
    return node.fail("spatial=0 (per-activation statistics) is not "
                     "supported");
  for (StringRef name : {"spatial", "is_test", "consumed_inputs"})
    node.attributes.erase(name);
  return success();
}

LogicalResult castToType(NodeState &node) {
  FailureOr<IntegerAttr> to = node.optionalAttr<IntegerAttr>("to", "INT");
  if (failed(to))
    return failure();
  if (!*to)
    return node.fail("attribute 'to' is required");
  std::string error;
  FailureOr<Type> type =
      importElementType(to->getInt(), node.builder.getContext(), error);
  if (failed(type))
    return node.fail("cannot cast: " + error);
  node.attributes.set("to", TypeAttr::get(*type));
  return success();
}

/// Cast-24 added round_mode, which only casts to float8e8m0 read (a type
/// the importer refuses); the values it may take are still checked.
LogicalResult castToTypeV24(NodeState &node) {
  FailureOr<StringAttr> mode =
      node.optionalAttr<StringAttr>("round_mode", "STRING");
  if (failed(mode))
    return failure();
  if (*mode && !llvm::is_contained({"up", "down", "nearest"},
                                   mode->getValue()))
    return node.fail("round_mode '" + mode->getValue() +
                     "' is not up, down or nearest");
  node.attributes.erase("round_mode");
  return castToType(node);
}

/// Range-27 added stash_type, the precision of float16 and bfloat16 ranges:
/// 1 (the default) computes in f32, which the folder's start + i * delta in
/// double, rounded once, matches or betters; 0 (additions in the type
/// itself) is not supported.
LogicalResult rangeStashType(NodeState &node) {
  FailureOr<IntegerAttr> stash =
      node.optionalAttr<IntegerAttr>("stash_type", "INT");
  if (failed(stash))
    return failure();
  Type element = node.operands[0] ? elementTypeOf(node.operands[0]) : Type();
  if (*stash && stash->getInt() != 1 && element &&
      (element.isF16() || element.isBF16()))
    return node.fail("stash_type " + Twine(stash->getInt()) +
                     " (additions in float16 or bfloat16) is not supported");
  node.attributes.erase("stash_type");
  return success();
}

LogicalResult dropOldDropoutAttrs(NodeState &node) {
  node.attributes.erase("ratio");
  node.attributes.erase("is_test");
  return success();
}

/// Resize-10 took (X, scales) with Upsample's asymmetric coordinates.
LogicalResult resizeFromV10(NodeState &node) {
  if (node.operands.size() == 2)
    node.operands = {node.operands[0], Value(), node.operands[1], Value()};
  node.attributes.set("coordinate_transformation_mode",
                      node.builder.getStringAttr("asymmetric"));
  node.attributes.set("nearest_mode", node.builder.getStringAttr("floor"));
  return success();
}

//===----------------------------------------------------------------------===//
// Custom builders
//===----------------------------------------------------------------------===//

/// Dropout before opset 10 returned its mask in the input's float type.
LogicalResult buildDropoutV7(NodeState &node, SmallVectorImpl<Value> &results) {
  node.attributes.erase("ratio");
  node.attributes.erase("is_test");
  if (!node.attributes.empty())
    return node.fail("attribute '" +
                     node.attributes.begin()->getName().getValue() +
                     "' is not supported");
  Value none = NoneOp::create(node.builder, node.loc);
  auto dropout = DropoutOp::create(node.builder, node.loc, node.operands[0],
                                   none, none, IntegerAttr());
  Type elementType = elementTypeOf(node.operands[0]);
  results.push_back(dropout.getOutput());
  results.push_back(CastOp::create(node.builder, node.loc, dropout.getMask(),
                                   elementType, uint64_t(1)));
  return success();
}

/// Constant: exactly one of the value attributes.
LogicalResult buildConstant(NodeState &node, SmallVectorImpl<Value> &results) {
  if (node.attributes.getAttrs().size() != 1)
    return node.fail("expects exactly one value attribute");
  NamedAttribute attr = *node.attributes.begin();
  StringRef name = attr.getName().getValue();
  Builder &b = node.builder;
  Attribute given = attr.getValue();
  ElementsAttr value;
  if (name == "value") {
    value = dyn_cast<ElementsAttr>(given);
  } else if (auto f = dyn_cast<FloatAttr>(given); f && name == "value_float") {
    value =
        DenseElementsAttr::get(RankedTensorType::get({}, b.getF32Type()), f);
  } else if (auto i = dyn_cast<IntegerAttr>(given); i && name == "value_int") {
    value =
        DenseElementsAttr::get(RankedTensorType::get({}, b.getI64Type()), i);
  } else if (auto ints = dyn_cast<DenseI64ArrayAttr>(given);
             ints && name == "value_ints") {
    value = DenseElementsAttr::get(
        RankedTensorType::get({ints.size()}, b.getI64Type()),
        ints.asArrayRef());
  } else if (auto floats = dyn_cast<DenseF32ArrayAttr>(given);
             floats && name == "value_floats") {
    value = DenseElementsAttr::get(
        RankedTensorType::get({floats.size()}, b.getF32Type()),
        floats.asArrayRef());
  }
  if (!value)
    return node.fail("attribute '" + name +
                     "' is not supported or has the wrong type");
  results.push_back(ConstantOp::create(node.builder, node.loc, value));
  return success();
}

/// Softmax and LogSoftmax before opset 13 flatten the input to 2-D at
/// `axis` (default 1) and normalise each row.
template <typename SoftmaxLike>
LogicalResult buildSoftmaxV1(NodeState &node, SmallVectorImpl<Value> &results) {
  Value input = node.operands[0];
  auto type = cast<RankedTensorType>(input.getType());
  int64_t rank = type.getRank();
  FailureOr<IntegerAttr> axisAttr =
      node.optionalAttr<IntegerAttr>("axis", "INT");
  if (failed(axisAttr))
    return failure();
  int64_t axis = *axisAttr ? axisAttr->getInt() : 1;
  if (axis < -rank || axis > rank)
    return node.fail("axis " + Twine(axis) + " is out of range");
  if (axis < 0)
    axis += rank;
  OpBuilder &b = node.builder;
  if (axis == rank - 1) {
    results.push_back(SoftmaxLike::create(b, node.loc, input, -1));
    return success();
  }
  ArrayRef<int64_t> shape = type.getShape();
  int64_t rows = 1, cols = 1;
  for (int64_t i = 0; i < rank; ++i)
    (i < axis ? rows : cols) *= shape[i];
  Value flat = ReshapeOp::create(b, node.loc, input,
                                 node.constantI64({rows, cols}), uint64_t(0));
  Value normalised = SoftmaxLike::create(b, node.loc, flat, -1);
  results.push_back(ReshapeOp::create(b, node.loc, normalised,
                                      node.constantI64(shape), uint64_t(0)));
  return success();
}

/// NegativeLogLikelihoodLoss of log-probabilities `logp` [N, C, d...]
/// (ONNX's definition, composed of graph ops so that training
/// differentiates it): each element's loss is -logp[n, target, d...],
/// weighted by weight[target] when a weight is given, and 0 where the
/// target is `ignore_index`; "mean" divides the sum by the sum of the
/// weights kept (by the number kept without a weight).
LogicalResult buildLikelihoodLoss(NodeState &node, Value logp, Value target,
                                  Value weight,
                                  SmallVectorImpl<Value> &results) {
  OpBuilder &b = node.builder;
  Location loc = node.loc;
  FailureOr<StringAttr> reductionAttr =
      node.optionalAttr<StringAttr>("reduction", "STRING");
  FailureOr<IntegerAttr> ignoreAttr =
      node.optionalAttr<IntegerAttr>("ignore_index", "INT");
  if (failed(reductionAttr) || failed(ignoreAttr))
    return failure();
  StringRef reduction = *reductionAttr ? reductionAttr->getValue() : "mean";
  if (reduction != "mean" && reduction != "sum" && reduction != "none")
    return node.fail("reduction '" + reduction +
                     "' is not one of none, sum and mean");
  auto logpType = cast<RankedTensorType>(logp.getType());
  auto targetType = cast<RankedTensorType>(target.getType());
  if (logpType.getRank() < 2 ||
      targetType.getRank() != logpType.getRank() - 1)
    return node.fail("needs input [N, C, d...] and target [N, d...]");
  Type element = logpType.getElementType();
  Value kept, safe = target;
  if (*ignoreAttr) {
    Value ignored = node.constantScalar((double)ignoreAttr->getInt(),
                                        targetType.getElementType());
    kept = NotOp::create(b, loc, EqualOp::create(b, loc, target, ignored));
    // An ignored target may be any integer: gather at class 0 instead.
    safe = WhereOp::create(
        b, loc, kept, target,
        node.constantScalar(0, targetType.getElementType()));
  }
  Value axis1 = node.constantI64({1});
  Value picked = SqueezeOp::create(
      b, loc,
      GatherElementsOp::create(b, loc, logp,
                               UnsqueezeOp::create(b, loc, safe, axis1), 1),
      axis1);
  Value loss = NegOp::create(b, loc, picked);
  Value weights;
  if (weight)
    weights = GatherOp::create(b, loc, weight, safe, 0);
  if (kept) {
    Value mask = CastOp::create(b, loc, kept, element, uint64_t(1));
    weights = weights ? Value(MulOp::create(b, loc, weights, mask)) : mask;
  }
  if (weights)
    loss = MulOp::create(b, loc, loss, weights);
  Value none = NoneOp::create(b, loc);
  auto sum = [&](Value v) -> Value {
    return ReduceSumOp::create(b, loc, v, none, 0, 0);
  };
  if (reduction == "sum")
    loss = sum(loss);
  else if (reduction == "mean")
    loss = weights ? Value(DivOp::create(b, loc, sum(loss), sum(weights)))
                   : Value(ReduceMeanOp::create(b, loc, loss, none, 0, 0));
  results.push_back(loss);
  return success();
}

LogicalResult buildNegativeLogLikelihoodLoss(NodeState &node,
                                             SmallVectorImpl<Value> &results) {
  return buildLikelihoodLoss(node, node.operands[0], node.operands[1],
                             node.operands[2], results);
}

/// SoftmaxCrossEntropyLoss: the likelihood loss of LogSoftmax over the
/// class axis (1), which is also the second output.
LogicalResult buildSoftmaxCrossEntropyLoss(NodeState &node,
                                           SmallVectorImpl<Value> &results) {
  Value logp = LogSoftmaxOp::create(node.builder, node.loc, node.operands[0],
                                    1);
  if (failed(buildLikelihoodLoss(node, logp, node.operands[1],
                                 node.operands[2], results)))
    return failure();
  results.push_back(logp);
  return success();
}

/// An INT attribute, `fallback` when absent; fails on another type.
FailureOr<int64_t> intAttr(NodeState &node, StringRef name, int64_t fallback) {
  FailureOr<IntegerAttr> attr = node.optionalAttr<IntegerAttr>(name, "INT");
  if (failed(attr))
    return failure();
  return *attr ? attr->getInt() : fallback;
}

/// A FLOAT attribute, `fallback` when absent.
FailureOr<double> floatAttr(NodeState &node, StringRef name, double fallback) {
  FailureOr<FloatAttr> attr = node.optionalAttr<FloatAttr>(name, "FLOAT");
  if (failed(attr))
    return failure();
  return *attr ? attr->getValueAsDouble() : fallback;
}

/// CastLike: Cast to the element type of the second input.
LogicalResult buildCastLike(NodeState &node, SmallVectorImpl<Value> &results) {
  FailureOr<int64_t> saturate = intAttr(node, "saturate", 1);
  if (failed(saturate))
    return failure();
  results.push_back(CastOp::create(node.builder, node.loc, node.operands[0],
                                   elementTypeOf(node.operands[1]),
                                   (uint64_t)*saturate));
  return success();
}

/// ReduceL1 (the sum of |x|) and ReduceLogSum (log of the sum): a
/// reduce_sum with the node's axes and flags around an elementwise op.
template <bool L1>
LogicalResult buildSumReduction(NodeState &node,
                                SmallVectorImpl<Value> &results) {
  FailureOr<int64_t> keepdims = intAttr(node, "keepdims", 1);
  FailureOr<int64_t> noop = intAttr(node, "noop_with_empty_axes", 0);
  if (failed(keepdims) || failed(noop))
    return failure();
  OpBuilder &b = node.builder;
  Value data = node.operands[0];
  Value axes = node.operands[1] ? node.operands[1]
                                : Value(NoneOp::create(b, node.loc));
  if (L1)
    data = AbsOp::create(b, node.loc, data);
  Value sum = ReduceSumOp::create(b, node.loc, data, axes, *keepdims, *noop);
  results.push_back(L1 ? sum : Value(LogOp::create(b, node.loc, sum)));
  return success();
}

/// ThresholdedRelu: x where x > alpha (default 1), else 0.
LogicalResult buildThresholdedRelu(NodeState &node,
                                   SmallVectorImpl<Value> &results) {
  FailureOr<double> alpha = floatAttr(node, "alpha", 1.0);
  if (failed(alpha))
    return failure();
  Value x = node.operands[0];
  Type element = elementTypeOf(x);
  OpBuilder &b = node.builder;
  Value above = GreaterOp::create(b, node.loc, x,
                                  node.constantScalar(*alpha, element));
  results.push_back(WhereOp::create(b, node.loc, above, x,
                                    node.constantScalar(0, element)));
  return success();
}

/// Tan: sin / cos.
LogicalResult buildTan(NodeState &node, SmallVectorImpl<Value> &results) {
  OpBuilder &b = node.builder;
  Value x = node.operands[0];
  results.push_back(DivOp::create(b, node.loc, SinOp::create(b, node.loc, x),
                                  CosOp::create(b, node.loc, x)));
  return success();
}

/// IsInf: |x| = inf, each sign only if its detect_* attribute is set.
LogicalResult buildIsInf(NodeState &node, SmallVectorImpl<Value> &results) {
  FailureOr<int64_t> negative = intAttr(node, "detect_negative", 1);
  FailureOr<int64_t> positive = intAttr(node, "detect_positive", 1);
  if (failed(negative) || failed(positive))
    return failure();
  OpBuilder &b = node.builder;
  Value x = node.operands[0];
  Type element = elementTypeOf(x);
  double inf = std::numeric_limits<double>::infinity();
  Value pos = EqualOp::create(b, node.loc, x, node.constantScalar(inf, element));
  Value neg =
      EqualOp::create(b, node.loc, x, node.constantScalar(-inf, element));
  if (*negative && *positive)
    results.push_back(OrOp::create(b, node.loc, pos, neg));
  else if (*negative || *positive)
    results.push_back(*positive ? pos : neg);
  else
    results.push_back(AndOp::create(b, node.loc, pos, neg)); // all false
  return success();
}

/// IsNaN: x != x, true only for NaN (what PyTorch's exporter writes for
/// attention's fully masked rows).
LogicalResult buildIsNaN(NodeState &node, SmallVectorImpl<Value> &results) {
  OpBuilder &b = node.builder;
  Value x = node.operands[0];
  results.push_back(
      NotOp::create(b, node.loc, EqualOp::create(b, node.loc, x, x)));
  return success();
}

/// Swish (opset 24): x * sigmoid(alpha * x).
Value swish(NodeState &node, Value x, double alpha) {
  OpBuilder &b = node.builder;
  Value scaled = alpha == 1.0
                     ? x
                     : Value(MulOp::create(
                           b, node.loc, x,
                           node.constantScalar(alpha, elementTypeOf(x))));
  return MulOp::create(b, node.loc, x, SigmoidOp::create(b, node.loc, scaled));
}

LogicalResult buildSwish(NodeState &node, SmallVectorImpl<Value> &results) {
  FailureOr<double> alpha = floatAttr(node, "alpha", 1.0);
  if (failed(alpha))
    return failure();
  results.push_back(swish(node, node.operands[0], *alpha));
  return success();
}

/// SwiGLU (opset 28): Swish_alpha(A) * B, A and B of one shape.
LogicalResult buildSwiGLU(NodeState &node, SmallVectorImpl<Value> &results) {
  FailureOr<double> alpha = floatAttr(node, "alpha", 1.0);
  if (failed(alpha))
    return failure();
  Value gate = node.operands[0], value = node.operands[1];
  if (gate.getType() != value.getType())
    return node.fail("A and B must have one type and shape (SwiGLU does not "
                     "broadcast)");
  results.push_back(MulOp::create(node.builder, node.loc,
                                  swish(node, gate, *alpha), value));
  return success();
}

/// RMSNormalization (opset 23), as its ONNX function: x / sqrt(mean(x^2
/// over axes axis..rank-1) + epsilon) * scale, the first part in f32 when
/// stash_type is 1 (the default) and x is another float type.
LogicalResult buildRMSNormalization(NodeState &node,
                                    SmallVectorImpl<Value> &results) {
  FailureOr<int64_t> axisAttr = intAttr(node, "axis", -1);
  FailureOr<double> epsilon = floatAttr(node, "epsilon", 1e-5);
  FailureOr<int64_t> stash = intAttr(node, "stash_type", 1);
  if (failed(axisAttr) || failed(epsilon) || failed(stash))
    return failure();
  OpBuilder &b = node.builder;
  Location loc = node.loc;
  Value x = node.operands[0];
  auto type = cast<RankedTensorType>(x.getType());
  int64_t rank = type.getRank(), axis = *axisAttr < 0 ? *axisAttr + rank
                                                      : *axisAttr;
  if (axis < 0 || axis >= rank)
    return node.fail("axis " + Twine(*axisAttr) + " is out of range for rank " +
                     Twine(rank));
  if (*stash != 1 && *stash != -1)
    return node.fail("stash_type " + Twine(*stash) +
                     " is not supported (1: f32, or -1: the input's type)");
  Type element = type.getElementType();
  bool widen = *stash == 1 && !element.isF32() && !element.isF64();
  Value v = widen ? Value(CastOp::create(b, loc, x, b.getF32Type(), 1)) : x;
  SmallVector<int64_t> axes;
  for (int64_t i = axis; i < rank; ++i)
    axes.push_back(i);
  Value meanSquare = ReduceMeanOp::create(
      b, loc, MulOp::create(b, loc, v, v), node.constantI64(axes), 1, 0);
  Value rms = SqrtOp::create(
      b, loc,
      AddOp::create(b, loc, meanSquare,
                    node.constantScalar(*epsilon, elementTypeOf(v))));
  Value normalized = DivOp::create(b, loc, v, rms);
  if (widen)
    normalized = CastOp::create(b, loc, normalized, element, 1);
  results.push_back(MulOp::create(b, loc, normalized, node.operands[1]));
  return success();
}

/// DepthToSpace and SpaceToDepth (modes DCR and CRD): a reshape to six
/// axes, a transpose, and a reshape back to four.
template <bool ToSpace>
LogicalResult buildDepthSpace(NodeState &node,
                              SmallVectorImpl<Value> &results) {
  FailureOr<int64_t> blockAttr = intAttr(node, "blocksize", 0);
  FailureOr<StringAttr> modeAttr =
      node.optionalAttr<StringAttr>("mode", "STRING");
  if (failed(blockAttr) || failed(modeAttr))
    return failure();
  StringRef mode = *modeAttr ? modeAttr->getValue() : "DCR";
  Value x = node.operands[0];
  auto type = cast<RankedTensorType>(x.getType());
  int64_t bs = *blockAttr;
  if (type.getRank() != 4 || !type.hasStaticShape() || bs < 1)
    return node.fail("needs a static 4-D input and a positive blocksize");
  int64_t n = type.getDimSize(0), c = type.getDimSize(1),
          h = type.getDimSize(2), w = type.getDimSize(3);
  SmallVector<int64_t> six, perm, four;
  if (ToSpace) {
    if (c % (bs * bs))
      return node.fail("channels " + Twine(c) + " do not divide by blocksize^2");
    if (mode == "CRD") {
      six = {n, c / (bs * bs), bs, bs, h, w};
      perm = {0, 1, 4, 2, 5, 3};
    } else if (mode == "DCR") {
      six = {n, bs, bs, c / (bs * bs), h, w};
      perm = {0, 3, 4, 1, 5, 2};
    } else {
      return node.fail("mode '" + mode + "' is not DCR or CRD");
    }
    four = {n, c / (bs * bs), h * bs, w * bs};
  } else {
    if (h % bs || w % bs)
      return node.fail("height and width must divide by the blocksize");
    six = {n, c, h / bs, bs, w / bs, bs};
    // Output channel (b1 * bs + b2) * c + ch (DCR) or ch * bs^2 + b1 * bs + b2
    // (CRD, opset 28).
    if (mode == "CRD")
      perm = {0, 1, 3, 5, 2, 4};
    else if (mode == "DCR")
      perm = {0, 3, 5, 1, 2, 4};
    else
      return node.fail("mode '" + mode + "' is not DCR or CRD");
    four = {n, c * bs * bs, h / bs, w / bs};
  }
  OpBuilder &b = node.builder;
  Value blocks = ReshapeOp::create(b, node.loc, x, node.constantI64(six),
                                   uint64_t(0));
  Value moved = TransposeOp::create(b, node.loc, blocks,
                                    b.getDenseI64ArrayAttr(perm));
  results.push_back(ReshapeOp::create(b, node.loc, moved,
                                      node.constantI64(four), uint64_t(0)));
  return success();
}

/// 0, 1, ..., size - 1 along `axis` of a tensor of `rank` axes (size 1
/// elsewhere), as a constant of `element` type.
Value iotaAlong(NodeState &node, int64_t size, int64_t axis, int64_t rank,
                Type element) {
  SmallVector<int64_t> shape(rank, 1);
  shape[axis] = size;
  auto type = RankedTensorType::get(shape, element);
  SmallVector<Attribute> values;
  for (int64_t i = 0; i < size; ++i)
    values.push_back(isa<FloatType>(element)
                         ? Attribute(FloatAttr::get(element, (double)i))
                         : Attribute(IntegerAttr::get(element, i)));
  return ConstantOp::create(node.builder, node.loc,
                            DenseElementsAttr::get(type, values));
}

/// Hardmax: 1 at the first maximum along `axis` (default -1; before opset
/// 13 the input flattens to 2-D at `axis`, default 1), 0 elsewhere.
LogicalResult buildHardmax(NodeState &node, SmallVectorImpl<Value> &results) {
  Value x = node.operands[0];
  auto type = cast<RankedTensorType>(x.getType());
  int64_t rank = type.getRank();
  bool flat = node.opset < 13;
  FailureOr<int64_t> axisAttr = intAttr(node, "axis", flat ? 1 : -1);
  if (failed(axisAttr))
    return failure();
  int64_t axis = *axisAttr < 0 ? *axisAttr + rank : *axisAttr;
  if (axis < 0 || axis >= rank || !type.hasStaticShape())
    return node.fail("needs a static input and an axis in range");
  OpBuilder &b = node.builder;
  Value rows = x;
  int64_t along = axis, width = type.getDimSize(axis), count = 2;
  if (flat) {
    int64_t outer = 1, inner = 1;
    for (int64_t i = 0; i < rank; ++i)
      (i < axis ? outer : inner) *= type.getDimSize(i);
    rows = ReshapeOp::create(b, node.loc, x, node.constantI64({outer, inner}),
                             uint64_t(0));
    along = 1;
    width = inner;
  } else {
    count = rank;
  }
  Value first = ArgMaxOp::create(b, node.loc, rows, along, 1, 0);
  Value hit = EqualOp::create(
      b, node.loc, first,
      iotaAlong(node, width, along, count, b.getI64Type()));
  Value onehot = CastOp::create(b, node.loc, hit, type.getElementType(),
                                uint64_t(1));
  if (flat)
    onehot = ReshapeOp::create(b, node.loc, onehot,
                               node.constantI64(type.getShape()), uint64_t(0));
  results.push_back(onehot);
  return success();
}

/// OneHot: values[1] where the (wrapped) index equals the position along
/// the new axis, values[0] elsewhere. `depth` must be a constant.
LogicalResult buildOneHot(NodeState &node, SmallVectorImpl<Value> &results) {
  Value indices = node.operands[0], depth = node.operands[1],
        values = node.operands[2];
  std::optional<SmallVector<double>> depthValue =
      cleave::graph::getConstantFloats(depth);
  if (!depthValue || depthValue->size() != 1)
    return node.fail("depth must be a constant scalar (fix it with "
                     "--input-value)");
  double size = std::floor(depthValue->front());
  auto type = cast<RankedTensorType>(indices.getType());
  int64_t rank = type.getRank() + 1;
  FailureOr<int64_t> axisAttr = intAttr(node, "axis", -1);
  if (failed(axisAttr))
    return failure();
  int64_t axis = *axisAttr < 0 ? *axisAttr + rank : *axisAttr;
  if (axis < 0 || axis >= rank || size < 1)
    return node.fail("needs an axis in range and a positive depth");
  OpBuilder &b = node.builder;
  Location loc = node.loc;
  Type element = type.getElementType();
  // Negative indices count from the end.
  Value wrapped = WhereOp::create(
      b, loc, LessOp::create(b, loc, indices, node.constantScalar(0, element)),
      AddOp::create(b, loc, indices, node.constantScalar(size, element)),
      indices);
  Value hit = EqualOp::create(
      b, loc, UnsqueezeOp::create(b, loc, wrapped, node.constantI64({axis})),
      iotaAlong(node, (int64_t)size, axis, rank, element));
  Value off = GatherOp::create(b, loc, values, node.constantI64({0}, true), 0);
  Value on = GatherOp::create(b, loc, values, node.constantI64({1}, true), 0);
  results.push_back(WhereOp::create(b, loc, hit, on, off));
  return success();
}

/// The error of an op whose output's shape depends on the values of
/// `what`, which only a constant fixes.
LogicalResult dataDependentShape(NodeState &node, const Twine &what) {
  return node.fail("its output's shape depends on the values of " + what +
                   ", and Cleave compiles static shapes: it imports only "
                   "when they are a constant (fix a graph input they come "
                   "from with --input-value=<name>=<file.pb>)");
}

/// The flat positions of the nonzero elements of a constant, or nullopt.
std::optional<SmallVector<int64_t>> nonzeroPositions(Value v) {
  std::optional<SmallVector<double>> values = getConstantFloats(v);
  if (!values)
    return std::nullopt;
  SmallVector<int64_t> positions;
  for (auto [i, value] : llvm::enumerate(*values))
    if (value != 0)
      positions.push_back(i);
  return positions;
}

/// NonZero of a constant: the i64 coordinates [rank, count] of its
/// nonzero elements, in row-major order, as a constant.
LogicalResult buildNonZero(NodeState &node, SmallVectorImpl<Value> &results) {
  Value x = node.operands[0];
  std::optional<SmallVector<int64_t>> positions = nonzeroPositions(x);
  if (!positions)
    return dataDependentShape(node, "its input");
  ArrayRef<int64_t> shape = cast<RankedTensorType>(x.getType()).getShape();
  int64_t rank = std::max<int64_t>(shape.size(), 1), count = positions->size();
  SmallVector<int64_t> coordinates(rank * count, 0);
  for (auto [j, flat] : llvm::enumerate(*positions))
    for (int64_t axis = (int64_t)shape.size() - 1; axis >= 0; --axis) {
      coordinates[axis * count + j] = flat % shape[axis];
      flat /= shape[axis];
    }
  auto type = RankedTensorType::get({rank, count}, node.builder.getI64Type());
  results.push_back(ConstantOp::create(
      node.builder, node.loc,
      DenseElementsAttr::get(type, ArrayRef<int64_t>(coordinates))));
  return success();
}

/// Compress with a constant condition: a Gather of the kept positions
/// along `axis` (of the flattened input without one). A condition shorter
/// than the axis keeps nothing past its end.
LogicalResult buildCompress(NodeState &node, SmallVectorImpl<Value> &results) {
  std::optional<SmallVector<int64_t>> kept = nonzeroPositions(node.operands[1]);
  if (!kept)
    return dataDependentShape(node, "the condition");
  FailureOr<IntegerAttr> axisAttr = node.optionalAttr<IntegerAttr>("axis", "INT");
  if (failed(axisAttr))
    return failure();
  OpBuilder &b = node.builder;
  Value data = node.operands[0];
  auto type = cast<RankedTensorType>(data.getType());
  int64_t axis = 0;
  if (*axisAttr) {
    axis = axisAttr->getInt() < 0 ? axisAttr->getInt() + type.getRank()
                                  : axisAttr->getInt();
    if (axis < 0 || axis >= type.getRank())
      return node.fail("axis " + Twine(axisAttr->getInt()) +
                       " is out of range for rank " + Twine(type.getRank()));
  } else {
    data = ReshapeOp::create(b, node.loc, data,
                             node.constantI64({type.getNumElements()}),
                             uint64_t(0));
  }
  int64_t length = cast<RankedTensorType>(data.getType()).getDimSize(axis);
  llvm::erase_if(*kept, [&](int64_t i) { return i >= length; });
  results.push_back(GatherOp::create(b, node.loc, data,
                                     node.constantI64(*kept), axis));
  return success();
}

/// The GRAPH attribute `name` of the node, or null.
const onnx::GraphProto *graphAttr(const onnx::NodeProto &node, StringRef name) {
  for (const onnx::AttributeProto &attr : node.attribute())
    if (attr.name() == name && attr.type() == onnx::AttributeProto::GRAPH)
      return &attr.g();
  return nullptr;
}

/// If. A condition known at compile time (a constant, or a graph input
/// fixed with --input-value) imports the branch it takes in place of the
/// node. Otherwise both branches are imported and each output is a Where
/// of the two: both run, on static shapes, and the condition picks. That
/// needs branches whose outputs have one type each.
LogicalResult buildIf(NodeState &node, SmallVectorImpl<Value> &results) {
  const onnx::GraphProto *thenBranch = graphAttr(node.node, "then_branch");
  const onnx::GraphProto *elseBranch = graphAttr(node.node, "else_branch");
  if (!thenBranch || !elseBranch)
    return node.fail("needs the graph attributes then_branch and "
                     "else_branch");
  Value cond = node.operands[0];
  auto condType = cast<RankedTensorType>(cond.getType());
  if (condType.getNumElements() != 1 || !condType.getElementType().isInteger(1))
    return node.fail("the condition must be a single bool");
  if (std::optional<SmallVector<int64_t>> known = getConstantInts(cond))
    return node.importSubgraph(known->front() ? *thenBranch : *elseBranch, {},
                               results);
  SmallVector<Value> thenOutputs, elseOutputs;
  if (failed(node.importSubgraph(*thenBranch, {}, thenOutputs)) ||
      failed(node.importSubgraph(*elseBranch, {}, elseOutputs)))
    return failure();
  if (thenOutputs.size() != elseOutputs.size())
    return node.fail("the branches have different numbers of outputs");
  OpBuilder &b = node.builder;
  Value scalar = condType.getRank() == 0
                     ? cond
                     : Value(ReshapeOp::create(b, node.loc, cond,
                                               node.constantI64({}),
                                               uint64_t(0)));
  for (auto [i, pair] : llvm::enumerate(llvm::zip(thenOutputs, elseOutputs))) {
    auto [taken, other] = pair;
    if (taken.getType() != other.getType()) {
      std::string types;
      llvm::raw_string_ostream(types)
          << taken.getType() << " and " << other.getType();
      return node.fail("output " + Twine(i) + " of the branches differs (" +
                       types + "), so both cannot run: fix the condition at "
                       "compile time (a graph input it comes from with "
                       "--input-value=<name>=<file.pb>) to take one branch");
    }
    results.push_back(WhereOp::create(b, node.loc, scalar, taken, other));
  }
  return success();
}

/// Iterations a Loop or Scan may be unrolled into at most: each one is a
/// copy of the body in the graph.
constexpr int64_t kMaxUnrolledIterations = 4096;

/// `slices` (one per iteration, in order) stacked along a new `axis`.
Value stack(NodeState &node, ArrayRef<Value> slices, int64_t axis) {
  OpBuilder &b = node.builder;
  SmallVector<Value> parts;
  for (Value slice : slices)
    parts.push_back(UnsqueezeOp::create(b, node.loc, slice,
                                        node.constantI64({axis})));
  return parts.size() == 1
             ? parts.front()
             : Value(ConcatOp::create(b, node.loc, parts, axis));
}

/// Loop, unrolled at import: the trip count and the condition must be
/// known at compile time (constants, or computed by the body from the
/// iteration number and constants), each iteration imports the body with
/// the iteration number and the condition as constants, and the scan
/// outputs are stacked along a new first axis. A condition the body
/// computes from run-time values makes the trip count data-dependent.
LogicalResult buildLoop(NodeState &node, SmallVectorImpl<Value> &results) {
  const onnx::GraphProto *body = graphAttr(node.node, "body");
  if (!body)
    return node.fail("needs the graph attribute body");
  OpBuilder &b = node.builder;
  std::optional<int64_t> trips;
  if (Value m = node.operands[0]) {
    std::optional<SmallVector<int64_t>> value = getConstantInts(m);
    if (!value || value->size() != 1)
      return node.fail("the trip count M must be a constant (fix a graph "
                       "input it comes from with --input-value)");
    trips = value->front();
  }
  bool running = true;
  if (node.operands.size() > 1 && node.operands[1]) {
    std::optional<SmallVector<int64_t>> value =
        getConstantInts(node.operands[1]);
    if (!value || value->size() != 1)
      return node.fail("the condition must be a constant (fix a graph input "
                       "it comes from with --input-value)");
    running = value->front() != 0;
  }
  SmallVector<Value> carried(node.operands.begin() +
                                 std::min<size_t>(2, node.operands.size()),
                             node.operands.end());
  int64_t scans = body->output_size() - 1 - (int64_t)carried.size();
  if (scans < 0)
    return node.fail("the body has fewer outputs than the condition and the "
                     "loop-carried values");
  SmallVector<SmallVector<Value>> scanSlices(scans);
  auto boolType = RankedTensorType::get({}, b.getI1Type());
  for (int64_t i = 0; running && (!trips || i < *trips); ++i) {
    if (i == kMaxUnrolledIterations)
      return node.fail("runs more than " + Twine(kMaxUnrolledIterations) +
                       " iterations, which Cleave does not unroll");
    SmallVector<Value> inputs = {
        node.constantI64({i}, /*scalar=*/true),
        ConstantOp::create(b, node.loc,
                           DenseElementsAttr::get(boolType, running))};
    llvm::append_range(inputs, carried);
    SmallVector<Value> outputs;
    if (failed(node.importSubgraph(*body, inputs, outputs)))
      return failure();
    std::optional<SmallVector<int64_t>> next = getConstantInts(outputs[0]);
    if (!next || next->size() != 1)
      return node.fail("the body's condition depends on run-time values, so "
                       "the number of iterations does: Cleave needs it at "
                       "compile time");
    running = next->front() != 0;
    for (size_t k = 0; k < carried.size(); ++k)
      carried[k] = outputs[1 + k];
    for (int64_t k = 0; k < scans; ++k)
      scanSlices[k].push_back(outputs[1 + carried.size() + k]);
  }
  results.assign(carried.begin(), carried.end());
  for (ArrayRef<Value> slices : scanSlices) {
    if (slices.empty())
      return node.fail("runs no iteration, so its scan outputs have no "
                       "known shape");
    results.push_back(stack(node, slices, 0));
  }
  return success();
}

/// The INTS attribute `name`, or `count` zeros.
FailureOr<SmallVector<int64_t>> intsAttr(NodeState &node, StringRef name,
                                         size_t count) {
  FailureOr<DenseI64ArrayAttr> attr =
      node.optionalAttr<DenseI64ArrayAttr>(name, "INTS");
  if (failed(attr))
    return failure();
  if (!*attr)
    return SmallVector<int64_t>(count, 0);
  if (attr->size() != (int64_t)count)
    return node.fail("attribute '" + name + "' must have " + Twine(count) +
                     " values");
  return SmallVector<int64_t>(attr->asArrayRef());
}

/// How a Scan reads its inputs and writes its outputs: per scan input, its
/// axis and whether it is read last first; per scan output, likewise.
struct ScanLayout {
  SmallVector<int64_t> inAxes, inReverse, outAxes, outReverse;
};

/// A Scan unrolled over the scan inputs' static length: iteration t reads
/// slice t (or L - 1 - t, reversed) of each scan input along its axis, and
/// each scan output stacks its slices along its axis (last first,
/// reversed). Sets the final states, then the scan outputs.
LogicalResult unrollScan(NodeState &node, const onnx::GraphProto &body,
                         ArrayRef<Value> initialStates,
                         ArrayRef<Value> scanInputs, ScanLayout layout,
                         SmallVectorImpl<Value> &results) {
  int64_t n = initialStates.size(), k = layout.outAxes.size();
  int64_t length = -1;
  for (auto [i, input] : llvm::enumerate(scanInputs)) {
    auto type = cast<RankedTensorType>(input.getType());
    int64_t &axis = layout.inAxes[i];
    if (axis < 0)
      axis += type.getRank();
    if (axis < 0 || axis >= type.getRank())
      return node.fail("scan input " + Twine(i) + "'s axis is out of range");
    if (length >= 0 && type.getDimSize(axis) != length)
      return node.fail("the scan inputs differ in length");
    length = type.getDimSize(axis);
  }
  if (length > kMaxUnrolledIterations)
    return node.fail("scans " + Twine(length) + " steps; Cleave unrolls at "
                     "most " + Twine(kMaxUnrolledIterations));
  if (length == 0 && k > 0)
    return node.fail("scans no step, so its scan outputs have no known shape");
  SmallVector<Value> states(initialStates);
  SmallVector<SmallVector<Value>> slices(k);
  for (int64_t t = 0; t < length; ++t) {
    SmallVector<Value> inputs(states);
    for (auto [i, input] : llvm::enumerate(scanInputs)) {
      int64_t at = layout.inReverse[i] ? length - 1 - t : t;
      inputs.push_back(GatherOp::create(node.builder, node.loc, input,
                                        node.constantI64({at}, true),
                                        layout.inAxes[i]));
    }
    SmallVector<Value> outputs;
    if (failed(node.importSubgraph(body, inputs, outputs)))
      return failure();
    if ((int64_t)outputs.size() != n + k)
      return node.fail("the body has " + Twine(outputs.size()) +
                       " outputs, not the " + Twine(n + k) +
                       " states and scan outputs");
    states.assign(outputs.begin(), outputs.begin() + n);
    for (int64_t j = 0; j < k; ++j)
      slices[j].push_back(outputs[n + j]);
  }
  results.append(states.begin(), states.end());
  for (int64_t j = 0; j < k; ++j) {
    if (layout.outReverse[j])
      std::reverse(slices[j].begin(), slices[j].end());
    int64_t rank =
        cast<RankedTensorType>(slices[j].front().getType()).getRank() + 1;
    int64_t axis = layout.outAxes[j] < 0 ? layout.outAxes[j] + rank
                                         : layout.outAxes[j];
    if (axis < 0 || axis >= rank)
      return node.fail("scan output " + Twine(j) + "'s axis is out of range");
    results.push_back(stack(node, slices[j], axis));
  }
  return success();
}

/// Scan (opset 9 on): states, then num_scan_inputs scan inputs.
LogicalResult buildScan(NodeState &node, SmallVectorImpl<Value> &results) {
  const onnx::GraphProto *body = graphAttr(node.node, "body");
  FailureOr<int64_t> inputCount = intAttr(node, "num_scan_inputs", 0);
  if (failed(inputCount))
    return failure();
  int64_t m = *inputCount, n = (int64_t)node.operands.size() - m;
  if (!body || m < 1 || n < 0 || body->output_size() < n)
    return node.fail("needs a body with an output per state and "
                     "num_scan_inputs between 1 and its number of inputs");
  int64_t k = body->output_size() - n;
  FailureOr<SmallVector<int64_t>> inAxes = intsAttr(node, "scan_input_axes", m);
  FailureOr<SmallVector<int64_t>> inReverse =
      intsAttr(node, "scan_input_directions", m);
  FailureOr<SmallVector<int64_t>> outAxes = intsAttr(node, "scan_output_axes", k);
  FailureOr<SmallVector<int64_t>> outReverse =
      intsAttr(node, "scan_output_directions", k);
  if (failed(inAxes) || failed(inReverse) || failed(outAxes) ||
      failed(outReverse))
    return failure();
  ArrayRef<Value> operands(node.operands);
  return unrollScan(node, *body, operands.take_front(n), operands.drop_front(n),
                    {*inAxes, *inReverse, *outAxes, *outReverse}, results);
}

/// Scan-8: the inputs have a leading batch axis the body does not see
/// (scanning runs along axis 1), and an optional sequence_lens, which must
/// be every batch's whole length. Each batch item is scanned on its own and
/// the results are stacked along the batch axis.
LogicalResult buildScanV8(NodeState &node, SmallVectorImpl<Value> &results) {
  const onnx::GraphProto *body = graphAttr(node.node, "body");
  FailureOr<int64_t> inputCount = intAttr(node, "num_scan_inputs", 0);
  if (failed(inputCount))
    return failure();
  ArrayRef<Value> operands(node.operands);
  Value lengths = operands.empty() ? Value() : operands.front();
  operands = operands.drop_front(std::min<size_t>(1, operands.size()));
  int64_t m = *inputCount, n = (int64_t)operands.size() - m;
  if (!body || m < 1 || n < 0 || body->output_size() < n)
    return node.fail("needs a body with an output per state and "
                     "num_scan_inputs between 1 and its number of inputs");
  int64_t k = body->output_size() - n;
  FailureOr<SmallVector<int64_t>> reverse = intsAttr(node, "directions", m);
  if (failed(reverse))
    return failure();
  auto first = cast<RankedTensorType>(operands[n].getType());
  if (first.getRank() < 2)
    return node.fail("scan inputs need a batch and a sequence axis");
  int64_t batch = first.getDimSize(0), length = first.getDimSize(1);
  if (lengths) {
    std::optional<SmallVector<int64_t>> values = getConstantInts(lengths);
    if (!values || llvm::any_of(*values, [&](int64_t v) { return v != length; }))
      return node.fail("sequence_lens must be absent or a constant equal to "
                       "the scan length " + Twine(length) + " everywhere "
                       "(shorter sequences give data-dependent shapes)");
  }
  SmallVector<SmallVector<Value>> perOutput(n + k);
  for (int64_t b = 0; b < batch; ++b) {
    SmallVector<Value> items;
    for (Value operand : operands)
      items.push_back(GatherOp::create(node.builder, node.loc, operand,
                                       node.constantI64({b}, true), 0));
    SmallVector<Value> outputs;
    ScanLayout layout{SmallVector<int64_t>(m, 0), *reverse,
                      SmallVector<int64_t>(k, 0), SmallVector<int64_t>(k, 0)};
    if (failed(unrollScan(node, *body, ArrayRef<Value>(items).take_front(n),
                          ArrayRef<Value>(items).drop_front(n), layout,
                          outputs)))
      return failure();
    for (auto [j, output] : llvm::enumerate(outputs))
      perOutput[j].push_back(output);
  }
  if (batch == 0)
    return node.fail("has an empty batch, so its outputs have no known shape");
  for (ArrayRef<Value> items : perOutput)
    results.push_back(stack(node, items, 0));
  return success();
}

/// EyeLike: a constant of the (static, 2-D) input's shape with ones on
/// diagonal `k`, of type `dtype` (default the input's).
LogicalResult buildEyeLike(NodeState &node, SmallVectorImpl<Value> &results) {
  auto type = cast<RankedTensorType>(node.operands[0].getType());
  FailureOr<int64_t> k = intAttr(node, "k", 0);
  FailureOr<IntegerAttr> dtypeAttr =
      node.optionalAttr<IntegerAttr>("dtype", "INT");
  if (failed(k) || failed(dtypeAttr))
    return failure();
  if (type.getRank() != 2 || !type.hasStaticShape())
    return node.fail("needs a static 2-D input");
  Type element = type.getElementType();
  if (*dtypeAttr) {
    std::string message;
    FailureOr<Type> chosen = importElementType(
        (int32_t)dtypeAttr->getInt(), node.builder.getContext(), message);
    if (failed(chosen))
      return node.fail("dtype: " + message);
    element = *chosen;
  }
  int64_t rows = type.getDimSize(0), cols = type.getDimSize(1);
  SmallVector<Attribute> values;
  for (int64_t i = 0; i < rows; ++i)
    for (int64_t j = 0; j < cols; ++j) {
      int64_t one = j - i == *k;
      values.push_back(isa<FloatType>(element)
                           ? Attribute(FloatAttr::get(element, (double)one))
                           : Attribute(IntegerAttr::get(element, one)));
    }
  results.push_back(ConstantOp::create(
      node.builder, node.loc,
      DenseElementsAttr::get(RankedTensorType::get({rows, cols}, element),
                             values)));
  return success();
}

//===----------------------------------------------------------------------===//
// The table
//===----------------------------------------------------------------------===//

// clang-format off
const OpSpec kOps[] = {
    // Elementwise, one input.
    {"Abs", 6, "cleave.abs", 1},
    {"Ceil", 6, "cleave.ceil", 1},
    {"Cos", 7, "cleave.cos", 1},
    {"Elu", 6, "cleave.elu", 1},
    {"Erf", 9, "cleave.erf", 1},
    {"Exp", 6, "cleave.exp", 1},
    {"Floor", 6, "cleave.floor", 1},
    {"Gelu", 20, "cleave.gelu", 1},
    {"HardSigmoid", 6, "cleave.hard_sigmoid", 1},
    {"HardSwish", 14, "cleave.hard_swish", 1},
    {"Identity", 1, "cleave.identity", 1},
    {"LeakyRelu", 6, "cleave.leaky_relu", 1},
    {"Log", 6, "cleave.log", 1},
    {"LRN", 1, "cleave.lrn", 1},
    {"Neg", 6, "cleave.neg", 1},
    {"Not", 1, "cleave.not", 1},
    {"Reciprocal", 6, "cleave.reciprocal", 1},
    {"Relu", 6, "cleave.relu", 1},
    {"Round", 11, "cleave.round", 1},
    {"Selu", 6, "cleave.selu", 1},
    {"Sigmoid", 6, "cleave.sigmoid", 1},
    {"Shrink", 9, "cleave.shrink", 1},
    {"Sign", 9, "cleave.sign", 1},
    {"Sin", 7, "cleave.sin", 1},
    {"Softplus", 1, "cleave.softplus", 1},
    {"Softsign", 1, "cleave.softsign", 1},
    {"Sqrt", 6, "cleave.sqrt", 1},
    {"Tanh", 6, "cleave.tanh", 1},
    {"Cast", 6, "cleave.cast", 1, castToType},
    {"Cast", 24, "cleave.cast", 1, castToTypeV24},
    {"Clip", 6, "cleave.clip", 3, clipAttrsToInputs},
    {"Clip", 11, "cleave.clip", 3},
    {"CumSum", 11, "cleave.cum_sum", 2},
    {"Dropout", 7, "", 1, nullptr, buildDropoutV7},
    {"Dropout", 10, "cleave.dropout", 3, dropOldDropoutAttrs},
    {"Dropout", 12, "cleave.dropout", 3},
    {"Trilu", 14, "cleave.trilu", 2},
    {"Softmax", 1, "", 1, nullptr, buildSoftmaxV1<SoftmaxOp>},
    {"Hardmax", 1, "", 1, nullptr, buildHardmax},
    {"ThresholdedRelu", 10, "", 1, nullptr, buildThresholdedRelu},
    {"Tan", 7, "", 1, nullptr, buildTan},
    {"IsInf", 10, "", 1, nullptr, buildIsInf},
    {"IsNaN", 9, "", 1, nullptr, buildIsNaN},
    {"CastLike", 15, "", 2, nullptr, buildCastLike},
    {"DepthToSpace", 1, "", 1, nullptr, buildDepthSpace<true>},
    {"SpaceToDepth", 1, "", 1, nullptr, buildDepthSpace<false>},
    {"RMSNormalization", 23, "", 2, nullptr, buildRMSNormalization},
    {"Swish", 24, "", 1, nullptr, buildSwish},
    {"SwiGLU", 28, "", 2, nullptr, buildSwiGLU},
    {"OneHot", 9, "", 3, nullptr, buildOneHot},
    {"NonZero", 9, "", 1, nullptr, buildNonZero},
    {"If", 1, "", 1, nullptr, buildIf},
    {"Loop", 1, "", 0, nullptr, buildLoop},
    {"Scan", 8, "", 0, nullptr, buildScanV8},
    {"Scan", 9, "", 0, nullptr, buildScan},
    {"Compress", 9, "", 2, nullptr, buildCompress},
    {"EyeLike", 9, "", 1, nullptr, buildEyeLike},
    {"ReduceL1", 1, "", 2, axesToInput, buildSumReduction<true>},
    {"ReduceL1", 18, "", 2, nullptr, buildSumReduction<true>},
    {"ReduceLogSum", 1, "", 2, axesToInput, buildSumReduction<false>},
    {"ReduceLogSum", 18, "", 2, nullptr, buildSumReduction<false>},
    {"Softmax", 13, "cleave.softmax", 1},
    {"LogSoftmax", 1, "", 1, nullptr, buildSoftmaxV1<LogSoftmaxOp>},
    {"LogSoftmax", 13, "cleave.log_softmax", 1},
    {"NegativeLogLikelihoodLoss", 12, "", 3, nullptr,
     buildNegativeLogLikelihoodLoss},
    {"SoftmaxCrossEntropyLoss", 12, "", 3, nullptr,
     buildSoftmaxCrossEntropyLoss},
    // Broadcasting elementwise.
    {"Add", 1, "cleave.add", 2, legacyBroadcast},
    {"Add", 7, "cleave.add", 2},
    {"And", 1, "cleave.and", 2, legacyBroadcast},
    {"And", 7, "cleave.and", 2},
    {"Div", 1, "cleave.div", 2, legacyBroadcast},
    {"Div", 7, "cleave.div", 2},
    {"Equal", 1, "cleave.equal", 2, legacyBroadcast},
    {"Equal", 7, "cleave.equal", 2},
    {"Greater", 1, "cleave.greater", 2, legacyBroadcast},
    {"Greater", 7, "cleave.greater", 2},
    {"GreaterOrEqual", 12, "cleave.greater_or_equal", 2},
    {"Less", 1, "cleave.less", 2, legacyBroadcast},
    {"Less", 7, "cleave.less", 2},
    {"LessOrEqual", 12, "cleave.less_or_equal", 2},
    {"Mod", 10, "cleave.mod", 2},
    {"Mul", 1, "cleave.mul", 2, legacyBroadcast},
    {"Mul", 7, "cleave.mul", 2},
    {"Or", 1, "cleave.or", 2, legacyBroadcast},
    {"Or", 7, "cleave.or", 2},
    {"Pow", 1, "cleave.pow", 2, legacyBroadcast},
    {"Pow", 7, "cleave.pow", 2},
    {"PRelu", 1, "cleave.prelu", 2, legacyPRelu},
    {"PRelu", 7, "cleave.prelu", 2},
    {"Sub", 1, "cleave.sub", 2, legacyBroadcast},
    {"Sub", 7, "cleave.sub", 2},
    {"Xor", 1, "cleave.xor", 2, legacyBroadcast},
    {"Xor", 7, "cleave.xor", 2},
    {"Where", 9, "cleave.where", 3},
    {"Max", 1, "cleave.max", 0, dropConsumedInputs},
    {"Max", 8, "cleave.max", 0},
    {"Mean", 1, "cleave.mean", 0, dropConsumedInputs},
    {"Mean", 8, "cleave.mean", 0},
    {"Min", 1, "cleave.min", 0, dropConsumedInputs},
    {"Min", 8, "cleave.min", 0},
    {"Sum", 1, "cleave.sum", 0, dropConsumedInputs},
    {"Sum", 8, "cleave.sum", 0},
    // Reductions: axes became an input in opset 13 (ReduceSum) or 18.
    {"ReduceL2", 1, "cleave.reduce_l2", 2, axesToInput},
    {"ReduceL2", 18, "cleave.reduce_l2", 2},
    {"ReduceLogSumExp", 1, "cleave.reduce_log_sum_exp", 2, axesToInput},
    {"ReduceLogSumExp", 18, "cleave.reduce_log_sum_exp", 2},
    {"ReduceMax", 1, "cleave.reduce_max", 2, axesToInput},
    {"ReduceMax", 18, "cleave.reduce_max", 2},
    {"ReduceMean", 1, "cleave.reduce_mean", 2, axesToInput},
    {"ReduceMean", 18, "cleave.reduce_mean", 2},
    {"ReduceMin", 1, "cleave.reduce_min", 2, axesToInput},
    {"ReduceMin", 18, "cleave.reduce_min", 2},
    {"ReduceProd", 1, "cleave.reduce_prod", 2, axesToInput},
    {"ReduceProd", 18, "cleave.reduce_prod", 2},
    {"ReduceSum", 1, "cleave.reduce_sum", 2, axesToInput},
    {"ReduceSum", 13, "cleave.reduce_sum", 2},
    {"ReduceSumSquare", 1, "cleave.reduce_sum_square", 2, axesToInput},
    {"ReduceSumSquare", 18, "cleave.reduce_sum_square", 2},
    {"ArgMax", 1, "cleave.arg_max", 1},
    {"ArgMin", 1, "cleave.arg_min", 1},
    // Shape and data movement.
    {"Concat", 4, "cleave.concat", 0},
    {"Constant", 1, "", 0, nullptr, buildConstant},
    {"ConstantOfShape", 9, "cleave.constant_of_shape", 1},
    {"Einsum", 12, "cleave.einsum", 0},
    {"Expand", 8, "cleave.expand", 2},
    {"Flatten", 1, "cleave.flatten", 1},
    {"Gather", 1, "cleave.gather", 2},
    {"GatherElements", 11, "cleave.gather_elements", 2},
    {"GatherND", 11, "cleave.gather_nd", 2},
    {"Scatter", 9, "cleave.scatter_elements", 3},
    {"ScatterElements", 11, "cleave.scatter_elements", 3},
    {"ScatterND", 11, "cleave.scatter_nd", 3},
    {"Pad", 2, "cleave.pad", 4, padAttrsToInputs},
    {"Pad", 11, "cleave.pad", 4},
    {"Range", 11, "cleave.range", 3},
    {"Range", 27, "cleave.range", 3, rangeStashType},
    {"Reshape", 1, "cleave.reshape", 2, shapeToInput},
    {"Reshape", 5, "cleave.reshape", 2},
    {"Resize", 10, "cleave.resize", 4, resizeFromV10},
    {"Resize", 11, "cleave.resize", 4},
    {"Shape", 1, "cleave.shape", 1},
    {"Size", 1, "cleave.size", 1},
    {"Slice", 1, "cleave.slice", 5, sliceAttrsToInputs},
    {"Slice", 10, "cleave.slice", 5},
    {"Split", 2, "cleave.split", 2, splitAttrToInput},
    {"Split", 13, "cleave.split", 2, splitCountFromOutputs},
    {"Squeeze", 1, "cleave.squeeze", 2, axesToInput},
    {"Squeeze", 13, "cleave.squeeze", 2},
    {"Tile", 6, "cleave.tile", 2},
    {"TopK", 1, "cleave.top_k", 2, topKAttrToInput},
    {"TopK", 10, "cleave.top_k", 2},
    {"Transpose", 1, "cleave.transpose", 1},
    {"Unsqueeze", 1, "cleave.unsqueeze", 2, axesToInput},
    {"Unsqueeze", 13, "cleave.unsqueeze", 2},
    // Neural-network ops.
    {"AveragePool", 1, "cleave.average_pool", 1},
    {"BatchNormalization", 1, "cleave.batch_normalization", 5, legacyBatchNorm},
    {"BatchNormalization", 9, "cleave.batch_normalization", 5},
    {"Conv", 1, "cleave.conv", 3},
    {"ConvTranspose", 1, "cleave.conv_transpose", 3},
    {"Gemm", 1, "cleave.gemm", 3, dropGemmBroadcast},
    {"Gemm", 7, "cleave.gemm", 3},
    {"GlobalAveragePool", 1, "cleave.global_average_pool", 1},
    {"GlobalMaxPool", 1, "cleave.global_max_pool", 1},
    {"InstanceNormalization", 6, "cleave.instance_normalization", 3},
    {"LayerNormalization", 17, "cleave.layer_normalization", 3},
    {"MatMul", 1, "cleave.matmul", 2},
    {"MaxPool", 1, "cleave.max_pool", 1},
};
// clang-format on

/// Entries whose required inputs are fewer than their input positions (the
/// rest are optional); others require all of them, and variadic ops one.
struct Required {
  StringRef opType;
  int64_t sinceVersion; // 0: every entry of the op.
  unsigned count;
};
const Required kRequired[] = {
    {"ArgMax", 0, 1},
    {"ArgMin", 0, 1},
    {"Clip", 0, 1},
    {"Constant", 0, 0},
    {"Conv", 0, 2},
    {"ConvTranspose", 0, 2},
    {"Dropout", 0, 1},
    {"Gemm", 0, 2},
    {"LayerNormalization", 0, 2},
    {"Loop", 0, 0},
    {"Scan", 8, 0},
    {"NegativeLogLikelihoodLoss", 0, 2},
    {"Pad", 2, 1},
    {"Pad", 11, 2},
    {"Reshape", 1, 1},
    {"Resize", 0, 1},
    {"Slice", 1, 1},
    {"Slice", 10, 3},
    {"SoftmaxCrossEntropyLoss", 0, 2},
    {"Split", 0, 1},
    {"Squeeze", 0, 1},
    {"TopK", 1, 1},
    {"Trilu", 0, 1},
    {"Unsqueeze", 1, 1},
    {"ReduceL1", 0, 1},
    {"ReduceLogSum", 0, 1},
    {"ReduceL2", 0, 1},
    {"ReduceLogSumExp", 0, 1},
    {"ReduceMax", 0, 1},
    {"ReduceMean", 0, 1},
    {"ReduceMin", 0, 1},
    {"ReduceProd", 0, 1},
    {"ReduceSum", 0, 1},
    {"ReduceSumSquare", 0, 1},
};

} // namespace

unsigned requiredInputs(const OpSpec &spec) {
  for (const Required &entry : kRequired)
    if (entry.opType == spec.opType &&
        (entry.sinceVersion == 0 || entry.sinceVersion == spec.sinceVersion))
      return entry.count;
  return spec.numInputs ? spec.numInputs : 1;
}

const OpSpec *lookupOp(StringRef domain, StringRef opType, int64_t opset) {
  if (!domain.empty() && domain != "ai.onnx")
    return nullptr;
  const OpSpec *best = nullptr;
  for (const OpSpec &spec : kOps)
    if (spec.opType == opType && spec.sinceVersion <= opset &&
        (!best || spec.sinceVersion > best->sinceVersion))
      best = &spec;
  return best;
}

SmallVector<StringRef> supportedOpTypes() {
  SmallVector<StringRef> names;
  for (const OpSpec &spec : kOps)
    if (names.empty() || names.back() != spec.opType)
      names.push_back(spec.opType);
  llvm::sort(names);
  names.erase(std::unique(names.begin(), names.end()), names.end());
  return names;
}

SmallVector<StringRef> supportedOnnxOperators() { return supportedOpTypes(); }

} // namespace cleave::onnx_import
