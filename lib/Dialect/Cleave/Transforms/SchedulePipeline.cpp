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
    auto name = function->getAttrOfType<StringAttr>(kScheduleAttr);
    if (!name || !isTrainingStep(function))
      return;
    auto fail = [&](const llvm::Twine &message) {
      function.emitError() << "cleave-schedule-pipeline: " << message;
      signalPassFailure();
    };
    std::optional<Schedule> schedule = parseSchedule(name.getValue());
    if (!schedule)
      return fail("unknown schedule '" + name.getValue() + "'");
    TrainingRoles roles = classifyTrainingOps(function);
    // Each anchor's stage; a device runs `chunks` of them.
    llvm::DenseMap<Operation *, int64_t> stageOf;
    int64_t stages = 0;
    for (auto [anchor, stage] : llvm::zip(roles.anchors, anchorStages(roles))) {
      stageOf[anchor] = stage;
      stages = std::max(stages, stage + 1);
    }
    if (stages % (int64_t)schedule->chunks)
      return fail(llvm::Twine(stages) + " stages do not divide into " +
                  llvm::Twine(schedule->chunks) + " per device");
    llvm::Expected<StageActions> actions = buildSchedule(
        *schedule, (size_t)stages / schedule->chunks, roles.microbatches);
    llvm::Expected<ScheduleTimeline> timeline =
        actions ? simulateSchedule(*actions, roles.microbatches)
                : llvm::Expected<ScheduleTimeline>(actions.takeError());
    if (!timeline)
      return fail(llvm::toString(timeline.takeError()));
    // (stage, backward, microbatch) -> start.
    std::map<std::tuple<int64_t, bool, int64_t>, double> startOf;
    for (auto [list, starts] : llvm::zip(*actions, timeline->start))
      for (auto [action, start] : llvm::zip(list, starts))
        startOf[{action.stage, action.backward, action.microbatch}] = start;

    Block &body = function.getBody().front();
    // An op of an action the schedule does not run (IR placed by hand).
    Operation *unscheduled = nullptr;
    auto keyOf = [&](Operation *op) -> double {
      if (isa<AssignOp>(op))
        return kLast; // Updates read the step's old values.
      auto anchor = roles.anchorOf.find(op);
      if (anchor == roles.anchorOf.end() || !deviceOf(op))
        return kFirst; // Leaves: slices of the inputs, counters.
      // On parameters alone (a transposed weight, forward or backward):
      // once, before any microbatch.
      auto microbatch = roles.microbatch.find(op);
      if (microbatch == roles.microbatch.end())
        return kFirst;
      auto start = startOf.find({stageOf.lookup(anchor->second),
                                 roles.backward.contains(op),
                                 microbatch->second});
      if (start == startOf.end()) {
        unscheduled = unscheduled ? unscheduled : op;
        return kFirst;
      }
      return start->second;
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
    if (unscheduled) {
      unscheduled->emitError("cleave-schedule-pipeline: the schedule runs "
                             "no action of this op's stage and microbatch");
      return signalPassFailure();
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
