//===- Transfers.cpp - sends and receives between devices -----------------===//

#include "Lowering.h"

using namespace mlir;
using namespace cleave::graph;

namespace cleave::lowering {

void populateTransferLowerings(LoweringTable &table) {
  table.add<SendOp>([](SendOp op, ProgramBuilder &p) {
    rt::SendOp::create(p.builder, p.loc, p.in(op, 0), op.getPeer(),
                       op.getTag());
    return success();
  });
  table.add<RecvOp>([](RecvOp op, ProgramBuilder &p) {
    rt::RecvOp::create(p.builder, p.loc, p.out(op), op.getPeer(), op.getTag());
    return success();
  });
}

} // namespace cleave::lowering
