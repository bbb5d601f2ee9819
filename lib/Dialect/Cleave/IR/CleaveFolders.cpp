//===- CleaveFolders.cpp - constant folding of cleave ops -----------------===//
//
// Folders evaluate the shape computations that exporters emit (Shape, Gather,
// Concat, Reshape, arithmetic on small integer tensors, ...), so that every
// shape in the graph becomes static. They only fold inputs of at most
// kMaxFoldElements elements (splats excepted): weights are never copied.
//
//===----------------------------------------------------------------------===//

#include "cleave/Dialect/Cleave/IR/CleaveOps.h"
#include "cleave/Dialect/Cleave/IR/ConstantUtils.h"
#include "mlir/IR/Builders.h"
#include "mlir/IR/Matchers.h"
#include "mlir/IR/PatternMatch.h"
#include "llvm/ADT/APSInt.h"

using namespace mlir;
using namespace cleave::graph;

namespace {

/// Index into a tensor of `shape` that broadcasts to `resultShape`, for the
/// result element at row-major position `flat`.
int64_t broadcastIndex(ArrayRef<int64_t> resultShape, ArrayRef<int64_t> shape,
                       int64_t flat) {
  int64_t index = 0, stride = 1;
  int64_t offset = (int64_t)resultShape.size() - (int64_t)shape.size();
  for (int64_t i = (int64_t)resultShape.size() - 1; i >= 0; --i) {
    int64_t coordinate = flat % resultShape[i];
    flat /= resultShape[i];
    if (i < offset)
      continue;
    int64_t dim = shape[i - offset];
    if (dim != 1)
      index += coordinate * stride;
    stride *= dim;
  }
  return index;
}

SmallVector<int64_t> stridesOf(ArrayRef<int64_t> shape) {
  SmallVector<int64_t> strides(shape.size(), 1);
  for (int64_t i = (int64_t)shape.size() - 2; i >= 0; --i)
    strides[i] = strides[i + 1] * shape[i + 1];
  return strides;
}

/// Elements of a small constant as generic attributes, for data movement.
std::optional<SmallVector<Attribute>> elementsOf(Attribute attr) {
  DenseElementsAttr dense = toDenseElements(attr);
  // Splats pass toDenseElements whatever their size; never expand a large one.
  if (!dense || dense.getNumElements() > kMaxFoldElements)
    return std::nullopt;
  auto values = dense.getValues<Attribute>();
  return SmallVector<Attribute>(values.begin(), values.end());
}

/// A result of `type` filled by `element(i)`; null if any element is null.
Attribute buildElements(ShapedType type,
                        llvm::function_ref<Attribute(int64_t)> element) {
  if (type.getNumElements() > kMaxFoldElements)
    return {};
  SmallVector<Attribute> values;
  values.reserve(type.getNumElements());
  for (int64_t i = 0; i < type.getNumElements(); ++i) {
    Attribute value = element(i);
    if (!value)
      return {};
    values.push_back(value);
  }
  return DenseElementsAttr::get(type, values);
}

/// Elementwise fold of two broadcasting constants. `intFn` and `floatFn`
/// return the result element or null when they do not fold.
Attribute foldBinary(
    Attribute lhsAttr, Attribute rhsAttr, Type resultType,
    llvm::function_ref<std::optional<APInt>(const APInt &, const APInt &,
                                            bool isUnsigned)>
        intFn,
    llvm::function_ref<std::optional<APFloat>(const APFloat &, const APFloat &)>
        floatFn) {
  DenseElementsAttr lhs = toDenseElements(lhsAttr);
  DenseElementsAttr rhs = toDenseElements(rhsAttr);
  auto type = dyn_cast<RankedTensorType>(resultType);
  if (!lhs || !rhs || !type || lhs.getElementType() != rhs.getElementType())
    return {};
  ArrayRef<int64_t> shape = type.getShape();
  Type operandType = lhs.getElementType();
  Type elementType = type.getElementType();
  auto toAttr = [&](auto value) -> Attribute {
    if constexpr (std::is_same_v<decltype(value), APInt>)
      return IntegerAttr::get(elementType, value);
    else
      return FloatAttr::get(elementType, value);
  };
  if (auto intType = dyn_cast<IntegerType>(operandType)) {
    auto a = lhs.getValues<APInt>(), b = rhs.getValues<APInt>();
    return buildElements(type, [&](int64_t i) -> Attribute {
      std::optional<APInt> value =
          intFn(a[broadcastIndex(shape, lhs.getType().getShape(), i)],
                b[broadcastIndex(shape, rhs.getType().getShape(), i)],
                intType.isUnsigned());
      if (!value)
        return {};
      return toAttr(*value);
    });
  }
  if (isa<FloatType>(operandType) && floatFn) {
    auto a = lhs.getValues<APFloat>(), b = rhs.getValues<APFloat>();
    return buildElements(type, [&](int64_t i) -> Attribute {
      std::optional<APFloat> value =
          floatFn(a[broadcastIndex(shape, lhs.getType().getShape(), i)],
                  b[broadcastIndex(shape, rhs.getType().getShape(), i)]);
      if (!value)
        return {};
      // Comparisons return an i1 encoded as a 0/1 float.
      if (elementType.isInteger(1))
        return IntegerAttr::get(elementType, !value->isZero());
      return toAttr(*value);
    });
  }
  return {};
}

std::optional<APInt> boolInt(bool value) { return APInt(1, value ? 1 : 0); }
std::optional<APFloat> boolFloat(bool value) {
  return APFloat(value ? 1.0f : 0.0f);
}

} // namespace

