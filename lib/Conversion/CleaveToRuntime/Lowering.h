//===- Lowering.h - graph ops to runtime calls, by family -------*- C++ -*-===//
//
// convert-cleave-to-runtime walks each planned function in order: views for
// its inputs, constants and results, then the ops of each family lowered to
// cleave_rt.kernel calls by the functions the family files register (one
// file per family: Elementwise, Linear, Window, Normalization, Reduction,
// DataMovement, Transfers, Training).
//
//===----------------------------------------------------------------------===//

#ifndef CLEAVE_LIB_CONVERSION_CLEAVETORUNTIME_LOWERING_H
#define CLEAVE_LIB_CONVERSION_CLEAVETORUNTIME_LOWERING_H

#include "cleave/Dialect/Cleave/IR/CleaveOps.h"
#include "cleave/Dialect/Runtime/IR/RuntimeDialect.h"
#include "mlir/Dialect/Func/IR/FuncOps.h"
#include "mlir/IR/Builders.h"
#include "llvm/ADT/DenseMap.h"
#include <functional>

namespace cleave::lowering {

/// The padding ONNX's window attributes imply, resolved for the kernels:
/// auto_pad splits the total padding; explicit pads keep their start, and
/// the end grows when ceil_mode asks for a last, partial window.
struct ResolvedWindow {
  llvm::SmallVector<int64_t> kernel, strides, dilations, begin, end;
};

/// One argument of a kernel call, for each parameter of the kernel's
/// declaration in Kernels.def: a view or window (a null Value for NULL), a
/// list of views, or an attribute (integer, float, token, dense array).
struct KernelArg {
  KernelArg(mlir::Value value) : value(value), isValue(true) {}
  KernelArg(mlir::Attribute attr) : attr(attr) {}
  static KernelArg tensors(mlir::ValueRange views) {
    KernelArg arg{mlir::Attribute()};
    arg.list.assign(views.begin(), views.end());
    arg.isList = true;
    return arg;
  }

  mlir::Value value;
  mlir::Attribute attr;
  llvm::SmallVector<mlir::Value> list;
  bool isValue = false, isList = false;
};

/// The views of the program being built, and what every family lowering
/// needs to emit kernel calls.
class ProgramBuilder {
public:
  ProgramBuilder(mlir::OpBuilder &builder, mlir::Location loc)
      : builder(builder), loc(loc) {}

  /// The view of an operand (made when its producer was lowered).
  mlir::Value in(mlir::Operation *op, unsigned i) const {
    return views.lookup(op->getOperand(i));
  }
  mlir::Value view(mlir::Value value) const { return views.lookup(value); }
  /// The arena view of result `i` of `op` (null for a result outside the
  /// arena).
  mlir::Value out(mlir::Operation *op, unsigned i = 0) const {
    return op->getNumResults() > i ? views.lookup(op->getResult(i))
                                   : mlir::Value();
  }
  void setView(mlir::Value value, mlir::Value view) { views[value] = view; }

  /// A view of the arena at `offset` with `type`.
  mlir::Value arena(mlir::Type type, int64_t offset);
  /// The arena view of `op`'s first result with another shape (the bytes
  /// are the same): the kept-dims form of a reduction.
  mlir::Value resultAs(mlir::Operation *op, llvm::ArrayRef<int64_t> shape);
  mlir::Value window(const ResolvedWindow &w, bool channelsLast = false);
  /// The views of every operand of `op`, as one list argument.
  KernelArg tensors(mlir::Operation *op) const {
    llvm::SmallVector<mlir::Value> list;
    for (unsigned i = 0; i < op->getNumOperands(); ++i)
      list.push_back(in(op, i));
    return KernelArg::tensors(list);
  }
  /// A cleave_rt.kernel call of `callee` (Kernels.def) with `args`.
  void kernel(llvm::StringRef callee, llvm::ArrayRef<KernelArg> args);

  // Kernel arguments (one per parameter of the kernel's declaration in
  // Kernels.def, which the cleave_rt.kernel verifier checks).
  mlir::Attribute token(llvm::StringRef text) {
    return builder.getStringAttr(text);
  }
  mlir::Attribute list(llvm::ArrayRef<int64_t> values);
  mlir::Attribute i32(int64_t value) {
    return builder.getI32IntegerAttr(value);
  }
  mlir::Attribute i64(int64_t value) {
    return builder.getI64IntegerAttr(value);
  }
  mlir::Attribute f32(float value) { return builder.getF32FloatAttr(value); }
  mlir::Attribute f64(double value) { return builder.getF64FloatAttr(value); }

  /// "'op' cannot run on the CPU target yet: why", as an error.
  mlir::LogicalResult unsupported(mlir::Operation *op, const llvm::Twine &why);
  /// Fails unless every tensor the op reads and the results it computes
  /// (the first, and any used) are f32.
  mlir::LogicalResult f32Only(mlir::Operation *op);
  /// Fails if a result past the first is used (an output the kernel does
  /// not compute, such as MaxPool's indices).
  mlir::LogicalResult onlyFirstResultUsed(mlir::Operation *op);

  mlir::OpBuilder &builder;
  mlir::Location loc;

private:
  llvm::DenseMap<mlir::Value, mlir::Value> views;
};

/// The lowering of one op; the result views exist already.
using LowerFn =
    std::function<mlir::LogicalResult(mlir::Operation *, ProgramBuilder &)>;

/// How each op is lowered: by op (add) or, for ops that share a kernel, by
/// a family's test (addFamily, tried in order after the ops).
class LoweringTable {
public:
  template <typename Op>
  void add(std::function<mlir::LogicalResult(Op, ProgramBuilder &)> fn) {
    byOp[mlir::TypeID::get<Op>()] = [fn](mlir::Operation *op,
                                         ProgramBuilder &p) {
      return fn(llvm::cast<Op>(op), p);
    };
  }
  void addFamily(std::function<bool(mlir::Operation *)> matches, LowerFn fn) {
    families.push_back({std::move(matches), std::move(fn)});
  }
  /// Lowers `op`, or reports that no kernel runs it.
  mlir::LogicalResult lower(mlir::Operation *op, ProgramBuilder &p) const;

private:
  llvm::DenseMap<mlir::TypeID, LowerFn> byOp;
  std::vector<std::pair<std::function<bool(mlir::Operation *)>, LowerFn>>
      families;
};

/// What each op's calls say of it in the program's profile and trace
/// (Sites.cpp): every op of `function`'s body, keyed by op.
llvm::DenseMap<mlir::Operation *, rt::SiteAttr>
siteAttrs(mlir::func::FuncOp function);

void populateElementwiseLowerings(LoweringTable &table);
void populateLinearLowerings(LoweringTable &table);
void populateWindowLowerings(LoweringTable &table);
void populateNormalizationLowerings(LoweringTable &table);
void populateReductionLowerings(LoweringTable &table);
void populateDataMovementLowerings(LoweringTable &table);
void populateTransferLowerings(LoweringTable &table);
void populateTrainingLowerings(LoweringTable &table);

/// An ONNX axis made non-negative for a tensor of `rank`.
inline int64_t positiveAxis(int64_t axis, int64_t rank) {
  return axis < 0 ? axis + rank : axis;
}

/// The rank of a ranked tensor value.
inline int64_t rankOf(mlir::Value v) {
  return llvm::cast<mlir::ShapedType>(v.getType()).getRank();
}

} // namespace cleave::lowering

#endif // CLEAVE_LIB_CONVERSION_CLEAVETORUNTIME_LOWERING_H
