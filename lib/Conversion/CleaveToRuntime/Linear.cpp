//===- Linear.cpp - matrix products and Einsum ----------------------------===//

#include "Lowering.h"

using namespace mlir;
using namespace cleave::graph;

namespace cleave::lowering {

void populateLinearLowerings(LoweringTable &table) {
  table.add<MatMulOp>([](MatMulOp op, ProgramBuilder &p) -> LogicalResult {
    if (failed(p.f32Only(op)))
      return failure();
    p.kernel("matmul", {p.in(op, 0), p.in(op, 1), p.out(op)});
    return success();
  });
  table.add<GemmOp>([](GemmOp op, ProgramBuilder &p) -> LogicalResult {
    if (failed(p.f32Only(op)))
      return failure();
    Attribute alpha = p.f32(op.getAlpha().convertToFloat());
    Attribute transA = p.i32(op.getTransA());
    Attribute transB = p.i32(op.getTransB());
    if (isNone(op.getC()))
      p.kernel(
          "gemm", {p.in(op, 0), p.in(op, 1), p.out(op)},
          {p.operand(0), p.operand(1), alpha, transA, transB, p.operand(2)});
    else
      p.kernel("gemm_c", {p.in(op, 0), p.in(op, 1), p.in(op, 2), p.out(op)},
               {p.operand(0), p.operand(1), p.operand(2), alpha,
                p.f32(op.getBeta().convertToFloat()), transA, transB,
                p.operand(3)});
    return success();
  });
  // einsum(equation, y, inputs...).
  table.add<EinsumOp>([](EinsumOp op, ProgramBuilder &p) {
    SmallVector<Value> operands = {p.out(op)};
    SmallVector<Attribute> args = {
        p.token(rt::cStringLiteral(op.getEquation())), p.operand(0)};
    for (unsigned i = 0; i < op->getNumOperands(); ++i) {
      operands.push_back(p.in(op, i));
      args.push_back(p.operand(i + 1));
    }
    p.kernel("einsum", operands, args);
    return success();
  });
}

} // namespace cleave::lowering