//===----------------------------------------------------------------------===//
// Structural ops
//===----------------------------------------------------------------------===//

OpFoldResult ConstantOp::fold(FoldAdaptor) { return getValue(); }

OpFoldResult NoneOp::fold(FoldAdaptor) { return UnitAttr::get(getContext()); }

OpFoldResult IdentityOp::fold(FoldAdaptor) { return getX(); }

LogicalResult DropoutOp::fold(FoldAdaptor adaptor,
                              SmallVectorImpl<OpFoldResult> &results) {
  // Inference mode unless training_mode is given and true.
  if (!isNone(getTrainingMode())) {
    std::optional<SmallVector<int64_t>> training =
        getConstantInts(getTrainingMode());
    if (!training || training->size() != 1 || (*training)[0] != 0)
      return failure();
  }
  results.push_back(getData());
  results.push_back(
      DenseElementsAttr::get(getMask().getType(), /*value=*/true));
  return success();
}

//===----------------------------------------------------------------------===//
// Arithmetic and comparisons on constants
//===----------------------------------------------------------------------===//

OpFoldResult AddOp::fold(FoldAdaptor adaptor) {
  return foldBinary(
      adaptor.getA(), adaptor.getB(), getType(),
      [](const APInt &a, const APInt &b, bool) { return a + b; },
      [](const APFloat &a, const APFloat &b) { return a + b; });
}

OpFoldResult SubOp::fold(FoldAdaptor adaptor) {
  return foldBinary(
      adaptor.getA(), adaptor.getB(), getType(),
      [](const APInt &a, const APInt &b, bool) { return a - b; },
      [](const APFloat &a, const APFloat &b) { return a - b; });
}

OpFoldResult MulOp::fold(FoldAdaptor adaptor) {
  return foldBinary(
      adaptor.getA(), adaptor.getB(), getType(),
      [](const APInt &a, const APInt &b, bool) { return a * b; },
      [](const APFloat &a, const APFloat &b) { return a * b; });
}

OpFoldResult DivOp::fold(FoldAdaptor adaptor) {
  return foldBinary(
      adaptor.getA(), adaptor.getB(), getType(),
      [](const APInt &a, const APInt &b,
         bool isUnsigned) -> std::optional<APInt> {
        if (b.isZero())
          return std::nullopt;
        return isUnsigned ? a.udiv(b) : a.sdiv(b);
      },
      [](const APFloat &a, const APFloat &b) { return a / b; });
}

namespace {
/// Max or Min of constant inputs, folded one input at a time into the
/// result's shape (every input broadcasts to it). NaN wins, as in the
/// kernel.
OpFoldResult foldExtremum(ArrayRef<Attribute> inputs, Type resultType,
                          bool max) {
  if (inputs.empty() || llvm::is_contained(inputs, Attribute()))
    return {};
  if (inputs.size() == 1) {
    auto typed = dyn_cast<TypedAttr>(inputs.front());
    return typed && typed.getType() == resultType ? typed : Attribute();
  }
  Attribute result = inputs.front();
  for (Attribute input : inputs.drop_front()) {
    result = foldBinary(
        result, input, resultType,
        [max](const APInt &a, const APInt &b, bool isUnsigned) {
          bool less = isUnsigned ? a.ult(b) : a.slt(b);
          return less == max ? b : a;
        },
        [max](const APFloat &a, const APFloat &b) {
          return max ? llvm::maximum(a, b) : llvm::minimum(a, b);
        });
    if (!result)
      return {};
  }
  return result;
}
} // namespace

