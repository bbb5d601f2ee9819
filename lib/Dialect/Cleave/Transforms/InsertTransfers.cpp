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
    placeSendDones(body);
  }

  /// A sent tensor stays alive until its send completes. On device A, the
  /// send of tag t to B completes at the latest when B has received t; B
  /// has once it sends anything later in the order, so A waits for t
  /// (cleave.send_done) right after its first receive from B whose send
  /// comes after t's receive: a wait that costs nothing, as A waits for
  /// that receive anyway. One global order keeps the argument above: the
  /// wait is for a receive earlier in the order. Without such a receive,
  /// at the end of the run.
  static void placeSendDones(Block &body) {
    llvm::DenseMap<Operation *, int64_t> position;
    for (auto [i, op] : llvm::enumerate(body))
      position[&op] = (int64_t)i;
    llvm::DenseMap<int64_t, SendOp> sendOf;
    llvm::DenseMap<int64_t, RecvOp> recvOf;
    // Per (receiving device, peer): its receives in order.
    llvm::DenseMap<std::pair<int64_t, int64_t>, SmallVector<RecvOp>> receives;
    for (Operation &op : body) {
      if (auto send = dyn_cast<SendOp>(op))
        sendOf[send.getTag()] = send;
      if (auto recv = dyn_cast<RecvOp>(op)) {
        recvOf[recv.getTag()] = recv;
        receives[{*deviceOf(recv), recv.getPeer()}].push_back(recv);
      }
    }
    OpBuilder builder(body.getParentOp()->getContext());
    for (auto send : llvm::to_vector(body.getOps<SendOp>())) {
      int64_t device = *deviceOf(send), peer = send.getPeer();
      int64_t received = position.lookup(recvOf.lookup(send.getTag()));
      builder.setInsertionPoint(body.getTerminator());
      for (RecvOp later : receives.lookup({device, peer}))
        if (position.lookup(sendOf.lookup(later.getTag())) > received) {
          builder.setInsertionPointAfter(later);
          break;
        }
      auto done = SendDoneOp::create(builder, send.getLoc(), send.getValue(),
                                     send.getPeerAttr(), send.getTagAttr());
      done->setAttr(kDeviceAttr, builder.getI64IntegerAttr(device));
    }
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
