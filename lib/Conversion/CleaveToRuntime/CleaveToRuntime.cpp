//===- CleaveToRuntime.cpp - planned functions to runtime programs --------===//
//
// Each planned func.func becomes a cleave_rt.program: a view for every
// value (its arena offset, its constant's weights offset, or the caller's
// input), then the kernel calls of each op in order, as the family
// lowerings (Lowering.h) make them.
//
//===----------------------------------------------------------------------===//

#include "Lowering.h"
#include "cleave/Conversion/Passes.h"
#include "cleave/Dialect/Cleave/Transforms/Passes.h"
#include "cleave/Dialect/Cleave/Transforms/Placement.h"
#include "mlir/Dialect/Func/IR/FuncOps.h"

namespace cleave {
#define GEN_PASS_DEF_CONVERTCLEAVETORUNTIMEPASS
#include "cleave/Conversion/Passes.h.inc"
} // namespace cleave

using namespace mlir;
using namespace cleave::graph;

namespace cleave::lowering {

Value ProgramBuilder::arena(Type type, int64_t offset) {
  return rt::ArenaViewOp::create(
      builder, loc, rt::ViewType::get(cast<RankedTensorType>(type)), offset);
}

Value ProgramBuilder::resultAs(Operation *op, ArrayRef<int64_t> shape) {
  auto type = cast<RankedTensorType>(op->getResult(0).getType());
  auto offsets = op->getAttrOfType<DenseI64ArrayAttr>(kArenaOffsetsAttr);
  return arena(RankedTensorType::get(shape, type.getElementType()), offsets[0]);
}

Value ProgramBuilder::window(const ResolvedWindow &w, bool channelsLast) {
  return rt::WindowOp::create(
      builder, loc, rt::WindowType::get(builder.getContext()), w.kernel,
      w.strides, w.dilations, w.begin, w.end, channelsLast);
}

void ProgramBuilder::kernel(StringRef callee, ArrayRef<KernelArg> args) {
  SmallVector<Value> operands;
  auto operand = [&](Value value) -> Attribute {
    operands.push_back(value);
    return builder.getIndexAttr(operands.size() - 1);
  };
  SmallVector<Attribute> attrs;
  for (const KernelArg &arg : args) {
    if (arg.isList)
      attrs.push_back(builder.getArrayAttr(
          llvm::map_to_vector(arg.list, operand)));
    else if (arg.isValue)
      attrs.push_back(arg.value ? operand(arg.value) : builder.getUnitAttr());
    else
      attrs.push_back(arg.attr);
  }
  rt::KernelOp::create(builder, loc, callee, operands,
                       builder.getArrayAttr(attrs));
}

Attribute ProgramBuilder::list(ArrayRef<int64_t> values) {
  return builder.getDenseI64ArrayAttr(values);
}

LogicalResult ProgramBuilder::unsupported(Operation *op, const Twine &why) {
  return op->emitError() << "'" << op->getName() << "' cannot run on the CPU "
                         << "target yet: " << why;
}

LogicalResult ProgramBuilder::f32Only(Operation *op) {
  // Results nobody reads (MaxPool's indices) are not computed.
  SmallVector<Type> types(op->getOperandTypes());
  for (Value result : op->getResults())
    if (!result.use_empty() || result == op->getResult(0))
      types.push_back(result.getType());
  for (Type type : types)
    if (auto shaped = dyn_cast<ShapedType>(type);
        shaped && !shaped.getElementType().isF32())
      return unsupported(op, "only f32 kernels exist so far");
  return success();
}

LogicalResult ProgramBuilder::onlyFirstResultUsed(Operation *op) {
  for (Value result : op->getResults().drop_front())
    if (!result.use_empty())
      return unsupported(op, "only its first output is computed");
  return success();
}

LogicalResult LoweringTable::lower(Operation *op, ProgramBuilder &p) const {
  if (LowerFn fn = byOp.lookup(op->getName().getTypeID()))
    return fn(op, p);
  for (const auto &[matches, fn] : families)
    if (matches(op))
      return fn(op, p);
  return p.unsupported(op, "no CPU kernel for this op");
}

namespace {

/// The program's inputs or outputs: names (or input_i / output_i) and types.
ArrayAttr ioTable(func::FuncOp function, bool inputs) {
  SmallVector<Attribute> entries;
  MLIRContext *context = function.getContext();
  TypeRange types =
      inputs ? function.getArgumentTypes() : function.getResultTypes();
  for (auto [i, type] : llvm::enumerate(types))
    entries.push_back(rt::IoAttr::get(
        context, StringAttr::get(context, ioName(function, i, inputs)),
        cast<RankedTensorType>(type)));
  return ArrayAttr::get(context, entries);
}

int64_t sizeAttr(func::FuncOp function, StringRef name) {
  auto value = function->getAttrOfType<IntegerAttr>(name);
  return value ? value.getInt() : 0;
}

/// Makes the kernel that computes `value` write output `index` itself
/// instead of the arena, when only the return reads the value and its
/// arena view serves that kernel alone (a GPT-2's 32 x 50,257 logits were
/// 14% of its run as a copy). Not for views and ops that update an
/// operand, whose results are their operands' memory. Returns whether it
/// did.
bool writeIntoOutput(Value value, Value view, unsigned index) {
  Operation *producer = value.getDefiningOp();
  auto arena = view ? view.getDefiningOp<rt::ArenaViewOp>() : nullptr;
  if (!producer || !value.hasOneUse() || isView(producer) ||
      updatesOperand(producer) || !arena || !arena->hasOneUse() ||
      !isa<rt::KernelOp>(*arena->user_begin()))
    return false;
  OpBuilder builder(arena);
  Value output = rt::OutputOp::create(builder, arena.getLoc(), arena.getType(),
                                      index);
  arena.replaceAllUsesWith(output);
  arena.erase();
  return true;
}

/// The variable that `result` is computed into (AssignOp::
/// isComputedInPlace), or null. Saves a copy of every parameter and
/// optimizer state per step (GPT-2 with AdamW: 112 copies, 1.0 ms of a
/// 10.5 ms step on each of two replicas).
Value assignedVariable(Value result) {
  if (!result.hasOneUse())
    return Value();
  auto assign = dyn_cast<AssignOp>(*result.user_begin());
  return assign && assign.getValue() == result && assign.isComputedInPlace()
             ? assign.getVariable()
             : Value();
}

/// Lowers one planned function into a program before it.
LogicalResult lowerFunction(func::FuncOp function, const LoweringTable &table) {
  OpBuilder builder(function);
  Location loc = function.getLoc();
  for (Type type : llvm::concat<const Type>(function.getArgumentTypes(),
                                            function.getResultTypes()))
    if (!isa<RankedTensorType>(type))
      return function.emitError("inputs and outputs must be ranked tensors");
  auto device = function->getAttrOfType<IntegerAttr>(kDeviceAttr);
  auto replicas = function->getAttrOfType<IntegerAttr>(kReplicasAttr);
  auto program = rt::ProgramOp::create(
      builder, loc, function.getName(), sizeAttr(function, kArenaSizeAttr),
      sizeAttr(function, kWeightsSizeAttr), ioTable(function, true),
      ioTable(function, false), device, replicas);
  builder.setInsertionPointToStart(&program.getBody().emplaceBlock());
  ProgramBuilder p(builder, loc);

  for (BlockArgument arg : function.getArguments())
    p.setView(arg, rt::InputOp::create(
                       builder, loc,
                       rt::ViewType::get(cast<RankedTensorType>(arg.getType())),
                       arg.getArgNumber()));
  llvm::DenseMap<Operation *, rt::SiteAttr> sites = siteAttrs(function);
  bool transfers = false;
  // Results of started all-reduces: the first op that reads one waits.
  DenseSet<Value> summing;
  for (Operation &op : function.getBody().front()) {
    if (isa<NoneOp>(op))
      continue;
    if (llvm::any_of(op.getOperands(),
                     [&](Value v) { return summing.contains(v); })) {
      rt::AllReduceWaitOp::create(builder, loc);
      summing.clear();
    }
    if (isWeights(&op)) {
      auto offset = op.getAttrOfType<IntegerAttr>(kWeightOffsetAttr);
      if (!offset)
        return op.emitError("has no weight offset (run "
                            "cleave-layout-weights)");
      Value value = op.getResult(0);
      p.setView(value, rt::WeightsViewOp::create(
                           builder, loc,
                           rt::ViewType::get(
                               cast<RankedTensorType>(value.getType())),
                           offset.getInt()));
      continue;
    }
    // Each call is marked with its graph op, ONNX node and site: what the
    // program's profile and trace say of it.
    rt::SiteAttr site = sites.lookup(&op);
    p.loc = FusedLoc::get(builder.getContext(), {op.getLoc()}, site);
    if (auto ret = dyn_cast<func::ReturnOp>(op)) {
      for (auto [i, value] : llvm::enumerate(ret.getOperands())) {
        p.loc = FusedLoc::get(
            builder.getContext(),
            {NameLoc::get(builder.getStringAttr(ioName(function, i, false)))},
            rt::SiteAttr::get(builder.getContext(),
                              builder.getStringAttr("output"),
                              site.getPhase(), -1, site.getArenaInUse(),
                              builder.getF64FloatAttr(0),
                              builder.getStringAttr("")));
        auto type = rt::ViewType::get(cast<RankedTensorType>(value.getType()));
        if (writeIntoOutput(value, p.view(value), i))
          continue;
        Value output = rt::OutputOp::create(builder, loc, type, i);
        p.kernel("copy", {p.view(value), output});
      }
      continue;
    }
    for (Type type : op.getResultTypes())
      if (auto tensor = dyn_cast<RankedTensorType>(type);
          tensor && rt::dtypeName(tensor.getElementType()).empty())
        return op.emitError("has an element type the runtime does not know");
    auto offsets = op.getAttrOfType<DenseI64ArrayAttr>(kArenaOffsetsAttr);
    if (!offsets)
      return op.emitError("has no memory plan (run cleave-plan-memory)");
    for (auto [result, offset] :
         llvm::zip(op.getResults(), offsets.asArrayRef())) {
      if (Value variable = assignedVariable(result);
          variable && p.view(variable))
        p.setView(result, p.view(variable));
      else if (offset >= 0)
        p.setView(result, p.arena(result.getType(), offset));
    }
    if (failed(table.lower(&op, p)))
      return failure();
    transfers |= isa<SendOp, RecvOp, RecvStartOp>(op);
    if (isa<AllReduceOp>(op))
      summing.insert(op.result_begin(), op.result_end());
  }
  if (!summing.empty())
    rt::AllReduceWaitOp::create(builder, loc);
  // Sends without a cleave.send_done keep their tensors alive until here
  // (the memory plan ensures it); the host-staged CUDA transport recycles
  // the run's staging buffers here, the receives' too.
  if (transfers)
    rt::WaitSendsOp::create(builder, loc);
  return success();
}

struct ConvertCleaveToRuntimePass
    : public cleave::impl::ConvertCleaveToRuntimePassBase<
          ConvertCleaveToRuntimePass> {
  void runOnOperation() override {
    LoweringTable table;
    populateElementwiseLowerings(table);
    populateLinearLowerings(table);
    populateWindowLowerings(table);
    populateNormalizationLowerings(table);
    populateReductionLowerings(table);
    populateDataMovementLowerings(table);
    populateTransferLowerings(table);
    populateTrainingLowerings(table);
    for (func::FuncOp function :
         llvm::make_early_inc_range(getOperation().getOps<func::FuncOp>())) {
      if (failed(lowerFunction(function, table)))
        return signalPassFailure();
      function.erase();
    }
  }
};

} // namespace
} // namespace cleave::lowering
