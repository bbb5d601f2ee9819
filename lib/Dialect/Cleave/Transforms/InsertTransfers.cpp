//===- InsertTransfers.cpp - send/recv pairs between devices --------------===//

#include "cleave/Dialect/Cleave/IR/CleaveOps.h"
#include "cleave/Dialect/Cleave/Transforms/Passes.h"
#include "cleave/Dialect/Cleave/Transforms/Placement.h"
#include "llvm/ADT/MapVector.h"

namespace cleave::graph {
#define GEN_PASS_DEF_INSERTTRANSFERSPASS
#include "cleave/Dialect/Cleave/Transforms/Passes.h.inc"
} // namespace cleave::graph

using namespace mlir;
using namespace cleave::graph;

namespace {

IntegerAttr i64(MLIRContext *context, int64_t value) {
  return IntegerAttr::get(IntegerType::get(context, 64), value);
}

struct InsertTransfersPass
    : public cleave::graph::impl::InsertTransfersPassBase<
          InsertTransfersPass> {
  void runOnOperation() override {
    func::FuncOp function = getOperation();
    Block &body = function.getBody().front();
    MLIRContext *context = &getContext();
    // The ops of the body in order, for "first reader" questions.
    llvm::DenseMap<Operation *, int64_t> position;
    for (auto [i, op] : llvm::enumerate(body))
      position[&op] = (int64_t)i;
    for (Operation &op : body) {
      if (isWeights(&op) || isa<NoneOp, func::ReturnOp>(op))
        continue;
      if (!deviceOf(&op)) {
        op.emitError("has no cleave.device: run cleave-place first");
        return signalPassFailure();
      }
    }

    int64_t tag = 0;
    OpBuilder builder(context);
    for (Operation &op : llvm::make_early_inc_range(body)) {
      std::optional<int64_t> source = deviceOf(&op);
      if (!source || isa<SendOp, RecvOp>(op))
        continue;
      for (Value value : op.getResults()) {
        // Readers on other devices, grouped by device in first-read order.
        llvm::MapVector<int64_t, SmallVector<OpOperand *>> readers;
        for (OpOperand &use : value.getUses()) {
          std::optional<int64_t> device = deviceOf(use.getOwner());
          if (device && *device != *source)
            readers[*device].push_back(&use);
        }
        // Each device's first reader; transfers in the order of those.
        SmallVector<std::tuple<int64_t, int64_t, Operation *>> order;
        for (auto &[device, uses] : readers) {
          Operation *first = uses.front()->getOwner();
          for (OpOperand *use : uses)
            if (position.lookup(use->getOwner()) < position.lookup(first))
              first = use->getOwner();
          order.emplace_back(position.lookup(first), device, first);
        }
        llvm::sort(order, [](const auto &a, const auto &b) {
          return std::get<0>(a) < std::get<0>(b);
        });
        Operation *after = &op; // Sends follow the value, in order.
        for (auto &[firstPosition, device, first] : order) {
          ArrayRef<OpOperand *> uses = readers[device];
          builder.setInsertionPointAfter(after);
          auto send = SendOp::create(builder, op.getLoc(), value,
                                     i64(context, device), i64(context, tag));
          send->setAttr(kDeviceAttr, i64(context, *source));
          after = send;
          builder.setInsertionPoint(first);
          auto recv = RecvOp::create(builder, op.getLoc(), value.getType(),
                                     i64(context, *source),
                                     i64(context, tag));
          recv->setAttr(kDeviceAttr, i64(context, device));
          position[recv] = firstPosition;
          for (OpOperand *use : uses)
            use->set(recv.getValue());
          ++tag;
        }
      }
    }
    orderReceives(body);
  }

  /// NCCL matches a pair of devices' sends and receives by order, not by
  /// tag: each device receives from a peer in the order the peer sends
  /// (tags grow with the sends). A receive placed after a later-sent one
  /// moves up to just before it, which keeps the argument above: its send
  /// still comes earlier.
  static void orderReceives(Block &body) {
    llvm::MapVector<std::pair<int64_t, int64_t>, SmallVector<RecvOp>> pairs;
    for (auto recv : body.getOps<RecvOp>())
      pairs[{recv.getPeer(), *deviceOf(recv)}].push_back(recv);
    for (auto &[pair, receives] : pairs) {
      llvm::sort(receives, [](RecvOp a, RecvOp b) {
        return a.getTag() < b.getTag();
      });
      for (size_t i = receives.size(); i-- > 1;)
        if (receives[i]->isBeforeInBlock(receives[i - 1]))
          receives[i - 1]->moveBefore(receives[i]);
    }
  }
};

} // namespace