OpFoldResult MaxOp::fold(FoldAdaptor adaptor) {
  return foldExtremum(adaptor.getInputs(), getType(), /*max=*/true);
}

OpFoldResult MinOp::fold(FoldAdaptor adaptor) {
  return foldExtremum(adaptor.getInputs(), getType(), /*max=*/false);
}

OpFoldResult ModOp::fold(FoldAdaptor adaptor) {
  bool fmod = getFmod() != 0;
  return foldBinary(
      adaptor.getA(), adaptor.getB(), getType(),
      [fmod](const APInt &a, const APInt &b,
             bool isUnsigned) -> std::optional<APInt> {
        if (b.isZero())
          return std::nullopt;
        if (isUnsigned)
          return a.urem(b);
        APInt r = a.srem(b);
        // Integer Mod without fmod takes the divisor's sign, as in Python.
        if (!fmod && !r.isZero() && (r.isNegative() != b.isNegative()))
          r += b;
        return r;
      },
      nullptr);
}

OpFoldResult EqualOp::fold(FoldAdaptor adaptor) {
  return foldBinary(
      adaptor.getA(), adaptor.getB(), getType(),
      [](const APInt &a, const APInt &b, bool) { return boolInt(a == b); },
      [](const APFloat &a, const APFloat &b) {
        return boolFloat(a.compare(b) == APFloat::cmpEqual);
      });
}

OpFoldResult GreaterOp::fold(FoldAdaptor adaptor) {
  return foldBinary(
      adaptor.getA(), adaptor.getB(), getType(),
      [](const APInt &a, const APInt &b, bool u) {
        return boolInt(u ? a.ugt(b) : a.sgt(b));
      },
      [](const APFloat &a, const APFloat &b) {
        return boolFloat(a.compare(b) == APFloat::cmpGreaterThan);
      });
}

OpFoldResult GreaterOrEqualOp::fold(FoldAdaptor adaptor) {
  return foldBinary(
      adaptor.getA(), adaptor.getB(), getType(),
      [](const APInt &a, const APInt &b, bool u) {
        return boolInt(u ? a.uge(b) : a.sge(b));
      },
      [](const APFloat &a, const APFloat &b) {
        APFloat::cmpResult c = a.compare(b);
        return boolFloat(c == APFloat::cmpGreaterThan ||
                         c == APFloat::cmpEqual);
      });
}

OpFoldResult LessOp::fold(FoldAdaptor adaptor) {
  return foldBinary(
      adaptor.getA(), adaptor.getB(), getType(),
      [](const APInt &a, const APInt &b, bool u) {
        return boolInt(u ? a.ult(b) : a.slt(b));
      },
      [](const APFloat &a, const APFloat &b) {
        return boolFloat(a.compare(b) == APFloat::cmpLessThan);
      });
}

OpFoldResult LessOrEqualOp::fold(FoldAdaptor adaptor) {
  return foldBinary(
      adaptor.getA(), adaptor.getB(), getType(),
      [](const APInt &a, const APInt &b, bool u) {
        return boolInt(u ? a.ule(b) : a.sle(b));
      },
      [](const APFloat &a, const APFloat &b) {
        APFloat::cmpResult c = a.compare(b);
        return boolFloat(c == APFloat::cmpLessThan || c == APFloat::cmpEqual);
      });
}

namespace {
/// fn applied to each element of a constant (integers with their
/// signedness), for the unary ops that appear in shape and trip-count
/// computations (a length divided, rounded up and clamped at zero).
template <typename IntFn, typename FloatFn>
OpFoldResult foldUnary(Attribute operand, ShapedType type, IntFn intFn,
                       FloatFn floatFn) {
  DenseElementsAttr input = toDenseElements(operand);
  if (!input)
    return {};
  auto values = input.getValues<Attribute>();
  return buildElements(type, [&](int64_t i) -> Attribute {
    Attribute value = values[i];
    if (auto intValue = dyn_cast<IntegerAttr>(value))
      return IntegerAttr::get(
          intValue.getType(),
          intFn(intValue.getValue(), intValue.getType().isUnsignedInteger()));
    auto floatValue = cast<FloatAttr>(value);
    return FloatAttr::get(floatValue.getType(), floatFn(floatValue.getValue()));
  });
}

APFloat rounded(APFloat x, APFloat::roundingMode mode) {
  (void)x.roundToIntegral(mode);
  return x;
}
} // namespace

