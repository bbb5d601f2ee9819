//===- TrainingPlacement.cpp - a training step on pipeline stages ---------===//

#include "cleave/Dialect/Cleave/Transforms/TrainingPlacement.h"
#include "cleave/Dialect/Cleave/IR/CleaveOps.h"
#include "cleave/Dialect/Cleave/Transforms/Passes.h"
#include "llvm/ADT/STLExtras.h"
#include "llvm/ADT/SetVector.h"
#include <map>
#include <set>

using namespace mlir;
using namespace cleave::analysis;

namespace cleave::graph {

namespace {

bool isPlaced(Operation &op) {
  return !isWeights(&op) && !isa<NoneOp, func::ReturnOp>(op);
}

std::optional<int64_t> intAttr(Operation *op, llvm::StringRef name) {
  if (auto attr = op->getAttrOfType<IntegerAttr>(name))
    return attr.getInt();
  return std::nullopt;
}

/// Whether every operand of `op` is a constant, a variable or made by an
/// op of `stateOps`.
bool readsOnlyState(Operation *op, const llvm::SetVector<Operation *> &stateOps) {
  return llvm::all_of(op->getOperands(), [&](Value operand) {
    Operation *def = operand.getDefiningOp();
    return def && (isWeights(def) || isa<NoneOp>(def) || stateOps.contains(def));
  });
}

} // namespace

bool isTrainingStep(func::FuncOp function) {
  return llvm::any_of(function.getBody().front(), [](Operation &op) {
    return op.hasAttr(kOpIndexAttr);
  });
}

TrainingRoles classifyTrainingOps(func::FuncOp function) {
  TrainingRoles roles;
  Block &body = function.getBody().front();
  llvm::DenseMap<int64_t, Operation *> byIndex;
  // Each variable's first forward reader: where its update joins.
  llvm::DenseMap<Value, Operation *> firstReader;
  // Forward ops on parameters alone (a transposed weight) wait for their
  // first reader, so that they join its stage: a tied LM head's transposed
  // embedding is made on the last stage, not sent there every step.
  llvm::SetVector<Operation *> waiting;
  std::function<void(Operation *)> append = [&](Operation *op) {
    for (Value operand : op->getOperands())
      if (Operation *def = operand.getDefiningOp(); def && waiting.contains(def))
        append(def);
    waiting.remove(op);
    roles.anchors.push_back(op);
    for (Value operand : op->getOperands())
      if (operand.getDefiningOp<VariableOp>())
        firstReader.try_emplace(operand, op);
  };
  for (Operation &op : body) {
    std::optional<int64_t> index = intAttr(&op, kOpIndexAttr);
    if (!isPlaced(op) || !index || byIndex.count(*index))
      continue;
    byIndex[*index] = &op;
    if (readsOnlyState(&op, waiting))
      waiting.insert(&op);
    else
      append(&op);
  }
  while (!waiting.empty())
    append(waiting.front());
  for (Operation &op : body) {
    if (!isPlaced(op))
      continue;
    Operation *anchor = nullptr;
    bool backward = false;
    if (std::optional<int64_t> index = intAttr(&op, kOpIndexAttr)) {
      anchor = byIndex.lookup(*index);
    } else if (std::optional<int64_t> of = intAttr(&op, kBackwardOfAttr)) {
      anchor = byIndex.lookup(*of);
      backward = true;
    }
    for (Value operand : op.getOperands()) {
      if (anchor)
        break;
      if (Operation *def = operand.getDefiningOp();
          def && roles.anchorOf.count(def)) {
        anchor = roles.anchorOf.lookup(def);
        backward = roles.backward.contains(def);
      }
    }
    for (Value operand : op.getOperands()) {
      if (anchor)
        break;
      anchor = firstReader.lookup(operand);
      backward = true;
    }
    if (anchor) {
      roles.anchorOf[&op] = anchor;
      if (backward)
        roles.backward.insert(&op);
    }
    // The microbatch: its own, else the latest its operands read, else 0
    // when it reads a graph input.
    std::optional<int64_t> microbatch = intAttr(&op, kMicrobatchAttr);
    for (Value operand : op.getOperands()) {
      if (op.hasAttr(kMicrobatchAttr))
        break;
      if (isa<BlockArgument>(operand))
        microbatch = std::max<int64_t>(microbatch.value_or(0), 0);
      else if (auto it = roles.microbatch.find(operand.getDefiningOp());
               it != roles.microbatch.end())
        microbatch = std::max(microbatch.value_or(0), it->second);
    }
    if (microbatch) {
      roles.microbatch[&op] = *microbatch;
      roles.microbatches = std::max(roles.microbatches, *microbatch + 1);
    }
  }
  return roles;
}

llvm::Expected<PlacementProblem> buildTrainingPlacementProblem(
    func::FuncOp function, const Machine &machine, llvm::StringRef precision,
    const TrainingRoles &roles, const Schedule &schedule) {
  // The microbatches each stage keeps in flight, from the schedule (GPipe:
  // all; 1F1B: min(p - d, M) on the d-th of p, an upper bound when the plan
  // skips a device).
  llvm::Expected<std::vector<int64_t>> copies = scheduleStashCopies(
      schedule, machine.devices.size() / schedule.chunks, roles.microbatches);
  if (!copies)
    return copies.takeError();
  PlacementProblem result;
  PipelineProblem &problem = result.pipeline;
  problem.machine = machine;
  problem.training = true;
  result.ops.assign(roles.anchors.begin(), roles.anchors.end());
  llvm::DenseMap<Operation *, int64_t> index;
  for (auto [i, anchor] : llvm::enumerate(roles.anchors))
    index[anchor] = (int64_t)i;
  size_t n = roles.anchors.size();
  problem.seconds.assign(n, std::vector<double>(machine.devices.size(), 0));
  problem.weightBytes.assign(n, 0);
  problem.keptBytes.assign(n, 0);
  problem.stashBytes.assign(n, 0);
  problem.stashCopies = std::move(*copies);
  problem.useEveryDevice = schedule.chunks > 1;
  result.chunks = schedule.chunks;

  // Parameters: variables a forward op reads and the step assigns; each
  // has a gradient of its size summed over the microbatches.
  Block &body = function.getBody().front();
  llvm::DenseSet<Value> assigned, counted;
  llvm::DenseSet<std::pair<Value, Operation *>> countedAt;
  for (auto assign : body.getOps<AssignOp>())
    assigned.insert(assign.getVariable());
  for (Operation &op : body) {
    auto anchor = roles.anchorOf.find(&op);
    if (anchor == roles.anchorOf.end())
      continue;
    int64_t i = index.lookup(anchor->second);
    for (auto [total, seconds] :
         llvm::zip(problem.seconds[i], opSeconds(&op, machine, precision)))
      total += seconds;
    // A variable counts at each forward op that reads it (a tied weight
    // has a copy on each stage), else at its first reader.
    bool forward = anchor->second == &op;
    for (Value operand : op.getOperands()) {
      if (!operand.getDefiningOp<VariableOp>() ||
          (!counted.insert(operand).second && !forward) ||
          !countedAt.insert({operand, &op}).second)
        continue;
      int64_t bytes = tensorBytesOf(operand);
      problem.weightBytes[i] += bytes;
      if (forward && assigned.contains(operand))
        problem.keptBytes[i] += bytes; // Its gradient's sum.
    }
  }
  // The activations each forward op keeps for the backward pass, per
  // microbatch in flight, and the values between the forward ops.
  problem.transfersPerRun = 2 * roles.microbatches;
  problem.returnsPerRun = roles.microbatches;
  for (auto [i, anchor] : llvm::enumerate(roles.anchors))
    for (Value value : anchor->getResults()) {
      int64_t bytes = tensorBytesOf(value);
      PipelineValue v;
      v.producer = (int64_t)i;
      v.bytes = bytes;
      bool kept = false;
      for (Operation *user : value.getUsers()) {
        kept |= roles.backward.contains(user);
        auto it = index.find(user);
        if (it != index.end() && it->second > (int64_t)i &&
            !llvm::is_contained(v.users, it->second))
          v.users.push_back(it->second);
      }
      if (kept)
        problem.stashBytes[i] += bytes;
      problem.values.push_back(std::move(v));
    }
  return result;
}

LogicalResult assignInterleavedStages(const TrainingRoles &roles,
                                      size_t devices, size_t chunks) {
  Builder builder(roles.anchors.front()->getContext());
  int64_t stage = -1, previous = -1;
  for (Operation *anchor : roles.anchors) {
    int64_t device = deviceOf(anchor).value_or(-1);
    if (device != previous) {
      ++stage;
      previous = device;
      if (device != stage % (int64_t)devices ||
          stage >= (int64_t)(devices * chunks))
        return anchor->emitError()
               << "cleave-place: the interleaved schedule runs stage k of "
               << devices * chunks << " on device k mod " << devices
               << ", but '" << nodeName(anchor) << "' starts stage " << stage
               << " on device " << device;
    }
    anchor->setAttr(kStageAttr, builder.getI64IntegerAttr(stage));
  }
  if (stage + 1 != (int64_t)(devices * chunks))
    return roles.anchors.back()->emitError()
           << "cleave-place: the interleaved schedule needs " << chunks
           << " stages on each of " << devices << " devices, but the "
           << "placement makes " << stage + 1;
  return success();
}

std::vector<int64_t> anchorStages(const TrainingRoles &roles) {
  std::vector<int64_t> stages;
  llvm::DenseMap<int64_t, int64_t> byDevice;
  for (Operation *anchor : roles.anchors) {
    if (std::optional<int64_t> stage = intAttr(anchor, kStageAttr)) {
      stages.push_back(*stage);
      continue;
    }
    int64_t device = deviceOf(anchor).value_or(-1);
    stages.push_back(
        byDevice.try_emplace(device, byDevice.size()).first->second);
  }
  return stages;
}

void spreadTrainingDevices(func::FuncOp function, const TrainingRoles &roles) {
  Block &body = function.getBody().front();
  OpBuilder builder(function.getContext());
  auto setDevice = [&](Operation *op, int64_t device) {
    op->setAttr(kDeviceAttr, builder.getI64IntegerAttr(device));
  };
  for (auto [op, anchor] : roles.anchorOf)
    setDevice(op, *deviceOf(anchor));
  int64_t firstDevice = *deviceOf(roles.anchors.front());

  // Leaf ops: the devices of their readers, to a fixed point (an update
  // of a counter reads the counter that its assignment writes).
  SmallVector<Operation *> leaves, assigns;
  for (Operation &op : body) {
    if (isa<AssignOp>(op))
      assigns.push_back(&op);
    else if (isPlaced(op) && !roles.anchorOf.count(&op))
      leaves.push_back(&op);
  }
  llvm::DenseMap<Operation *, std::set<int64_t>> on;
  std::function<std::set<int64_t>(Operation *)> devicesOf;
  auto holders = [&](Value variable) {
    std::set<int64_t> devices;
    for (Operation *reader : variable.getUsers())
      if (!isa<AssignOp>(reader)) {
        std::set<int64_t> some = devicesOf(reader);
        devices.insert(some.begin(), some.end());
      }
    return devices;
  };
  devicesOf = [&](Operation *op) -> std::set<int64_t> {
    if (auto assign = dyn_cast<AssignOp>(op))
      return holders(assign.getVariable());
    if (auto it = on.find(op); it != on.end())
      return it->second;
    if (std::optional<int64_t> device = deviceOf(op))
      return {*device};
    return {};
  };
  for (bool changed = true; changed;) {
    changed = false;
    for (Operation *leaf : llvm::reverse(leaves)) {
      std::set<int64_t> devices;
      for (Operation *user : leaf->getUsers()) {
        std::set<int64_t> some = devicesOf(user);
        devices.insert(some.begin(), some.end());
      }
      std::set<int64_t> &current = on[leaf];
      if (devices != current) {
        current = std::move(devices);
        changed = true;
      }
    }
  }

  // A copy of each leaf per device, reading that device's copies.
  std::map<std::pair<Operation *, int64_t>, Operation *> copyOn;
  auto localOperands = [&](Operation *op, int64_t device) {
    for (OpOperand &operand : op->getOpOperands())
      if (Operation *def = operand.get().getDefiningOp())
        if (Operation *copy = copyOn[{def, device}])
          operand.set(copy->getResult(
              cast<OpResult>(operand.get()).getResultNumber()));
  };
  // `op` on the first of `devices` and a copy right after it on each other.
  auto copyOnto = [&](Operation *op, std::set<int64_t> devices,
                      llvm::function_ref<void(Operation *, int64_t)> placed) {
    if (devices.empty())
      devices.insert(firstDevice);
    Operation *last = op;
    for (int64_t device : devices) {
      Operation *copy = op;
      if (device != *devices.begin()) {
        builder.setInsertionPointAfter(last);
        copy = last = builder.clone(*op);
      }
      setDevice(copy, device);
      placed(copy, device);
    }
  };
  for (Operation *leaf : leaves)
    copyOnto(leaf, on[leaf], [&](Operation *copy, int64_t device) {
      copyOn[{leaf, device}] = copy;
    });
  for (Operation &op : body)
    if (std::optional<int64_t> device = deviceOf(&op))
      localOperands(&op, *device);

  // Each holder of a variable assigns it; a leaf value is computed there,
  // another comes from its device (cleave-insert-transfers).
  for (Operation *assign : assigns) {
    std::set<int64_t> devices = holders(cast<AssignOp>(assign).getVariable());
    if (devices.empty() && deviceOf(assign))
      devices.insert(*deviceOf(assign));
    copyOnto(assign, devices, localOperands);
  }
}

} // namespace cleave::graph
