//===- ShardOptimizer.cpp - AdamW state sharded over replicas (ZeRO-1) ----===//
//
// With N data-parallel replicas, every replica sums every gradient (an
// all-reduce) and runs every update on its own copy of the moments. Here
// replica r owns slice r of axis 0 of each parameter it can: it receives
// only that slice of the gradient's sum (a reduce-scatter), keeps only that
// slice of the moments and updates only that slice of the parameter; the
// new slices are then gathered into every replica's parameter (an
// all-gather). The links carry the bytes of the all-reduce, as before; the
// update's work and its state shrink N times.
//
//===----------------------------------------------------------------------===//

#include "cleave/Dialect/Cleave/IR/CleaveDialect.h"
#include "cleave/Dialect/Cleave/IR/CleaveOps.h"
#include "cleave/Dialect/Cleave/Transforms/Passes.h"
#include "mlir/Dialect/Func/IR/FuncOps.h"
#include "llvm/ADT/MapVector.h"

namespace cleave::graph {
#define GEN_PASS_DEF_SHARDOPTIMIZERPASS
#include "cleave/Dialect/Cleave/Transforms/Passes.h.inc"
} // namespace cleave::graph

using namespace mlir;
using namespace cleave::graph;

namespace {

/// An AdamW update to shard: its gradient is result `index` of `sum`.
struct Shardable {
  AdamWOp update;
  AllReduceOp sum;
  unsigned index;
  VariableOp moments[2];
};

/// The variable `state` when only `update` reads it and its one
/// assignment stores `next`, which nothing else reads. Its initial value
/// must be a splat: every replica starts from the bundle's one weights
/// file, where a slice of a splat is every replica's slice.
VariableOp ownState(Value state, Operation *update, Value next) {
  auto variable = state.getDefiningOp<VariableOp>();
  auto initial = variable ? dyn_cast<DenseElementsAttr>(variable.getValue())
                          : DenseElementsAttr();
  auto nextAssign =
      next.hasOneUse() ? dyn_cast<AssignOp>(*next.user_begin()) : AssignOp();
  if (!initial || !initial.isSplat() || !nextAssign ||
      nextAssign.getVariable() != state)
    return nullptr;
  for (Operation *user : variable->getUsers())
    if (user != update && user != nextAssign)
      return nullptr;
  return variable;
}

std::optional<Shardable> match(AdamWOp update, int64_t replicas) {
  auto grad = dyn_cast<OpResult>(update.getGrad());
  auto sum = grad ? dyn_cast<AllReduceOp>(grad.getOwner()) : AllReduceOp();
  auto type = cast<RankedTensorType>(update.getParam().getType());
  if (!sum || !grad.hasOneUse() || type != grad.getType() ||
      type.getRank() == 0 || type.getDimSize(0) % replicas != 0)
    return std::nullopt;
  // The parameter is a variable this update alone assigns.
  Value next = update.getNextParam();
  auto assign =
      next.hasOneUse() ? dyn_cast<AssignOp>(*next.user_begin()) : AssignOp();
  if (!assign || assign.getVariable() != update.getParam() ||
      !update.getParam().getDefiningOp<VariableOp>())
    return std::nullopt;
  Shardable found{update, sum, grad.getResultNumber(), {}};
  found.moments[0] =
      ownState(update.getExpAvg(), update, update.getNextExpAvg());
  found.moments[1] =
      ownState(update.getExpAvgSq(), update, update.getNextExpAvgSq());
  if (!found.moments[0] || !found.moments[1] ||
      found.moments[0] == found.moments[1])
    return std::nullopt;
  return found;
}

struct ShardOptimizerPass
    : public cleave::graph::impl::ShardOptimizerPassBase<ShardOptimizerPass> {
  void runOnOperation() override {
    func::FuncOp function = getOperation();
    auto attr = function->getAttrOfType<IntegerAttr>(kReplicasAttr);
    int64_t replicas = attr ? attr.getInt() : 1;
    if (replicas < 2)
      return;
    SmallVector<Shardable> found;
    for (AdamWOp update : function.getBody().front().getOps<AdamWOp>())
      if (std::optional<Shardable> s = match(update, replicas))
        found.push_back(*s);
    if (found.empty()) {
      function.emitWarning()
          << "--zero=1 found no AdamW update to shard over " << replicas
          << " replicas (no parameter's leading dimension divides by "
          << replicas << "): every replica keeps the whole state";
      return;
    }

    // Each sharded gradient leaves its all-reduce for a reduce-scatter
    // where the sum stood; the all-reduce keeps the others.
    llvm::MapVector<Operation *, SmallVector<const Shardable *>> bySum;
    for (const Shardable &s : found)
      bySum[s.sum].push_back(&s);
    DenseMap<Operation *, Value> slices; // update -> its gradient's slice
    for (auto &[op, members] : bySum) {
      auto sum = cast<AllReduceOp>(op);
      OpBuilder builder(sum);
      DenseSet<unsigned> sharded;
      for (const Shardable *s : members) {
        sharded.insert(s->index);
        Value grad = sum.getOperand(s->index);
        slices[s->update] = ReduceScatterOp::create(
            builder, sum.getLoc(), sliceType(grad.getType(), replicas), grad,
            replicas);
      }
      SmallVector<Value> kept;
      SmallVector<OpResult> keptResults;
      for (auto [operand, result] :
           llvm::zip(sum.getOperands(), sum.getResults()))
        if (!sharded.contains(result.getResultNumber())) {
          kept.push_back(operand);
          keptResults.push_back(result);
        }
      if (!kept.empty()) {
        auto rest = AllReduceOp::create(builder, sum.getLoc(), kept);
        for (auto [old, now] : llvm::zip(keptResults, rest.getResults()))
          old.replaceAllUsesWith(now);
      }
    }

    // Each update runs on its slice, with moments of the slice's size,
    // and the new slices are gathered into the parameter.
    for (const Shardable &s : found) {
      AdamWOp update = s.update;
      Value slice = slices.lookup(update);
      Type type = slice.getType();
      Value state[2];
      for (unsigned k = 0; k < 2; ++k) {
        VariableOp old = s.moments[k];
        OpBuilder builder(old);
        auto initial = cast<DenseElementsAttr>(old.getValue());
        auto variable = VariableOp::create(
            builder, old.getLoc(), old.getName(),
            ElementsAttr(initial.resizeSplat(cast<ShapedType>(type))));
        variable.setReplicaShard(true);
        state[k] = variable;
      }
      OpBuilder builder(update);
      SmallVector<Value> operands(update->getOperands());
      operands[1] = slice;
      operands[2] = state[0];
      operands[3] = state[1];
      auto sharded =
          AdamWOp::create(builder, update.getLoc(), TypeRange{type, type, type},
                          operands, update->getAttrs());
      // Each gather right after its update, while the new slice is in
      // cache (gathering them all at the end measured slower).
      auto gathered = AllGatherOp::create(builder, update.getLoc(),
                                          update.getParam().getType(),
                                          sharded.getNextParam(), replicas);
      update.getNextParam().replaceAllUsesWith(gathered.getResult());
      Value nextState[2] = {sharded.getNextExpAvg(), sharded.getNextExpAvgSq()};
      Value oldNext[2] = {update.getNextExpAvg(), update.getNextExpAvgSq()};
      for (unsigned k = 0; k < 2; ++k) {
        auto assign = cast<AssignOp>(*oldNext[k].user_begin());
        assign.getVariableMutable().assign(state[k]);
        assign.getValueMutable().assign(nextState[k]);
      }
      update.erase();
      for (VariableOp old : s.moments)
        old.erase();
    }
    for (auto &entry : bySum)
      entry.first->erase();
  }

  /// `type` with its leading dimension split over `replicas`.
  static RankedTensorType sliceType(Type type, int64_t replicas) {
    auto tensor = cast<RankedTensorType>(type);
    SmallVector<int64_t> shape(tensor.getShape());
    shape[0] /= replicas;
    return RankedTensorType::get(shape, tensor.getElementType());
  }
};

} // namespace