OpFoldResult NegOp::fold(FoldAdaptor adaptor) {
  return foldUnary(
      adaptor.getX(), getType(), [](const APInt &a, bool) { return -a; },
      [](const APFloat &a) { return -a; });
}

OpFoldResult AbsOp::fold(FoldAdaptor adaptor) {
  return foldUnary(
      adaptor.getX(), getType(),
      [](const APInt &a, bool isUnsigned) { return isUnsigned ? a : a.abs(); },
      [](const APFloat &a) { return abs(a); });
}

OpFoldResult ReluOp::fold(FoldAdaptor adaptor) {
  return foldUnary(
      adaptor.getX(), getType(),
      [](const APInt &a, bool isUnsigned) {
        return !isUnsigned && a.isNegative() ? APInt::getZero(a.getBitWidth())
                                             : a;
      },
      // NaN stays NaN, as in the kernel's max(x, 0).
      [](const APFloat &a) {
        return a.isNegative() && !a.isNaN() ? APFloat::getZero(a.getSemantics())
                                            : a;
      });
}

OpFoldResult CeilOp::fold(FoldAdaptor adaptor) {
  return foldUnary(
      adaptor.getX(), getType(), [](const APInt &a, bool) { return a; },
      [](const APFloat &a) { return rounded(a, APFloat::rmTowardPositive); });
}

OpFoldResult FloorOp::fold(FoldAdaptor adaptor) {
  return foldUnary(
      adaptor.getX(), getType(), [](const APInt &a, bool) { return a; },
      [](const APFloat &a) { return rounded(a, APFloat::rmTowardNegative); });
}

// The logical ops fold so that conditions computed from shapes (an If on
// the rank of a tensor, as exporters write for optional states) are known.
OpFoldResult NotOp::fold(FoldAdaptor adaptor) {
  return foldUnary(
      adaptor.getX(), getType(), [](const APInt &a, bool) { return ~a; },
      [](const APFloat &a) { return a; });
}

OpFoldResult AndOp::fold(FoldAdaptor adaptor) {
  return foldBinary(
      adaptor.getA(), adaptor.getB(), getType(),
      [](const APInt &a, const APInt &b, bool) { return a & b; }, nullptr);
}

OpFoldResult OrOp::fold(FoldAdaptor adaptor) {
  return foldBinary(
      adaptor.getA(), adaptor.getB(), getType(),
      [](const APInt &a, const APInt &b, bool) { return a | b; }, nullptr);
}

OpFoldResult XorOp::fold(FoldAdaptor adaptor) {
  return foldBinary(
      adaptor.getA(), adaptor.getB(), getType(),
      [](const APInt &a, const APInt &b, bool) { return a ^ b; }, nullptr);
}

OpFoldResult WhereOp::fold(FoldAdaptor adaptor) {
  std::optional<SmallVector<Attribute>> condition =
      elementsOf(adaptor.getCondition());
  std::optional<SmallVector<Attribute>> x = elementsOf(adaptor.getX());
  std::optional<SmallVector<Attribute>> y = elementsOf(adaptor.getY());
  if (!condition || !x || !y)
    return {};
  ArrayRef<int64_t> shape = getType().getShape();
  return buildElements(getType(), [&](int64_t i) -> Attribute {
    bool pick =
        cast<IntegerAttr>((*condition)[broadcastIndex(
                              shape, getCondition().getType().getShape(), i)])
            .getValue()
            .getBoolValue();
    return pick ? (*x)[broadcastIndex(shape, getX().getType().getShape(), i)]
                : (*y)[broadcastIndex(shape, getY().getType().getShape(), i)];
  });
}

