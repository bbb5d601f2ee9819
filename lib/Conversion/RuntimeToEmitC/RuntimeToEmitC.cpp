//===- RuntimeToEmitC.cpp - runtime programs to C++ -----------------------===//
//
// One generic rewrite, whatever the target: a program becomes
// `cleave_status cleave_run_<name>(arena, weights, inputs, outputs)` whose
// views are cleave::program::view/at calls and whose kernels are
// `cleave::program::call(<prefix><kernel>, args...)` followed by
// CLEAVE_PROGRAM_CHECK, in parts of a bounded number of calls (each part a
// function that makes the views it uses: views are pure, so a part needs
// nothing from another); then the program's table and a main that hands it
// to the target's device main. Targets differ only in the header, the
// kernels' and transport's prefixes, and that main's extra argument.
//
//===----------------------------------------------------------------------===//

#include "cleave/Conversion/Passes.h"
#include "cleave/Dialect/Runtime/IR/RuntimeDialect.h"
#include "mlir/Dialect/EmitC/IR/EmitC.h"
#include "mlir/Interfaces/SideEffectInterfaces.h"
#include "llvm/ADT/TypeSwitch.h"
#include "llvm/Support/FormatVariadic.h"

namespace cleave {
#define GEN_PASS_DEF_CONVERTRUNTIMETOEMITCPASS
#include "cleave/Conversion/Passes.h.inc"
} // namespace cleave

using namespace mlir;
using namespace cleave::rt;

namespace {

/// What the site table says of one call (cleave_program_site).
struct cleave_site {
  std::string kernel, op, node, shapes, phase, signature;
  int64_t microbatch = -1, peer = -1, tag = -1, bytes = 0, arenaInUse = 0;
  double predictedMs = 0;
};

/// Bytes of a view's tensor (booleans take one byte each).
int64_t viewBytes(Value view) {
  RankedTensorType type = cast<ViewType>(view.getType()).getTensorType();
  return type.getNumElements() *
         std::max<int64_t>(1, type.getElementTypeBitWidth() / 8);
}

std::string dimsList(ArrayRef<int64_t> dims) {
  std::string text = "{";
  for (auto [i, d] : llvm::enumerate(dims))
    text += (i ? ", " : "") + std::to_string(d);
  return text + "}";
}

/// Emits one program's function; `entry` and `entryArgs` name the device
/// main the table goes to.
class ProgramEmitter {
public:
  /// `alone`: the module's only program (a placement on one device has no
  /// MPI job to join).
  ProgramEmitter(OpBuilder &builder, StringRef kernels, StringRef entry,
                 StringRef entryArgs, bool alone, int64_t callsPerPart)
      : builder(builder), ctx(builder.getContext()), kernels(kernels),
        entry(entry), entryArgs(entryArgs), alone(alone),
        callsPerPart(std::max<int64_t>(1, callsPerPart)) {}

  LogicalResult emit(ProgramOp program);

private:
  Type opaque(StringRef name) { return emitc::OpaqueType::get(ctx, name); }
  Attribute literal(StringRef text) {
    return emitc::OpaqueAttr::get(ctx, text);
  }
  Value call(StringRef callee, Type result, ValueRange operands,
             ArrayRef<Attribute> args, ArrayAttr templateArgs = {}) {
    SmallVector<Type> results;
    if (result)
      results.push_back(result);
    // No args: the operands in order.
    ArrayAttr argList = args.empty() ? ArrayAttr() : builder.getArrayAttr(args);
    auto op = emitc::CallOpaqueOp::create(builder, loc, results, callee,
                                          operands, argList, templateArgs);
    return result ? op.getResult(0) : Value();
  }
  /// status = cleave::program::call(site, function, args...);
  /// CLEAVE_PROGRAM_CHECK(status), where `site` indexes the site table
  /// entry made for `op` (what the profile names the call by).
  void checked(Operation *op, StringRef function, ValueRange operands,
               ArrayRef<Attribute> args);
  /// The C++ initializer of the program's site table.
  std::string siteTable() const;
  Value tensorView(StringRef callee, Value base, ViewType type, Attribute where,
                   bool withLayout);
  /// Kernel arguments as EmitC takes them; a list of operands becomes a
  /// cleave::program::tensors value appended to `operands`.
  Attribute argument(Attribute arg, SmallVectorImpl<Value> &operands);
  /// The EmitC value of a program value in the current part: a view or
  /// window is made there at its first use.
  Value lookup(Value value);
  LogicalResult emitView(Operation &op);
  LogicalResult emitCall(Operation &op);
  /// Starts the next part function, `cleave_run_<name>_<k>`, and makes
  /// the builder insert into it.
  void startPart(StringRef name, FunctionType type);
  void finishPart();
  void emitMain(ProgramOp program);

