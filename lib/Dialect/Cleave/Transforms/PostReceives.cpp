//===- PostReceives.cpp - receives posted one receive ahead ---------------===//

#include "cleave/Dialect/Cleave/IR/CleaveOps.h"
#include "cleave/Dialect/Cleave/Transforms/Passes.h"
#include "cleave/Dialect/Cleave/Transforms/Placement.h"

namespace cleave::graph {
#define GEN_PASS_DEF_POSTRECEIVESPASS
#include "cleave/Dialect/Cleave/Transforms/Passes.h.inc"
} // namespace cleave::graph

using namespace mlir;
using namespace cleave::graph;

namespace {

struct PostReceivesPass
    : public cleave::graph::impl::PostReceivesPassBase<PostReceivesPass> {
  void runOnOperation() override {
    func::FuncOp function = getOperation();
    if (function.getBody().empty())
      return;
    Block &body = function.getBody().front();
    OpBuilder builder(&getContext());
    // Where the next receive is posted: the start, then after each wait.
    builder.setInsertionPointToStart(&body);
    for (auto recv : llvm::to_vector(body.getOps<RecvOp>())) {
      auto start = RecvStartOp::create(builder, recv.getLoc(), recv.getType(),
                                       recv.getPeerAttr(), recv.getTagAttr());
      start->setAttrs(recv->getAttrs());
      builder.setInsertionPoint(recv);
      auto wait = RecvWaitOp::create(builder, recv.getLoc(), start.getValue(),
                                     recv.getPeerAttr(), recv.getTagAttr());
      if (Attribute device = recv->getAttr(kDeviceAttr))
        wait->setAttr(kDeviceAttr, device);
      recv.getValue().replaceAllUsesWith(start.getValue());
      recv.erase();
      builder.setInsertionPointAfter(wait);
    }
  }
};

} // namespace