OpFoldResult CastOp::fold(FoldAdaptor adaptor) {
  if (getInput().getType() == getType())
    return getInput();
  DenseElementsAttr input = toDenseElements(adaptor.getInput());
  if (!input)
    return {};
  Type from = input.getElementType(), to = getType().getElementType();
  auto convert = [&](Attribute value) -> Attribute {
    auto toInt = dyn_cast<IntegerType>(to);
    if (auto intValue = dyn_cast<IntegerAttr>(value)) {
      const APInt &v = intValue.getValue();
      bool isUnsigned = from.isUnsignedInteger() || from.isInteger(1);
      if (toInt) {
        if (toInt.getWidth() == 1)
          return IntegerAttr::get(to, APInt(1, !v.isZero()));
        return IntegerAttr::get(to, isUnsigned
                                        ? v.zextOrTrunc(toInt.getWidth())
                                        : v.sextOrTrunc(toInt.getWidth()));
      }
      auto floatType = cast<FloatType>(to);
      APFloat result(floatType.getFloatSemantics());
      (void)result.convertFromAPInt(v, !isUnsigned,
                                    APFloat::rmNearestTiesToEven);
      return FloatAttr::get(to, result);
    }
    APFloat v = cast<FloatAttr>(value).getValue();
    if (toInt) {
      if (toInt.getWidth() == 1)
        return IntegerAttr::get(to, APInt(1, !v.isZero()));
      // As the kernels cast (ONNX leaves NaN and out-of-range values
      // undefined): NaN and infinities become 0 (T5's position buckets
      // cast log(0) and discard it with a Where), other values truncate to
      // int64 and then wrap to the target's width. Beyond int64 the
      // kernels' result is the CPU's: no fold.
      if (v.isNaN() || v.isInfinity())
        return IntegerAttr::get(to, APInt(toInt.getWidth(), 0));
      llvm::APSInt wide(64, /*isUnsigned=*/false);
      bool exact;
      if (v.convertToInteger(wide, APFloat::rmTowardZero, &exact) &
          APFloat::opInvalidOp)
        return {};
      return IntegerAttr::get(to, wide.trunc(toInt.getWidth()));
    }
    bool losesInfo;
    (void)v.convert(cast<FloatType>(to).getFloatSemantics(),
                    APFloat::rmNearestTiesToEven, &losesInfo);
    return FloatAttr::get(to, v);
  };
  if (!from.isIntOrFloat() || !to.isIntOrFloat())
    return {};
  if (input.isSplat()) {
    Attribute value = convert(input.getSplatValue<Attribute>());
    return value ? DenseElementsAttr::get(getType(), value) : Attribute();
  }
  auto values = input.getValues<Attribute>();
  return buildElements(getType(),
                       [&](int64_t i) { return convert(values[i]); });
}

//===----------------------------------------------------------------------===//
// Shape and data movement
//===----------------------------------------------------------------------===//

OpFoldResult ShapeOp::fold(FoldAdaptor) {
  ArrayRef<int64_t> dims = getData().getType().getShape();
  auto [first, last] = shapeOpRange(dims.size(), (int64_t)getStart(), getEnd());
  return DenseElementsAttr::get(getType(), dims.slice(first, last - first));
}

OpFoldResult SizeOp::fold(FoldAdaptor) {
  return DenseElementsAttr::get(getType(),
                                getData().getType().getNumElements());
}

/// Reshape-like folders: same type is a no-op; a constant input is
/// re-shaped without touching its elements.
static OpFoldResult foldReshapeLike(Value input, Attribute inputAttr,
                                    ShapedType type) {
  if (input.getType() == type)
    return input;
  if (DenseElementsAttr dense = toDenseElements(inputAttr))
    return dense.reshape(type);
  return {};
}

OpFoldResult ReshapeOp::fold(FoldAdaptor adaptor) {
  return foldReshapeLike(getData(), adaptor.getData(), getType());
}
OpFoldResult SqueezeOp::fold(FoldAdaptor adaptor) {
  return foldReshapeLike(getData(), adaptor.getData(), getType());
}
OpFoldResult UnsqueezeOp::fold(FoldAdaptor adaptor) {
  return foldReshapeLike(getData(), adaptor.getData(), getType());
}

