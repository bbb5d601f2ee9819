//===- AccumulateGradients.cpp - a step over microbatches and replicas ----===//
//
// The differentiated function computes one microbatch's loss and gradients.
// Here it becomes one replica's step: M clones of it, one per slice of the
// inputs, run in turn (so one microbatch's activations are alive at a time)
// and summed as they go; with replicas, the sums are all-reduced in buckets
// as soon as they are final; a mean loss divides everything by M * N.
//
//===----------------------------------------------------------------------===//

#include "cleave/Dialect/Cleave/Autodiff/GradientBuilder.h"
#include "cleave/Dialect/Cleave/IR/CleaveDialect.h"
#include "cleave/Dialect/Cleave/IR/CleaveOps.h"
#include "cleave/Dialect/Cleave/Transforms/Passes.h"
#include "mlir/Dialect/Func/IR/FuncOps.h"
#include "mlir/IR/IRMapping.h"
#include "llvm/ADT/SetVector.h"
#include <numeric>

namespace cleave::graph {
#define GEN_PASS_DEF_ACCUMULATEGRADIENTSPASS
#include "cleave/Dialect/Cleave/Transforms/Passes.h.inc"
} // namespace cleave::graph

using namespace mlir;
using namespace cleave::graph;

namespace {

struct AccumulateGradientsPass
    : public cleave::graph::impl::AccumulateGradientsPassBase<
          AccumulateGradientsPass> {
  using AccumulateGradientsPassBase::AccumulateGradientsPassBase;

  void runOnOperation() override {
    func::FuncOp function = getOperation();
    if (microbatches == 0 || replicas == 0) {
      function.emitError("cleave-accumulate-gradients: microbatches and "
                         "replicas must be positive");
      return signalPassFailure();
    }
    if (microbatches == 1 && replicas == 1)
      return;
    Block &body = function.getBody().front();
    auto ret = cast<func::ReturnOp>(body.getTerminator());
    for (unsigned i = 0; i < function.getNumResults(); ++i) {
      std::string name = ioName(function, i, /*input=*/false);
      auto type = cast<ShapedType>(ret.getOperand(i).getType());
      if (!StringRef(name).starts_with("grad:") && type.getRank() != 0) {
        function.emitError() << "cleave-accumulate-gradients: output '"
                             << name
                             << "' is neither the (scalar) loss nor a "
                                "gradient (run cleave-autodiff first)";
        return signalPassFailure();
      }
    }
    OpBuilder builder(ret);
    Location loc = function.getLoc();
    GradientBuilder b(builder, loc);
    SmallVector<Value> finals(ret.getOperands());
    if (microbatches > 1 && failed(unroll(function, builder, finals)))
      return signalPassFailure();
    builder.setInsertionPoint(ret);
    if (replicas > 1) {
      allReduce(builder, finals);
      function->setAttr(kReplicasAttr, builder.getI64IntegerAttr(replicas));
    }
    builder.setInsertionPoint(ret);
    auto reduction = function->getAttrOfType<StringAttr>(kLossReductionAttr);
    if (!reduction || reduction.getValue() != "sum")
      for (Value &value : finals) {
        Type element = cast<ShapedType>(value.getType()).getElementType();
        value = b.create<MulOp>(
            value, b.scalar(1.0 / (double(microbatches) * replicas), element));
      }
    ret->setOperands(finals);
  }

  /// Clones the ops that read the inputs once per microbatch, on slices of
  /// inputs M times larger; `finals` (the returned values) become the sums.
  LogicalResult unroll(func::FuncOp function, OpBuilder &builder,
                       SmallVector<Value> &finals) {
    Block &body = function.getBody().front();
    Operation *ret = body.getTerminator();
    // The ops that depend on an input run per microbatch; the others (on
    // parameters and constants alone) once. A variable that a per-microbatch
    // op assigns (a running statistic) is carried from one microbatch to the
    // next, as M forward passes in turn update it, so what reads it runs per
    // microbatch too; that can make more assignments per microbatch.
    SmallVector<Operation *> cloned;
    SetVector<Value> carried;
    for (size_t seen = size_t(-1); seen != carried.size();) {
      seen = carried.size();
      DenseSet<Value> perMicrobatch(body.args_begin(), body.args_end());
      perMicrobatch.insert(carried.begin(), carried.end());
      cloned.clear();
      for (Operation &op : body.without_terminator())
        if (llvm::any_of(op.getOperands(),
                         [&](Value v) { return perMicrobatch.contains(v); })) {
          cloned.push_back(&op);
          perMicrobatch.insert(op.result_begin(), op.result_end());
          if (auto assign = dyn_cast<AssignOp>(op))
            carried.insert(assign.getVariable());
        }
    }
    SmallVector<int64_t> sizes;
    for (BlockArgument arg : body.getArguments()) {
      auto type = cast<RankedTensorType>(arg.getType());
      if (type.getRank() == 0 || type.isDynamicDim(0)) {
        function.emitError()
            << "cleave-accumulate-gradients: input '"
            << ioName(function, arg.getArgNumber(), /*input=*/true)
            << "' has no batch axis to split into " << unsigned(microbatches)
            << " microbatches";
        return failure();
      }
      sizes.push_back(type.getDimSize(0));
      SmallVector<int64_t> shape(type.getShape());
      shape[0] *= microbatches;
      arg.setType(RankedTensorType::get(shape, type.getElementType()));
    }
    function.setType(builder.getFunctionType(body.getArgumentTypes(),
                                             function.getResultTypes()));

    GradientBuilder b(builder, function.getLoc());
    SmallVector<Value> sums(finals.size());
    // Each carried variable's value so far, and its latest assignment.
    DenseMap<Value, Value> current;
    DenseMap<Value, Operation *> lastAssign;
    for (unsigned m = 0; m < microbatches; ++m) {
      builder.setInsertionPoint(ret);
      IRMapping mapping;
      for (auto [variable, value] : current)
        mapping.map(variable, value);
      Value none = NoneOp::create(builder, function.getLoc());
      for (auto [arg, size] : llvm::zip(body.getArguments(), sizes))
        mapping.map(arg, b.create<SliceOp>(arg, b.i64s({m * size}),
                                           b.i64s({(m + 1) * size}),
                                           b.i64s({0}), none));
      auto index = builder.getI64IntegerAttr(m);
      for (Operation *op : cloned) {
        Operation *copy = builder.clone(*op, mapping);
        copy->setAttr(kMicrobatchAttr, index);
        // Each microbatch's mask covers its own part of the batch.
        if (auto mask = dyn_cast<DropoutMaskOp>(copy)) {
          mask.setMicrobatch(m);
          mask.setMicrobatches(microbatches);
        }
        // The next microbatch reads this value; only the last one is
        // stored.
        if (auto assign = dyn_cast<AssignOp>(copy)) {
          Value variable = cast<AssignOp>(op).getVariable();
          assign.getVariableMutable().assign(variable);
          current[variable] = assign.getValue();
          if (Operation *previous = lastAssign.lookup(variable))
            previous->erase();
          lastAssign[variable] = copy;
        }
      }
      // Each sum grows right where this microbatch's value appears.
      for (auto [sum, value] : llvm::zip(sums, finals)) {
        Value part = mapping.lookupOrDefault(value);
        if (!sum) {
          sum = part;
          continue;
        }
        OpBuilder::InsertionGuard guard(builder);
        if (Operation *def = part.getDefiningOp(); def && mapping.contains(value))
          builder.setInsertionPointAfter(def);
        sum = b.create<AddOp>(sum, part);
        sum.getDefiningOp()->setAttr(kMicrobatchAttr, index);
      }
    }
    finals = sums;
    ret->setOperands(sums);
    // The originals (the template) go, users first.
    for (Operation *op : llvm::reverse(cloned))
      op->erase();
    // A state updated once per step (a step counter) is updated after
    // every microbatch has read it.
    SmallVector<Operation *> once;
    for (Operation &op : body.without_terminator())
      if (isa<AssignOp>(op) && !op.hasAttr(kMicrobatchAttr))
        once.push_back(&op);
    for (Operation *op : once)
      op->moveBefore(ret);
    return success();
  }

  /// One cleave.all_reduce per bucket of `finals`, in the order they
  /// become final, each right after its last member.
  void allReduce(OpBuilder &builder, SmallVector<Value> &finals) {
    SmallVector<unsigned> order(finals.size());
    std::iota(order.begin(), order.end(), 0);
    auto position = [&](unsigned i) { return finals[i].getDefiningOp(); };
    llvm::stable_sort(order, [&](unsigned x, unsigned y) {
      Operation *a = position(x), *c = position(y);
      if (!a || !c)
        return !a && c;
      return a != c && a->isBeforeInBlock(c);
    });
    SmallVector<unsigned> bucket;
    int64_t bytes = 0;
    auto flush = [&]() {
      if (bucket.empty())
        return;
      OpBuilder::InsertionGuard guard(builder);
      if (Operation *last = position(bucket.back()))
        builder.setInsertionPointAfter(last);
      SmallVector<Value> members =
          llvm::map_to_vector(bucket, [&](unsigned i) { return finals[i]; });
      auto reduce = AllReduceOp::create(builder, members.front().getLoc(),
                                        members);
      for (auto [i, result] : llvm::zip(bucket, reduce.getResults()))
        finals[i] = result;
      bucket.clear();
      bytes = 0;
    };
    for (unsigned i : order) {
      bucket.push_back(i);
      bytes += tensorBytes(finals[i].getType());
      if (bytes >= bucketBytes)
        flush();
    }
    flush();
  }
};

} // namespace
