//===- OpTable.h - ONNX operators the importer knows ------------*- C++ -*-===//
//
// One entry per (domain, op type, since-version): the cleave op it becomes
// and, for older opsets, an adapter that rewrites the node into the form of
// the newest opset (attributes that became inputs, changed defaults). The
// importer picks the entry with the greatest since-version not above the
// model's opset.
//
//===----------------------------------------------------------------------===//

#ifndef CLEAVE_LIB_IMPORT_ONNX_OPTABLE_H
#define CLEAVE_LIB_IMPORT_ONNX_OPTABLE_H

#include "OnnxProto.h"
#include "mlir/IR/Builders.h"
#include "mlir/IR/OperationSupport.h"
#include "llvm/ADT/Twine.h"
#include <functional>

namespace cleave::onnx_import {

/// An ONNX node on its way to becoming a cleave op.
struct NodeState {
  const onnx::NodeProto &node;
  int64_t opset;
  mlir::OpBuilder &builder;
  mlir::Location loc;
  /// One per ONNX input position; null where an optional input is absent.
  llvm::SmallVector<mlir::Value> operands;
  /// The node's attributes, converted generically (INT to i64, FLOAT to
  /// f32, INTS to a dense i64 array, STRING, TENSOR to elements).
  mlir::NamedAttrList attributes;
  /// Set by adapters that fail: what is wrong with the node.
  std::string error;
  /// Imports a subgraph (an If branch, one iteration of a Loop or Scan
  /// body) here, its inputs bound to `inputs`, with the names of the
  /// enclosing graphs in scope and its own gone afterwards; sets its
  /// outputs.
  std::function<mlir::LogicalResult(const onnx::GraphProto &,
                                    mlir::ValueRange inputs,
                                    llvm::SmallVectorImpl<mlir::Value> &)>
      importSubgraph;
  /// Creates the cleave op `name` of `operands` (null: none) and
  /// `attributes` as a table entry's op is made: its attributes checked
  /// and its result types inferred first, errors naming this node.
  std::function<mlir::FailureOr<mlir::Operation *>(
      llvm::StringRef name, llvm::ArrayRef<mlir::Value> operands,
      const mlir::NamedAttrList &attributes)>
      createOp;

  /// A constant 1-D i64 tensor (or a scalar with `scalar`).
  mlir::Value constantI64(llvm::ArrayRef<int64_t> values, bool scalar = false);
  /// A scalar constant of `elementType` holding `value`.
  mlir::Value constantScalar(double value, mlir::Type elementType);
  /// Moves an INTS attribute, if present, to the i64 input at `index`.
  mlir::LogicalResult moveIntsToInput(llvm::StringRef attr, unsigned index);
  /// Attributes of the node by ONNX type, `fallback` when absent; each
  /// fails (setting `error`) when the attribute has another type.
  mlir::FailureOr<int64_t> intAttr(llvm::StringRef name, int64_t fallback);
  mlir::FailureOr<double> floatAttr(llvm::StringRef name, double fallback);
  mlir::FailureOr<std::string> stringAttr(llvm::StringRef name,
                                          llvm::StringRef fallback);
  /// An INTS attribute of `count` values, or `count` zeros when absent.
  mlir::FailureOr<llvm::SmallVector<int64_t>> intsAttr(llvm::StringRef name,
                                                       size_t count);
  /// The GRAPH attribute `name` (a subgraph), or null.
  const onnx::GraphProto *graphAttr(llvm::StringRef name) const;
  /// `parts` (one per iteration or step, in order) stacked along a new
  /// `axis`: each unsqueezed, then joined.
  mlir::Value stack(llvm::ArrayRef<mlir::Value> parts, int64_t axis);
  /// The attribute `name` if present; fails when it has another type.
  template <typename AttrT>
  mlir::FailureOr<AttrT> optionalAttr(llvm::StringRef name,
                                      llvm::StringRef onnxType) {
    mlir::Attribute attr = attributes.get(name);
    if (!attr)
      return AttrT();
    if (auto typed = llvm::dyn_cast<AttrT>(attr))
      return typed;
    return fail("attribute '" + name + "' must be " + onnxType);
  }
  mlir::LogicalResult fail(const llvm::Twine &message) {
    error = message.str();
    return mlir::failure();
  }
};

/// The element type of a tensor value.
mlir::Type elementTypeOf(mlir::Value v);

/// Rewrites an older form of a node into the newest one.
using Adapter = mlir::LogicalResult (*)(NodeState &);
/// Builds a node that does not map onto one op; sets `results`.
using CustomBuilder = mlir::LogicalResult (*)(
    NodeState &, llvm::SmallVectorImpl<mlir::Value> &results);

struct OpSpec {
  llvm::StringRef opType;
  int64_t sinceVersion;
  /// The cleave op, e.g. "cleave.add"; empty with `custom`.
  llvm::StringRef opName;
  /// Input positions of the newest form, optional ones included; 0 for
  /// variadic ops.
  unsigned numInputs;
  Adapter adapt = nullptr;
  CustomBuilder custom = nullptr;
};

/// How many leading inputs a node of `spec` must provide (non-empty).
unsigned requiredInputs(const OpSpec &spec);

/// The entry for `opType` in `domain` at `opset`, or null if unsupported.
const OpSpec *lookupOp(llvm::StringRef domain, llvm::StringRef opType,
                       int64_t opset);

/// The default-domain op types the importer supports at some opset.
llvm::SmallVector<llvm::StringRef> supportedOpTypes();

} // namespace cleave::onnx_import

#endif // CLEAVE_LIB_IMPORT_ONNX_OPTABLE_H
