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
#include "cleave/Dialect/Cleave/IR/ConstantUtils.h"
#include "cleave/Dialect/Cleave/Transforms/Passes.h"
#include "mlir/Dialect/EmitC/IR/EmitC.h"
#include "mlir/Dialect/Func/IR/FuncOps.h"
#include "llvm/ADT/StringSwitch.h"
#include "llvm/ADT/TypeSwitch.h"
#include "llvm/Support/FormatVariadic.h"

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

std::string list(ArrayRef<int64_t> values) {
  std::string text = "{";
  for (auto [i, v] : llvm::enumerate(values))
    text += (i ? ", " : "") + std::to_string(v);
  return text + "}";
}

/// The padding ONNX's window attributes imply, resolved for oneDNN: auto_pad
/// splits the total padding; explicit pads keep their start, and the end
/// grows when ceil_mode asks for a last, partial window.
struct ResolvedWindow {
  SmallVector<int64_t> kernel, strides, dilations, begin, end;
};

/// The spatial dims of a [N, C, spatial...] or [N, spatial..., C] shape.
ArrayRef<int64_t> spatialDims(ShapedType type, bool channelsLast) {
  return channelsLast ? type.getShape().drop_front().drop_back()
                      : type.getShape().drop_front(2);
}

ResolvedWindow resolveWindow(ArrayRef<int64_t> in, ArrayRef<int64_t> out,
                             ArrayRef<int64_t> kernel,
                             std::optional<ArrayRef<int64_t>> strides,
                             std::optional<ArrayRef<int64_t>> dilations,
                             std::optional<ArrayRef<int64_t>> pads,
                             StringRef autoPad) {
  ResolvedWindow w;
  size_t rank = kernel.size();
  for (size_t i = 0; i < rank; ++i) {
    int64_t s = strides ? (*strides)[i] : 1;
    int64_t d = dilations ? (*dilations)[i] : 1;
    int64_t extent = (kernel[i] - 1) * d + 1;
    int64_t total = (out[i] - 1) * s + extent - in[i];
    int64_t begin, end;
    if (autoPad == "SAME_UPPER" || autoPad == "SAME_LOWER") {
      total = std::max<int64_t>(total, 0);
      int64_t small = total / 2;
      begin = autoPad == "SAME_UPPER" ? small : total - small;
      end = total - begin;
    } else if (autoPad == "VALID") {
      begin = 0;
      end = std::max<int64_t>(total, 0);
    } else {
      begin = pads ? (*pads)[i] : 0;
      end = std::max<int64_t>(pads ? (*pads)[i + rank] : 0, total - begin);
    }
    w.kernel.push_back(kernel[i]);
    w.strides.push_back(s);
    w.dilations.push_back(d);
    w.begin.push_back(begin);
    w.end.push_back(end);
  }
  return w;
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
  Value window(const ResolvedWindow &w, bool channelsLast = false) {
    SmallVector<Attribute> args = {
        literal(list(w.kernel)), literal(list(w.strides)),
        literal(list(w.dilations)), literal(list(w.begin)),
        literal(list(w.end))};
    if (channelsLast)
      args.push_back(builder.getI32IntegerAttr(1));
    return call("cleave::program::window", opaque("cleave_window"), {}, args);
  }
  /// Fails if any result past the first is used (outputs the CPU kernels
  /// do not compute, such as MaxPool's indices).
  LogicalResult onlyFirstResultUsed(Operation *op) {
    for (Value result : op->getResults().drop_front())
      if (!result.use_empty())
        return unsupported(op, "only its first output is computed");
    return success();
  }
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
  // Any element type: the runtime checks and picks oneDNN or a loop.
  // Variadic ops run as a chain in the output: out = in0 broadcast, then
  // out = out op in_i.
  auto binary = [&](StringRef name) -> LogicalResult {
    if (op->getNumOperands() == 2) {
      kernel("cleave::program::binary", {in(0), in(1), out},
             {literal(name), operand(0), operand(1), operand(2)});
      return success();
    }
    kernel("cleave::program::expand", {in(0), out}, {operand(0), operand(1)});
    for (unsigned i = 1; i < op->getNumOperands(); ++i)
      kernel("cleave::program::binary", {out, in(i), out},
             {literal(name), operand(0), operand(1), operand(2)});
    return success();
  };
  // callee(first, y, inputs...): helpers that take any number of inputs.
  auto variadic = [&](StringRef callee, Attribute first) -> LogicalResult {
    SmallVector<Value> operands = {out};
    SmallVector<Attribute> args = {first, operand(0)};
    for (unsigned i = 0; i < op->getNumOperands(); ++i) {
      operands.push_back(in(i));
      args.push_back(operand(i + 1));
    }
    kernel(callee, operands, args);
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
      .Case([&](SendOp o) {
        kernel("cleave::program::send", {in(0)},
               {operand(0), builder.getI64IntegerAttr(o.getPeer()),
                builder.getI64IntegerAttr(o.getTag())});
        return success();
      })
      .Case([&](RecvOp o) {
        kernel("cleave::program::recv", {out},
               {operand(0), builder.getI64IntegerAttr(o.getPeer()),
                builder.getI64IntegerAttr(o.getTag())});
        return success();
      })
      .Case([&](MatMulOp) -> LogicalResult {
        if (failed(f32Only()))
          return failure();
        kernel("cleave::program::matmul", {in(0), in(1), out},
               {operand(0), operand(1), operand(2)});
        return success();
      })
      .Case([&](ConvOp o) -> LogicalResult {
        if (failed(f32Only()))
          return failure();
        auto x = cast<ShapedType>(o.getX().getType());
        auto y = cast<ShapedType>(o.getY().getType());
        auto w = cast<ShapedType>(o.getW().getType());
        bool last = o.getChannelsLast();
        Value win = window(
            resolveWindow(spatialDims(x, last), spatialDims(y, last),
                          w.getShape().drop_front(2), o.getStrides(),
                          o.getDilations(), o.getPads(), o.getAutoPad()),
            last);
        // conv[_bias][_add](x, w, [b,] [z,] window, group, y[, lo, hi])
        SmallVector<Value> operands = {in(0), in(1)};
        std::string callee = "cleave::program::conv";
        if (!isNone(o.getB())) {
          operands.push_back(in(2));
          callee += "_bias";
        }
        if (o.getZ()) {
          operands.push_back(views.lookup(o.getZ()));
          callee += "_add";
        }
        operands.push_back(win);
        operands.push_back(out);
        SmallVector<Attribute> args;
        for (size_t i = 0; i + 1 < operands.size(); ++i)
          args.push_back(operand(i));
        args.push_back(builder.getI64IntegerAttr(o.getGroup()));
        args.push_back(operand(operands.size() - 1));
        if (std::optional<ArrayRef<float>> clip = o.getFusedClip())
          for (float bound : *clip)
            args.push_back(builder.getF32FloatAttr(bound));
        kernel(callee, operands, args);
        return success();
      })
      .Case([&](ConvTransposeOp o) -> LogicalResult {
        if (failed(f32Only()))
          return failure();
        auto x = cast<ShapedType>(o.getX().getType());
        auto y = cast<ShapedType>(o.getY().getType());
        auto w = cast<ShapedType>(o.getW().getType());
        int64_t rank = x.getRank() - 2;
        SmallVector<int64_t> kernelShape(w.getShape().drop_front(2));
        if (std::optional<ArrayRef<int64_t>> given = o.getKernelShape())
          kernelShape.assign(given->begin(), given->end());
        ResolvedWindow win;
        StringRef autoPad = o.getAutoPad();
        bool derived = o.getOutputShape().has_value() ||
                       autoPad == "SAME_UPPER" || autoPad == "SAME_LOWER";
        for (int64_t i = 0; i < rank; ++i) {
          int64_t s = o.getStrides() ? (*o.getStrides())[i] : 1;
          int64_t d = o.getDilations() ? (*o.getDilations())[i] : 1;
          int64_t extra = o.getOutputPadding() ? (*o.getOutputPadding())[i] : 0;
          int64_t extent = (kernelShape[i] - 1) * d + 1;
          int64_t begin = o.getPads() ? (*o.getPads())[i] : 0;
          if (autoPad == "VALID")
            begin = 0;
          if (derived) {
            // ONNX: total padding from the output size, split at the start
            // (SAME_UPPER) or at the end (otherwise).
            int64_t total = s * (x.getDimSize(i + 2) - 1) + extra + extent -
                            y.getDimSize(i + 2);
            // Floor division, as ONNX's definition (a negative total means
            // the output is longer than the input covers).
            int64_t half = total >= 0 ? total / 2 : -((-total + 1) / 2);
            begin = autoPad == "SAME_UPPER" ? half : total - half;
          }
          win.kernel.push_back(kernelShape[i]);
          win.strides.push_back(s);
          win.dilations.push_back(d);
          win.begin.push_back(begin);
          win.end.push_back(0);
        }
        Value windowValue = window(win);
        Attribute group = builder.getI64IntegerAttr(o.getGroup());
        if (isNone(o.getB()))
          kernel("cleave::program::conv_transpose",
                 {in(0), in(1), windowValue, out},
                 {operand(0), operand(1), operand(2), group, operand(3)});
        else
          kernel("cleave::program::conv_transpose_bias",
                 {in(0), in(1), in(2), windowValue, out},
                 {operand(0), operand(1), operand(2), operand(3), group,
                  operand(4)});
        return success();
      })
      .Case([&](LRNOp o) -> LogicalResult {
        if (failed(f32Only()))
          return failure();
        kernel("cleave::program::lrn", {in(0), out},
               {operand(0),
                builder.getF32FloatAttr(o.getAlpha().convertToFloat()),
                builder.getF32FloatAttr(o.getBeta().convertToFloat()),
                builder.getF32FloatAttr(o.getBias().convertToFloat()),
                builder.getI64IntegerAttr((int64_t)o.getSize()), operand(1)});
        return success();
      })
      .Case([&](TopKOp o) -> LogicalResult {
        // Both outputs are computed; unused ones still need a buffer.
        Value indices = views.lookup(o.getIndices());
        if (!out || !indices)
          return unsupported(op, "both outputs need a buffer");
        int64_t rank = cast<ShapedType>(o.getX().getType()).getRank();
        int64_t axis = (int64_t)o.getAxis();
        if (axis < 0)
          axis += rank;
        kernel("cleave::program::top_k", {in(0), out, indices},
               {operand(0), builder.getI32IntegerAttr((int32_t)axis),
                builder.getI32IntegerAttr(o.getLargest() ? 1 : 0), operand(1),
                operand(2)});
        return success();
      })
      .Case([&](InstanceNormalizationOp o) -> LogicalResult {
        if (failed(f32Only()))
          return failure();
        kernel("cleave::program::instance_norm", {in(0), in(1), in(2), out},
               {operand(0), operand(1), operand(2),
                builder.getF32FloatAttr(o.getEpsilon().convertToFloat()),
                operand(3)});
        return success();
      })
      .Case([&](NotOp) {
        kernel("cleave::program::logical_not", {in(0), out},
               {operand(0), operand(1)});
        return success();
      })
      .Case([&](MaxPoolOp o) -> LogicalResult {
        if (failed(onlyFirstResultUsed(op)) || failed(f32Only()))
          return failure();
        if (o.getStorageOrder() != 0)
          return unsupported(op, "storage_order=1 is not supported");
        auto x = cast<ShapedType>(o.getX().getType());
        auto y = cast<ShapedType>(o.getY().getType());
        bool last = o.getChannelsLast();
        Value win = window(
            resolveWindow(spatialDims(x, last), spatialDims(y, last),
                          *o.getKernelShape(), o.getStrides(),
                          o.getDilations(), o.getPads(), o.getAutoPad()),
            last);
        kernel(
            "cleave::program::pool", {in(0), win, out},
            {literal("CLEAVE_POOL_MAX"), operand(0), operand(1), operand(2)});
        return success();
      })
      .Case([&](AveragePoolOp o) -> LogicalResult {
        if (failed(f32Only()))
          return failure();
        auto x = cast<ShapedType>(o.getX().getType());
        auto y = cast<ShapedType>(o.getY().getType());
        bool last = o.getChannelsLast();
        Value win = window(
            resolveWindow(spatialDims(x, last), spatialDims(y, last),
                          *o.getKernelShape(), o.getStrides(),
                          o.getDilations(), o.getPads(), o.getAutoPad()),
            last);
        kernel("cleave::program::pool", {in(0), win, out},
               {literal(o.getCountIncludePad() ? "CLEAVE_POOL_AVG_INCLUDE_PAD"
                                               : "CLEAVE_POOL_AVG_EXCLUDE_PAD"),
                operand(0), operand(1), operand(2)});
        return success();
      })
      .Case<GlobalAveragePoolOp, GlobalMaxPoolOp>([&](Operation *) {
        if (failed(f32Only()))
          return failure();
        ArrayRef<int64_t> spatial =
            cast<ShapedType>(op->getOperand(0).getType())
                .getShape()
                .drop_front(2);
        SmallVector<int64_t> ones(spatial.size(), 1), zeros(spatial.size(), 0);
        Value win =
            window({SmallVector<int64_t>(spatial), ones, ones, zeros, zeros});
        kernel(
            "cleave::program::pool", {in(0), win, out},
            {literal(isa<GlobalMaxPoolOp>(op) ? "CLEAVE_POOL_MAX"
                                              : "CLEAVE_POOL_AVG_EXCLUDE_PAD"),
             operand(0), operand(1), operand(2)});
        return success();
      })
      .Case([&](BatchNormalizationOp o) -> LogicalResult {
        if (failed(f32Only()) || failed(onlyFirstResultUsed(op)))
          return failure();
        if (o.getTrainingMode())
          return unsupported(op, "training mode is not supported");
        kernel("cleave::program::batch_norm",
               {in(0), in(1), in(2), in(3), in(4), out},
               {operand(0), operand(1), operand(2), operand(3), operand(4),
                builder.getF32FloatAttr(o.getEpsilon().convertToFloat()),
                operand(5)});
        return success();
      })
      .Case([&](GemmOp o) -> LogicalResult {
        if (failed(f32Only()))
          return failure();
        Attribute alpha =
            builder.getF32FloatAttr(o.getAlpha().convertToFloat());
        Attribute transA = builder.getI32IntegerAttr(o.getTransA());
        Attribute transB = builder.getI32IntegerAttr(o.getTransB());
        if (isNone(o.getC()))
          kernel("cleave::program::gemm", {in(0), in(1), out},
                 {operand(0), operand(1), alpha, transA, transB, operand(2)});
        else
          kernel("cleave::program::gemm_c", {in(0), in(1), in(2), out},
                 {operand(0), operand(1), operand(2), alpha,
                  builder.getF32FloatAttr(o.getBeta().convertToFloat()), transA,
                  transB, operand(3)});
        return success();
      })
      .Case([&](ClipOp o) -> LogicalResult {
        auto bound = [&](Value v, float fallback) -> std::optional<float> {
          if (isNone(v))
            return fallback;
          std::optional<SmallVector<double>> value = getConstantFloats(v);
          if (!value || value->size() != 1)
            return std::nullopt;
          return (float)(*value)[0];
        };
        std::optional<float> lo = bound(o.getMin(), -INFINITY);
        std::optional<float> hi = bound(o.getMax(), INFINITY);
        auto type = cast<ShapedType>(o.getType());
        if (lo && hi && type.getElementType().isF32())
          return unary("CLEAVE_UNARY_CLIP", *lo, *hi);
        // Other types, or bounds known at run time: y = x, then
        // y = max(y, min), y = min(y, max) (binary kernels of any type).
        kernel("cleave::program::expand", {in(0), out},
               {operand(0), operand(1)});
        if (!isNone(o.getMin()))
          kernel("cleave::program::binary", {out, in(1), out},
                 {literal("CLEAVE_BINARY_MAX"), operand(0), operand(1),
                  operand(2)});
        if (!isNone(o.getMax()))
          kernel("cleave::program::binary", {out, in(2), out},
                 {literal("CLEAVE_BINARY_MIN"), operand(0), operand(1),
                  operand(2)});
        return success();
      })
      .Case([&](CeilOp) { return unary("CLEAVE_UNARY_CEIL"); })
      .Case([&](FloorOp) { return unary("CLEAVE_UNARY_FLOOR"); })
      .Case([&](CosOp) { return unary("CLEAVE_UNARY_COS"); })
      .Case([&](SinOp) { return unary("CLEAVE_UNARY_SIN"); })
      .Case([&](ErfOp) { return unary("CLEAVE_UNARY_ERF"); })
      .Case([&](ReciprocalOp) { return unary("CLEAVE_UNARY_RECIPROCAL"); })
      .Case([&](RoundOp) { return unary("CLEAVE_UNARY_ROUND"); })
      .Case([&](SignOp) { return unary("CLEAVE_UNARY_SIGN"); })
      .Case([&](SoftplusOp) { return unary("CLEAVE_UNARY_SOFTPLUS"); })
      .Case([&](SoftsignOp) { return unary("CLEAVE_UNARY_SOFTSIGN"); })
      .Case([&](HardSwishOp) { return unary("CLEAVE_UNARY_HARD_SWISH"); })
      .Case([&](SeluOp o) {
        return unary("CLEAVE_UNARY_SELU", o.getAlpha().convertToFloat(),
                     o.getGamma().convertToFloat());
      })
      .Case<ReduceSumOp, ReduceMeanOp, ReduceMaxOp, ReduceMinOp, ReduceProdOp,
            ReduceL2Op, ReduceSumSquareOp, ReduceLogSumExpOp>(
          [&](Operation *) -> LogicalResult {
            StringRef name =
                llvm::TypeSwitch<Operation *, StringRef>(op)
                    .Case([](ReduceSumOp) { return "CLEAVE_REDUCE_SUM"; })
                    .Case([](ReduceMeanOp) { return "CLEAVE_REDUCE_MEAN"; })
                    .Case([](ReduceMaxOp) { return "CLEAVE_REDUCE_MAX"; })
                    .Case([](ReduceMinOp) { return "CLEAVE_REDUCE_MIN"; })
                    .Case([](ReduceProdOp) { return "CLEAVE_REDUCE_PROD"; })
                    .Case([](ReduceL2Op) { return "CLEAVE_REDUCE_L2"; })
                    .Case([](ReduceSumSquareOp) {
                      return "CLEAVE_REDUCE_SUM_SQUARE";
                    })
                    .Default([](Operation *) {
                      return "CLEAVE_REDUCE_LOG_SUM_EXP";
                    });
            // The kernel wants the kept-dims shape; the bytes are the same.
            auto x = cast<ShapedType>(op->getOperand(0).getType());
            auto y = cast<ShapedType>(op->getResult(0).getType());
            SmallVector<int64_t> kept(x.getShape());
            Value axes = op->getOperand(1);
            bool noop = op->getAttrOfType<IntegerAttr>("noop_with_empty_axes")
                            .getInt() != 0;
            std::optional<SmallVector<int64_t>> axisValues;
            if (!isNone(axes))
              axisValues = getConstantInts(axes);
            if (!isNone(axes) && !axisValues)
              return unsupported(op, "axes must be a constant");
            if ((!axisValues || axisValues->empty()) && noop) {
              kernel("cleave::program::copy", {in(0), out},
                     {operand(0), operand(1)});
              return success();
            }
            if (!axisValues || axisValues->empty())
              kept.assign(x.getRank(), 1);
            else
              for (int64_t a : *axisValues)
                kept[a < 0 ? a + x.getRank() : a] = 1;
            auto keptType = RankedTensorType::get(kept, y.getElementType());
            auto offsets =
                op->getAttrOfType<DenseI64ArrayAttr>(kArenaOffsetsAttr);
            Value keptView = view(arena, keptType, offsets[0]);
            kernel("cleave::program::reduce", {in(0), keptView},
                   {literal(name), operand(0), operand(1)});
            return success();
          })
      .Case([&](TransposeOp o) -> LogicalResult {
        int64_t rank = cast<ShapedType>(o.getData().getType()).getRank();
        SmallVector<int64_t> perm;
        if (std::optional<ArrayRef<int64_t>> given = o.getPerm())
          perm.assign(given->begin(), given->end());
        else
          for (int64_t i = rank - 1; i >= 0; --i)
            perm.push_back(i);
        kernel("cleave::program::transpose", {in(0), out},
               {operand(0), literal(list(perm)), operand(1)});
        return success();
      })
      .Case([&](EinsumOp o) -> LogicalResult {
        return variadic("cleave::program::einsum",
                        literal(cString(o.getEquation())));
      })
      .Case([&](ConcatOp o) -> LogicalResult {
        int64_t rank = cast<ShapedType>(o.getType()).getRank();
        int64_t axis = (int64_t)o.getAxis();
        if (axis < 0)
          axis += rank;
        return variadic("cleave::program::concat",
                        builder.getI32IntegerAttr(axis));
      })
      .Case([&](LayerNormalizationOp o) -> LogicalResult {
        if (failed(f32Only()))
          return failure();
        bool stats = !o.getMean().use_empty() || !o.getInvStdDev().use_empty();
        auto x = cast<ShapedType>(o.getX().getType());
        int64_t axis = (int64_t)o.getAxis();
        if (axis < 0)
          axis += x.getRank();
        int64_t cols = 1;
        for (int64_t i = axis; i < x.getRank(); ++i)
          cols *= x.getDimSize(i);
        auto covers = [&](Value v) {
          return cast<ShapedType>(v.getType()).getNumElements() == cols;
        };
        if (!covers(o.getScale()) || (!isNone(o.getB()) && !covers(o.getB())))
          return unsupported(op, "scale and bias must cover the normalised "
                                 "axes");
        Attribute axisAttr = builder.getI32IntegerAttr(axis);
        Attribute epsilon =
            builder.getF32FloatAttr(o.getEpsilon().convertToFloat());
        bool bias = !isNone(o.getB());
        SmallVector<Value> operands = {in(0), in(1)};
        if (bias)
          operands.push_back(in(2));
        operands.push_back(out);
        if (stats) {
          operands.push_back(views.lookup(o.getMean()));
          operands.push_back(views.lookup(o.getInvStdDev()));
        }
        // The inputs, then the axis and epsilon literals, then the outputs.
        unsigned inputs = bias ? 3 : 2;
        SmallVector<Attribute> args;
        for (unsigned i = 0; i < inputs; ++i)
          args.push_back(operand(i));
        args.push_back(axisAttr);
        args.push_back(epsilon);
        for (unsigned i = inputs; i < operands.size(); ++i)
          args.push_back(operand(i));
        StringRef callee =
            stats ? (bias ? "cleave::program::layer_norm_bias_stats"
                          : "cleave::program::layer_norm_stats")
                  : (bias ? "cleave::program::layer_norm_bias"
                          : "cleave::program::layer_norm");
        kernel(callee, operands, args);
        return success();
      })
      .Case([&](SliceOp o) -> LogicalResult {
        auto x = cast<ShapedType>(o.getData().getType());
        int64_t rank = x.getRank();
        std::optional<SmallVector<int64_t>> starts =
            getConstantInts(o.getStarts());
        std::optional<SmallVector<int64_t>> ends = getConstantInts(o.getEnds());
        std::optional<SmallVector<int64_t>> axes =
            isNone(o.getAxes()) ? std::nullopt : getConstantInts(o.getAxes());
        std::optional<SmallVector<int64_t>> steps =
            isNone(o.getSteps()) ? std::nullopt : getConstantInts(o.getSteps());
        if (!starts || !ends || (!isNone(o.getAxes()) && !axes) ||
            (!isNone(o.getSteps()) && !steps))
          return unsupported(op, "starts, ends, axes and steps must be "
                                 "constants");
        SmallVector<int64_t> first(rank, 0), step(rank, 1);
        for (size_t i = 0; i < starts->size(); ++i) {
          int64_t axis = axes ? (*axes)[i] : (int64_t)i;
          if (axis < 0)
            axis += rank;
          SliceAxis s = computeSliceAxis(x.getDimSize(axis), (*starts)[i],
                                         (*ends)[i], steps ? (*steps)[i] : 1);
          first[axis] = s.start;
          step[axis] = s.step;
        }
        kernel("cleave::program::slice", {in(0), out},
               {operand(0), literal(list(first)), literal(list(step)),
                operand(1)});
        return success();
      })
      .Case([&](SplitOp o) -> LogicalResult {
        auto x = cast<ShapedType>(o.getInput().getType());
        int64_t axis = (int64_t)o.getAxis();
        if (axis < 0)
          axis += x.getRank();
        SmallVector<int64_t> first(x.getRank(), 0), step(x.getRank(), 1);
        for (Value result : o.getOutputs()) {
          kernel("cleave::program::slice", {in(0), views.lookup(result)},
                 {operand(0), literal(list(first)), literal(list(step)),
                  operand(1)});
          first[axis] += cast<ShapedType>(result.getType()).getDimSize(axis);
        }
        return success();
      })
      .Case([&](GatherOp o) -> LogicalResult {
        int64_t rank = cast<ShapedType>(o.getData().getType()).getRank();
        int64_t axis = (int64_t)o.getAxis();
        kernel("cleave::program::gather", {in(0), in(1), out},
               {operand(0), operand(1),
                builder.getI32IntegerAttr(axis < 0 ? axis + rank : axis),
                operand(2)});
        return success();
      })
      .Case([&](ExpandOp) {
        kernel("cleave::program::expand", {in(0), out},
               {operand(0), operand(1)});
        return success();
      })
      .Case([&](TileOp) {
        kernel("cleave::program::tile", {in(0), out}, {operand(0), operand(1)});
        return success();
      })
      .Case([&](WhereOp) {
        kernel("cleave::program::where", {in(0), in(1), in(2), out},
               {operand(0), operand(1), operand(2), operand(3)});
        return success();
      })
      .Case([&](CastOp) {
        kernel("cleave::program::cast", {in(0), out}, {operand(0), operand(1)});
        return success();
      })
      .Case([&](PadOp o) -> LogicalResult {
        auto x = cast<ShapedType>(o.getData().getType());
        int64_t rank = x.getRank();
        std::optional<SmallVector<int64_t>> pads = getConstantInts(o.getPads());
        std::optional<SmallVector<int64_t>> axes =
            isNone(o.getAxes()) ? std::nullopt : getConstantInts(o.getAxes());
        if (!pads || (!isNone(o.getAxes()) && !axes))
          return unsupported(op, "pads and axes must be constants");
        SmallVector<int64_t> begin(rank, 0);
        size_t count = pads->size() / 2;
        for (size_t i = 0; i < count; ++i) {
          int64_t axis = axes ? (*axes)[i] : (int64_t)i;
          begin[axis < 0 ? axis + rank : axis] = (*pads)[i];
        }
        StringRef mode = o.getMode();
        StringRef kind = mode == "constant"  ? "CLEAVE_PAD_CONSTANT"
                         : mode == "edge"    ? "CLEAVE_PAD_EDGE"
                         : mode == "reflect" ? "CLEAVE_PAD_REFLECT"
                                             : "";
        if (kind.empty())
          return unsupported(op, "pad mode '" + mode + "' is not supported");
        double value = 0;
        if (!isNone(o.getConstantValue())) {
          std::optional<SmallVector<double>> v =
              getConstantFloats(o.getConstantValue());
          if (!v || v->size() != 1)
            return unsupported(op, "constant_value must be a constant");
          value = (*v)[0];
        }
        kernel("cleave::program::pad", {in(0), out},
               {operand(0), literal(list(begin)), literal(kind),
                builder.getF64FloatAttr(value), operand(1)});
        return success();
      })
      .Case<EqualOp, LessOp, LessOrEqualOp, GreaterOp, GreaterOrEqualOp>(
          [&](Operation *) {
            StringRef name =
                llvm::TypeSwitch<Operation *, StringRef>(op)
                    .Case([](EqualOp) { return "CLEAVE_COMPARE_EQUAL"; })
                    .Case([](LessOp) { return "CLEAVE_COMPARE_LESS"; })
                    .Case([](LessOrEqualOp) {
                      return "CLEAVE_COMPARE_LESS_OR_EQUAL";
                    })
                    .Case([](GreaterOp) { return "CLEAVE_COMPARE_GREATER"; })
                    .Default([](Operation *) {
                      return "CLEAVE_COMPARE_GREATER_OR_EQUAL";
                    });
            kernel("cleave::program::compare", {in(0), in(1), out},
                   {literal(name), operand(0), operand(1), operand(2)});
            return success();
          })
      .Case([&](GatherElementsOp o) {
        int64_t rank = cast<ShapedType>(o.getData().getType()).getRank();
        int64_t axis = (int64_t)o.getAxis();
        kernel("cleave::program::gather_elements", {in(0), in(1), out},
               {operand(0), operand(1),
                builder.getI32IntegerAttr(axis < 0 ? axis + rank : axis),
                operand(2)});
        return success();
      })
      .Case([&](TriluOp o) -> LogicalResult {
        int64_t k = 0;
        if (!isNone(o.getK())) {
          std::optional<SmallVector<int64_t>> value = getConstantInts(o.getK());
          if (!value || value->size() != 1)
            return unsupported(op, "k must be a constant");
          k = (*value)[0];
        }
        kernel("cleave::program::trilu", {in(0), out},
               {operand(0), builder.getI64IntegerAttr(k),
                builder.getI32IntegerAttr(o.getUpper() != 0), operand(1)});
        return success();
      })
      .Case([&](CumSumOp o) -> LogicalResult {
        std::optional<SmallVector<int64_t>> axis = getConstantInts(o.getAxis());
        if (!axis || axis->size() != 1)
          return unsupported(op, "axis must be a constant");
        int64_t rank = cast<ShapedType>(o.getX().getType()).getRank();
        int64_t a = (*axis)[0] < 0 ? (*axis)[0] + rank : (*axis)[0];
        kernel("cleave::program::cumsum", {in(0), out},
               {operand(0), builder.getI32IntegerAttr(a),
                builder.getI32IntegerAttr(o.getExclusive() != 0),
                builder.getI32IntegerAttr(o.getReverse() != 0), operand(1)});
        return success();
      })
      .Case([&](ResizeOp o) -> LogicalResult {
        if (!o.getX().getType().getElementType().isF32())
          return unsupported(op, "only f32 kernels exist so far");
        StringRef mode = o.getMode(),
                  coords = o.getCoordinateTransformationMode();
        StringRef coordName =
            llvm::StringSwitch<StringRef>(coords)
                .Case("half_pixel", "CLEAVE_RESIZE_HALF_PIXEL")
                .Case("pytorch_half_pixel", "CLEAVE_RESIZE_PYTORCH_HALF_PIXEL")
                .Case("align_corners", "CLEAVE_RESIZE_ALIGN_CORNERS")
                .Case("asymmetric", "CLEAVE_RESIZE_ASYMMETRIC")
                .Case("tf_half_pixel_for_nn",
                      "CLEAVE_RESIZE_TF_HALF_PIXEL_FOR_NN")
                .Default("");
        StringRef nearestName =
            llvm::StringSwitch<StringRef>(o.getNearestMode())
                .Case("round_prefer_floor", "CLEAVE_NEAREST_ROUND_PREFER_FLOOR")
                .Case("round_prefer_ceil", "CLEAVE_NEAREST_ROUND_PREFER_CEIL")
                .Case("floor", "CLEAVE_NEAREST_FLOOR")
                .Case("ceil", "CLEAVE_NEAREST_CEIL")
                .Default("");
        if ((mode != "nearest" && mode != "linear" && mode != "cubic") ||
            coordName.empty() ||
            nearestName.empty() || o.getAntialias())
          return unsupported(op, "mode '" + mode + "' with coordinates '" +
                                     coords + "' is not supported");
        auto x = cast<ShapedType>(o.getX().getType());
        auto y = cast<ShapedType>(o.getY().getType());
        int64_t rank = x.getRank();
        SmallVector<int64_t> axes;
        if (std::optional<ArrayRef<int64_t>> given = o.getAxes())
          for (int64_t a : *given)
            axes.push_back(a < 0 ? a + rank : a);
        else
          for (int64_t a = 0; a < rank; ++a)
            axes.push_back(a);
        // One scale per axis: the given scales, or output / input.
        SmallVector<double> scales(rank, 1.0);
        std::optional<SmallVector<double>> given;
        if (isNone(o.getSizes()) && !isNone(o.getScales()))
          given = getConstantFloats(o.getScales());
        for (auto [i, axis] : llvm::enumerate(axes))
          scales[axis] = given ? (*given)[i]
                               : (double)y.getDimSize(axis) /
                                     std::max<int64_t>(x.getDimSize(axis), 1);
        if (o.getKeepAspectRatioPolicy() != "stretch" && !given) {
          // Sizes under an aspect-ratio policy: one scale for all the axes.
          double scale =
              o.getKeepAspectRatioPolicy() == "not_larger" ? 1e300 : 0;
          std::optional<SmallVector<int64_t>> sizes =
              getConstantInts(o.getSizes());
          if (!sizes)
            return unsupported(op, "sizes must be a constant");
          for (auto [i, axis] : llvm::enumerate(axes)) {
            double s = (double)(*sizes)[i] / x.getDimSize(axis);
            scale = o.getKeepAspectRatioPolicy() == "not_larger"
                        ? std::min(scale, s)
                        : std::max(scale, s);
          }
          for (int64_t axis : axes)
            scales[axis] = scale;
        }
        std::string text = "{";
        for (auto [i, v] : llvm::enumerate(scales))
          text += (i ? ", " : "") + llvm::formatv("{0:e9}f", (float)v).str();
        text += "}";
        if (mode == "cubic")
          kernel("cleave::program::resize_cubic", {in(0), out},
                 {operand(0), literal(text), literal(coordName),
                  builder.getF32FloatAttr(o.getCubicCoeffA().convertToFloat()),
                  builder.getI32IntegerAttr(o.getExcludeOutside() ? 1 : 0),
                  operand(1)});
        else
          kernel("cleave::program::resize", {in(0), out},
                 {operand(0), literal(text),
                  builder.getI32IntegerAttr(mode == "linear"),
                  literal(coordName), literal(nearestName), operand(1)});
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
      .Case([&](SumOp) { return binary("CLEAVE_BINARY_ADD"); })
      .Case([&](MeanOp) -> LogicalResult {
        if (failed(f32Only()) || failed(binary("CLEAVE_BINARY_ADD")))
          return failure();
        kernel("cleave::program::unary", {out, out},
               {literal("CLEAVE_UNARY_LINEAR"),
                builder.getF32FloatAttr(1.0f / op->getNumOperands()),
                builder.getF32FloatAttr(0.0f), operand(0), operand(1)});
        return success();
      })
      .Case([&](PowOp) { return binary("CLEAVE_BINARY_POW"); })
      .Case([&](ModOp o) {
        return binary(o.getFmod() ? "CLEAVE_BINARY_FMOD" : "CLEAVE_BINARY_MOD");
      })
      .Case([&](PReluOp) { return binary("CLEAVE_BINARY_PRELU"); })
      .Case([&](AndOp) { return binary("CLEAVE_BINARY_AND"); })
      .Case([&](OrOp) { return binary("CLEAVE_BINARY_OR"); })
      .Case([&](XorOp) { return binary("CLEAVE_BINARY_XOR"); })
      .Case<ArgMaxOp, ArgMinOp>([&](Operation *) -> LogicalResult {
        auto x = cast<ShapedType>(op->getOperand(0).getType());
        if (!x.getElementType().isF32())
          return unsupported(op, "only f32 kernels exist so far");
        int64_t axis = op->getAttrOfType<IntegerAttr>("axis").getInt();
        if (axis < 0)
          axis += x.getRank();
        SmallVector<int64_t> kept(x.getShape());
        kept[axis] = 1;
        auto keptType = RankedTensorType::get(
            kept,
            cast<ShapedType>(op->getResult(0).getType()).getElementType());
        auto offsets = op->getAttrOfType<DenseI64ArrayAttr>(kArenaOffsetsAttr);
        Value keptView = view(arena, keptType, offsets[0]);
        bool selectLast =
            op->getAttrOfType<IntegerAttr>("select_last_index").getInt() != 0;
        kernel("cleave::program::arg_reduce", {in(0), keptView},
               {operand(0), builder.getI32IntegerAttr(axis),
                builder.getI32IntegerAttr(isa<ArgMaxOp>(op)),
                builder.getI32IntegerAttr(selectLast), operand(1)});
        return success();
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
    if (!op.getResultTypes().empty() &&
        dtypeName(op.getResultTypes().front()).empty())
      return op.emitError("has an element type the runtime does not know");
    if (failed(lowerOp(&op)))
      return failure();
  }
  // Sent tensors stay alive until here (the memory plan ensures it).
  if (!function.getOps<SendOp>().empty())
    kernel("cleave::program::wait_sends", {}, {});
  Value ok = emitc::ConstantOp::create(builder, loc, opaque("cleave_status"),
                                       literal("nullptr"));
  emitc::ReturnOp::create(builder, loc, ok);
  return success();
}

/// The table of inputs and outputs and `main`, as C++ text. `precision` is
/// the CUDA runtime's enumerator, or empty for the CPU target.
std::string programTable(func::FuncOp function, StringRef programName,
                         StringRef precision) {
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
          "};\n";
  // A device of a multi-device bundle (cleave-split-devices) joins the
  // MPI job first.
  std::string cuda = precision.empty() ? "" : "cuda_";
  std::string extra = precision.empty() ? "" : ", " + precision.str();
  if (auto device = function->getAttrOfType<IntegerAttr>("cleave.device"))
    text += "  return cleave_" + cuda +
            "transport_device_main(argc, argv, program, " +
            std::to_string(device.getInt()) + extra + ");\n}\n";
  else
    text += "  return cleave_" + cuda + "device_main(argc, argv, program" +
            extra + ");\n}\n";
  return text;
}

struct ConvertCleaveToEmitCPass
    : public cleave::impl::ConvertCleaveToEmitCPassBase<
          ConvertCleaveToEmitCPass> {
  using ConvertCleaveToEmitCPassBase::ConvertCleaveToEmitCPassBase;
  void runOnOperation() override {
    ModuleOp module = getOperation();
    std::string precisionName;
    if (target == "cuda") {
      precisionName = llvm::StringSwitch<std::string>(precision)
                          .Case("fp32", "CLEAVE_PRECISION_FP32")
                          .Case("tf32", "CLEAVE_PRECISION_TF32")
                          .Case("fp16", "CLEAVE_PRECISION_FP16")
                          .Case("bf16", "CLEAVE_PRECISION_BF16")
                          .Default("");
      if (precisionName.empty()) {
        module.emitError() << "unknown precision '" << precision
                           << "'; expected fp32, tf32, fp16 or bf16";
        return signalPassFailure();
      }
    } else if (target != "cpu") {
      module.emitError() << "unknown target '" << target
                         << "'; expected cpu or cuda";
      return signalPassFailure();
    }
    OpBuilder builder(&getContext());
    StringRef header = target == "cuda" ? "cleave/Runtime/CudaProgram.h"
                                        : "cleave/Runtime/Program.h";
    if (!filePerFunction) {
      builder.setInsertionPointToStart(module.getBody());
      emitc::IncludeOp::create(builder, module.getLoc(), header,
                               /*is_standard=*/false);
    }
    for (func::FuncOp function :
         llvm::make_early_inc_range(module.getOps<func::FuncOp>())) {
      builder.setInsertionPoint(function);
      if (filePerFunction) {
        auto file = emitc::FileOp::create(builder, function.getLoc(),
                                          function.getName());
        if (file.getBodyRegion().empty())
          file.getBodyRegion().emplaceBlock();
        builder.setInsertionPointToStart(&file.getBodyRegion().front());
        emitc::IncludeOp::create(builder, function.getLoc(), header,
                                 /*is_standard=*/false);
      }
      if (failed(FunctionLowering(function, builder).run()))
        return signalPassFailure();
      emitc::VerbatimOp::create(builder, function.getLoc(),
                                programTable(function, function.getName(),
                                             precisionName));
      function.erase();
    }
  }
};

} // namespace
