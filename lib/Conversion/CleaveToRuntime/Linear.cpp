//===- Linear.cpp - matrix products and Einsum ----------------------------===//

#include "Lowering.h"

using namespace mlir;
using namespace cleave::graph;

namespace cleave::lowering {

void populateLinearLowerings(LoweringTable &table) {
  table.add<MatMulOp>([](MatMulOp op, ProgramBuilder &p) -> LogicalResult {
    if (failed(p.f32Only(op)))
      return failure();
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
  table.add<EinsumOp>([](EinsumOp op, ProgramBuilder &p) {
    p.kernel("einsum", {p.token(rt::cStringLiteral(op.getEquation())),
                        p.tensors(op), p.i32(op->getNumOperands()),
                        p.out(op)});
    return success();
  });
}

} // namespace cleave::lowering