namespace {
/// transpose(transpose(x, p), q) = transpose(x, [p[q[0]], p[q[1]], ...]):
/// one copy instead of two, none when they cancel.
struct ComposeTransposes : OpRewritePattern<TransposeOp> {
  using OpRewritePattern::OpRewritePattern;
  LogicalResult matchAndRewrite(TransposeOp op,
                                PatternRewriter &rewriter) const override {
    auto inner = op.getData().getDefiningOp<TransposeOp>();
    if (!inner)
      return failure();
    SmallVector<int64_t> p = inner.getPermutation(), composed;
    for (int64_t axis : op.getPermutation())
      composed.push_back(p[axis]);
    rewriter.replaceOpWithNewOp<TransposeOp>(
        op, inner.getData(), rewriter.getDenseI64ArrayAttr(composed));
    return success();
  }
};
} // namespace

namespace {
/// Pow(x, 2) -> Mul(x, x) for a float x of the result's type (an exponent
/// that is one constant 2, however shaped, that does not broadcast x).
struct SquareAsProduct : OpRewritePattern<PowOp> {
  using OpRewritePattern::OpRewritePattern;
  LogicalResult matchAndRewrite(PowOp op,
                                PatternRewriter &rewriter) const override {
    if (op.getX().getType() != op.getType() ||
        !isa<FloatType>(getElementTypeOrSelf(op.getType())))
      return failure();
    std::optional<SmallVector<double>> exponent = getConstantFloats(op.getY());
    if (!exponent || exponent->empty() ||
        llvm::any_of(*exponent, [](double e) { return e != 2.0; }))
      return failure();
    rewriter.replaceOpWithNewOp<MulOp>(op, op.getType(), op.getX(),
                                       op.getX());
    return success();
  }
};
} // namespace

void PowOp::getCanonicalizationPatterns(RewritePatternSet &patterns,
                                        MLIRContext *context) {
  patterns.add<SquareAsProduct>(context);
}

void TransposeOp::getCanonicalizationPatterns(RewritePatternSet &patterns,
                                              MLIRContext *context) {
  patterns.add<ComposeTransposes>(context);
}

OpFoldResult TransposeOp::fold(FoldAdaptor adaptor) {
  RankedTensorType inputType = getData().getType();
  int64_t rank = inputType.getRank();
  SmallVector<int64_t> perm = getPermutation();
  bool identity = true;
  for (int64_t i = 0; i < rank; ++i)
    identity &= perm[i] == i;
  if (identity)
    return getData();
  std::optional<SmallVector<Attribute>> values = elementsOf(adaptor.getData());
  if (!values)
    return {};
  SmallVector<int64_t> inStrides = stridesOf(inputType.getShape());
  ArrayRef<int64_t> outShape = getType().getShape();
  return buildElements(getType(), [&](int64_t flat) {
    int64_t index = 0;
    for (int64_t i = rank - 1; i >= 0; --i) {
      index += (flat % outShape[i]) * inStrides[perm[i]];
      flat /= outShape[i];
    }
    return (*values)[index];
  });
}

OpFoldResult ConcatOp::fold(FoldAdaptor adaptor) {
  if (getInputs().size() == 1 && getInputs().front().getType() == getType())
    return getInputs().front();
  SmallVector<SmallVector<Attribute>> inputs;
  for (Attribute attr : adaptor.getInputs()) {
    std::optional<SmallVector<Attribute>> values = elementsOf(attr);
    if (!values)
      return {};
    inputs.push_back(std::move(*values));
  }
  if (getType().getNumElements() > kMaxFoldElements)
    return {};
  int64_t rank = getType().getRank();
  int64_t axis =
      (int64_t)getAxis() < 0 ? (int64_t)getAxis() + rank : (int64_t)getAxis();
  ArrayRef<int64_t> shape = getType().getShape();
  int64_t outer = 1, inner = 1;
  for (int64_t i = 0; i < axis; ++i)
    outer *= shape[i];
  for (int64_t i = axis + 1; i < rank; ++i)
    inner *= shape[i];
  SmallVector<Attribute> result;
  for (int64_t o = 0; o < outer; ++o)
    for (auto [input, value] : llvm::zip(inputs, getInputs())) {
      int64_t chunk =
          cast<RankedTensorType>(value.getType()).getDimSize(axis) * inner;
      result.append(input.begin() + o * chunk, input.begin() + (o + 1) * chunk);
    }
  return DenseElementsAttr::get(getType(), result);
}