  OpBuilder &builder;
  MLIRContext *ctx;
  StringRef kernels, entry, entryArgs;
  bool alone;
  int64_t callsPerPart;
  Location loc = UnknownLoc::get(builder.getContext());
  // The current part's arguments and the values made in it.
  Value arena, weights, inputs, outputs;
  DenseMap<Value, Value> values;
  SmallVector<emitc::FuncOp> parts;
  std::vector<cleave_site> sites;
};

/// "1x16 10x16 -> 1x10": the shapes of a call's views (a scalar is "[]").
std::string viewShapes(ValueRange operands) {
  std::string text;
  for (Value operand : operands) {
    auto view = dyn_cast<ViewType>(operand.getType());
    if (!view)
      continue;
    ArrayRef<int64_t> shape = view.getTensorType().getShape();
    if (!text.empty())
      text += " ";
    text += shape.empty() ? "[]" : "";
    for (auto [i, d] : llvm::enumerate(shape))
      text += (i ? "x" : "") + std::to_string(d);
  }
  return text;
}

void ProgramEmitter::checked(Operation *op, StringRef function,
                             ValueRange operands, ArrayRef<Attribute> args) {
  // The lowering marks each call with its graph op and ONNX node
  // (cleave::rt::siteLocation).
  cleave_site site;
  site.kernel = op->getName().stripDialect().str();
  site.op = op->getName().getStringRef().str();
  site.shapes = viewShapes(op->getOperands());
  if (auto kernel = dyn_cast<KernelOp>(op))
    site.kernel = kernel.getCallee().str();
  if (auto send = dyn_cast<SendOp>(op)) {
    site.peer = send.getPeer();
    site.tag = send.getTag();
    site.bytes = viewBytes(send.getValue());
  } else if (auto recv = dyn_cast<RecvOp>(op)) {
    site.peer = recv.getPeer();
    site.tag = recv.getTag();
    site.bytes = viewBytes(recv.getValue());
  } else if (auto start = dyn_cast<RecvStartOp>(op)) {
    site.peer = start.getPeer();
    site.tag = start.getTag();
    site.bytes = viewBytes(start.getValue());
  } else if (auto wait = dyn_cast<RecvWaitOp>(op)) {
    site.peer = wait.getPeer();
    site.tag = wait.getTag();
    site.bytes = viewBytes(wait.getValue());
  } else if (auto done = dyn_cast<SendDoneOp>(op)) {
    site.peer = done.getPeer();
    site.tag = done.getTag();
  }
  if (auto fused = dyn_cast<FusedLoc>(op->getLoc())) {
    if (auto info = dyn_cast_or_null<SiteAttr>(fused.getMetadata())) {
      site.op = info.getOp().str();
      site.phase = info.getPhase().str();
      site.microbatch = info.getMicrobatch();
      site.arenaInUse = info.getArenaInUse();
      site.predictedMs = info.getPredictedMs().getValueAsDouble();
      site.signature = info.getSignature().str();
    }
    for (Location inner : fused.getLocations())
      if (auto name = dyn_cast<NameLoc>(inner)) {
        site.node = name.getName().str();
        break;
      }
  }
  sites.push_back(std::move(site));
  // The site is an argument, not a template argument: calls of one kernel
  // share one instantiation of cleave::program::call (1,704 distinct ones
  // took DeepSpeech 2's 7.2 s to compile at -O1).
  SmallVector<Attribute> all = {builder.getI32IntegerAttr(sites.size() - 1),
                                literal(function)};
  llvm::append_range(all, args);
  Value status =
      call("cleave::program::call", opaque("cleave_status"), operands, all);
  call("CLEAVE_PROGRAM_CHECK", Type(), {status}, {builder.getIndexAttr(0)});
}

std::string ProgramEmitter::siteTable() const {
  std::string text = "{";
  for (const cleave_site &site : sites)
    text += "\n  {" + cStringLiteral(site.kernel) + ", " +
            cStringLiteral(site.op) + ", " + cStringLiteral(site.node) + ", " +
            cStringLiteral(site.shapes) + ", " + cStringLiteral(site.phase) +
            llvm::formatv(", {0}, {1}, {2}, {3}, {4}, {5:e6}, ", site.microbatch,
                          site.peer, site.tag, site.bytes, site.arenaInUse,
                          site.predictedMs)
                .str() +
            cStringLiteral(site.signature) + "},";
  if (sites.empty())
    text += "{nullptr, nullptr, nullptr, nullptr, nullptr, -1, -1, -1, 0, 0, "
            "0, nullptr}";
  return text + "\n}";
}

Value ProgramEmitter::tensorView(StringRef callee, Value base, ViewType type,
                                 Attribute where, bool withLayout) {
  RankedTensorType tensor = type.getTensorType();
  SmallVector<Attribute> args = {builder.getIndexAttr(0)};
  if (withLayout)
    args.push_back(literal(dtypeName(tensor.getElementType())));
  args.push_back(where);
  if (withLayout)
    args.push_back(literal(dimsList(tensor.getShape())));
  return call(callee, opaque("cleave_tensor"), {base}, args);
}

Attribute ProgramEmitter::argument(Attribute arg,
                                   SmallVectorImpl<Value> &operands) {
  if (isa<UnitAttr>(arg))
    return literal("nullptr");
  if (auto text = dyn_cast<StringAttr>(arg))
    return literal(text.getValue());
  if (auto list = dyn_cast<DenseI64ArrayAttr>(arg))
    return literal(llvm::formatv("std::array<int64_t, {0}>{1}", list.size(),
                                 dimsList(list.asArrayRef()))
                       .str());
  if (auto list = dyn_cast<DenseF32ArrayAttr>(arg)) {
    std::string text = "{";
    for (auto [i, v] : llvm::enumerate(list.asArrayRef()))
      text += (i ? ", " : "") + llvm::formatv("{0:e9}f", v).str();
    return literal(
        llvm::formatv("std::array<float, {0}>{1}", list.size(), text + "}")
            .str());
  }
  if (auto list = dyn_cast<ArrayAttr>(arg)) {
    SmallVector<Value> tensors;
    for (Attribute index : list)
      tensors.push_back(operands[cast<IntegerAttr>(index).getInt()]);
    operands.push_back(call(
        "cleave::program::tensors",
        opaque(llvm::formatv("std::array<const cleave_tensor *, {0}>",
                             list.size())
                   .str()),
        tensors, {}));
    return builder.getIndexAttr(operands.size() - 1);
  }
  return arg; // Operand indices, integers and floats as they are.
}

Value ProgramEmitter::lookup(Value value) {
  if (Value made = values.lookup(value))
    return made;
  Operation *view = value.getDefiningOp();
  if (!view || !isPure(view) || failed(emitView(*view)))
    return Value();
  return values.lookup(value);
}

LogicalResult ProgramEmitter::emitView(Operation &op) {
  auto i64 = [&](int64_t v) { return builder.getI64IntegerAttr(v); };
  return llvm::TypeSwitch<Operation *, LogicalResult>(&op)
      .Case([&](ArenaViewOp o) {
        values[o] = tensorView("cleave::program::view", arena, o.getType(),
                               i64(o.getOffset()), true);
        return success();
      })
      .Case([&](WeightsViewOp o) {
        values[o] = tensorView("cleave::program::view", weights, o.getType(),
                               i64(o.getOffset()), true);
        return success();
      })
      .Case([&](InputOp o) {
        values[o] = tensorView("cleave::program::at", inputs, o.getType(),
                               i64(o.getIndex()), false);
        return success();
      })
      .Case([&](OutputOp o) {
        values[o] = tensorView("cleave::program::at", outputs, o.getType(),
                               i64(o.getIndex()), false);
        return success();
      })
      .Case([&](WindowOp o) {
        SmallVector<Attribute> args;
        for (ArrayRef<int64_t> list :
             {o.getKernel(), o.getStrides(), o.getDilations(), o.getBegin(),
              o.getEnd()})
          args.push_back(literal(dimsList(list)));
        if (o.getChannelsLast())
          args.push_back(builder.getI32IntegerAttr(1));
        values[o] =
            call("cleave::program::window", opaque("cleave_window"), {}, args);
        return success();
      })
      .Default([&](Operation *other) {
        return other->emitError("is not a cleave_rt view");
      });
}

LogicalResult ProgramEmitter::emitCall(Operation &op) {
  for (Value operand : op.getOperands())
    if (!lookup(operand))
      return op.emitError("uses a value that is not a cleave_rt view");
  auto i32 = [&](int64_t v) { return builder.getI32IntegerAttr(v); };
  auto index = [&](int64_t v) { return builder.getIndexAttr(v); };
  auto lookup = [&](Value v) { return this->lookup(v); };
  return llvm::TypeSwitch<Operation *, LogicalResult>(&op)
      .Case([&](KernelOp o) {
        SmallVector<Value> operands =
            llvm::map_to_vector(o.getOperands(), lookup);
        SmallVector<Attribute> args = llvm::map_to_vector(
            o.getArgs(), [&](Attribute a) { return argument(a, operands); });
        checked(o, (kernels + o.getCallee()).str(), operands, args);
        return success();
      })
      .Case([&](SendOp o) {
        checked(o, (entry + "transport_send").str(), {lookup(o.getValue())},
                {index(0), i32(o.getPeer()), i32(o.getTag())});
        return success();
      })
      .Case([&](RecvOp o) {
        checked(o, (entry + "transport_recv").str(), {lookup(o.getValue())},
                {index(0), i32(o.getPeer()), i32(o.getTag())});
        return success();
      })
      .Case([&](RecvStartOp o) {
        checked(o, (entry + "transport_recv_start").str(),
                {lookup(o.getValue())},
                {index(0), i32(o.getPeer()), i32(o.getTag())});
        return success();
      })
      .Case([&](RecvWaitOp o) {
        checked(o, (entry + "transport_recv_wait").str(),
                {lookup(o.getValue())},
                {index(0), i32(o.getPeer()), i32(o.getTag())});
        return success();
      })
      .Case([&](SendDoneOp o) {
        checked(o, (entry + "transport_send_done").str(), {},
                {i32(o.getPeer()), i32(o.getTag())});
        return success();
      })
      .Case([&](WaitSendsOp o) {
        checked(o, (entry + "transport_wait_sends").str(), {}, {});
        return success();
      })
      .Case([&](AllReduceStartOp o) {
        for (Value view : o.getValues())
          checked(o, (entry + "transport_all_reduce_start").str(),
                  {lookup(view)}, {index(0)});
        return success();
      })
      .Case([&](AllReduceWaitOp o) {
        checked(o, (entry + "transport_all_reduce_wait").str(), {}, {});
        return success();
      })
      .Case([&](AllGatherOp o) {
        checked(o, (entry + "transport_all_gather").str(),
                {lookup(o.getInput()), lookup(o.getOutput())},
                {index(0), index(1)});
        return success();
      })
      .Case([&](ReduceScatterOp o) {
        checked(o, (entry + "transport_reduce_scatter").str(),
                {lookup(o.getInput()), lookup(o.getOutput())},
                {index(0), index(1)});
        return success();
      })
      .Case([&](BroadcastOp o) {
        checked(o, (entry + "transport_broadcast").str(), {lookup(o.getValue())},
                {index(0), i32(o.getRoot())});
        return success();
      })
      .Default([&](Operation *other) {
        return other->emitError("is not a cleave_rt op");
      });
}

/// The program's tables of inputs and outputs, its cleave_program, and a
/// `main` that hands it to the target's device main, as EmitC globals and
/// a function.
void ProgramEmitter::emitMain(ProgramOp program) {
  std::string name = program.getSymName().str();
  auto global = [&](StringRef symbol, Type type, const std::string &value) {
    emitc::GlobalOp::create(builder, loc, symbol, type, literal(value),
                            /*extern_specifier=*/false,
                            /*static_specifier=*/true,
                            /*const_specifier=*/true);
  };
  auto ioTable = [&](StringRef symbol, ArrayAttr entries) {
    std::string text = "{";
    for (IoAttr io : entries.getAsRange<IoAttr>()) {
      RankedTensorType type = io.getType();
      text += "\n  {" + cStringLiteral(io.getName().getValue()) + ", " +
              dtypeName(type.getElementType()) + ", " +
              std::to_string(type.getRank()) + ", " +
              dimsList(type.getShape()) + "},";
    }
    if (entries.empty())
      text += "{nullptr, CLEAVE_DTYPE_INVALID, 0, {}}";
    int64_t size = std::max<int64_t>(entries.size(), 1);
    global(symbol,
           emitc::ArrayType::get({size}, opaque("cleave_program_io")),
           text + "\n}");
  };
  global("kSites",
         emitc::ArrayType::get({std::max<int64_t>(sites.size(), 1)},
                               opaque("cleave_program_site")),
         siteTable());
  ioTable("kInputs", program.getInputs());
  ioTable("kOutputs", program.getOutputs());
  global("program", opaque("cleave_program"),
         "{" + cStringLiteral(name) + ", " +
             std::to_string(program.getArenaSize()) + ", " +
             std::to_string(program.getWeightsSize()) + ", " +
             std::to_string(program.getInputs().size()) + ", kInputs, " +
             std::to_string(program.getOutputs().size()) +
             ", kOutputs, cleave_run_" + name + ", " +
             std::to_string(program.getReplicas().value_or(1)) + ", " +
             std::to_string(sites.size()) + ", kSites}");

  Type intType = opaque("int");
  Type argvType = emitc::PointerType::get(
      emitc::PointerType::get(opaque("char")));
  auto main = emitc::FuncOp::create(
      builder, loc, "main", builder.getFunctionType({intType, argvType},
                                                    {intType}));
  Block *body = main.addEntryBlock();
  OpBuilder::InsertionGuard guard(builder);
  builder.setInsertionPointToStart(body);
  // A device of a multi-device bundle joins the MPI job first; a placement
  // on one device (without replicas) has no job to join.
  std::optional<uint64_t> device = program.getDevice();
  if (program.getReplicas().value_or(1) > 1)
    device = device.value_or(0);
  else if (alone && device.value_or(0) == 0)
    device.reset();
  SmallVector<Attribute> args = {builder.getIndexAttr(0),
                                 builder.getIndexAttr(1), literal("program")};
  if (device)
    args.push_back(builder.getI64IntegerAttr(*device));
  if (!entryArgs.empty())
    args.push_back(literal(entryArgs));
  Value rc = call((entry + (device ? "transport_device_main" : "device_main"))
                      .str(),
                  intType, body->getArguments(), args);
  emitc::ReturnOp::create(builder, loc, rc);
}

void ProgramEmitter::startPart(StringRef name, FunctionType type) {
  auto part = emitc::FuncOp::create(
      builder, loc, llvm::formatv("cleave_run_{0}_{1}", name, parts.size()).str(),
      type);
  part.setSpecifiersAttr(builder.getStrArrayAttr({"CLEAVE_PROGRAM_PART"}));
  parts.push_back(part);
  Block *body = part.addEntryBlock();
  arena = body->getArgument(0);
  weights = body->getArgument(1);
  inputs = body->getArgument(2);
  outputs = body->getArgument(3);
  values.clear();
  builder.setInsertionPointToStart(body);
}

void ProgramEmitter::finishPart() {
  Value ok = emitc::ConstantOp::create(builder, loc, opaque("cleave_status"),
                                       literal("nullptr"));
  emitc::ReturnOp::create(builder, loc, ok);
  builder.setInsertionPointAfter(parts.back());
}

LogicalResult ProgramEmitter::emit(ProgramOp program) {
  loc = program.getLoc();
  StringRef name = program.getSymName();
  Type tensorPtr = emitc::PointerType::get(opaque("const cleave_tensor"));
  auto type = builder.getFunctionType(
      {emitc::PointerType::get(opaque("char")),
       emitc::PointerType::get(opaque("const char")), tensorPtr, tensorPtr},
      {opaque("cleave_status")});
  // The calls, in parts; views are made in each part at their first use.
  size_t partStart = 0;
  for (Operation &op : program.getBody().front()) {
    if (isPure(&op))
      continue;
    if (parts.empty() ||
        sites.size() - partStart >= static_cast<size_t>(callsPerPart)) {
      if (!parts.empty())
        finishPart();
      startPart(name, type);
      partStart = sites.size();
    }
    if (failed(emitCall(op)))
      return failure();
  }
  if (!parts.empty())
    finishPart();
  // cleave_run_<name> runs the parts in turn.
  auto function = emitc::FuncOp::create(
      builder, loc, ("cleave_run_" + name).str(), type);
  Block *body = function.addEntryBlock();
  {
    OpBuilder::InsertionGuard guard(builder);
    builder.setInsertionPointToStart(body);
    for (emitc::FuncOp part : parts) {
      Value status = emitc::CallOp::create(builder, loc, part,
                                           body->getArguments())
                         .getResult(0);
      call("CLEAVE_PROGRAM_CHECK", Type(), {status}, {builder.getIndexAttr(0)});
    }
    Value ok = emitc::ConstantOp::create(builder, loc, opaque("cleave_status"),
                                         literal("nullptr"));
    emitc::ReturnOp::create(builder, loc, ok);
  }
  emitMain(program);
  return success();
}

struct ConvertRuntimeToEmitCPass
    : public cleave::impl::ConvertRuntimeToEmitCPassBase<
          ConvertRuntimeToEmitCPass> {
  using ConvertRuntimeToEmitCPassBase::ConvertRuntimeToEmitCPassBase;

  /// The target's header, then a pragma for GCC: a program is a long
  /// run of kernel calls on views whose addresses it takes, and GCC's
  /// points-to analysis and full redundancy elimination grow with them (a
  /// training step of 1,500 calls took 128 s to build at -O2, 9 s without
  /// points-to; of 14,000 calls in parts, 12.8 s at -O1, 9.9 s without
  /// FRE) while straight-line calls gain nothing from either.
  void emitPreamble(OpBuilder &builder, Location loc) {
    emitc::IncludeOp::create(builder, loc, header, /*is_standard=*/false);
    emitc::VerbatimOp::create(
        builder, loc,
        "#if defined(__GNUC__) && !defined(__clang__) && "
        "!defined(__CUDACC__)\n"
        "#pragma GCC optimize(\"no-tree-pta\", \"no-tree-fre\")\n"
        "#endif");
  }
  void runOnOperation() override {
    ModuleOp module = getOperation();
    OpBuilder builder(&getContext());
    // Each program is a C++ file with its own main.
    if (!filePerProgram &&
        std::distance(module.getOps<ProgramOp>().begin(),
                      module.getOps<ProgramOp>().end()) > 1) {
      module.emitError("several programs need file-per-program (each is a "
                       "C++ file with its own main)");
      return signalPassFailure();
    }
    if (!filePerProgram) {
      builder.setInsertionPointToStart(module.getBody());
      emitPreamble(builder, module.getLoc());
    }
    bool alone = std::distance(module.getOps<ProgramOp>().begin(),
                               module.getOps<ProgramOp>().end()) == 1;
    for (ProgramOp program :
         llvm::make_early_inc_range(module.getOps<ProgramOp>())) {
      builder.setInsertionPoint(program);
      if (filePerProgram) {
        auto file = emitc::FileOp::create(builder, program.getLoc(),
                                          program.getSymName());
        if (file.getBodyRegion().empty())
          file.getBodyRegion().emplaceBlock();
        builder.setInsertionPointToStart(&file.getBodyRegion().front());
        emitPreamble(builder, program.getLoc());
      }
      if (failed(ProgramEmitter(builder, kernels, entry, entryArgs, alone,
                                callsPerFunction)
                         .emit(program)))
        return signalPassFailure();
      program.erase();
    }
  }
};

} // namespace
