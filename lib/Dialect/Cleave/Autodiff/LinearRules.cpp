//===- LinearRules.cpp - gradients of matrix products ---------------------===//
//
// Y = A @ B: dA = dY @ B^T and dB = A^T @ dY, each summed back over the
// batch axes broadcasting stretched; a matrix B shared by a batch of A gets
// one product over all of A's rows instead. Gemm's transposes fold into the
// products of its gradients.
//
//===----------------------------------------------------------------------===//

#include "Rules.h"

using namespace mlir;

namespace cleave::graph::autodiff {

namespace {

/// The permutation that swaps the last two of `rank` axes.
SmallVector<int64_t> swapLastTwo(int64_t rank) {
  SmallVector<int64_t> perm;
  for (int64_t i = 0; i < rank; ++i)
    perm.push_back(i);
  std::swap(perm[rank - 1], perm[rank - 2]);
  return perm;
}

Value matrixTranspose(GradientBuilder &b, Value x) {
  return b.transpose(x, swapLastTwo(cast<ShapedType>(x.getType()).getRank()));
}

/// `x` as a matrix: its leading axes flattened into rows.
Value asRows(GradientBuilder &b, Value x) {
  ArrayRef<int64_t> shape = cast<ShapedType>(x.getType()).getShape();
  int64_t rows = 1;
  for (int64_t d : shape.drop_back())
    rows = ShapedType::isDynamic(d) || rows < 0 ? -1 : rows * d;
  return b.reshape(x, {rows, shape.back()});
}

LogicalResult matmul(MatMulOp op, GradientBuilder &b, ArrayRef<Value> dy,
                     MutableArrayRef<Value> dx) {
  Value a = op.getA(), m = op.getB();
  int64_t aRank = cast<ShapedType>(a.getType()).getRank(),
          mRank = cast<ShapedType>(m.getType()).getRank();
  if (aRank < 2 || mRank < 2)
    return op.emitError("the gradient of MatMul needs operands of rank 2 or "
                        "more (1-D operands are not supported yet)");
  // Y = op(A) @ op(B), op swapping the last two axes where the fused flags
  // say so; the gradients of op(A) and op(B) are swapped back.
  Value opA = op.getTransposeA() ? matrixTranspose(b, a) : a;
  Value opB = op.getTransposeB() ? matrixTranspose(b, m) : m;
  Value dOpA = b.unbroadcast(b.create<MatMulOp>(dy[0], matrixTranspose(b, opB)),
                             opA.getType());
  Value dOpB;
  if (mRank == 2 && aRank > 2)
    // A B shared by the batch (a Linear on [B, T, K]): one product over
    // all rows, with no per-batch products to sum.
    dOpB = b.create<MatMulOp>(matrixTranspose(b, asRows(b, opA)),
                              asRows(b, dy[0]));
  else
    dOpB = b.unbroadcast(b.create<MatMulOp>(matrixTranspose(b, opA), dy[0]),
                         opB.getType());
  dx[0] = op.getTransposeA() ? matrixTranspose(b, dOpA) : dOpA;
  dx[1] = op.getTransposeB() ? matrixTranspose(b, dOpB) : dOpB;
  return success();
}

LogicalResult gemm(GemmOp op, GradientBuilder &b, ArrayRef<Value> dy,
                   MutableArrayRef<Value> dx) {
  OpBuilder &builder = b.builder;
  FloatAttr alpha = op.getAlphaAttr();
  FloatAttr zero = builder.getF32FloatAttr(0.0f);
  auto flag = [&](bool v) { return builder.getI64IntegerAttr(v ? 1 : 0); };
  bool ta = op.getTransA() != 0, tb = op.getTransB() != 0;
  Value none = NoneOp::create(builder, b.loc);
  Value a = op.getA(), m = op.getB(), g = dy[0];
  // op(A) @ op(B) with op(X) = X or X^T.
  dx[0] = ta ? b.create<GemmOp>(m, g, none, alpha, zero, flag(tb), flag(true))
             : b.create<GemmOp>(g, m, none, alpha, zero, flag(false),
                                flag(!tb));
  dx[1] = tb ? b.create<GemmOp>(g, a, none, alpha, zero, flag(true), flag(ta))
             : b.create<GemmOp>(a, g, none, alpha, zero, flag(!ta),
                                flag(false));
  if (!isNone(op.getC())) {
    Type element = cast<ShapedType>(g.getType()).getElementType();
    Value scaled = b.create<MulOp>(
        g, b.scalar(op.getBeta().convertToDouble(), element));
    dx[2] = b.unbroadcast(scaled, op.getC().getType());
  }
  return success();
}

} // namespace

void attachLinearRules(MLIRContext *ctx) {
  attach<MatMulOp, matmul>(ctx);
  attach<GemmOp, gemm>(ctx);
}

} // namespace cleave::graph::autodiff
