//===- PlanMemory.cpp - one arena per function, offsets at compile time ---===//
//
// Live ranges are steps in the function's op order. Values that share a
// buffer (a view and its source, an in-place result and its operand) form
// one buffer whose range covers them all. The buffers are then placed by
// the arena planner.
//
//===----------------------------------------------------------------------===//

#include "cleave/Analysis/ArenaPlanner.h"
#include "cleave/Dialect/Cleave/IR/CleaveOps.h"
#include "cleave/Dialect/Cleave/Transforms/Passes.h"
#include "mlir/Dialect/Func/IR/FuncOps.h"
#include "llvm/Support/MathExtras.h"

namespace cleave::graph {
#define GEN_PASS_DEF_PLANMEMORYPASS
#include "cleave/Dialect/Cleave/Transforms/Passes.h.inc"
} // namespace cleave::graph

using namespace mlir;
using namespace cleave::graph;
using cleave::analysis::BufferRequest;

namespace {

/// A buffer in the arena and the values that live in it.
struct Buffer {
  int64_t size = 0, first = 0, last = 0;
};

/// The arena bytes alive at each of `steps` steps (a buffer counts from
/// its first step to its last, rounded up to the alignment): what a trace
/// shows as the arena in use while each op runs.
SmallVector<int64_t> bytesInUse(ArrayRef<Buffer> buffers, int64_t steps,
                                int64_t alignment) {
  SmallVector<int64_t> change(steps + 1, 0);
  for (const Buffer &buffer : buffers) {
    int64_t bytes = llvm::alignTo(buffer.size, alignment);
    change[std::min(buffer.first, steps)] += bytes;
    change[std::min(buffer.last + 1, steps)] -= bytes;
  }
  SmallVector<int64_t> inUse(steps);
  int64_t alive = 0;
  for (int64_t step = 0; step < steps; ++step)
    inUse[step] = alive += change[step];
  return inUse;
}

struct PlanMemoryPass
    : public cleave::graph::impl::PlanMemoryPassBase<PlanMemoryPass> {
  using PlanMemoryPassBase::PlanMemoryPassBase;

  void runOnOperation() override {
    func::FuncOp function = getOperation();
    if (function.getBody().empty())
      return;
    if (!function.getBody().hasOneBlock()) {
      function.emitError("memory planning needs a single-block function");
      return signalPassFailure();
    }
    Block &body = function.getBody().front();

    // The step of each op, and the last step at which each value is used
    // (values returned or sent by the function live to the end).
    DenseMap<Operation *, int64_t> stepOf;
    for (Operation &op : body)
      stepOf[&op] = stepOf.size();
    int64_t end = stepOf.size();
    auto lastUse = [&](Value value) {
      int64_t last = value.getDefiningOp() ? stepOf[value.getDefiningOp()] : 0;
      // A sent tensor is read until its cleave.send_done, or without one
      // until the run waits for its sends, at the end.
      llvm::SmallDenseSet<int64_t> waited;
      for (Operation *user : value.getUsers())
        if (auto done = dyn_cast<SendDoneOp>(user))
          waited.insert(done.getTag());
      for (Operation *user : value.getUsers()) {
        auto send = dyn_cast<SendOp>(user);
        bool toEnd = isa<func::ReturnOp>(user) ||
                     (send && !waited.contains(send.getTag()));
        last = std::max(last, toEnd ? end : stepOf[user]);
      }
      return last;
    };

    SmallVector<Buffer> buffers;
    DenseMap<Value, unsigned> bufferOf;
    for (Operation &op : body) {
      if (isWeights(&op) || isa<NoneOp, func::ReturnOp>(op))
        continue;
      int64_t step = stepOf[&op];
      bool reused = false;
      for (Value result : op.getResults()) {
        if (!isa<RankedTensorType>(result.getType()))
          continue;
        std::optional<unsigned> shared;
        if (inPlace && isView(&op) && bufferOf.count(op.getOperand(0))) {
          shared = bufferOf[op.getOperand(0)];
        } else if (updatesOperand(&op)) {
          // Each result (a sum, the root's value, a scatter's output) may
          // replace its operand, if nothing reads it later.
          // An operand the op also reads elsewhere (a scatter of x into
          // x) must stay as it was until the op ends.
          Value operand =
              op.getOperand(cast<OpResult>(result).getResultNumber());
          auto it = bufferOf.find(operand);
          if (inPlace && it != bufferOf.end() &&
              buffers[it->second].last <= step &&
              llvm::count(op.getOperands(), operand) == 1)
            shared = it->second;
        } else if (inPlace && (isElementwise(&op) || runsInPlace(&op)) &&
                   !reused) {
          // Variadic ops run as a chain into the result, which may only
          // start from their first input; InPlace ops take only it.
          bool chain = op.hasTrait<mlir::OpTrait::VariadicOperands>() &&
                       op.getNumOperands() > 2;
          for (Value operand : op.getOperands().take_front(
                   chain || runsInPlace(&op) ? 1 : op.getNumOperands())) {
            auto it = bufferOf.find(operand);
            if (it != bufferOf.end() && operand.getType() == result.getType() &&
                buffers[it->second].last <= step) {
              shared = it->second;
              reused = true;
              break;
            }
          }
        }
        if (!shared) {
          shared = buffers.size();
          buffers.push_back({tensorBytes(result.getType()), step, step});
        }
        Buffer &buffer = buffers[*shared];
        buffer.size = std::max(buffer.size, tensorBytes(result.getType()));
        buffer.last = std::max(buffer.last, lastUse(result));
        bufferOf[result] = *shared;
      }
      if (reused)
        op.setAttr(kInPlaceAttr, UnitAttr::get(&getContext()));
    }

    SmallVector<BufferRequest> requests;
    for (const Buffer &buffer : buffers)
      requests.push_back({buffer.size, buffer.first, buffer.last});
    cleave::analysis::ArenaPlan plan =
        cleave::analysis::planArena(requests, alignment);

    Builder builder(&getContext());
    for (Operation &op : body) {
      if (isWeights(&op) || isa<NoneOp, func::ReturnOp>(op))
        continue;
      SmallVector<int64_t> offsets;
      for (Value result : op.getResults()) {
        auto it = bufferOf.find(result);
        offsets.push_back(it == bufferOf.end() ? -1 : plan.offsets[it->second]);
      }
      op.setAttr(kArenaOffsetsAttr, builder.getDenseI64ArrayAttr(offsets));
    }
    function->setAttr(kArenaSizeAttr, builder.getI64IntegerAttr(plan.size));
    function->setAttr(kArenaInUseAttr,
                      builder.getDenseI64ArrayAttr(bytesInUse(buffers, end, alignment)));
  }
};

} // namespace
