//===- ElementwiseRules.cpp - gradients of elementwise ops ----------------===//
//
// Unary ops: dx = dy * f'(x), written with the forward result y where that
// is cheaper (tanh, sigmoid, exp). Broadcasting binary ops: each operand's
// gradient summed back to its shape.
//
//===----------------------------------------------------------------------===//

#include "Rules.h"
#include <cmath>

using namespace mlir;

namespace cleave::graph::autodiff {

namespace {

Type elementOf(Value v) { return cast<ShapedType>(v.getType()).getElementType(); }

LogicalResult relu(ReluOp op, GradientBuilder &b, ArrayRef<Value> dy,
                   MutableArrayRef<Value> dx) {
  Value zero = b.scalar(0.0, elementOf(op.getX()));
  Value positive = b.create<GreaterOp>(op.getX(), zero);
  dx[0] = b.create<WhereOp>(positive, dy[0], zero);
  return success();
}

LogicalResult leakyRelu(LeakyReluOp op, GradientBuilder &b, ArrayRef<Value> dy,
                        MutableArrayRef<Value> dx) {
  Type element = elementOf(op.getX());
  Value positive = b.create<GreaterOp>(op.getX(), b.scalar(0.0, element));
  Value scaled = b.create<MulOp>(
      dy[0], b.scalar(op.getAlpha().convertToDouble(), element));
  dx[0] = b.create<WhereOp>(positive, dy[0], scaled);
  return success();
}

/// dy * (1 - y^2).
LogicalResult tanh(TanhOp op, GradientBuilder &b, ArrayRef<Value> dy,
                   MutableArrayRef<Value> dx) {
  Value y = op.getY();
  Value one = b.scalar(1.0, elementOf(y));
  dx[0] = b.create<MulOp>(dy[0],
                          b.create<SubOp>(one, b.create<MulOp>(y, y)));
  return success();
}

/// dy * y * (1 - y).
LogicalResult sigmoid(SigmoidOp op, GradientBuilder &b, ArrayRef<Value> dy,
                      MutableArrayRef<Value> dx) {
  Value y = op.getY();
  Value one = b.scalar(1.0, elementOf(y));
  dx[0] = b.create<MulOp>(b.create<MulOp>(dy[0], y),
                          b.create<SubOp>(one, y));
  return success();
}

/// y = x s with s = sigmoid(a x): dy * (s + a y (1 - s)).
LogicalResult swish(SwishOp op, GradientBuilder &b, ArrayRef<Value> dy,
                    MutableArrayRef<Value> dx) {
  Value x = op.getX();
  Type element = elementOf(x);
  double alpha = op.getAlpha().convertToDouble();
  Value a = b.scalar(alpha, element);
  Value s = b.create<SigmoidOp>(alpha == 1.0 ? x : b.create<MulOp>(x, a));
  Value slope = b.create<MulOp>(b.create<MulOp>(op.getY(), a),
                                b.create<SubOp>(b.scalar(1.0, element), s));
  dx[0] = b.create<MulOp>(dy[0], b.create<AddOp>(s, slope));
  return success();
}

/// GELU: one cleave.gelu_grad (its description has the derivative).
LogicalResult gelu(GeluOp op, GradientBuilder &b, ArrayRef<Value> dy,
                   MutableArrayRef<Value> dx) {
  dx[0] = GeluGradOp::create(b.builder, b.loc, op.getX().getType(), dy[0],
                             op.getX(), op.getApproximate());
  return success();
}

/// d erf(x) = 2 / sqrt(pi) exp(-x^2) (the erf form of GELU exporters
/// write).
LogicalResult erf(ErfOp op, GradientBuilder &b, ArrayRef<Value> dy,
                  MutableArrayRef<Value> dx) {
  Value x = op.getX();
  Type element = elementOf(x);
  Value bell = b.create<ExpOp>(b.create<NegOp>(b.create<MulOp>(x, x)));
  dx[0] = b.create<MulOp>(
      dy[0], b.create<MulOp>(bell, b.scalar(2.0 / std::sqrt(M_PI), element)));
  return success();
}

LogicalResult sin(SinOp op, GradientBuilder &b, ArrayRef<Value> dy,
                  MutableArrayRef<Value> dx) {
  dx[0] = b.create<MulOp>(dy[0], b.create<CosOp>(op.getX()));
  return success();
}

LogicalResult cos(CosOp op, GradientBuilder &b, ArrayRef<Value> dy,
                  MutableArrayRef<Value> dx) {
  dx[0] = b.create<NegOp>(b.create<MulOp>(dy[0], b.create<SinOp>(op.getX())));
  return success();
}

LogicalResult exp(ExpOp op, GradientBuilder &b, ArrayRef<Value> dy,
                  MutableArrayRef<Value> dx) {
  dx[0] = b.create<MulOp>(dy[0], op.getY());
  return success();
}

LogicalResult log(LogOp op, GradientBuilder &b, ArrayRef<Value> dy,
                  MutableArrayRef<Value> dx) {
  dx[0] = b.create<DivOp>(dy[0], op.getX());
  return success();
}

/// dy / (2 y).
LogicalResult sqrt(SqrtOp op, GradientBuilder &b, ArrayRef<Value> dy,
                   MutableArrayRef<Value> dx) {
  Value twice = b.create<MulOp>(op.getY(), b.scalar(2.0, elementOf(op.getY())));
  dx[0] = b.create<DivOp>(dy[0], twice);
  return success();
}

LogicalResult neg(NegOp op, GradientBuilder &b, ArrayRef<Value> dy,
                  MutableArrayRef<Value> dx) {
  dx[0] = b.create<NegOp>(dy[0]);
  return success();
}

/// -dy * y^2.
LogicalResult reciprocal(ReciprocalOp op, GradientBuilder &b,
                         ArrayRef<Value> dy, MutableArrayRef<Value> dx) {
  Value y = op.getY();
  dx[0] = b.create<NegOp>(b.create<MulOp>(dy[0], b.create<MulOp>(y, y)));
  return success();
}

LogicalResult identity(IdentityOp op, GradientBuilder &b, ArrayRef<Value> dy,
                       MutableArrayRef<Value> dx) {
  dx[0] = dy[0];
  return success();
}

LogicalResult add(AddOp op, GradientBuilder &b, ArrayRef<Value> dy,
                  MutableArrayRef<Value> dx) {
  dx[0] = b.unbroadcast(dy[0], op.getA().getType());
  dx[1] = b.unbroadcast(dy[0], op.getB().getType());
  return success();
}

LogicalResult sub(SubOp op, GradientBuilder &b, ArrayRef<Value> dy,
                  MutableArrayRef<Value> dx) {
  dx[0] = b.unbroadcast(dy[0], op.getA().getType());
  dx[1] = b.unbroadcast(b.create<NegOp>(dy[0]), op.getB().getType());
  return success();
}

LogicalResult mul(MulOp op, GradientBuilder &b, ArrayRef<Value> dy,
                  MutableArrayRef<Value> dx) {
  dx[0] = b.unbroadcast(b.create<MulOp>(dy[0], op.getB()), op.getA().getType());
  dx[1] = b.unbroadcast(b.create<MulOp>(dy[0], op.getA()), op.getB().getType());
  return success();
}

/// c = a / b: da = dy / b, db = -dy * c / b.
LogicalResult div(DivOp op, GradientBuilder &b, ArrayRef<Value> dy,
                  MutableArrayRef<Value> dx) {
  Value da = b.create<DivOp>(dy[0], op.getB());
  dx[0] = b.unbroadcast(da, op.getA().getType());
  dx[1] = b.unbroadcast(b.create<NegOp>(b.create<MulOp>(da, op.getC())),
                        op.getB().getType());
  return success();
}

/// The gradient goes to the branch the condition chose.
/// dy where min < x < max (ReLU6's hardtanh convention: not at the bounds).
LogicalResult clip(ClipOp op, GradientBuilder &b, ArrayRef<Value> dy,
                   MutableArrayRef<Value> dx) {
  Value x = op.getX(), inside;
  if (!isNone(op.getMin()))
    inside = b.create<GreaterOp>(x, op.getMin());
  if (!isNone(op.getMax())) {
    Value below = b.create<LessOp>(x, op.getMax());
    inside = inside ? b.create<AndOp>(inside, below) : below;
  }
  dx[0] = inside ? b.create<WhereOp>(inside, dy[0],
                                     b.scalar(0.0, elementOf(x)))
                 : dy[0];
  return success();
}

/// z = x^y: dx = dy y x^(y - 1); dy = dy z log(x), unless y is a constant.
LogicalResult pow(PowOp op, GradientBuilder &b, ArrayRef<Value> dy,
                  MutableArrayRef<Value> dx) {
  Value x = op.getX(), y = op.getY();
  if (!isa<FloatType>(elementOf(y)))
    return op.emitError("the gradient of Pow needs a float exponent");
  Value slope = b.create<MulOp>(
      y, b.create<PowOp>(x, b.create<SubOp>(y, b.scalar(1.0, elementOf(y)))));
  dx[0] = b.unbroadcast(b.create<MulOp>(dy[0], slope), x.getType());
  if (!y.getDefiningOp<ConstantOp>())
    dx[1] = b.unbroadcast(
        b.create<MulOp>(dy[0], b.create<MulOp>(op.getZ(), b.create<LogOp>(x))),
        y.getType());
  return success();
}

LogicalResult where(WhereOp op, GradientBuilder &b, ArrayRef<Value> dy,
                    MutableArrayRef<Value> dx) {
  Value zero = b.scalar(0.0, elementOf(dy[0]));
  dx[1] = b.unbroadcast(b.create<WhereOp>(op.getCondition(), dy[0], zero),
                        op.getX().getType());
  dx[2] = b.unbroadcast(b.create<WhereOp>(op.getCondition(), zero, dy[0]),
                        op.getY().getType());
  return success();
}

/// A dropout mask depends on its data's type alone: no gradient.
LogicalResult dropoutMask(DropoutMaskOp, GradientBuilder &, ArrayRef<Value>,
                          MutableArrayRef<Value>) {
  return success();
}

} // namespace

void attachElementwiseRules(MLIRContext *ctx) {
  attach<DropoutMaskOp, dropoutMask>(ctx);
  attach<ReluOp, relu>(ctx);
  attach<ClipOp, clip>(ctx);
  attach<PowOp, pow>(ctx);
  attach<LeakyReluOp, leakyRelu>(ctx);
  attach<TanhOp, tanh>(ctx);
  attach<SigmoidOp, sigmoid>(ctx);
  attach<SwishOp, swish>(ctx);
  attach<GeluOp, gelu>(ctx);
  attach<ErfOp, erf>(ctx);
  attach<SinOp, sin>(ctx);
  attach<CosOp, cos>(ctx);
  attach<ExpOp, exp>(ctx);
  attach<LogOp, log>(ctx);
  attach<SqrtOp, sqrt>(ctx);
  attach<NegOp, neg>(ctx);
  attach<ReciprocalOp, reciprocal>(ctx);
  attach<IdentityOp, identity>(ctx);
  attach<AddOp, add>(ctx);
  attach<SubOp, sub>(ctx);
  attach<MulOp, mul>(ctx);
  attach<DivOp, div>(ctx);
  attach<WhereOp, where>(ctx);
}

} // namespace cleave::graph::autodiff
