//===- CleaveDialect.cpp - the cleave graph dialect -----------------------===//

#include "cleave/Dialect/Cleave/IR/CleaveDialect.h"
#include "cleave/Analysis/PipelineSchedule.h"
#include "cleave/Dialect/Cleave/IR/CleaveOps.h"
#include "cleave/Dialect/Cleave/IR/ModuleAttrs.h"
#include "mlir/IR/BuiltinOps.h"

using namespace mlir;
using namespace cleave::graph;

#include "cleave/Dialect/Cleave/IR/CleaveOpsDialect.cpp.inc"

void CleaveDialect::initialize() {
  addOperations<
#define GET_OP_LIST
#include "cleave/Dialect/Cleave/IR/CleaveOps.cpp.inc"
      >();
}

Operation *CleaveDialect::materializeConstant(OpBuilder &builder,
                                              Attribute value, Type type,
                                              Location loc) {
  if (isa<NoneType>(type))
    return NoneOp::create(builder, loc);
  auto elements = dyn_cast<ElementsAttr>(value);
  if (!elements || elements.getType() != type)
    return nullptr;
  return ConstantOp::create(builder, loc, elements);
}

/// Only `cleave.name`, a string, is known on arguments and results.
static LogicalResult verifyNameAttr(Operation *op, NamedAttribute attr) {
  if (attr.getName() != CleaveDialect::kNameAttr)
    return op->emitError() << "unknown attribute '" << attr.getName().getValue()
                           << "' on a function argument or result";
  if (!isa<StringAttr>(attr.getValue()))
    return op->emitError() << "'" << CleaveDialect::kNameAttr
                           << "' must be a string";
  return success();
}

LogicalResult CleaveDialect::verifyRegionArgAttribute(Operation *op, unsigned,
                                                      unsigned,
                                                      NamedAttribute attr) {
  return verifyNameAttr(op, attr);
}

LogicalResult CleaveDialect::verifyRegionResultAttribute(Operation *op,
                                                         unsigned, unsigned,
                                                         NamedAttribute attr) {
  return verifyNameAttr(op, attr);
}

/// The memory plan's attributes (see the cleave-plan-memory pass).
LogicalResult CleaveDialect::verifyOperationAttribute(Operation *op,
                                                      NamedAttribute attr) {
  StringRef name = attr.getName().getValue();
  if (name == "cleave.arena_offsets") {
    auto offsets = dyn_cast<DenseI64ArrayAttr>(attr.getValue());
    if (!offsets || offsets.size() != (int64_t)op->getNumResults())
      return op->emitError()
             << "'" << name << "' must list one offset per result";
    return success();
  }
  if (name == "cleave.arena_in_use") {
    // The arena bytes alive at each op of a planned function.
    auto bytes = dyn_cast<DenseI64ArrayAttr>(attr.getValue());
    if (!bytes ||
        llvm::any_of(bytes.asArrayRef(), [](int64_t b) { return b < 0; }))
      return op->emitError()
             << "'" << name << "' must list non-negative byte counts";
    return success();
  }
  if (name == "cleave.in_place") {
    if (!isa<UnitAttr>(attr.getValue()))
      return op->emitError() << "'" << name << "' must be a unit attribute";
    return success();
  }
  if (name == "cleave.arena_size" || name == "cleave.weights_size" ||
      name == "cleave.weight_offset" || name == "cleave.device" ||
      name == "cleave.op_index" || name == "cleave.backward_of" ||
      name == "cleave.microbatch" || name == "cleave.replicas" ||
      name == "cleave.stage" || name == kOnnxStageAttr) {
    auto size = dyn_cast<IntegerAttr>(attr.getValue());
    if (!size || size.getInt() < 0)
      return op->emitError()
             << "'" << name << "' must be a non-negative integer";
    return success();
  }
  if (name == "cleave.loss_reduction") {
    auto text = dyn_cast<StringAttr>(attr.getValue());
    if (!text || (text.getValue() != "mean" && text.getValue() != "sum"))
      return op->emitError() << "'" << name << "' must be \"mean\" or \"sum\"";
    return success();
  }
  if (name == "cleave.schedule") {
    // A placed training step's pipeline schedule (cleave-place).
    auto text = dyn_cast<StringAttr>(attr.getValue());
    if (!text || !cleave::analysis::parseSchedule(text.getValue()))
      return op->emitError() << "'" << name << "' must be \"gpipe\", "
                             << "\"1f1b\" or \"interleaved:v=N\"";
    return success();
  }
  if (name == kExternalDataAttr) {
    // The model's external data files, relative to its folder.
    auto files = dyn_cast<ArrayAttr>(attr.getValue());
    if (!isa<ModuleOp>(op) || !files ||
        !llvm::all_of(files, [](Attribute a) { return isa<StringAttr>(a); }))
      return op->emitError()
             << "'" << name << "' must list file names, on the module";
    return success();
  }
  if (name == "cleave.predicted_ms") {
    // Per machine device on a placed @main, one value on a device's
    // function.
    auto all = dyn_cast<DenseF64ArrayAttr>(attr.getValue());
    auto one = dyn_cast<FloatAttr>(attr.getValue());
    if ((!all || llvm::any_of(all.asArrayRef(),
                              [](double ms) { return ms < 0; })) &&
        (!one || one.getValueAsDouble() < 0))
      return op->emitError() << "'" << name
                             << "' must be non-negative milliseconds";
    return success();
  }
  return op->emitError() << "unknown attribute '" << name << "'";
}

std::string cleave::graph::ioName(FunctionOpInterface function,
                                  unsigned index, bool input) {
  auto name = input ? function.getArgAttrOfType<StringAttr>(
                          index, CleaveDialect::kNameAttr)
                    : function.getResultAttrOfType<StringAttr>(
                          index, CleaveDialect::kNameAttr);
  return name ? name.str()
              : (input ? "input_" : "output_") + std::to_string(index);
}
