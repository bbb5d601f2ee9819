//===- SplitDevices.cpp - one function per device
//--------------------------===//

#include "cleave/Dialect/Cleave/IR/CleaveOps.h"
#include "cleave/Dialect/Cleave/Transforms/Passes.h"
#include "cleave/Dialect/Cleave/Transforms/Placement.h"
#include "cleave/Dialect/Cleave/Transforms/TrainingPlacement.h"
#include "mlir/IR/IRMapping.h"
#include "llvm/ADT/MapVector.h"
#include <set>

namespace cleave::graph {
#define GEN_PASS_DEF_SPLITDEVICESPASS
#include "cleave/Dialect/Cleave/Transforms/Passes.h.inc"
} // namespace cleave::graph

using namespace mlir;
using namespace cleave::graph;

namespace {

struct SplitDevicesPass
    : public cleave::graph::impl::SplitDevicesPassBase<SplitDevicesPass> {
  void runOnOperation() override {
    ModuleOp module = getOperation();
    auto main = module.lookupSymbol<func::FuncOp>("main");
    if (!main) {
      module.emitError("cleave-split-devices: no @main");
      return signalPassFailure();
    }
    Block &body = main.getBody().front();
    auto ret = cast<func::ReturnOp>(body.getTerminator());
    // Unplaced, the whole graph is the one device's program.
    bool placed = llvm::any_of(body, [](Operation &op) {
      return deviceOf(&op).has_value();
    });
    if (!placed) {
      main.setName("device_0");
      return;
    }
    for (Value output : ret.getOperands()) {
      Operation *producer = output.getDefiningOp();
      if (!producer || !deviceOf(producer)) {
        main.emitError("cleave-split-devices: a graph output is a graph "
                       "input or a constant, which no device computes");
        return signalPassFailure();
      }
    }
    // The devices used, renumbered 0, 1, ... in the machine's order (a
    // pipeline's stages in order, whatever op a schedule runs first); the
    // placement's prediction follows each device to its new number.
    std::set<int64_t> used;
    for (Operation &op : body)
      if (std::optional<int64_t> device = deviceOf(&op))
        used.insert(*device);
    llvm::MapVector<int64_t, int64_t> renumbered;
    for (int64_t device : used)
      renumbered.insert({device, (int64_t)renumbered.size()});
    OpBuilder attrs(&getContext());
    for (Operation &op : body) {
      if (std::optional<int64_t> device = deviceOf(&op))
        op.setAttr(kDeviceAttr,
                   attrs.getI64IntegerAttr(renumbered.lookup(*device)));
      if (auto send = dyn_cast<SendOp>(op))
        send.setPeer(renumbered.lookup(send.getPeer()));
      if (auto done = dyn_cast<SendDoneOp>(op))
        done.setPeer(renumbered.lookup(done.getPeer()));
      if (auto recv = dyn_cast<RecvOp>(op))
        recv.setPeer(renumbered.lookup(recv.getPeer()));
    }
    auto predicted = main->getAttrOfType<DenseF64ArrayAttr>(kPredictedMsAttr);
    std::set<int64_t> devices;
    for (auto [old, device] : renumbered)
      devices.insert(device);

    OpBuilder builder(module.getBodyRegion());
    builder.setInsertionPoint(main);
    for (int64_t device : devices) {
      // Graph inputs this device reads, and outputs it makes.
      SmallVector<unsigned> inputs, outputs;
      for (BlockArgument arg : main.getArguments())
        if (llvm::any_of(arg.getUsers(), [&](Operation *user) {
              return deviceOf(user) == device;
            }))
          inputs.push_back(arg.getArgNumber());
      for (auto [i, output] : llvm::enumerate(ret.getOperands()))
        if (deviceOf(output.getDefiningOp()) == device)
          outputs.push_back(i);
      SmallVector<Type> argTypes, resultTypes;
      for (unsigned i : inputs)
        argTypes.push_back(main.getArgument(i).getType());
      for (unsigned i : outputs)
        resultTypes.push_back(ret.getOperand(i).getType());
      auto function = func::FuncOp::create(
          builder, main.getLoc(), ("device_" + llvm::Twine(device)).str(),
          builder.getFunctionType(argTypes, resultTypes));
      function->setAttr(kDeviceAttr, builder.getI64IntegerAttr(device));
      if (Attribute replicas = main->getAttr(kReplicasAttr))
        function->setAttr(kReplicasAttr, replicas);
      if (Attribute schedule = main->getAttr(kScheduleAttr))
        function->setAttr(kScheduleAttr, schedule);
      if (predicted)
        for (auto [old, renamed] : renumbered)
          if (renamed == device && old < (int64_t)predicted.size())
            function->setAttr(kPredictedMsAttr,
                              builder.getF64FloatAttr(predicted[old]));
      Block *entry = function.addEntryBlock();
      IRMapping mapping;
      for (auto [j, i] : llvm::enumerate(inputs)) {
        mapping.map(main.getArgument(i), entry->getArgument(j));
        if (Attribute name = main.getArgAttr(i, CleaveDialect::kNameAttr))
          function.setArgAttr(j, CleaveDialect::kNameAttr, name);
      }
      for (auto [j, i] : llvm::enumerate(outputs))
        if (Attribute name = main.getResultAttr(i, CleaveDialect::kNameAttr))
          function.setResultAttr(j, CleaveDialect::kNameAttr, name);

      OpBuilder inner = OpBuilder::atBlockEnd(entry);
      for (Operation &op : body) {
        if (deviceOf(&op) != device)
          continue;
        // Constants (and none) the op reads, copied on first use.
        for (Value operand : op.getOperands()) {
          Operation *def = operand.getDefiningOp();
          if (def && (isWeights(def) || isa<NoneOp>(def)) &&
              !mapping.contains(operand))
            inner.clone(*def, mapping);
        }
        Operation *copy = inner.clone(op, mapping);
        copy->removeAttr(kDeviceAttr);
      }
      SmallVector<Value> results;
      for (unsigned i : outputs)
        results.push_back(mapping.lookup(ret.getOperand(i)));
      func::ReturnOp::create(inner, ret.getLoc(), results);
    }
    main.erase();
  }
};

} // namespace
