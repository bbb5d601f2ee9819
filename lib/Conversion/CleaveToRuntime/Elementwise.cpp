//===- Elementwise.cpp - unary, binary and comparison kernels -------------===//
//
// Ops whose ODS definition names a kernel enumerator (KernelOpInterface)
// lower by family: CLEAVE_UNARY_* to the unary kernel (with the op's two
// scalars), CLEAVE_BINARY_* to the binary kernel (any type; variadic
// ops chain it through the output), CLEAVE_COMPARE_* to the comparison.
//
//===----------------------------------------------------------------------===//

#include "Lowering.h"
#include "cleave/Dialect/Cleave/IR/ConstantUtils.h"

using namespace mlir;
using namespace cleave::graph;

namespace cleave::lowering {

namespace {

/// The op's kernel enumerator if it starts with `prefix`, else "".
StringRef kernelOf(Operation *op, StringRef prefix) {
  auto kernel = dyn_cast<KernelOpInterface>(op);
  StringRef name = kernel ? kernel.getRuntimeKernel() : "";
  return name.starts_with(prefix) ? name : "";
}

/// The unary kernel runs f32, f16 and bf16 (through f32), and integers for
/// the ops whose ODS type admits them.
LogicalResult unary(Operation *op, ProgramBuilder &p, StringRef name,
                    float alpha, float beta) {
  Type element = cast<ShapedType>(op->getResult(0).getType()).getElementType();
  bool integer = element.isInteger() && !element.isInteger(1);
  if (!element.isF32() && !element.isF16() && !element.isBF16() && !integer) {
    std::string type;
    llvm::raw_string_ostream(type) << element;
    return p.unsupported(op, "the unary kernel runs f32, f16, bf16 and "
                             "integers, not " + type);
  }
  p.kernel("unary", {p.token(name), p.f32(alpha), p.f32(beta), p.in(op, 0),
                     p.out(op)});
  return success();
}

/// out = in0 op in1; variadic ops run as a chain in the output: out = in0
/// broadcast, then out = out op in_i.
LogicalResult binary(Operation *op, ProgramBuilder &p, StringRef name) {
  Value out = p.out(op);
  if (op->getNumOperands() == 2) {
    p.kernel("binary", {p.token(name), p.in(op, 0), p.in(op, 1), out});
    return success();
  }
  p.kernel("expand", {p.in(op, 0), out});
  for (unsigned i = 1; i < op->getNumOperands(); ++i)
    p.kernel("binary", {p.token(name), out, p.in(op, i), out});
  return success();
}

/// A scalar bound of Clip, or `fallback` without one.
std::optional<float> clipBound(Value v, float fallback) {
  if (isNone(v))
    return fallback;
  std::optional<SmallVector<double>> value = getConstantFloats(v);
  if (!value || value->size() != 1)
    return std::nullopt;
  return (float)(*value)[0];
}

LogicalResult lowerClip(ClipOp op, ProgramBuilder &p) {
  std::optional<float> lo = clipBound(op.getMin(), -INFINITY);
  std::optional<float> hi = clipBound(op.getMax(), INFINITY);
  if (lo && hi && op.getType().getElementType().isF32())
    return unary(op, p, "CLEAVE_UNARY_CLIP", *lo, *hi);
  // Other types, or bounds known at run time: y = x, then y = max(y, min),
  // y = min(y, max) (binary kernels of any type).
  Value out = p.out(op);
  p.kernel("expand", {p.in(op, 0), out});
  if (!isNone(op.getMin()))
    p.kernel("binary", {p.token("CLEAVE_BINARY_MAX"), out, p.in(op, 1), out});
  if (!isNone(op.getMax()))
    p.kernel("binary", {p.token("CLEAVE_BINARY_MIN"), out, p.in(op, 2), out});
  return success();
}

LogicalResult lowerMean(MeanOp op, ProgramBuilder &p) {
  if (failed(p.f32Only(op)) || failed(binary(op, p, "CLEAVE_BINARY_ADD")))
    return failure();
  Value out = p.out(op);
  p.kernel("unary", {p.token("CLEAVE_UNARY_LINEAR"),
                     p.f32(1.0f / op->getNumOperands()), p.f32(0.0f), out,
                     out});
  return success();
}

} // namespace

void populateElementwiseLowerings(LoweringTable &table) {
  table.add<ClipOp>(lowerClip);
  table.add<MeanOp>(lowerMean);
  table.add<NotOp>([](NotOp op, ProgramBuilder &p) {
    p.kernel("not", {p.in(op, 0), p.out(op)});
    return success();
  });
  table.add<WhereOp>([](WhereOp op, ProgramBuilder &p) {
    p.kernel("where", {p.in(op, 0), p.in(op, 1), p.in(op, 2), p.out(op)});
    return success();
  });
  table.add<CastOp>([](CastOp op, ProgramBuilder &p) {
    p.kernel("cast", {p.in(op, 0), p.out(op)});
    return success();
  });
  table.addFamily(
      [](Operation *op) { return !kernelOf(op, "CLEAVE_UNARY_").empty(); },
      [](Operation *op, ProgramBuilder &p) {
        auto [alpha, beta] = cast<KernelOpInterface>(op).getKernelScalars();
        return unary(op, p, kernelOf(op, "CLEAVE_UNARY_"), alpha, beta);
      });
  table.addFamily(
      [](Operation *op) { return !kernelOf(op, "CLEAVE_BINARY_").empty(); },
      [](Operation *op, ProgramBuilder &p) {
        return binary(op, p, kernelOf(op, "CLEAVE_BINARY_"));
      });
  table.addFamily(
      [](Operation *op) { return !kernelOf(op, "CLEAVE_COMPARE_").empty(); },
      [](Operation *op, ProgramBuilder &p) {
        p.kernel("compare", {p.token(kernelOf(op, "CLEAVE_COMPARE_")),
                             p.in(op, 0), p.in(op, 1), p.out(op)});
        return success();
      });
}

} // namespace cleave::lowering
