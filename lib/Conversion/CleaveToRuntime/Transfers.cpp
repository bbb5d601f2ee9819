//===- Transfers.cpp - sends, receives and all-reduces between devices ----===//

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
  table.add<SendDoneOp>([](SendDoneOp op, ProgramBuilder &p) {
    rt::SendDoneOp::create(p.builder, p.loc, op.getPeer(), op.getTag());
    return success();
  });
  table.add<RecvOp>([](RecvOp op, ProgramBuilder &p) {
    rt::RecvOp::create(p.builder, p.loc, p.out(op), op.getPeer(), op.getTag());
    return success();
  });
  table.add<RecvStartOp>([](RecvStartOp op, ProgramBuilder &p) {
    rt::RecvStartOp::create(p.builder, p.loc, p.out(op), op.getPeer(),
                            op.getTag());
    return success();
  });
  table.add<RecvWaitOp>([](RecvWaitOp op, ProgramBuilder &p) {
    rt::RecvWaitOp::create(p.builder, p.loc, p.in(op, 0), op.getPeer(),
                           op.getTag());
    return success();
  });
  // In place on the results: each starts as a copy of its operand unless
  // the memory plan gave them the same buffer.
  table.add<AllReduceOp>([](AllReduceOp op, ProgramBuilder &p) {
    SmallVector<Value> sums;
    for (unsigned i = 0; i < op.getNumOperands(); ++i) {
      Value in = p.in(op, i), out = p.out(op, i);
      auto inView = in.getDefiningOp<rt::ArenaViewOp>();
      auto outView = out.getDefiningOp<rt::ArenaViewOp>();
      if (!inView || !outView || inView.getOffset() != outView.getOffset())
        p.kernel("copy", {in, out});
      sums.push_back(out);
    }
    rt::AllReduceStartOp::create(p.builder, p.loc, sums);
    return success();
  });
  table.add<AllGatherOp>([](AllGatherOp op, ProgramBuilder &p) {
    rt::AllGatherOp::create(p.builder, p.loc, p.in(op, 0), p.out(op));
    return success();
  });
  table.add<ReduceScatterOp>([](ReduceScatterOp op, ProgramBuilder &p) {
    rt::ReduceScatterOp::create(p.builder, p.loc, p.in(op, 0), p.out(op));
    return success();
  });
  // In place on the result, as the all-reduce.
  table.add<BroadcastOp>([](BroadcastOp op, ProgramBuilder &p) {
    Value in = p.in(op, 0), out = p.out(op);
    auto inView = in.getDefiningOp<rt::ArenaViewOp>();
    auto outView = out.getDefiningOp<rt::ArenaViewOp>();
    if (!inView || !outView || inView.getOffset() != outView.getOffset())
      p.kernel("copy", {in, out});
    rt::BroadcastOp::create(p.builder, p.loc, out, op.getRoot());
    return success();
  });
}

} // namespace cleave::lowering
