//===- OpTable.cpp - ONNX operators the importer knows --------------------===//

#include "OpTable.h"
#include "Builders.h"
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

FailureOr<int64_t> NodeState::intAttr(StringRef name, int64_t fallback) {
  FailureOr<IntegerAttr> attr = optionalAttr<IntegerAttr>(name, "INT");
  if (failed(attr))
    return failure();
  return *attr ? attr->getInt() : fallback;
}

FailureOr<double> NodeState::floatAttr(StringRef name, double fallback) {
  FailureOr<FloatAttr> attr = optionalAttr<FloatAttr>(name, "FLOAT");
  if (failed(attr))
    return failure();
  return *attr ? attr->getValueAsDouble() : fallback;
}

FailureOr<SmallVector<int64_t>> NodeState::intsAttr(StringRef name,
                                                    size_t count) {
  FailureOr<DenseI64ArrayAttr> attr =
      optionalAttr<DenseI64ArrayAttr>(name, "INTS");
  if (failed(attr))
    return failure();
  if (!*attr)
    return SmallVector<int64_t>(count, 0);
  if (attr->size() != (int64_t)count)
    return fail("attribute '" + name + "' must have " + Twine(count) +
                " values");
  return SmallVector<int64_t>(attr->asArrayRef());
}

FailureOr<std::string> NodeState::stringAttr(StringRef name,
                                             StringRef fallback) {
  FailureOr<StringAttr> attr = optionalAttr<StringAttr>(name, "STRING");
  if (failed(attr))
    return failure();
  return (*attr ? attr->getValue() : fallback).str();
}

const onnx::GraphProto *NodeState::graphAttr(StringRef name) const {
  for (const onnx::AttributeProto &attr : node.attribute())
    if (attr.name() == name && attr.type() == onnx::AttributeProto::GRAPH)
      return &attr.g();
  return nullptr;
}

Value NodeState::stack(ArrayRef<Value> parts, int64_t axis) {
  SmallVector<Value> expanded;
  for (Value part : parts)
    expanded.push_back(
        UnsqueezeOp::create(builder, loc, part, constantI64({axis})));
  if (expanded.size() == 1)
    return expanded.front();
  return ConcatOp::create(builder, loc, expanded, axis);
}

Type elementTypeOf(Value v) {
  return cast<ShapedType>(v.getType()).getElementType();
}