OpFoldResult SliceOp::fold(FoldAdaptor adaptor) {
  if (getData().getType() == getType() && getType().getNumElements() == 0)
    return {};
  std::optional<SmallVector<Attribute>> values = elementsOf(adaptor.getData());
  std::optional<SmallVector<int64_t>> starts = getConstantInts(getStarts());
  std::optional<SmallVector<int64_t>> ends = getConstantInts(getEnds());
  if (!values || !starts || !ends)
    return {};
  RankedTensorType inputType = getData().getType();
  int64_t rank = inputType.getRank();
  SmallVector<int64_t> axes, steps(starts->size(), 1);
  if (isNone(getAxes())) {
    for (size_t i = 0; i < starts->size(); ++i)
      axes.push_back(i);
  } else if (std::optional<SmallVector<int64_t>> a =
                 getConstantInts(getAxes())) {
    axes = *a;
  } else {
    return {};
  }
  if (!isNone(getSteps())) {
    std::optional<SmallVector<int64_t>> s = getConstantInts(getSteps());
    if (!s)
      return {};
    steps = *s;
  }
  SmallVector<int64_t> first(rank, 0), step(rank, 1);
  for (size_t i = 0; i < axes.size(); ++i) {
    int64_t axis = axes[i] < 0 ? axes[i] + rank : axes[i];
    SliceAxis slice = computeSliceAxis(inputType.getDimSize(axis), (*starts)[i],
                                       (*ends)[i], steps[i]);
    first[axis] = slice.start;
    step[axis] = slice.step;
  }
  SmallVector<int64_t> inStrides = stridesOf(inputType.getShape());
  ArrayRef<int64_t> outShape = getType().getShape();
  return buildElements(getType(), [&](int64_t flat) {
    int64_t index = 0;
    for (int64_t i = rank - 1; i >= 0; --i) {
      index += (first[i] + (flat % outShape[i]) * step[i]) * inStrides[i];
      flat /= outShape[i];
    }
    return (*values)[index];
  });
}

OpFoldResult GatherOp::fold(FoldAdaptor adaptor) {
  std::optional<SmallVector<Attribute>> values = elementsOf(adaptor.getData());
  std::optional<SmallVector<int64_t>> indices = getConstantInts(getIndices());
  if (!values || !indices)
    return {};
  RankedTensorType dataType = getData().getType();
  int64_t rank = dataType.getRank();
  int64_t axis =
      (int64_t)getAxis() < 0 ? (int64_t)getAxis() + rank : (int64_t)getAxis();
  int64_t dim = dataType.getDimSize(axis);
  int64_t inner = 1;
  for (int64_t i = axis + 1; i < rank; ++i)
    inner *= dataType.getDimSize(i);
  int64_t count = indices->size();
  for (int64_t &index : *indices) {
    if (index < -dim || index >= dim)
      return {};
    if (index < 0)
      index += dim;
  }
  return buildElements(getType(), [&](int64_t flat) {
    int64_t in = flat % inner;
    int64_t which = (flat / inner) % count;
    int64_t out = flat / (inner * count);
    return (*values)[(out * dim + (*indices)[which]) * inner + in];
  });
}

OpFoldResult ConstantOfShapeOp::fold(FoldAdaptor) {
  if (ElementsAttr value = getValueAttr()) {
    DenseElementsAttr dense = toDenseElements(value);
    if (!dense)
      return {};
    return DenseElementsAttr::get(getType(),
                                  *dense.getValues<Attribute>().begin());
  }
  return DenseElementsAttr::get(
      getType(), FloatAttr::get(getType().getElementType(), 0.0));
}

OpFoldResult RangeOp::fold(FoldAdaptor) {
  Type elementType = getType().getElementType();
  int64_t count = getType().getDimSize(0);
  if (auto intType = dyn_cast<IntegerType>(elementType)) {
    std::optional<SmallVector<int64_t>> start = getConstantInts(getStart());
    std::optional<SmallVector<int64_t>> delta = getConstantInts(getDelta());
    if (!start || !delta)
      return {};
    return buildElements(getType(), [&](int64_t i) {
      return IntegerAttr::get(elementType, (*start)[0] + i * (*delta)[0]);
    });
  }
  std::optional<SmallVector<double>> start = getConstantFloats(getStart());
  std::optional<SmallVector<double>> delta = getConstantFloats(getDelta());
  if (!start || !delta || count > kMaxFoldElements)
    return {};
  return buildElements(getType(), [&](int64_t i) {
    return FloatAttr::get(elementType, (*start)[0] + (double)i * (*delta)[0]);
  });
}
