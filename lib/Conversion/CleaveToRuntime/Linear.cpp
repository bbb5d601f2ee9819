//===- Linear.cpp - matrix products, Einsum and recurrent layers ----------===//

#include "Lowering.h"
#include "cleave/Dialect/Cleave/IR/Recurrent.h"

using namespace mlir;
using namespace cleave::graph;

namespace cleave::lowering {

namespace {

/// A layer with a fused kernel (cleave-decompose-recurrent unrolls the
/// others) as one call of the `recurrent` kernel.
LogicalResult lowerRecurrent(Operation *op, ProgramBuilder &p) {
  FailureOr<RecurrentLayer> layer = RecurrentLayer::read(op);
  if (failed(layer))
    return failure();
  if (!layer->hasFusedKernel())
    return p.unsupported(op, "this form of the layer has no fused kernel; "
                             "cleave-decompose-recurrent unrolls it");
  StringRef activation = layer->activations.front().front().name;
  int32_t rnnActivation =
      activation == "relu" ? 1 : activation == "sigmoid" ? 2 : 0;
  int32_t direction = layer->direction == "forward"   ? 0
                      : layer->direction == "reverse" ? 1
                                                      : 2;
  auto optional = [&](unsigned i) {
    return i < op->getNumOperands() && !isNone(op->getOperand(i)) ? p.in(op, i)
                                                                  : Value();
  };
  p.kernel("recurrent",
           {p.i32((int32_t)layer->cell), p.i32(rnnActivation), p.i32(direction),
            p.i32(layer->linearBeforeReset), p.in(op, 0), p.in(op, 1),
            p.in(op, 2), optional(3), optional(5), optional(6), optional(7),
            p.out(op, 0), p.out(op, 1), p.out(op, 2)});
  return success();
}

} // namespace

void populateLinearLowerings(LoweringTable &table) {
  table.add<MatMulOp>([](MatMulOp op, ProgramBuilder &p) -> LogicalResult {
    // f32 through oneDNN; 32- and 64-bit integers (MatMulInteger's
    // products among them) through the kernel's loop.
    Type element = op.getType().getElementType();
    bool integer = element.isInteger(32) || element.isInteger(64);
    if (!integer && failed(p.f32Only(op)))
      return failure();
    if (integer && (op.getA().getType().getElementType() != element ||
                    op.getB().getType().getElementType() != element))
      return p.unsupported(op, "an integer product needs one element type");
    p.kernel("matmul", {p.in(op, 0), p.in(op, 1), p.i32(op.getTransposeA()),
                        p.i32(op.getTransposeB()), p.out(op)});
    return success();
  });
  table.add<GemmOp>([](GemmOp op, ProgramBuilder &p) -> LogicalResult {
    if (failed(p.f32Only(op)))
      return failure();
    bool hasC = !isNone(op.getC());
    p.kernel("gemm", {p.in(op, 0), p.in(op, 1), hasC ? p.in(op, 2) : Value(),
                      p.f32(op.getAlpha().convertToFloat()),
                      p.f32(hasC ? op.getBeta().convertToFloat() : 0.0f),
                      p.i32(op.getTransA()), p.i32(op.getTransB()),
                      p.out(op)});
    return success();
  });
  table.addFamily([](Operation *op) { return isa<RNNOp, GRUOp, LSTMOp>(op); },
                  lowerRecurrent);
  table.add<DetOp>([](DetOp op, ProgramBuilder &p) -> LogicalResult {
    if (failed(p.f32Only(op)))
      return failure();
    p.kernel("det", {p.in(op, 0), p.out(op)});
    return success();
  });
  table.add<EinsumOp>([](EinsumOp op, ProgramBuilder &p) {
    p.kernel("einsum", {p.token(rt::cStringLiteral(op.getEquation())),
                        p.tensors(op), p.i32(op->getNumOperands()),
                        p.out(op)});
    return success();
  });
}

} // namespace cleave::lowering
