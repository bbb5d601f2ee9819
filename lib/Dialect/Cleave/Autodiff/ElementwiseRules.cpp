//===- ElementwiseRules.cpp - gradients of elementwise ops ----------------===//
//
// Unary ops: dx = dy * f'(x), written with the forward result y where that
// is cheaper (tanh, sigmoid, exp). Broadcasting binary ops: each operand's
// gradient summed back to its shape.
//
//===----------------------------------------------------------------------===//

#include "Rules.h"

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
LogicalResult where(WhereOp op, GradientBuilder &b, ArrayRef<Value> dy,
                    MutableArrayRef<Value> dx) {
  Value zero = b.scalar(0.0, elementOf(dy[0]));
  dx[1] = b.unbroadcast(b.create<WhereOp>(op.getCondition(), dy[0], zero),
                        op.getX().getType());
  dx[2] = b.unbroadcast(b.create<WhereOp>(op.getCondition(), zero, dy[0]),
                        op.getY().getType());
  return success();
}

} // namespace

void attachElementwiseRules(MLIRContext *ctx) {
  attach<ReluOp, relu>(ctx);
  attach<LeakyReluOp, leakyRelu>(ctx);
  attach<TanhOp, tanh>(ctx);
  attach<SigmoidOp, sigmoid>(ctx);
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
