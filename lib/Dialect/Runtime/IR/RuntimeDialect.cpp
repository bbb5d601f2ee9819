//===- RuntimeDialect.cpp - calls of the Cleave runtime -------------------===//

#include "cleave/Dialect/Runtime/IR/RuntimeDialect.h"
#include "cleave/Dialect/Runtime/IR/KernelSignatures.h"
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
  const KernelSignature *kernel = lookupRuntimeKernel(getCallee());
  if (!kernel)
    return emitOpError() << "calls '" << getCallee()
                         << "', which is no runtime kernel (Kernels.def)";
  ArrayAttr args = getArgs();
  if (args.size() != kernel->params.size())
    return emitOpError() << "'" << getCallee() << "' takes "
                         << kernel->params.size() << " arguments, not "
                         << args.size();
  // The operand an index argument names, if it is one.
  auto operandOf = [&](Attribute arg) -> Value {
    auto index = dyn_cast<IntegerAttr>(arg);
    if (!index || !index.getType().isIndex() || index.getInt() < 0 ||
        index.getInt() >= (int64_t)getOperands().size())
      return {};
    return getOperand(index.getInt());
  };
  auto isView = [&](Attribute arg) {
    Value operand = operandOf(arg);
    return operand && isa<ViewType>(operand.getType());
  };
  for (auto [i, arg, param] : llvm::enumerate(args, kernel->params)) {
    auto text = dyn_cast<StringAttr>(arg);
    auto integer = dyn_cast<IntegerAttr>(arg);
    bool ok = false;
    StringRef expected;
    switch (param.kind) {
    case KernelParam::Input:
    case KernelParam::Output:
      ok = isa<UnitAttr>(arg) || isView(arg);
      expected = "a view operand's index or unit (NULL)";
      break;
    case KernelParam::Inputs: {
      auto list = dyn_cast<ArrayAttr>(arg);
      ok = list && llvm::all_of(list, isView);
      expected = "an array of view operands' indices";
      break;
    }
    case KernelParam::Window: {
      Value operand = operandOf(arg);
      ok = operand && isa<WindowType>(operand.getType());
      expected = "a window operand's index";
      break;
    }
    case KernelParam::Integer:
      ok = integer && !integer.getType().isIndex();
      expected = "an integer";
      break;
    case KernelParam::Float:
      ok = isa<FloatAttr>(arg);
      expected = "a float";
      break;
    case KernelParam::Enum:
      ok = text && text.getValue().starts_with("CLEAVE_");
      expected = "an enumerator (CLEAVE_*)";
      break;
    case KernelParam::String:
      ok = text && text.getValue().starts_with("\"");
      expected = "a C string literal";
      break;
    case KernelParam::I64List:
      ok = isa<DenseI64ArrayAttr>(arg);
      expected = "an array<i64>";
      break;
    case KernelParam::F32List:
      ok = isa<DenseF32ArrayAttr>(arg);
      expected = "an array<f32>";
      break;
    }
    if (!ok)
      return emitOpError() << "argument " << i << " ('" << param.name
                           << "') of '" << getCallee() << "' must be "
                           << expected;
  }
  return success();
}