namespace {

//===----------------------------------------------------------------------===//
// Adapters from older opsets
//===----------------------------------------------------------------------===//

/// GridSample-16 spells linear and cubic "bilinear" and "bicubic".
LogicalResult gridSampleModeV16(NodeState &node) {
  FailureOr<std::string> mode = node.stringAttr("mode", "bilinear");
  if (failed(mode))
    return failure();
  StringRef renamed = *mode == "bilinear"  ? "linear"
                      : *mode == "bicubic" ? "cubic"
                                           : StringRef(*mode);
  node.attributes.set("mode", node.builder.getStringAttr(renamed));
  return success();
}

/// RoiAlign-10 has no coordinate_transformation_mode and behaves as
/// RoiAlign-16's output_half_pixel.
LogicalResult roiAlignCoordinatesV10(NodeState &node) {
  node.attributes.set("coordinate_transformation_mode",
                      node.builder.getStringAttr("output_half_pixel"));
  return success();
}

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

LogicalResult resizeFromV10(NodeState &node);

/// Upsample-7 took its scales as an attribute; then it is Resize-10.
LogicalResult upsampleScalesToInput(NodeState &node) {
  FailureOr<DenseF32ArrayAttr> scales =
      node.optionalAttr<DenseF32ArrayAttr>("scales", "FLOATS");
  if (failed(scales))
    return failure();
  if (!*scales)
    return node.fail("attribute 'scales' is required");
  auto type = RankedTensorType::get({(int64_t)scales->size()},
                                    node.builder.getF32Type());
  node.operands.push_back(ConstantOp::create(
      node.builder, node.loc,
      DenseElementsAttr::get(type, scales->asArrayRef())));
  node.attributes.erase("scales");
  return resizeFromV10(node);
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

/// CastLike: Cast to the element type of the second input.
LogicalResult buildCastLike(NodeState &node, SmallVectorImpl<Value> &results) {
  FailureOr<int64_t> saturate = node.intAttr("saturate", 1);
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
  FailureOr<int64_t> keepdims = node.intAttr("keepdims", 1);
  FailureOr<int64_t> noop = node.intAttr("noop_with_empty_axes", 0);
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
  FailureOr<double> alpha = node.floatAttr("alpha", 1.0);
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
  FailureOr<int64_t> negative = node.intAttr("detect_negative", 1);
  FailureOr<int64_t> positive = node.intAttr("detect_positive", 1);
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

/// SwiGLU (opset 28): Swish_alpha(A) * B, A and B of one shape.
LogicalResult buildSwiGLU(NodeState &node, SmallVectorImpl<Value> &results) {
  FailureOr<double> alpha = node.floatAttr("alpha", 1.0);
  if (failed(alpha))
    return failure();
  Value gate = node.operands[0], value = node.operands[1];
  if (gate.getType() != value.getType())
    return node.fail("A and B must have one type and shape (SwiGLU does not "
                     "broadcast)");
  Value swish =
      SwishOp::create(node.builder, node.loc, gate, APFloat((float)*alpha));
  results.push_back(MulOp::create(node.builder, node.loc, swish, value));
  return success();
}

/// RMSNormalization (opset 23), as its ONNX function: x / sqrt(mean(x^2
/// over axes axis..rank-1) + epsilon) * scale, the first part in f32 when
/// stash_type is 1 (the default) and x is another float type.
LogicalResult buildRMSNormalization(NodeState &node,
                                    SmallVectorImpl<Value> &results) {
  FailureOr<int64_t> axisAttr = node.intAttr("axis", -1);
  FailureOr<double> epsilon = node.floatAttr("epsilon", 1e-5);
  FailureOr<int64_t> stash = node.intAttr("stash_type", 1);
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
  FailureOr<int64_t> blockAttr = node.intAttr("blocksize", 0);
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
  FailureOr<int64_t> axisAttr = node.intAttr("axis", flat ? 1 : -1);
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
  FailureOr<int64_t> axisAttr = node.intAttr("axis", -1);
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

/// EyeLike: a constant of the (static, 2-D) input's shape with ones on
/// diagonal `k`, of type `dtype` (default the input's).
LogicalResult buildEyeLike(NodeState &node, SmallVectorImpl<Value> &results) {
  auto type = cast<RankedTensorType>(node.operands[0].getType());
  FailureOr<int64_t> k = node.intAttr("k", 0);
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
    {"Acos", 7, "cleave.acos", 1},
    {"Acosh", 9, "cleave.acosh", 1},
    {"Asin", 7, "cleave.asin", 1},
    {"Asinh", 9, "cleave.asinh", 1},
    {"Atan", 7, "cleave.atan", 1},
    {"Atanh", 9, "cleave.atanh", 1},
    {"Cosh", 9, "cleave.cosh", 1},
    {"Sinh", 9, "cleave.sinh", 1},
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
    {"Swish", 24, "cleave.swish", 1},
    {"SwiGLU", 28, "", 2, nullptr, buildSwiGLU},
    {"OneHot", 9, "", 3, nullptr, buildOneHot},
    {"NonZero", 9, "", 1, nullptr, buildNonZero},
    {"If", 1, "", 1, nullptr, buildIf},
    {"Loop", 1, "", 0, nullptr, buildLoop},
    {"Celu", 12, "", 1, nullptr, buildCelu},
    {"MeanVarianceNormalization", 9, "", 1, nullptr,
     buildMeanVarianceNormalization},
    {"ReverseSequence", 10, "", 2, nullptr, buildReverseSequence},
    {"MaxUnpool", 9, "", 3, nullptr, buildMaxUnpool},
    {"DFT", 17, "", 3, nullptr, buildDFT},
    {"STFT", 17, "", 4, nullptr, buildSTFT},
    {"MelWeightMatrix", 17, "", 5, nullptr, buildMelWeightMatrix},
    {"TfIdfVectorizer", 9, "", 1, nullptr, buildTfIdfVectorizer},
    {"HannWindow", 17, "", 1, nullptr, buildWindow<0>},
    {"HammingWindow", 17, "", 1, nullptr, buildWindow<1>},
    {"BlackmanWindow", 17, "", 1, nullptr, buildWindow<2>},
    {"QuantizeLinear", 10, "", 3, nullptr, buildQuantizeLinear},
    {"DequantizeLinear", 10, "", 3, nullptr, buildDequantizeLinear},
    {"DynamicQuantizeLinear", 11, "", 1, nullptr, buildDynamicQuantizeLinear},
    {"MatMulInteger", 10, "", 4, nullptr, buildMatMulInteger},
    {"QLinearMatMul", 10, "", 8, nullptr, buildQLinearMatMul},
    {"Upsample", 7, "cleave.resize", 4, upsampleScalesToInput},
    {"Upsample", 9, "cleave.resize", 4, resizeFromV10},
    {"Det", 11, "cleave.det", 1},
    {"GridSample", 16, "cleave.grid_sample", 2, gridSampleModeV16},
    {"GridSample", 20, "cleave.grid_sample", 2},
    {"RoiAlign", 10, "cleave.roi_align", 3, roiAlignCoordinatesV10},
    {"RoiAlign", 16, "cleave.roi_align", 3},
    {"RNN", 7, "cleave.rnn", 6},
    {"GRU", 7, "cleave.gru", 6},
    {"LSTM", 7, "cleave.lstm", 8},
    {"Scan", 8, "", 0, nullptr, buildScanV8},
    {"Scan", 9, "", 0, nullptr, buildScan},
    {"Compress", 9, "", 2, nullptr, buildCompress},
    {"Unique", 11, "", 1, nullptr, buildUnique},
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
    {"BitShift", 11, "cleave.bit_shift", 2},
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
    {"BatchNormalization", 14, "", 5, nullptr, buildBatchNormalization},
    {"Conv", 1, "cleave.conv", 3},
    {"ConvInteger", 10, "cleave.conv_integer", 4},
    {"QLinearConv", 10, "", 9, nullptr, buildQLinearConv},
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
    {"ConvInteger", 0, 2},
    {"QLinearConv", 0, 8},
    {"ConvTranspose", 0, 2},
    {"Dropout", 0, 1},
    {"Gemm", 0, 2},
    {"LayerNormalization", 0, 2},
    {"Loop", 0, 0},
    {"QuantizeLinear", 0, 2},
    {"Upsample", 0, 1},
    {"MaxUnpool", 0, 2},
    {"DFT", 0, 1},
    {"STFT", 0, 2},
    {"DequantizeLinear", 0, 2},
    {"MatMulInteger", 0, 2},
    {"RNN", 0, 3},
    {"GRU", 0, 3},
    {"LSTM", 0, 3},
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
