//===- SchedulePipeline.cpp - a training step's ops in schedule order -----===//
//
// Each device runs its ops in the function's order (cleave-split-devices
// keeps it), so ordering @main orders every stage. The schedule's actions
// (forward or backward of a microbatch on a stage) get start times from a
// simulation, each op the time of its action, and the ops are sorted
// topologically by that time. One order for all devices keeps the argument
// of cleave-insert-transfers: sends never block and a receive waits only
// for what comes earlier in the order, so no schedule deadlocks.
//
//===----------------------------------------------------------------------===//

#include "cleave/Analysis/PipelineSchedule.h"
#include "cleave/Dialect/Cleave/IR/CleaveOps.h"
#include "cleave/Dialect/Cleave/Transforms/Passes.h"
#include "cleave/Dialect/Cleave/Transforms/TrainingPlacement.h"
#include "llvm/ADT/MapVector.h"
#include <limits>
#include <map>
#include <queue>

namespace cleave::graph {
#define GEN_PASS_DEF_SCHEDULEPIPELINEPASS
#include "cleave/Dialect/Cleave/Transforms/Passes.h.inc"
} // namespace cleave::graph

using namespace mlir;
using namespace cleave::graph;
using namespace cleave::analysis;

namespace {

constexpr double kFirst = -std::numeric_limits<double>::infinity();
constexpr double kLast = std::numeric_limits<double>::infinity();

struct SchedulePipelinePass
    : public cleave::graph::impl::SchedulePipelinePassBase<
          SchedulePipelinePass> {
  void runOnOperation() override {
    func::FuncOp function = getOperation();
    auto kindName = function->getAttrOfType<StringAttr>(kScheduleAttr);
    if (!kindName || !isTrainingStep(function))
      return;
    std::optional<ScheduleKind> kind = parseScheduleKind(kindName.getValue());
    if (!kind) {
      function.emitError() << "cleave-schedule-pipeline: unknown schedule '"
                           << kindName.getValue() << "'";
      return signalPassFailure();
    }
    TrainingRoles roles = classifyTrainingOps(function);
    // Stages: the devices in the order the forward pass reaches them.
    llvm::MapVector<int64_t, size_t> stageOf;
    for (Operation *anchor : roles.anchors)
      if (std::optional<int64_t> device = deviceOf(anchor))
        stageOf.insert({*device, stageOf.size()});
    StageActions actions =
        buildSchedule(*kind, stageOf.size(), roles.microbatches);
    llvm::Expected<ScheduleTimeline> timeline =
        simulateSchedule(actions, roles.microbatches);
    if (!timeline) {
      function.emitError() << "cleave-schedule-pipeline: "
                           << llvm::toString(timeline.takeError());
      return signalPassFailure();
    }
    // (stage, backward, microbatch) -> start.
    std::map<std::tuple<size_t, bool, int64_t>, double> startOf;
    for (size_t s = 0; s < actions.size(); ++s)
      for (auto [action, start] : llvm::zip(actions[s], timeline->start[s]))
        startOf[{s, action.backward, action.microbatch}] = start;

    Block &body = function.getBody().front();
    auto keyOf = [&](Operation *op) -> double {
      if (isa<AssignOp>(op))
        return kLast; // Updates read the step's old values.
      std::optional<int64_t> device = deviceOf(op);
      if (!roles.anchorOf.count(op) || !device || !stageOf.count(*device))
        return kFirst; // Leaves: slices of the inputs, counters.
      // On parameters alone (a transposed weight, forward or backward):
      // once, before any microbatch.
      auto microbatch = roles.microbatch.find(op);
      if (microbatch == roles.microbatch.end())
        return kFirst;
      return startOf[{stageOf.lookup(*device), roles.backward.contains(op),
                      microbatch->second}];
    };

    // The ops to order, their keys and positions.
    SmallVector<Operation *> ops;
    llvm::DenseMap<Operation *, size_t> position;
    for (Operation &op : body)
      if (!isWeights(&op) && !isa<NoneOp, func::ReturnOp>(op)) {
        position[&op] = ops.size();
        ops.push_back(&op);
      }
    std::vector<double> key(ops.size());
    std::vector<SmallVector<size_t>> successors(ops.size());
    std::vector<size_t> waiting(ops.size(), 0);
    auto edge = [&](size_t from, size_t to) {
      successors[from].push_back(to);
      ++waiting[to];
    };
    for (auto [i, op] : llvm::enumerate(ops)) {
      key[i] = keyOf(op);
      for (Value operand : op->getOperands())
        if (Operation *def = operand.getDefiningOp(); def && position.count(def))
          edge(position.lookup(def), i);
    }
    // A variable's readers and assignments on one device keep their order.
    llvm::DenseMap<std::pair<Value, int64_t>, SmallVector<size_t>> readersSince;
    llvm::DenseMap<std::pair<Value, int64_t>, size_t> lastAssign;
    for (auto [i, op] : llvm::enumerate(ops)) {
      int64_t device = deviceOf(op).value_or(-1);
      for (Value operand : op->getOperands()) {
        if (!operand.getDefiningOp<VariableOp>())
          continue;
        std::pair<Value, int64_t> slot{operand, device};
        if (auto assign = dyn_cast<AssignOp>(op);
            assign && assign.getVariable() == operand) {
          for (size_t reader : readersSince[slot])
            edge(reader, i);
          if (auto previous = lastAssign.find(slot);
              previous != lastAssign.end())
            edge(previous->second, i);
          readersSince[slot].clear();
          lastAssign[slot] = i;
          continue;
        }
        readersSince[slot].push_back(i);
        if (auto previous = lastAssign.find(slot);
            previous != lastAssign.end())
          edge(previous->second, i);
      }
    }

    // Kahn's algorithm, the earliest key (then the old position) first.
    using Entry = std::pair<double, size_t>;
    std::priority_queue<Entry, std::vector<Entry>, std::greater<Entry>> ready;
    for (size_t i = 0; i < ops.size(); ++i)
      if (!waiting[i])
        ready.push({key[i], i});
    Operation *terminator = body.getTerminator();
    size_t placed = 0;
    while (!ready.empty()) {
      size_t i = ready.top().second;
      ready.pop();
      ops[i]->moveBefore(terminator);
      ++placed;
      for (size_t next : successors[i])
        if (--waiting[next] == 0)
          ready.push({key[next], next});
    }
    if (placed != ops.size()) {
      function.emitError("cleave-schedule-pipeline: the ops' dependences "
                         "form a cycle");
      return signalPassFailure();
    }
  }
};

} // namespace
