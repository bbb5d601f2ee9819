//===- RuntimeDialect.cpp - calls of the Cleave runtime -------------------===//

#include "cleave/Dialect/Runtime/IR/RuntimeDialect.h"
#include "mlir/IR/Builders.h"
#include "mlir/IR/DialectImplementation.h"
#include "mlir/IR/OpImplementation.h"
#include "llvm/ADT/TypeSwitch.h"

using namespace mlir;
using namespace cleave::rt;

#include "cleave/Dialect/Runtime/IR/RuntimeDialect.cpp.inc"

#define GET_TYPEDEF_CLASSES
#include "cleave/Dialect/Runtime/IR/RuntimeTypes.cpp.inc"

#define GET_ATTRDEF_CLASSES
#include "cleave/Dialect/Runtime/IR/RuntimeAttrs.cpp.inc"

#define GET_OP_CLASSES
#include "cleave/Dialect/Runtime/IR/RuntimeOps.cpp.inc"

void CleaveRtDialect::initialize() {
  addTypes<
#define GET_TYPEDEF_LIST
#include "cleave/Dialect/Runtime/IR/RuntimeTypes.cpp.inc"
      >();
  addAttributes<
#define GET_ATTRDEF_LIST
#include "cleave/Dialect/Runtime/IR/RuntimeAttrs.cpp.inc"
      >();
  addOperations<
#define GET_OP_LIST
#include "cleave/Dialect/Runtime/IR/RuntimeOps.cpp.inc"
      >();
}

std::string cleave::rt::dtypeName(Type e) {
  if (e.isF32())
    return "CLEAVE_DTYPE_F32";
  if (e.isF64())
    return "CLEAVE_DTYPE_F64";
  if (e.isF16())
    return "CLEAVE_DTYPE_F16";
  if (e.isBF16())
    return "CLEAVE_DTYPE_BF16";
  if (e.isInteger(1))
    return "CLEAVE_DTYPE_BOOL";
  auto i = dyn_cast<IntegerType>(e);
  if (!i)
    return "";
  return std::string("CLEAVE_DTYPE_") + (i.isUnsigned() ? "U" : "I") +
         std::to_string(i.getWidth());
}

std::string cleave::rt::cStringLiteral(StringRef text) {
  std::string out = "\"";
  for (char c : text) {
    if (c == '"' || c == '\\')
      out += '\\';
    if ((unsigned char)c < 0x20)
      continue;
    out += c;
  }
  return out + "\"";
}

LogicalResult ProgramOp::verify() {
  if ((int64_t)getArenaSize() < 0 || (int64_t)getWeightsSize() < 0)
    return emitOpError("memory sizes must not be negative");
  if (getBody().empty())
    return success();
  for (Operation &op : getBody().front()) {
    auto check = [&](int64_t index, size_t count,
                     StringRef what) -> LogicalResult {
      if (index < 0 || (uint64_t)index >= count)
        return op.emitOpError() << "names " << what << " " << index
                                << " of a program with " << count;
      return success();
    };
    if (auto input = dyn_cast<InputOp>(op))
      if (failed(check((int64_t)input.getIndex(), getInputs().size(), "input")))
        return failure();
    if (auto output = dyn_cast<OutputOp>(op))
      if (failed(
              check((int64_t)output.getIndex(), getOutputs().size(), "output")))
        return failure();
  }
  return success();
}

LogicalResult KernelOp::verify() {
  for (Attribute arg : getArgs()) {
    auto integer = dyn_cast<IntegerAttr>(arg);
    if (integer && integer.getType().isIndex()) {
      if (integer.getInt() < 0 ||
          integer.getInt() >= (int64_t)getOperands().size())
        return emitOpError()
               << "argument " << integer.getInt() << " names no operand";
      continue;
    }
    if (!isa<IntegerAttr, FloatAttr, StringAttr, DenseI64ArrayAttr,
             DenseF32ArrayAttr>(arg))
      return emitOpError("arguments are operand indices, integers, floats, "
                         "lists or C++ tokens (strings)");
  }
  return success();
}
