//===- CleaveToEmitC.cpp - planned cleave functions to runtime calls ------===//
//
// Every value becomes a `cleave_tensor` view: of the arena at its planned
// offset, of the weights file at its constant's offset, or of the caller's
// input array. Every op becomes one call of a cleave::program helper
// (cleave/Runtime/Program.h) followed by CLEAVE_PROGRAM_CHECK.
//
//===----------------------------------------------------------------------===//

#include "cleave/Conversion/Passes.h"
#include "cleave/Dialect/Cleave/IR/CleaveOps.h"
#include "cleave/Dialect/Cleave/Transforms/Passes.h"
#include "mlir/Dialect/EmitC/IR/EmitC.h"
#include "mlir/Dialect/Func/IR/FuncOps.h"
#include "llvm/ADT/TypeSwitch.h"

namespace cleave {
#define GEN_PASS_DEF_CONVERTCLEAVETOEMITCPASS
#include "cleave/Conversion/Passes.h.inc"
} // namespace cleave

using namespace mlir;
using namespace cleave::graph;

namespace {

/// The runtime's name of an element type, or "" if it has none.
std::string dtypeName(Type type) {
  Type e = cast<ShapedType>(type).getElementType();
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
  std::string width = std::to_string(i.getWidth());
  return std::string("CLEAVE_DTYPE_") + (i.isUnsigned() ? "U" : "I") + width;
}

std::string dimsList(Type type) {
  std::string text = "{";
  for (auto [i, d] : llvm::enumerate(cast<ShapedType>(type).getShape()))
    text += (i ? ", " : "") + std::to_string(d);
  return text + "}";
}

std::string cString(StringRef text) {
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

/// Lowers one planned function.
class FunctionLowering {
public:
  FunctionLowering(func::FuncOp function, OpBuilder &builder)
      : function(function), builder(builder), ctx(builder.getContext()) {}

  LogicalResult run();

private:
  Type opaque(StringRef name) { return emitc::OpaqueType::get(ctx, name); }
  Attribute literal(StringRef text) {
    return emitc::OpaqueAttr::get(ctx, text);
  }

  /// result = callee(operands..., with `args` mixing operand indices and
  /// literal attributes).
  Value call(StringRef callee, Type result, ValueRange operands,
             ArrayRef<Attribute> args) {
    SmallVector<Type> results;
    if (result)
      results.push_back(result);
    auto op = emitc::CallOpaqueOp::create(builder, loc, results, callee,
                                          operands, builder.getArrayAttr(args));
    return result ? op.getResult(0) : Value();
  }
  Attribute operand(int64_t index) { return builder.getIndexAttr(index); }

  Value view(Value base, Type type, int64_t offset) {
    return call("cleave::program::view", opaque("cleave_tensor"), {base},
                {operand(0), literal(dtypeName(type)),
                 builder.getI64IntegerAttr(offset), literal(dimsList(type))});
  }
  /// Emits `status = callee(...)` and the check that returns it on failure.
  void kernel(StringRef callee, ValueRange operands, ArrayRef<Attribute> args) {
    Value status = call(callee, opaque("cleave_status"), operands, args);
    call("CLEAVE_PROGRAM_CHECK", Type(), {status}, {operand(0)});
  }
  LogicalResult lowerOp(Operation *op);
  LogicalResult unsupported(Operation *op, const Twine &why);

  func::FuncOp function;
  OpBuilder &builder;
  MLIRContext *ctx;
  Location loc = UnknownLoc::get(builder.getContext());
  Value arena, weights, inputs, outputs;
  DenseMap<Value, Value> views;
};

LogicalResult FunctionLowering::unsupported(Operation *op, const Twine &why) {
  return op->emitError() << "'" << op->getName() << "' cannot run on the CPU "
                         << "target yet: " << why;
}

LogicalResult FunctionLowering::lowerOp(Operation *op) {
  auto offsets = op->getAttrOfType<DenseI64ArrayAttr>(kArenaOffsetsAttr);
  if (!offsets)
    return op->emitError("has no memory plan (run cleave-plan-memory)");
  for (auto [result, offset] :
       llvm::zip(op->getResults(), offsets.asArrayRef()))
    if (offset >= 0)
      views[result] = view(arena, result.getType(), offset);

  auto f32Only = [&]() -> LogicalResult {
    for (Type type :
         llvm::concat<Type>(op->getOperandTypes(), op->getResultTypes()))
      if (auto shaped = dyn_cast<ShapedType>(type);
          shaped && !shaped.getElementType().isF32())
        return unsupported(op, "only f32 kernels exist so far");
    return success();
  };
  auto in = [&](unsigned i) { return views.lookup(op->getOperand(i)); };
  Value out = op->getNumResults() ? views.lookup(op->getResult(0)) : Value();
  auto unary = [&](StringRef name, float alpha = 0, float beta = 0) {
    if (failed(f32Only()))
      return failure();
    kernel("cleave::program::unary", {in(0), out},
           {literal(name), builder.getF32FloatAttr(alpha),
            builder.getF32FloatAttr(beta), operand(0), operand(1)});
    return success();
  };
  auto binary = [&](StringRef name) {
    if (failed(f32Only()))
      return failure();
    if (op->getNumOperands() != 2)
      return unsupported(op, "only two inputs are supported");
    kernel("cleave::program::binary", {in(0), in(1), out},
           {literal(name), operand(0), operand(1), operand(2)});
    return success();
  };
  auto softmax = [&](int64_t axis, bool log) {
    if (failed(f32Only()))
      return failure();
    kernel("cleave::program::softmax", {in(0), out},
           {operand(0), builder.getI32IntegerAttr(axis),
            builder.getI32IntegerAttr(log), operand(1)});
    return success();
  };
  return llvm::TypeSwitch<Operation *, LogicalResult>(op)
      .Case([&](MatMulOp) -> LogicalResult {
        if (failed(f32Only()))
          return failure();
        kernel("cleave::program::matmul", {in(0), in(1), out},
               {operand(0), operand(1), operand(2)});
        return success();
      })
      .Case([&](ReluOp) { return unary("CLEAVE_UNARY_RELU"); })
      .Case([&](SigmoidOp) { return unary("CLEAVE_UNARY_SIGMOID"); })
      .Case([&](TanhOp) { return unary("CLEAVE_UNARY_TANH"); })
      .Case([&](ExpOp) { return unary("CLEAVE_UNARY_EXP"); })
      .Case([&](LogOp) { return unary("CLEAVE_UNARY_LOG"); })
      .Case([&](SqrtOp) { return unary("CLEAVE_UNARY_SQRT"); })
      .Case([&](AbsOp) { return unary("CLEAVE_UNARY_ABS"); })
      .Case([&](NegOp) { return unary("CLEAVE_UNARY_NEG"); })
      .Case([&](EluOp o) {
        return unary("CLEAVE_UNARY_ELU", o.getAlpha().convertToFloat());
      })
      .Case([&](LeakyReluOp o) {
        return unary("CLEAVE_UNARY_LEAKY_RELU", o.getAlpha().convertToFloat());
      })
      .Case([&](HardSigmoidOp o) {
        return unary("CLEAVE_UNARY_HARD_SIGMOID", o.getAlpha().convertToFloat(),
                     o.getBeta().convertToFloat());
      })
      .Case([&](GeluOp o) {
        return unary(o.getApproximate() == "tanh" ? "CLEAVE_UNARY_GELU_TANH"
                                                  : "CLEAVE_UNARY_GELU");
      })
      .Case([&](AddOp) { return binary("CLEAVE_BINARY_ADD"); })
      .Case([&](SubOp) { return binary("CLEAVE_BINARY_SUB"); })
      .Case([&](MulOp) { return binary("CLEAVE_BINARY_MUL"); })
      .Case([&](DivOp) { return binary("CLEAVE_BINARY_DIV"); })
      .Case([&](MaxOp) { return binary("CLEAVE_BINARY_MAX"); })
      .Case([&](MinOp) { return binary("CLEAVE_BINARY_MIN"); })
      .Case([&](SoftmaxOp o) { return softmax((int64_t)o.getAxis(), false); })
      .Case([&](LogSoftmaxOp o) { return softmax((int64_t)o.getAxis(), true); })
      .Case<ReshapeOp, SqueezeOp, UnsqueezeOp, FlattenOp,
            IdentityOp>([&](Operation *) {
        // A view in the arena shares its source's bytes; others copy.
        kernel("cleave::program::copy", {in(0), out}, {operand(0), operand(1)});
        return success();
      })
      .Default([&](Operation *) {
        return unsupported(op, "no CPU kernel for this op");
      });
}

LogicalResult FunctionLowering::run() {
  loc = function.getLoc();
  Type tensorPtr = emitc::PointerType::get(opaque("const cleave_tensor"));
  auto type = builder.getFunctionType(
      {emitc::PointerType::get(opaque("char")),
       emitc::PointerType::get(opaque("const char")), tensorPtr, tensorPtr},
      {opaque("cleave_status")});
  std::string name = ("cleave_run_" + function.getName()).str();
  auto lowered = emitc::FuncOp::create(builder, loc, name, type);
  Block *entry = lowered.addEntryBlock();
  arena = entry->getArgument(0);
  weights = entry->getArgument(1);
  inputs = entry->getArgument(2);
  outputs = entry->getArgument(3);
  OpBuilder::InsertionGuard guard(builder);
  builder.setInsertionPointToStart(entry);

  for (BlockArgument arg : function.getArguments())
    views[arg] =
        call("cleave::program::at", opaque("cleave_tensor"), {inputs},
             {operand(0), builder.getI64IntegerAttr(arg.getArgNumber())});
  for (Operation &op : function.getBody().front()) {
    if (isa<NoneOp>(op))
      continue;
    if (auto constant = dyn_cast<ConstantOp>(op)) {
      auto offset = constant->getAttrOfType<IntegerAttr>(kWeightOffsetAttr);
      if (!offset)
        return constant.emitError("has no weight offset (run "
                                  "cleave-layout-weights)");
      views[constant] = view(weights, constant.getType(), offset.getInt());
      continue;
    }
    if (auto ret = dyn_cast<func::ReturnOp>(op)) {
      for (auto [i, value] : llvm::enumerate(ret.getOperands())) {
        Value output =
            call("cleave::program::at", opaque("cleave_tensor"), {outputs},
                 {operand(0), builder.getI64IntegerAttr(i)});
        kernel("cleave::program::copy", {views.lookup(value), output},
               {operand(0), operand(1)});
      }
      continue;
    }
    if (dtypeName(op.getResultTypes().empty() ? Type()
                                              : op.getResultTypes().front())
            .empty() &&
        !op.getResultTypes().empty())
      return op.emitError("has an element type the runtime does not know");
    if (failed(lowerOp(&op)))
      return failure();
  }
  Value ok = emitc::ConstantOp::create(builder, loc, opaque("cleave_status"),
                                       literal("nullptr"));
  emitc::ReturnOp::create(builder, loc, ok);
  return success();
}

/// The table of inputs and outputs and `main`, as C++ text.
std::string programTable(func::FuncOp function, StringRef programName) {
  auto ioTable = [&](StringRef table, TypeRange types, auto nameOf) {
    std::string text =
        "static const cleave_program_io " + table.str() + "[] = {";
    for (auto [i, type] : llvm::enumerate(types)) {
      auto shaped = cast<ShapedType>(type);
      text += "\n  {" + cString(nameOf(i)) + ", " + dtypeName(type) + ", " +
              std::to_string(shaped.getRank()) + ", " + dimsList(type) + "},";
    }
    if (types.empty())
      text += "{nullptr, CLEAVE_DTYPE_INVALID, 0, {}}";
    return text + "\n};\n";
  };
  auto argName = [&](size_t i) -> std::string {
    auto name =
        function.getArgAttrOfType<StringAttr>(i, CleaveDialect::kNameAttr);
    return name ? name.str() : "input_" + std::to_string(i);
  };
  auto resultName = [&](size_t i) -> std::string {
    auto name =
        function.getResultAttrOfType<StringAttr>(i, CleaveDialect::kNameAttr);
    return name ? name.str() : "output_" + std::to_string(i);
  };
  auto size = [&](StringRef attr) {
    auto value = function->getAttrOfType<IntegerAttr>(attr);
    return std::to_string(value ? value.getInt() : 0);
  };
  std::string text = ioTable("kInputs", function.getArgumentTypes(), argName);
  text += ioTable("kOutputs", function.getResultTypes(), resultName);
  text += "\nint main(int argc, char **argv) {\n"
          "  static const cleave_program program = {" +
          cString(programName) + ", " + size(kArenaSizeAttr) + ", " +
          size(kWeightsSizeAttr) + ", " +
          std::to_string(function.getNumArguments()) + ", kInputs, " +
          std::to_string(function.getNumResults()) + ", kOutputs, cleave_run_" +
          function.getName().str() +
          "};\n"
          "  return cleave_device_main(argc, argv, program);\n}\n";
  return text;
}

struct ConvertCleaveToEmitCPass
    : public cleave::impl::ConvertCleaveToEmitCPassBase<
          ConvertCleaveToEmitCPass> {
  void runOnOperation() override {
    ModuleOp module = getOperation();
    OpBuilder builder(&getContext());
    builder.setInsertionPointToStart(module.getBody());
    emitc::IncludeOp::create(builder, module.getLoc(),
                             "cleave/Runtime/Program.h", /*is_standard=*/false);
    for (func::FuncOp function :
         llvm::make_early_inc_range(module.getOps<func::FuncOp>())) {
      builder.setInsertionPoint(function);
      if (failed(FunctionLowering(function, builder).run()))
        return signalPassFailure();
      builder.setInsertionPointAfter(function);
      emitc::VerbatimOp::create(builder, function.getLoc(),
                                programTable(function, function.getName()));
      function.erase();
    }
  }
};

} // namespace
